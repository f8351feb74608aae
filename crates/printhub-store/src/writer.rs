//! The single writer: one thread that owns the write connection and commits
//! whatever is waiting in its channel as one transaction (group commit), and
//! [`Commit`], the completion handle callers wait on.
//!
//! ```text
//!  producers (any thread)            writer thread (owns the write connection)
//!  commit(jobs) ─encode─► channel ─► recv one, then drain up to max_batch
//!  commit(jobs) ─encode─►    │       BEGIN IMMEDIATE
//!  save_printer ────────►    │         apply each, in order (on a failure: ROLLBACK, BEGIN,
//!                            │         and SAVEPOINT op; apply; RELEASE for each)
//!                            │       COMMIT (one fsync for the whole batch)
//!  Commit ◄── oneshot ───────┴────── acknowledge every operation of the batch
//! ```
//!
//! One operation that fails (a slug clash, a full disk for its rows) is
//! rolled back alone and answered with its error while the rest of the
//! batch commits. Failures are rare, so a batch is first applied without
//! savepoints; if an operation fails, the whole transaction is rolled back
//! and the batch applied again with each operation inside its own
//! savepoint, which undoes the failing one alone (an operation is a
//! closure over its inputs and the rollback restores the database it
//! reads, so applying it again gives the same rows). Savepoints cost: SQLite
//! copies every page an operation changes into the savepoint's in-memory
//! journal first. An operation that writes more than [`SOLO_JOBS`] job
//! snapshots (a long queue cleared) always runs alone, without a savepoint:
//! every statement inside a savepoint walks that journal again as the
//! statement ends, so n rows under one savepoint cost O(n²) (35,000 rows
//! took over 10 s). If SQLite rolls back the whole transaction itself (it
//! may after a full disk or an I/O error): in the first pass the batch is
//! applied again as above; in the second, every operation applied so far
//! in it is answered with that error and the remaining ones go into a
//! fresh transaction. A `BEGIN` or `COMMIT` that fails answers the whole
//! batch with its error. A transaction a failed `ROLLBACK` left open (its
//! writes never acknowledged) is rolled back before the next `BEGIN`. An
//! operation is acknowledged only after the `COMMIT` that contains it
//! returned, i.e. after the WAL was synced (`synchronous=FULL`).
//!
//! Operations are applied in the order they were enqueued (one FIFO
//! channel, one consumer) and acknowledged in that order.
//!
//! Test hook: [`WriterPause`] holds the writer after it has received an
//! operation and before it drains the channel, which makes "N operations,
//! one transaction" deterministic.
//!
//! Threading: `Writer` lives on its own thread; [`Commit`] is `Send` and is
//! resolved from that thread through a `futures-channel` oneshot, so it can
//! be awaited on any executor or waited on from a plain thread.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use futures_channel::oneshot;
use rusqlite::Connection;

use crate::error::StoreError;

/// An operation writing more than this many job snapshots commits in a
/// transaction of its own, without a savepoint (see the module docs); a
/// batch of labels (at most 500) stays in the shared transaction.
pub const SOLO_JOBS: u64 = 1_000;

/// Resolves once the transaction containing an operation has committed
/// (`Ok`), or with the reason it did not (`Err`; then nothing of it was
/// written). Await it from async code, or call [`Commit::wait`] from a
/// plain thread. Dropping it does not cancel the operation.
#[must_use = "a Commit resolves when the write is durable; drop it only if you do not need to know"]
#[derive(Debug)]
pub struct Commit<T = ()> {
    inner: Inner<T>,
}

#[derive(Debug)]
enum Inner<T> {
    Waiting(oneshot::Receiver<Result<T, StoreError>>),
    Ready(Option<Result<T, StoreError>>),
}

// `Commit` never pins `T`: it only moves it out of a channel or an `Option`.
impl<T> Unpin for Commit<T> {}

impl<T> Commit<T> {
    /// A commit that has already resolved (for example, with an encoding error).
    pub(crate) fn ready(result: Result<T, StoreError>) -> Self {
        Self {
            inner: Inner::Ready(Some(result)),
        }
    }

    fn waiting(rx: oneshot::Receiver<Result<T, StoreError>>) -> Self {
        Self {
            inner: Inner::Waiting(rx),
        }
    }

    /// Blocks the calling thread until the commit resolves. Do not call it
    /// on an async executor's thread; `.await` the `Commit` there instead.
    pub fn wait(self) -> Result<T, StoreError> {
        block_on(self)
    }
}

impl<T> Future for Commit<T> {
    type Output = Result<T, StoreError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match &mut this.inner {
            Inner::Waiting(rx) => match Pin::new(rx).poll(cx) {
                Poll::Ready(Ok(result)) => Poll::Ready(result),
                // The writer dropped the sender without answering: it stopped.
                Poll::Ready(Err(oneshot::Canceled)) => Poll::Ready(Err(StoreError::Closed)),
                Poll::Pending => Poll::Pending,
            },
            Inner::Ready(result) => Poll::Ready(result.take().unwrap_or(Err(StoreError::Closed))),
        }
    }
}

/// Counters of what the writer did since the store opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriterStats {
    /// Operations enqueued (answered or not).
    pub enqueued: u64,
    /// Transactions committed.
    pub transactions: u64,
    /// Operations (commit calls, printer writes, ...) committed.
    pub operations: u64,
    /// Job snapshots committed.
    pub jobs: u64,
    /// Operations answered with an error.
    pub failed_operations: u64,
    /// The most operations committed in one transaction.
    pub largest_batch: u64,
    /// Batches applied a second time, each operation in a savepoint,
    /// because one of them failed in the first (savepoint-free) pass.
    pub reapplied_batches: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    enqueued: AtomicU64,
    transactions: AtomicU64,
    operations: AtomicU64,
    jobs: AtomicU64,
    failed_operations: AtomicU64,
    largest_batch: AtomicU64,
    reapplied_batches: AtomicU64,
}

impl Counters {
    pub(crate) fn count_enqueued(&self) {
        self.enqueued.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn snapshot(&self) -> WriterStats {
        WriterStats {
            enqueued: self.enqueued.load(Ordering::Acquire),
            transactions: self.transactions.load(Ordering::Acquire),
            operations: self.operations.load(Ordering::Acquire),
            jobs: self.jobs.load(Ordering::Acquire),
            failed_operations: self.failed_operations.load(Ordering::Acquire),
            largest_batch: self.largest_batch.load(Ordering::Acquire),
            reapplied_batches: self.reapplied_batches.load(Ordering::Acquire),
        }
    }
}

/// The pause switch shared by the store and its writer.
#[derive(Debug, Default)]
pub(crate) struct PauseSwitch {
    /// How many [`WriterPause`] guards are alive.
    pauses: Mutex<usize>,
    changed: Condvar,
}

impl PauseSwitch {
    fn hold(&self, hold: bool) {
        // A poisoned lock only means a thread panicked while holding it; the
        // count inside is still meaningful.
        let mut guard = self.pauses.lock().unwrap_or_else(|e| e.into_inner());
        *guard = if hold {
            guard.saturating_add(1)
        } else {
            guard.saturating_sub(1)
        };
        self.changed.notify_all();
    }

    fn wait_while_paused(&self) {
        let mut guard = self.pauses.lock().unwrap_or_else(|e| e.into_inner());
        while *guard > 0 {
            guard = self.changed.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Holds the writer (see [`Store::pause_writer`](crate::Store::pause_writer)):
/// operations keep queueing but none is applied until this (and every other
/// live pause) is dropped or [`resume`](WriterPause::resume)d.
#[derive(Debug)]
pub struct WriterPause<'a> {
    switch: &'a PauseSwitch,
}

impl<'a> WriterPause<'a> {
    pub(crate) fn new(switch: &'a PauseSwitch) -> Self {
        switch.hold(true);
        Self { switch }
    }

    /// Lets the writer go on.
    pub fn resume(self) {}
}

impl Drop for WriterPause<'_> {
    fn drop(&mut self) {
        self.switch.hold(false);
    }
}

/// What to do with an operation's outcome once it is known.
type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// One queued operation. `apply` runs on the writer thread inside a
/// transaction (or, for a [`Mode::Direct`] one, outside any), possibly
/// more than once: again after a rollback, so it must give the same result
/// on the same database; `finish` delivers the outcome of the last run.
pub(crate) trait Work: Send {
    fn apply(&mut self, conn: &Connection) -> Result<(), StoreError>;
    fn finish(self: Box<Self>, outcome: Result<(), StoreError>);
    /// Job snapshots this operation writes (statistics only).
    fn jobs(&self) -> u64 {
        0
    }
}

/// Wraps a closure and the channel its typed result goes back through.
struct Typed<T, F> {
    f: F,
    value: Option<T>,
    jobs: u64,
    reply: Reply<T>,
}

impl<T, F> Work for Typed<T, F>
where
    T: Send,
    F: FnMut(&Connection) -> Result<T, StoreError> + Send,
{
    fn apply(&mut self, conn: &Connection) -> Result<(), StoreError> {
        self.value = None;
        self.value = Some((self.f)(conn)?);
        Ok(())
    }

    fn finish(self: Box<Self>, outcome: Result<(), StoreError>) {
        let this = *self;
        let result = outcome.and_then(|()| this.value.ok_or(StoreError::Closed));
        // The caller may have dropped its Commit; that is allowed.
        let _ = this.reply.send(result);
    }

    fn jobs(&self) -> u64 {
        self.jobs
    }
}

/// How an operation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Inside a (group) transaction.
    Transaction,
    /// Alone and outside any transaction (checkpoints, pragmas). It ends the
    /// batch before it: that batch commits first.
    Direct,
}

/// A message to the writer.
pub(crate) struct Op {
    mode: Mode,
    work: Box<dyn Work>,
}

impl Op {
    /// An operation running `f`, and the [`Commit`] that resolves with its result.
    pub(crate) fn new<T, F>(mode: Mode, jobs: u64, f: F) -> (Op, Commit<T>)
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let work = Box::new(Typed {
            f,
            value: None,
            jobs,
            reply,
        });
        (Op { mode, work }, Commit::waiting(rx))
    }

    /// Answers without running (the writer is gone).
    pub(crate) fn reject(self, error: StoreError) {
        self.work.finish(Err(error));
    }
}

/// The writer thread's state.
pub(crate) struct Writer {
    pub conn: Connection,
    pub rx: Receiver<Op>,
    pub max_batch: usize,
    pub pause: Arc<PauseSwitch>,
    pub counters: Arc<Counters>,
}

impl Writer {
    /// Serves operations until every sender is gone and the channel is
    /// empty. Everything enqueued before the store closed is applied.
    pub(crate) fn run(mut self) {
        while let Ok(first) = self.rx.recv() {
            self.pause.wait_while_paused();
            let mut batch = vec![first];
            while batch.len() < self.max_batch.max(1) {
                match self.rx.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            self.run_batch(batch);
        }
        log::debug!("store writer: channel closed, stopping");
    }

    /// Runs a batch in order: consecutive transactional operations share a
    /// transaction; a direct operation, or one writing more than
    /// [`SOLO_JOBS`] snapshots, runs alone after the ones before it.
    fn run_batch(&mut self, batch: Vec<Op>) {
        let mut group: Vec<Box<dyn Work>> = Vec::new();
        for op in batch {
            match op.mode {
                Mode::Transaction if op.work.jobs() > SOLO_JOBS => {
                    self.commit_group(std::mem::take(&mut group));
                    self.commit_group(vec![op.work]);
                }
                Mode::Transaction => group.push(op.work),
                Mode::Direct => {
                    self.commit_group(std::mem::take(&mut group));
                    let mut work = op.work;
                    let outcome = work.apply(&self.conn);
                    self.count_outcome(&outcome);
                    work.finish(outcome);
                }
            }
        }
        self.commit_group(group);
    }

    fn count_outcome(&self, outcome: &Result<(), StoreError>) {
        let counter = match outcome {
            Ok(()) => &self.counters.operations,
            Err(_) => &self.counters.failed_operations,
        };
        counter.fetch_add(1, Ordering::AcqRel);
    }

    fn fail_all(&self, works: Vec<Box<dyn Work>>, error: &StoreError) {
        for work in works {
            self.count_outcome(&Err(error.clone()));
            work.finish(Err(error.clone()));
        }
    }

    /// Applies `works` in one transaction (more than one if SQLite rolls a
    /// transaction back under us) and acknowledges each: first without
    /// savepoints, and if an operation fails, once more with one for each.
    fn commit_group(&mut self, mut works: Vec<Box<dyn Work>>) {
        if works.len() > 1 {
            if let Err(e) = self.begin() {
                self.fail_all(works, &e);
                return;
            }
            match self.apply_all(&mut works) {
                Applied::All => {
                    self.finish_commit(works);
                    return;
                }
                Applied::NotAll => {
                    self.counters
                        .reapplied_batches
                        .fetch_add(1, Ordering::AcqRel);
                }
            }
        }
        self.commit_with_savepoints(works);
    }

    /// `BEGIN IMMEDIATE`, after rolling back a transaction that a failed
    /// `ROLLBACK` may have left open (nothing in it was acknowledged).
    fn begin(&self) -> Result<(), StoreError> {
        self.abandon();
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }

    /// Rolls back the open transaction, if any.
    fn abandon(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// Applies every operation in the open transaction, no savepoints; on
    /// the first failure rolls it all back.
    fn apply_all(&mut self, works: &mut [Box<dyn Work>]) -> Applied {
        for work in works.iter_mut() {
            if work.apply(&self.conn).is_err() {
                self.abandon();
                return Applied::NotAll;
            }
        }
        Applied::All
    }

    /// Commits the open transaction holding `applied` and answers each.
    fn finish_commit(&mut self, applied: Vec<Box<dyn Work>>) {
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => {
                let n = applied.len() as u64;
                let jobs: u64 = applied.iter().map(|w| w.jobs()).sum();
                self.counters.transactions.fetch_add(1, Ordering::AcqRel);
                self.counters.jobs.fetch_add(jobs, Ordering::AcqRel);
                self.counters.largest_batch.fetch_max(n, Ordering::AcqRel);
                for work in applied {
                    self.count_outcome(&Ok(()));
                    work.finish(Ok(()));
                }
            }
            Err(e) => {
                let error = StoreError::from(e);
                self.abandon();
                self.fail_all(applied, &error);
            }
        }
    }

    /// [`commit_group`](Self::commit_group)'s careful path: each operation
    /// in its own savepoint (none when it is alone), so a failing one is
    /// undone and answered alone.
    fn commit_with_savepoints(&mut self, works: Vec<Box<dyn Work>>) {
        let mut pending = works.into_iter();
        while pending.len() > 0 {
            if let Err(error) = self.begin() {
                self.fail_all(pending.collect(), &error);
                return;
            }
            // Alone, an operation's failure rolls the transaction back
            // (below, as nothing is applied), so it needs no savepoint.
            let alone = pending.len() == 1;
            let mut applied: Vec<Box<dyn Work>> = Vec::new();
            let mut lost = None;
            for mut work in pending.by_ref() {
                let outcome = if alone {
                    work.apply(&self.conn)
                } else {
                    self.apply_in_savepoint(work.as_mut())
                };
                match outcome {
                    Ok(()) => applied.push(work),
                    Err(error) if self.conn.is_autocommit() => {
                        // SQLite rolled the whole transaction back: nothing
                        // applied in it survives. Answer those, and start
                        // over with the operations not tried yet.
                        self.count_outcome(&Err(error.clone()));
                        work.finish(Err(error.clone()));
                        lost = Some(error);
                        break;
                    }
                    Err(error) => {
                        self.count_outcome(&Err(error.clone()));
                        work.finish(Err(error));
                    }
                }
            }
            if let Some(error) = lost {
                self.fail_all(applied, &error);
                continue;
            }
            if applied.is_empty() {
                // Nothing to keep (an operation alone that failed leaves
                // its partial writes to this rollback); an empty commit
                // would cost an fsync.
                let _ = self.conn.execute_batch("ROLLBACK");
                continue;
            }
            self.finish_commit(applied);
        }
    }

    /// Runs one operation inside `SAVEPOINT op`, rolling back to it on error.
    fn apply_in_savepoint(&self, work: &mut dyn Work) -> Result<(), StoreError> {
        self.conn.execute_batch("SAVEPOINT op")?;
        match work.apply(&self.conn) {
            Ok(()) => {
                self.conn.execute_batch("RELEASE op")?;
                Ok(())
            }
            Err(error) => {
                if !self.conn.is_autocommit() {
                    // If this fails the transaction is gone, which the
                    // caller detects through `is_autocommit`.
                    let _ = self.conn.execute_batch("ROLLBACK TO op; RELEASE op");
                }
                Err(error)
            }
        }
    }
}

/// Whether [`Writer::apply_all`] applied every operation.
enum Applied {
    /// Every operation is applied in the open transaction.
    All,
    /// One failed: the transaction is rolled back (or, if that failed, is
    /// rolled back before the next `BEGIN`).
    NotAll,
}

/// Wakes a parked thread.
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` to completion on this thread, parking between polls.
fn block_on<F: Future + Unpin>(mut future: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = Pin::new(&mut future).poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_commit_resolves_at_once_and_only_once() {
        let mut commit = Commit::ready(Ok(5));
        let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
        let mut cx = Context::from_waker(&waker);
        assert!(matches!(
            Pin::new(&mut commit).poll(&mut cx),
            Poll::Ready(Ok(5))
        ));
        assert!(matches!(
            Pin::new(&mut commit).poll(&mut cx),
            Poll::Ready(Err(StoreError::Closed))
        ));
    }

    #[test]
    fn wait_blocks_until_another_thread_answers() {
        let (tx, rx) = oneshot::channel::<Result<u32, StoreError>>();
        let commit = Commit::waiting(rx);
        let answer = thread::spawn(move || {
            let _ = tx.send(Ok(7));
        });
        assert_eq!(commit.wait().expect("answered"), 7);
        answer.join().expect("joined");
    }

    #[test]
    fn a_dropped_sender_means_closed() {
        let (tx, rx) = oneshot::channel::<Result<(), StoreError>>();
        drop(tx);
        assert!(matches!(
            Commit::waiting(rx).wait(),
            Err(StoreError::Closed)
        ));
    }
}

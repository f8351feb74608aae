//! When a notification is due, as a sans-io state machine: [`Rules`] takes
//! what happened ([`Input`], already resolved to slugs and error codes) and
//! the time, and says which target gets which [`Notice`]. Offline printers
//! are reported only after `offline_after` of continuous silence
//! ([`Rules::poll_timeout`] / [`Rules::handle_timeout`]), and `printer_online`
//! only for a printer that was reported offline, so a blip sends nothing.
//!
//! ```text
//! job → completed | failed | interrupted     ─► job_completed | job_failed (reason = error code) | job_interrupted
//! printer → stopped{reason} (newly)          ─► printer_stopped (reason)
//! printer → offline, still offline after T   ─► printer_offline           (T = the target's offline_after)
//! printer offline → anything else            ─► printer_online, if printer_offline was sent
//! ```

use std::collections::HashMap;
use std::time::Duration;

use printhub_core::{JobId, JobState, PrinterState, Timestamp};

use crate::body::Notice;
use crate::config::{NotifyEvent, Target};

/// Something that happened, as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A job changed state.
    Job {
        /// Its printer's slug.
        printer: String,
        /// Its printer's id (allow-lists may name either).
        printer_id: String,
        /// The job.
        job: JobId,
        /// Its new state.
        to: JobState,
        /// Its error code, for failed and interrupted jobs.
        reason: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// A printer changed state.
    Printer {
        /// Its slug.
        printer: String,
        /// Its id.
        printer_id: String,
        /// The state before.
        from: PrinterState,
        /// The state now.
        to: PrinterState,
        /// When.
        at: Timestamp,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Offline {
    since: Timestamp,
    reported: bool,
}

/// What each target is due (see the module doc).
#[derive(Debug)]
pub struct Rules {
    targets: Vec<Target>,
    /// Per (target, printer slug): offline since, and whether reported.
    offline: HashMap<(usize, String), Offline>,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Rules {
    /// Rules for `targets` (indexes in the answers are into this list).
    pub fn new(targets: Vec<Target>) -> Rules {
        Rules {
            targets,
            offline: HashMap::new(),
        }
    }

    /// The targets.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// The notices `input` makes due now, as `(target index, notice)`.
    pub fn handle(&mut self, input: &Input) -> Vec<(usize, Notice)> {
        let mut out = Vec::new();
        for (i, target) in self.targets.iter().enumerate() {
            match input {
                Input::Job {
                    printer,
                    printer_id,
                    job,
                    to,
                    reason,
                    at,
                } => {
                    if !target.covers(printer, printer_id) {
                        continue;
                    }
                    let event = match to {
                        JobState::Completed => NotifyEvent::JobCompleted,
                        JobState::Failed => NotifyEvent::JobFailed,
                        JobState::Interrupted => NotifyEvent::JobInterrupted,
                        _ => continue,
                    };
                    if target.events.contains(&event) {
                        out.push((
                            i,
                            Notice {
                                event,
                                at: *at,
                                printer: printer.clone(),
                                job: Some(*job),
                                reason: reason.clone(),
                            },
                        ));
                    }
                }
                Input::Printer {
                    printer,
                    printer_id,
                    from,
                    to,
                    at,
                } => {
                    if !target.covers(printer, printer_id) {
                        continue;
                    }
                    let key = (i, printer.clone());
                    let is_offline = matches!(to, PrinterState::Offline { .. });
                    if is_offline {
                        self.offline.entry(key).or_insert(Offline {
                            since: *at,
                            reported: false,
                        });
                    } else if let Some(off) = self.offline.remove(&key) {
                        if off.reported && target.events.contains(&NotifyEvent::PrinterOnline) {
                            out.push((
                                i,
                                Notice {
                                    event: NotifyEvent::PrinterOnline,
                                    at: *at,
                                    printer: printer.clone(),
                                    job: None,
                                    reason: None,
                                },
                            ));
                        }
                    }
                    if let PrinterState::Stopped { reason } = to {
                        let newly = from.reason() != Some(reason.as_str());
                        if newly && target.events.contains(&NotifyEvent::PrinterStopped) {
                            out.push((
                                i,
                                Notice {
                                    event: NotifyEvent::PrinterStopped,
                                    at: *at,
                                    printer: printer.clone(),
                                    job: None,
                                    reason: Some(reason.clone()),
                                },
                            ));
                        }
                    }
                }
            }
        }
        out
    }

    /// When [`Rules::handle_timeout`] has something to say next, if ever.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.offline
            .iter()
            .filter(|(_, off)| !off.reported)
            .map(|((i, _), off)| {
                off.since
                    .plus_millis(millis(self.targets[*i].offline_after))
            })
            .min()
    }

    /// The `printer_offline` notices due at `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) -> Vec<(usize, Notice)> {
        let mut due: Vec<(usize, Notice)> = Vec::new();
        for ((i, printer), off) in self.offline.iter_mut() {
            let target = &self.targets[*i];
            let when = off.since.plus_millis(millis(target.offline_after));
            if off.reported || when > now {
                continue;
            }
            off.reported = true;
            if target.events.contains(&NotifyEvent::PrinterOffline) {
                due.push((
                    *i,
                    Notice {
                        event: NotifyEvent::PrinterOffline,
                        at: when,
                        printer: printer.clone(),
                        job: None,
                        reason: None,
                    },
                ));
            }
        }
        due.sort_by(|a, b| (a.0, a.1.at, &a.1.printer).cmp(&(b.0, b.1.at, &b.1.printer)));
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TargetSettings;
    use printhub_lookup::Secret;

    fn target(events: &[&str], printers: Option<&[&str]>, offline_after_s: u64) -> Target {
        Target::parse(
            0,
            &TargetSettings {
                url: "http://127.0.0.1:9/".into(),
                secret: Secret::new("0123456789abcdef"),
                events: Some(events.iter().map(|e| e.to_string()).collect()),
                printers: printers.map(|p| p.iter().map(|s| s.to_string()).collect()),
                offline_after_s: Some(offline_after_s),
                ..TargetSettings::default()
            },
        )
        .expect("valid")
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_millis(s * 1000)
    }

    fn job(printer: &str, to: JobState, reason: Option<&str>, at: i64) -> Input {
        Input::Job {
            printer: printer.into(),
            printer_id: format!("id-{printer}"),
            job: JobId::from_u128(1),
            to,
            reason: reason.map(str::to_string),
            at: t(at),
        }
    }

    fn printer(p: &str, from: PrinterState, to: PrinterState, at: i64) -> Input {
        Input::Printer {
            printer: p.into(),
            printer_id: format!("id-{p}"),
            from,
            to,
            at: t(at),
        }
    }

    fn offline(at: i64) -> PrinterState {
        PrinterState::Offline { since: t(at) }
    }

    fn stopped(reason: &str) -> PrinterState {
        PrinterState::Stopped {
            reason: reason.into(),
        }
    }

    /// The events (with reasons) `inputs` produce for one target.
    fn check(target: Target, inputs: &[Input], expected: &[(&str, &str, Option<&str>)]) {
        let mut rules = Rules::new(vec![target]);
        let mut got = Vec::new();
        for input in inputs {
            for (_, n) in rules.handle(input) {
                got.push((n.event.as_str(), n.printer, n.reason));
            }
        }
        let got: Vec<(&str, &str, Option<&str>)> = got
            .iter()
            .map(|(e, p, r)| (*e, p.as_str(), r.as_deref()))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn job_outcomes_are_reported_when_asked_for() {
        let all = &["job_completed", "job_failed", "job_interrupted"];
        check(
            target(all, None, 300),
            &[
                job("pt", JobState::Queued, None, 1),
                job("pt", JobState::Printing, None, 2),
                job("pt", JobState::Completed, None, 3),
                job("pt", JobState::Failed, Some("media_jam"), 4),
                job("pt", JobState::Interrupted, Some("connection_lost"), 5),
                job("pt", JobState::Cancelled, None, 6),
            ],
            &[
                ("job_completed", "pt", None),
                ("job_failed", "pt", Some("media_jam")),
                ("job_interrupted", "pt", Some("connection_lost")),
            ],
        );
        check(
            target(&["job_failed"], None, 300),
            &[
                job("pt", JobState::Completed, None, 3),
                job("pt", JobState::Failed, Some("x"), 4),
            ],
            &[("job_failed", "pt", Some("x"))],
        );
        // Printers outside the target's list are ignored, by slug or by id.
        check(
            target(all, Some(&["ql", "id-pt2"]), 300),
            &[
                job("pt", JobState::Completed, None, 3),
                job("pt2", JobState::Completed, None, 3),
                job("ql", JobState::Completed, None, 3),
            ],
            &[
                ("job_completed", "pt2", None),
                ("job_completed", "ql", None),
            ],
        );
    }

    #[test]
    fn a_stop_is_reported_once_per_reason() {
        check(
            target(&["printer_stopped"], None, 300),
            &[
                printer("pt", PrinterState::Printing, stopped("no_media"), 1),
                printer("pt", stopped("no_media"), stopped("no_media"), 2),
                printer("pt", stopped("no_media"), stopped("printer_cover_open"), 3),
                printer("pt", stopped("printer_cover_open"), PrinterState::Idle, 4),
                printer("pt", PrinterState::Idle, PrinterState::Paused, 5),
            ],
            &[
                ("printer_stopped", "pt", Some("no_media")),
                ("printer_stopped", "pt", Some("printer_cover_open")),
            ],
        );
    }

    #[test]
    fn offline_is_reported_after_the_wait_and_online_only_after_that() {
        let mut rules = Rules::new(vec![target(
            &["printer_offline", "printer_online"],
            None,
            60,
        )]);
        // A blip: offline for 30 s of the 60 s. Nothing.
        assert!(rules
            .handle(&printer("pt", PrinterState::Idle, offline(0), 0))
            .is_empty());
        assert_eq!(rules.poll_timeout(), Some(t(60)));
        assert!(rules.handle_timeout(t(30)).is_empty());
        assert!(rules
            .handle(&printer("pt", offline(0), PrinterState::Idle, 30))
            .is_empty());
        assert_eq!(rules.poll_timeout(), None);
        // A real outage: reported at 100 + 60, once.
        rules.handle(&printer("pt", PrinterState::Idle, offline(100), 100));
        // Offline → offline (a new `since` from another failed attempt) keeps the first time.
        rules.handle(&printer("pt", offline(100), offline(130), 130));
        assert_eq!(rules.poll_timeout(), Some(t(160)));
        let due = rules.handle_timeout(t(200));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].1.event, NotifyEvent::PrinterOffline);
        assert_eq!(due[0].1.at, t(160));
        assert!(rules.handle_timeout(t(300)).is_empty(), "once");
        assert_eq!(rules.poll_timeout(), None);
        // Back: printer_online.
        let back = rules.handle(&printer("pt", offline(100), PrinterState::Idle, 400));
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].1.event, NotifyEvent::PrinterOnline);
        assert_eq!(back[0].1.at, t(400));
    }

    #[test]
    fn each_target_has_its_own_wait_and_filters() {
        let mut rules = Rules::new(vec![
            target(&["printer_offline"], None, 10),
            target(&["printer_offline", "printer_online"], Some(&["pt"]), 100),
            target(&["job_completed"], None, 1),
        ]);
        rules.handle(&printer("pt", PrinterState::Idle, offline(0), 0));
        rules.handle(&printer("ql", PrinterState::Idle, offline(0), 0));
        let at_20: Vec<(usize, String)> = rules
            .handle_timeout(t(20))
            .into_iter()
            .map(|(i, n)| (i, n.printer))
            .collect();
        assert_eq!(at_20, [(0, "pt".to_string()), (0, "ql".to_string())]);
        let at_100: Vec<(usize, String)> = rules
            .handle_timeout(t(100))
            .into_iter()
            .map(|(i, n)| (i, n.printer))
            .collect();
        assert_eq!(at_100, [(1, "pt".to_string())]);
        let back: Vec<usize> = rules
            .handle(&printer("pt", offline(0), PrinterState::Idle, 150))
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        assert_eq!(back, [1], "only the target that asked for printer_online");
    }
}

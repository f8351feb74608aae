//! Crash test (issue 6): a child process running the hub with a SQLite store
//! is killed with SIGKILL in the middle of a stream of submissions and
//! prints. After a restart every acknowledged job is present and ends printed
//! exactly once or `interrupted`, and the emulator never received a job twice.

use printhub_emulator::{Emulator, EmulatorConfig, Speed};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Reads the number a crash-child label carries on its first line.
fn label_number(page: &printhub_raster::Bitmap) -> u32 {
    (0..32).filter(|&x| page.get(x, 0)).map(|x| 1u32 << x).sum()
}

#[test]
fn sigkill_mid_stream_loses_nothing_and_prints_nothing_twice() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("printhub.db");
    let emulator = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12").speed(Speed::Real))
        .expect("emulator");
    let addr = emulator.tcp_addr().to_string();
    let child_bin = env!("CARGO_BIN_EXE_crash-child");

    // Run 1: submit a stream; kill -9 after 25 acknowledgements, with prints in progress.
    let mut child = Command::new(child_bin)
        .args([db.to_str().expect("path"), &addr, "200"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut acked: HashMap<String, u32> = HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        let mut parts = line.split_whitespace();
        if parts.next() == Some("ACK") {
            let id = parts.next().expect("id").to_string();
            let n: u32 = parts.next().expect("n").parse().expect("number");
            acked.insert(id, n);
            if acked.len() == 25 {
                break;
            }
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert_eq!(acked.len(), 25);

    // Run 2: restart on the same database and printer; wait until every job is terminal.
    let out = Command::new(child_bin)
        .args([db.to_str().expect("path"), &addr, "--recover"])
        .stderr(Stdio::null())
        .output()
        .expect("recover");
    assert!(out.status.success(), "recovery failed");
    let mut finals: HashMap<String, (String, u32)> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let ["FINAL", id, state, copies] = parts.as_slice() {
            finals.insert(
                id.to_string(),
                (state.to_string(), copies.parse().expect("copies")),
            );
        }
    }

    // What the printer received, by label number.
    let mut printed: HashMap<u32, usize> = HashMap::new();
    for page in emulator.pages() {
        *printed.entry(label_number(&page.black)).or_default() += 1;
    }
    for (n, count) in &printed {
        assert_eq!(*count, 1, "label {n} was printed {count} times");
    }
    let mut interrupted = HashSet::new();
    for (id, n) in &acked {
        let (state, copies) = finals
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged job {id} (label {n}) is missing"));
        match state.as_str() {
            "completed" => {
                assert_eq!(*copies, 1);
                assert_eq!(
                    printed.get(n),
                    Some(&1),
                    "completed job {id} printed exactly once"
                );
            }
            "interrupted" => {
                interrupted.insert(n);
            }
            other => panic!("acknowledged job {id} ended {other}"),
        }
    }
    assert!(
        interrupted.len() <= 1,
        "at most the copy in flight is interrupted: {interrupted:?}"
    );
}

/// Issue #20: the hub killed while it lays waiting jobs out again for a new
/// tape loses and doubles nothing. After the restart every acknowledged job
/// prints exactly once, on the tape loaded now.
#[test]
fn sigkill_in_the_middle_of_a_relayout_loses_nothing_and_prints_everything_for_the_new_tape() {
    // Enough labels (each a few lines, auto-fitted) that laying them all out
    // again takes a while, so the kill usually lands in the middle of it.
    const JOBS: usize = 200;
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("printhub.db");
    let emulator = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12").keep_pages(JOBS + 10))
        .expect("emulator");
    let addr = emulator.tcp_addr().to_string();
    let child_bin = env!("CARGO_BIN_EXE_crash-child");
    let mut child = Command::new(child_bin)
        .args([
            db.to_str().expect("path"),
            &addr,
            "--relayout",
            &JOBS.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut acked: HashSet<String> = HashSet::new();
    let mut relaid_when_killed = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["ACK", id, _] => {
                acked.insert(id.to_string());
            }
            ["ALL-SUBMITTED", media] => {
                assert_eq!(*media, "tze-12");
                // The tape swap: the waiting jobs are laid out again.
                emulator.set_media(Some("tze-24")).expect("swap");
            }
            ["RELAID", n] => {
                let n: usize = n.parse().expect("count");
                if n >= 1 {
                    relaid_when_killed = n;
                    break;
                }
            }
            _ => {}
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert_eq!(acked.len(), JOBS);
    // Killed once the re-layout had begun: in the middle of it, or (the
    // re-layouts are fast) while its last results were being stored. Either
    // way the store holds some mix of old and new layouts to recover from.
    assert!(
        (1..=JOBS).contains(&relaid_when_killed),
        "killed after the re-layout began: {relaid_when_killed} of {JOBS}"
    );
    assert!(emulator.pages().is_empty(), "nothing printed while paused");

    let out = Command::new(child_bin)
        .args([db.to_str().expect("path"), &addr, "--recover-relayout"])
        .stderr(Stdio::null())
        .output()
        .expect("recover");
    assert!(out.status.success(), "recovery failed");
    let mut finals: HashMap<String, (String, u32, String)> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let ["FINAL", id, state, copies, media] = parts.as_slice() {
            finals.insert(
                id.to_string(),
                (
                    state.to_string(),
                    copies.parse().expect("copies"),
                    media.to_string(),
                ),
            );
        }
    }
    assert_eq!(finals.len(), JOBS, "no job lost or made up");
    for id in &acked {
        let (state, copies, media) = finals.get(id).unwrap_or_else(|| panic!("job {id} lost"));
        assert_eq!(
            (state.as_str(), *copies, media.as_str()),
            ("completed", 1, "tze-24"),
            "job {id}"
        );
    }
    let pages = emulator.pages();
    assert_eq!(pages.len(), JOBS, "each label printed once");
    let width = printhub_raster::geometry(
        printhub_raster::Model::by_name("PT-P750W").expect("model"),
        printhub_raster::Media::by_id("tze-24").expect("media"),
    )
    .expect("geometry")
    .printable();
    assert!(
        pages.iter().all(|p| p.black.width() == usize::from(width)),
        "every label laid out for 24 mm"
    );
}

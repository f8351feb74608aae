//! The printer registry on the SQLite spool with the real TCP transport
//! (issue #15): a refused add or change leaves no row, no audit entry and
//! no lost job, also after a restart; a printer whose address stops
//! resolving or cannot work comes back offline with the reason and its queue.

use super::support::*;
use printhub_actors::{Hub, HubConfig, HubHandle, HubStore, PrinterConfig, PrinterPatch};
use printhub_core::{JobId, JobState, PrinterState};
use printhub_emulator::{Emulator, EmulatorConfig};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn open(path: &Path) -> Arc<printhub_store::Store> {
    Arc::new(
        printhub_store::Store::open(path, printhub_store::StoreConfig::default()).expect("store"),
    )
}

/// What a refused change must leave as it was: the stored rows, the printer
/// audit trail, the engine's printers (their configuration and queues).
#[derive(Debug, PartialEq)]
struct Snapshot {
    rows: Vec<PrinterConfig>,
    audit: usize,
    printers: Vec<(String, String, String, String, String, bool, usize)>,
    queues: Vec<Vec<JobId>>,
}

async fn snapshot(hub: &HubHandle, store: &printhub_store::Store) -> Snapshot {
    let printers = hub.list_printers().await.expect("list");
    let mut queues = Vec::new();
    for p in &printers {
        let queue = hub.queue(&p.slug).await.expect("queue");
        queues.push(queue.iter().map(|j| j.id).collect());
    }
    Snapshot {
        rows: HubStore::load_printers(store).expect("rows"),
        audit: store.load_printer_audit(None, 10_000).expect("audit").len(),
        printers: printers
            .into_iter()
            .map(|p| {
                let depth = p.queue_depth;
                (
                    p.slug, p.name, p.model, p.media, p.address, p.enabled, depth,
                )
            })
            .collect(),
        queues,
    }
}

/// A printer to add: its slug, how it is spoiled, the code and field expected.
type Add = (
    &'static str,
    fn(&mut PrinterConfig),
    &'static str,
    Option<&'static str>,
);

fn patch(field: &str, value: &str) -> PrinterPatch {
    let v = Some(value.to_string());
    match field {
        "address" => PrinterPatch {
            address: v,
            ..PrinterPatch::default()
        },
        "snmp" => PrinterPatch {
            snmp: v,
            ..PrinterPatch::default()
        },
        "model" => PrinterPatch {
            model: v,
            ..PrinterPatch::default()
        },
        "media" => PrinterPatch {
            media: v,
            ..PrinterPatch::default()
        },
        other => panic!("no such field {other}"),
    }
}

/// The field a refusal names.
fn field(e: &printhub_actors::HubError) -> Option<&'static str> {
    match e {
        printhub_actors::HubError::InvalidPrinter { field, .. }
        | printhub_actors::HubError::AddressUnresolvable { field, .. } => Some(field),
        printhub_actors::HubError::UnsupportedMedia { .. } => Some("media"),
        _ => None,
    }
}

#[actix::test]
async fn a_refused_printer_change_leaves_nothing_behind_even_after_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("hub.db");
    let db1 = db.clone();
    // Run 1, on its own actix system: `pt` paused with two queued jobs, then every
    // bad change, each refused with its code and field and changing nothing.
    let (queued, before) = std::thread::spawn(move || {
        actix::System::new().block_on(async move {
            let store = open(&db1);
            let hub = Hub::start(HubConfig::default(), store.clone());
            hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
                .await
                .expect("added");
            hub.pause_printer("pt").await.expect("paused");
            let queued = submit_many(&hub, "pt", 0, 2).await;
            // A row only the store knows (another process, or an older version's leftover).
            let mut ghost = pt_printer("ghost", "127.0.0.1:9");
            ghost.id = Some(printhub_core::PrinterId::from_u128(0x6057));
            HubStore::save_printer(&*store, &ghost, "test").expect("ghost row");
            let before = snapshot(&hub, &store).await;

            let patches = [
                ("address", "::::::", "invalid_request"),
                ("address", "", "invalid_request"),
                ("address", ":9100", "invalid_request"),
                ("address", "printer:99999", "invalid_request"),
                ("address", "http://printer:9100", "invalid_request"),
                (
                    "address",
                    "no-such-host.invalid:9100",
                    "address_unresolvable",
                ),
                ("address", "no-such-host.invalid", "address_unresolvable"),
                ("snmp", "no-such-host.invalid:161", "address_unresolvable"),
                ("snmp", "[::1", "invalid_request"),
                ("snmp", "snmp:0", "invalid_request"),
                ("model", "PT-9999", "invalid_request"),
                ("media", "no-such-media", "invalid_request"),
                ("media", "dk-62", "unsupported_media"),
            ];
            for (name, value, code) in patches {
                let e = hub
                    .update_printer("pt", patch(name, value))
                    .await
                    .expect_err(value);
                assert_eq!(
                    (e.code(), field(&e)),
                    (code, Some(name)),
                    "{name}={value:?}: {e}"
                );
                assert_eq!(snapshot(&hub, &store).await, before, "{name}={value:?}");
            }

            let adds: [Add; 8] = [
                (
                    "pt2",
                    |c| c.address = "::::::".into(),
                    "invalid_request",
                    Some("address"),
                ),
                (
                    "pt2",
                    |c| c.address = "pt2.invalid".into(),
                    "address_unresolvable",
                    Some("address"),
                ),
                (
                    "pt2",
                    |c| c.snmp = Some("pt2.invalid".into()),
                    "address_unresolvable",
                    Some("snmp"),
                ),
                (
                    "pt2",
                    |c| c.snmp = Some("".into()),
                    "invalid_request",
                    Some("snmp"),
                ),
                (
                    "pt2",
                    |c| c.model = "PT-9999".into(),
                    "invalid_request",
                    Some("model"),
                ),
                (
                    "pt2",
                    |c| c.media = "dk-62".into(),
                    "unsupported_media",
                    Some("media"),
                ),
                ("pt", |_| {}, "printer_exists", None),
                ("ghost", |_| {}, "printer_exists", None),
            ];
            for (slug, spoil, code, named) in adds {
                let mut config = pt_printer(slug, "127.0.0.1:9");
                spoil(&mut config);
                let e = hub.add_printer(config).await.expect_err(slug);
                assert_eq!((e.code(), field(&e)), (code, named), "{slug}: {e}");
                assert_eq!(snapshot(&hub, &store).await, before, "{slug}: {e}");
            }
            hub.shutdown().await.expect("shutdown");
            (queued, before)
        })
    })
    .join()
    .expect("run 1");

    // Run 2: a new engine on the same file starts; every printer and queued job is back.
    let store = open(&db);
    let hub = Hub::start(HubConfig::default(), store.clone());
    let after = snapshot(&hub, &store).await;
    assert_eq!(after.rows, before.rows);
    assert_eq!(after.audit, before.audit);
    assert_eq!(
        after.printers.iter().map(|p| &p.0).collect::<Vec<_>>(),
        ["ghost", "pt"],
        "the stored row the registry did not run comes back too"
    );
    let pt = hub.printer("pt").await.expect("pt");
    assert_eq!(pt.address, "127.0.0.1:9");
    assert_eq!(pt.state, PrinterState::Paused);
    let queue: Vec<JobId> = hub
        .queue("pt")
        .await
        .expect("queue")
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(queue, queued, "no job was lost");
    for id in &queued {
        assert_eq!(hub.job(*id).await.expect("job").state, JobState::Queued);
    }
    hub.shutdown().await.expect("shutdown");
}

/// Waits until `slug` is offline with status reason `reason`.
async fn offline_because(
    hub: &HubHandle,
    slug: &str,
    reason: &str,
) -> printhub_actors::PrinterInfo {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let info = hub.printer(slug).await.expect("printer");
        if matches!(info.state, PrinterState::Offline { .. })
            && info.status.reason.as_deref() == Some(reason)
        {
            return info;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{slug} never offline because {reason}: {info:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix::test]
async fn a_printer_whose_address_stops_working_starts_offline_with_its_queue() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("hub.db");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).expect("emulator");
    let addr = emu.tcp_addr().to_string();
    let (db1, addr1) = (db.clone(), addr.clone());
    // Run 1: two paused printers with queued jobs.
    let (pt_jobs, old_jobs) = std::thread::spawn(move || {
        actix::System::new().block_on(async move {
            let hub = Hub::start(HubConfig::default(), open(&db1));
            let mut jobs = Vec::new();
            for slug in ["pt", "old"] {
                hub.add_printer(pt_printer(slug, &addr1))
                    .await
                    .expect("added");
                hub.pause_printer(slug).await.expect("paused");
                jobs.push(submit_many(&hub, slug, 0, 2).await);
            }
            hub.shutdown().await.expect("shutdown");
            (jobs[0].clone(), jobs[1].clone())
        })
    })
    .join()
    .expect("run 1");

    // Between runs, as if `pt` was renamed (its name no longer resolves) and `old`
    // was saved by a version that stored any address; both resumed.
    {
        let store = open(&db);
        for mut config in HubStore::load_printers(&*store).expect("rows") {
            config.paused = false;
            config.address = match config.slug.as_str() {
                "pt" => format!("pt.invalid:{}", emu.tcp_addr().port()),
                _ => "::::::".into(),
            };
            HubStore::save_printer(&*store, &config, "test").expect("saved");
        }
    }

    // Run 2: the hub starts; both printers are offline with the reason, queues listed.
    let hub = Hub::start(HubConfig::default(), open(&db));
    let pt = offline_because(&hub, "pt", "address_unresolvable").await;
    assert_eq!(pt.queue_depth, 2);
    let old = offline_because(&hub, "old", "invalid_address").await;
    assert_eq!(old.queue_depth, 2);
    let queue = |slug: &'static str| {
        let hub = hub.clone();
        async move {
            hub.queue(slug)
                .await
                .expect("queue")
                .iter()
                .map(|j| j.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(queue("pt").await, pt_jobs);
    assert_eq!(queue("old").await, old_jobs);
    assert!(emu.pages().is_empty(), "nothing printed while unreachable");

    // Fixed addresses: every queued job prints once, in order.
    let mut events = hub.subscribe();
    for slug in ["pt", "old"] {
        hub.update_printer(slug, patch("address", &addr))
            .await
            .expect("fixed");
    }
    let all: Vec<JobId> = pt_jobs.iter().chain(&old_jobs).copied().collect();
    let done = wait_terminal(&mut events, &all).await;
    assert!(
        done.iter().all(|(_, s)| *s == JobState::Completed),
        "{done:?}"
    );
    assert_eq!(printed(&emu, 4).await.len(), 4, "each job printed once");
    hub.shutdown().await.expect("shutdown");
}

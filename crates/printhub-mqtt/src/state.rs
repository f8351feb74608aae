//! The retained picture of the hub on the broker, as a sans-io state
//! machine: [`Model`] takes the engine's events (`handle_event`), the
//! printers as the engine lists them (`handle_printers`) and connection
//! changes (`handle_connected`), and [`Model::poll_publish`] returns the
//! messages that bring the broker from what it was last sent to what is
//! true now: discovery configs, state values and `<base>/status`.
//!
//! Only differences are sent; after a (re)connect or Home Assistant's birth
//! message everything is sent again, and a printer that is gone (removed,
//! or no longer allowed) has its retained topics cleared with an empty
//! payload, which also removes its entities from Home Assistant. Time is an
//! argument (`now`), for the "jobs today" counter's UTC day.

use std::collections::{BTreeMap, HashMap};

use printhub_actors::PrinterInfo;
use printhub_core::{Event, JobState, PrinterId, PrinterState, Timestamp};

use crate::discovery::{self, Context, PrinterDevice};
use crate::topics::{HubEntity, PrinterEntity, Topics};

/// One message for the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    /// Topic.
    pub topic: String,
    /// Payload (empty: clear the retained message).
    pub payload: String,
    /// Whether the broker keeps it for new subscribers.
    pub retain: bool,
}

/// A printer as its state topics show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterSnapshot {
    /// Who it is.
    pub device: PrinterDevice,
    /// `idle`, `printing`, ...
    pub state: &'static str,
    /// The stop reason, when stopped.
    pub stop_reason: Option<String>,
    /// The loaded medium (reported, else configured).
    pub media: Option<String>,
    /// Queued plus held jobs.
    pub queue_depth: usize,
    /// Whether the printer answers.
    pub online: bool,
}

impl PrinterSnapshot {
    /// The snapshot of an engine view.
    pub fn from_info(info: &PrinterInfo) -> PrinterSnapshot {
        let media = info
            .status
            .media
            .clone()
            .or_else(|| info.layout_media.clone())
            .filter(|m| !m.is_empty());
        PrinterSnapshot {
            device: PrinterDevice {
                id: info.id,
                slug: info.slug.clone(),
                name: info.name.clone(),
                model: info.model.clone(),
            },
            state: info.state.name(),
            stop_reason: info.state.reason().map(str::to_string),
            media,
            queue_depth: info.queue_depth,
            online: info.status.reachable && !matches!(info.state, PrinterState::Offline { .. }),
        }
    }

    /// The value of each state topic.
    pub fn value(&self, entity: PrinterEntity, last_job: Option<JobState>) -> String {
        match entity {
            PrinterEntity::State => self.state.to_string(),
            PrinterEntity::StopReason => self.stop_reason.clone().unwrap_or_else(none),
            PrinterEntity::Media => self.media.clone().unwrap_or_else(none),
            PrinterEntity::QueueDepth => self.queue_depth.to_string(),
            PrinterEntity::LastJob => last_job.map_or_else(none, |s| s.as_str().to_string()),
            PrinterEntity::Online => if self.online { "ON" } else { "OFF" }.to_string(),
        }
    }
}

fn none() -> String {
    "none".to_string()
}

/// Jobs created since 00:00 UTC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobsToday {
    day: i64,
    count: u64,
    /// Jobs created at or before this were counted by [`JobsToday::seed`].
    seeded_until: Option<Timestamp>,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

fn day_of(t: Timestamp) -> i64 {
    t.as_millis().div_euclid(DAY_MS)
}

impl JobsToday {
    /// Starts from `count` jobs created today up to `now`.
    pub fn seed(&mut self, count: u64, now: Timestamp) {
        self.day = day_of(now);
        self.count = count;
        self.seeded_until = Some(now);
    }

    /// A job was created at `at`.
    pub fn handle_created(&mut self, at: Timestamp) {
        if self.seeded_until.is_some_and(|s| at <= s) {
            return;
        }
        let day = day_of(at);
        if day > self.day {
            self.day = day;
            self.count = 0;
        }
        if day == self.day {
            self.count += 1;
        }
    }

    /// The count for `now`'s day (0 once the day is over).
    pub fn value(&self, now: Timestamp) -> u64 {
        if day_of(now) > self.day {
            0
        } else {
            self.count
        }
    }
}

/// The fixed facts of a [`Model`].
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// Topic layout.
    pub topics: Topics,
    /// printhub's version.
    pub version: String,
    /// The web UI's root.
    pub public_url: Option<String>,
    /// Whether the pause/resume buttons exist.
    pub buttons: bool,
    /// Exposed printers (slugs or ids); `None`: all.
    pub printers: Option<Vec<String>>,
}

/// What the broker should hold, and what it was sent (see the module doc).
#[derive(Debug)]
pub struct Model {
    config: ModelConfig,
    printers: BTreeMap<String, PrinterSnapshot>,
    last_job: HashMap<PrinterId, JobState>,
    jobs_today: JobsToday,
    published: BTreeMap<String, String>,
    resend_all: bool,
    stale: bool,
}

impl Model {
    /// A model that knows no printer yet and needs the engine's list.
    pub fn new(config: ModelConfig) -> Model {
        Model {
            config,
            printers: BTreeMap::new(),
            last_job: HashMap::new(),
            jobs_today: JobsToday::default(),
            published: BTreeMap::new(),
            resend_all: true,
            stale: true,
        }
    }

    /// Whether a printer (by slug and id) is exposed.
    pub fn allows(&self, slug: &str, id: &str) -> bool {
        self.config
            .printers
            .as_ref()
            .is_none_or(|list| list.iter().any(|p| p == slug || p == id))
    }

    /// An engine event: remembers job states and creations, and marks the
    /// printers for re-reading (queue depth and state come from the engine's view).
    pub fn handle_event(&mut self, event: &Event) {
        if let Event::JobStateChanged(change) = event {
            self.last_job.insert(change.printer_id, change.to);
            if change.from.is_none() {
                self.jobs_today.handle_created(change.at);
            }
        }
        self.stale = true;
    }

    /// Events were missed: everything is re-read.
    pub fn handle_missed(&mut self) {
        self.stale = true;
    }

    /// Whether the printers should be re-read from the engine.
    pub fn needs_refresh(&self) -> bool {
        self.stale
    }

    /// The engine's view of every printer (the allowed ones are kept).
    pub fn handle_printers(&mut self, infos: &[PrinterInfo]) {
        self.printers = infos
            .iter()
            .filter(|i| self.allows(&i.slug, &i.id.to_string()))
            .map(|i| (i.slug.clone(), PrinterSnapshot::from_info(i)))
            .collect();
        self.stale = false;
    }

    /// The newest job of a printer at start-up (events win over it).
    pub fn seed_last_job(&mut self, printer: PrinterId, state: JobState) {
        self.last_job.entry(printer).or_insert(state);
    }

    /// Jobs created today before the events began.
    pub fn seed_jobs_today(&mut self, count: u64, now: Timestamp) {
        self.jobs_today.seed(count, now);
    }

    /// Connected (again): the broker may have lost anything, send everything.
    /// Also for Home Assistant's birth message, after which it wants the
    /// discovery configs again.
    pub fn handle_connected(&mut self) {
        self.resend_all = true;
    }

    /// The exposed printers, by slug.
    pub fn printers(&self) -> impl Iterator<Item = &PrinterSnapshot> {
        self.printers.values()
    }

    /// Everything the broker should hold now, in publishing order: discovery
    /// configs, availability, then the state values.
    pub fn desired(&self, now: Timestamp) -> Vec<(String, String)> {
        let topics = &self.config.topics;
        let ctx = Context {
            topics,
            version: &self.config.version,
            public_url: self.config.public_url.as_deref(),
            buttons: self.config.buttons,
        };
        let mut out: Vec<(String, String)> = Vec::new();
        let mut configs = discovery::hub_configs(&ctx);
        for p in self.printers.values() {
            configs.extend(discovery::printer_configs(&ctx, &p.device));
        }
        out.extend(configs.into_iter().map(|(t, v)| (t, v.to_string())));
        out.push((topics.availability(), "online".into()));
        out.push((topics.hub(HubEntity::Version), self.config.version.clone()));
        out.push((
            topics.hub(HubEntity::Printers),
            self.printers.len().to_string(),
        ));
        out.push((
            topics.hub(HubEntity::JobsToday),
            self.jobs_today.value(now).to_string(),
        ));
        for p in self.printers.values() {
            let last_job = self.last_job.get(&p.device.id).copied();
            for entity in PrinterEntity::ALL {
                out.push((
                    topics.printer(&p.device.slug, entity),
                    p.value(entity, last_job),
                ));
            }
        }
        out
    }

    /// The messages that bring the broker up to date (all retained), and
    /// takes them as sent. Clears of vanished topics come first.
    pub fn poll_publish(&mut self, now: Timestamp) -> Vec<Publish> {
        let desired = self.desired(now);
        let wanted: BTreeMap<&str, &str> = desired
            .iter()
            .map(|(t, p)| (t.as_str(), p.as_str()))
            .collect();
        let mut out: Vec<Publish> = self
            .published
            .keys()
            .filter(|t| !wanted.contains_key(t.as_str()))
            .map(|t| Publish {
                topic: t.clone(),
                payload: String::new(),
                retain: true,
            })
            .collect();
        for (topic, payload) in &desired {
            if self.resend_all || self.published.get(topic) != Some(payload) {
                out.push(Publish {
                    topic: topic.clone(),
                    payload: payload.clone(),
                    retain: true,
                });
            }
        }
        self.published = desired.into_iter().collect();
        self.resend_all = false;
        out
    }

    /// Forgets that anything was sent (a publish could not be queued): the
    /// next [`Model::poll_publish`] sends everything again.
    pub fn handle_send_failed(&mut self) {
        self.resend_all = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use printhub_core::{JobId, JobStateChanged, PrinterStatus};

    const NOW: Timestamp = Timestamp::from_millis(1_700_000_000_000);

    fn info(slug: &str, n: u128, state: PrinterState) -> PrinterInfo {
        PrinterInfo {
            id: PrinterId::from_u128(n),
            slug: slug.into(),
            name: format!("Printer {slug}"),
            model: "PT-P750W".into(),
            media: "tze-12".into(),
            layout_media: Some("tze-12".into()),
            address: "127.0.0.1:9".into(),
            enabled: true,
            state,
            queue_depth: 0,
            printing: None,
            next_job: None,
            status: PrinterStatus {
                reachable: true,
                ready: true,
                ..PrinterStatus::default()
            },
            defaults: Default::default(),
        }
    }

    fn model(printers: Option<Vec<String>>) -> Model {
        Model::new(ModelConfig {
            topics: Topics::new("printhub", "homeassistant"),
            version: "0.1.0".into(),
            public_url: None,
            buttons: true,
            printers,
        })
    }

    fn values(out: &[Publish]) -> BTreeMap<String, String> {
        out.iter()
            .filter(|p| !p.topic.ends_with("/config"))
            .map(|p| (p.topic.clone(), p.payload.clone()))
            .collect()
    }

    fn job_event(printer: u128, from: Option<JobState>, to: JobState, at: Timestamp) -> Event {
        Event::JobStateChanged(JobStateChanged {
            job_id: JobId::from_u128(1),
            printer_id: PrinterId::from_u128(printer),
            batch_id: None,
            from,
            to,
            at,
        })
    }

    #[test]
    fn the_first_poll_sends_everything_then_only_changes() {
        let mut m = model(None);
        assert!(m.needs_refresh());
        m.handle_printers(&[info("pt", 1, PrinterState::Idle)]);
        assert!(!m.needs_refresh());
        let first = m.poll_publish(NOW);
        assert!(first.iter().all(|p| p.retain));
        assert_eq!(
            first
                .iter()
                .filter(|p| p.topic.ends_with("/config"))
                .count(),
            3 + 8
        );
        let v = values(&first);
        let expected: BTreeMap<String, String> = [
            ("printhub/status", "online"),
            ("printhub/_hub/version", "0.1.0"),
            ("printhub/_hub/printers", "1"),
            ("printhub/_hub/jobs_today", "0"),
            ("printhub/pt/state", "idle"),
            ("printhub/pt/stop_reason", "none"),
            ("printhub/pt/media", "tze-12"),
            ("printhub/pt/queue_depth", "0"),
            ("printhub/pt/last_job", "none"),
            ("printhub/pt/online", "ON"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(v, expected);
        // Nothing changed: nothing to send.
        assert_eq!(m.poll_publish(NOW), []);

        // A stop with a reason, a new job queued.
        m.handle_event(&job_event(1, None, JobState::Queued, NOW));
        assert!(m.needs_refresh());
        let mut stopped = info(
            "pt",
            1,
            PrinterState::Stopped {
                reason: "no_media".into(),
            },
        );
        stopped.queue_depth = 1;
        stopped.status.media = None;
        m.handle_printers(&[stopped]);
        let v = values(&m.poll_publish(NOW));
        let expected: BTreeMap<String, String> = [
            ("printhub/_hub/jobs_today", "1"),
            ("printhub/pt/state", "stopped"),
            ("printhub/pt/stop_reason", "no_media"),
            ("printhub/pt/queue_depth", "1"),
            ("printhub/pt/last_job", "queued"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(v, expected);
    }

    #[test]
    fn a_reconnect_sends_everything_again() {
        let mut m = model(None);
        m.handle_printers(&[info("pt", 1, PrinterState::Paused)]);
        let first = m.poll_publish(NOW);
        assert_eq!(m.poll_publish(NOW), []);
        m.handle_connected();
        assert_eq!(m.poll_publish(NOW), first);
    }

    #[test]
    fn a_vanished_printer_is_cleared_from_the_broker() {
        let mut m = model(None);
        m.handle_printers(&[
            info("pt", 1, PrinterState::Idle),
            info("ql", 2, PrinterState::Idle),
        ]);
        m.poll_publish(NOW);
        m.handle_printers(&[info("pt", 1, PrinterState::Idle)]);
        let out = m.poll_publish(NOW);
        let cleared: Vec<&str> = out
            .iter()
            .filter(|p| p.payload.is_empty())
            .map(|p| p.topic.as_str())
            .collect();
        assert_eq!(cleared.len(), 8 + 6, "{cleared:?}");
        assert!(cleared.iter().all(|t| t.contains("/ql")), "{cleared:?}");
        let changed = values(&out);
        assert_eq!(
            changed.get("printhub/_hub/printers").map(String::as_str),
            Some("1")
        );
    }

    #[test]
    fn the_allow_list_hides_other_printers() {
        let mut m = model(Some(vec!["ql".into()]));
        m.handle_printers(&[
            info("pt", 1, PrinterState::Idle),
            info("ql", 2, PrinterState::Idle),
        ]);
        let out = m.poll_publish(NOW);
        assert!(out.iter().all(|p| !p.topic.contains("/pt")));
        assert!(out.iter().any(|p| p.topic == "printhub/ql/state"));
        assert_eq!(m.printers().count(), 1);
    }

    #[test]
    fn offline_and_unreachable_printers_are_off() {
        let mut offline = info("pt", 1, PrinterState::Offline { since: NOW });
        offline.status.reachable = true;
        let s = PrinterSnapshot::from_info(&offline);
        assert_eq!(s.value(PrinterEntity::Online, None), "OFF");
        assert_eq!(s.value(PrinterEntity::State, None), "offline");
        let mut unreachable = info("pt", 1, PrinterState::Idle);
        unreachable.status.reachable = false;
        assert_eq!(
            PrinterSnapshot::from_info(&unreachable).value(PrinterEntity::Online, None),
            "OFF"
        );
    }

    #[test]
    fn jobs_today_counts_one_utc_day() {
        let day = 19_000 * DAY_MS;
        let at = |ms: i64| Timestamp::from_millis(day + ms);
        let mut j = JobsToday::default();
        j.seed(5, at(1000));
        j.handle_created(at(500)); // counted by the seed already
        assert_eq!(j.value(at(2000)), 5);
        j.handle_created(at(3000));
        assert_eq!(j.value(at(3000)), 6);
        // Midnight: the count starts again.
        assert_eq!(j.value(at(DAY_MS + 1)), 0);
        j.handle_created(at(DAY_MS + 5));
        assert_eq!(j.value(at(DAY_MS + 6)), 1);
        // A late event from yesterday does not count today.
        j.handle_created(at(DAY_MS - 1));
        assert_eq!(j.value(at(DAY_MS + 7)), 1);
    }

    #[test]
    fn the_last_job_follows_events_over_the_seed() {
        let mut m = model(None);
        m.handle_printers(&[info("pt", 1, PrinterState::Idle)]);
        m.seed_last_job(PrinterId::from_u128(1), JobState::Completed);
        let v = values(&m.poll_publish(NOW));
        assert_eq!(v["printhub/pt/last_job"], "completed");
        m.handle_event(&job_event(
            1,
            Some(JobState::Printing),
            JobState::Failed,
            NOW,
        ));
        m.seed_last_job(PrinterId::from_u128(1), JobState::Completed);
        let v = values(&m.poll_publish(NOW));
        assert_eq!(v["printhub/pt/last_job"], "failed");
    }
}

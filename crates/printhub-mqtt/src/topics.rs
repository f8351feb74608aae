//! Every topic printhub publishes or listens on, and the parsing of the
//! ones it listens on. Pure string mapping.
//!
//! ```text
//! <base>/status                          online | offline (retained; offline is the LWT)
//! <base>/<slug>/<entity>                 a printer's state values (retained), see PrinterEntity
//! <base>/_hub/<entity>                   the hub's own values (retained); `_` never starts a slug
//! <base>/<slug>/print                    print commands (JSON) → <base>/<slug>/print/result
//! <base>/<slug>/pause, …/resume          the buttons' command topics
//! <discovery>/<component>/<node>/<object>/config   Home Assistant discovery (retained)
//! <discovery>/status                     Home Assistant's birth message: online → re-publish
//! ```
//!
//! Printer slugs are `[a-z0-9-]`, so a slug is always one topic level and
//! never a wildcard.

/// A printer value published on `<base>/<slug>/<entity>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrinterEntity {
    /// `idle`, `printing`, `paused`, `stopped`, `offline`, `disabled`.
    State,
    /// Why a stopped printer needs a person (`no_media`, ...), else `none`.
    StopReason,
    /// The loaded medium's id (`tze-12`), or `none`.
    Media,
    /// Queued plus held jobs.
    QueueDepth,
    /// The state of the printer's most recently changed job, or `none`.
    LastJob,
    /// `ON` when the printer answers, else `OFF`.
    Online,
}

impl PrinterEntity {
    /// Every printer value, in the order they are published.
    pub const ALL: [PrinterEntity; 6] = [
        PrinterEntity::State,
        PrinterEntity::StopReason,
        PrinterEntity::Media,
        PrinterEntity::QueueDepth,
        PrinterEntity::LastJob,
        PrinterEntity::Online,
    ];

    /// The topic level (and the discovery object suffix).
    pub const fn key(self) -> &'static str {
        match self {
            PrinterEntity::State => "state",
            PrinterEntity::StopReason => "stop_reason",
            PrinterEntity::Media => "media",
            PrinterEntity::QueueDepth => "queue_depth",
            PrinterEntity::LastJob => "last_job",
            PrinterEntity::Online => "online",
        }
    }
}

/// A hub value published on `<base>/_hub/<entity>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HubEntity {
    /// The printhub version.
    Version,
    /// How many printers are exposed.
    Printers,
    /// Jobs created since 00:00 UTC.
    JobsToday,
}

impl HubEntity {
    /// Every hub value.
    pub const ALL: [HubEntity; 3] = [
        HubEntity::Version,
        HubEntity::Printers,
        HubEntity::JobsToday,
    ];

    /// The topic level (and the discovery object suffix).
    pub const fn key(self) -> &'static str {
        match self {
            HubEntity::Version => "version",
            HubEntity::Printers => "printers",
            HubEntity::JobsToday => "jobs_today",
        }
    }
}

/// A printer button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Button {
    /// Pause after the current copy.
    Pause,
    /// Resume a paused, stopped or offline printer.
    Resume,
}

impl Button {
    /// Both buttons.
    pub const ALL: [Button; 2] = [Button::Pause, Button::Resume];

    /// The topic level.
    pub const fn key(self) -> &'static str {
        match self {
            Button::Pause => "pause",
            Button::Resume => "resume",
        }
    }
}

/// A message printhub listens for, by its topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A print command for the printer with this slug.
    Print(String),
    /// A button pressed for the printer with this slug.
    Press(String, Button),
    /// Home Assistant's status (`online` after it starts).
    HaStatus,
}

/// The topic names of one hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    base: String,
    discovery: String,
    node: String,
}

/// The topic level under the base that holds the hub's own values.
pub const HUB_LEVEL: &str = "_hub";

impl Topics {
    /// Topics under `base` with Home Assistant's discovery under `discovery`.
    pub fn new(base: &str, discovery: &str) -> Topics {
        // The discovery node id allows only [a-zA-Z0-9_-].
        let node = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Topics {
            base: base.to_string(),
            discovery: discovery.to_string(),
            node,
        }
    }

    /// The discovery node id (the base topic, made safe).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// `<base>/status`: `online` / `offline` (the last will).
    pub fn availability(&self) -> String {
        format!("{}/status", self.base)
    }

    /// `<base>/<slug>/<entity>`.
    pub fn printer(&self, slug: &str, entity: PrinterEntity) -> String {
        format!("{}/{slug}/{}", self.base, entity.key())
    }

    /// `<base>/_hub/<entity>`.
    pub fn hub(&self, entity: HubEntity) -> String {
        format!("{}/{HUB_LEVEL}/{}", self.base, entity.key())
    }

    /// `<base>/<slug>/print`.
    pub fn print(&self, slug: &str) -> String {
        format!("{}/{slug}/print", self.base)
    }

    /// `<base>/<slug>/print/result`.
    pub fn print_result(&self, slug: &str) -> String {
        format!("{}/{slug}/print/result", self.base)
    }

    /// `<base>/<slug>/pause` or `.../resume`.
    pub fn button(&self, slug: &str, button: Button) -> String {
        format!("{}/{slug}/{}", self.base, button.key())
    }

    /// `<discovery>/status`, where Home Assistant announces itself.
    pub fn ha_status(&self) -> String {
        format!("{}/status", self.discovery)
    }

    /// `<discovery>/<component>/<node>/<object>/config`.
    pub fn discovery(&self, component: &str, object: &str) -> String {
        format!(
            "{}/{component}/{}/{object}/config",
            self.discovery, self.node
        )
    }

    /// The filters to subscribe to: commands for every printer and Home
    /// Assistant's status. With `commands` false (scope `read`), only the status.
    pub fn subscriptions(&self, commands: bool) -> Vec<String> {
        let mut filters = vec![self.ha_status()];
        if commands {
            filters.push(format!("{}/+/print", self.base));
            for b in Button::ALL {
                filters.push(format!("{}/+/{}", self.base, b.key()));
            }
        }
        filters
    }

    /// Checks an MQTT 5 response topic a print command asks its answer on.
    /// Refused: anything that is not a plain topic name (empty, wildcards,
    /// NUL, `$`-topics), and topics printhub owns or Home Assistant reads as
    /// configuration: everything under the discovery prefix, and everything
    /// under the base topic except `<base>/<slug>/print/result` and below
    /// (the answer would land on a state topic, or come back as a command).
    pub fn check_response_topic(&self, topic: &str) -> Result<(), String> {
        if topic.is_empty() {
            return Err("response_topic: must not be empty".into());
        }
        if topic.contains(['+', '#', '\0']) {
            return Err(format!(
                "response_topic: {topic:?} is a filter, not a topic (no + or #)"
            ));
        }
        if topic.starts_with('$') {
            return Err(format!(
                "response_topic: {topic:?}: topics starting with $ are the broker's"
            ));
        }
        let under = |root: &str| {
            topic == root
                || topic
                    .strip_prefix(root)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        if under(&self.discovery) {
            return Err(format!(
                "response_topic: {topic:?} is under Home Assistant's discovery prefix {:?}",
                self.discovery
            ));
        }
        if under(&self.base) {
            let answer_topic = topic
                .strip_prefix(&self.base)
                .and_then(|rest| rest.strip_prefix('/'))
                .and_then(|rest| rest.split_once('/'))
                .is_some_and(|(slug, rest)| {
                    !slug.is_empty()
                        && (rest == "print/result" || rest.starts_with("print/result/"))
                });
            if !answer_topic {
                return Err(format!(
                    "response_topic: {topic:?} is one of printhub's own topics; under {:?} only {}/<printer>/print/result[/...] may be used",
                    self.base, self.base
                ));
            }
        }
        Ok(())
    }

    /// What a received message is, by its topic; `None` for anything else.
    pub fn parse(&self, topic: &str) -> Option<Incoming> {
        if topic == self.ha_status() {
            return Some(Incoming::HaStatus);
        }
        let rest = topic.strip_prefix(&self.base)?.strip_prefix('/')?;
        let (slug, action) = rest.split_once('/')?;
        let slug_ok = !slug.is_empty()
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !slug_ok {
            return None;
        }
        match action {
            "print" => Some(Incoming::Print(slug.to_string())),
            "pause" => Some(Incoming::Press(slug.to_string(), Button::Pause)),
            "resume" => Some(Incoming::Press(slug.to_string(), Button::Resume)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_laid_out_as_documented() {
        let t = Topics::new("home/printhub", "homeassistant");
        assert_eq!(t.node(), "home_printhub");
        assert_eq!(t.availability(), "home/printhub/status");
        assert_eq!(
            t.printer("pt", PrinterEntity::QueueDepth),
            "home/printhub/pt/queue_depth"
        );
        assert_eq!(t.hub(HubEntity::JobsToday), "home/printhub/_hub/jobs_today");
        assert_eq!(t.print("pt"), "home/printhub/pt/print");
        assert_eq!(t.print_result("pt"), "home/printhub/pt/print/result");
        assert_eq!(t.button("pt", Button::Resume), "home/printhub/pt/resume");
        assert_eq!(
            t.discovery("binary_sensor", "pt_online"),
            "homeassistant/binary_sensor/home_printhub/pt_online/config"
        );
        assert_eq!(
            t.subscriptions(true),
            [
                "homeassistant/status",
                "home/printhub/+/print",
                "home/printhub/+/pause",
                "home/printhub/+/resume"
            ]
        );
        assert_eq!(t.subscriptions(false), ["homeassistant/status"]);
    }

    #[test]
    fn incoming_topics_parse_and_everything_else_is_ignored() {
        let t = Topics::new("printhub", "homeassistant");
        let cases: &[(&str, Option<Incoming>)] = &[
            ("printhub/pt/print", Some(Incoming::Print("pt".into()))),
            (
                "printhub/ql-2/pause",
                Some(Incoming::Press("ql-2".into(), Button::Pause)),
            ),
            (
                "printhub/ql-2/resume",
                Some(Incoming::Press("ql-2".into(), Button::Resume)),
            ),
            ("homeassistant/status", Some(Incoming::HaStatus)),
            ("printhub/pt/print/result", None),
            ("printhub/pt/state", None),
            ("printhub/_hub/print", None),
            ("printhub/PT/print", None),
            ("printhub//print", None),
            ("printhubx/pt/print", None),
            ("other/pt/print", None),
            ("printhub/status", None),
        ];
        for (topic, expected) in cases {
            assert_eq!(&t.parse(topic), expected, "{topic}");
        }
    }

    #[test]
    fn response_topics_are_checked() {
        let t = Topics::new("home/printhub", "homeassistant");
        for ok in [
            "ha/answers",
            "ha/answers/42",
            "home/printhub/pt/print/result",
            "home/printhub/pt/print/result/ha-42",
            "home/printhubx/anything",
            "homeassistantx/y",
            "x",
        ] {
            assert_eq!(t.check_response_topic(ok), Ok(()), "{ok}");
        }
        for (bad, needle) in [
            ("", "empty"),
            ("ha/+/x", "filter"),
            ("ha/#", "filter"),
            ("$SYS/x", "broker"),
            ("homeassistant/sensor/x/y/config", "discovery prefix"),
            ("homeassistant", "discovery prefix"),
            ("home/printhub/pt/print", "own topics"),
            ("home/printhub/pt/pause", "own topics"),
            ("home/printhub/pt/state", "own topics"),
            ("home/printhub/status", "own topics"),
            ("home/printhub", "own topics"),
            ("home/printhub//print/result", "own topics"),
            ("home/printhub/pt/print/resultx", "own topics"),
        ] {
            let err = t.check_response_topic(bad).expect_err(bad);
            assert!(err.starts_with("response_topic"), "{bad}: {err}");
            assert!(err.contains(needle), "{bad}: {err} should say {needle}");
        }
        // An allowed topic is never one the hub listens on.
        assert_eq!(t.parse("home/printhub/pt/print/result/ha-42"), None);
    }

    #[test]
    fn every_published_state_topic_is_one_no_subscription_matches() {
        // The hub must not hear its own state as a command.
        let t = Topics::new("printhub", "homeassistant");
        for e in PrinterEntity::ALL {
            assert_eq!(t.parse(&t.printer("pt", e)), None, "{e:?}");
        }
        for e in HubEntity::ALL {
            assert_eq!(t.parse(&t.hub(e)), None, "{e:?}");
        }
        assert_eq!(t.parse(&t.availability()), None);
        assert_eq!(t.parse(&t.print_result("pt")), None);
    }
}

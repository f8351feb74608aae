//! What a `[[notify]]` target is: [`TargetSettings`] as the file holds it,
//! validated into a [`Target`] by [`Target::parse`]. Pure; every refusal
//! names its field.

use std::collections::BTreeSet;
use std::time::Duration;

use printhub_lookup::Secret;

use crate::NotifyError;

/// The events a target can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotifyEvent {
    /// A job printed every copy.
    JobCompleted,
    /// The printer refused a job.
    JobFailed,
    /// Nobody knows whether a job's copy printed (connection lost, hub stopped).
    JobInterrupted,
    /// A printer needs a person (no tape, cover open, wrong tape, jam).
    PrinterStopped,
    /// A printer has been unreachable for `offline_after_s`.
    PrinterOffline,
    /// A printer that was reported offline answers again.
    PrinterOnline,
}

impl NotifyEvent {
    /// Every event.
    pub const ALL: [NotifyEvent; 6] = [
        NotifyEvent::JobCompleted,
        NotifyEvent::JobFailed,
        NotifyEvent::JobInterrupted,
        NotifyEvent::PrinterStopped,
        NotifyEvent::PrinterOffline,
        NotifyEvent::PrinterOnline,
    ];

    /// The wire name (`job_failed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::JobCompleted => "job_completed",
            NotifyEvent::JobFailed => "job_failed",
            NotifyEvent::JobInterrupted => "job_interrupted",
            NotifyEvent::PrinterStopped => "printer_stopped",
            NotifyEvent::PrinterOffline => "printer_offline",
            NotifyEvent::PrinterOnline => "printer_online",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<NotifyEvent> {
        NotifyEvent::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

/// One `[[notify]]` as the configuration file holds it.
#[derive(Debug, Clone)]
pub struct TargetSettings {
    /// A name for logs, metrics and the outbox folder (default `notify-<i>`).
    pub name: Option<String>,
    /// Where to POST.
    pub url: String,
    /// The HMAC-SHA256 key of `X-Printhub-Signature`.
    pub secret: Secret,
    /// Which events (default: all).
    pub events: Option<Vec<String>>,
    /// Which printers (slugs or ids; default: all).
    pub printers: Option<Vec<String>>,
    /// How long a printer is offline before `printer_offline` (default 300 s).
    pub offline_after_s: Option<u64>,
    /// How long one delivery may take (default 10 s).
    pub timeout_s: Option<u64>,
}

impl Default for TargetSettings {
    /// Empty (an empty secret is refused by [`Target::parse`]).
    fn default() -> Self {
        TargetSettings {
            name: None,
            url: String::new(),
            secret: Secret::new(""),
            events: None,
            printers: None,
            offline_after_s: None,
            timeout_s: None,
        }
    }
}

/// A validated notification target.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its name (`[a-z0-9_-]`).
    pub name: String,
    /// Where to POST (http or https).
    pub url: url::Url,
    /// The signing key (redacted in `Debug`).
    pub secret: Secret,
    /// The events it gets.
    pub events: BTreeSet<NotifyEvent>,
    /// The printers it hears about (slugs or ids); `None`: all.
    pub printers: Option<Vec<String>>,
    /// How long a printer stays offline before it is reported.
    pub offline_after: Duration,
    /// How long one delivery may take.
    pub timeout: Duration,
}

/// The shortest secret accepted.
pub const MIN_SECRET_LEN: usize = 16;

/// The default wait before `printer_offline`.
pub const DEFAULT_OFFLINE_AFTER: Duration = Duration::from_secs(300);

impl Target {
    /// Validates the `index`-th target; errors name `notify[index].<field>`.
    pub fn parse(index: usize, s: &TargetSettings) -> Result<Target, NotifyError> {
        let invalid = |field: &str, reason: String| NotifyError::InvalidConfig {
            field: format!("notify[{index}].{field}"),
            reason,
        };
        let name = s.name.clone().unwrap_or_else(|| format!("notify-{index}"));
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(invalid(
                "name",
                format!("{name:?} is not 1-64 characters of a-z, 0-9, - and _"),
            ));
        }
        let url = url::Url::parse(s.url.trim())
            .map_err(|e| invalid("url", format!("{:?} is not a URL: {e}", s.url)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(invalid(
                "url",
                format!("{:?}: use an http:// or https:// address", s.url),
            ));
        }
        if s.secret.len() < MIN_SECRET_LEN {
            return Err(invalid(
                "secret",
                format!(
                    "use a secret of {MIN_SECRET_LEN} characters or more (it has {})",
                    s.secret.len()
                ),
            ));
        }
        let events = match &s.events {
            None => NotifyEvent::ALL.into_iter().collect(),
            Some(names) => {
                let mut set = BTreeSet::new();
                for n in names {
                    let e = NotifyEvent::parse(n).ok_or_else(|| {
                        let known: Vec<&str> =
                            NotifyEvent::ALL.iter().map(|e| e.as_str()).collect();
                        invalid(
                            "events",
                            format!("unknown event {n:?} (known: {})", known.join(", ")),
                        )
                    })?;
                    set.insert(e);
                }
                if set.is_empty() {
                    return Err(invalid("events", "name at least one event".into()));
                }
                set
            }
        };
        if let Some(list) = &s.printers {
            if list.iter().any(|p| p.trim().is_empty()) {
                return Err(invalid("printers", "an entry is empty".into()));
            }
        }
        let offline_after = s
            .offline_after_s
            .map_or(DEFAULT_OFFLINE_AFTER, Duration::from_secs);
        if offline_after > Duration::from_secs(7 * 24 * 3600) {
            return Err(invalid("offline_after_s", "at most a week".into()));
        }
        let timeout = Duration::from_secs(s.timeout_s.unwrap_or(10));
        if !(1..=300).contains(&timeout.as_secs()) {
            return Err(invalid("timeout_s", "between 1 and 300 seconds".into()));
        }
        Ok(Target {
            name,
            url,
            secret: s.secret.clone(),
            events,
            printers: s.printers.clone(),
            offline_after,
            timeout,
        })
    }

    /// Whether the target hears about this printer.
    pub fn covers(&self, slug: &str, id: &str) -> bool {
        self.printers
            .as_ref()
            .is_none_or(|list| list.iter().any(|p| p == slug || p == id))
    }
}

/// Validates every target; names must be unique (they name outbox folders).
pub fn parse_targets(settings: &[TargetSettings]) -> Result<Vec<Target>, NotifyError> {
    let mut targets: Vec<Target> = Vec::new();
    for (i, s) in settings.iter().enumerate() {
        let t = Target::parse(i, s)?;
        if targets.iter().any(|o| o.name == t.name) {
            return Err(NotifyError::InvalidConfig {
                field: format!("notify[{i}].name"),
                reason: format!("{:?} is used twice", t.name),
            });
        }
        targets.push(t);
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> TargetSettings {
        TargetSettings {
            url: "https://hooks.example.com/printhub".into(),
            secret: Secret::new("0123456789abcdef"),
            ..TargetSettings::default()
        }
    }

    #[test]
    fn defaults() {
        let t = Target::parse(2, &ok()).expect("valid");
        assert_eq!(t.name, "notify-2");
        assert_eq!(t.events.len(), 6);
        assert_eq!(t.offline_after, Duration::from_secs(300));
        assert!(t.covers("any", "id"));
        assert!(!format!("{t:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn bad_targets_name_their_field() {
        let cases: Vec<(TargetSettings, &str)> = vec![
            (
                TargetSettings {
                    url: "ftp://x".into(),
                    ..ok()
                },
                "notify[0].url",
            ),
            (
                TargetSettings {
                    url: "nope".into(),
                    ..ok()
                },
                "notify[0].url",
            ),
            (
                TargetSettings {
                    secret: Secret::new("short"),
                    ..ok()
                },
                "notify[0].secret",
            ),
            (
                TargetSettings {
                    events: Some(vec!["job_exploded".into()]),
                    ..ok()
                },
                "notify[0].events",
            ),
            (
                TargetSettings {
                    events: Some(vec![]),
                    ..ok()
                },
                "notify[0].events",
            ),
            (
                TargetSettings {
                    printers: Some(vec!["".into()]),
                    ..ok()
                },
                "notify[0].printers",
            ),
            (
                TargetSettings {
                    name: Some("Has Space".into()),
                    ..ok()
                },
                "notify[0].name",
            ),
            (
                TargetSettings {
                    offline_after_s: Some(10_000_000),
                    ..ok()
                },
                "notify[0].offline_after_s",
            ),
            (
                TargetSettings {
                    timeout_s: Some(0),
                    ..ok()
                },
                "notify[0].timeout_s",
            ),
        ];
        for (s, field) in cases {
            match Target::parse(0, &s) {
                Err(NotifyError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field} should be refused: {other:?}"),
            }
        }
        let twice = parse_targets(&[
            TargetSettings {
                name: Some("a".into()),
                ..ok()
            },
            TargetSettings {
                name: Some("a".into()),
                ..ok()
            },
        ]);
        assert!(
            matches!(twice, Err(NotifyError::InvalidConfig { field, .. }) if field == "notify[1].name")
        );
    }

    #[test]
    fn event_names_round_trip() {
        for e in NotifyEvent::ALL {
            assert_eq!(NotifyEvent::parse(e.as_str()), Some(e));
        }
    }
}

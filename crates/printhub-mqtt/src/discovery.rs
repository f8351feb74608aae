//! Home Assistant MQTT discovery: the retained config messages that make
//! one HA device per printer (state, stop reason, loaded medium, queue
//! depth, last job state, online, and the pause/resume buttons) and one for
//! the hub itself (version, printers, jobs today). Pure: data in, `(topic,
//! JSON)` out.
//!
//! Every entity names its device (identifiers from the printer's id, so a
//! config survives renames), the availability topic `<base>/status` with
//! `online`/`offline`, and `has_entity_name`, so HA shows "`<printer> State`".
//! A printer's device links to its page in the web UI when a public URL is
//! configured, and sits `via_device` under the hub.

use printhub_core::{JobState, PrinterId};
use serde_json::{json, Map, Value};

use crate::topics::{Button, HubEntity, PrinterEntity, Topics};

/// The printer states the `state` sensor takes (its enum options).
pub const PRINTER_STATES: [&str; 6] = [
    "idle", "printing", "paused", "stopped", "offline", "disabled",
];

/// What discovery needs to know about a printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterDevice {
    /// Stable id (device identifier and unique ids).
    pub id: PrinterId,
    /// Slug (topics and object ids).
    pub slug: String,
    /// Display name (the HA device name).
    pub name: String,
    /// Brother model.
    pub model: String,
}

/// The hub-wide facts every config carries.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The topic layout.
    pub topics: &'a Topics,
    /// printhub's version.
    pub version: &'a str,
    /// The web UI's root, if known (no trailing slash).
    pub public_url: Option<&'a str>,
    /// Whether the pause/resume buttons exist (scope `print`).
    pub buttons: bool,
}

impl Context<'_> {
    /// The hub device's identifier.
    pub fn hub_identifier(&self) -> String {
        format!("printhub_{}", self.topics.node())
    }

    fn origin(&self) -> Value {
        json!({ "name": "printhub", "sw_version": self.version })
    }

    /// The fields every entity shares: unique id, availability, device, origin.
    fn base(&self, name: &str, unique_id: String, device: &Value) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        m.insert("unique_id".into(), json!(unique_id));
        m.insert("has_entity_name".into(), json!(true));
        m.insert(
            "availability_topic".into(),
            json!(self.topics.availability()),
        );
        m.insert("payload_available".into(), json!("online"));
        m.insert("payload_not_available".into(), json!("offline"));
        m.insert("device".into(), device.clone());
        m.insert("origin".into(), self.origin());
        m
    }
}

/// Every discovery config of one printer, `(topic, config)`, in a fixed order.
pub fn printer_configs(ctx: &Context<'_>, p: &PrinterDevice) -> Vec<(String, Value)> {
    let id = p.id.into_uuid().simple().to_string();
    let mut device = json!({
        "identifiers": [format!("printhub_{id}")],
        "name": p.name,
        "manufacturer": "Brother",
        "model": p.model,
        "via_device": ctx.hub_identifier(),
    });
    if let Some(url) = ctx.public_url {
        device["configuration_url"] = json!(format!("{url}/#/jobs?printer={}", p.slug));
    }
    let topics = ctx.topics;
    let mut out = Vec::new();
    for entity in PrinterEntity::ALL {
        let key = entity.key();
        let unique = format!("printhub_{id}_{key}");
        let state_topic = topics.printer(&p.slug, entity);
        let (component, name, extra) = match entity {
            PrinterEntity::State => (
                "sensor",
                "State",
                json!({ "device_class": "enum", "options": PRINTER_STATES, "icon": "mdi:printer" }),
            ),
            PrinterEntity::StopReason => (
                "sensor",
                "Stop reason",
                json!({ "icon": "mdi:alert-circle-outline" }),
            ),
            PrinterEntity::Media => (
                "sensor",
                "Loaded medium",
                json!({ "icon": "mdi:label-outline" }),
            ),
            PrinterEntity::QueueDepth => (
                "sensor",
                "Queue depth",
                json!({ "state_class": "measurement", "unit_of_measurement": "jobs", "icon": "mdi:tray-full" }),
            ),
            PrinterEntity::LastJob => {
                let mut options = vec!["none"];
                options.extend(JobState::ALL.iter().map(|s| s.as_str()));
                (
                    "sensor",
                    "Last job",
                    json!({ "device_class": "enum", "options": options, "icon": "mdi:file-document-outline" }),
                )
            }
            PrinterEntity::Online => (
                "binary_sensor",
                "Online",
                json!({
                    "device_class": "connectivity",
                    "payload_on": "ON",
                    "payload_off": "OFF",
                    "entity_category": "diagnostic",
                }),
            ),
        };
        let mut config = ctx.base(name, unique, &device);
        config.insert("state_topic".into(), json!(state_topic));
        if let Value::Object(extra) = extra {
            config.extend(extra);
        }
        out.push((
            topics.discovery(component, &format!("{}_{key}", p.slug)),
            Value::Object(config),
        ));
    }
    if ctx.buttons {
        for button in Button::ALL {
            let key = button.key();
            let (name, icon) = match button {
                Button::Pause => ("Pause", "mdi:pause"),
                Button::Resume => ("Resume", "mdi:play"),
            };
            let mut config = ctx.base(name, format!("printhub_{id}_{key}"), &device);
            config.insert(
                "command_topic".into(),
                json!(topics.button(&p.slug, button)),
            );
            config.insert("payload_press".into(), json!("PRESS"));
            config.insert("icon".into(), json!(icon));
            out.push((
                topics.discovery("button", &format!("{}_{key}", p.slug)),
                Value::Object(config),
            ));
        }
    }
    out
}

/// The hub device's configs, `(topic, config)`.
pub fn hub_configs(ctx: &Context<'_>) -> Vec<(String, Value)> {
    let hub_id = ctx.hub_identifier();
    let name = if ctx.topics.node() == "printhub" {
        "printhub".to_string()
    } else {
        format!("printhub ({})", ctx.topics.node())
    };
    let mut device = json!({
        "identifiers": [hub_id],
        "name": name,
        "manufacturer": "printhub",
        "model": "Label print hub",
        "sw_version": ctx.version,
    });
    if let Some(url) = ctx.public_url {
        device["configuration_url"] = json!(format!("{url}/"));
    }
    HubEntity::ALL
        .iter()
        .map(|&entity| {
            let key = entity.key();
            let (name, extra) = match entity {
                HubEntity::Version => (
                    "Version",
                    json!({ "entity_category": "diagnostic", "icon": "mdi:information-outline" }),
                ),
                HubEntity::Printers => (
                    "Printers",
                    json!({ "state_class": "measurement", "icon": "mdi:printer-settings" }),
                ),
                HubEntity::JobsToday => (
                    "Jobs today",
                    json!({ "state_class": "total_increasing", "unit_of_measurement": "jobs", "icon": "mdi:counter" }),
                ),
            };
            let mut config = ctx.base(name, format!("{hub_id}_{key}"), &device);
            config.insert("state_topic".into(), json!(ctx.topics.hub(entity)));
            if let Value::Object(extra) = extra {
                config.extend(extra);
            }
            (
                ctx.topics.discovery("sensor", &format!("hub_{key}")),
                Value::Object(config),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn device() -> PrinterDevice {
        PrinterDevice {
            id: PrinterId::from_u128(0x2a),
            slug: "pt".into(),
            name: "Label maker".into(),
            model: "PT-P750W".into(),
        }
    }

    /// Compares with the golden file, or rewrites it with `UPDATE_EXPECT=1`.
    fn check_golden(name: &str, actual: &Value) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        let text = serde_json::to_string_pretty(actual).expect("json") + "\n";
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&path, &text).expect("write golden");
        }
        let golden =
            std::fs::read_to_string(&path).expect("golden file (UPDATE_EXPECT=1 makes it)");
        let expected: Value = serde_json::from_str(&golden).expect("golden parses");
        assert_eq!(
            actual, &expected,
            "{name} differs; UPDATE_EXPECT=1 rewrites it"
        );
    }

    #[test]
    fn a_printer_and_the_hub_match_the_golden_discovery() {
        let topics = Topics::new("printhub", "homeassistant");
        let ctx = Context {
            topics: &topics,
            version: "0.1.0",
            public_url: Some("https://labels.example.com"),
            buttons: true,
        };
        let printer: Map<String, Value> = printer_configs(&ctx, &device()).into_iter().collect();
        check_golden("discovery_printer.json", &Value::Object(printer));
        let hub: Map<String, Value> = hub_configs(&ctx).into_iter().collect();
        check_golden("discovery_hub.json", &Value::Object(hub));
    }

    #[test]
    fn every_config_is_complete_and_unique() {
        let topics = Topics::new("printhub", "homeassistant");
        let ctx = Context {
            topics: &topics,
            version: "0.1.0",
            public_url: None,
            buttons: true,
        };
        let mut other = device();
        other.id = PrinterId::from_u128(0x2b);
        other.slug = "ql".into();
        let mut all = hub_configs(&ctx);
        all.extend(printer_configs(&ctx, &device()));
        all.extend(printer_configs(&ctx, &other));
        assert_eq!(all.len(), 3 + 2 * 8);
        let mut unique_ids = HashSet::new();
        let mut config_topics = HashSet::new();
        for (topic, config) in &all {
            assert!(topic.starts_with("homeassistant/") && topic.ends_with("/config"));
            assert!(config_topics.insert(topic.clone()), "{topic} twice");
            let id = config["unique_id"].as_str().expect("unique_id");
            assert!(unique_ids.insert(id.to_string()), "{id} twice");
            assert_eq!(config["availability_topic"], "printhub/status");
            assert!(config["device"]["identifiers"][0].is_string());
            assert!(config.get("configuration_url").is_none());
            assert!(config["device"].get("configuration_url").is_none());
            let component = topic.split('/').nth(1).expect("component");
            match component {
                "sensor" | "binary_sensor" => assert!(config["state_topic"].is_string()),
                "button" => assert!(config["command_topic"].is_string()),
                other => panic!("unexpected component {other}"),
            }
        }
    }

    #[test]
    fn scope_read_has_no_buttons() {
        let topics = Topics::new("printhub", "homeassistant");
        let ctx = Context {
            topics: &topics,
            version: "0.1.0",
            public_url: None,
            buttons: false,
        };
        let configs = printer_configs(&ctx, &device());
        assert_eq!(configs.len(), 6);
        assert!(configs.iter().all(|(t, _)| !t.contains("/button/")));
    }

    #[test]
    fn the_state_sensor_lists_every_printer_state_name() {
        use printhub_core::PrinterState;
        let states = [
            PrinterState::Idle,
            PrinterState::Printing,
            PrinterState::Paused,
            PrinterState::Stopped { reason: "x".into() },
            PrinterState::Offline {
                since: printhub_core::Timestamp::EPOCH,
            },
            PrinterState::Disabled,
        ];
        for s in states {
            assert!(PRINTER_STATES.contains(&s.name()), "{s:?}");
        }
    }
}

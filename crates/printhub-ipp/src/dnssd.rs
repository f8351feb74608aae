//! What a hub printer says about itself over DNS-SD (Bonjour), so that
//! phones and computers find it without being told its address: the
//! service types, the instance name and the TXT record IPP Everywhere
//! clients read before they ask the printer anything (PWG 5100.14 §4.2,
//! with the keys of Apple's Bonjour Printing Specification that CUPS, iOS
//! and Android read: `rp`, `ty`, `pdl`, `URF`, `UUID`, `Color`, `kind`…).
//!
//! Every value comes from the same functions as the printer's IPP
//! attributes (`printer-make-and-model`, `urf-supported`,
//! `document-format-supported`, `printer-uuid`), so the two never disagree.
//! Pure: the daemon that sends them lives in the `printhub` binary.

use printhub_raster::model::Model;
use uuid::Uuid;

use crate::printer::{make_and_model, urf_keywords, Authentication, DOCUMENT_FORMATS};

/// The IPP service type every IPP client browses.
pub const SERVICE_TYPE: &str = "_ipp._tcp.local.";

/// The `_print` subtype: "an IPP printer that prints", which some clients
/// (and CUPS's driverless listing) browse instead of the whole type.
pub const PRINT_SUBTYPE: &str = "_print._sub._ipp._tcp.local.";

/// The longest instance name DNS allows in one label, in bytes.
pub const MAX_INSTANCE_NAME: usize = 63;

/// The longest `key=value` string of a TXT record, in bytes (RFC 6763 §6.1).
pub const MAX_TXT_ENTRY: usize = 255;

/// One hub printer, as DNS-SD shows it.
#[derive(Debug, Clone, Copy)]
pub struct Advertised<'a> {
    /// The hub's slug (the IPP path is `ipp/print/{slug}`).
    pub slug: &'a str,
    /// The hub's display name of the printer.
    pub name: &'a str,
    /// The printer's model.
    pub model: &'static Model,
    /// `printer-uuid` without its `urn:uuid:` prefix.
    pub uuid: Uuid,
    /// The web UI (`adminurl`), e.g. `http://hub.local:8080/`.
    pub admin_url: &'a str,
    /// How clients authenticate on the IPP listener (`air`).
    pub authentication: Authentication,
}

/// The service instance name: the display name with the slug (slugs are
/// unique, display names need not be), cut on a character boundary so the
/// whole fits one DNS label; just the slug when the name is empty or is
/// the slug.
pub fn instance_name(slug: &str, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() || name == slug {
        return cut(slug, MAX_INSTANCE_NAME).to_string();
    }
    let suffix = format!(" ({slug})");
    let room = MAX_INSTANCE_NAME.saturating_sub(suffix.len());
    if room == 0 {
        return cut(slug, MAX_INSTANCE_NAME).to_string();
    }
    format!("{}{suffix}", cut(name, room).trim_end())
}

/// The longest prefix of `s` of at most `max` bytes that ends on a
/// character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The TXT record of one printer, key and value in the order they are
/// sent (`txtvers` first, as the Bonjour Printing Specification asks).
pub fn txt_record(printer: &Advertised<'_>) -> Vec<(&'static str, String)> {
    let pdl: Vec<&str> = DOCUMENT_FORMATS
        .iter()
        .copied()
        .filter(|f| *f != "application/octet-stream")
        .collect();
    vec![
        ("txtvers", "1".into()),
        ("qtotal", "1".into()),
        ("rp", format!("ipp/print/{}", printer.slug)),
        ("ty", make_and_model(printer.model)),
        ("product", format!("({})", printer.model.name)),
        ("pdl", pdl.join(",")),
        ("URF", urf_keywords(printer.model).join(",")),
        ("UUID", printer.uuid.to_string()),
        ("Color", "F".into()),
        ("Duplex", "F".into()),
        ("kind", "label".into()),
        ("adminurl", printer.admin_url.to_string()),
        ("note", String::new()),
        ("priority", "50".into()),
        (
            "air",
            match printer.authentication {
                Authentication::None => "none",
                Authentication::Basic => "username,password",
            }
            .into(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ql() -> &'static Model {
        Model::by_name("QL-820NWB").expect("model")
    }

    fn record(slug: &str, authentication: Authentication) -> Vec<(&'static str, String)> {
        txt_record(&Advertised {
            slug,
            name: "Shipping",
            model: ql(),
            uuid: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
            admin_url: "http://192.0.2.7:8080/",
            authentication,
        })
    }

    fn value<'a>(txt: &'a [(&'static str, String)], key: &str) -> Option<&'a str> {
        txt.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_txt_record_has_every_key_ipp_everywhere_clients_read() {
        let txt = record("ql", Authentication::None);
        assert_eq!(txt[0], ("txtvers", "1".to_string()));
        let expect = [
            ("qtotal", "1"),
            ("rp", "ipp/print/ql"),
            ("ty", "Brother QL-820NWB"),
            ("product", "(QL-820NWB)"),
            ("pdl", "image/jpeg,image/png,image/pwg-raster,image/urf"),
            ("URF", "V1.4,W8,SRGB24,CP1,DM1,RS300"),
            ("UUID", "01234567-89ab-cdef-0123-456789abcdef"),
            ("Color", "F"),
            ("kind", "label"),
            ("adminurl", "http://192.0.2.7:8080/"),
            ("note", ""),
            ("priority", "50"),
            ("air", "none"),
        ];
        for (key, want) in expect {
            assert_eq!(value(&txt, key), Some(want), "{key}");
        }
        // One of each key.
        let mut keys: Vec<&str> = txt.iter().map(|(k, _)| *k).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), txt.len());
    }

    #[test]
    fn the_record_follows_the_printer_attributes() {
        // Same make and model, URF keywords and formats as the attributes.
        let txt = record("ql", Authentication::Basic);
        assert_eq!(value(&txt, "ty"), Some(make_and_model(ql()).as_str()));
        let urf: Vec<String> = crate::printer::urf_supported(ql())
            .iter()
            .map(|v| v.to_string())
            .collect();
        assert_eq!(value(&txt, "URF"), Some(urf.join(",").as_str()));
        assert_eq!(value(&txt, "air"), Some("username,password"));
        // A 180 dpi PT model says so.
        let pt = Model::by_name("PT-P750W").expect("model");
        let txt = txt_record(&Advertised {
            slug: "pt",
            name: "",
            model: pt,
            uuid: Uuid::nil(),
            admin_url: "http://h/",
            authentication: Authentication::None,
        });
        assert!(value(&txt, "URF").is_some_and(|u| u.ends_with(&format!("RS{}", pt.dpi()))));
        assert_eq!(value(&txt, "ty"), Some("Brother PT-P750W"));
    }

    #[test]
    fn every_entry_fits_a_txt_string_even_for_the_longest_slug() {
        let slug = "s".repeat(64);
        for (key, value) in record(&slug, Authentication::Basic) {
            assert!(key.len() + 1 + value.len() <= MAX_TXT_ENTRY, "{key}");
            assert!(!key.contains('=') && key.is_ascii());
        }
    }

    #[test]
    fn instance_names_are_unique_by_slug_and_fit_one_label() {
        assert_eq!(instance_name("ql", "Shipping"), "Shipping (ql)");
        assert_eq!(instance_name("ql", "ql"), "ql");
        assert_eq!(instance_name("ql", "  "), "ql");
        let long = "Étiquettes de l'atelier ".repeat(5);
        let name = instance_name("ql", &long);
        assert!(name.len() <= MAX_INSTANCE_NAME, "{name}");
        assert!(name.ends_with(" (ql)") && name.starts_with("Étiquettes"));
        let slug = "s".repeat(64);
        assert_eq!(instance_name(&slug, "Shipping").len(), MAX_INSTANCE_NAME);
    }
}

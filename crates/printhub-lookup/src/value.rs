//! Reading upstream JSON as the apps really send it: numbers that arrive as
//! strings (Grocy), HTML-escaped strings (Snipe-IT), dates with or without a
//! time, and field names made safe for template placeholders.

use serde_json::Value;

/// A string or number as text; `None` for null, empty, objects and arrays.
pub(crate) fn text(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => number(n.as_f64()?),
        Value::Bool(b) => u8::from(*b).to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// `text`, with HTML entities decoded (Snipe-IT escapes every string it returns).
pub(crate) fn unescaped(v: Option<&Value>) -> Option<String> {
    text(v).map(|s| html_escape::decode_html_entities(&s).into_owned())
}

/// A whole number from a number or a numeric string (`12`, `"12"`, `"12.0"`).
pub(crate) fn int(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<u64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            })
        }
        _ => None,
    }
}

/// A real number from a number or a numeric string.
pub(crate) fn float(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// A number without a trailing `.0` (`1`, `2.5`).
pub(crate) fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        let s = format!("{f:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The `YYYY-MM-DD` part of a date or date-time (`2026-05-01 12:00:00`), if it has one.
pub(crate) fn date(s: &str) -> Option<String> {
    let d = s.trim().get(..10)?;
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10))
        .then(|| d.to_string())
}

/// `name` as a template placeholder: lower case ASCII letters, digits and `_`.
pub(crate) fn field_name(prefix: &str, name: &str) -> String {
    let mut out = String::from(prefix);
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_arrive_as_numbers_or_strings() {
        assert_eq!(int(Some(&json!(12))), Some(12));
        assert_eq!(int(Some(&json!("12"))), Some(12));
        assert_eq!(int(Some(&json!("12.0"))), Some(12));
        assert_eq!(int(Some(&json!("1.5"))), None);
        assert_eq!(int(Some(&json!(null))), None);
        assert_eq!(float(Some(&json!("742.5"))), Some(742.5));
        assert_eq!(text(Some(&json!(3.0))), Some("3".into()));
        assert_eq!(text(Some(&json!("  "))), None);
        assert_eq!(number(742.25), "742.25");
        assert_eq!(number(1000.0), "1000");
        assert_eq!(number(0.1 + 0.2), "0.3");
    }

    #[test]
    fn html_entities_are_decoded() {
        assert_eq!(
            unescaped(Some(&json!(
                "Dell &amp; Sons &quot;XPS&quot; &lt;13&gt; &#039;22"
            ))),
            Some("Dell & Sons \"XPS\" <13> '22".into())
        );
    }

    #[test]
    fn dates_and_field_names() {
        assert_eq!(date("2026-05-01 12:00:00"), Some("2026-05-01".into()));
        assert_eq!(date("2026-05-01"), Some("2026-05-01".into()));
        assert_eq!(date("DD: 2026"), None);
        assert_eq!(date("täglich"), None);
        assert_eq!(field_name("extra_", "NFC Tag-ID"), "extra_nfc_tag_id");
        assert_eq!(field_name("cf_", " MAC Address "), "cf_mac_address");
    }
}

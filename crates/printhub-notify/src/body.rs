//! What a notification says and how it is signed. Pure.
//!
//! The body is JSON: `{"id", "event", "at", "printer", "job"?, "reason"?}`
//! with `at` in RFC 3339 UTC (`Z`, milliseconds) and `printer` the slug;
//! `id` is the same on every retry of one notification (delivery is at
//! least once: receivers may drop an `id` they have seen). The header
//! `X-Printhub-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact
//! body bytes under the target's secret.

use std::time::{Duration, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use printhub_core::{JobId, Timestamp};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::config::NotifyEvent;

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "X-Printhub-Signature";
/// A header naming the event, so receivers can route without parsing.
pub const EVENT_HEADER: &str = "X-Printhub-Event";

/// One notification, before it is a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// What happened.
    pub event: NotifyEvent,
    /// When.
    pub at: Timestamp,
    /// The printer's slug.
    pub printer: String,
    /// The job, for job events.
    pub job: Option<JobId>,
    /// Why (a stop reason, a job's error code).
    pub reason: Option<String>,
}

/// RFC 3339 UTC with milliseconds and `Z`; times before 1970 are clamped to it.
pub fn rfc3339(at: Timestamp) -> String {
    let ms = u64::try_from(at.as_millis()).unwrap_or(0);
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

impl Notice {
    /// The body with delivery id `id`, as the exact bytes that are signed and sent.
    pub fn body(&self, id: &str) -> String {
        let mut m = Map::new();
        m.insert("id".into(), json!(id));
        m.insert("event".into(), json!(self.event.as_str()));
        m.insert("at".into(), json!(rfc3339(self.at)));
        m.insert("printer".into(), json!(self.printer));
        if let Some(job) = self.job {
            m.insert("job".into(), json!(job.to_string()));
        }
        if let Some(reason) = &self.reason {
            m.insert("reason".into(), json!(reason));
        }
        Value::Object(m).to_string()
    }
}

/// `sha256=<lowercase hex of HMAC-SHA256(secret, body)>`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length; new_from_slice cannot fail for it.
    let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).map(|mut mac| {
        mac.update(body);
        mac.finalize().into_bytes()
    });
    let digest = match mac {
        Ok(d) => d,
        Err(_) => return String::from("sha256="),
    };
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_rfc_4231_hmac_sha256() {
        // RFC 4231, test case 1 and 2.
        assert_eq!(
            sign(&[0x0b; 20], b"Hi There"),
            "sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn bodies_are_exactly_as_documented() {
        let cases = [
            (
                Notice {
                    event: NotifyEvent::JobFailed,
                    at: Timestamp::from_millis(1_700_000_000_123),
                    printer: "pt".into(),
                    job: Some(JobId::from_u128(7)),
                    reason: Some("media_mismatch".into()),
                },
                r#"{"at":"2023-11-14T22:13:20.123Z","event":"job_failed","id":"d-1","job":"00000000-0000-0000-0000-000000000007","printer":"pt","reason":"media_mismatch"}"#,
            ),
            (
                Notice {
                    event: NotifyEvent::PrinterOnline,
                    at: Timestamp::from_millis(0),
                    printer: "ql".into(),
                    job: None,
                    reason: None,
                },
                r#"{"at":"1970-01-01T00:00:00.000Z","event":"printer_online","id":"d-1","printer":"ql"}"#,
            ),
        ];
        for (notice, expected) in cases {
            assert_eq!(notice.body("d-1"), expected);
        }
    }
}

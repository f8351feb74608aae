//! A status block (from `ESC i S` on TCP or USB, or Brother's SNMP object)
//! turned into a [`PrinterStatus`]: the reason a person is needed, every
//! error as a stable code, and the loaded media from the catalogue.

use printhub_core::PrinterStatus;
use printhub_raster::{Media, Model, Status};

/// A status read that got an answer: ready unless it gave a reason to stop.
pub(super) fn answered(
    reason: Option<String>,
    errors: Vec<String>,
    media: Option<String>,
    source: &str,
) -> PrinterStatus {
    PrinterStatus {
        reachable: true,
        ready: reason.is_none(),
        reason,
        media,
        errors,
        last_seen: None,
        source: Some(source.into()),
        expected_media: None,
    }
}

/// Turns a status block into a [`PrinterStatus`]; an unreadable block is "reachable, state unknown".
pub(crate) fn status_from_block(model: &Model, block: &[u8], source: &str) -> PrinterStatus {
    let Ok(status) = Status::parse(block) else {
        // It answered, but not in a form we can read: reachable, state unknown, not a stop.
        return PrinterStatus {
            reachable: true,
            ready: false,
            errors: vec!["garbled_status".into()],
            source: Some(source.into()),
            ..PrinterStatus::default()
        };
    };
    let reason = status.reason().map(|r| r.code().to_string());
    let errors = status_errors(&status);
    let media = (status.media_width_mm != 0)
        .then(|| {
            Media::from_status(
                model.family,
                status.media_width_mm,
                status.media_type,
                status.media_length_mm,
            )
        })
        .flatten()
        .map(|m| m.id.to_string());
    answered(reason, errors, media, source)
}

fn status_errors(status: &Status) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for flag in status.errors.iter() {
        let single = Status {
            errors: flag,
            ..*status
        };
        if let Some(reason) = single.reason() {
            let code = reason.code().to_string();
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::tests::model;
    use printhub_raster::ErrorFlags;

    #[test]
    fn a_ready_block_reports_the_loaded_media() {
        let pt = model("PT-P750W");
        let block = Status::ready(pt, Media::by_id("tze-12")).to_bytes();
        let status = status_from_block(pt, &block, "tcp");
        assert!(status.reachable && status.ready);
        assert_eq!(status.media.as_deref(), Some("tze-12"));
        assert_eq!(status.reason, None);
        assert!(status.errors.is_empty());
        assert_eq!(status.source.as_deref(), Some("tcp"));
    }

    #[test]
    fn error_bits_become_a_reason_and_every_error_code() {
        // brother-raster.md §7: cover open outranks no media; both are listed.
        let ql = model("QL-820NWB");
        let mut block = Status::ready(ql, None);
        block.errors = ErrorFlags::NO_MEDIA | ErrorFlags::COVER_OPEN;
        let status = status_from_block(ql, &block.to_bytes(), "snmp");
        assert!(status.reachable && !status.ready);
        assert_eq!(status.reason.as_deref(), Some("printer_cover_open"));
        assert_eq!(
            status.errors,
            ["no_media", "printer_cover_open"].map(String::from),
            "in bit order"
        );
        assert_eq!(status.media, None);
    }

    #[test]
    fn a_garbled_block_is_reachable_but_no_reason_to_stop() {
        let status = status_from_block(model("PT-P750W"), &[0xEE; 32], "tcp");
        assert!(status.reachable && !status.ready);
        assert_eq!(
            status.reason, None,
            "garbage is not a person-needed condition"
        );
        assert_eq!(status.errors, ["garbled_status"]);
    }
}

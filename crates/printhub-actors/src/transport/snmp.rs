//! The SNMP v2c status read: Brother's status-block object, or, from an
//! agent without it, the standard printer MIB (hrPrinterDetectedErrorState
//! and prtInputMediaType) turned into a [`PrinterStatus`].

use super::status::answered;
use printhub_core::PrinterStatus;
use printhub_raster::{Media, Model};
use std::net::SocketAddr;
use std::time::Duration;

/// Brother's status-block object (brother-raster.md §5.3).
const BROTHER_STATUS_OID: [u64; 14] = [1, 3, 6, 1, 4, 1, 2435, 3, 3, 9, 1, 6, 1, 0];

/// The error a probe lists when the SNMP status read failed and TCP decided.
pub const SNMP_FAILED: &str = "snmp_failed";

/// The SNMP community a printer answers when none is given.
pub const DEFAULT_COMMUNITY: &str = "public";

/// hrPrinterDetectedErrorState.1 (RFC 3805 / HOST-RESOURCES-MIB, brother-raster.md §5.3).
const HR_PRINTER_ERROR_STATE_OID: [u64; 12] = [1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2, 1];
/// prtInputMediaType.1.1 (Printer MIB, brother-raster.md §5.3).
const PRT_INPUT_MEDIA_TYPE_OID: [u64; 13] = [1, 3, 6, 1, 2, 1, 43, 8, 2, 1, 12, 1, 1];

/// What an SNMP status read found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SnmpReading {
    /// Brother's 32-byte status block.
    Block(Vec<u8>),
    /// The agent has no Brother status object; the standard printer MIB answered.
    Mib(MibReading),
}

/// The standard printer-MIB objects the hub reads when Brother's is missing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct MibReading {
    /// hrPrinterDetectedErrorState: a bit string, bit 0 = MSB of byte 0.
    error_state: Option<Vec<u8>>,
    /// prtInputMediaType: text like `12mm(0.47")`, `62mmx29mm(2.4"x1.1")`, `24mm(0.94")Dia`.
    media_type: Option<String>,
}

/// Reads the status over SNMP v2c (blocking; run off the actor threads): the
/// Brother status block, or where the agent has no such object the standard
/// printer MIB; or says why neither.
pub(super) fn snmp_read(
    addr: SocketAddr,
    community: &str,
    timeout: Duration,
) -> Result<SnmpReading, String> {
    let oid = |arcs: &'static [u64]| {
        snmp2::Oid::from(arcs).map_err(|e| format!("bad OID {arcs:?}: {e:?}"))
    };
    let brother = oid(&BROTHER_STATUS_OID)?;
    let mut session = snmp2::SyncSession::new_v2c(addr, community.as_bytes(), Some(timeout), 0)
        .map_err(|e| format!("no SNMP session: {e}"))?;
    let missing = {
        let response = session
            .get(&brother)
            .map_err(|e| format!("no answer: {e}"))?;
        let mut bindings = response.varbinds;
        match bindings.next() {
            Some((_, snmp2::Value::OctetString(bytes))) => {
                return Ok(SnmpReading::Block(bytes.to_vec()))
            }
            Some((_, other)) => format!("{other:?}"),
            None => "an empty response".to_string(),
        }
    };
    let error_state = oid(&HR_PRINTER_ERROR_STATE_OID)?;
    let media_type = oid(&PRT_INPUT_MEDIA_TYPE_OID)?;
    let response = session
        .get_many(&[&error_state, &media_type])
        .map_err(|e| format!("no Brother status ({missing}), and no printer MIB: {e}"))?;
    let mut mib = MibReading::default();
    for (name, value) in response.varbinds {
        let snmp2::Value::OctetString(bytes) = value else {
            continue;
        };
        if name == error_state {
            mib.error_state = Some(bytes.to_vec());
        } else if name == media_type {
            mib.media_type = Some(String::from_utf8_lossy(bytes).into_owned());
        }
    }
    if mib == MibReading::default() {
        return Err(format!(
            "no Brother status ({missing}) and no printer MIB objects"
        ));
    }
    Ok(SnmpReading::Mib(mib))
}

/// hrPrinterDetectedErrorState bits of byte 0 (RFC 2790: bit 0 is the MSB;
/// lowPaper, noPaper, lowToner, noToner, doorOpen, jammed, offline,
/// serviceRequested; brother-raster.md §5.3) that stop the printer, most
/// urgent first, as the status block's reasons rank them (its system error
/// comes last). A jam cannot be told from a cutter jam here. An offline
/// printer or one asking for service is sent no job, like one whose status
/// block shows an error; lowPaper (and the toner bits) need nobody yet.
const MIB_REASONS: [(u8, &str); 5] = [
    (0x08, printhub_core::reason::COVER_OPEN),
    (0x40, printhub_core::reason::NO_MEDIA),
    (0x04, printhub_core::reason::MEDIA_JAM),
    (0x02, printhub_core::reason::PRINTER_OFFLINE),
    (0x01, printhub_core::reason::SERVICE_REQUESTED),
];

/// Turns the standard printer MIB into a [`PrinterStatus`] (source `snmp_mib`).
pub(super) fn status_from_mib(model: &Model, mib: &MibReading) -> PrinterStatus {
    let byte = mib
        .error_state
        .as_ref()
        .and_then(|bits| bits.first().copied())
        .unwrap_or(0);
    let errors: Vec<String> = MIB_REASONS
        .iter()
        .filter(|(bit, _)| byte & bit != 0)
        .map(|(_, code)| code.to_string())
        .collect();
    let reason = errors.first().cloned();
    let media = mib
        .media_type
        .as_deref()
        .and_then(|text| media_from_mib_text(model, text))
        .map(|m| m.id.to_string());
    answered(reason, errors, media, "snmp_mib")
}

/// The medium a prtInputMediaType text names for `model`: `12mm(…)` is tape
/// (PT) or a continuous roll (QL), `62mmx29mm(…)` die-cut labels,
/// `24mm(…)Dia` round ones; `None` for an empty or unknown text.
fn media_from_mib_text(model: &Model, text: &str) -> Option<&'static Media> {
    // The size comes before the inches in parentheses.
    let size = text.split('(').next()?.trim();
    let mm = |part: &str| part.trim().strip_suffix("mm")?.trim().parse::<u8>().ok();
    let (width, length) = match size.split_once('x') {
        Some((w, l)) => (mm(w)?, mm(l)?),
        None => {
            let w = mm(size)?;
            (
                w,
                if text.trim_end().ends_with("Dia") {
                    w
                } else {
                    0
                },
            )
        }
    };
    let status_type = match (model.family.is_pt(), length) {
        (true, _) => 0x01,
        (false, 0) => 0x0A,
        (false, _) => 0x0B,
    };
    Media::from_status(model.family, width, status_type, length)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::tests::model;

    #[test]
    fn the_printer_mib_gives_reasons_and_media() {
        let ql = model("QL-820NWB");
        let mib = |bits: u8, text: &str| MibReading {
            error_state: Some(vec![bits, 0]),
            media_type: Some(text.into()),
        };
        let ready = status_from_mib(ql, &mib(0, "62mm(2.4\")"));
        assert!(ready.reachable && ready.ready);
        assert_eq!(ready.media.as_deref(), Some("dk-62"));
        assert_eq!(ready.source.as_deref(), Some("snmp_mib"));
        // doorOpen (0x08) outranks noPaper (0x40); both are listed.
        let both = status_from_mib(ql, &mib(0x48, ""));
        assert_eq!(both.reason.as_deref(), Some("printer_cover_open"));
        assert_eq!(both.errors, ["printer_cover_open", "no_media"]);
        assert_eq!(both.media, None, "an empty text: no media");
        let jam = status_from_mib(ql, &mib(0x04, "29mmx90mm(1.1\"x3.5\")"));
        assert_eq!(jam.reason.as_deref(), Some("media_jam"));
        assert_eq!(jam.media.as_deref(), Some("dk-29x90"));
        // RFC 2790 hrPrinterDetectedErrorState: "Bits are numbered starting with the most
        // significant bit of the first byte being bit 0"; offline is bit 6 (0x02) and
        // serviceRequested bit 7 (0x01). Either stops the printer, as a status block's
        // error does; lowPaper (bit 0, 0x80) needs nobody yet.
        let offline = status_from_mib(ql, &mib(0x82, "62mm(2.4\")"));
        assert_eq!(offline.reason.as_deref(), Some("printer_offline"));
        assert!(offline.reachable && !offline.ready);
        assert_eq!(offline.media.as_deref(), Some("dk-62"));
        let service = status_from_mib(ql, &mib(0x01, ""));
        assert_eq!(service.reason.as_deref(), Some("service_requested"));
        assert!(!service.ready);
        let both = status_from_mib(ql, &mib(0x03, ""));
        assert_eq!(both.errors, ["printer_offline", "service_requested"]);
        // The second byte (inputTrayMissing … overduePreventMaint) stops nothing.
        let second = MibReading {
            error_state: Some(vec![0x00, 0xFF]),
            media_type: None,
        };
        assert_eq!(status_from_mib(ql, &second).reason, None);
        assert_eq!(status_from_mib(ql, &mib(0x80, "")).reason, None);
    }

    #[test]
    fn prt_input_media_type_texts_name_catalogue_media() {
        let named = |model_name: &str, text: &str| {
            media_from_mib_text(model(model_name), text).map(|m| m.id)
        };
        // Label-Printer-Hub's example and the emulator's Brother-style names.
        assert_eq!(named("PT-P750W", "12mm(0.47\")"), Some("tze-12"));
        assert_eq!(named("QL-820NWB", "62mm(2.4\")"), Some("dk-62"));
        assert_eq!(
            named("QL-820NWB", "62mmx100mm(2.4\"x3.9\")"),
            Some("dk-62x100")
        );
        assert_eq!(named("QL-820NWB", "24mm(0.94\")Dia"), Some("dk-d24"));
        assert_eq!(named("QL-820NWB", ""), None);
        assert_eq!(named("QL-820NWB", "A4"), None);
        assert_eq!(
            named("PT-P750W", "36mm(1.4\")"),
            None,
            "wider than the head"
        );
    }
}

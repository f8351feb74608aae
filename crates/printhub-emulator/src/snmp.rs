//! The SNMP v2c agent (UDP port 161 on a real printer): the handful of
//! objects peers read from Brother printers (brother-raster.md §5.3).
//!
//! Threading: one thread blocks in `recv_from`, answers under the shared
//! lock, and sends the reply; shutdown wakes it with an empty datagram.
//! Messages are decoded and encoded with `rasn-snmp` (BER); nothing here
//! hand-rolls BER. Requests with another community, another version, or
//! while the printer is turned off get no reply, like a real agent.
//!
//! | OID | Object | Value |
//! |---|---|---|
//! | 1.3.6.1.2.1.1.1.0 | sysDescr | `Brother <model> (printhub emulator)` |
//! | 1.3.6.1.2.1.25.3.2.1.3.1 | hrDeviceDescr | `Brother <model>` |
//! | 1.3.6.1.2.1.25.3.5.1.1.1 | hrPrinterStatus | 1 other (an error needs attention, or offline), 4 printing, 3 idle |
//! | 1.3.6.1.2.1.25.3.5.1.2.1 | hrPrinterDetectedErrorState | 2 bytes: noPaper 0x40 (no media, end of media), doorOpen 0x08, jammed 0x04 (cutter jam), offline 0x02 (the `Offline` fault), serviceRequested 0x01 (system error) |
//! | 1.3.6.1.2.1.43.8.2.1.12.1.1 | prtInputMediaType | `12mm(0.47")`, `62mm(2.4")`, `29mmx90mm(1.1"x3.5")`, `24mm(0.94")Dia`; empty without media |
//! | 1.3.6.1.4.1.2435.2.3.9.1.1.7.0 | Brother device id | `MFG:Brother;CMD:PT-CBP;MDL:<model>;CLS:PRINTER;` (QL: `CMD:PJL`) |
//! | 1.3.6.1.4.1.2435.3.3.9.1.6.1.0 | Brother status | the 32-byte status block (a reply to `ESC i S`) |
//!
//! An agent configured without the Brother status object
//! (`EmulatorConfig::without_brother_status`) answers it `noSuchObject` and
//! walks skip it. GET answers `noSuchObject` for other OIDs; GETNEXT and GETBULK walk the
//! table above in OID order and end with `endOfMibView`; SET is refused
//! with `notWritable`.

use crate::state::{Printer, Shared};
use printhub_raster::{ErrorFlags, Media, MediaKind};
use rasn::types::{Integer, ObjectIdentifier, OctetString};
use rasn_smi::v2::SimpleSyntax;
use rasn_snmp::v2::{
    BulkPdu, GetBulkRequest, GetNextRequest, GetRequest, ObjectSyntax, Pdu, Pdus, Response,
    SetRequest, VarBind, VarBindList, VarBindValue,
};
use rasn_snmp::v2c::Message;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;

/// sysDescr.0
pub const SYS_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
/// hrDeviceDescr.1
pub const HR_DEVICE_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3, 1];
/// hrPrinterStatus.1
pub const HR_PRINTER_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 1, 1];
/// hrPrinterDetectedErrorState.1
pub const HR_PRINTER_ERROR_STATE: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2, 1];
/// prtInputMediaType.1.1
pub const PRT_INPUT_MEDIA_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 8, 2, 1, 12, 1, 1];
/// Brother device-id string.
pub const BROTHER_DEVICE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 2435, 2, 3, 9, 1, 1, 7, 0];
/// Brother 32-byte status block.
pub const BROTHER_STATUS: &[u32] = &[1, 3, 6, 1, 4, 1, 2435, 3, 3, 9, 1, 6, 1, 0];

/// Every object the agent serves, in OID order (GETNEXT walks this).
const OBJECTS: &[&[u32]] = &[
    SYS_DESCR,
    HR_DEVICE_DESCR,
    HR_PRINTER_STATUS,
    HR_PRINTER_ERROR_STATE,
    PRT_INPUT_MEDIA_TYPE,
    BROTHER_DEVICE_ID,
    BROTHER_STATUS,
];

/// hrPrinterStatus values (RFC 3805 / HOST-RESOURCES-MIB).
const PRINTER_OTHER: i64 = 1;
const PRINTER_IDLE: i64 = 3;
const PRINTER_PRINTING: i64 = 4;

/// hrPrinterDetectedErrorState bits, byte 0: bit 0 is the MSB (RFC 2790,
/// HOST-RESOURCES-MIB: lowPaper 0, noPaper 1, lowToner 2, noToner 3,
/// doorOpen 4, jammed 5, offline 6, serviceRequested 7).
const NO_PAPER: u8 = 0x40;
const DOOR_OPEN: u8 = 0x08;
const JAMMED: u8 = 0x04;
const OFFLINE: u8 = 0x02;
const SERVICE_REQUESTED: u8 = 0x01;

/// SNMP v2c message version field.
const VERSION_2C: i64 = 1;
/// GETBULK answers at most this many bindings.
const MAX_BULK: usize = 64;

/// Runs the agent until shutdown.
pub(crate) fn run(socket: UdpSocket, shared: Arc<Shared>) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let received = socket.recv_from(&mut buf);
        let (n, peer) = match received {
            Ok(received) => received,
            Err(e) => {
                if shared.lock().stopping {
                    return;
                }
                log::warn!("snmp: receive failed: {e}");
                continue;
            }
        };
        let (reply, delay) = {
            let guard = shared.lock();
            if guard.stopping {
                return;
            }
            if guard.faults.turned_off {
                continue;
            }
            let reply = answer(&buf[..n], &shared.settings.community, &guard);
            (reply, guard.faults.slow_status)
        };
        let Some(reply) = reply else { continue };
        if reply.has_status_block {
            if let Some(delay) = delay {
                if !shared.pause(delay) {
                    return;
                }
            }
        }
        if let Err(e) = socket.send_to(&reply.bytes, peer) {
            log::warn!("snmp: cannot reply to {peer}: {e}");
        }
    }
}

/// Wakes the agent's `recv_from` with an empty datagram.
pub(crate) fn wake(addr: SocketAddr) {
    let target = crate::tcp::loopback_if_unspecified(addr);
    let local: SocketAddr = if target.is_ipv4() {
        (std::net::Ipv4Addr::LOCALHOST, 0).into()
    } else {
        (std::net::Ipv6Addr::LOCALHOST, 0).into()
    };
    if let Ok(socket) = UdpSocket::bind(local) {
        let _ = socket.send_to(&[], target);
    }
}

/// An encoded response.
struct Reply {
    bytes: Vec<u8>,
    /// Whether it carries the Brother status block (delayed by the `SlowStatus` fault).
    has_status_block: bool,
}

/// The response to one request datagram, or `None` when the agent stays silent.
fn answer(request: &[u8], community: &str, printer: &Printer) -> Option<Reply> {
    let message: Message<Pdus> = match rasn::ber::decode(request) {
        Ok(message) => message,
        Err(e) => {
            log::debug!("snmp: ignoring an undecodable datagram: {e}");
            return None;
        }
    };
    if message.version != Integer::from(VERSION_2C)
        || message.community.as_ref() != community.as_bytes()
    {
        log::debug!("snmp: ignoring a request with another version or community");
        return None;
    }
    let (request_id, bindings, error_status) = match message.data {
        Pdus::GetRequest(GetRequest(pdu)) => {
            let bindings = pdu
                .variable_bindings
                .into_iter()
                .map(|vb| get(vb.name, printer))
                .collect();
            (pdu.request_id, bindings, None)
        }
        Pdus::GetNextRequest(GetNextRequest(pdu)) => {
            let bindings = pdu
                .variable_bindings
                .into_iter()
                .map(|vb| get_next(&vb.name, printer))
                .collect();
            (pdu.request_id, bindings, None)
        }
        Pdus::GetBulkRequest(GetBulkRequest(bulk)) => {
            (bulk.request_id, get_bulk(&bulk, printer), None)
        }
        Pdus::SetRequest(SetRequest(pdu)) => (
            pdu.request_id,
            pdu.variable_bindings,
            Some(Pdu::ERROR_STATUS_NOT_WRITABLE),
        ),
        _ => return None,
    };
    let has_status_block = bindings_include(&bindings, BROTHER_STATUS);
    let response = Message {
        version: Integer::from(VERSION_2C),
        community: message.community,
        data: Pdus::Response(Response(Pdu {
            request_id,
            error_status: error_status.unwrap_or(Pdu::ERROR_STATUS_NO_ERROR),
            error_index: u32::from(error_status.is_some()),
            variable_bindings: bindings,
        })),
    };
    match rasn::ber::encode(&response) {
        Ok(bytes) => Some(Reply {
            bytes,
            has_status_block,
        }),
        Err(e) => {
            log::warn!("snmp: cannot encode a response: {e}");
            None
        }
    }
}

fn bindings_include(bindings: &VarBindList, oid: &[u32]) -> bool {
    bindings.iter().any(|vb| vb.name.as_ref() == oid)
}

fn get(name: ObjectIdentifier, printer: &Printer) -> VarBind {
    let value = match value(&name, printer) {
        Some(value) => VarBindValue::Value(value),
        None => VarBindValue::NoSuchObject,
    };
    VarBind { name, value }
}

fn get_next(name: &[u32], printer: &Printer) -> VarBind {
    // Slices of u32 order lexicographically, which is SNMP's OID order.
    let served = |oid: &&&[u32]| printer.brother_status || **oid != BROTHER_STATUS;
    match OBJECTS.iter().filter(served).find(|oid| **oid > name) {
        Some(next) => get(
            ObjectIdentifier::new_unchecked(next.to_vec().into()),
            printer,
        ),
        None => VarBind {
            name: ObjectIdentifier::new_unchecked(name.to_vec().into()),
            value: VarBindValue::EndOfMibView,
        },
    }
}

fn get_bulk(bulk: &BulkPdu, printer: &Printer) -> VarBindList {
    let non_repeaters = bulk.non_repeaters as usize;
    let mut out: VarBindList = bulk
        .variable_bindings
        .iter()
        .take(non_repeaters)
        .map(|vb| get_next(&vb.name, printer))
        .collect();
    let repeaters = bulk.variable_bindings.iter().skip(non_repeaters);
    for vb in repeaters {
        let mut name: Vec<u32> = vb.name.to_vec();
        for _ in 0..bulk.max_repetitions {
            if out.len() >= MAX_BULK {
                return out;
            }
            let next = get_next(&name, printer);
            let end = next.value == VarBindValue::EndOfMibView;
            name = next.name.to_vec();
            out.push(next);
            if end {
                break;
            }
        }
    }
    out
}

/// The value of `oid` in the printer's current state.
fn value(oid: &[u32], printer: &Printer) -> Option<ObjectSyntax> {
    let model = printer.model.name;
    let syntax = if oid == SYS_DESCR {
        string(format!("Brother {model} (printhub emulator)").into_bytes())
    } else if oid == HR_DEVICE_DESCR {
        string(format!("Brother {model}").into_bytes())
    } else if oid == HR_PRINTER_STATUS {
        let status = if !printer.condition_flags().is_empty() || printer.faults.offline {
            PRINTER_OTHER
        } else if printer.printing {
            PRINTER_PRINTING
        } else {
            PRINTER_IDLE
        };
        ObjectSyntax::Simple(SimpleSyntax::Integer(Integer::from(status)))
    } else if oid == HR_PRINTER_ERROR_STATE {
        string(error_state(printer.condition_flags(), printer.faults.offline).to_vec())
    } else if oid == PRT_INPUT_MEDIA_TYPE {
        string(
            printer
                .media()
                .map(media_text)
                .unwrap_or_default()
                .into_bytes(),
        )
    } else if oid == BROTHER_DEVICE_ID {
        let cmd = if printer.model.family.is_pt() {
            "PT-CBP"
        } else {
            "PJL"
        };
        string(format!("MFG:Brother;CMD:{cmd};MDL:{model};CLS:PRINTER;").into_bytes())
    } else if oid == BROTHER_STATUS && printer.brother_status {
        let mut block = printer.reply().to_bytes();
        if printer.faults.garbled_status {
            block[..3].copy_from_slice(&[0xEE; 3]);
        }
        string(block.to_vec())
    } else {
        return None;
    };
    Some(syntax)
}

fn string(bytes: Vec<u8>) -> ObjectSyntax {
    ObjectSyntax::Simple(SimpleSyntax::String(OctetString::from(bytes)))
}

/// hrPrinterDetectedErrorState: two bytes, bit 0 of the string = MSB of byte 0.
fn error_state(flags: ErrorFlags, offline: bool) -> [u8; 2] {
    let mut byte = 0;
    if offline {
        byte |= OFFLINE;
    }
    if flags.contains(ErrorFlags::SYSTEM) {
        byte |= SERVICE_REQUESTED;
    }
    if flags.intersects(ErrorFlags::NO_MEDIA | ErrorFlags::END_OF_MEDIA) {
        byte |= NO_PAPER;
    }
    if flags.contains(ErrorFlags::COVER_OPEN) {
        byte |= DOOR_OPEN;
    }
    if flags.contains(ErrorFlags::CUTTER_JAM) {
        byte |= JAMMED;
    }
    [byte, 0]
}

/// prtInputMediaType text in Brother's style (its PPD page names):
/// `12mm(0.47")`, `62mm(2.4")`, `62mmx100mm(2.4"x3.9")`, `24mm(0.94")Dia`.
pub(crate) fn media_text(media: &Media) -> String {
    let (w, l) = (media.width_mm, media.length_mm);
    match media.kind {
        MediaKind::DieCut => format!("{w}mmx{l}mm({}\"x{}\")", inches(w), inches(l)),
        MediaKind::Round => format!("{w}mm({}\")Dia", inches(w)),
        _ => format!("{w}mm({}\")", inches(w)),
    }
}

/// Millimetres in inches, truncated to two significant digits as Brother
/// prints them (12 → 0.47, 62 → 2.4, 38 → 1.4).
fn inches(mm: u8) -> String {
    let hundredths = u32::from(mm) * 1000 / 254;
    if hundredths < 100 {
        format!("0.{hundredths:02}")
    } else {
        let tenths = hundredths / 10;
        match tenths % 10 {
            0 => format!("{}", tenths / 10),
            t => format!("{}.{t}", tenths / 10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_text_matches_brothers_names() {
        let text = |id: &str| media_text(Media::by_id(id).expect("media"));
        assert_eq!(text("tze-12"), "12mm(0.47\")");
        assert_eq!(text("tze-24"), "24mm(0.94\")");
        assert_eq!(text("dk-62"), "62mm(2.4\")");
        assert_eq!(text("dk-38"), "38mm(1.4\")");
        assert_eq!(text("dk-29"), "29mm(1.1\")");
        assert_eq!(text("dk-62x100"), "62mmx100mm(2.4\"x3.9\")");
        assert_eq!(text("dk-52x29"), "52mmx29mm(2\"x1.1\")");
        assert_eq!(text("dk-d24"), "24mm(0.94\")Dia");
    }

    #[test]
    fn objects_are_in_oid_order() {
        assert!(OBJECTS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn error_state_bits() {
        // RFC 2790 hrPrinterDetectedErrorState: "Bits are numbered starting with the most
        // significant bit of the first byte being bit 0"; noPaper 1, doorOpen 4, jammed 5,
        // offline 6, serviceRequested 7.
        assert_eq!(error_state(ErrorFlags::empty(), false), [0, 0]);
        assert_eq!(error_state(ErrorFlags::NO_MEDIA, false), [0x40, 0]);
        assert_eq!(
            error_state(ErrorFlags::COVER_OPEN | ErrorFlags::CUTTER_JAM, false),
            [0x0C, 0]
        );
        assert_eq!(error_state(ErrorFlags::empty(), true), [0x02, 0]);
        assert_eq!(error_state(ErrorFlags::SYSTEM, false), [0x01, 0]);
    }
}

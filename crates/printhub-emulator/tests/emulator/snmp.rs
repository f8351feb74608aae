//! The SNMP v2c agent, read back with an independent client (`snmp2`):
//! every object, GETNEXT, unknown objects, and silence for a wrong community.

use crate::support::*;
use printhub_emulator::{oid, Emulator, EmulatorConfig, EmulatorHandle, Fault, FaultKind, Speed};
use printhub_raster::{ErrorFlags, JobOptions, Model, Status, StatusType};
use snmp2::{Oid, SyncSession, Value};

fn start_with_snmp(model: &str, media: &str) -> EmulatorHandle {
    Emulator::start(EmulatorConfig::new(model, media).with_snmp()).expect("starts")
}

fn client(emulator: &EmulatorHandle, community: &[u8]) -> SyncSession {
    let addr = emulator.snmp_addr().expect("snmp runs");
    SyncSession::new_v2c(addr, community, Some(TIMEOUT), 0).expect("client")
}

fn oid_of(arcs: &[u32]) -> Oid<'static> {
    let arcs: Vec<u64> = arcs.iter().map(|&a| u64::from(a)).collect();
    Oid::from(arcs.as_slice()).expect("valid oid")
}

/// What one GET answers, as an owned value.
#[derive(Debug, PartialEq)]
enum Got {
    Int(i64),
    Bytes(Vec<u8>),
    NoSuchObject,
    EndOfMibView,
    Other(String),
}

impl Got {
    fn text(&self) -> String {
        match self {
            Got::Bytes(b) => String::from_utf8(b.clone()).expect("text"),
            other => panic!("not a string: {other:?}"),
        }
    }
}

fn owned(value: Value<'_>) -> Got {
    match value {
        Value::Integer(n) => Got::Int(n),
        Value::OctetString(b) => Got::Bytes(b.to_vec()),
        Value::NoSuchObject => Got::NoSuchObject,
        Value::EndOfMibView => Got::EndOfMibView,
        other => Got::Other(format!("{other:?}")),
    }
}

fn get(session: &mut SyncSession, arcs: &[u32]) -> Got {
    let response = session.get(&oid_of(arcs)).expect("an answer");
    let mut bindings = response.varbinds;
    let (name, value) = bindings.next().expect("one binding");
    assert_eq!(name, oid_of(arcs));
    owned(value)
}

#[test]
fn every_object_of_a_pt_p750w() {
    let emulator = start_with_snmp("PT-P750W", "tze-12");
    let mut s = client(&emulator, b"public");
    assert_eq!(
        get(&mut s, oid::SYS_DESCR).text(),
        "Brother PT-P750W (printhub emulator)"
    );
    assert_eq!(get(&mut s, oid::HR_DEVICE_DESCR).text(), "Brother PT-P750W");
    assert_eq!(get(&mut s, oid::HR_PRINTER_STATUS), Got::Int(3));
    assert_eq!(
        get(&mut s, oid::HR_PRINTER_ERROR_STATE),
        Got::Bytes(vec![0, 0])
    );
    assert_eq!(
        get(&mut s, oid::PRT_INPUT_MEDIA_TYPE).text(),
        "12mm(0.47\")"
    );
    let device_id = get(&mut s, oid::BROTHER_DEVICE_ID).text();
    assert_eq!(
        device_id,
        "MFG:Brother;CMD:PT-CBP;MDL:PT-P750W;CLS:PRINTER;"
    );
    assert_eq!(
        Model::from_device_id(&device_id).map(|m| m.name),
        Some("PT-P750W")
    );
    let Got::Bytes(block) = get(&mut s, oid::BROTHER_STATUS) else {
        panic!("the status block is an octet string")
    };
    let status = Status::parse(&block).expect("a status block");
    assert_eq!(status.status_type, StatusType::Reply);
    assert_eq!(status, emulator.status());
    assert_eq!(status.media().map(|m| m.id), Some("tze-12"));
}

#[test]
fn a_ql_reports_pjl_and_its_roll() {
    let emulator = start_with_snmp("QL-820NWB", "dk-62");
    let mut s = client(&emulator, b"public");
    let device_id = get(&mut s, oid::BROTHER_DEVICE_ID).text();
    assert_eq!(device_id, "MFG:Brother;CMD:PJL;MDL:QL-820NWB;CLS:PRINTER;");
    assert_eq!(get(&mut s, oid::PRT_INPUT_MEDIA_TYPE).text(), "62mm(2.4\")");
    assert_eq!(
        get(&mut s, oid::HR_DEVICE_DESCR).text(),
        "Brother QL-820NWB"
    );
}

#[test]
fn errors_show_in_printer_status_and_error_state() {
    let emulator = start_with_snmp("PT-P750W", "tze-12");
    let mut s = client(&emulator, b"public");
    emulator.set_fault(Fault::CoverOpen);
    assert_eq!(get(&mut s, oid::HR_PRINTER_STATUS), Got::Int(1));
    assert_eq!(
        get(&mut s, oid::HR_PRINTER_ERROR_STATE),
        Got::Bytes(vec![0x08, 0])
    );
    emulator.set_fault(Fault::NoMedia);
    assert_eq!(
        get(&mut s, oid::HR_PRINTER_ERROR_STATE),
        Got::Bytes(vec![0x48, 0])
    );
    assert_eq!(get(&mut s, oid::PRT_INPUT_MEDIA_TYPE).text(), "");
    let Got::Bytes(block) = get(&mut s, oid::BROTHER_STATUS) else {
        panic!("octet string")
    };
    let errors = Status::parse(&block).expect("status").errors;
    assert_eq!(errors, ErrorFlags::NO_MEDIA | ErrorFlags::COVER_OPEN);
    emulator.clear_faults();
    assert_eq!(get(&mut s, oid::HR_PRINTER_STATUS), Got::Int(3));
}

#[test]
fn offline_and_service_requested_show_in_the_error_state() {
    // RFC 2790 hrPrinterDetectedErrorState: bit 0 is the MSB of the first byte; offline is
    // bit 6 (0x02), serviceRequested bit 7 (0x01). A system error (error information 2
    // bit 7) is the printer asking for service.
    let emulator = start_with_snmp("QL-820NWB", "dk-62");
    let mut s = client(&emulator, b"public");
    emulator.set_fault(Fault::Offline);
    assert_eq!(get(&mut s, oid::HR_PRINTER_STATUS), Got::Int(1));
    assert_eq!(
        get(&mut s, oid::HR_PRINTER_ERROR_STATE),
        Got::Bytes(vec![0x02, 0])
    );
    emulator.set_fault(Fault::SystemError);
    assert_eq!(
        get(&mut s, oid::HR_PRINTER_ERROR_STATE),
        Got::Bytes(vec![0x03, 0])
    );
    emulator.clear_fault(FaultKind::Offline);
    assert_eq!(
        get(&mut s, oid::HR_PRINTER_ERROR_STATE),
        Got::Bytes(vec![0x01, 0])
    );
    assert_eq!(get(&mut s, oid::HR_PRINTER_STATUS), Got::Int(1));
    emulator.clear_faults();
    assert_eq!(
        get(&mut s, oid::HR_PRINTER_ERROR_STATE),
        Got::Bytes(vec![0, 0])
    );
    assert_eq!(get(&mut s, oid::HR_PRINTER_STATUS), Got::Int(3));
}

#[test]
fn printer_status_is_printing_while_a_page_prints() {
    let config = EmulatorConfig::new("PT-P750W", "tze-12")
        .with_snmp()
        .speed(Speed::Real);
    let emulator = Emulator::start(config).expect("starts");
    let mut s = client(&emulator, b"public");
    // 1800 lines at 180 dpi take about 8.5 s at 30 mm/s; shutdown cuts it short.
    let (_, bytes) = job("PT-P750W", "tze-12", JobOptions::default(), 1, 1800);
    let mut stream = send(&emulator, &bytes);
    assert_eq!(
        read_status(&mut stream).status_type,
        StatusType::PhaseChange
    );
    assert_eq!(get(&mut s, oid::HR_PRINTER_STATUS), Got::Int(4));
    emulator.shutdown();
}

#[test]
fn unknown_objects_and_getnext() {
    let emulator = start_with_snmp("PT-P750W", "tze-12");
    let mut s = client(&emulator, b"public");
    assert_eq!(get(&mut s, &[1, 3, 6, 1, 2, 1, 1, 5, 0]), Got::NoSuchObject);

    let response = s.getnext(&oid_of(oid::SYS_DESCR)).expect("an answer");
    let (name, value) = response.varbinds.clone().next().expect("a binding");
    assert_eq!(name, oid_of(oid::HR_DEVICE_DESCR));
    assert_eq!(owned(value).text(), "Brother PT-P750W");

    let response = s.getnext(&oid_of(&[1, 3, 6, 1])).expect("an answer");
    let (name, _) = response.varbinds.clone().next().expect("a binding");
    assert_eq!(name, oid_of(oid::SYS_DESCR));

    let response = s.getnext(&oid_of(oid::BROTHER_STATUS)).expect("an answer");
    let (_, value) = response.varbinds.clone().next().expect("a binding");
    assert_eq!(owned(value), Got::EndOfMibView);
}

#[test]
fn getbulk_walks_the_table() {
    let emulator = start_with_snmp("QL-820NWB", "dk-62");
    let mut s = client(&emulator, b"public");
    let response = s
        .getbulk(&[&oid_of(&[1, 3, 6, 1])], 0, 20)
        .expect("an answer");
    let names: Vec<String> = response
        .varbinds
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(
        names.len(),
        8,
        "seven objects and the end of the view: {names:?}"
    );
    assert_eq!(names[0], "1.3.6.1.2.1.1.1.0");
    assert_eq!(names[6], "1.3.6.1.4.1.2435.3.3.9.1.6.1.0");
}

#[test]
fn a_wrong_community_gets_no_answer() {
    let config = EmulatorConfig::new("PT-P750W", "tze-12")
        .with_snmp()
        .community("secret");
    let emulator = Emulator::start(config).expect("starts");
    let addr = emulator.snmp_addr().expect("snmp runs");
    let mut wrong = SyncSession::new_v2c(addr, b"public", Some(SILENCE), 0).expect("client");
    assert!(wrong.get(&oid_of(oid::SYS_DESCR)).is_err());
    let mut right = client(&emulator, b"secret");
    assert_eq!(
        get(&mut right, oid::HR_DEVICE_DESCR).text(),
        "Brother PT-P750W"
    );
}

#[test]
fn an_agent_without_the_brother_status_object_serves_the_standard_mib() {
    let config = EmulatorConfig::new("QL-820NWB", "dk-62x29")
        .with_snmp()
        .without_brother_status();
    let emulator = Emulator::start(config).expect("starts");
    let mut s = client(&emulator, b"public");
    assert_eq!(get(&mut s, oid::BROTHER_STATUS), Got::NoSuchObject);
    assert_eq!(get(&mut s, oid::HR_PRINTER_STATUS), Got::Int(3));
    assert_eq!(
        get(&mut s, oid::PRT_INPUT_MEDIA_TYPE).text(),
        "62mmx29mm(2.4\"x1.1\")"
    );
    // A walk ends after the device id: the status object is not there.
    let response = s
        .getnext(&oid_of(oid::BROTHER_DEVICE_ID))
        .expect("an answer");
    let (_, value) = response.varbinds.clone().next().expect("a binding");
    assert_eq!(owned(value), Got::EndOfMibView);
}

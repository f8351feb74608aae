//! Identifying a printer nobody has described yet (issue #20, "add a
//! printer by its address"): which model answers at an address, and which
//! medium it holds, from what the printer itself says.
//!
//! Two channels, in this order:
//! - SNMP v2c, when an agent is given: Brother's IEEE 1284 device id
//!   (`MFG:Brother;…;MDL:QL-820NWB;…`, read with [`Model::from_device_id`]),
//!   else `hrDeviceDescr` (`Brother QL-820NWB`); the medium from the same
//!   status read the printer's link uses (Brother's status block, else the
//!   printer MIB).
//! - `ESC i S` on the raw TCP port: the 32-byte status block names the model
//!   by its series and model code (brother-raster.md §5.3) and the medium by
//!   width, type and length. PT models answer it on TCP; network QL models
//!   do not, which is why their SNMP agent is asked (by default the one on
//!   port 161 of the same host, community `public`) when TCP stays silent.
//!
//! Nothing here changes the printer: a status request is the only byte sent.

use super::snmp::{snmp_read, status_from_mib, SnmpReading, DEFAULT_COMMUNITY};
use super::status::status_from_block;
use super::tcp::{connect, request_status, NoConnection};
use crate::address::{Endpoint, SNMP_PORT};
use printhub_raster::{Model, Status};
use std::net::SocketAddr;
use std::time::Duration;

/// Brother's device-id object (brother-raster.md §5.3).
const BROTHER_DEVICE_ID_OID: [u64; 14] = [1, 3, 6, 1, 4, 1, 2435, 2, 3, 9, 1, 1, 7, 0];
/// hrDeviceDescr.1 (HOST-RESOURCES-MIB, RFC 2790).
const HR_DEVICE_DESCR_OID: [u64; 12] = [1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3, 1];

/// What a printer said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    /// Its model.
    pub model: &'static Model,
    /// The medium it reported loaded (a catalogue id), if any.
    pub media: Option<String>,
    /// The channel that answered: `snmp` or `tcp`.
    pub source: &'static str,
    /// What it said, as it said it (the device id, or the status block's
    /// series and model code).
    pub said: String,
    /// The SNMP agent that answered (`host:port`), when SNMP did: a printer
    /// registered from this answer reads its status there.
    pub snmp: Option<String>,
}

/// Why a printer could not be identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unidentified {
    /// Nothing answered on any channel.
    Unreachable(String),
    /// Something answered, but not as a model the hub knows.
    UnknownModel(String),
}

/// Asks the printer at `address` (raw TCP) and, if given, its SNMP agent
/// `snmp` with `community`, which model it is and what it holds; each step
/// bounded by `timeout`.
pub async fn identify(
    address: &Endpoint,
    snmp: Option<&Endpoint>,
    community: Option<&str>,
    timeout: Duration,
) -> Result<Identified, Unidentified> {
    let community = community.unwrap_or(DEFAULT_COMMUNITY).to_string();
    let mut heard = Vec::new();
    if let Some(agent) = snmp {
        match ask_snmp(agent, &community, timeout).await {
            Ok(found) => return Ok(found),
            Err(Unidentified::UnknownModel(said)) => return Err(Unidentified::UnknownModel(said)),
            Err(Unidentified::Unreachable(why)) => heard.push(why),
        }
    }
    match ask_tcp(address, timeout).await {
        Ok(found) => return Ok(found),
        Err(Unidentified::UnknownModel(said)) => return Err(Unidentified::UnknownModel(said)),
        Err(Unidentified::Unreachable(why)) => heard.push(why),
    }
    if snmp.is_none() {
        // Network QL models answer nothing on TCP: their agent on the same host.
        let agent = address.with_port(SNMP_PORT);
        match ask_snmp(&agent, &community, timeout).await {
            Ok(found) => return Ok(found),
            Err(Unidentified::UnknownModel(said)) => return Err(Unidentified::UnknownModel(said)),
            Err(Unidentified::Unreachable(why)) => heard.push(why),
        }
    }
    Err(Unidentified::Unreachable(heard.join("; ")))
}

/// `ESC i S` on the raw port: the status block names model and medium.
async fn ask_tcp(address: &Endpoint, timeout: Duration) -> Result<Identified, Unidentified> {
    let unreachable = |why: String| Unidentified::Unreachable(format!("{address}: {why}"));
    let mut stream = connect(address, timeout, 1).await.map_err(|e| match e {
        NoConnection::Unresolvable(e) | NoConnection::Failed(e) => unreachable(e),
    })?;
    let block = request_status(&mut stream, timeout)
        .await
        .map_err(|why| unreachable(format!("accepted a connection, then {why}")))?;
    let (model, said) = model_from_block(&block)?;
    let media = status_from_block(model, &block, "tcp").media;
    Ok(Identified {
        model,
        media,
        source: "tcp",
        said,
        snmp: None,
    })
}

/// The model a status block names, with what it said.
fn model_from_block(block: &[u8]) -> Result<(&'static Model, String), Unidentified> {
    let status = Status::parse(block).map_err(|e| {
        Unidentified::UnknownModel(format!(
            "an answer that is not a Brother status block ({e}): {}",
            hex(&block[..block.len().min(8)])
        ))
    })?;
    let said = format!(
        "status block, series {:#04x}, model code {:#04x}",
        status.series, status.model_code
    );
    match status.model() {
        Some(model) => Ok((model, said)),
        None => Err(Unidentified::UnknownModel(said)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The SNMP agent: device id (or hrDeviceDescr), then the status read.
async fn ask_snmp(
    agent: &Endpoint,
    community: &str,
    timeout: Duration,
) -> Result<Identified, Unidentified> {
    let unreachable = |why: String| Unidentified::Unreachable(format!("SNMP at {agent}: {why}"));
    let found = agent
        .resolve(timeout)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let addr = found[0];
    let community = community.to_string();
    let named = {
        let community = community.clone();
        actix_rt::task::spawn_blocking(move || read_names(addr, &community, timeout))
            .await
            .map_err(|e| unreachable(format!("SNMP task failed: {e}")))?
            .map_err(unreachable)?
    };
    let said = named.clone();
    let model = model_from_names(&named).ok_or(Unidentified::UnknownModel(said.clone()))?;
    let reading = {
        let community = community.clone();
        actix_rt::task::spawn_blocking(move || snmp_read(addr, &community, timeout))
            .await
            .map_err(|e| unreachable(format!("SNMP task failed: {e}")))?
    };
    let media = match reading {
        Ok(SnmpReading::Block(block)) => status_from_block(model, &block, "snmp").media,
        Ok(SnmpReading::Mib(mib)) => status_from_mib(model, &mib).media,
        Err(_) => None,
    };
    Ok(Identified {
        model,
        media,
        source: "snmp",
        said,
        snmp: Some(agent.to_string()),
    })
}

/// The model named by a device id or an `hrDeviceDescr` text.
fn model_from_names(said: &str) -> Option<&'static Model> {
    Model::from_device_id(said).or_else(|| {
        let descr = said.trim();
        let descr = descr.strip_prefix("Brother ").unwrap_or(descr);
        Model::by_name(descr.split_whitespace().next().unwrap_or(descr))
    })
}

/// Brother's device id, else hrDeviceDescr, as text (blocking).
fn read_names(addr: SocketAddr, community: &str, timeout: Duration) -> Result<String, String> {
    let oid = |arcs: &'static [u64]| {
        snmp2::Oid::from(arcs).map_err(|e| format!("bad OID {arcs:?}: {e:?}"))
    };
    let mut session = snmp2::SyncSession::new_v2c(addr, community.as_bytes(), Some(timeout), 0)
        .map_err(|e| format!("no SNMP session: {e}"))?;
    for arcs in [&BROTHER_DEVICE_ID_OID[..], &HR_DEVICE_DESCR_OID[..]] {
        let wanted = oid(arcs)?;
        let response = session
            .get(&wanted)
            .map_err(|e| format!("no answer: {e}"))?;
        let mut bindings = response.varbinds;
        if let Some((_, snmp2::Value::OctetString(bytes))) = bindings.next() {
            let text = String::from_utf8_lossy(bytes).trim().to_string();
            if !text.is_empty() {
                return Ok(text);
            }
        }
    }
    Err("the agent has neither a Brother device id nor hrDeviceDescr".into())
}

/// A proposed slug for a printer of `model`: its name in slug form
/// (`QL-820NWB` → `ql-820nwb`), with `-2`, `-3`… when `taken` has it.
pub fn propose_slug(model: &Model, taken: &[String]) -> String {
    let mut base: String = model
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    base = base.trim_matches('-').to_string();
    if base.is_empty() {
        base = "printer".into();
    }
    let mut slug = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t == &slug) {
        slug = format!("{base}-{n}");
        n += 1;
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_and_descriptions_name_models() {
        // The IEEE 1284 id Brother reports over SNMP (brother-raster.md §5.3).
        let ql = model_from_names("MFG:Brother;CMD:PJL;MDL:QL-820NWB;CLS:PRINTER;").expect("ql");
        assert_eq!(ql.name, "QL-820NWB");
        // hrDeviceDescr: `Brother <model>`.
        assert_eq!(
            model_from_names("Brother PT-P750W").map(|m| m.name),
            Some("PT-P750W")
        );
        assert_eq!(model_from_names("HP LaserJet 4000"), None);
        assert_eq!(model_from_names(""), None);
    }

    #[test]
    fn a_status_block_names_its_model_or_says_what_it_was() {
        let pt = Model::by_name("PT-P750W").expect("pt");
        let block = printhub_raster::Status::ready(pt, None).to_bytes();
        let (model, said) = model_from_block(&block).expect("known");
        assert_eq!(model.name, "PT-P750W");
        assert!(said.contains("model code"), "{said}");
        // A model code nobody has: unknown, naming the codes.
        let mut odd = block;
        odd[4] = 0x7e;
        match model_from_block(&odd) {
            Err(Unidentified::UnknownModel(said)) => assert!(said.contains("0x7e"), "{said}"),
            other => panic!("{other:?}"),
        }
        // Not a status block at all.
        match model_from_block(&[0x41; 32]) {
            Err(Unidentified::UnknownModel(said)) => {
                assert!(said.contains("not a Brother status block"), "{said}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn proposed_slugs_are_the_model_in_slug_form_and_unique() {
        let ql = Model::by_name("QL-820NWB").expect("ql");
        assert_eq!(propose_slug(ql, &[]), "ql-820nwb");
        assert_eq!(
            propose_slug(ql, &["ql-820nwb".into(), "ql-820nwb-2".into()]),
            "ql-820nwb-3"
        );
    }
}

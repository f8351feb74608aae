//! # printhub-ipp
//!
//! IPP Everywhere for printhub, protocol only: every hub printer is also an
//! IPP printer at `ipp://HOST:PORT/ipp/print/{slug}`. This crate owns the
//! strict request codec ([`codec`]), the IPP numbers ([`status`]), Brother
//! media as PWG media ([`media`]), the attribute model of a hub printer
//! ([`printer`]), the answers to the operations that need no queue
//! ([`service`]) and the DNS-SD TXT record that advertises a printer
//! ([`dnssd`]). The listener that reads HTTP, and the calls into the hub's
//! queue, live in the `printhub` binary.
//!
//! **Architecture Invariant:** no I/O, no clocks, no threads, no actix.
//! Inputs are bytes and plain data; outputs are values and bytes. Nothing
//! here panics on any input: a malformed message is a
//! [`codec::ParseError`] with a stable code (property-tested on arbitrary
//! and mutated messages).
//!
//! The value model and its encoding are the `ipp` crate's ([`ipp::value::IppValue`]).
#![forbid(unsafe_code)]

pub mod codec;
pub mod dnssd;
pub mod document;
pub mod job;
pub mod media;
pub mod printer;
pub mod raster;
pub mod service;
pub mod status;

pub use codec::{parse, Attribute, Group, ParseError, Request, Response};
pub use ipp::value::IppValue;
pub use printer::{Authentication, PrinterInfo};
pub use service::{check, JobTicket};
pub use status::Operation;

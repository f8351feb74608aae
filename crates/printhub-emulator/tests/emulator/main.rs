//! The emulator's integration tests: one binary, a module per feature.
//!
//! Every test drives the emulator the way a client does (encode with
//! printhub-raster, send over TCP or query over SNMP, read status blocks
//! back) and then checks what the emulator recorded.

mod chain;
mod faults;
mod held;
mod round_trip;
mod snmp;
mod status;
mod support;
mod violations;

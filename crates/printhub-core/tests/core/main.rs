//! Integration tests for printhub-core: one binary, a module per feature,
//! shared helpers in `support`. No runtime, no clock: every instant is
//! injected by the harness.

mod chains;
mod job_commands;
mod link;
mod link_properties;
mod media;
mod parking;
mod printer_table;
mod properties;
mod residency;
mod scenarios;
mod support;
mod transitions;

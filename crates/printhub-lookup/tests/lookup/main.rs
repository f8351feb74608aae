//! Lookups against fake upstream servers on loopback that answer as the real
//! APIs do (one module per app, one for every way an upstream misbehaves).
//! The tests run on actix's runtime, as the gateway does.

#[path = "../fake/decode.rs"]
mod decode;
#[path = "../fake/mod.rs"]
mod fake;
#[path = "../fake/spoolman_ws.rs"]
mod spoolman_ws;

mod failures;
mod feed;
mod grocy;
mod render;
mod snipeit;
mod spoolman;
mod support;

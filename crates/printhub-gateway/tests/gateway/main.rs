//! Gateway tests: real actors on a `MemoryTransport`, driven through
//! `actix_web::test::init_service`.

#[macro_use]
mod support;

mod auth;
#[path = "../../../printhub-lookup/tests/fake/mod.rs"]
mod fake;

mod compat;
mod conventions;
mod errors;
mod events;
mod history;
mod jobs;
mod legacy_webhooks;
mod limits;
mod lookup;
mod openapi;
mod ops;
mod printing;
mod registry;
mod reprint;
mod saved;
mod security;

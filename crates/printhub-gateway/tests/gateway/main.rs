//! Gateway tests: real actors on a `MemoryTransport`, driven through
//! `actix_web::test::init_service`.

#[macro_use]
mod support;

mod auth;
mod errors;
mod events;
mod jobs;
mod openapi;
mod printing;

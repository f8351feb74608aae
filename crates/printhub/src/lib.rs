//! # printhub (the binary's library)
//!
//! The composition root: the command line ([`cli`]) and the commands it runs.
//! `main` only parses arguments, sets up logging and prints a failure as one
//! line; everything else lives here so tests call the same code.
//!
//! **Architecture Invariant:** this crate (with tests and examples) is the
//! only place `anyhow` is used; libraries return typed errors.
#![forbid(unsafe_code)]

pub mod catalogue;
pub mod cli;
pub mod config;
pub mod dns_sd;
pub mod emulate_cmd;
pub mod emulate_control;
mod env_vars;
pub mod healthcheck_cmd;
pub mod image_io;
pub mod import_cmd;
pub mod integrations;
pub mod ipp_listener;
pub mod keys_cmd;
pub mod label_cmd;
pub mod outbound;
pub mod raster_cmd;
pub mod secret_check;
pub mod serve;
pub mod status_cmd;

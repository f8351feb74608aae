//! End-to-end tests of the assembled engine (one binary, a module per feature).

mod browser;
mod crash;
mod http;
mod lookup;
mod mqtt;
mod registry;
mod render_to_print;
mod support;

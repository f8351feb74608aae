//! printhub-ipp's tests: the codec (every malformed-message class, round
//! trips, never a panic), and the answers (request checks,
//! Get-Printer-Attributes, Validate-Job), with the shared builders in
//! `support`.

mod codec;
mod raster;
mod service;
mod support;

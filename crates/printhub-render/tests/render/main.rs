//! Integration tests for printhub-render, one module per feature, shared
//! helpers in `support`.
//!
//! Every QR code rendered here is decoded back from the bitmap with `rqrr`;
//! Code128, EAN-13, Code39 and DataMatrix are decoded back with `rxing`.
//!
//! Golden images live in `tests/data/golden/*.png` (1 dot = 1 pixel, raster
//! order) and are compared bit for bit. After an intended change regenerate
//! them with `UPDATE_GOLDEN=1 cargo test -p printhub-render` and look at the
//! diff before committing.

mod content_types;
mod freetext;
mod golden;
mod images;
mod property;
mod support;
mod templates;
mod unicode;

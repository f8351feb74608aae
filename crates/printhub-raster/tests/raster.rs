//! Integration tests for printhub-raster: one binary, a module per feature,
//! shared helpers in `support`, fixtures in `tests/data/`.

mod raster {
    pub mod chain;
    pub mod decode_errors;
    pub mod derived;
    pub mod golden;
    pub mod roundtrip;
    pub mod support;
    pub mod vectors;
}

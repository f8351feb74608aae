//! Fuzz the status-block parser: never panics; what parses re-encodes to the
//! same bytes in every field the parser keeps.
#![no_main]

use libfuzzer_sys::fuzz_target;
use printhub_raster::Status;

fuzz_target!(|data: &[u8]| {
    if let Ok(status) = Status::parse(data) {
        let again = Status::parse(&status.to_bytes()).expect("a built block parses");
        assert_eq!(again, status);
        let _ = status.readiness();
        let _ = status.media();
    }
});

//! Fuzz the streaming decoder: any bytes, any chunking, with and without a
//! model. It must never panic; pages it yields must be self-consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use printhub_raster::{Decoder, DecoderOptions, Event, Model, MODELS};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let model: Option<&'static Model> = MODELS.get(selector as usize % (MODELS.len() + 1));
    let chunk = 1 + (selector as usize >> 3);
    let mut decoder = Decoder::new(DecoderOptions { model });
    for part in rest.chunks(chunk) {
        if decoder.push(part).is_err() {
            break;
        }
    }
    let _ = decoder.finish();
    while let Some(event) = decoder.next_event() {
        if let Event::Page(page) = event {
            assert_eq!(page.black.len(), page.lines * page.bytes_per_line());
            let window = page.window();
            let bitmap = page.bitmap(window);
            assert_eq!(bitmap.height(), page.lines);
            let _ = page.media();
        }
    }
});

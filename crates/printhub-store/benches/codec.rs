//! Raster codecs for `job_rasters` (`cargo bench -p printhub-store --bench
//! codec`): LZ4 (the default, [`printhub_store::RasterCodec::Lz4`]) against
//! zlib at levels 1 and 6, on a real job raster — the 12 mm QR label the
//! memory bench queues (`data/pt-p750w_tze-12_qr_one_line.bin`, a
//! PackBits-compressed PT-P750W stream written by printhub's encoder). The
//! compression runs on a printer's actor thread for every job it queues, so
//! its time per raster is what counts; the size is what the writer writes.
//! zlib reuses one compressor per level, reset for each raster, as the
//! store does.
//! Five rounds, interleaved; the median of each is printed.

use std::io::Read;
use std::time::Instant;

const RASTER: &[u8] = include_bytes!("data/pt-p750w_tze-12_qr_one_line.bin");
const ROUNDS: usize = 5;
const PER_ROUND: u32 = 4000;

thread_local! {
    /// One compressor per level, reset for each raster, as the store keeps
    /// one per thread (a new one allocates ~300 KiB of tables each time).
    static COMPRESSORS: std::cell::RefCell<Vec<(u32, flate2::Compress)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn zlib(level: u32) -> Vec<u8> {
    COMPRESSORS.with(|cell| {
        let mut kept = cell.borrow_mut();
        let at = match kept.iter().position(|(l, _)| *l == level) {
            Some(at) => at,
            None => {
                kept.push((
                    level,
                    flate2::Compress::new(flate2::Compression::new(level), true),
                ));
                kept.len() - 1
            }
        };
        let compress = &mut kept[at].1;
        compress.reset();
        let mut out = Vec::with_capacity(RASTER.len() + 64);
        let status = compress
            .compress_vec(RASTER, &mut out, flate2::FlushCompress::Finish)
            .expect("compress");
        assert_eq!(
            status,
            flate2::Status::StreamEnd,
            "room for the whole stream"
        );
        out
    })
}

fn unzlib(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(RASTER.len());
    flate2::read::ZlibDecoder::new(data)
        .read_to_end(&mut out)
        .expect("decompress");
    out
}

fn lz4() -> Vec<u8> {
    lz4_flex::block::compress(RASTER)
}

fn unlz4(data: &[u8]) -> Vec<u8> {
    lz4_flex::block::decompress(data, RASTER.len()).expect("decompress")
}

/// Median µs per call of `f` over the rounds.
fn time(rounds: &mut [Vec<f64>], i: usize, mut f: impl FnMut() -> usize) {
    let start = Instant::now();
    let mut sink = 0;
    for _ in 0..PER_ROUND {
        sink += f();
    }
    std::hint::black_box(sink);
    rounds[i].push(start.elapsed().as_secs_f64() * 1e6 / f64::from(PER_ROUND));
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A codec: its name, how it packs the raster, how it unpacks it.
type Codec = (&'static str, fn() -> Vec<u8>, fn(&[u8]) -> Vec<u8>);

fn main() {
    let cases: [Codec; 3] = [
        ("lz4", lz4, unlz4),
        ("zlib 1", || zlib(1), unzlib),
        ("zlib 6", || zlib(6), unzlib),
    ];
    for (_, pack, unpack) in &cases {
        assert_eq!(unpack(&pack()), RASTER, "round trip");
    }
    let mut packing = vec![Vec::new(); cases.len()];
    let mut unpacking = vec![Vec::new(); cases.len()];
    for _ in 0..ROUNDS {
        for (i, (_, pack, unpack)) in cases.iter().enumerate() {
            time(&mut packing, i, || pack().len());
            let packed = pack();
            time(&mut unpacking, i, || unpack(&packed).len());
        }
    }
    println!(
        "job_rasters codecs on a {}-byte 12 mm QR label raster (median of {ROUNDS} rounds)",
        RASTER.len()
    );
    for (i, (name, pack, _)) in cases.iter().enumerate() {
        println!(
            "  {name:7} {:5} bytes ({:.1}x), compress {:6.2} µs, decompress {:5.2} µs",
            pack().len(),
            RASTER.len() as f64 / pack().len() as f64,
            median(&mut packing[i]),
            median(&mut unpacking[i]),
        );
    }
}

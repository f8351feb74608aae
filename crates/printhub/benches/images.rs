//! Image upload load (`make bench`, issue #15): six clients upload a
//! 6000 × 6600 16-bit RGB PNG (within the pixel limit) at the same time over
//! loopback HTTP to the gateway with `printhub serve`'s default limits, and
//! the process's peak resident memory (`VmHWM`) is read before and after.
//! Before the image gate and the row-by-row PNG decoder, this load took the
//! process from about 60 MB to 2.6 GB; it must now stay under 512 MiB. The
//! gate lets two decodes run and the rest wait, so every upload is accepted.
//! Linux only (reads `/proc/self/status`).

use printhub_actors::{
    Hub, HubConfig, MemoryStore, MemoryTransport, PrinterConfig, TransportFactory,
};
use std::io::Write;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The peak resident set of this process, in MiB (`VmHWM`).
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// A 6000 × 6600 16-bit RGB PNG of large squares, written row by row (it
/// compresses to little; decoded naively it is 6 bytes a pixel, 238 MB).
fn big_png() -> Vec<u8> {
    let (w, h) = (6000u32, 6600u32);
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Sixteen);
        let mut writer = encoder.write_header().expect("header");
        let mut stream = writer.stream_writer().expect("stream");
        let mut row = vec![0u8; w as usize * 6];
        for y in 0..h {
            for x in 0..w {
                let v: u16 = if (x / 400 + y / 400) % 2 == 0 {
                    0x1000
                } else {
                    0xF000
                };
                let px = &mut row[x as usize * 6..x as usize * 6 + 6];
                for c in px.chunks_exact_mut(2) {
                    c.copy_from_slice(&v.to_be_bytes());
                }
            }
            stream.write_all(&row).expect("row");
        }
        stream.finish().expect("finish");
    }
    out
}

fn multipart(file: &[u8]) -> Vec<u8> {
    let mut body = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
    body.extend_from_slice(file);
    body.extend_from_slice(b"\r\n--b--\r\n");
    body
}

fn main() {
    actix_web::rt::System::new().block_on(async move {
        let factory: TransportFactory = Rc::new(|_| Ok(Box::new(MemoryTransport::default())));
        let hub = Hub::start_with(
            HubConfig::default(),
            Arc::new(MemoryStore::default()),
            factory,
        );
        hub.add_printer(PrinterConfig {
            id: None,
            slug: "ql".into(),
            name: "bench".into(),
            model: "QL-820NWB".into(),
            media: "dk-62".into(),
            address: "127.0.0.1:9".into(),
            enabled: true,
            snmp: None,
            snmp_community: None,
            paused: true,
            defaults: Default::default(),
        })
        .await
        .expect("printer");
        let store = printhub_store::Store::open_in_memory(printhub_store::StoreConfig::default())
            .expect("store");
        let auth = printhub_gateway::Auth::open(
            printhub_gateway::AuthConfig {
                anonymous: Some(printhub_gateway::Scope::Admin),
                ..Default::default()
            },
            Arc::new(store),
        )
        .expect("auth");
        // As `printhub serve` by default: one gate for every worker, 8 MiB bodies.
        let config = printhub::config::Config::demo(std::path::Path::new("unused"));
        let limits =
            printhub_gateway::Limits::new(config.limits.gateway(config.auth.rate_limit_per_minute));
        let gate = limits.clone();
        let server_hub = hub.clone();
        let body_limit = config.body_limit;
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(actix_web::web::Data::new(server_hub.clone()))
                .app_data(actix_web::web::Data::new(auth.clone()))
                .app_data(actix_web::web::Data::new(limits.clone()))
                .app_data(actix_web::web::Data::new(printhub_gateway::GatewayConfig {
                    body_limit,
                }))
                .configure(printhub_gateway::configure)
        })
        .workers(2)
        .bind(("127.0.0.1", 0))
        .expect("bind");
        let addr = server.addrs()[0];
        actix_web::rt::spawn(server.run());

        let file = big_png();
        let body = multipart(&file);
        let before = peak_rss_mib();
        println!(
            "six concurrent uploads of a 6000x6600 16-bit RGB PNG ({} KiB compressed)",
            file.len() / 1024
        );
        let start = Instant::now();
        let uploads = (0..6).map(|_| {
            let (url, body) = (format!("http://{addr}/api/printers/ql/jobs"), body.clone());
            async move {
                let client = awc::Client::builder()
                    .timeout(Duration::from_secs(600))
                    .finish();
                let resp = client
                    .post(&url)
                    .insert_header(("content-type", "multipart/form-data; boundary=b"))
                    .send_body(body)
                    .await
                    .expect("answered");
                resp.status().as_u16()
            }
        });
        let statuses = futures_util::future::join_all(uploads).await;
        let wall = start.elapsed();
        let after = peak_rss_mib();
        println!("  statuses: {statuses:?} in {:.1} s", wall.as_secs_f64());
        println!("  peak RSS before: {before:?} MiB, after: {after:?} MiB (limit 512)");
        println!(
            "  gate now: {} running, {} waiting",
            gate.decodes_running(),
            gate.decodes_waiting()
        );
        assert!(
            statuses.iter().all(|s| *s == 202),
            "every upload is accepted: {statuses:?}"
        );
        if let Some(peak) = after {
            assert!(peak < 512, "peak RSS {peak} MiB is over 512 MiB");
        }
        hub.shutdown().await.expect("shutdown");
    });
}

//! Real IPP clients against the hub's IPP listener on loopback:
//!
//! - CUPS's `ipptool` running its own `ipp-everywhere.test` (which includes
//!   `ipp-1.1.test` and `ipp-2.0.test`) with a JPEG document;
//! - a real CUPS scheduler: the test starts its own `cupsd` (own
//!   ServerRoot, spool, cache, state and logs in a temporary folder, a free
//!   loopback port), adds the hub printer driverless with
//!   `lpadmin -m everywhere` and prints a PDF with `lp`. CUPS turns the PDF
//!   into Apple raster (pdftopdf, gstoraster, rastertopwg) and sends it with
//!   its `ipp` backend; the label must come out of the emulator with the
//!   PDF's rectangle where it was drawn, and the hub must list the job as a
//!   completed IPP job.
//!
//! The tools come from Debian's `cups-ipp-utils`, `cups` (the scheduler
//! with its filters and `rastertopwg`), `cups-client` and `cups-filters`,
//! installed by `scripts/ensure-cups.sh` from `make test` and `.ci/run`.
//! Without them the tests fail saying what to install, or, with
//! `PRINTHUB_SKIP_CUPS=1`, skip loudly.

use printhub::config::{Config, PrinterEntry};
use printhub::ipp_listener::IppService;
use printhub_emulator::{Emulator, EmulatorConfig};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Where Debian puts ipptool's test files.
const IPPTOOL_TESTS: &str = "/usr/share/cups/ipptool";

/// `ipptool`, or `None` when it is missing and `PRINTHUB_SKIP_CUPS=1`.
fn ipptool() -> Option<PathBuf> {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
        let path = Path::new(dir).join("ipptool");
        if path.is_file()
            && Path::new(IPPTOOL_TESTS)
                .join("ipp-everywhere.test")
                .is_file()
        {
            return Some(path);
        }
    }
    if std::env::var("PRINTHUB_SKIP_CUPS").as_deref() == Ok("1") {
        eprintln!("SKIPPED: ipptool is not installed and PRINTHUB_SKIP_CUPS=1");
        return None;
    }
    panic!(
        "the IPP tests need ipptool and its tests (apt-get install cups-ipp-utils; \
         scripts/ensure-cups.sh does it), or PRINTHUB_SKIP_CUPS=1 to skip"
    );
}

/// A PWG raster page (PWG 5102.4) of `width` × `height` at 300 dpi in
/// colour space `space` with `bits` bits a pixel, each line `line(y)`,
/// written as literal runs.
fn pwg(width: u32, height: u32, space: u32, bits: u32, line: impl Fn(u32) -> Vec<u8>) -> Vec<u8> {
    let mut header = vec![0u8; printhub_ipp::raster::PWG_HEADER];
    header[..9].copy_from_slice(b"PwgRaster");
    let bytes_per_line = (width * bits).div_ceil(8);
    let bpc = if bits == 24 { 8 } else { bits };
    for (at, value) in [
        (276, 300),
        (280, 300),
        (372, width),
        (376, height),
        (384, bpc),
        (388, bits),
        (392, bytes_per_line),
        (400, space),
    ] {
        header[at..at + 4].copy_from_slice(&value.to_be_bytes());
    }
    let unit = if bits == 24 { 3 } else { 1 };
    let mut out = b"RaS2".to_vec();
    out.extend_from_slice(&header);
    for y in 0..height {
        let data = line(y);
        out.push(0);
        for chunk in data.chunks(128 * unit) {
            let units = chunk.len() / unit;
            out.push(if units == 1 { 0 } else { (257 - units) as u8 });
            out.extend_from_slice(chunk);
        }
    }
    out
}

/// The sample files `ipp-everywhere.test` names (PWG's raster samples,
/// which Debian does not ship). `ipptool` reads every `FILE` when it loads
/// the test, even of tests it then skips, so each must exist: the ones this
/// printer runs (300 dpi; black_1, sgray_8, srgb_8) get a real 4 × 6 inch
/// page with a frame, the others (skipped: other resolutions and colour
/// spaces) an empty file.
fn write_samples(dir: &Path) {
    let tests = std::fs::read_to_string(dir.join("ipp-everywhere.test")).expect("test file");
    let (w, h) = (1200, 1800);
    let frame = |x: u32, y: u32| x < 60 || y < 60 || x >= w - 60 || y >= h - 60;
    for line in tests.lines() {
        let Some(file) = line.trim().strip_prefix("FILE ") else {
            continue;
        };
        let path = dir.join(file.trim());
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let bytes = if !file.contains("-300dpi") {
            Vec::new()
        } else if file.contains("black-1") {
            pwg(w, h, 3, 1, |y| {
                (0..w.div_ceil(8))
                    .map(|b| {
                        (0..8).fold(0u8, |acc, bit| {
                            let x = b * 8 + bit;
                            acc | if x < w && frame(x, y) { 0x80 >> bit } else { 0 }
                        })
                    })
                    .collect()
            })
        } else if file.contains("sgray-8") {
            pwg(w, h, 18, 8, |y| {
                (0..w).map(|x| if frame(x, y) { 0 } else { 255 }).collect()
            })
        } else if file.contains("srgb-8") {
            pwg(w, h, 19, 24, |y| {
                (0..w)
                    .flat_map(|x| {
                        if frame(x, y) {
                            [0, 0, 0]
                        } else {
                            [255, 255, 255]
                        }
                    })
                    .collect()
            })
        } else {
            Vec::new()
        };
        std::fs::write(&path, bytes).expect("sample");
    }
}

/// A 600 × 400 JPEG with a dark frame.
fn jpeg() -> Vec<u8> {
    let img = image::GrayImage::from_fn(600, 400, |x, y| {
        let edge = x < 30 || y < 30 || x >= 570 || y >= 370;
        image::Luma([if edge { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    out.into_inner()
}

#[actix_web::test]
async fn ipptool_ipp_everywhere_test_passes_against_a_hub_printer() {
    let Some(ipptool) = ipptool() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let mut config = Config::demo(dir.path());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.emulators.clear();
    config.ipp = None;
    config.body_limit = 64 << 20;
    config.printers = vec![PrinterEntry {
        slug: "ql".into(),
        name: Some("Shipping".into()),
        model: "QL-820NWB".into(),
        media: "dk-62".into(),
        address: Some(emu.tcp_addr().to_string()),
        device: None,
        snmp: None,
        snmp_community: None,
        defaults: None,
    }];
    let running = printhub::serve::build(&config).await.expect("build");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    // The web UI's address (printer-more-info) must be a valid URI: no port 0.
    let web = "127.0.0.1:8080".parse().expect("addr");
    let routes = IppService::new(&running, addr, web, config.body_limit).configure();
    let server =
        actix_web::HttpServer::new(move || actix_web::App::new().configure(routes.clone()))
            .workers(2)
            .disable_signals()
            .listen(listener)
            .expect("listen")
            .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    // ipptool's tests, beside the sample files they name.
    let tests = dir.path().join("ipptool");
    std::fs::create_dir_all(&tests).expect("mkdir");
    for entry in std::fs::read_dir(IPPTOOL_TESTS).expect("ipptool tests") {
        let entry = entry.expect("entry");
        if entry.path().extension().is_some_and(|e| e == "test") {
            std::fs::copy(entry.path(), tests.join(entry.file_name())).expect("copy");
        }
    }
    write_samples(&tests);
    let document = dir.path().join("label.jpg");
    std::fs::write(&document, jpeg()).expect("jpeg");
    let uri = format!("ipp://127.0.0.1:{}/ipp/print/ql", addr.port());
    let run = {
        let tests = tests.clone();
        actix_web::rt::task::spawn_blocking(move || {
            Command::new(ipptool)
                .arg("-V")
                .arg("2.0")
                .arg("-tv")
                .arg("-f")
                .arg(&document)
                .arg(&uri)
                .arg(tests.join("ipp-everywhere.test"))
                .output()
                .expect("run ipptool")
        })
    };
    let output = run.await.expect("ipptool finished");
    handle.stop(false).await;
    let report = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr);

    let results: Vec<(&str, &str)> = report
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            ["[PASS]", "[FAIL]", "[SKIP]"]
                .iter()
                .find(|tag| line.ends_with(*tag))
                .map(|tag| (line.trim_end_matches(tag).trim(), *tag))
        })
        .collect();
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, r)| *r == "[FAIL]")
        .map(|(name, _)| *name)
        .collect();
    assert!(
        failed.is_empty(),
        "ipptool failures {failed:?}\n{report}\n{stderr}"
    );
    // What may be skipped, and why (ipptool skips these by itself from
    // what the printer advertises):
    // - Print-URI and Send-URI (with the Create-Job that opens the Send-URI
    //   group): optional in IPP Everywhere; the hub fetches no URIs.
    // - The PWG sample prints at resolutions other than 300 dpi and in
    //   cmyk_8 or srgb_16: the QL-820NWB advertises 300 dpi and black_1,
    //   sgray_8, srgb_8 (PWG 5100.14 asks for nothing more).
    let may_skip = |name: &str| {
        name.contains("URI")
            || name == "RFC 8011 section 4.2.4: Create-Job Operation"
            || (name.starts_with("Print ")
                && (!name.contains("@ 300dpi")
                    || name.contains("cmyk-8")
                    || name.contains("srgb-16")))
    };
    for (name, result) in &results {
        if *result == "[SKIP]" {
            assert!(may_skip(name), "unexpected skip: {name}\n{report}");
        }
    }
    // The 300 dpi samples this printer takes ran and passed.
    for kind in ["black-1", "sgray-8", "srgb-8"] {
        for suffix in ["", ", deflate", ", gzip"] {
            let name = format!("Print color.jpg-4x6 @ 300dpi, {kind}{suffix}");
            assert!(
                results.contains(&(name.as_str(), "[PASS]")),
                "{name} did not pass\n{report}"
            );
        }
    }
    let passed = results.iter().filter(|(_, r)| *r == "[PASS]").count();
    let skipped: Vec<&str> = results
        .iter()
        .filter(|(_, r)| *r == "[SKIP]")
        .map(|(name, _)| *name)
        .collect();
    eprintln!("ipptool ipp-everywhere.test: {passed} passed, skipped {skipped:?}");
    assert!(passed >= 40, "{passed} passed\n{report}\n{stderr}");
    assert!(
        output.status.success(),
        "ipptool exit {:?}\n{report}\n{stderr}",
        output.status
    );
    // Labels came out: ipptool's JPEG jobs and the samples.
    assert!(emu.pages().len() >= 9, "{} labels", emu.pages().len());
}

/// How long any one CUPS command, cupsd's start or the job may take.
const CUPS_DEADLINE: Duration = Duration::from_secs(30);

/// What the scheduler test runs, by path (cupsd and lpadmin live in
/// /usr/sbin, which a non-root PATH may lack).
const CUPS_TOOLS: [&str; 4] = [
    "/usr/sbin/cupsd",
    "/usr/sbin/lpadmin",
    "/usr/bin/lp",
    "/usr/bin/lpstat",
];

/// What CUPS needs to turn a PDF into the Apple raster a driverless queue
/// for this printer sends: pdftopdf and gstoraster (cups-filters), and
/// rastertopwg with the conversion rules naming it (Debian's `cups`).
const CUPS_FILTERS: [&str; 4] = [
    "/usr/lib/cups/filter/pdftopdf",
    "/usr/lib/cups/filter/gstoraster",
    "/usr/lib/cups/filter/rastertopwg",
    "/usr/share/cups/mime/mime.convs",
];

/// `true` when the scheduler and its filters are installed; `false` when
/// they are not and `PRINTHUB_SKIP_CUPS=1`; a panic naming what is missing
/// otherwise.
fn cups_scheduler() -> bool {
    let missing: Vec<&str> = CUPS_TOOLS
        .iter()
        .chain(CUPS_FILTERS.iter())
        .copied()
        .filter(|path| !Path::new(path).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("PRINTHUB_SKIP_CUPS").as_deref() == Ok("1") {
        eprintln!("SKIPPED: {missing:?} not installed and PRINTHUB_SKIP_CUPS=1");
        return false;
    }
    panic!(
        "the CUPS scheduler test needs {missing:?} (apt-get install cups cups-client \\
         cups-filters; scripts/ensure-cups.sh does it), or PRINTHUB_SKIP_CUPS=1 to skip"
    );
}

/// Runs `program` to its end, killing it after [`CUPS_DEADLINE`].
fn run_bounded(program: &str, args: &[&str]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let deadline = Instant::now() + CUPS_DEADLINE;
    loop {
        match child.try_wait().expect("wait") {
            Some(_) => return child.wait_with_output().expect("output"),
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("output");
                panic!(
                    "{program} {args:?} did not finish in {CUPS_DEADLINE:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// One line of `id` (`-u`, `-un`, `-gn`) for this process.
fn id(flag: &str) -> String {
    let out = run_bounded("id", &[flag]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A private CUPS scheduler: `cupsd -f` with its own ServerRoot, spool,
/// cache, state and logs under one folder, listening on a free loopback
/// port; killed when dropped.
struct Cupsd {
    child: Child,
    /// `127.0.0.1:PORT`, for the clients' `-h`.
    server: String,
    /// The folder holding its configuration and logs.
    root: PathBuf,
}

impl Cupsd {
    /// Starts cupsd in `root` and waits (bounded) until it accepts
    /// connections.
    fn start(root: &Path) -> Cupsd {
        use std::os::unix::fs::PermissionsExt as _;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        for sub in ["spool", "cache", "state", "log"] {
            std::fs::create_dir_all(root.join(sub)).expect("mkdir");
        }
        // As root, cupsd runs its filters as `User` (it refuses root): that
        // user must reach the spool through every parent folder.
        for dir in root
            .ancestors()
            .take_while(|d| d.starts_with(std::env::temp_dir()))
        {
            if dir != std::env::temp_dir() {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
                    .expect("chmod");
            }
        }
        // Filters run as `lp` under root (cupsd refuses to run them as
        // root), as the caller otherwise; the admin group must differ.
        let users = if id("-u") == "0" {
            "User lp\nGroup lp\nSystemGroup root\n".to_string()
        } else {
            format!("SystemGroup {}\n", id("-gn"))
        };
        // Anyone on loopback may do anything: the policy has no
        // authentication, so lpadmin needs no password.
        let cupsd_conf = format!(
            "Listen 127.0.0.1:{port}\n\
             LogLevel debug\n\
             MaxLogSize 0\n\
             WebInterface No\n\
             Browsing No\n\
             DefaultAuthType None\n\
             ErrorPolicy abort-job\n\
             <Location />\n  Order allow,deny\n  Allow all\n</Location>\n\
             <Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        );
        let r = root.display();
        let files_conf = format!(
            "ServerRoot {r}\n\
             RequestRoot {r}/spool\n\
             CacheDir {r}/cache\n\
             StateDir {r}/state\n\
             ErrorLog {r}/log/error_log\n\
             AccessLog {r}/log/access_log\n\
             PageLog {r}/log/page_log\n\
             ServerBin /usr/lib/cups\n\
             DataDir /usr/share/cups\n\
             Sandboxing relaxed\n\
             {users}"
        );
        std::fs::write(root.join("cupsd.conf"), cupsd_conf).expect("cupsd.conf");
        std::fs::write(root.join("cups-files.conf"), files_conf).expect("cups-files.conf");
        let child = Command::new("/usr/sbin/cupsd")
            .arg("-f")
            .arg("-c")
            .arg(root.join("cupsd.conf"))
            .arg("-s")
            .arg(root.join("cups-files.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start cupsd");
        let mut cupsd = Cupsd {
            child,
            server: format!("127.0.0.1:{port}"),
            root: root.to_path_buf(),
        };
        let deadline = Instant::now() + CUPS_DEADLINE;
        loop {
            if let Some(status) = cupsd.child.try_wait().expect("wait") {
                panic!("cupsd exited with {status}:\n{}", cupsd.log());
            }
            if std::net::TcpStream::connect(&cupsd.server).is_ok() {
                return cupsd;
            }
            assert!(
                Instant::now() < deadline,
                "cupsd did not listen on {}:\n{}",
                cupsd.server,
                cupsd.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs a CUPS client (`lpadmin`, `lp`, `lpstat`) against this
    /// scheduler, off the test's thread (the hub answers CUPS on it).
    async fn client(&self, program: &'static str, args: &[&str]) -> Output {
        let mut all = vec!["-h".to_string(), self.server.clone()];
        all.extend(args.iter().map(|a| a.to_string()));
        actix_web::rt::task::spawn_blocking(move || {
            let args: Vec<&str> = all.iter().map(String::as_str).collect();
            run_bounded(program, &args)
        })
        .await
        .expect("client")
    }

    /// The last lines of the scheduler's error log (what went wrong).
    fn log(&self) -> String {
        let log = std::fs::read_to_string(self.root.join("log/error_log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(80)..].join("\n")
    }
}

impl Drop for Cupsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A one-page PDF of `width` × `height` points with one black rectangle
/// (`x`, `y`, `w`, `h` in points from the bottom left), written out with
/// its cross-reference table.
fn pdf(width: f32, height: f32, rect: [f32; 4]) -> Vec<u8> {
    let content = format!(
        "0 g {:.2} {:.2} {:.2} {:.2} re f\n",
        rect[0], rect[1], rect[2], rect[3]
    );
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.2} {height:.2}] \
             /Contents 4 0 R /Resources << >> >>"
        ),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (n, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{object}\nendobj\n", n + 1).bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    out
}

#[actix_web::test]
async fn cups_prints_a_pdf_through_a_driverless_queue_for_a_hub_printer() {
    if !cups_scheduler() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let mut config = Config::demo(dir.path());
    config.data_dir = dir.path().join("hub");
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.emulators.clear();
    config.ipp = None;
    config.printers = vec![PrinterEntry {
        slug: "ql".into(),
        name: Some("Shipping".into()),
        model: "QL-820NWB".into(),
        media: "dk-62".into(),
        address: Some(emu.tcp_addr().to_string()),
        device: None,
        snmp: None,
        snmp_community: None,
        defaults: None,
    }];
    let running = printhub::serve::build(&config).await.expect("build");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let web = "127.0.0.1:8080".parse().expect("addr");
    let routes = IppService::new(&running, addr, web, config.body_limit).configure();
    let server =
        actix_web::HttpServer::new(move || actix_web::App::new().configure(routes.clone()))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .expect("listen")
            .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let cupsd = {
        let root = dir.path().join("cups");
        actix_web::rt::task::spawn_blocking(move || Cupsd::start(&root))
            .await
            .expect("cupsd")
    };
    // Driverless: cupsd asks the hub for its attributes and writes the PPD.
    let uri = format!("ipp://127.0.0.1:{}/ipp/print/ql", addr.port());
    let out = cupsd
        .client(
            "/usr/sbin/lpadmin",
            &["-p", "label", "-E", "-v", &uri, "-m", "everywhere"],
        )
        .await;
    assert!(
        out.status.success(),
        "lpadmin: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        cupsd.log()
    );

    // A 62 × 40 mm page with a rectangle across 10–45 % of its width and
    // 20–70 % of its height from the top (PDF counts from the bottom).
    let mm = 72.0 / 25.4;
    let (w, h) = (62.0 * mm, 40.0 * mm);
    let document = dir.path().join("label.pdf");
    std::fs::write(
        &document,
        pdf(w, h, [0.10 * w, 0.30 * h, 0.35 * w, 0.50 * h]),
    )
    .expect("pdf");
    // On a continuous roll the page size is the label's length.
    let path = document.to_string_lossy().to_string();
    let out = cupsd
        .client(
            "/usr/bin/lp",
            &["-d", "label", "-o", "media=Custom.62x40mm", &path],
        )
        .await;
    assert!(
        out.status.success(),
        "lp: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        cupsd.log()
    );

    // The hub lists one IPP job, completed; CUPS sees its job completed.
    let deadline = Instant::now() + CUPS_DEADLINE;
    let job = loop {
        let jobs = running
            .hub
            .list_jobs(printhub_actors::JobFilter::default())
            .await
            .expect("jobs");
        if let Some(job) = jobs.iter().find(|j| j.state.is_terminal()) {
            break job.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no finished hub job ({jobs:?}):\n{}",
            cupsd.log()
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(job.state, printhub_core::JobState::Completed, "{job:?}");
    loop {
        let out = cupsd
            .client("/usr/bin/lpstat", &["-W", "completed", "-o", "label"])
            .await;
        if String::from_utf8_lossy(&out.stdout).contains("label-1") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "CUPS did not see its job complete:\n{}",
            cupsd.log()
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    // The job list of the API shows it as an IPP job.
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .configure(running.app_data(&config))
            .configure(printhub_gateway::configure),
    )
    .await;
    let request = actix_web::test::TestRequest::get()
        .uri("/api/jobs")
        .to_request();
    let list: serde_json::Value = actix_web::test::call_and_read_body_json(&app, request).await;
    let jobs = list["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 1, "{list}");
    assert_eq!(jobs[0]["state"], "completed", "{list}");
    assert_eq!(jobs[0]["content_type"], "ipp", "{list}");
    let by = jobs[0]["submitted_by"].as_str().unwrap_or_default();
    assert!(by.starts_with("ipp:"), "{list}");

    // One label, the printable width of 62 mm DK (696 dots), 40 mm scaled
    // to it (40 × 696 / 62 mm ≈ 449 lines), the rectangle where it was drawn.
    let pages = emu.pages();
    assert_eq!(pages.len(), 1, "one label");
    let label = &pages[0].black;
    let (lw, lh) = (label.width(), label.height());
    assert_eq!(lw, 696);
    assert!((430..470).contains(&lh), "{lh} lines");
    let share = |x0: f32, x1: f32, y0: f32, y1: f32| {
        let xs = (x0 * lw as f32) as usize..(x1 * lw as f32) as usize;
        let ys = (y0 * lh as f32) as usize..(y1 * lh as f32) as usize;
        let total = xs.len() * ys.len();
        let inked = ys
            .flat_map(|y| xs.clone().map(move |x| (x, y)))
            .filter(|&(x, y)| label.get(x, y))
            .count();
        inked as f32 / total.max(1) as f32
    };
    // Inside (a little in from its edges): black.
    assert!(share(0.12, 0.43, 0.22, 0.68) > 0.98, "inside");
    // Around it: white.
    assert!(share(0.48, 1.0, 0.0, 1.0) < 0.01, "right of it");
    assert!(share(0.0, 0.08, 0.0, 1.0) < 0.01, "left of it");
    assert!(share(0.0, 1.0, 0.0, 0.17) < 0.01, "above it");
    assert!(share(0.0, 1.0, 0.73, 1.0) < 0.01, "below it");

    handle.stop(false).await;
    drop(cupsd);
    running.hub.shutdown().await.expect("shutdown");
}

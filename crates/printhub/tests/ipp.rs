//! The IPP listener in front of a built hub and an emulated QL-820NWB:
//! IPP in, the same durable queue, labels out on the emulator. Bad input
//! gets its status and queues nothing.

use actix_web::{test as web_test, App};
use printhub::config::{Config, PrinterEntry};
use printhub::ipp_listener::IppService;
use printhub_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use printhub_ipp::codec::encode_request;
use printhub_ipp::status::code;
use printhub_ipp::{Attribute, Group, IppValue};

/// How long a job may take to print on the instant emulator.
const DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// The demo configuration with one printer, `ql`, at `emu`.
fn config(dir: &std::path::Path, emu: &EmulatorHandle) -> Config {
    let mut config = Config::demo(dir);
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.emulators.clear();
    config.ipp = None;
    config.printers = vec![PrinterEntry {
        slug: "ql".into(),
        name: Some("Shipping".into()),
        model: emu.model().name.into(),
        media: emu.media().map(|m| m.id).unwrap_or_default().into(),
        address: Some(emu.tcp_addr().to_string()),
        device: None,
        snmp: None,
        snmp_community: None,
        defaults: None,
    }];
    config
}

macro_rules! ipp_app {
    ($running:expr, $config:expr, $listen:expr, $limit:expr) => {
        web_test::init_service(
            App::new().configure(
                IppService::new(
                    &$running,
                    $listen.parse().expect("addr"),
                    $config.listen,
                    $limit,
                )
                .configure(),
            ),
        )
        .await
    };
}

fn operation_group(extra: Vec<Attribute>) -> Group {
    let mut attributes = vec![
        Attribute::new("attributes-charset", IppValue::Charset("utf-8".into())),
        Attribute::new(
            "attributes-natural-language",
            IppValue::NaturalLanguage("en".into()),
        ),
        Attribute::new(
            "printer-uri",
            IppValue::Uri("ipp://localhost:8631/ipp/print/ql".into()),
        ),
    ];
    attributes.extend(extra);
    Group {
        tag: 0x01,
        attributes,
    }
}

fn message(operation: u16, extra: Vec<Attribute>, job: Vec<Attribute>, document: &[u8]) -> Vec<u8> {
    let mut groups = vec![operation_group(extra)];
    if !job.is_empty() {
        groups.push(Group {
            tag: 0x02,
            attributes: job,
        });
    }
    encode_request((2, 0), operation, 9, &groups, document)
}

/// Posts `body` to `path`; returns the HTTP status and body.
async fn post<S>(app: &S, path: &str, body: Vec<u8>, auth: Option<&str>) -> (u16, Vec<u8>)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let mut req = web_test::TestRequest::post()
        .uri(path)
        .insert_header(("content-type", "application/ipp"))
        .set_payload(body);
    if let Some(auth) = auth {
        req = req.insert_header(("authorization", auth));
    }
    let resp = web_test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    (status, web_test::read_body(resp).await.to_vec())
}

/// The status code and the attribute `name` of an IPP answer.
fn answer(bytes: &[u8]) -> printhub_ipp::Request<'_> {
    printhub_ipp::parse(bytes).expect("an IPP answer")
}

fn attribute<'a>(answer: &'a printhub_ipp::Request<'_>, name: &str) -> Option<&'a IppValue> {
    answer
        .groups
        .iter()
        .find_map(|g| g.get(name))
        .and_then(|a| a.first())
}

/// A `width` × `height` greyscale PNG, black where `ink(x, y)`.
fn png(width: u32, height: u32, ink: impl Fn(u32, u32) -> bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("header");
    let data: Vec<u8> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .map(|(x, y)| if ink(x, y) { 0 } else { 255 })
        .collect();
    writer.write_image_data(&data).expect("data");
    writer.finish().expect("finish");
    out
}

async fn job_count(running: &printhub::serve::Running) -> usize {
    running
        .hub
        .list_jobs(printhub_actors::JobFilter::default())
        .await
        .expect("jobs")
        .len()
}

#[actix_web::test]
async fn get_printer_attributes_answers_for_the_hubs_printer() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let config = config(dir.path(), &emu);
    let running = printhub::serve::build(&config).await.expect("build");
    let app = ipp_app!(running, config, "127.0.0.1:8631", 1 << 20);

    let (status, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x000b, vec![], vec![], b""),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let reply = answer(&body);
    assert_eq!(reply.operation, code::OK);
    assert_eq!(reply.request_id, 9);
    let Some(IppValue::Keyword(ready)) = attribute(&reply, "media-ready") else {
        panic!("media-ready")
    };
    assert!(ready.starts_with("roll_dk-62_62x"), "{ready}");
    assert_eq!(attribute(&reply, "printer-state"), Some(&IppValue::Enum(3)));
    assert_eq!(
        attribute(&reply, "printer-info"),
        Some(&IppValue::TextWithoutLanguage("Shipping".into()))
    );
    let Some(IppValue::Uri(uuid)) = attribute(&reply, "printer-uuid") else {
        panic!("printer-uuid")
    };
    let printer = running.hub.printer("ql").await.expect("printer");
    assert_eq!(uuid, &format!("urn:uuid:{}", printer.id));
    let Some(IppValue::Uri(uri)) = attribute(&reply, "printer-uri-supported") else {
        panic!("printer-uri-supported")
    };
    assert!(uri.ends_with("/ipp/print/ql"), "{uri}");

    // An unknown printer is IPP's not-found.
    let (status, body) = post(
        &app,
        "/ipp/print/nope",
        message(0x000b, vec![], vec![], b""),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer(&body).operation, code::NOT_FOUND);
}

#[actix_web::test]
async fn bad_messages_are_refused_and_queue_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let config = config(dir.path(), &emu);
    let running = printhub::serve::build(&config).await.expect("build");
    let app = ipp_app!(running, config, "127.0.0.1:8631", 64 * 1024);
    let label = png(40, 20, |x, _| x % 2 == 0);

    // Malformed IPP (a Print-Job cut inside its attributes): HTTP 400.
    let whole = message(0x0002, vec![], vec![], &label);
    let (status, body) = post(&app, "/ipp/print/ql", whole[..20].to_vec(), None).await;
    assert_eq!(status, 400);
    assert!(
        String::from_utf8_lossy(&body).starts_with("ipp_"),
        "{:?}",
        String::from_utf8_lossy(&body)
    );
    // Not application/ipp at all: 400.
    let req = web_test::TestRequest::post()
        .uri("/ipp/print/ql")
        .insert_header(("content-type", "application/json"))
        .set_payload("{}")
        .to_request();
    assert_eq!(web_test::call_service(&app, req).await.status(), 400);

    let print =
        |extra: Vec<Attribute>, job: Vec<Attribute>, doc: &[u8]| message(0x0002, extra, job, doc);
    let mime = |m: &str| Attribute::new("document-format", IppValue::MimeMediaType(m.into()));
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "a PDF",
            print(vec![mime("application/pdf")], vec![], b"%PDF-1.7"),
            code::DOCUMENT_FORMAT_NOT_SUPPORTED,
        ),
        (
            "octet-stream that is no known format",
            print(vec![], vec![], b"%PDF-1.7 pretending"),
            code::DOCUMENT_FORMAT_NOT_SUPPORTED,
        ),
        (
            "a JPEG that is not one",
            print(vec![mime("image/jpeg")], vec![], b"\xff\xd8\xff but broken"),
            code::DOCUMENT_FORMAT_ERROR,
        ),
        (
            "gzip that is not",
            print(
                vec![
                    mime("image/png"),
                    Attribute::new("compression", IppValue::Keyword("gzip".into())),
                ],
                vec![],
                &label,
            ),
            code::COMPRESSION_ERROR,
        ),
        (
            "lzw compression",
            print(
                vec![Attribute::new(
                    "compression",
                    IppValue::Keyword("compress".into()),
                )],
                vec![],
                &label,
            ),
            code::COMPRESSION_NOT_SUPPORTED,
        ),
        (
            "1000 copies",
            print(
                vec![mime("image/png")],
                vec![Attribute::new("copies", IppValue::Integer(1000))],
                &label,
            ),
            code::ATTRIBUTES_OR_VALUES_NOT_SUPPORTED,
        ),
        (
            "a document over the limit",
            print(vec![mime("image/png")], vec![], &vec![0u8; 100 * 1024]),
            code::REQUEST_ENTITY_TOO_LARGE,
        ),
        (
            "an empty document",
            print(vec![mime("image/png")], vec![], b""),
            code::DOCUMENT_FORMAT_ERROR,
        ),
        (
            "Print-URI, not offered",
            message(0x0003, vec![], vec![], b""),
            code::OPERATION_NOT_SUPPORTED,
        ),
        (
            "Send-Document for no job",
            message(
                0x0006,
                vec![
                    Attribute::new("job-id", IppValue::Integer(12345)),
                    Attribute::new("last-document", IppValue::Boolean(true)),
                ],
                vec![],
                &label,
            ),
            code::NOT_FOUND,
        ),
    ];
    for (what, bytes, expected) in cases {
        let (status, body) = post(&app, "/ipp/print/ql", bytes, None).await;
        assert_eq!(status, 200, "{what}");
        assert_eq!(answer(&body).operation, expected, "{what}");
    }
    assert_eq!(job_count(&running).await, 0, "nothing was queued");
}

#[actix_web::test]
async fn a_png_printed_over_ipp_is_a_hub_job_that_prints_on_the_emulator() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let config = config(dir.path(), &emu);
    let running = printhub::serve::build(&config).await.expect("build");
    let app = ipp_app!(running, config, "127.0.0.1:8631", 1 << 20);
    // A black frame around a white page, wider than long: 600 × 300.
    let page = png(600, 300, |x, y| x < 20 || y < 20 || x >= 580 || y >= 280);
    let bytes = message(
        0x0002,
        vec![
            Attribute::new(
                "requesting-user-name",
                IppValue::NameWithoutLanguage("ann".into()),
            ),
            Attribute::new(
                "document-format",
                IppValue::MimeMediaType("image/png".into()),
            ),
        ],
        vec![Attribute::new("copies", IppValue::Integer(2))],
        &page,
    );
    let (status, body) = post(&app, "/ipp/print/ql", bytes, None).await;
    assert_eq!(status, 200);
    let reply = answer(&body);
    assert_eq!(reply.operation, code::OK, "{reply:?}");
    let Some(IppValue::Integer(job_id)) = attribute(&reply, "job-id").cloned() else {
        panic!("job-id")
    };

    // The same job in the hub: source ipp, submitted by the IPP user, 2 copies.
    let jobs = running
        .hub
        .list_jobs(printhub_actors::JobFilter::default())
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].spec.content_type.as_deref(), Some("ipp"));
    assert_eq!(jobs[0].spec.submitted_by.as_deref(), Some("ipp:ann"));
    assert_eq!(jobs[0].spec.copies, 2);
    assert_eq!(printhub_ipp::job::ipp_job_id(jobs[0].id.as_uuid()), job_id);

    // Follow it over IPP until it completes.
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let (_, body) = post(
            &app,
            "/ipp/print/ql",
            message(
                0x0009,
                vec![Attribute::new("job-id", IppValue::Integer(job_id))],
                vec![],
                b"",
            ),
            None,
        )
        .await;
        let reply = answer(&body);
        assert_eq!(reply.operation, code::OK);
        if attribute(&reply, "job-state") == Some(&IppValue::Enum(9)) {
            assert_eq!(
                attribute(&reply, "job-impressions-completed"),
                Some(&IppValue::Integer(2))
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job did not complete: {reply:?}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    // Two labels on the emulator, each the printable width of 62 mm DK
    // (696 dots), with the frame's ink.
    let pages = emu.pages();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].black, pages[1].black);
    let bitmap = &pages[0].black;
    assert_eq!(bitmap.width(), 696);
    // The frame, whichever way the page was turned: ink at both edges of
    // the middle line, none in the middle.
    let mid = bitmap.height() / 2;
    assert!((0..4).any(|x| bitmap.get(x, mid)), "left edge");
    assert!((692..696).any(|x| bitmap.get(x, mid)), "right edge");
    assert!(!bitmap.get(348, mid), "white inside");

    // Get-Jobs: the completed job is listed under which-jobs=completed only.
    let list = |which: &str| {
        message(
            0x000a,
            vec![Attribute::new(
                "which-jobs",
                IppValue::Keyword(which.into()),
            )],
            vec![],
            b"",
        )
    };
    let (_, body) = post(&app, "/ipp/print/ql", list("completed"), None).await;
    assert_eq!(
        attribute(&answer(&body), "job-id"),
        Some(&IppValue::Integer(job_id))
    );
    let (_, body) = post(&app, "/ipp/print/ql", list("not-completed"), None).await;
    assert_eq!(attribute(&answer(&body), "job-id"), None);
    // Cancel-Job on a completed job is not possible.
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(
            0x0008,
            vec![Attribute::new("job-id", IppValue::Integer(job_id))],
            vec![],
            b"",
        ),
        None,
    )
    .await;
    assert_eq!(answer(&body).operation, code::NOT_POSSIBLE);
}

#[actix_web::test]
async fn cancelling_over_ipp_cancels_the_hub_job() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let config = config(dir.path(), &emu);
    let running = printhub::serve::build(&config).await.expect("build");
    running.hub.pause_printer("ql").await.expect("pause");
    let app = ipp_app!(running, config, "127.0.0.1:8631", 1 << 20);
    let page = png(100, 100, |x, y| x == y);
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x0002, vec![], vec![], &page),
        None,
    )
    .await;
    let reply = answer(&body);
    assert_eq!(reply.operation, code::OK);
    assert_eq!(
        attribute(&reply, "job-state"),
        Some(&IppValue::Enum(3)),
        "pending while paused"
    );
    let Some(IppValue::Integer(job_id)) = attribute(&reply, "job-id").cloned() else {
        panic!("job-id")
    };
    // The paused printer says so.
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x000b, vec![], vec![], b""),
        None,
    )
    .await;
    assert_eq!(
        attribute(&answer(&body), "printer-state-reasons"),
        Some(&IppValue::Keyword("paused".into()))
    );
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(
            0x0008,
            vec![Attribute::new("job-id", IppValue::Integer(job_id))],
            vec![],
            b"",
        ),
        None,
    )
    .await;
    assert_eq!(answer(&body).operation, code::OK);
    let jobs = running
        .hub
        .list_jobs(printhub_actors::JobFilter::default())
        .await
        .expect("jobs");
    assert_eq!(jobs[0].state, printhub_core::JobState::Cancelled);
    // And a job cancelled in the hub reads as canceled over IPP.
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(
            0x0009,
            vec![Attribute::new("job-id", IppValue::Integer(job_id))],
            vec![],
            b"",
        ),
        None,
    )
    .await;
    assert_eq!(
        attribute(&answer(&body), "job-state"),
        Some(&IppValue::Enum(7))
    );
    assert!(emu.pages().is_empty());
}

#[actix_web::test]
async fn off_loopback_every_request_needs_an_api_key_over_basic() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let config = config(dir.path(), &emu);
    let running = printhub::serve::build(&config).await.expect("build");
    // The IPP listener on every interface: anonymous is never allowed there.
    let app = ipp_app!(running, config, "0.0.0.0:8631", 1 << 20);
    let gpa = || message(0x000b, vec![], vec![], b"");
    let req = web_test::TestRequest::post()
        .uri("/ipp/print/ql")
        .insert_header(("content-type", "application/ipp"))
        .set_payload(gpa())
        .to_request();
    let resp = web_test::call_service(&app, req).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Basic realm=\"printhub\"")
    );
    let basic = |user: &str, key: &str| {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{key}"))
        )
    };
    let (status, _) = post(
        &app,
        "/ipp/print/ql",
        gpa(),
        Some(&basic("ann", "phk_wrong")),
    )
    .await;
    assert_eq!(status, 401);

    let new_key = |scope, printers| printhub_gateway::auth::NewKey {
        name: "ipp test".into(),
        scope,
        printers,
        expires_at: None,
        rate_limit_per_minute: None,
    };
    let (_, reader) = running
        .auth
        .create_key(new_key(printhub_gateway::Scope::Read, None), "test")
        .expect("key");
    let (status, body) = post(&app, "/ipp/print/ql", gpa(), Some(&basic("ann", &reader))).await;
    assert_eq!(status, 200);
    assert_eq!(answer(&body).operation, code::OK);
    // A read key may not print.
    let page = png(10, 10, |_, _| true);
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x0002, vec![], vec![], &page),
        Some(&basic("ann", &reader)),
    )
    .await;
    assert_eq!(answer(&body).operation, code::FORBIDDEN);
    // A print key whose allow-list leaves this printer out may not either.
    let other = printhub_core::PrinterId::from_u128(1);
    let (_, fenced) = running
        .auth
        .create_key(
            new_key(printhub_gateway::Scope::Print, Some(vec![other])),
            "test",
        )
        .expect("key");
    let (_, body) = post(&app, "/ipp/print/ql", gpa(), Some(&basic("ann", &fenced))).await;
    assert_eq!(answer(&body).operation, code::FORBIDDEN);
    assert_eq!(job_count(&running).await, 0);
    // A print key prints, recorded as the key.
    let (_, printer) = running
        .auth
        .create_key(new_key(printhub_gateway::Scope::Print, None), "test")
        .expect("key");
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x0002, vec![], vec![], &page),
        Some(&basic("ann", &printer)),
    )
    .await;
    assert_eq!(answer(&body).operation, code::OK);
    let jobs = running
        .hub
        .list_jobs(printhub_actors::JobFilter::default())
        .await
        .expect("jobs");
    assert!(jobs[0]
        .spec
        .submitted_by
        .as_deref()
        .is_some_and(|s| s.starts_with("key:")));
}

#[actix_web::test]
async fn pwg_raster_and_urf_pages_become_consecutive_labels_of_one_batch() {
    use printhub_ipp::raster::{encode_pwg_gray, encode_urf_gray, GrayPage};
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let config = config(dir.path(), &emu);
    let running = printhub::serve::build(&config).await.expect("build");
    let app = ipp_app!(running, config, "127.0.0.1:8631", 4 << 20);
    // 62 mm at 300 dpi is 732 pixels across; a 300-line page with a black
    // bar across its first 30 lines.
    let gray = |bar: u32| GrayPage {
        width: 732,
        height: 300,
        dpi: (300, 300),
        pixels: (0..300u32)
            .flat_map(|y| (0..732u32).map(move |_| if y < bar { 0 } else { 255 }))
            .collect(),
    };
    let pwg = encode_pwg_gray(&[gray(30), gray(60)]);
    let mime = |m: &str| Attribute::new("document-format", IppValue::MimeMediaType(m.into()));
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x0002, vec![mime("image/pwg-raster")], vec![], &pwg),
        None,
    )
    .await;
    assert_eq!(answer(&body).operation, code::OK);
    let urf = encode_urf_gray(&[gray(90)]);
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x0002, vec![mime("image/urf")], vec![], &urf),
        None,
    )
    .await;
    assert_eq!(answer(&body).operation, code::OK);
    let deadline = std::time::Instant::now() + DEADLINE;
    while emu.pages().len() < 3 {
        assert!(std::time::Instant::now() < deadline, "three labels print");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let jobs = running
        .hub
        .list_jobs(printhub_actors::JobFilter::default())
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 3);
    let batches: std::collections::HashSet<_> =
        jobs.iter().filter_map(|j| j.spec.batch_id).collect();
    assert_eq!(batches.len(), 1, "the two PWG pages are one batch");
    // Each label carries its page's bar: ink lines grow 30, 60, 90 (scaled
    // by 696/732 to the printable width).
    let inked = |p: &printhub_emulator::RecordedPage| {
        (0..p.black.height())
            .filter(|&y| p.black.get(348, y))
            .count()
    };
    let mut bars: Vec<usize> = emu.pages().iter().map(inked).collect();
    bars.sort_unstable();
    assert!(bars[0] > 20 && bars[0] < 40, "{bars:?}");
    assert!(bars[1] > 50 && bars[1] < 65, "{bars:?}");
    assert!(bars[2] > 80 && bars[2] < 95, "{bars:?}");

    // A raster document with a colour space the printer does not take.
    let mut cmyk = b"UNIRAST\0\0\0\0\x01".to_vec();
    let mut header = [0u8; 32];
    header[0] = 32;
    header[1] = 6;
    cmyk.extend(header);
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x0002, vec![mime("image/urf")], vec![], &cmyk),
        None,
    )
    .await;
    assert_eq!(answer(&body).operation, code::DOCUMENT_FORMAT_NOT_SUPPORTED);
    assert_eq!(job_count(&running).await, 3, "nothing more was queued");
}

#[actix_web::test]
async fn create_job_then_send_document_prints_one_job_under_the_created_id() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let config = config(dir.path(), &emu);
    let running = printhub::serve::build(&config).await.expect("build");
    let app = ipp_app!(running, config, "127.0.0.1:8631", 1 << 20);
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(
            0x0005,
            vec![],
            vec![Attribute::new("copies", IppValue::Integer(2))],
            b"",
        ),
        None,
    )
    .await;
    let reply = answer(&body);
    assert_eq!(reply.operation, code::OK);
    let Some(IppValue::Integer(id)) = attribute(&reply, "job-id").cloned() else {
        panic!("job-id")
    };
    let job_id = |extra: Vec<Attribute>| {
        let mut all = vec![Attribute::new("job-id", IppValue::Integer(id))];
        all.extend(extra);
        all
    };
    // Waiting for its document: pending, job-incoming, nothing queued.
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x0009, job_id(vec![]), vec![], b""),
        None,
    )
    .await;
    let reply = answer(&body);
    assert_eq!(attribute(&reply, "job-state"), Some(&IppValue::Enum(3)));
    assert_eq!(
        attribute(&reply, "job-state-reasons"),
        Some(&IppValue::Keyword("job-incoming".into()))
    );
    assert_eq!(job_count(&running).await, 0);
    // last-document is required.
    let page = png(50, 50, |x, _| x < 25);
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x0006, job_id(vec![]), vec![], &page),
        None,
    )
    .await;
    assert_eq!(answer(&body).operation, code::BAD_REQUEST);
    assert_eq!(job_count(&running).await, 0);
    let last = || Attribute::new("last-document", IppValue::Boolean(true));
    let png_format = || {
        Attribute::new(
            "document-format",
            IppValue::MimeMediaType("image/png".into()),
        )
    };
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x0006, job_id(vec![last(), png_format()]), vec![], &page),
        None,
    )
    .await;
    let reply = answer(&body);
    assert_eq!(reply.operation, code::OK, "{reply:?}");
    assert_eq!(attribute(&reply, "job-id"), Some(&IppValue::Integer(id)));
    // One document a job.
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x0006, job_id(vec![last(), png_format()]), vec![], &page),
        None,
    )
    .await;
    assert_eq!(
        answer(&body).operation,
        code::MULTIPLE_DOCUMENT_JOBS_NOT_SUPPORTED
    );
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x003b, job_id(vec![]), vec![], b""),
        None,
    )
    .await;
    assert_eq!(answer(&body).operation, code::OK);
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let (_, body) = post(
            &app,
            "/ipp/print/ql",
            message(0x0009, job_id(vec![]), vec![], b""),
            None,
        )
        .await;
        let reply = answer(&body);
        assert_eq!(attribute(&reply, "job-id"), Some(&IppValue::Integer(id)));
        if attribute(&reply, "job-state") == Some(&IppValue::Enum(9)) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job did not complete: {reply:?}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(emu.pages().len(), 2, "two copies");
    assert_eq!(job_count(&running).await, 1);
}

#[actix_web::test]
async fn get_jobs_with_my_jobs_lists_only_the_requesting_users_jobs() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let config = config(dir.path(), &emu);
    let running = printhub::serve::build(&config).await.expect("build");
    running.hub.pause_printer("ql").await.expect("pause");
    let app = ipp_app!(running, config, "127.0.0.1:8631", 1 << 20);
    let user = |name: &str| {
        Attribute::new(
            "requesting-user-name",
            IppValue::NameWithoutLanguage(name.into()),
        )
    };
    let page = png(20, 20, |x, y| x == y);
    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x0002, vec![user("ann")], vec![], &page),
        None,
    )
    .await;
    assert_eq!(answer(&body).operation, code::OK);
    let mine = |name: &str| {
        message(
            0x000a,
            vec![
                user(name),
                Attribute::new("my-jobs", IppValue::Boolean(true)),
            ],
            vec![],
            b"",
        )
    };
    let (_, body) = post(&app, "/ipp/print/ql", mine("ann"), None).await;
    assert!(
        attribute(&answer(&body), "job-id").is_some(),
        "ann sees her job"
    );
    let (_, body) = post(&app, "/ipp/print/ql", mine("bob"), None).await;
    assert_eq!(attribute(&answer(&body), "job-id"), None, "bob sees none");
    // Bob's Cancel-My-Jobs leaves Ann's job alone; Ann's cancels it.
    let cancel_mine = |name: &str| message(0x0039, vec![user(name)], vec![], b"");
    post(&app, "/ipp/print/ql", cancel_mine("bob"), None).await;
    assert_eq!(
        running
            .hub
            .list_jobs(printhub_actors::JobFilter::default())
            .await
            .expect("jobs")[0]
            .state,
        printhub_core::JobState::Queued
    );
    let (_, body) = post(&app, "/ipp/print/ql", cancel_mine("ann"), None).await;
    assert_eq!(answer(&body).operation, code::OK);
    assert_eq!(
        running
            .hub
            .list_jobs(printhub_actors::JobFilter::default())
            .await
            .expect("jobs")[0]
            .state,
        printhub_core::JobState::Cancelled
    );
}

#[actix_web::test]
async fn an_auto_printer_offers_and_prints_on_the_medium_it_reported() {
    // `media = "auto"`: the configured value is not a catalogue id, so the
    // IPP printer must describe (and lay pages out for) what the printer
    // reported over its status channel.
    let dir = tempfile::tempdir().expect("tmp");
    // A network QL reports its medium over SNMP only.
    let emu =
        Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62").with_snmp()).expect("emulator");
    let mut config = config(dir.path(), &emu);
    config.printers[0].media = "auto".into();
    config.printers[0].snmp = emu.snmp_addr().map(|a| a.to_string());
    let running = printhub::serve::build(&config).await.expect("build");
    let app = ipp_app!(running, config, "127.0.0.1:8631", 1 << 20);

    // Until the first status read there is nothing to offer; wait for it.
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let printer = running.hub.printer("ql").await.expect("printer");
        if printer.layout_media.as_deref() == Some("dk-62") {
            assert_eq!(printer.media, "auto");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no medium reported: {printer:?}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }

    let (_, body) = post(
        &app,
        "/ipp/print/ql",
        message(0x000b, vec![], vec![], b""),
        None,
    )
    .await;
    let reply = answer(&body);
    assert_eq!(reply.operation, code::OK);
    let Some(IppValue::Keyword(ready)) = attribute(&reply, "media-ready") else {
        panic!("media-ready: {reply:?}")
    };
    assert!(ready.starts_with("roll_dk-62_62x"), "{ready}");

    let page = png(600, 300, |x, y| x < 20 || y < 20 || x >= 580 || y >= 280);
    let bytes = message(
        0x0002,
        vec![Attribute::new(
            "document-format",
            IppValue::MimeMediaType("image/png".into()),
        )],
        vec![],
        &page,
    );
    let (status, body) = post(&app, "/ipp/print/ql", bytes, None).await;
    assert_eq!(status, 200);
    let reply = answer(&body);
    assert_eq!(reply.operation, code::OK, "{reply:?}");
    let deadline = std::time::Instant::now() + DEADLINE;
    while emu.pages().is_empty() {
        assert!(std::time::Instant::now() < deadline, "nothing printed");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(emu.pages()[0].black.width(), 696, "62 mm printable width");
}

#[actix_web::test]
async fn a_printers_print_defaults_apply_to_ipp_documents() {
    // IPP offers no finishings: the printer's own defaults decide the cut.
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let mut config = config(dir.path(), &emu);
    config.printers[0].defaults = Some(printhub_core::PrinterDefaults {
        cut: printhub_core::CutDefault::None,
        ..printhub_core::PrinterDefaults::default()
    });
    let running = printhub::serve::build(&config).await.expect("build");
    let app = ipp_app!(running, config, "127.0.0.1:8631", 1 << 20);
    let page = png(600, 300, |x, y| x < 20 || y < 20 || x >= 580 || y >= 280);
    let bytes = message(
        0x0002,
        vec![Attribute::new(
            "document-format",
            IppValue::MimeMediaType("image/png".into()),
        )],
        vec![],
        &page,
    );
    let (_, body) = post(&app, "/ipp/print/ql", bytes, None).await;
    assert_eq!(answer(&body).operation, code::OK);
    let deadline = std::time::Instant::now() + DEADLINE;
    while emu.pages().is_empty() {
        assert!(std::time::Instant::now() < deadline, "nothing printed");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(
        !emu.pages()[0].meta.auto_cut,
        "never cut, as the printer is set"
    );
}

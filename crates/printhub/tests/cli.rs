//! The CLI from the outside: the exact command forms of the raster issue,
//! exit codes, one-line errors, and no half-written files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod deploy;
mod legacy;

fn printhub(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_printhub"))
        .args(args)
        .env("RUST_LOG", "off")
        .output()
        .expect("run printhub")
}

fn vector(case: &str, file: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../printhub-raster/tests/data/vectors");
    root.join(case).join(file).to_string_lossy().into_owned()
}

/// A derived vector of printhub-raster's tests (`tests/data/derived`, see its README).
fn derived(case: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../printhub-raster/tests/data/derived");
    root.join(case)
        .join("output.bin")
        .to_string_lossy()
        .into_owned()
}

fn path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Asserts failure with exactly one line on stderr that mentions `needle`.
fn fails_with(out: &Output, needle: &str) {
    assert!(!out.status.success(), "must fail");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line, got: {err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
}

fn read_png_gray(p: &Path) -> (u32, u32, Vec<u8>) {
    let img = image::open(p).expect("png").to_luma8();
    (img.width(), img.height(), img.into_raw())
}

#[test]
fn encode_then_decode_gives_the_input_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let job = path(&dir, "job.bin");
    let out = printhub(&[
        "raster",
        "encode",
        "--model",
        "QL-820NWB",
        "--media",
        "dk-62",
        "--input",
        &vector("ql820nwb_62_frames_l_comp", "input.png"),
        "--output",
        s(&job),
        "--copies",
        "2",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pages = path(&dir, "pages");
    let out = printhub(&["raster", "decode", s(&job), "--out-dir", s(&pages)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let input = read_png_gray(Path::new(&vector("ql820nwb_62_frames_l_comp", "input.png")));
    for n in 1..=2 {
        assert_eq!(
            read_png_gray(&pages.join(format!("page-{n}.png"))),
            input,
            "page {n}"
        );
        let meta: serde_json::Value = serde_json::from_slice(
            &std::fs::read(pages.join(format!("page-{n}.json"))).expect("json"),
        )
        .expect("parse");
        assert_eq!(meta["media"], "dk-62");
        assert_eq!(meta["lines"], 172);
        assert_eq!(meta["auto_cut"], true);
    }
    assert!(!pages.join("page-3.png").exists());
}

#[test]
fn landscape_tape_images_are_turned_automatically() {
    // ptouch's input for 12 mm tape is 180×70 (landscape): height = printable dots → turned.
    let dir = tempfile::tempdir().expect("tmp");
    let job = path(&dir, "job.bin");
    let input = vector("ptp750w_12mm_frames_l", "input.png");
    let out = printhub(&[
        "raster",
        "encode",
        "--model",
        "PT-P750W",
        "--media",
        "tze-12",
        "--input",
        &input,
        "--output",
        s(&job),
        "--half-cut",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Our job and ptouch's decode to the same raster (compare decoded lines, not bytes).
    let ours = path(&dir, "ours");
    let theirs = path(&dir, "theirs");
    assert!(
        printhub(&["raster", "decode", s(&job), "--out-dir", s(&ours)])
            .status
            .success()
    );
    let peer = vector("ptp750w_12mm_frames_l", "output.bin");
    assert!(
        printhub(&["raster", "decode", &peer, "--out-dir", s(&theirs)])
            .status
            .success()
    );
    assert_eq!(
        read_png_gray(&ours.join("page-1.png")),
        read_png_gray(&theirs.join("page-1.png"))
    );
}

#[test]
fn two_colour_jobs_keep_red() {
    let dir = tempfile::tempdir().expect("tmp");
    let job = path(&dir, "job.bin");
    let input = vector("ql820nwb_62red_red_l_comp", "input.png");
    let out = printhub(&[
        "raster",
        "encode",
        "--model",
        "QL-820NWB",
        "--media",
        "dk-62-red",
        "--red",
        "--input",
        &input,
        "--output",
        s(&job),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pages = path(&dir, "pages");
    assert!(
        printhub(&["raster", "decode", s(&job), "--out-dir", s(&pages)])
            .status
            .success()
    );
    let a = image::open(pages.join("page-1.png"))
        .expect("png")
        .to_rgb8();
    let b = image::open(&input).expect("png").to_rgb8();
    assert_eq!(a.dimensions(), b.dimensions());
    assert_eq!(a.into_raw(), b.into_raw());
}

#[test]
fn inspect_prints_one_line_per_command() {
    let out = printhub(&[
        "raster",
        "inspect",
        &vector("ptp750w_12mm_strip2_halfcut", "output.bin"),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().next().expect("line").contains("invalidate"));
    assert!(text.contains("half cut on"));
    assert!(text.contains("0C  print (more pages follow)"));
    assert!(text.contains("1A  print with feeding (last page)"));
    assert_eq!(text.matches("-- page").count(), 2);
}

fn page_json(dir: &Path, n: usize) -> serde_json::Value {
    let bytes = std::fs::read(dir.join(format!("page-{n}.json"))).expect("page json");
    serde_json::from_slice(&bytes).expect("parse")
}

#[test]
fn a_job_whose_last_page_ends_with_0c_decodes_as_printed_without_feed() {
    // ptouch 1.1.0 `print(label, feed=False)` (derived vectors README): the last label ends
    // with 0C and no 1A; the printer prints it and does not feed it out or cut it.
    let dir = tempfile::tempdir().expect("tmp");
    let pages = path(&dir, "pages");
    let job = derived("ptp750w_12mm_strip2_nofeed");
    let out = printhub(&["raster", "decode", &job, "--out-dir", s(&pages)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("printed without feed").count(), 1, "{text}");
    assert!(text
        .lines()
        .nth(1)
        .is_some_and(|l| l.starts_with("page-2.png") && l.contains("printed without feed")));
    let (first, last) = (page_json(&pages, 1), page_json(&pages, 2));
    assert_eq!(
        (&first["end"], &first["printed_without_feed"]),
        (&"print".into(), &false.into())
    );
    assert_eq!(
        (&last["end"], &last["printed_without_feed"]),
        (&"print".into(), &true.into())
    );
    // The same labels as ptouch's fed strip.
    let fed = path(&dir, "fed");
    let peer = vector("ptp750w_12mm_strip2_halfcut", "output.bin");
    let out = printhub(&["raster", "decode", &peer, "--out-dir", s(&fed)]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("without feed"));
    assert_eq!(page_json(&fed, 2)["printed_without_feed"], false);
    for n in 1..=2 {
        let name = format!("page-{n}.png");
        assert_eq!(
            read_png_gray(&pages.join(&name)),
            read_png_gray(&fed.join(&name))
        );
    }

    let out = printhub(&["raster", "inspect", &job]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0C  print (more pages follow)"), "{text}");
    assert!(text.contains("0C  print (the job ends here, no 1A: printed without feed)"));
    assert!(text.contains("-- page 2 done: 96 lines, tze-12, last page, printed without feed"));
    assert!(!text.contains("1A  print with feeding"));
}

#[test]
fn encode_pads_a_label_shorter_than_the_minimum_and_says_so() {
    // brother_ql sends a 120-line label for the QL-1060N on 102 mm roll (derived vector);
    // the model's minimum is 295 lines (brother-raster.md §2). Decoded to a PNG and encoded
    // again, it is padded to 295 lines after its content, with a note.
    let dir = tempfile::tempdir().expect("tmp");
    let pages = path(&dir, "pages");
    let out = printhub(&[
        "raster",
        "decode",
        &derived("ql1060n_102_short_120"),
        "--out-dir",
        s(&pages),
    ]);
    assert!(out.status.success());
    let png = pages.join("page-1.png");
    assert_eq!(read_png_gray(&png).1, 120);
    let job = path(&dir, "job.bin");
    let encode = |extra: &[&str]| {
        let mut args = vec![
            "raster",
            "encode",
            "--model",
            "QL-1060N",
            "--media",
            "dk-102",
            "--input",
            s(&png),
            "--output",
            s(&job),
        ];
        args.extend_from_slice(extra);
        printhub(&args)
    };
    let out = encode(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 label(s) of 120 lines × 1164 dots"),
        "{text}"
    );
    assert!(text.contains("note: 120 lines is shorter than the QL-1060N minimum of 295 on dk-102: each label is padded with 175 blank lines"), "{text}");
    let out = encode(&["--json", "--copies", "2"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (&json["lines"], &json["padded_to"]),
        (&120.into(), &295.into())
    );
    assert_eq!(json["labels"], 2);
    assert_eq!(json["bytes"], std::fs::metadata(&job).expect("job").len());
    // Decoded, each page is 295 lines: the picture first, blank after it.
    let again = path(&dir, "again");
    assert!(
        printhub(&["raster", "decode", s(&job), "--out-dir", s(&again)])
            .status
            .success()
    );
    let (w, h, padded) = read_png_gray(&again.join("page-2.png"));
    let (_, _, original) = read_png_gray(&png);
    assert_eq!((w, h), (1164, 295));
    assert_eq!(&padded[..original.len()], &original[..]);
    assert!(padded[original.len()..].iter().all(|&p| p == 255));
    assert_eq!(page_json(&again, 1)["lines"], 295);

    // A label at or above the minimum is not padded.
    let out = printhub(&[
        "raster",
        "encode",
        "--model",
        "QL-1060N",
        "--media",
        "dk-102",
        "--input",
        &vector("ql1060n_102_frames_l_comp", "input.png"),
        "--output",
        s(&job),
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (&json["lines"], &json["padded_to"]),
        (&300.into(), &serde_json::Value::Null)
    );

    // Die-cut labels still need their exact length: what cannot be printed is refused.
    let short = path(&dir, "short.png");
    image::GrayImage::from_pixel(306, 100, image::Luma([255]))
        .save(&short)
        .expect("png");
    let out = printhub(&[
        "raster",
        "encode",
        "--model",
        "QL-820NWB",
        "--media",
        "dk-29x90",
        "--input",
        s(&short),
        "--output",
        s(&path(&dir, "die.bin")),
    ]);
    fails_with(&out, "a dk-29x90 label has exactly 991");
    assert!(!path(&dir, "die.bin").exists());
}

#[test]
fn inspect_reports_where_a_stream_breaks() {
    let dir = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(vector("ptp750w_6mm_corner_l", "output.bin")).expect("vector");
    let cut = path(&dir, "cut.bin");
    std::fs::write(&cut, &bytes[..bytes.len() - 3]).expect("write");
    let out = printhub(&["raster", "inspect", s(&cut)]);
    fails_with(&out, "stream ends inside");
    assert!(
        !out.stdout.is_empty(),
        "commands before the break are still listed"
    );
}

#[test]
fn bad_arguments_fail_with_one_clear_line_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let job = path(&dir, "job.bin");
    let input = vector("ql820nwb_62_frames_l_comp", "input.png");
    let encode = |model: &str, media: &str, input: &str, extra: &[&str]| {
        let mut args = vec![
            "raster",
            "encode",
            "--model",
            model,
            "--media",
            media,
            "--input",
            input,
            "--output",
            s(&job),
        ];
        args.extend_from_slice(extra);
        printhub(&args)
    };
    fails_with(&encode("QL-9999", "dk-62", &input, &[]), "unknown model");
    fails_with(&encode("QL-820NWB", "dk-63", &input, &[]), "unknown media");
    fails_with(
        &encode("QL-820NWB", "dk-12", &input, &[]),
        "106 dots across",
    );
    fails_with(
        &encode("QL-820NWB", "dk-62", "/nonexistent.png", &[]),
        "cannot read image",
    );
    fails_with(
        &encode("PT-P750W", "tze-36", &input, &[]),
        "cannot take tze-36",
    );
    fails_with(
        &encode("QL-820NWB", "dk-62", &input, &["--half-cut"]),
        "does not support half cut",
    );
    fails_with(
        &encode("QL-820NWB", "dk-62", &input, &["--copies", "0"]),
        "copies",
    );
    fails_with(
        &encode("QL-820NWB", "dk-62", &input, &["--rotate", "45"]),
        "45",
    );
    fails_with(
        &printhub(&["raster", "encode", "--model", "QL-820NWB"]),
        "--media",
    );
    fails_with(
        &printhub(&[
            "raster",
            "decode",
            "/nonexistent.bin",
            "--out-dir",
            s(&path(&dir, "x")),
        ]),
        "cannot read",
    );
    let garbage = path(&dir, "garbage.bin");
    std::fs::write(&garbage, [0x1B, 0x40, 0x99]).expect("write");
    let pages = path(&dir, "pages");
    fails_with(
        &printhub(&["raster", "decode", s(&garbage), "--out-dir", s(&pages)]),
        "at byte 2",
    );
    assert!(!pages.exists(), "a bad job creates no output folder");
    assert!(!job.exists(), "no job file after failures");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        1,
        "only garbage.bin: no temp files left"
    );
}

#[test]
fn catalogue_lists_are_json_on_request() {
    let out = printhub(&["media", "list", "--model", "PT-P900W", "--json"]);
    assert!(out.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let ids: Vec<&str> = rows
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(ids.contains(&"tze-36") && !ids.contains(&"dk-62"));
    let tze24 = rows
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["id"] == "tze-24")
        .expect("tze-24");
    assert_eq!(tze24["geometry"]["window"]["printable"], 320);
    let out = printhub(&["models", "list", "--json"]);
    let models: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(models.as_array().expect("array").len() >= 25);
    fails_with(
        &printhub(&["media", "list", "--model", "XX-1"]),
        "unknown model",
    );
}

#[test]
fn status_reads_a_printer_over_its_channels() {
    let pt = printhub_emulator::Emulator::start(printhub_emulator::EmulatorConfig::new(
        "PT-P750W", "tze-12",
    ))
    .expect("emulator");
    let out = printhub(&["status", &pt.tcp_addr().to_string(), "--model", "PT-P750W"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ready") && text.contains("tze-12") && text.contains("tcp"),
        "{text}"
    );
    pt.set_fault(printhub_emulator::Fault::CoverOpen);
    let out = printhub(&[
        "status",
        &pt.tcp_addr().to_string(),
        "--model",
        "PT-P750W",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["reason"], "printer_cover_open");
    // A QL answers only over SNMP.
    let ql = printhub_emulator::Emulator::start(
        printhub_emulator::EmulatorConfig::new("QL-820NWB", "dk-62").with_snmp(),
    )
    .expect("emulator");
    let snmp = ql.snmp_addr().expect("snmp").to_string();
    let out = printhub(&[
        "status",
        &ql.tcp_addr().to_string(),
        "--model",
        "QL-820NWB",
        "--snmp",
        &snmp,
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (json["media"].as_str(), json["source"].as_str()),
        (Some("dk-62"), Some("snmp"))
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = printhub(&[
        "status",
        &format!("127.0.0.1:{port}"),
        "--model",
        "PT-P750W",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("unreachable"));
}

#[test]
fn send_reports_what_the_printer_says() {
    let dir = tempfile::tempdir().expect("tmp");
    let pt = printhub_emulator::Emulator::start(printhub_emulator::EmulatorConfig::new(
        "PT-P750W", "tze-12",
    ))
    .expect("emulator");
    let job = path(&dir, "job.bin");
    let input = vector("ptp750w_12mm_frames_l", "input.png");
    assert!(printhub(&[
        "raster",
        "encode",
        "--model",
        "PT-P750W",
        "--media",
        "tze-12",
        "--input",
        &input,
        "--output",
        s(&job)
    ])
    .status
    .success());
    let out = printhub(&["send", s(&job), "--to", &pt.tcp_addr().to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("page 1/1 printed") && text.contains("done"),
        "{text}"
    );
    assert_eq!(pt.pages().len(), 1);
    // A job for other tape is refused the way the printer refuses it; nothing prints.
    let wide = path(&dir, "wide.bin");
    let input = vector("ptp750w_24mm_frames_l", "input.png");
    assert!(printhub(&[
        "raster",
        "encode",
        "--model",
        "PT-P750W",
        "--media",
        "tze-24",
        "--input",
        &input,
        "--output",
        s(&wide)
    ])
    .status
    .success());
    fails_with(
        &printhub(&["send", s(&wide), "--to", &pt.tcp_addr().to_string()]),
        "media_mismatch",
    );
    assert_eq!(pt.pages().len(), 1);
    // Not a job: nothing is sent.
    let garbage = path(&dir, "garbage.bin");
    std::fs::write(&garbage, b"hello").expect("write");
    fails_with(
        &printhub(&["send", s(&garbage), "--to", &pt.tcp_addr().to_string()]),
        "not a valid job",
    );
    fails_with(
        &printhub(&["send", s(&job), "--to", "no-such-host.invalid"]),
        "cannot resolve",
    );
}

#[test]
fn emulator_config_files_are_checked() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = path(&dir, "emu.toml");
    std::fs::write(&file, "[[printer]]\nmodel = \"PT-P750W\"\nmedia = \"tze-12\"\n\n[[printer]]\nmodel = \"QL-820NWB\"\nmedia = \"dk-62\"\nspeed = \"instant\"\n").expect("write");
    let configs = printhub::emulate_cmd::read_config(&file).expect("valid");
    assert_eq!(configs.len(), 2);
    for (text, needle) in [
        (
            "[[printer]]\nmodel = \"PT-P750W\"\nmedia = \"dk-62\"\n",
            "printer 1",
        ),
        (
            "[[printer]]\nmodel = \"PT-9\"\nmedia = \"tze-12\"\n",
            "printer 1",
        ),
        (
            "[[printer]]\nmodel = \"PT-P750W\"\nmedia = \"tze-12\"\ncolour = 1\n",
            "colour",
        ),
        ("", "printer"),
    ] {
        std::fs::write(&file, text).expect("write");
        let err = printhub::emulate_cmd::read_config(&file).expect_err("invalid");
        assert!(
            format!("{err:#}").contains(needle),
            "{err:#} should mention {needle}"
        );
    }
}

fn config_file(dir: &tempfile::TempDir, extra: &str) -> PathBuf {
    let file = path(dir, "printhub.toml");
    let data = dir.path().join("data");
    std::fs::write(
        &file,
        format!("data_dir = {:?}\n{extra}", data.to_str().expect("utf-8")),
    )
    .expect("write config");
    file
}

#[test]
fn keys_are_created_once_listed_without_secrets_and_revoked() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = config_file(&dir, "");
    let out = printhub(&[
        "keys",
        "--config",
        s(&config),
        "create",
        "--name",
        "ci bot",
        "--scope",
        "read",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let key = text
        .lines()
        .find(|l| l.starts_with("phk_"))
        .expect("the key is printed")
        .to_string();
    let id = key.split('_').nth(1).expect("id").to_string();
    let list = printhub(&["keys", "--config", s(&config), "list"]);
    let listed = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(
        listed.contains(&id) && listed.contains("active") && listed.contains("ci bot"),
        "{listed}"
    );
    assert!(!listed.contains(&key), "list never shows a secret");
    let out = printhub(&["keys", "--config", s(&config), "revoke", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed =
        String::from_utf8_lossy(&printhub(&["keys", "--config", s(&config), "list"]).stdout)
            .to_string();
    assert!(listed.contains("revoked"), "{listed}");
    fails_with(
        &printhub(&[
            "keys",
            "--config",
            s(&config),
            "revoke",
            "0123456789abcdef0123456789abcdef",
        ]),
        "no API key",
    );
    fails_with(
        &printhub(&[
            "keys",
            "--config",
            s(&config),
            "create",
            "--name",
            "x",
            "--scope",
            "root",
        ]),
        "--scope",
    );
    fails_with(
        &printhub(&[
            "keys",
            "--config",
            s(&config),
            "create",
            "--name",
            "x",
            "--printer",
            "nope",
        ]),
        "--printer",
    );
}

#[test]
fn keys_refuse_what_the_api_refuses_and_list_expired_keys_as_such() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = config_file(&dir, "");
    let create = |name: &str, expires: Option<&str>| {
        let mut args = vec!["keys", "--config", s(&config), "create", "--name", name];
        if let Some(at) = expires {
            args.extend(["--expires", at]);
        }
        printhub(&args)
    };
    fails_with(&create("", None), "name");
    fails_with(&create("   ", None), "name");
    fails_with(
        &create("old", Some("2001-01-01T00:00:00Z")),
        "expires_at is in the past",
    );
    let listed =
        String::from_utf8_lossy(&printhub(&["keys", "--config", s(&config), "list"]).stdout)
            .to_string();
    assert!(
        listed.contains("no API keys"),
        "nothing was created: {listed}"
    );
    // A key that expires a moment from now is listed as expired once it has.
    let soon = humantime::format_rfc3339_millis(
        std::time::SystemTime::now() + std::time::Duration::from_millis(1500),
    )
    .to_string();
    let out = create("short-lived", Some(&soon));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let listed =
            String::from_utf8_lossy(&printhub(&["keys", "--config", s(&config), "list"]).stdout)
                .to_string();
        if listed.contains("expired") {
            assert!(listed.contains("short-lived"), "{listed}");
            break;
        }
        assert!(listed.contains("active"), "{listed}");
        assert!(
            std::time::Instant::now() < deadline,
            "never listed as expired: {listed}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn keys_secret_prints_a_fresh_secret_that_the_config_accepts() {
    let a = printhub(&["keys", "secret"]);
    let b = printhub(&["keys", "secret"]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let (a, b) = (
        String::from_utf8_lossy(&a.stdout).trim().to_string(),
        String::from_utf8_lossy(&b.stdout).trim().to_string(),
    );
    assert_eq!(a.len(), 43, "{a}");
    assert_ne!(a, b);
    assert!(
        a.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
        "{a}"
    );
    // The config takes it where it refuses weak ones.
    let dir = tempfile::tempdir().expect("tmp");
    for weak in [
        "aaaaaaaaaaaaaaaaaaaa",
        "a-long-random-token",
        "passwordpassword123",
    ] {
        let config = config_file(
            &dir,
            &format!("[auth]\nanonymous = \"off\"\n[auth.proxy]\nsecret = \"{weak}\"\n"),
        );
        let out = printhub(&["serve", "--config", s(&config)]);
        fails_with(&out, "auth.proxy.secret");
        assert!(String::from_utf8_lossy(&out.stderr).contains("printhub keys secret"));
        let config = config_file(
            &dir,
            &format!("[integrations.grocy]\nwebhook_token = \"{weak}\"\n"),
        );
        fails_with(
            &printhub(&["serve", "--config", s(&config)]),
            "integrations.grocy.webhook_token",
        );
    }
}

#[test]
fn serve_refuses_anonymous_access_off_loopback_and_weak_proxy_secrets() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = config_file(
        &dir,
        "listen = \"0.0.0.0:0\"\n[auth]\nanonymous = \"read\"\n",
    );
    fails_with(
        &printhub(&["serve", "--config", s(&config)]),
        "auth.anonymous",
    );
    let config = config_file(
        &dir,
        "[auth]\nanonymous = \"off\"\n[auth.proxy]\nsecret = \"short\"\n",
    );
    fails_with(
        &printhub(&["serve", "--config", s(&config)]),
        "auth.proxy.secret",
    );
    let config = config_file(&dir, "[auth]\nanonymous = \"sometimes\"\n");
    fails_with(
        &printhub(&["serve", "--config", s(&config)]),
        "auth.anonymous",
    );
}

#[test]
fn serve_refuses_bad_integration_settings_naming_the_field_not_the_secret() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = path(&dir, "printhub.toml");
    for (text, needle) in [
        (
            "[integrations.snipeit]\nbase_url = \"https://snipe.example\"\n",
            "integrations.snipeit.api_key",
        ),
        (
            "[integrations.grocy]\nwebhook_token = \"short-s3cr3t\"\n",
            "integrations.grocy.webhook_token",
        ),
        (
            "[[webhook]]\nname = \"a\"\ntoken = \"Zq8-s3cr3t-Lm2vX7pW\"\nprinter = \"pt\"\ntemplate = \"nope\"\n",
            "webhook[0].template",
        ),
    ] {
        std::fs::write(&file, text).expect("write");
        let out = printhub(&["serve", "--config", s(&file)]);
        fails_with(&out, needle);
        assert!(!String::from_utf8_lossy(&out.stderr).contains("s3cr3t"));
    }
}

/// A free loopback port (bound then released; another process could take it in between,
/// which this test accepts).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// One HTTP/1.1 request with `Connection: close`; the status and the body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((status, body))
}

/// Polls `done` every 20 ms until it holds or `limit` passes.
fn eventually(limit: std::time::Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    done()
}

/// `printhub serve` with `config`, stderr kept for the failure message.
fn spawn_serve(config: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_printhub"))
        .args(["serve", "--config", s(config)])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn serve")
}

/// SIGTERM (and SIGINT) with the web UI's event stream open and a label printing: the
/// process stops soon (not after actix's 30 s wait for the stream), the label in flight
/// finishes whole, no other starts, and the jobs not printed stay queued on disk and
/// print once after the restart.
#[test]
fn serve_stops_cleanly_on_a_signal_with_an_event_stream_open() {
    use printhub_emulator::{Emulator, EmulatorConfig, Speed};
    use std::io::Read;
    use std::time::Duration;
    for signal in ["-TERM", "-INT"] {
        let dir = tempfile::tempdir().expect("tmp");
        let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12").speed(Speed::Real))
            .expect("emulator");
        let addr = format!("127.0.0.1:{}", free_port());
        let config = config_file(
            &dir,
            &format!(
                "listen = {addr:?}\n[auth]\nanonymous = \"admin\"\n[[printer]]\nslug = \"pt\"\nmodel = \"PT-P750W\"\nmedia = \"tze-12\"\naddress = {:?}\n",
                emu.tcp_addr().to_string()
            ),
        );
        let mut child = spawn_serve(&config);
        assert!(
            eventually(Duration::from_secs(60), || http(
                &addr, "GET", "/healthz", None
            )
            .is_ok_and(|(s, _)| s == 200)),
            "serve came up"
        );
        // The web UI's live stream, left open.
        let mut events = std::net::TcpStream::connect(&addr).expect("events");
        std::io::Write::write_all(
            &mut events,
            format!("GET /api/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
        )
        .expect("request events");
        // Three long labels: at real speed the first is still printing when the signal comes.
        let mut ids = Vec::new();
        for n in 0..3 {
            let text = format!("label {n} {}", "=".repeat(12));
            let body =
                format!(r#"{{"content_type":"text_one_line","data":{{"primary_id":"{text}"}}}}"#);
            let (status, job) =
                http(&addr, "POST", "/api/printers/pt/jobs", Some(&body)).expect("submit");
            assert_eq!(status, 202, "{job}");
            ids.push(
                job.split("\"id\":\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .expect("id")
                    .to_string(),
            );
        }
        assert!(
            eventually(Duration::from_secs(30), || emu
                .connections()
                .iter()
                .any(|c| c.first_byte.is_some())),
            "the first label reached the printer"
        );
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let mut exited = None;
        assert!(
            eventually(Duration::from_secs(20), || {
                exited = child.try_wait().expect("wait");
                exited.is_some()
            }),
            "{signal}: still running 20 s after the signal (actix waits 30 s for open streams)"
        );
        assert!(exited.is_some_and(|e| e.success()), "{signal}: {exited:?}");
        let mut rest = Vec::new();
        events
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let _ = events.read_to_end(&mut rest);
        assert!(
            emu.errors().is_empty(),
            "{signal}: no label cut short: {:?}",
            emu.errors()
        );
        let printed = emu.pages().len();
        assert!(
            (1..3).contains(&printed),
            "{signal}: the label in flight finished and the rest waited ({printed} printed)"
        );

        // After a restart the rest print, each once.
        let mut child = spawn_serve(&config);
        assert!(
            eventually(Duration::from_secs(60), || emu.pages().len() >= 3),
            "{signal}: the queued labels print after the restart"
        );
        for id in &ids {
            let (status, job) = http(&addr, "GET", &format!("/api/jobs/{id}"), None).expect("job");
            assert_eq!(status, 200, "{job}");
            assert!(job.contains(r#""state":"completed""#), "{signal}: {job}");
        }
        assert_eq!(emu.pages().len(), 3, "{signal}: nothing printed twice");
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
    }
}

/// `printhub render` writes the preview (one pixel per dot) and the job; `printhub print`
/// sends that label to a printer, which prints exactly the preview's dots, each copy.
#[test]
fn render_previews_and_print_prints_the_same_dots() {
    use printhub_emulator::{Emulator, EmulatorConfig};
    let dir = tempfile::tempdir().expect("tmp");
    let png = path(&dir, "label.png");
    let job = path(&dir, "label.bin");
    let data = r#"{"qr_payload":"https://example.invalid/box/7","primary_id":"BOX-7"}"#;
    let label = [
        "--model",
        "QL-820NWB",
        "--media",
        "dk-62",
        "--content-type",
        "qr_one_line",
        "--data",
        data,
    ];
    let mut args = vec!["render"];
    args.extend(label);
    args.extend(["--out", s(&png), "--job", s(&job)]);
    let out = printhub(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("696 dots"),
        "62 mm DK prints 696 dots across: {said}"
    );
    let (w, h, preview) = read_png_gray(&png);
    assert_eq!(w, 696);
    assert!(preview.iter().any(|&p| p < 128), "the preview has ink");
    let (_, pages) = printhub_raster::Decoder::decode_all(
        printhub_raster::DecoderOptions::default(),
        &std::fs::read(&job).expect("job"),
    )
    .expect("a valid job");
    assert_eq!((pages.len(), pages[0].lines), (1, h as usize));

    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let to = emu.tcp_addr().to_string();
    let mut args = vec!["print"];
    args.extend(label);
    args.extend(["--to", &to, "--copies", "2"]);
    let out = printhub(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("page 2/2 printed"), "{said}");
    let printed = emu.pages();
    assert_eq!(printed.len(), 2, "both copies");
    for page in &printed {
        assert_eq!(
            (page.black.width(), page.black.height()),
            (w as usize, h as usize)
        );
        for y in 0..h as usize {
            for x in 0..w as usize {
                let dark = preview[y * w as usize + x] < 128;
                assert_eq!(page.black.get(x, y), dark, "dot ({x}, {y})");
            }
        }
    }
}

#[test]
fn render_and_print_refuse_bad_input_in_one_line_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let png = path(&dir, "label.png");
    let render = |extra: &[&str]| {
        let mut args = vec!["render", "--out", s(&png)];
        args.extend(extra);
        printhub(&args)
    };
    let pt = ["--model", "PT-P750W", "--media", "tze-12"];
    let with = |more: &[&'static str]| -> Vec<&'static str> {
        let mut v = pt.to_vec();
        v.extend(more);
        v
    };
    fails_with(
        &render(&with(&["--content-type", "poster"])),
        "--content-type",
    );
    fails_with(
        &render(&with(&["--content-type", "qr_only", "--data", "{not json"])),
        "--data",
    );
    fails_with(
        &render(&with(&["--content-type", "qr_one_line", "--data", "{}"])),
        "qr_payload",
    );
    fails_with(
        &render(&with(&["--template", "no_such_template", "--data", "{}"])),
        "no_such_template",
    );
    fails_with(&render(&with(&[])), "--content-type");
    fails_with(
        &render(&[
            "--model",
            "PT-9",
            "--media",
            "tze-12",
            "--content-type",
            "qr_only",
        ]),
        "PT-9",
    );
    fails_with(
        &render(&[
            "--model",
            "PT-P750W",
            "--media",
            "dk-62",
            "--content-type",
            "qr_only",
            "--data",
            r#"{"qr_payload":"x"}"#,
        ]),
        "dk-62",
    );
    assert!(!png.exists(), "nothing written");
    // Printing: copies out of range, and a printer that is not there.
    let print = |extra: &[&str]| {
        let mut args = vec![
            "print",
            "--model",
            "PT-P750W",
            "--media",
            "tze-12",
            "--content-type",
            "qr_only",
            "--data",
            r#"{"qr_payload":"x"}"#,
        ];
        args.extend(extra);
        printhub(&args)
    };
    fails_with(
        &print(&["--to", "127.0.0.1:9", "--copies", "0"]),
        "--copies",
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .to_string();
    fails_with(
        &print(&["--to", &closed, "--timeout", "2"]),
        "cannot connect",
    );
}

/// A `[[printer]]` with `device` instead of `address` is a USB printer: serve prints to
/// it through the emulator's pseudo-device (a raw pty linked where /dev/usb/lp0 would be).
#[test]
fn serve_prints_to_a_usb_printer_through_its_device() {
    use printhub_emulator::{Emulator, EmulatorConfig};
    use std::time::Duration;
    let dir = tempfile::tempdir().expect("tmp");
    let link = dir.path().join("usb-lp0");
    let emu = Emulator::start(EmulatorConfig::new("QL-700", "dk-62").device_link(&link))
        .expect("emulator");
    let addr = format!("127.0.0.1:{}", free_port());
    let config = config_file(
        &dir,
        &format!(
            "listen = {addr:?}\n[auth]\nanonymous = \"admin\"\n[[printer]]\nslug = \"usb\"\nmodel = \"QL-700\"\nmedia = \"dk-62\"\ndevice = {:?}\n",
            link.to_str().expect("utf-8")
        ),
    );
    let mut child = spawn_serve(&config);
    assert!(
        eventually(Duration::from_secs(60), || http(
            &addr, "GET", "/healthz", None
        )
        .is_ok_and(|(s, _)| s == 200)),
        "serve came up"
    );
    let body = r#"{"content_type":"text_one_line","data":{"primary_id":"USB"}}"#;
    let (status, job) = http(&addr, "POST", "/api/printers/usb/jobs", Some(body)).expect("submit");
    assert_eq!(status, 202, "{job}");
    assert!(
        eventually(Duration::from_secs(60), || emu.pages().len() == 1),
        "the label printed through the device"
    );
    let (status, printer) = http(&addr, "GET", "/api/printers/usb", None).expect("printer");
    assert_eq!(status, 200, "{printer}");
    assert!(printer.contains("usb-lp0"), "{printer}");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

#[test]
fn a_printer_has_an_address_or_a_device_not_both() {
    let dir = tempfile::tempdir().expect("tmp");
    for (entry, needle) in [
        (
            "address = \"127.0.0.1\"\ndevice = \"/dev/usb/lp0\"\n",
            "exclude each other",
        ),
        ("", "either `address`"),
        ("device = \"usb/lp0\"\n", "absolute path"),
    ] {
        let config = config_file(
            &dir,
            &format!("[[printer]]\nslug = \"p\"\nmodel = \"QL-700\"\nmedia = \"dk-62\"\n{entry}"),
        );
        let text = std::fs::read_to_string(&config).expect("read");
        let parsed: printhub::config::Config = toml::from_str(&text).expect("parses");
        let err = parsed.validate().expect_err("refused");
        assert!(
            format!("{err:#}").contains(needle),
            "{err:#} should mention {needle}"
        );
    }
}

#[test]
fn devices_lists_usb_printers_with_their_models() {
    let dev = tempfile::tempdir().expect("dev");
    let sys = tempfile::tempdir().expect("sys");
    std::fs::write(dev.path().join("lp0"), b"").expect("node");
    std::fs::create_dir_all(sys.path().join("lp0/device")).expect("sysfs");
    std::fs::write(
        sys.path().join("lp0/device/ieee1284_id"),
        "MFG:Brother;CMD:PT-CBP;MDL:QL-700;CLS:PRINTER;",
    )
    .expect("id");
    let out = printhub(&["devices", "--dev", s(dev.path()), "--sysfs", s(sys.path())]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("lp0  QL-700"), "{text}");
    let empty = printhub(&[
        "devices",
        "--dev",
        s(&sys.path().join("none")),
        "--sysfs",
        s(sys.path()),
    ]);
    assert!(String::from_utf8_lossy(&empty.stdout).contains("no USB printer devices"));
}

#[test]
fn status_reads_a_usb_printer_through_its_device() {
    use printhub_emulator::{Emulator, EmulatorConfig};
    let dir = tempfile::tempdir().expect("tmp");
    let link = dir.path().join("lp0");
    let _emu = Emulator::start(EmulatorConfig::new("QL-700", "dk-62").device_link(&link))
        .expect("emulator");
    let out = printhub(&["status", s(&link), "--model", "QL-700"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("ready"), "{text}");
    assert!(text.contains("dk-62"), "{text}");
    let gone = printhub(&["status", s(&dir.path().join("lp9")), "--model", "QL-700"]);
    assert!(String::from_utf8_lossy(&gone.stdout).contains("unreachable: device_missing"));
}

/// `printhub emulate --device-link` is a USB printer the hub's transport reads like
/// /dev/usb/lp0; stopping it removes the link.
#[test]
fn emulate_links_a_usb_pseudo_device() {
    use std::time::Duration;
    let dir = tempfile::tempdir().expect("tmp");
    let link = dir.path().join("ql700");
    let mut child = Command::new(env!("CARGO_BIN_EXE_printhub"))
        .args([
            "emulate",
            "--model",
            "QL-700",
            "--media",
            "dk-62",
            "--listen",
            "127.0.0.1:0",
            "--device-link",
            s(&link),
        ])
        .env("RUST_LOG", "off")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("emulate");
    assert!(
        eventually(Duration::from_secs(30), || link.exists()),
        "the link appears"
    );
    let out = printhub(&["status", s(&link), "--model", "QL-700", "--json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(r#""media": "dk-62""#), "{text}");
    assert!(text.contains(r#""source": "device""#), "{text}");
    let _ = child.kill();
    let _ = child.wait();
}

/// `printhub emulate --control` swaps the tape of a running emulator from
/// outside (issue #20): the printer reports the new medium at once, a medium
/// the model cannot take changes nothing, and the control listens on
/// loopback only.
#[test]
fn emulate_control_swaps_the_loaded_tape_of_a_running_emulator() {
    use std::io::{BufRead, BufReader, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_printhub"))
        .args([
            "emulate",
            "--model",
            "PT-P750W",
            "--media",
            "tze-12",
            "--listen",
            "127.0.0.1:0",
            "--control",
            "127.0.0.1:0",
        ])
        .env("RUST_LOG", "off")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("emulate");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut address = |marker: &str| -> String {
        let line = lines.next().expect("a line").expect("utf-8 line");
        let start = line
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} in {line:?}"))
            + marker.len();
        line[start..]
            .split(|c: char| c == ',' || c.is_whitespace())
            .next()
            .expect("address")
            .to_string()
    };
    let printer = address("listening on tcp://");
    let control = address("control on tcp://");
    let stream = std::net::TcpStream::connect(&control).expect("control");
    let mut reply = BufReader::new(stream.try_clone().expect("clone")).lines();
    let mut send = |line: &str| -> String {
        writeln!(&stream, "{line}").expect("write");
        reply.next().expect("an answer").expect("utf-8 answer")
    };
    assert_eq!(send("media tze-24"), "ok 1 tze-24");
    let out = printhub(&["status", &printer, "--model", "PT-P750W", "--json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(r#""media": "tze-24""#), "{text}");
    let refused = send("media dk-62");
    assert!(refused.starts_with("error "), "{refused}");
    assert_eq!(send("show"), "ok 1 PT-P750W tze-24");
    let _ = child.kill();
    let _ = child.wait();

    let open = printhub(&[
        "emulate",
        "--model",
        "PT-P750W",
        "--media",
        "tze-12",
        "--listen",
        "127.0.0.1:0",
        "--control",
        "0.0.0.0:0",
    ]);
    assert!(!open.status.success());
    assert!(String::from_utf8_lossy(&open.stderr).contains("loopback only"));
}

//! `printhub import label-printer-hub` (issue #19) against a database laid
//! out as Label Printer Hub v0.11's Alembic migrations leave it (head
//! `42fbd015698d`), with values stored as its own code stores them: ORM ids
//! as 32 hex digits, the bootstrap key's as a hyphenated UUID, naive UTC
//! times, JSON as text. Its keys authenticate after the import; a second
//! run imports nothing; a dry run writes nothing; another schema version is
//! refused.

use super::{fails_with, path, printhub, s};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use printhub_gateway::{Auth, AuthConfig, Scope};
use printhub_store::{Store, StoreConfig};
use std::path::Path;
use std::sync::Arc;

/// The schema at Label Printer Hub v0.11 (`42fbd015698d`), as SQLAlchemy
/// writes its migrations' types on SQLite.
const SCHEMA: &str = "
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
CREATE TABLE printers (id CHAR(32) NOT NULL, name VARCHAR NOT NULL, model VARCHAR NOT NULL,
    backend VARCHAR NOT NULL, connection JSON, enabled BOOLEAN NOT NULL,
    created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL,
    slug VARCHAR DEFAULT '' NOT NULL, queue_timeout_s INTEGER DEFAULT '30' NOT NULL,
    cut_defaults_half_cut BOOLEAN DEFAULT '0' NOT NULL, PRIMARY KEY (id));
CREATE UNIQUE INDEX ix_printers_name ON printers (name);
CREATE UNIQUE INDEX ix_printers_slug ON printers (slug);
CREATE TABLE presets (id CHAR(32) NOT NULL, name VARCHAR NOT NULL, printer_id CHAR(32),
    field_values JSON, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(printer_id) REFERENCES printers (id));
CREATE TABLE jobs (id CHAR(32) NOT NULL, printer_id CHAR(32) NOT NULL, template_key VARCHAR,
    state VARCHAR NOT NULL, payload JSON, result JSON, error VARCHAR,
    created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, started_at DATETIME,
    finished_at DATETIME, api_key_id CHAR(32), source_ip VARCHAR, PRIMARY KEY (id),
    CONSTRAINT ck_jobs_state CHECK (state IN ('queued','printing','done','failed','cancelled','failed_restart')),
    FOREIGN KEY(printer_id) REFERENCES printers (id));
CREATE INDEX ix_jobs_state ON jobs (state);
CREATE INDEX ix_jobs_api_key_id ON jobs (api_key_id);
CREATE TABLE printer_state (printer_id CHAR(32) NOT NULL, paused BOOLEAN NOT NULL,
    updated_at DATETIME NOT NULL, PRIMARY KEY (printer_id),
    FOREIGN KEY(printer_id) REFERENCES printers (id));
CREATE TABLE printer_status_cache (printer_id CHAR(32) NOT NULL, raw_block BLOB, parsed JSON,
    captured_at DATETIME, updated_at DATETIME NOT NULL, PRIMARY KEY (printer_id),
    FOREIGN KEY(printer_id) REFERENCES printers (id));
CREATE TABLE api_keys (id CHAR(32) NOT NULL, name VARCHAR NOT NULL, key_hash VARCHAR NOT NULL,
    key_prefix VARCHAR NOT NULL, scopes JSON NOT NULL, allowed_printer_ids JSON NOT NULL,
    rate_limit_per_minute INTEGER DEFAULT '60' NOT NULL, enabled BOOLEAN DEFAULT '1' NOT NULL,
    created_at DATETIME NOT NULL, last_used_at DATETIME, last_used_ip VARCHAR,
    expires_at DATETIME, notes VARCHAR, PRIMARY KEY (id));
CREATE INDEX ix_api_keys_name ON api_keys (name);
CREATE INDEX ix_api_keys_key_prefix ON api_keys (key_prefix);
CREATE TABLE print_batches (id CHAR(32) NOT NULL, printer_id CHAR(32) NOT NULL,
    job_ids JSON NOT NULL, created_by VARCHAR NOT NULL, created_at DATETIME NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(printer_id) REFERENCES printers (id));
CREATE INDEX ix_print_batches_printer_id ON print_batches (printer_id);
CREATE INDEX ix_print_batches_created_by ON print_batches (created_by);
CREATE INDEX ix_print_batches_created_at ON print_batches (created_at);
CREATE TABLE printers_audit (id CHAR(32) NOT NULL, printer_id CHAR(32) NOT NULL,
    slug VARCHAR(255) NOT NULL, action VARCHAR(50) NOT NULL, before_json JSON, after_json JSON,
    updated_by VARCHAR(255) NOT NULL, created_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    PRIMARY KEY (id));
CREATE INDEX idx_printers_audit_printer_id ON printers_audit (printer_id);
CREATE INDEX idx_printers_audit_created_at_desc ON printers_audit (created_at DESC);
";

const PT: &str = "5f0c8a0e3b2d4c1a9e7f6a5b4c3d2e1f";
const QL: &str = "6a1d9b1f4c3e4d2b8f8a7b6c5d4e3f20";
const MOCK: &str = "7b2eac20fd4f4e3c9a9b8c7d6e5f4031";
/// Hangar's print key, limited to the PT printer.
const HANGAR_KEY: &str = "lh_pat_Hq3vX9kLm2Np7Rt5Wy8Zb4Cd6Fg1Jk0Mn3Pq5Sv7Ux9";
/// The bootstrap admin key the migration made (its older `lh_` form).
const BOOTSTRAP_KEY: &str = "lh_Tb2Vc4Xd6Zf8Hh0Kj2Ml4Np6Rq8St0Vu2Wx4Yz6Ab8";
/// A key disabled in the old hub.
const DISABLED_KEY: &str = "lh_pat_Dz1Yx2Wv3Ut4Sr5Qp6On7Ml8Kj9Ih0Gf1Ed2Cb3Az4";

fn hash(key: &str) -> String {
    // Cost 4, bcrypt's lowest, keeps the test fast; the hub wrote cost 12.
    bcrypt::hash(key, 4).expect("bcrypt")
}

/// A Label Printer Hub database at `version` with two network printers, a
/// mock one, three keys and a job in every state.
fn legacy_db(file: &Path, version: &str) {
    let conn = rusqlite::Connection::open(file).expect("open");
    conn.execute_batch("PRAGMA journal_mode=WAL;").expect("wal");
    conn.execute_batch(SCHEMA).expect("schema");
    conn.execute("INSERT INTO alembic_version VALUES (?1)", [version])
        .expect("version");
    let now = "2026-06-20 09:15:00.123456";
    for (id, name, slug, model, backend, connection) in [
        (
            PT,
            "Werkstatt PT",
            "werkstatt-pt",
            "PT-P750W",
            "ptouch",
            Some(
                r#"{"host": "192.0.2.10", "port": 9100, "snmp": {"discover": false, "community": "public"}}"#,
            ),
        ),
        (
            QL,
            "Versand QL",
            "versand-ql",
            "QL-820NWB",
            "brother_ql",
            Some(
                r#"{"host": "192.0.2.11", "port": 9100, "snmp": {"discover": true, "community": "s3cret-comm"}}"#,
            ),
        ),
        (MOCK, "Mock", "mock", "PT-P750W", "mock", None),
    ] {
        conn.execute(
            "INSERT INTO printers (id, name, slug, model, backend, connection, enabled, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7)",
            rusqlite::params![id, name, slug, model, backend, connection, now],
        )
        .expect("printer");
    }
    let pt_uuid = uuid_form(PT);
    let keys: [OldKey; 3] = [
        (
            "0c1d2e3f40514a6b8c7d8e9fa0b1c2d3",
            "hangar",
            HANGAR_KEY,
            &HANGAR_KEY[..16],
            format!(r#"["{pt_uuid}"]"#),
            true,
            now,
            None,
        ),
        // Written by the migration with raw SQL: hyphenated id, ISO time.
        (
            "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
            "bootstrap-admin",
            BOOTSTRAP_KEY,
            &BOOTSTRAP_KEY[..12],
            "[]".to_string(),
            true,
            "2026-05-17T08:00:00.000001+00:00",
            None,
        ),
        (
            "2f3a4b5c6d7e4f809a1b2c3d4e5f6071",
            "old script",
            DISABLED_KEY,
            &DISABLED_KEY[..16],
            "[]".to_string(),
            false,
            now,
            Some("2099-01-01 00:00:00.000000"),
        ),
    ];
    for (id, name, key, prefix, printers, enabled, created, expires) in keys {
        let scopes = match name {
            "bootstrap-admin" => r#"["admin"]"#,
            _ => r#"["read", "print"]"#,
        };
        conn.execute(
            "INSERT INTO api_keys (id, name, key_hash, key_prefix, scopes, allowed_printer_ids, \
             rate_limit_per_minute, enabled, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 60, ?7, ?8, ?9)",
            rusqlite::params![
                id,
                name,
                hash(key),
                prefix,
                scopes,
                printers,
                enabled,
                created,
                expires
            ],
        )
        .expect("key");
    }
    let payload = r#"{"content_type": "text_one_line", "data": {"primary_id": "BOX-1"}}"#;
    for (n, state, error) in [
        (1, "done", None),
        (2, "failed", Some("tape_empty")),
        (3, "failed_restart", None),
        (4, "cancelled", None),
        (5, "printing", None),
        (6, "queued", None),
    ] {
        conn.execute(
            "INSERT INTO jobs (id, printer_id, template_key, state, payload, error, created_at, \
             updated_at, started_at, finished_at) VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?6, ?6, ?7)",
            rusqlite::params![
                format!("9{n:031x}"),
                PT,
                state,
                payload,
                error,
                format!("2026-06-20 10:00:0{n}.000000"),
                (!matches!(state, "queued" | "printing")).then(|| format!("2026-06-20 10:01:0{n}.000000")),
            ],
        )
        .expect("job");
    }
}

/// An `api_keys` row: id, name, key, prefix, allowed printers (JSON),
/// enabled, created, expires.
type OldKey<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    String,
    bool,
    &'a str,
    Option<&'a str>,
);

/// A 32-digit id as a hyphenated UUID.
fn uuid_form(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn import(config: &Path, db: &Path, dry_run: bool) -> std::process::Output {
    let mut args = vec!["import", "--config", s(config), "label-printer-hub", s(db)];
    if dry_run {
        args.push("--dry-run");
    }
    printhub(&args)
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Whom `key` authenticates as, in `X-Label-Hub-Key`.
fn who(auth: &Auth, key: &str) -> Result<(Scope, Option<Vec<String>>), String> {
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("x-label-hub-key"),
        HeaderValue::from_str(key).expect("header"),
    );
    auth.authenticate(&headers, None)
        .map(|c| {
            (
                c.scope,
                c.printers
                    .map(|p| p.iter().map(ToString::to_string).collect()),
            )
        })
        .map_err(|e| e.code.as_str().to_string())
}

#[test]
fn a_label_printer_hub_database_imports_once_and_its_keys_authenticate() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = super::config_file(&dir, "");
    let db = path(&dir, "printer-hub.db");
    legacy_db(&db, "42fbd015698d");

    // A dry run says what it would do and writes nothing.
    let plan = stdout(&import(&config, &db, true));
    for line in [
        "would import printer werkstatt-pt",
        "would import printer versand-ql",
        "would import API key \"hangar\"",
        "would import API key \"bootstrap-admin\"",
        "would import API key \"old script\"",
        "(revoked)",
        "would import 6 jobs",
        "skipped printer \"mock\"",
        "dry run: nothing was written",
    ] {
        assert!(plan.contains(line), "{line:?} in:\n{plan}");
    }
    let data = dir.path().join("data").join("printhub.db");
    assert!(!data.exists(), "the dry run made no database");

    let done = stdout(&import(&config, &db, false));
    assert!(done.contains("importing 6 jobs"), "{done}");
    let store = Arc::new(Store::open(&data, StoreConfig::default()).expect("store"));
    let printers = store.load_printers().expect("printers").printers;
    let by_slug = |slug: &str| {
        printers
            .iter()
            .find(|p| p.slug == slug)
            .unwrap_or_else(|| panic!("{slug} imported"))
    };
    let pt = by_slug("werkstatt-pt");
    assert_eq!(pt.id.to_string(), uuid_form(PT), "same UUID");
    assert_eq!(
        (
            pt.name.as_str(),
            pt.model.as_str(),
            pt.address.as_str(),
            pt.media.as_deref()
        ),
        (
            "Werkstatt PT",
            "PT-P750W",
            "192.0.2.10:9100",
            Some("tze-12")
        )
    );
    let ql = by_slug("versand-ql");
    assert_eq!(ql.id.to_string(), uuid_form(QL));
    assert_eq!(ql.media.as_deref(), Some("dk-62"));
    assert_eq!(ql.snmp_community.as_deref(), Some("s3cret-comm"));
    assert_eq!(ql.defaults["snmp"], "192.0.2.11:161");
    assert_eq!(printers.len(), 2, "the mock printer is not imported");

    let keys = store.load_api_keys().expect("keys");
    assert_eq!(keys.len(), 3);
    let bootstrap = keys
        .iter()
        .find(|k| k.name == "bootstrap-admin")
        .expect("bootstrap");
    assert_eq!(
        bootstrap.id, "1e2f3a4b5c6d4e7f8a9b0c1d2e3f4a5b",
        "32 hex digits"
    );
    assert!(
        !bootstrap.hash.contains(BOOTSTRAP_KEY),
        "never the key itself"
    );
    let disabled = keys
        .iter()
        .find(|k| k.name == "old script")
        .expect("disabled");
    assert!(disabled.revoked_at.is_some() && disabled.expires_at.is_some());

    // Every job is history; nothing is queued to print blind.
    let jobs = store.load_all_jobs().expect("jobs").jobs;
    let states: Vec<(String, &str, Option<&str>)> = jobs
        .iter()
        .map(|j| {
            (
                j.id.to_string(),
                j.state.as_str(),
                j.error.as_ref().map(|e| e.code.as_str()),
            )
        })
        .collect();
    let id = |n: u32| uuid_form(&format!("9{n:031x}"));
    for (n, state, code) in [
        (1, "completed", None),
        (2, "failed", Some("failed")),
        (3, "interrupted", Some("interrupted")),
        (4, "cancelled", None),
        (5, "interrupted", Some("interrupted")),
        (6, "failed", Some("not_imported")),
    ] {
        assert!(
            states.contains(&(id(n), state, code)),
            "job {n} {state} {code:?} in {states:?}"
        );
    }
    let failed = jobs
        .iter()
        .find(|j| j.id.to_string() == id(2))
        .expect("job 2");
    assert_eq!(
        failed.error.as_ref().map(|e| e.message.as_str()),
        Some("tape_empty")
    );
    assert_eq!(failed.spec.printer_id, pt.id);

    // The old keys authenticate with what they had; others do not.
    let auth = Auth::open(AuthConfig::default(), Arc::clone(&store)).expect("auth");
    assert_eq!(
        who(&auth, HANGAR_KEY),
        Ok((Scope::Print, Some(vec![uuid_form(PT)])))
    );
    assert_eq!(
        who(&auth, HANGAR_KEY),
        Ok((Scope::Print, Some(vec![uuid_form(PT)]))),
        "cached"
    );
    assert_eq!(who(&auth, BOOTSTRAP_KEY), Ok((Scope::Admin, None)));
    assert_eq!(who(&auth, DISABLED_KEY), Err("unauthorized".into()));
    let wrong = format!("{}x", &HANGAR_KEY[..HANGAR_KEY.len() - 1]);
    assert_eq!(who(&auth, &wrong), Err("unauthorized".into()));
    assert_eq!(
        who(&auth, "lh_pat_nothing-like-it-0123456789"),
        Err("unauthorized".into())
    );
    drop(auth);
    Arc::try_unwrap(store)
        .map_err(|_| "store still shared")
        .expect("one owner")
        .close()
        .expect("close");

    // A second run imports nothing.
    let again = stdout(&import(&config, &db, false));
    assert!(again.contains("importing 0 jobs"), "{again}");
    assert!(
        !again.contains("importing printer") && !again.contains("importing API key"),
        "{again}"
    );
    assert!(
        again.contains("skipped printer werkstatt-pt: already imported"),
        "{again}"
    );
    assert!(again.contains("6 jobs: already imported"), "{again}");
}

#[test]
fn a_database_at_another_schema_version_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = super::config_file(&dir, "");
    let db = path(&dir, "printer-hub.db");
    legacy_db(&db, "20260605b2c3d4e5");
    fails_with(&import(&config, &db, false), "20260605b2c3d4e5");
    assert!(
        !dir.path().join("data").join("printhub.db").exists(),
        "no database was made"
    );
    let not_a_db = path(&dir, "notes.txt");
    std::fs::write(&not_a_db, "hello").expect("write");
    fails_with(&import(&config, &not_a_db, false), "notes.txt");
}

/// One HTTP/1.1 request with `X-Label-Hub-Key`, as Hangar sends it.
fn hangar(addr: &str, method: &str, path: &str, key: &str, body: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-Label-Hub-Key: {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

#[test]
fn an_imported_key_drives_hangars_requests_against_the_served_hub() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = format!("127.0.0.1:{}", super::free_port());
    let config = super::config_file(&dir, &format!("listen = {addr:?}\n"));
    let db = path(&dir, "printer-hub.db");
    legacy_db(&db, "42fbd015698d");
    stdout(&import(&config, &db, false));
    let mut child = super::spawn_serve(&config);
    let up = super::eventually(std::time::Duration::from_secs(60), || {
        super::http(&addr, "GET", "/healthz", None).is_ok_and(|(s, _)| s == 200)
    });
    let found = up.then(|| {
        hangar(
            &addr,
            "GET",
            "/api/printers?slug=werkstatt-pt",
            HANGAR_KEY,
            None,
        )
    });
    let other = up.then(|| {
        hangar(
            &addr,
            "GET",
            "/api/printers?slug=versand-ql",
            HANGAR_KEY,
            None,
        )
    });
    let disabled = up.then(|| hangar(&addr, "GET", "/api/printers", DISABLED_KEY, None));
    let batch = up.then(|| {
        hangar(
            &addr,
            "POST",
            &format!("/api/print/{}/batch", uuid_form(PT)),
            HANGAR_KEY,
            Some(
                r#"{"printer_slug": "werkstatt-pt", "items": [{"content_type": "text_one_line",
                    "data": {"primary_id": "BOX-9"}, "options": {"copies": 2, "auto_cut": true}}]}"#,
            ),
        )
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(up, "serve came up");
    let (status, body) = found.expect("answer");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"slug\":\"werkstatt-pt\"") && body.contains(&uuid_form(PT)),
        "{body}"
    );
    // The key is limited to the PT printer, as it was there.
    let (status, body) = other.expect("answer");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("printer_not_found"), "{body}");
    let (status, body) = disabled.expect("answer");
    assert_eq!(status, 401, "a key disabled there is revoked here: {body}");
    let (status, body) = batch.expect("answer");
    assert_eq!(status, 202, "{body}");
    assert!(
        body.contains("\"job_ids\":[") && body.contains("\"queued_at\":"),
        "{body}"
    );
}

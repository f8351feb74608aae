//! The browser-test harness: a real HTTP server (`printhub::serve::build` +
//! the gateway + the UI, exactly as `printhub serve` mounts them) on
//! 127.0.0.1:0 with emulated printers, and headless Chromium driven over
//! WebDriver (a chromedriver started on a free port, fantoccini as client).
//!
//! Missing Chromium or chromedriver fails the test with what to install
//! (`scripts/ensure-browser.sh`), unless `PRINTHUB_SKIP_BROWSER=1`, which
//! skips loudly. Browser tests take turns (one browser at a time) so that
//! two cores are not shared by several Chromiums.

use actix_web::{web, App, HttpServer};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use printhub::config::{Config, PrinterEntry, PrintingEntry, RetentionEntry};
use printhub_emulator::{EmulatorConfig, EmulatorHandle};
use serde_json::{json, Value};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long any one wait may take before the test fails (generous: the machine is shared).
pub const DEADLINE: Duration = Duration::from_secs(45);

/// Held for a whole test (across runtimes, hence tokio's lock).
static ONE_BROWSER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A running hub with its HTTP server and a browser pointed at it.
pub struct Session {
    pub client: Client,
    pub base: String,
    pub running: printhub::serve::Running,
    pub emulators: Vec<EmulatorHandle>,
    server: actix_web::dev::ServerHandle,
    driver: Child,
    _dir: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("base", &self.base).finish()
    }
}

/// Where Chromium and chromedriver are, or why the tests cannot run.
fn browser_binaries() -> Result<(PathBuf, PathBuf), String> {
    let find = |env: &str, names: &[&str]| -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(env) {
            return Some(PathBuf::from(p)).filter(|p| p.is_file());
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
            .find(|p| p.is_file())
    };
    let chromium = find(
        "PRINTHUB_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let driver = find("PRINTHUB_CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Ok((c, d)),
        (c, d) => Err(format!(
            "browser tests need Chromium and chromedriver (found chromium: {}, chromedriver: {}); \
             run scripts/ensure-browser.sh (Debian: apt-get install chromium chromium-driver), \
             or set PRINTHUB_SKIP_BROWSER=1 to skip them",
            c.map_or("no".into(), |p| p.display().to_string()),
            d.map_or("no".into(), |p| p.display().to_string()),
        )),
    }
}

/// axe-core's `axe.min.js` (npm's `axe-core`, installed by
/// `scripts/ensure-browser.sh` under `~/.cache/printhub-axe`, or
/// `PRINTHUB_AXE`), read once.
fn axe_source() -> &'static str {
    static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    AXE.get_or_init(|| {
        let path = std::env::var_os("PRINTHUB_AXE")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| {
                    PathBuf::from(h).join(".cache/printhub-axe/node_modules/axe-core/axe.min.js")
                })
            })
            .unwrap_or_default();
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "the accessibility checks need axe-core at {} ({e}); run scripts/ensure-browser.sh \
                 (npm install axe-core), or point PRINTHUB_AXE at axe.min.js",
                path.display()
            )
        })
    })
}

/// `None` only when the browser is missing and `PRINTHUB_SKIP_BROWSER=1` says to skip.
fn binaries_or_skip(test: &str) -> Option<(PathBuf, PathBuf)> {
    match browser_binaries() {
        Ok(found) => Some(found),
        Err(why) if std::env::var("PRINTHUB_SKIP_BROWSER").as_deref() == Ok("1") => {
            // Straight to stderr, past the test harness's capture: a skip must be seen.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "\n{bar}\n*** SKIPPED browser test {test}: PRINTHUB_SKIP_BROWSER=1\n*** {why}\n{bar}\n",
                bar = "*".repeat(60)
            );
            None
        }
        Err(why) => panic!("{why}"),
    }
}

/// A PT-P750W with 12 mm tape as printer `pt` (the emulator is `emulators[0]`).
pub async fn start(test: &str) -> Option<Session> {
    start_with(test, &[("pt", "PT-P750W", "tze-12")]).await
}

/// Routes a test mounts in front of the gateway's (a scripted event stream).
pub type ExtraRoutes = std::sync::Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// Printers `(slug, model, media)`, each on its own emulator with SNMP.
pub async fn start_with(test: &str, printers: &[(&str, &str, &str)]) -> Option<Session> {
    start_full(
        test,
        printers,
        std::sync::Arc::new(|_: &mut web::ServiceConfig| {}),
    )
    .await
}

/// As [`start_with`], with `extra` routes mounted before the gateway's.
pub async fn start_full(
    test: &str,
    printers: &[(&str, &str, &str)],
    extra: ExtraRoutes,
) -> Option<Session> {
    start_server(test, printers, extra, "admin").await
}

/// As [`start_with`], on a server without anonymous access: API keys only.
pub async fn start_keys_only(test: &str, printers: &[(&str, &str, &str)]) -> Option<Session> {
    let none: ExtraRoutes = std::sync::Arc::new(|_: &mut web::ServiceConfig| {});
    start_server(test, printers, none, "off").await
}

/// As [`start_keys_only`], with `extra` routes mounted before the gateway's.
pub async fn start_keys_only_full(
    test: &str,
    printers: &[(&str, &str, &str)],
    extra: ExtraRoutes,
) -> Option<Session> {
    start_server(test, printers, extra, "off").await
}

async fn start_server(
    test: &str,
    printers: &[(&str, &str, &str)],
    extra: ExtraRoutes,
    anonymous: &str,
) -> Option<Session> {
    let (chromium, chromedriver) = binaries_or_skip(test)?;
    let turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tmp");
    let mut emulators = Vec::new();
    let mut entries = Vec::new();
    for (slug, model, media) in printers {
        let emu = printhub_emulator::Emulator::start(EmulatorConfig::new(model, media).with_snmp())
            .expect("emulator");
        entries.push(PrinterEntry {
            slug: (*slug).into(),
            name: Some(format!("{model} {slug}")),
            model: (*model).into(),
            media: (*media).into(),
            address: Some(emu.tcp_addr().to_string()),
            device: None,
            snmp: emu.snmp_addr().map(|a| a.to_string()),
            snmp_community: None,
            defaults: None,
        });
        emulators.push(emu);
    }
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.path().to_path_buf(),
        body_limit: 1 << 20,
        printers: entries,
        emulators: Vec::new(),
        retention: RetentionEntry::default(),
        printing: PrintingEntry::default(),
        auth: printhub::config::AuthEntry {
            anonymous: anonymous.into(),
            ..Default::default()
        },
        integrations: Default::default(),
        webhooks: Vec::new(),
        mqtt: None,
        notify: Vec::new(),
        limits: Default::default(),
        landing: Default::default(),
        compat: Default::default(),
        ipp: None,
    };
    let running = printhub::serve::build(&config).await.expect("build");
    let data = running.app_data(&config);
    let server = HttpServer::new(move || {
        let extra = extra.clone();
        App::new()
            .configure(data.clone())
            .configure(move |cfg| extra(cfg))
            .configure(printhub_gateway::configure)
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("bind");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let (driver, port) = start_driver(&chromedriver);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,800", "--force-prefers-reduced-motion"],
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session with headless Chromium");
    let session = Session {
        client,
        base: format!("http://{addr}"),
        running,
        emulators,
        server: handle,
        driver,
        _dir: dir,
        _turn: turn,
    };
    session.viewport(1280, 800).await;
    Some(session)
}

/// Starts chromedriver on a free loopback port and waits until it accepts connections.
fn start_driver(chromedriver: &Path) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log = screenshot_dir().join("chromedriver.log");
    let mut child = Command::new(chromedriver)
        .process_group(0)
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "chromedriver exited at start ({status}); see {}",
                log.display()
            );
        }
        assert!(
            start.elapsed() < DEADLINE,
            "chromedriver did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

/// `$CARGO_TARGET_DIR/ui-screenshots` (or `target/ui-screenshots`), created.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // The test binary is target/<profile>/deps/e2e-<hash>.
            std::env::current_exe()
                .ok()
                .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        })
        .unwrap_or_else(|| PathBuf::from("target"));
    let dir = target.join("ui-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// A Chrome DevTools command through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.0, "params": self.1 }).to_string()),
        )
    }
}

impl Session {
    /// Opens `#/route` of the UI.
    pub async fn open(&self, route: &str) {
        self.client
            .goto(&format!("{}/{route}", self.base))
            .await
            .expect("navigate");
    }

    /// The page's viewport, exactly (a phone is 390 × 844).
    pub async fn viewport(&self, width: u32, height: u32) {
        self.client
            .issue_cmd(Cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600 }),
            ))
            .await
            .expect("viewport");
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `script` until it returns something truthy; returns it. Fails with
    /// `what`, the last value and a screenshot after [`DEADLINE`].
    pub async fn wait(&self, what: &str, script: &str) -> Value {
        let start = Instant::now();
        loop {
            let value = self.eval(script).await;
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return value;
            }
            if start.elapsed() > DEADLINE {
                let shot = self.screenshot(&format!("FAILED-{}", slug(what))).await;
                let text = self
                    .eval("return document.querySelector('main')?.innerText")
                    .await;
                panic!(
                    "timed out waiting for {what} (last value {value}); screenshot {}; page text:\n{}",
                    shot.display(),
                    text.as_str().unwrap_or_default()
                );
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the element `css`.
    pub async fn click(&self, css: &str) {
        self.client
            .wait()
            .at_most(DEADLINE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// Types `text` into the element `css` (after clearing it).
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self
            .client
            .wait()
            .at_most(DEADLINE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    /// Picks `value` in the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.client
            .wait()
            .at_most(DEADLINE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("cannot pick {value} in {css}: {e}"));
    }

    /// Light or dark colour scheme (`prefers-color-scheme`).
    pub async fn color_scheme(&self, dark: bool) {
        self.client
            .issue_cmd(Cdp(
                "Emulation.setEmulatedMedia",
                json!({ "features": [{ "name": "prefers-color-scheme", "value": if dark { "dark" } else { "light" } }] }),
            ))
            .await
            .expect("colour scheme");
    }

    /// Moves the mouse over the middle of the element `css` (a real hover).
    pub async fn hover(&self, css: &str) {
        let at = self
            .eval(&format!(
                "const r = document.querySelector('{css}').getBoundingClientRect();                  return [r.left + r.width / 2, r.top + r.height / 2];"
            ))
            .await;
        self.client
            .issue_cmd(Cdp(
                "Input.dispatchMouseEvent",
                json!({ "type": "mouseMoved", "x": at[0], "y": at[1] }),
            ))
            .await
            .expect("hover");
    }

    /// Runs axe-core (WCAG 2.2 A and AA rules) on the page; returns the
    /// serious and critical violations as `"rule: target, …"` lines.
    pub async fn axe(&self) -> Vec<String> {
        let script = format!(
            "const done = arguments[arguments.length - 1];              if (!window.axe) {{ {} }}              window.axe.run(document, {{ runOnly: {{ type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }} }})                .then((r) => done(r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')                  .map((v) => `${{v.id}} (${{v.impact}}): ${{v.nodes.map((n) => n.target.join(' ')).join(', ')}}`)))                .catch((e) => done([`axe failed: ${{e}}`]));",
            axe_source()
        );
        let found = self
            .client
            .execute_async(&script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("axe did not run: {e}"));
        found
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Answers OK in the confirmation dialog.
    pub async fn confirm(&self) {
        self.wait(
            "the confirmation dialog",
            "return document.getElementById('confirm').open",
        )
        .await;
        self.click("#confirm-yes").await;
    }

    /// Saves a screenshot of the viewport as `<name>.png`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let path = screenshot_dir().join(format!("{name}.png"));
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(&path, png);
        }
        path
    }

    /// Shots of the current page at phone (390 × 844) and desktop (1280 × 800) width.
    pub async fn screenshots(&self, page: &str) {
        self.viewport(390, 844).await;
        self.screenshot(&format!("{page}-phone")).await;
        self.viewport(1280, 800).await;
        self.screenshot(&format!("{page}-desktop")).await;
    }

    /// The engine's handle.
    pub fn hub(&self) -> &printhub_actors::HubHandle {
        &self.running.hub
    }

    /// Closes the browser, the server and the engine.
    pub async fn finish(self) {
        let _ = self.client.clone().close().await;
        self.server.stop(true).await;
        self.running.hub.shutdown().await.expect("shutdown");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // A failed test still ends chromedriver and the browser it started
        // (their own process group, so nothing else is touched).
        let group = rustix::process::Pid::from_child(&self.driver);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

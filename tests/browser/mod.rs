//! The web UI in a real browser (issue #11): headless Chromium over WebDriver
//! against the HTTP server `printhub serve` runs, with emulated printers.
//! Each test does what a person would (types, clicks, confirms) and checks
//! both the page and the engine or the emulator's printed pages. Screenshots
//! of every page at phone and desktop width land in `ui-screenshots/` under
//! the target directory, for review (they are not compared).

mod printers;
mod round2;
mod saved;
mod support;

use printhub_core::JobState;
use printhub_raster::{Media, Model};
use printhub_render::{render, ContentType, LabelData, RenderRequest};
use serde_json::Value;
use support::Session;

/// Queues a `qr_one_line` label on `slug` straight through the engine.
async fn queue_label(s: &Session, slug: &str, id: &str) -> printhub_core::JobId {
    let info = s.hub().printer(slug).await.expect("printer");
    let data = LabelData {
        primary_id: Some(id.into()),
        qr_payload: Some(format!("https://example.invalid/{id}")),
        ..LabelData::default()
    };
    let request = RenderRequest::content_type(ContentType::QrOneLine, data);
    let label = render(
        &request,
        Model::by_name(&info.model).expect("model"),
        Media::by_id(&info.media).expect("media"),
    )
    .expect("renders");
    // Kept with the job as the gateway keeps it: its title, print again.
    let mut print = printhub_actors::PrintRequest::new(label);
    print.content_type = Some("qr_one_line".into());
    print.source = Some(request);
    s.hub().submit(slug, print).await.expect("queued").id
}

/// Polls the engine until the job is in `state`.
async fn job_reaches(s: &Session, id: printhub_core::JobId, state: JobState) {
    let start = std::time::Instant::now();
    loop {
        let job = s.hub().job(id).await.expect("job");
        if job.state == state {
            return;
        }
        assert!(
            start.elapsed() < support::DEADLINE,
            "job {id} is {:?}, not {state:?}",
            job.state
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

const STATE_OF_PT: &str =
    "return document.querySelector('[data-printer=\"pt\"] [data-state]')?.dataset.state";

#[actix_web::test]
async fn a_label_printed_from_the_form_completes_and_prints_the_preview_bits() {
    let Some(s) = support::start("print_from_form").await else {
        return;
    };
    s.open("#/print?printer=pt").await;
    s.select("select[name=layout]", "ct:qr_one_line").await;
    s.type_into("input[name=primary_id]", "BOX-42").await;
    s.type_into("input[name=qr_payload]", "https://example.invalid/box/42")
        .await;
    // The preview follows the typing (debounced): wait for the one made from both fields.
    s.wait(
        "the preview of the typed label",
        "const img = document.getElementById('preview'); \
         return document.querySelector('main').dataset.preview === 'ok' && img.complete && \
           (img.dataset.request || '').includes('BOX-42') && (img.dataset.request || '').includes('box/42');",
    )
    .await;
    let preview = s
        .eval(
            "const img = document.getElementById('preview'); \
             const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight; \
             const g = c.getContext('2d'); g.drawImage(img, 0, 0); \
             const d = g.getImageData(0, 0, c.width, c.height).data; let bits = ''; \
             for (let i = 0; i < d.length; i += 4) bits += d[i] < 128 ? '1' : '0'; \
             return [c.width, c.height, bits];",
        )
        .await;
    s.click("#print-submit").await;
    let state = s
        .wait(
            "the job to complete",
            "const p = document.querySelector('[data-job-state]'); \
             return p && ['completed', 'failed', 'cancelled', 'interrupted'].includes(p.dataset.jobState) && p.dataset.jobState;",
        )
        .await;
    assert_eq!(state, "completed");
    let text = s
        .eval("return document.getElementById('job-progress').innerText")
        .await;
    assert!(
        text.as_str().unwrap_or_default().contains("1 of 1 printed"),
        "{text}"
    );

    let pages = s.emulators[0].pages();
    assert_eq!(pages.len(), 1, "one copy printed");
    let page = &pages[0].black;
    let (w, h) = (
        preview[0].as_u64().expect("w") as usize,
        preview[1].as_u64().expect("h") as usize,
    );
    assert_eq!(
        (w, h),
        (page.width(), page.height()),
        "preview and page have one size"
    );
    let bits = preview[2].as_str().expect("bits").as_bytes();
    let differing = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| (bits[y * w + x] == b'1') != page.get(x, y))
        .count();
    assert_eq!(differing, 0, "the printed page is the preview, dot for dot");
    assert!(page.count_set() > 0);
    s.finish().await;
}

#[actix_web::test]
async fn pausing_a_printer_shows_on_the_dashboard_live() {
    let Some(s) = support::start("pause_live").await else {
        return;
    };
    s.open("#/").await;
    s.wait(STATE_OF_PT, STATE_OF_PT).await;
    s.wait(
        "the live event stream (GET /api/events)",
        "return document.getElementById('live').dataset.live === 'live'",
    )
    .await;
    // Someone else pauses it (another client, through the engine): the page follows without reload.
    s.eval("window.__notReloaded = true; return true").await;
    s.hub().pause_printer("pt").await.expect("paused");
    s.wait(
        "paused on the dashboard",
        "return document.querySelector('[data-printer=\"pt\"] [data-state]')?.dataset.state === 'paused'",
    )
    .await;
    // Resume from the page, with its confirmation.
    s.click("[data-printer=\"pt\"] [data-action=resume]").await;
    s.confirm().await;
    s.wait(
        "idle again",
        "return document.querySelector('[data-printer=\"pt\"] [data-state]')?.dataset.state === 'idle'",
    )
    .await;
    assert_eq!(
        s.eval("return window.__notReloaded === true").await,
        Value::Bool(true)
    );
    let info = s.hub().printer("pt").await.expect("printer");
    assert_eq!(info.state.name(), "idle");
    s.finish().await;
}

#[actix_web::test]
async fn cancelling_a_queued_job_from_the_queue_page() {
    let Some(s) = support::start("cancel_queued").await else {
        return;
    };
    s.hub().pause_printer("pt").await.expect("paused");
    let keep = queue_label(&s, "pt", "KEEP-1").await;
    let drop = queue_label(&s, "pt", "DROP-2").await;
    s.open("#/jobs?state=queued").await;
    let row = format!("[data-job=\"{drop}\"]");
    // A queued job offers what applies to it (no retry).
    let offered = s
        .wait(
            "the queued job's actions",
            &format!("const r = document.querySelector('{row}'); return r && [...r.querySelectorAll('[data-action]')].map((b) => b.dataset.action).join(',')"),
        )
        .await;
    assert_eq!(offered, "cancel,hold");
    s.click(&format!("{row} [data-action=cancel]")).await;
    s.confirm().await;
    s.wait(
        "the row to show cancelled",
        &format!("return document.querySelector('{row} [data-state]')?.dataset.state === 'cancelled' || !document.querySelector('{row}')"),
    )
    .await;
    job_reaches(&s, drop, JobState::Cancelled).await;
    assert_eq!(
        s.hub().job(keep).await.expect("job").state,
        JobState::Queued,
        "only the chosen job is cancelled"
    );
    // The rest prints once resumed; the cancelled label never does.
    s.hub().resume_printer("pt").await.expect("resumed");
    job_reaches(&s, keep, JobState::Completed).await;
    assert_eq!(s.emulators[0].pages().len(), 1);
    assert_eq!(
        s.hub().job(drop).await.expect("job").state,
        JobState::Cancelled
    );
    s.finish().await;
}

#[actix_web::test]
async fn a_job_the_printer_did_not_confirm_shows_as_sent_not_confirmed() {
    let Some(s) = support::start("unconfirmed").await else {
        return;
    };
    // Pages print, but no status block can be read: the hub sent the label
    // and cannot know it came out.
    s.emulators[0].set_fault(printhub_emulator::Fault::GarbledStatus);
    let sent = queue_label(&s, "pt", "SENT-1").await;
    job_reaches(&s, sent, JobState::Completed).await;
    assert!(!s.hub().job(sent).await.expect("job").confirmed);
    s.open(&format!("#/jobs/{sent}")).await;
    s.wait(
        "the job page to say sent, not confirmed",
        "return document.querySelector('main [data-confirmed=\"false\"]')?.textContent.startsWith('Sent, not confirmed')",
    )
    .await;
    // A confirmed job says nothing of the kind; the unconfirmed one does, in the queue too.
    s.emulators[0].clear_fault(printhub_emulator::FaultKind::GarbledStatus);
    let confirmed = queue_label(&s, "pt", "OK-2").await;
    job_reaches(&s, confirmed, JobState::Completed).await;
    assert!(s.hub().job(confirmed).await.expect("job").confirmed);
    s.open("#/jobs").await;
    let flags = s
        .wait(
            "both rows",
            &format!(
                "const flag = (id) => {{ const r = document.querySelector(`[data-job=\"${{id}}\"]`); \
                   return r && (r.querySelector('[data-confirmed]')?.textContent || 'none'); }}; \
                 const a = flag('{sent}'), b = flag('{confirmed}'); return a && b && [a, b]"
            ),
        )
        .await;
    assert_eq!(flags, serde_json::json!(["sent, not confirmed", "none"]));
    s.finish().await;
}

#[actix_web::test]
async fn a_printer_turned_off_shows_since_when_it_is_offline() {
    let Some(s) = support::start("offline_since").await else {
        return;
    };
    s.open("#/").await;
    s.wait("the printer card", STATE_OF_PT).await;
    // The printer is switched off; the next label finds it gone.
    s.emulators[0].set_fault(printhub_emulator::Fault::TurnedOff);
    queue_label(&s, "pt", "OFF-1").await;
    let shown = s
        .wait(
            "the offline state with its time",
            "const card = document.querySelector('[data-printer=\"pt\"]'); \
             return card && card.querySelector('[data-state]').dataset.state === 'offline' && \
                    card.querySelector('[data-offline-since]')?.dataset.offlineSince",
        )
        .await;
    let since = match s.hub().printer("pt").await.expect("pt").state {
        printhub_core::PrinterState::Offline { since } => printhub_gateway::dto::rfc3339(since),
        other => panic!("the engine says {other:?}"),
    };
    assert_eq!(
        shown,
        since.as_str(),
        "the time it went offline, not last_seen"
    );
    let line = s
        .eval("return document.querySelector('[data-printer=\"pt\"] .state-line').textContent")
        .await;
    assert!(
        line.as_str()
            .is_some_and(|l| l.starts_with("Offline since ") && !l.contains("unknown")),
        "{line}"
    );
    s.finish().await;
}

#[actix_web::test]
async fn a_media_fault_shows_the_stopped_reason_until_it_is_cleared() {
    let Some(s) = support::start("media_fault").await else {
        return;
    };
    s.open("#/").await;
    s.wait("the printer card", STATE_OF_PT).await;
    // Someone loads 24 mm tape into the printer set up for 12 mm, then a label is sent.
    s.emulators[0]
        .set_media(Some("tze-24"))
        .expect("tape change");
    let job = queue_label(&s, "pt", "FAULT-1").await;
    let reason = s
        .wait(
            "the stopped state with its reason",
            "const card = document.querySelector('[data-printer=\"pt\"]'); \
             return card && card.querySelector('[data-state]').dataset.state === 'stopped' && \
               card.querySelector('[data-reason]').dataset.reason;",
        )
        .await;
    assert_eq!(reason, "media_mismatch");
    // The status read after the refusal names the tape that is loaded. (The engine
    // re-checks a stopped printer, so the card is read in one go while it is stopped.)
    let text = s
        .wait(
            "the stopped card naming the loaded tape",
            "const card = document.querySelector('[data-printer=\"pt\"]'); \
             return card && card.querySelector('[data-state]').dataset.state === 'stopped' && \
               card.querySelector('[data-media]').dataset.media === 'tze-24' && card.innerText;",
        )
        .await;
    let text = text.as_str().unwrap_or_default();
    assert!(text.contains("wrong media loaded"), "{text}");
    assert!(text.contains("set up for TZe 12 mm tape"), "{text}");
    s.screenshots("dashboard-stopped").await;
    let state = s.hub().job(job).await.expect("job").state;
    assert!(!state.is_terminal(), "nothing failed: the job is {state:?}");
    // The right tape goes back in: the printer carries on by itself and the page shows it.
    s.emulators[0]
        .set_media(Some("tze-12"))
        .expect("tape change");
    s.wait(
        "the stop to clear",
        "const card = document.querySelector('[data-printer=\"pt\"]'); \
         const st = card && card.querySelector('[data-state]').dataset.state; \
         return (st === 'idle' || st === 'printing') && card.querySelector('[data-reason]').dataset.reason === '';",
    )
    .await;
    job_reaches(&s, job, JobState::Completed).await;
    s.finish().await;
}

#[actix_web::test]
async fn an_invalid_form_shows_the_field_errors_from_the_api() {
    let Some(s) = support::start("invalid_form").await else {
        return;
    };
    s.open("#/print?printer=pt").await;
    s.select("select[name=layout]", "ct:qr_two_lines").await;
    s.type_into("input[name=title]", "Only a title").await;
    s.click("#print-submit").await;
    for field in ["qr_payload", "primary_id"] {
        let code = s
            .wait(
                &format!("the error next to {field}"),
                &format!("const e = document.querySelector('[data-error-for={field}]'); return e?.textContent && e.dataset.code"),
            )
            .await;
        assert_eq!(code, "content_type_data_mismatch", "{field}");
        assert_eq!(
            s.eval(&format!(
                "return document.querySelector('[name={field}]').getAttribute('aria-invalid')"
            ))
            .await,
            "true"
        );
    }
    assert_eq!(
        s.eval("return document.querySelector('[data-error-for=title]').textContent")
            .await,
        "",
        "a field that was filled has no error"
    );
    s.screenshots("print-errors").await;
    // Every field filled but 0 copies: the API names the copies field.
    s.type_into("input[name=primary_id]", "A-1").await;
    s.type_into("input[name=qr_payload]", "https://example.invalid/a/1")
        .await;
    s.type_into("input[name=copies]", "0").await;
    s.click("#print-submit").await;
    let code = s
        .wait(
            "the error next to copies",
            "const e = document.querySelector('[data-error-for=copies]'); return e?.textContent && e.dataset.code",
        )
        .await;
    assert_eq!(code, "invalid_request");
    assert_eq!(
        s.eval("return document.querySelector('[data-error-for=qr_payload]').textContent")
            .await,
        "",
        "errors from the earlier attempt are gone"
    );
    let jobs = s
        .hub()
        .list_jobs(printhub_actors::JobFilter::default())
        .await
        .expect("jobs");
    assert!(jobs.is_empty(), "nothing was queued: {jobs:?}");
    s.finish().await;
}

#[actix_web::test]
async fn every_page_renders_at_phone_and_desktop_width() {
    let Some(s) = support::start_with(
        "screenshots",
        &[("pt", "PT-P750W", "tze-12"), ("ql", "QL-820NWB", "dk-62")],
    )
    .await
    else {
        return;
    };
    let done = queue_label(&s, "ql", "SHELF-7").await;
    job_reaches(&s, done, JobState::Completed).await;
    s.hub().pause_printer("pt").await.expect("paused");
    queue_label(&s, "pt", "WAIT-1").await;

    let heading = "return document.querySelector('main h1')?.textContent";
    for (route, page, expect) in [
        ("#/", "dashboard", "Printers"),
        ("#/print?printer=ql", "print", "Print a label"),
        ("#/print?printer=pt", "print-tape", "Print a label"),
        ("#/jobs", "jobs", "Queue & history"),
        (&format!("#/jobs/{done}") as &str, "job", "Job "),
        ("#/admin", "admin", "Admin"),
        ("#/signin", "signin", "Sign in"),
    ] {
        s.open(route).await;
        let h1 = s.wait(&format!("the {page} page"), heading).await;
        assert!(
            h1.as_str().unwrap_or_default().starts_with(expect),
            "{page}: {h1}"
        );
        if page.starts_with("print") {
            s.type_into("input[name=primary_id]", "SHELF-7").await;
            s.type_into("input[name=qr_payload]", "https://example.invalid/shelf/7")
                .await;
            s.wait(
                "a preview",
                "return document.querySelector('main').dataset.preview === 'ok' && (document.getElementById('preview').dataset.request || '').includes('shelf/7')",
            )
            .await;
        }
        if page == "job" {
            s.wait(
                "the stored label's preview",
                "const img = document.querySelector('main .preview-frame img'); return img && img.complete && img.naturalWidth > 0",
            )
            .await;
        }
        if page == "dashboard" {
            s.wait(
                "both printers",
                "return document.querySelectorAll('[data-printer]').length === 2",
            )
            .await;
        }
        s.screenshots(page).await;
    }
    // The admin page lists both printers and offers the model picker.
    s.open("#/admin").await;
    let models = s
        .wait(
            "the model picker",
            "return document.querySelectorAll('select[name=model] option').length",
        )
        .await;
    assert!(models.as_u64().unwrap_or_default() > 5, "{models}");
    s.finish().await;
}

#[actix_web::test]
async fn a_printer_added_in_admin_is_tested_and_a_bad_one_is_refused_at_its_field() {
    let Some(s) = support::start("admin_add_printer").await else {
        return;
    };
    let ql = printhub_emulator::Emulator::start(
        printhub_emulator::EmulatorConfig::new("QL-820NWB", "dk-62").with_snmp(),
    )
    .expect("emulator");
    s.open("#/admin").await;
    s.wait(
        "the add form",
        "return document.querySelector('form.printer-form [name=slug]')",
    )
    .await;
    // Media "as loaded" (the form's default) on a network QL without SNMP:
    // it reports no medium, the API names the field and nothing is added.
    s.type_into("form.printer-form [name=slug]", "ql2").await;
    s.select("form.printer-form [name=model]", "QL-820NWB")
        .await;
    s.type_into(
        "form.printer-form [name=address]",
        &ql.tcp_addr().to_string(),
    )
    .await;
    s.click("form.printer-form button[type=submit]").await;
    let code = s
        .wait(
            "the error next to media",
            "const e = document.querySelector('form.printer-form [data-error-for=media]'); return e?.textContent && e.dataset.code",
        )
        .await;
    assert_eq!(code, "media_not_reported");
    assert_eq!(s.hub().list_printers().await.expect("printers").len(), 1);
    // With its media it is added, and the connection test reaches the emulator.
    s.select("form.printer-form [name=media]", "dk-62").await;
    let snmp = ql.snmp_addr().expect("snmp").to_string();
    s.type_into("form.printer-form [name=snmp]", &snmp).await;
    s.click("form.printer-form button[type=submit]").await;
    let result = s
        .wait(
            "the connection test",
            "const t = document.querySelector('tr[data-printer=\"ql2\"] [role=status]')?.textContent || ''; \
             return t.startsWith('Reachable') || t.startsWith('Not reachable') ? t : null",
        )
        .await;
    assert!(
        result.as_str().unwrap_or_default().starts_with("Reachable"),
        "{result}"
    );
    let info = s.hub().printer("ql2").await.expect("added");
    assert_eq!(
        (info.model.as_str(), info.media.as_str()),
        ("QL-820NWB", "dk-62")
    );
    // After adding, the form is empty again (the community is never kept in the page).
    assert_eq!(
        s.eval("return document.querySelector('form.printer-form [name=snmp_community]').value")
            .await,
        ""
    );
    s.finish().await;
}

/// A scripted `GET /api/events`: each connection takes the next script (a
/// channel the test writes SSE text into; dropping it ends the stream — or a
/// 401 refusal) and records the `Last-Event-ID` it was opened with.
#[derive(Clone, Default)]
struct ScriptedEvents {
    scripts: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<Script>>>,
    opened_with: std::sync::Arc<std::sync::Mutex<Vec<Option<String>>>>,
}

/// What one connection gets.
enum Script {
    Stream(tokio::sync::mpsc::UnboundedReceiver<String>),
    /// 401 `unauthorized`, as the gateway answers a revoked key.
    Refuse,
}

impl ScriptedEvents {
    /// Queues the script for the next connection; returns its writer.
    fn next_connection(&self) -> tokio::sync::mpsc::UnboundedSender<String> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.scripts
            .lock()
            .expect("lock")
            .push_back(Script::Stream(rx));
        tx
    }

    /// The next connection is refused with 401.
    fn refuse_next(&self) {
        self.scripts.lock().expect("lock").push_back(Script::Refuse);
    }

    fn opened_with(&self) -> Vec<Option<String>> {
        self.opened_with.lock().expect("lock").clone()
    }

    fn routes(&self) -> support::ExtraRoutes {
        let me = self.clone();
        std::sync::Arc::new(move |cfg: &mut actix_web::web::ServiceConfig| {
            let me = me.clone();
            cfg.route(
                "/api/events",
                actix_web::web::get().to(move |req: actix_web::HttpRequest| {
                    let me = me.clone();
                    async move {
                        let last = req
                            .headers()
                            .get("last-event-id")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        me.opened_with.lock().expect("lock").push(last);
                        let script = me.scripts.lock().expect("lock").pop_front();
                        let rx = match script {
                            Some(Script::Stream(rx)) => rx,
                            Some(Script::Refuse) => {
                                return actix_web::ResponseError::error_response(
                                    &printhub_gateway::ApiError::new(
                                        printhub_gateway::ErrorCode::Unauthorized,
                                        "this API key was revoked",
                                    ),
                                )
                            }
                            None => return actix_web::HttpResponse::ServiceUnavailable().finish(),
                        };
                        let body = futures_util::stream::unfold(rx, |mut rx| async move {
                            rx.recv().await.map(|text| {
                                (
                                    Ok::<_, actix_web::Error>(actix_web::web::Bytes::from(text)),
                                    rx,
                                )
                            })
                        });
                        actix_web::HttpResponse::Ok()
                            .content_type("text/event-stream")
                            .streaming(body)
                    }
                }),
            );
        })
    }
}

fn sse(id: u64, kind: &str, data: &Value) -> String {
    format!(": heartbeat\n\nid: {id}\nevent: {kind}\ndata: {data}\n\n")
}

#[actix_web::test]
async fn the_event_stream_reconnects_with_last_event_id_and_refetches_after_a_reset() {
    let events = ScriptedEvents::default();
    let first = events.next_connection();
    let Some(s) = support::start_full(
        "sse_client",
        &[("pt", "PT-P750W", "tze-12")],
        events.routes(),
    )
    .await
    else {
        return;
    };
    s.open("#/").await;
    s.wait(
        "the stream to be up",
        "return document.getElementById('live').dataset.live === 'live'",
    )
    .await;
    s.wait(
        "the printer as fetched",
        "return document.querySelector('[data-printer=\"pt\"] [data-state]')?.dataset.state === 'idle'",
    )
    .await;
    let view = serde_json::to_value(printhub_gateway::dto::PrinterView::from(
        s.hub().printer("pt").await.expect("printer"),
    ))
    .expect("json");
    let with_state = |state: &str, reason: Option<&str>| {
        let mut p = view.clone();
        p["state"] = Value::from(state);
        p["state_reason"] = reason.map_or(Value::Null, Value::from);
        p
    };
    let event = |id: u64, from: &str, to: Value| {
        serde_json::json!({"type": "printer.state_changed", "id": id, "at": "2026-01-01T00:00:00Z",
            "printer_id": view["id"], "from": from, "to": to["state"], "printer": to})
    };
    // Event 1 arrives (split across writes, as a network may deliver it).
    let text = sse(
        1,
        "printer.state_changed",
        &event(1, "idle", with_state("paused", None)),
    );
    let (a, b) = text.split_at(text.len() / 2);
    first.send(a.to_string()).expect("send");
    first.send(b.to_string()).expect("send");
    s.wait(
        "event 1 on the page",
        "return document.querySelector('[data-printer=\"pt\"] [data-state]')?.dataset.state === 'paused'",
    )
    .await;
    // The connection drops; the client comes back with Last-Event-ID: 1 and gets event 2.
    let second = events.next_connection();
    drop(first);
    second
        .send(sse(
            2,
            "printer.state_changed",
            &event(2, "paused", with_state("stopped", Some("no_media"))),
        ))
        .expect("send");
    s.wait(
        "event 2 after the reconnect",
        "const c = document.querySelector('[data-printer=\"pt\"]'); \
         return c && c.querySelector('[data-state]').dataset.state === 'stopped' && c.querySelector('[data-reason]').dataset.reason === 'no_media'",
    )
    .await;
    assert_eq!(events.opened_with(), [None, Some("1".to_string())]);
    // A reset: events were lost, so the page refetches the truth (the engine says idle).
    let reset = serde_json::json!({"type": "stream.reset", "id": 3, "at": "2026-01-01T00:00:00Z",
        "printer_id": null, "reason": "lagged", "last_event_id": 2});
    second.send(sse(3, "stream.reset", &reset)).expect("send");
    s.wait(
        "the refetched state after the reset",
        "return document.querySelector('[data-printer=\"pt\"] [data-state]')?.dataset.state === 'idle'",
    )
    .await;
    drop(second);
    s.finish().await;
}

#[actix_web::test]
async fn a_revoked_key_ends_the_live_stream_and_asks_for_a_new_one() {
    let events = ScriptedEvents::default();
    let first = events.next_connection();
    let Some(s) = support::start_keys_only_full(
        "sse_revoked",
        &[("pt", "PT-P750W", "tze-12")],
        events.routes(),
    )
    .await
    else {
        return;
    };
    let (info, key) = s
        .running
        .auth
        .create_key(
            printhub_gateway::auth::NewKey {
                name: "kiosk".into(),
                scope: printhub_gateway::Scope::Read,
                printers: None,
                expires_at: None,
                rate_limit_per_minute: None,
            },
            "test",
        )
        .expect("key");
    s.open("#/").await;
    s.wait(
        "the sign-in form",
        "return document.querySelector('main h1')?.textContent === 'Sign in'",
    )
    .await;
    s.type_into("input[name=key]", &key).await;
    s.click("main form button[type=submit]").await;
    s.wait(
        "the stream to be up",
        "return document.getElementById('live').dataset.live === 'live'",
    )
    .await;
    // The key is revoked: the server ends the stream with a reset saying so
    // and refuses the reconnect.
    s.running
        .auth
        .revoke_key(&info.record.id, "test")
        .expect("revoked");
    events.refuse_next();
    let reset = serde_json::json!({"type": "stream.reset", "id": 0, "at": "2026-01-01T00:00:00Z",
        "reason": "revoked", "last_event_id": null});
    first
        .send(format!("event: stream.reset\ndata: {reset}\n\n"))
        .expect("send");
    drop(first);
    // The client stops instead of retrying forever, and the shell asks for a key.
    s.wait(
        "the stream to stop as unauthorized",
        "return document.getElementById('live').dataset.live === 'unauthorized'",
    )
    .await;
    s.wait(
        "the sign-in form again",
        "return document.querySelector('main h1')?.textContent === 'Sign in'",
    )
    .await;
    assert_eq!(
        events.opened_with().len(),
        2,
        "one connection, one refused reconnect, no retries"
    );
    s.finish().await;
}

#[actix_web::test]
async fn signing_in_keeps_the_key_in_the_session_and_never_shows_it() {
    let Some(s) = support::start_keys_only("signin", &[("pt", "PT-P750W", "tze-12")]).await else {
        return;
    };
    // A real print-scope key, made the way `printhub keys create` makes one.
    let (_, key) = s
        .running
        .auth
        .create_key(
            printhub_gateway::auth::NewKey {
                name: "front desk".into(),
                scope: printhub_gateway::Scope::Print,
                printers: None,
                expires_at: None,
                rate_limit_per_minute: None,
            },
            "test",
        )
        .expect("key");
    let secret = key.rsplit('_').next().expect("secret").to_string();
    let key = key.as_str();
    // Without a key every page leads to the sign-in form.
    s.open("#/jobs").await;
    s.wait(
        "the sign-in form",
        "return document.querySelector('main h1')?.textContent === 'Sign in'",
    )
    .await;
    s.type_into("input[name=key]", "phk_wrong_key").await;
    s.click("main form button[type=submit]").await;
    let refusal = s
        .wait(
            "the refusal next to the key",
            "const e = document.querySelector('[data-error-for=key]'); return e?.textContent && [e.textContent, e.dataset.code]",
        )
        .await;
    assert_eq!(
        refusal,
        serde_json::json!([
            "The key was not accepted: check it, or ask an admin for a new one.",
            "unauthorized"
        ])
    );
    assert_eq!(
        s.eval("return sessionStorage.getItem('printhub.apiKey')")
            .await,
        Value::Null,
        "a refused key is not kept"
    );
    s.type_into("input[name=key]", key).await;
    s.click("main form button[type=submit]").await;
    // Signed in: back to the page asked for, named by the key's name and scope, admin hidden.
    s.wait(
        "the jobs page after signing in",
        "return document.querySelector('main h1')?.textContent === 'Queue & history'",
    )
    .await;
    assert_eq!(
        s.eval("return document.getElementById('identity').textContent")
            .await,
        "front desk (print)"
    );
    assert_eq!(
        s.eval("return document.getElementById('nav-admin').hidden")
            .await,
        true
    );
    assert_eq!(
        s.eval("return sessionStorage.getItem('printhub.apiKey')")
            .await,
        key
    );
    let everywhere = s
        .eval("return document.documentElement.outerHTML + [...document.querySelectorAll('input')].map(i => i.value).join(' ')")
        .await;
    assert!(
        !everywhere.as_str().unwrap_or_default().contains(&secret),
        "the secret is nowhere in the page"
    );
    // Signing out forgets the key.
    s.click("#signout").await;
    s.wait(
        "the sign-in form again",
        "return document.querySelector('main h1')?.textContent === 'Sign in'",
    )
    .await;
    assert_eq!(
        s.eval("return sessionStorage.getItem('printhub.apiKey')")
            .await,
        Value::Null
    );
    s.finish().await;
}

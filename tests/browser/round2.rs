//! The web UI, round 2 (issue #24): no error swallowed, field labels in
//! messages, warnings about lines and length, tooltips that move nothing,
//! only the actions that apply, the admin page naming things, sign-in and
//! sign-out states, the dashboard's first status read, the phone layout, and
//! axe-core (WCAG 2.2 A/AA) on every page in light and dark mode. Each check
//! runs at desktop (1280 × 800) and phone (390 × 844) width.

use super::support::{self, Session};
use super::{job_reaches, queue_label};
use printhub_core::JobState;
use serde_json::Value;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

pub(super) const WIDTHS: [(u32, u32); 2] = [(1280, 800), (390, 844)];

/// The text of `css`, waited for until it is not empty.
pub(super) async fn text_of(s: &Session, what: &str, css: &str) -> String {
    s.wait(
        what,
        &format!("return document.querySelector('{css}')?.textContent"),
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// The `name` of the focused control.
pub(super) async fn focused(s: &Session) -> Value {
    s.eval(
        "return document.activeElement?.name || document.activeElement?.dataset.errorFor || null",
    )
    .await
}

async fn nothing_queued(s: &Session) {
    let jobs = s
        .hub()
        .list_jobs(printhub_actors::JobFilter::default())
        .await
        .expect("jobs");
    assert!(jobs.is_empty(), "nothing was queued: {jobs:?}");
}

/// The print form, fresh, at `width` × `height`, with the preview of the default layout settled.
pub(super) async fn print_page(s: &Session, width: u32, height: u32) {
    s.viewport(width, height).await;
    s.open("#/about").await;
    s.open("#/print?printer=pt").await;
    s.wait(
        "the print form",
        "return document.querySelector('#print-submit') && document.querySelector('main').dataset.preview",
    )
    .await;
}

/// A job route answering the problem the test sets (`status` 0: the gateway's own route).
fn scripted_job_route(status: Arc<AtomicU16>) -> support::ExtraRoutes {
    Arc::new(move |cfg: &mut actix_web::web::ServiceConfig| {
        let when = status.clone();
        let answer = status.clone();
        cfg.service(
            actix_web::web::resource("/api/printers/{key}/jobs")
                .guard(actix_web::guard::fn_guard(move |_| {
                    when.load(Ordering::SeqCst) != 0
                }))
                .route(actix_web::web::post().to(move || {
                    let status = answer.load(Ordering::SeqCst);
                    async move {
                        let code = if status == 429 {
                            printhub_gateway::ErrorCode::QueueFull
                        } else {
                            printhub_gateway::ErrorCode::Internal
                        };
                        let mut resp = actix_web::ResponseError::error_response(
                            &printhub_gateway::ApiError::new(code, "scripted by the test"),
                        );
                        if status == 429 {
                            resp.headers_mut().insert(
                                actix_web::http::header::RETRY_AFTER,
                                actix_web::http::header::HeaderValue::from_static("7"),
                            );
                        }
                        resp
                    }
                })),
        );
    })
}

#[actix_web::test]
async fn every_error_is_shown_in_words_at_its_field_or_the_form_top_with_its_code() {
    let status = Arc::new(AtomicU16::new(0));
    let Some(s) = support::start_full(
        "errors_shown",
        &[("pt", "PT-P750W", "tze-12")],
        scripted_job_route(status.clone()),
    )
    .await
    else {
        return;
    };
    for (w, h) in WIDTHS {
        // A QR payload too long for 12 mm tape: said at the field, with how much fits.
        print_page(&s, w, h).await;
        s.select("select[name=layout]", "ct:qr_one_line").await;
        s.type_into("input[name=primary_id]", "BOX-1").await;
        s.type_into("input[name=qr_payload]", &"https://example.com/".repeat(10))
            .await;
        s.click("#print-submit").await;
        let message = text_of(&s, "the QR error", "[data-error-for=qr_payload]").await;
        assert!(
            message
                .starts_with("Too much data for a QR code on TZe 12 mm tape: shorten it to about ")
                && message.ends_with(" characters or use wider tape."),
            "{w}: {message}"
        );
        let code = s
            .eval("const e = document.querySelector('[data-error-for=qr_payload]'); return [e.dataset.code, e.title]")
            .await;
        assert_eq!(
            code,
            serde_json::json!(["does_not_fit", "Error code: does_not_fit"])
        );
        assert_eq!(focused(&s).await, "qr_payload", "{w}: focus on the field");
        // Missing fields: named by their labels, focus on the first in the form.
        s.select("select[name=layout]", "ct:qr_two_lines").await;
        s.type_into("input[name=primary_id]", "").await;
        s.type_into("input[name=qr_payload]", "").await;
        s.type_into("input[name=title]", "Only a title").await;
        s.click("#print-submit").await;
        let id = text_of(&s, "the identifier error", "[data-error-for=primary_id]").await;
        let qr = text_of(&s, "the code error", "[data-error-for=qr_payload]").await;
        assert_eq!(id, "Fill in Identifier: this layout needs it.");
        assert_eq!(qr, "Fill in Code content: this layout needs it.");
        assert_eq!(
            focused(&s).await,
            "primary_id",
            "{w}: the first invalid field"
        );
        let preview_note = s
            .wait(
                "the preview note naming the fields",
                "const t = document.getElementById('preview-note').textContent; return t.startsWith('Fill in') && t",
            )
            .await;
        assert!(
            !preview_note.as_str().unwrap_or_default().contains('_'),
            "no API names: {preview_note}"
        );
        // An error no field takes (429 queue_full, 500) goes to the top of the form and stays.
        s.type_into("input[name=primary_id]", "A-1").await;
        s.type_into("input[name=qr_payload]", "https://example.invalid/a")
            .await;
        for (answer, expect, code) in [
            (429, "The printer's queue is full: wait for queued labels to print, then press Print again (in about 7 s).", "queue_full"),
            (500, "The hub failed to do this: Scripted by the test. Try again; if it keeps failing, tell the hub's admin.", "internal_error"),
        ] {
            status.store(answer, Ordering::SeqCst);
            s.click("#print-submit").await;
            let top = s
                .wait(
                    "the form-level error",
                    &format!("const e = document.querySelector('[data-error-for=_form]'); return e.dataset.code === '{code}' && e.textContent"),
                )
                .await;
            assert_eq!(top, expect, "{w}");
            assert_eq!(focused(&s).await, "_form", "{w}: focus on the message");
            let in_view = s
                .eval("const r = document.querySelector('[data-error-for=_form]').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight")
                .await;
            assert_eq!(in_view, true, "{w}: the message is in view");
            status.store(0, Ordering::SeqCst);
        }
        nothing_queued(&s).await;
        // Admin: a duplicate slug is said next to the slug.
        s.open("#/admin").await;
        s.type_into("form.printer-form [name=slug]", "pt").await;
        s.select("form.printer-form [name=model]", "PT-P750W").await;
        s.select("form.printer-form [name=media]", "tze-12").await;
        s.type_into("form.printer-form [name=address]", "127.0.0.1:9")
            .await;
        s.click("form.printer-form button[type=submit]").await;
        let slug = text_of(
            &s,
            "the duplicate slug",
            "form.printer-form [data-error-for=slug]",
        )
        .await;
        assert_eq!(
            slug,
            "A printer with this slug already exists: choose another slug."
        );
        assert_eq!(focused(&s).await, "slug");
        s.screenshots(&format!("errors-{w}")).await;
    }
    assert_eq!(s.hub().list_printers().await.expect("printers").len(), 1);
    s.finish().await;
}

#[actix_web::test]
async fn the_print_form_warns_of_unprinted_lines_and_long_labels_and_keeps_the_preview_in_view() {
    let Some(s) = support::start("print_warnings").await else {
        return;
    };
    for (w, h) in WIDTHS {
        print_page(&s, w, h).await;
        // filament_spool prints {secondary} and {secondary.1}: a third line is not printed.
        s.select("select[name=layout]", "tpl:filament_spool").await;
        s.type_into("textarea[name=secondary]", "PLA\nred\n1.75 mm")
            .await;
        let note = s
            .wait(
                "the lines warning",
                "const n = document.getElementById('lines-note'); return n.dataset.warning === 'true' && n.textContent",
            )
            .await;
        assert_eq!(
            note,
            "This layout prints 2 further lines: the last line you typed is not printed."
        );
        s.type_into("textarea[name=secondary]", "PLA\nred").await;
        s.wait(
            "no lines warning",
            "const n = document.getElementById('lines-note'); return !n.dataset.warning && n.textContent === 'This layout prints 2 further lines.'",
        )
        .await;
        // A long text on 12 mm tape: the length is shown, and warned about.
        s.select("select[name=layout]", "ct:text_one_line").await;
        s.type_into("input[name=primary_id]", "SHELF-7").await;
        let short = s
            .wait(
                "the short label's length",
                "const n = document.getElementById('label-length'); return (document.getElementById('preview').dataset.request || '').includes('SHELF-7') && n.textContent.startsWith('Label length') && [n.textContent, n.dataset.warning || null]",
            )
            .await;
        assert_eq!(short[1], Value::Null, "{short}");
        let long = "A very long line of text that nobody means to print on tape ".repeat(2);
        s.type_into("input[name=primary_id]", &long).await;
        let warned = s
            .wait(
                "the long label's warning",
                "const n = document.getElementById('label-length'); return n.dataset.warning === 'true' && [n.textContent, Number(n.dataset.mm)]",
            )
            .await;
        let text = warned[0].as_str().unwrap_or_default();
        assert!(
            text.starts_with("Label length: ") && text.contains(" cm. That is a long label"),
            "{text}"
        );
        // Its length is the preview's raster lines at 180 dpi.
        let lines = s
            .eval("return document.getElementById('preview').naturalHeight")
            .await
            .as_f64()
            .expect("lines");
        let mm = warned[1].as_f64().expect("mm");
        assert!((mm - lines * 25.4 / 180.0).abs() < 0.1, "{mm} vs {lines}");
        // While typing in the last field the preview is in view (on a phone it stays at the top).
        s.type_into("input[name=copies]", "1").await;
        s.eval("document.querySelector('input[name=copies]').scrollIntoView({block: 'end'}); return true")
            .await;
        let preview_in_view = s
            .eval("const r = document.querySelector('.preview-frame').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && r.height > 0")
            .await;
        assert_eq!(preview_in_view, true, "{w}: the preview in view");
        // After Print the progress is in view.
        s.type_into("input[name=primary_id]", "SHELF-7").await;
        s.click("#print-submit").await;
        let progress = s
            .wait(
                "the progress in view",
                "const p = document.getElementById('job-progress'); if (p.hidden) return null; const r = p.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight ? 'in view' : `at ${r.top}`",
            )
            .await;
        assert_eq!(progress, "in view", "{w}");
        s.screenshots(&format!("print-warnings-{w}")).await;
    }
    s.finish().await;
}

#[actix_web::test]
async fn reasons_show_as_tooltips_that_move_nothing_and_jobs_offer_only_what_applies() {
    let Some(s) = support::start("tooltips").await else {
        return;
    };
    let done = queue_label(&s, "pt", "DONE-1").await;
    job_reaches(&s, done, JobState::Completed).await;
    for (w, h) in WIDTHS {
        s.viewport(w, h).await;
        s.open("#/").await;
        let clear = "[data-printer=\"pt\"] [data-action=clear]";
        s.wait(
            "the disabled clear button",
            &format!("return document.querySelector('{clear}')?.getAttribute('aria-disabled') === 'true'"),
        )
        .await;
        let place = "const b = document.querySelector('[data-printer=\"pt\"] .actions').lastElementChild.getBoundingClientRect(); return [b.left, b.top]";
        let before = s.eval(place).await;
        s.hover(clear).await;
        let tip = s
            .wait(
                "the tooltip",
                "const t = document.querySelector('[data-printer=\"pt\"] [data-action=clear] + .why'); return t && t.getBoundingClientRect().width > 20 && t.textContent",
            )
            .await;
        assert_eq!(tip, "The queue is empty.");
        assert_eq!(s.eval(place).await, before, "{w}: nothing moved");
        // A completed job offers no dead buttons; a queued one its two actions.
        s.hub().pause_printer("pt").await.expect("paused");
        let queued = queue_label(&s, "pt", "WAIT-1").await;
        s.open("#/jobs").await;
        let actions = |id: printhub_core::JobId| {
            format!("const r = document.querySelector('[data-job=\"{id}\"]'); return r && [...r.querySelectorAll('[data-action]')].map((b) => b.dataset.action).join(',') || (r ? 'none' : null)")
        };
        assert_eq!(s.wait("the completed row", &actions(done)).await, "reprint");
        assert_eq!(
            s.wait("the queued row", &actions(queued)).await,
            "cancel,hold"
        );
        // Rows name the label by its text, not its layout and id.
        assert_eq!(
            text_of(
                &s,
                "the completed row's title",
                &format!("[data-job=\"{done}\"] h2 a")
            )
            .await,
            "DONE-1"
        );
        // Print again: a new job for the same label, queued behind the pause.
        let before: std::collections::HashSet<_> = s
            .hub()
            .list_jobs(printhub_actors::JobFilter::default())
            .await
            .expect("jobs")
            .into_iter()
            .map(|j| j.id)
            .collect();
        s.click(&format!("[data-job=\"{done}\"] [data-action=reprint]"))
            .await;
        let start = std::time::Instant::now();
        let again = loop {
            let jobs = s
                .hub()
                .list_jobs(printhub_actors::JobFilter::default())
                .await
                .expect("jobs");
            if let Some(j) = jobs.into_iter().find(|j| !before.contains(&j.id)) {
                break j;
            }
            assert!(start.elapsed() < support::DEADLINE, "{w}: no new job");
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let original = s.hub().job(done).await.expect("the original");
        assert_eq!(again.state, JobState::Queued, "{w}");
        assert_eq!(again.spec.printer_id, original.spec.printer_id);
        assert_eq!(again.spec.media_id, original.spec.media_id);
        assert_eq!(again.spec.raster, original.spec.raster, "the same label");
        assert_eq!(
            original.state,
            JobState::Completed,
            "the original is unchanged"
        );
        s.hub().cancel_job(again.id).await.expect("cancelled");
        // The history shows the label itself.
        s.wait(
            "the thumbnail of the completed label",
            &format!("const t = document.querySelector('canvas[data-thumb=\"{done}\"]'); return t && t.width > 0"),
        )
        .await;
        s.screenshots(&format!("jobs-round2-{w}")).await;
        s.hub().cancel_job(queued).await.expect("cancelled");
        s.hub().resume_printer("pt").await.expect("resumed");
    }
    s.finish().await;
}

#[actix_web::test]
async fn the_dashboard_checks_before_it_says_idle_names_media_and_retries_offline_printers() {
    let Some(s) = support::start("dashboard_round2").await else {
        return;
    };
    // A printer nobody answers for (a closed loopback port), added as an admin would.
    s.open("#/admin").await;
    s.type_into("form.printer-form [name=slug]", "gone").await;
    s.select("form.printer-form [name=model]", "PT-P750W").await;
    s.select("form.printer-form [name=media]", "tze-24").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    s.type_into("form.printer-form [name=address]", &closed.to_string())
        .await;
    s.click("form.printer-form button[type=submit]").await;
    s.wait(
        "the new printer",
        "return document.querySelector('tr[data-printer=\"gone\"]')",
    )
    .await;
    s.open("#/").await;
    let first = s
        .wait(
            "the unreachable printer's card",
            "const c = document.querySelector('[data-printer=\"gone\"]'); const b = c && c.querySelector('[data-state]'); return b && [b.textContent, b.dataset.state]",
        )
        .await;
    assert!(
        first[0] == "checking…" || first[1] == "offline",
        "never idle before its first status read: {first}"
    );
    assert_ne!(first[0], "idle");
    for (w, h) in WIDTHS {
        s.viewport(w, h).await;
        s.wait(
            "offline after the first status read",
            "return document.querySelector('[data-printer=\"gone\"] [data-state]')?.dataset.state === 'offline'",
        )
        .await;
        // Resume on an offline printer says it retries the connection.
        let button = "[data-printer=\"gone\"] [data-action=resume]";
        assert_eq!(
            s.eval(&format!(
                "return document.querySelector('{button}').textContent"
            ))
            .await,
            "Retry connection"
        );
        s.click(button).await;
        let question = s
            .wait(
                "the question",
                "const d = document.getElementById('confirm'); return d.open && document.getElementById('confirm-text').textContent",
            )
            .await;
        let question = question.as_str().unwrap_or_default();
        assert!(
            question.contains("Try to reach") && question.contains("until then they wait"),
            "{question}"
        );
        s.click("#confirm-no").await;
        // Media by the catalogue's names.
        let media = text_of(&s, "pt's media", "[data-printer=\"pt\"] [data-media]").await;
        assert!(media.starts_with("TZe 12 mm tape"), "{media}");
        assert!(!media.contains("tze-"), "{media}");
        // "Last seen" follows the clock: an hour-old time reads as such within a tick.
        s.eval("const t = document.querySelector('[data-printer=\"pt\"] [data-last-seen]'); t.dataset.lastSeen = new Date(Date.now() - 3600e3).toISOString(); return true")
            .await;
        s.wait(
            "last seen to follow the clock",
            "return document.querySelector('[data-printer=\"pt\"] [data-last-seen]')?.textContent === '60 min ago'",
        )
        .await;
        s.screenshots(&format!("dashboard-round2-{w}")).await;
    }
    s.finish().await;
}

/// A key made the way `printhub keys create` makes one.
fn make_key(
    s: &Session,
    name: &str,
    scope: printhub_gateway::Scope,
    printers: Option<Vec<printhub_core::PrinterId>>,
) -> (String, String) {
    let (info, key) = s
        .running
        .auth
        .create_key(
            printhub_gateway::auth::NewKey {
                name: name.into(),
                scope,
                printers,
                expires_at: None,
                rate_limit_per_minute: None,
            },
            "test",
        )
        .expect("key");
    (info.record.id.to_string(), key)
}

async fn sign_in(s: &Session, key: &str) {
    s.wait(
        "the sign-in form",
        "return document.querySelector('main h1')?.textContent === 'Sign in' && document.querySelector('input[name=key]')",
    )
    .await;
    s.type_into("input[name=key]", key).await;
    s.click("main form button[type=submit]").await;
}

#[actix_web::test]
async fn signing_out_and_in_again_and_a_read_key_asking_for_admin() {
    let Some(s) = support::start_keys_only("signout_in", &[("pt", "PT-P750W", "tze-12")]).await
    else {
        return;
    };
    let (_, reader) = make_key(&s, "wall screen", printhub_gateway::Scope::Read, None);
    for (w, h) in WIDTHS {
        s.viewport(w, h).await;
        s.open("#/").await;
        sign_in(&s, &reader).await;
        s.wait(
            "the dashboard, live",
            "return document.querySelector('main h1')?.textContent === 'Printers' && document.getElementById('live').dataset.live === 'live'",
        )
        .await;
        // A read key asking for Admin is told why it sees the dashboard.
        s.open("#/admin").await;
        let why = text_of(&s, "why not admin", "#page-notice").await;
        assert!(
            why.starts_with("Admin needs an API key with the admin scope; your key (wall screen) has the read scope."),
            "{why}"
        );
        // Sign out: not live, and the header says so.
        s.click("#signout").await;
        s.wait(
            "signed out",
            "return document.querySelector('main h1')?.textContent === 'Sign in' && document.getElementById('live').dataset.live === 'signedout'",
        )
        .await;
        assert_eq!(
            s.eval("return document.getElementById('live').textContent")
                .await,
            "Not live: signed out"
        );
        // Sign in again: the page leaves the sign-in form.
        sign_in(&s, &reader).await;
        s.wait(
            "a page other than the sign-in form",
            "const h = document.querySelector('main h1')?.textContent; return h && h !== 'Sign in' && h !== 'Loading…'",
        )
        .await;
        assert_eq!(
            s.eval("return document.getElementById('identity').textContent")
                .await,
            "wall screen (read)"
        );
        s.click("#signout").await;
    }
    s.finish().await;
}

#[actix_web::test]
async fn admin_names_printers_and_keys_and_asks_before_revoking_your_own_key() {
    let Some(s) = support::start_keys_only("admin_round2", &[("pt", "PT-P750W", "tze-12")]).await
    else {
        return;
    };
    let pt = s.hub().printer("pt").await.expect("pt");
    let (station, _) = make_key(
        &s,
        "label station",
        printhub_gateway::Scope::Print,
        Some(vec![pt.id]),
    );
    let (own_id, admin) = make_key(&s, "me", printhub_gateway::Scope::Admin, None);
    s.open("#/admin").await;
    sign_in(&s, &admin).await;
    for (i, (w, h)) in WIDTHS.into_iter().enumerate() {
        s.viewport(w, h).await;
        s.open("#/admin").await;
        // Keys list their printers by name.
        let printers = text_of(
            &s,
            "the key's printers",
            &format!("tr[data-key=\"{station}\"] [data-printers]"),
        )
        .await;
        assert_eq!(printers, "PT-P750W pt");
        // A printer added here is in the key form's allow-list at once.
        let slug = format!("new{i}");
        s.type_into("form.printer-form [name=slug]", &slug).await;
        s.type_into("form.printer-form [name=name]", &format!("Shelf {slug}"))
            .await;
        s.select("form.printer-form [name=model]", "PT-P750W").await;
        s.select("form.printer-form [name=media]", "tze-12").await;
        s.type_into("form.printer-form [name=address]", "127.0.0.1:9")
            .await;
        s.click("form.printer-form button[type=submit]").await;
        s.wait(
            "the allow-list to offer the new printer",
            &format!("return [...document.querySelectorAll('fieldset.allow input')].some((c) => c.value === '{slug}')"),
        )
        .await;
        // The audit log names targets and reads as words, not ids and JSON.
        let audit = s
            .wait(
                "the audit entry of the addition",
                &format!("const t = [...document.querySelectorAll('tr[data-audit]')].map((r) => r.innerText).join('\\n'); return t.includes('printer Shelf {slug}') && t"),
            )
            .await;
        let audit = audit.as_str().unwrap_or_default();
        assert!(!audit.contains('{'), "no raw JSON: {audit}");
        let ids = s
            .eval("return /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.test([...document.querySelectorAll('tr[data-audit]')].map((r) => r.innerText).join(' '))")
            .await;
        assert_eq!(ids, false, "no ids in the audit log: {audit}");
        assert!(
            audit.contains("PT-P750W pt"),
            "the key's printer by name: {audit}"
        );
        // Every action of the printers table is on screen.
        let off = s
            .eval("return [...document.querySelectorAll('.table-wrap button')].filter((b) => { const r = b.getBoundingClientRect(); return r.right > innerWidth + 1; }).length")
            .await;
        assert_eq!(off, 0, "{w}: buttons off screen");
        s.screenshots(&format!("admin-round2-{w}")).await;
    }
    // Revoking the key you are signed in with asks, saying you will be signed out.
    s.click(&format!("tr[data-key=\"{own_id}\"] [data-action=revoke]"))
        .await;
    let question = s
        .wait(
            "the question",
            "const d = document.getElementById('confirm'); return d.open && document.getElementById('confirm-text').textContent",
        )
        .await;
    let question = question.as_str().unwrap_or_default();
    assert!(
        question.contains("the key you are signed in with") && question.contains("signed out"),
        "{question}"
    );
    s.click("#confirm-yes").await;
    s.wait(
        "the sign-in form",
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

#[actix_web::test]
async fn on_a_phone_the_nav_wraps_and_every_target_is_44_px() {
    let Some(s) = support::start_keys_only("phone_layout", &[("pt", "PT-P750W", "tze-12")]).await
    else {
        return;
    };
    let (_, admin) = make_key(&s, "phone", printhub_gateway::Scope::Admin, None);
    s.viewport(390, 844).await;
    s.open("#/").await;
    // Signed out: "Sign in" in the header is a full-size target.
    let link = s
        .wait(
            "the header's sign-in link",
            "const a = document.querySelector('#identity a'); return a && a.getBoundingClientRect().height",
        )
        .await;
    assert!(link.as_f64().unwrap_or_default() >= 44.0, "{link}");
    sign_in(&s, &admin).await;
    s.wait(
        "admin in the nav",
        "return !document.getElementById('nav-admin').hidden",
    )
    .await;
    let nav = s
        .eval("return [...document.querySelectorAll('#nav a')].map((a) => { const r = a.getBoundingClientRect(); return [a.textContent, Math.round(r.height), r.left >= 0 && r.right <= innerWidth]; })")
        .await;
    for link in nav.as_array().expect("links") {
        assert!(link[1].as_f64().unwrap_or_default() >= 44.0, "{link}");
        assert_eq!(link[2], true, "on screen: {link}");
    }
    assert_eq!(nav.as_array().map(Vec::len), Some(4), "{nav}");
    // The header scrolls away with the page instead of keeping 120 px.
    let header = s
        .eval("const b = document.querySelector('header.bar'); return [getComputedStyle(b).position, b.getBoundingClientRect().height]")
        .await;
    assert_eq!(header[0], "static", "{header}");
    s.finish().await;
}

#[actix_web::test]
async fn axe_finds_nothing_serious_on_any_page_in_light_or_dark_mode() {
    let Some(s) = support::start_with(
        "axe",
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
    let mut found = Vec::new();
    for dark in [false, true] {
        s.color_scheme(dark).await;
        for (w, h) in WIDTHS {
            s.viewport(w, h).await;
            for (route, ready) in [
                ("#/", "[data-printer=\"pt\"] [data-state]"),
                ("#/print?printer=pt", "#preview-note"),
                ("#/jobs", "[data-job]"),
                (&format!("#/jobs/{done}") as &str, "#timeline li"),
                ("#/admin", "tr[data-audit], #adm-audit + p"),
                ("#/signin", "input[name=key]"),
            ] {
                s.open("#/about").await;
                s.open(route).await;
                s.wait(
                    &format!("{route} to load"),
                    &format!("return document.querySelector('main {ready}')"),
                )
                .await;
                for v in s.axe().await {
                    found.push(format!("{route} at {w}px, dark {dark}: {v}"));
                }
            }
        }
    }
    s.color_scheme(false).await;
    assert!(found.is_empty(), "{}", found.join("\n"));
    s.finish().await;
}

/// A grey ramp with a black frame, `w` × `h`, as a PNG file in `dir`.
fn ramp_png(dir: &std::path::Path, w: u32, h: u32) -> std::path::PathBuf {
    let path = dir.join("ramp.png");
    let file = std::fs::File::create(&path).expect("png file");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("png header");
    let pixels: Vec<u8> = (0..h)
        .flat_map(|y| {
            (0..w).map(move |x| {
                if x < 3 || y < 3 || x >= w - 3 || y >= h - 3 {
                    0
                } else {
                    (x * 255 / w) as u8
                }
            })
        })
        .collect();
    writer.write_image_data(&pixels).expect("png data");
    writer.finish().expect("png end");
    path
}

#[actix_web::test]
async fn an_uploaded_image_previews_and_prints_dot_for_dot_with_either_dithering() {
    let Some(s) = support::start("image_upload").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let png = ramp_png(dir.path(), 70, 160);
    for ((w, h), dither) in WIDTHS.into_iter().zip(["threshold", "floyd_steinberg"]) {
        print_page(&s, w, h).await;
        s.select("select[name=layout]", "img:upload").await;
        // Print without a file: said at the file field, nothing queued.
        s.click("#print-submit").await;
        let missing = text_of(&s, "the missing file", "[data-error-for=file]").await;
        assert_eq!(missing, "Choose an image file (PNG or JPEG) to print.");
        assert_eq!(focused(&s).await, "file");
        s.select("select[name=dither]", dither).await;
        s.client
            .find(fantoccini::Locator::Css("input[name=file]"))
            .await
            .expect("file input")
            .send_keys(&png.display().to_string())
            .await
            .expect("choose the file");
        s.wait(
            "the preview of the upload",
            &format!("const img = document.getElementById('preview'); return document.querySelector('main').dataset.preview === 'ok' && img.complete && (img.dataset.request || '').includes('\"dither\":\"{dither}\"')"),
        )
        .await;
        let preview = preview_bits(&s).await;
        print_and_compare(&s, &preview, dither).await;
        s.screenshots(&format!("print-image-{dither}")).await;
    }
    s.finish().await;
}

/// The preview image's dots, as `[width, height, "0101…"]`.
pub(super) async fn preview_bits(s: &Session) -> Value {
    s.eval(
        "const img = document.getElementById('preview'); \
         const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight; \
         const g = c.getContext('2d'); g.drawImage(img, 0, 0); \
         const d = g.getImageData(0, 0, c.width, c.height).data; let bits = ''; \
         for (let i = 0; i < d.length; i += 4) bits += d[i] < 128 ? '1' : '0'; \
         return [c.width, c.height, bits];",
    )
    .await
}

/// Presses Print, waits for the job to complete, and checks the emulator's
/// new page is `preview` dot for dot.
pub(super) async fn print_and_compare(s: &Session, preview: &Value, what: &str) {
    let before = s.emulators[0].pages().len();
    s.click("#print-submit").await;
    let state = s
        .wait(
            "the job to complete",
            "const p = document.querySelector('[data-job-state]'); \
             return p && ['completed', 'failed', 'cancelled', 'interrupted'].includes(p.dataset.jobState) && p.dataset.jobState;",
        )
        .await;
    assert_eq!(state, "completed", "{what}");
    let pages = s.emulators[0].pages();
    assert_eq!(pages.len(), before + 1, "{what}: one copy printed");
    let page = &pages[before].black;
    let (pw, ph) = (
        preview[0].as_u64().expect("w") as usize,
        preview[1].as_u64().expect("h") as usize,
    );
    assert_eq!((pw, ph), (page.width(), page.height()), "{what}");
    let bits = preview[2].as_str().expect("bits").as_bytes();
    let differing = (0..ph)
        .flat_map(|y| (0..pw).map(move |x| (x, y)))
        .filter(|&(x, y)| (bits[y * pw + x] == b'1') != page.get(x, y))
        .count();
    assert_eq!(differing, 0, "{what}: the printed page is the preview");
    assert!(page.count_set() > 0);
}

#[actix_web::test]
async fn free_text_previews_and_prints_dot_for_dot_and_a_size_too_big_is_said_at_size() {
    let Some(s) = support::start("free_text").await else {
        return;
    };
    for (w, h) in WIDTHS {
        print_page(&s, w, h).await;
        s.select("select[name=layout]", "text:free").await;
        s.type_into("textarea[name=lines]", "Kitchen\nspices").await;
        s.select("select[name=size_pt]", "24").await;
        let queued = job_count(&s).await;
        s.click("#print-submit").await;
        let message = text_of(&s, "the size error", "[data-error-for=size_pt]").await;
        assert_eq!(
            message,
            "The text does not fit on TZe 12 mm tape at this size: choose a smaller size or Auto-fit."
        );
        assert_eq!(focused(&s).await, "size_pt");
        assert_eq!(job_count(&s).await, queued, "nothing queued");
        s.select("select[name=size_pt]", "").await;
        s.select("select[name=align]", "center").await;
        s.click("#text-bold").await;
        s.wait(
            "the preview of the free text",
            "const img = document.getElementById('preview'); const r = img.dataset.request || ''; \
             return document.querySelector('main').dataset.preview === 'ok' && img.complete && r.includes('\"bold\":true') && r.includes('center') && !r.includes('size_pt')",
        )
        .await;
        let preview = preview_bits(&s).await;
        print_and_compare(&s, &preview, "free text").await;
        s.screenshots(&format!("print-free-text-{w}")).await;
    }
    s.finish().await;
}

async fn job_count(s: &Session) -> usize {
    s.hub()
        .list_jobs(printhub_actors::JobFilter::default())
        .await
        .expect("jobs")
        .len()
}

//! Admin's printer form with what issue #20 added: "Test connection" asks the
//! printer at an address what it is (and fills the form), a printer added by
//! its address alone follows the tape it holds, and the print defaults are
//! set and shown. At phone and desktop width.

use super::support::{self, Session};
use printhub_emulator::{Emulator, EmulatorConfig};

const WIDTHS: [(u32, u32); 2] = [(1280, 800), (390, 844)];

async fn value(s: &Session, css: &str) -> String {
    s.eval(&format!(
        "return document.querySelector('{css}')?.value ?? null"
    ))
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

#[actix_web::test]
async fn test_connection_fills_the_form_and_a_printer_added_by_address_keeps_its_defaults() {
    let Some(s) = support::start("printers_by_address").await else {
        return;
    };
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-24")).expect("emulator");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    for (n, (w, h)) in WIDTHS.into_iter().enumerate() {
        s.viewport(w, h).await;
        // A fresh admin page (the last round left its edit form open).
        s.open("#/").await;
        s.open("#/admin").await;
        let form = "form.printer-form";
        s.wait(
            "the printer form",
            &format!("return document.querySelector('{form} [data-action=probe]')"),
        )
        .await;
        // Nothing answers: the message is at the address field, in words.
        s.type_into(&format!("{form} [name=address]"), &closed.to_string())
            .await;
        s.click(&format!("{form} [data-action=probe]")).await;
        let said = s
            .wait(
                "the address error",
                &format!("return document.querySelector('{form} [data-error-for=address]')?.textContent || null"),
            )
            .await;
        assert!(
            said.as_str()
                .unwrap_or_default()
                .contains("No printer answered"),
            "{w}: {said}"
        );
        // The emulator answers: model, media and slug filled in.
        s.eval(&format!(
            "const a = document.querySelector('{form} [name=address]'); a.value = ''; return true"
        ))
        .await;
        s.type_into(
            &format!("{form} [name=address]"),
            &emu.tcp_addr().to_string(),
        )
        .await;
        s.click(&format!("{form} [data-action=probe]")).await;
        s.wait(
            "the probe's answer",
            &format!(
                "return document.querySelector('{form} [role=status]')?.dataset.found || null"
            ),
        )
        .await;
        assert_eq!(value(&s, &format!("{form} [name=model]")).await, "PT-P750W");
        assert_eq!(value(&s, &format!("{form} [name=media]")).await, "auto");
        let slug = value(&s, &format!("{form} [name=slug]")).await;
        assert_eq!(slug, if n == 0 { "pt-p750w" } else { "pt-p750w-2" });
        let status = s
            .eval(&format!(
                "return document.querySelector('{form} [role=status]').textContent"
            ))
            .await;
        assert!(
            status.as_str().unwrap_or_default().contains("TZe 24 mm"),
            "{w}: {status}"
        );
        // Print defaults: end-of-job cut, at most 5 copies.
        s.select(&format!("{form} [name=defaults_cut]"), "end")
            .await;
        s.type_into(&format!("{form} [name=defaults_max_copies]"), "5")
            .await;
        s.screenshots(&format!("admin-add-by-address-{w}")).await;
        s.click(&format!("{form} button[type=submit]")).await;
        s.wait(
            "the new printer in the table",
            &format!("return document.querySelector('tr[data-printer=\"{slug}\"]')"),
        )
        .await;
        let printer = s.hub().printer(&slug).await.expect("registered");
        assert_eq!(printer.model, "PT-P750W");
        assert_eq!(printer.media, "auto");
        assert_eq!(printer.defaults.cut, printhub_core::CutDefault::End);
        assert_eq!(printer.defaults.max_copies, Some(5));
        // The table says it follows the tape.
        let media = s
            .wait(
                "the media cell",
                &format!("const c = document.querySelector('tr[data-printer=\"{slug}\"] [data-media]'); return c && c.textContent.includes('As loaded') && c.textContent"),
            )
            .await;
        assert!(
            media.as_str().unwrap_or_default().starts_with("As loaded"),
            "{media}"
        );
        // Editing shows the defaults it has.
        // (Clicked from script: at phone width the sticky header covers the
        // row once it is scrolled into view.)
        s.eval(&format!(
            "document.querySelector('tr[data-printer=\"{slug}\"] [data-action=edit]').click(); return true"
        ))
        .await;
        s.wait(
            "the edit form",
            &format!(
                "return document.querySelector('{form} [name=defaults_cut]')?.value === 'end'"
            ),
        )
        .await;
        assert_eq!(
            value(&s, &format!("{form} [name=defaults_max_copies]")).await,
            "5"
        );
    }
    let axe = s.axe().await;
    assert!(axe.is_empty(), "axe: {axe:?}");
    s.finish().await;
}

#[actix_web::test]
async fn the_print_form_starts_from_the_printers_defaults() {
    let Some(s) = support::start("print_defaults").await else {
        return;
    };
    let checked = |id: &'static str| {
        format!("const b = document.getElementById('{id}'); return b ? b.checked : null")
    };
    s.open("#/print").await;
    s.wait("the cut box", &checked("opt-cut")).await;
    assert_eq!(
        s.eval(&checked("opt-cut")).await,
        true,
        "cut each by default"
    );
    assert_eq!(s.eval(&checked("opt-chain")).await, false);
    // The printer is set to one cut at the end, with half cuts.
    let defaults = printhub_core::PrinterDefaults {
        cut: printhub_core::CutDefault::End,
        half_cut: true,
        ..printhub_core::PrinterDefaults::default()
    };
    s.hub()
        .update_printer(
            "pt",
            printhub_actors::PrinterPatch {
                defaults: Some(defaults),
                ..printhub_actors::PrinterPatch::default()
            },
        )
        .await
        .expect("defaults set");
    s.open("#/").await;
    s.open("#/print").await;
    s.wait(
        "the boxes as the printer is set up",
        "const c = document.getElementById('opt-chain'); return c && c.checked",
    )
    .await;
    assert_eq!(s.eval(&checked("opt-cut")).await, false);
    assert_eq!(s.eval(&checked("opt-half_cut")).await, true);
    s.finish().await;
}

//! Saved labels in the print form (issue #24): "Save as…" keeps the form on
//! the hub; after a reload the "Saved labels" picker fills the form again
//! (printer, layout, fields, copies, options) and the preview is what
//! prints, dot for dot; a name taken in another case is said at the name
//! field; a label is deleted from the picker only after the question. At
//! desktop and phone width, with axe-core (light and dark) on the print page
//! with the picker open.

use super::round2::{focused, preview_bits, print_and_compare, print_page, text_of, WIDTHS};
use super::support::{self, Session};
use serde_json::json;

/// The saved labels in the store, by name.
fn stored(s: &Session) -> Vec<printhub_store::SavedLabelRecord> {
    s.running.store.load_saved_labels().expect("saved labels")
}

/// The picker's row of `name`, as a CSS selector.
fn row(name: &str) -> String {
    format!("#saved-picker li[data-name=\"{name}\"]")
}

#[actix_web::test]
async fn a_saved_label_fills_the_form_after_a_reload_and_prints_its_preview() {
    let Some(s) = support::start("saved_labels").await else {
        return;
    };
    let pt = s.hub().printer("pt").await.expect("pt").id.to_string();
    let mut axe = Vec::new();
    for (i, (w, h)) in WIDTHS.into_iter().enumerate() {
        let name = format!("Shelf {w}");
        let id = format!("SHELF-{w}");
        print_page(&s, w, h).await;
        s.select("select[name=layout]", "ct:qr_two_lines").await;
        s.type_into("input[name=primary_id]", &id).await;
        s.type_into("input[name=title]", "Screws M4").await;
        s.type_into("input[name=qr_payload]", "https://example.invalid/shelf/7")
            .await;
        // Not the default: filled back from the saved label after the reload.
        s.click("#opt-cut").await;
        s.click("#save-as").await;
        s.type_into("#save-dialog input[name=name]", &name).await;
        s.click("#save-submit").await;
        s.wait(
            "the saved label in the picker",
            &format!("return !document.getElementById('save-dialog').open && document.querySelector('{}')", row(&name).replace('\'', "\\'")),
        )
        .await;
        let labels = stored(&s);
        assert_eq!(labels.len(), i + 1, "{labels:?}");
        let label = labels.iter().find(|l| l.name == name).expect("stored");
        assert_eq!(label.printer_id.as_deref(), Some(pt.as_str()));
        assert_eq!(label.request["content_type"], "qr_two_lines");
        assert_eq!(
            label.request["data"],
            json!({ "primary_id": id, "title": "Screws M4", "qr_payload": "https://example.invalid/shelf/7" })
        );
        assert_eq!(label.request["options"]["cut"], false);
        assert_eq!(label.request["copies"], 1);

        // A reload: the form is fresh, the picker still has the label.
        s.client.refresh().await.expect("reload");
        s.wait(
            "the print form after the reload",
            "return document.querySelector('#print-submit') && document.querySelector('main').dataset.preview && document.querySelector('input[name=primary_id]').value === ''",
        )
        .await;
        s.click("#saved-picker summary").await;
        s.wait(
            "the open picker",
            &format!("return document.getElementById('saved-picker').open && document.querySelector('{}')", row(&name).replace('\'', "\\'")),
        )
        .await;
        for dark in [false, true] {
            s.color_scheme(dark).await;
            for v in s.axe().await {
                axe.push(format!(
                    "print page, picker open, at {w}px, dark {dark}: {v}"
                ));
            }
        }
        s.color_scheme(false).await;
        s.screenshots(&format!("print-saved-picker-{w}")).await;
        s.viewport(w, h).await;
        s.click(&format!("{} [data-action=pick]", row(&name))).await;
        let filled = s
            .wait(
                "the form filled from the saved label",
                &format!(
                    "const img = document.getElementById('preview'); const v = (n) => document.querySelector(`[name=${{n}}]`).value; \
                     return document.querySelector('main').dataset.preview === 'ok' && img.complete && (img.dataset.request || '').includes('{id}') \
                     && [v('printer'), v('layout'), v('primary_id'), v('title'), v('qr_payload'), v('copies'), document.getElementById('opt-cut').checked, document.getElementById('saved-picker').open]"
                ),
            )
            .await;
        assert_eq!(
            filled,
            json!([
                pt,
                "ct:qr_two_lines",
                id,
                "Screws M4",
                "https://example.invalid/shelf/7",
                "1",
                false,
                false
            ]),
            "{w}"
        );
        // The preview is what prints.
        let preview = preview_bits(&s).await;
        print_and_compare(&s, &preview, &format!("saved label at {w}px")).await;

        // The same name in other capitals: said at the name field, nothing saved.
        s.click("#save-as").await;
        s.type_into("#save-dialog input[name=name]", &name.to_uppercase())
            .await;
        s.click("#save-submit").await;
        let message = text_of(
            &s,
            "the duplicate name",
            "#save-dialog [data-error-for=name]",
        )
        .await;
        assert_eq!(
            message,
            "A saved label already has this name (in some mix of capitals): choose another name."
        );
        let code = s
            .eval("const e = document.querySelector('#save-dialog [data-error-for=name]'); return [e.dataset.code, e.title]")
            .await;
        assert_eq!(
            code,
            json!(["saved_label_exists", "Error code: saved_label_exists"])
        );
        assert_eq!(focused(&s).await, "name", "{w}: focus on the name");
        s.screenshots(&format!("print-saved-duplicate-{w}")).await;
        s.viewport(w, h).await;
        s.click("#save-dialog button.secondary").await;
        assert_eq!(stored(&s).len(), i + 1, "nothing saved");
    }
    assert!(axe.is_empty(), "{}", axe.join("\n"));

    // Delete from the picker: asked first; "Cancel" keeps it, "Delete" removes it.
    let name = format!("Shelf {}", WIDTHS[0].0);
    print_page(&s, WIDTHS[0].0, WIDTHS[0].1).await;
    s.click("#saved-picker summary").await;
    s.click(&format!("{} [data-action=delete]", row(&name)))
        .await;
    let question = s
        .wait(
            "the question",
            "const d = document.getElementById('confirm'); return d.open && document.getElementById('confirm-text').textContent",
        )
        .await;
    assert_eq!(
        question,
        format!("Delete the saved label “{name}”? This cannot be undone.")
    );
    s.click("#confirm-no").await;
    assert_eq!(stored(&s).len(), 2, "kept after Cancel");
    s.click(&format!("{} [data-action=delete]", row(&name)))
        .await;
    s.confirm().await;
    s.wait(
        "the row to go",
        &format!("return !document.querySelector('{}') && document.getElementById('saved-count').textContent === '(1)'", row(&name)),
    )
    .await;
    let left: Vec<String> = stored(&s).into_iter().map(|l| l.name).collect();
    assert_eq!(left, [format!("Shelf {}", WIDTHS[1].0)]);
    s.finish().await;
}

#[actix_web::test]
async fn a_label_missing_a_field_is_not_saved_and_the_field_says_so() {
    let Some(s) = support::start("saved_labels_refused").await else {
        return;
    };
    for (w, h) in WIDTHS {
        print_page(&s, w, h).await;
        s.select("select[name=layout]", "ct:qr_two_lines").await;
        s.type_into("input[name=primary_id]", "").await;
        s.type_into("input[name=qr_payload]", "https://example.invalid/x")
            .await;
        s.click("#save-as").await;
        s.type_into("#save-dialog input[name=name]", "Incomplete")
            .await;
        s.click("#save-submit").await;
        // The label's own problem goes next to its field in the form.
        let message = text_of(
            &s,
            "the missing identifier",
            "form.print-form [data-error-for=primary_id]",
        )
        .await;
        assert_eq!(message, "Fill in Identifier: this layout needs it.");
        assert_eq!(
            s.eval("return document.getElementById('save-dialog').open")
                .await,
            false
        );
        assert_eq!(focused(&s).await, "primary_id");
        // An empty name is said in the dialog, before anything is sent.
        s.click("#save-as").await;
        s.type_into("#save-dialog input[name=name]", "  ").await;
        s.click("#save-submit").await;
        let message = text_of(&s, "the empty name", "#save-dialog [data-error-for=name]").await;
        assert_eq!(message, "Give the label a name.");
        s.click("#save-dialog button.secondary").await;
        assert!(stored(&s).is_empty());
    }
    s.finish().await;
}

//! Grocy: products (by id, barcode or grocycode, with their stock entries),
//! batteries, chores and recipes, and the payload of Grocy's label-printer
//! webhook.
//!
//! The API as it really answers: the key goes in the `GROCY-API-KEY` header;
//! an unknown id or barcode is HTTP 400 with `{"error_message": "..."}`
//! (404 on some versions); numbers often arrive as strings (`"id": "12"`,
//! `"amount": "1.0"`). A grocycode is `grcy:<kind>:<id>[:<extra>…]` with kinds
//! `p` (product; the extra is a stock entry's `stock_id`), `b` (battery),
//! `c` (chore) and `r` (recipe). A due date of `2999-12-31` means "never".
//!
//! Everything maps to the `product` template: the name, the due date (when
//! there is one) and the grocycode as a DataMatrix, as Grocy prints its own.

use crate::http::Reply;
use crate::value::{date, field_name, int, text};
use crate::{App, Ctx, Found, LookupError};
use printhub_render::LabelData;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const APP: App = App::Grocy;

/// The template Grocy items print with.
pub const TEMPLATE: &str = "product";

/// Grocy's "never overdue" date.
const NEVER: &str = "2999-12-31";

/// What a Grocy identifier names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrocyId {
    /// A product, optionally one stock entry of it (`grcy:p:12:6630ab…`).
    Product {
        /// The product id.
        id: u64,
        /// A stock entry's `stock_id`.
        stock_id: Option<String>,
    },
    /// A battery (`grcy:b:3`).
    Battery(u64),
    /// A chore (`grcy:c:4`).
    Chore(u64),
    /// A recipe (`grcy:r:5`).
    Recipe(u64),
    /// A product barcode (EAN and the like, or any other text).
    Barcode(String),
}

/// Parses what a person typed or scanned: a grocycode, a product id (up to 7
/// digits; longer digit strings are barcodes such as EAN-8/13), a Grocy
/// product URL (`…/product/12`) or else a barcode.
pub fn parse_id(s: &str) -> Result<GrocyId, String> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix("grcy:") {
        let mut parts = rest.split(':');
        let kind = parts.next().unwrap_or_default();
        let id = parts
            .next()
            .and_then(|id| id.parse::<u64>().ok())
            .ok_or_else(|| format!("{s:?} is not a grocycode (grcy:<kind>:<id>)"))?;
        let extra = parts.next().filter(|x| !x.is_empty()).map(str::to_string);
        return match kind {
            "p" => Ok(GrocyId::Product {
                id,
                stock_id: extra,
            }),
            "b" => Ok(GrocyId::Battery(id)),
            "c" => Ok(GrocyId::Chore(id)),
            "r" => Ok(GrocyId::Recipe(id)),
            other => Err(format!(
                "unknown grocycode kind {other:?} (p, b, c and r are known)"
            )),
        };
    }
    if !s.is_empty() && s.len() <= 7 && s.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(id) = s.parse() {
            return Ok(GrocyId::Product { id, stock_id: None });
        }
    }
    if s.starts_with("http://") || s.starts_with("https://") {
        let mut segments = s.split(['?', '#']).next().unwrap_or_default().rsplit('/');
        if let (Some(id), Some("product")) = (segments.next(), segments.next()) {
            if let Ok(id) = id.parse() {
                return Ok(GrocyId::Product { id, stock_id: None });
            }
        }
    }
    Ok(GrocyId::Barcode(s.to_string()))
}

impl GrocyId {
    /// The grocycode of a product, battery, chore or recipe.
    fn grocycode(&self) -> Option<String> {
        Some(match self {
            GrocyId::Product {
                id,
                stock_id: Some(s),
            } => format!("grcy:p:{id}:{s}"),
            GrocyId::Product { id, stock_id: None } => format!("grcy:p:{id}"),
            GrocyId::Battery(id) => format!("grcy:b:{id}"),
            GrocyId::Chore(id) => format!("grcy:c:{id}"),
            GrocyId::Recipe(id) => format!("grcy:r:{id}"),
            GrocyId::Barcode(_) => return None,
        })
    }
}

pub(crate) async fn lookup(ctx: &Ctx<'_>, typed: &str) -> Result<Found, LookupError> {
    let parsed = parse_id(typed).map_err(|reason| LookupError::not_found(APP, typed, reason))?;
    match parsed {
        GrocyId::Product { id, ref stock_id } => product(ctx, typed, id, stock_id.as_deref()).await,
        GrocyId::Barcode(ref code) => barcode(ctx, typed, code).await,
        GrocyId::Battery(id) => {
            let details = get(ctx, typed, &["api", "batteries", &id.to_string()]).await?;
            let name = name_of(details.get("battery"), typed)?;
            let due = text(details.get("next_estimated_charge_time")).and_then(|d| due(&d));
            Ok(found(
                ctx,
                &parsed,
                name,
                due,
                BTreeMap::new(),
                &["battery", &id.to_string()],
            ))
        }
        GrocyId::Chore(id) => {
            let details = get(ctx, typed, &["api", "chores", &id.to_string()]).await?;
            let name = name_of(details.get("chore"), typed)?;
            let due = text(details.get("next_estimated_execution_time")).and_then(|d| due(&d));
            Ok(found(
                ctx,
                &parsed,
                name,
                due,
                BTreeMap::new(),
                &["chore", &id.to_string()],
            ))
        }
        GrocyId::Recipe(id) => {
            let recipe = get(ctx, typed, &["api", "objects", "recipes", &id.to_string()]).await?;
            let name = name_of(Some(&recipe), typed)?;
            Ok(found(
                ctx,
                &parsed,
                name,
                None,
                BTreeMap::new(),
                &["recipe", &id.to_string()],
            ))
        }
    }
}

/// A product by id: `/api/objects/products/{id}`, then its stock entries for the
/// due date (the given entry's, or the soonest).
async fn product(
    ctx: &Ctx<'_>,
    typed: &str,
    id: u64,
    stock_id: Option<&str>,
) -> Result<Found, LookupError> {
    let id_s = id.to_string();
    let product = get(ctx, typed, &["api", "objects", "products", &id_s]).await?;
    let name = name_of(Some(&product), typed)?;
    let entries = get(ctx, typed, &["api", "stock", "products", &id_s, "entries"]).await?;
    let entries = entries
        .as_array()
        .ok_or_else(|| LookupError::failed(APP, "the stock entries are not a list"))?;
    let mut fields = BTreeMap::from([("product_id".to_string(), id_s.clone())]);
    let due_date = match stock_id {
        Some(stock_id) => {
            let entry = entries
                .iter()
                .find(|e| text(e.get("stock_id")).as_deref() == Some(stock_id))
                .ok_or_else(|| {
                    LookupError::not_found(
                        APP,
                        typed,
                        format!("product {id} has no stock entry {stock_id:?} (used up?)"),
                    )
                })?;
            entry_fields(entry, &mut fields);
            text(entry.get("best_before_date")).and_then(|d| due(&d))
        }
        None => entries
            .iter()
            .filter_map(|e| text(e.get("best_before_date")).and_then(|d| due(&d)))
            .min(),
    };
    let parsed = GrocyId::Product {
        id,
        stock_id: stock_id.map(str::to_string),
    };
    Ok(found(
        ctx,
        &parsed,
        name,
        due_date,
        fields,
        &["product", &id_s],
    ))
}

/// A product by barcode: `/api/stock/products/by-barcode/{code}` (the product's
/// stock details, with its next due date).
async fn barcode(ctx: &Ctx<'_>, typed: &str, code: &str) -> Result<Found, LookupError> {
    let details = get(
        ctx,
        typed,
        &["api", "stock", "products", "by-barcode", code],
    )
    .await?;
    let product = details.get("product");
    let id = int(product.and_then(|p| p.get("id")))
        .ok_or_else(|| LookupError::failed(APP, "the barcode's product has no id"))?;
    let name = name_of(product, typed)?;
    let due_date = text(details.get("next_due_date")).and_then(|d| due(&d));
    let fields = BTreeMap::from([
        ("product_id".to_string(), id.to_string()),
        ("barcode".to_string(), code.to_string()),
    ]);
    let parsed = GrocyId::Product { id, stock_id: None };
    Ok(found(
        ctx,
        &parsed,
        name,
        due_date,
        fields,
        &["product", &id.to_string()],
    ))
}

/// GETs a Grocy API path: its JSON, `not_found` for 400/404 with an
/// `error_message`, `failed` for anything else.
async fn get(ctx: &Ctx<'_>, typed: &str, segments: &[&str]) -> Result<Value, LookupError> {
    let reply = ctx.fetcher.get(ctx.source, segments).await?;
    if let Some(message) = grocy_error(&reply) {
        return Err(LookupError::not_found(APP, typed, message));
    }
    reply.ok_json(APP)
}

fn grocy_error(reply: &Reply) -> Option<String> {
    if !matches!(reply.status.as_u16(), 400 | 404) {
        return None;
    }
    text(reply.json.as_ref().ok()?.get("error_message"))
}

fn name_of(object: Option<&Value>, typed: &str) -> Result<String, LookupError> {
    match object {
        Some(Value::Object(o)) => text(o.get("name"))
            .ok_or_else(|| LookupError::failed(APP, format!("{typed:?}: the item has no name"))),
        // Some versions answer an unknown object id with 200 and `null`.
        Some(Value::Null) | None => Err(LookupError::not_found(APP, typed, "no such item")),
        Some(_) => Err(LookupError::failed(APP, "the item is not a JSON object")),
    }
}

/// A due date as printed: `YYYY-MM-DD`, or `None` for "never" and non-dates.
fn due(s: &str) -> Option<String> {
    date(s).filter(|d| d != NEVER)
}

fn entry_fields(entry: &Value, fields: &mut BTreeMap<String, String>) {
    for (from, to) in [
        ("stock_id", "stock_id"),
        ("amount", "amount"),
        ("purchased_date", "purchased_date"),
        ("note", "note"),
    ] {
        if let Some(v) = text(entry.get(from)) {
            fields.insert(to.to_string(), v);
        }
    }
}

fn found(
    ctx: &Ctx<'_>,
    id: &GrocyId,
    name: String,
    due_date: Option<String>,
    mut fields: BTreeMap<String, String>,
    page: &[&str],
) -> Found {
    let grocycode = id.grocycode().unwrap_or_default();
    fields.insert("grocycode".into(), grocycode.clone());
    if let Some(d) = &due_date {
        fields.insert("due_date".into(), d.clone());
    }
    Found {
        app: APP,
        id: grocycode.clone(),
        title: name.clone(),
        data: label(name, grocycode, due_date, fields),
        template: TEMPLATE,
        url: Some(ctx.source.page(page)),
    }
}

fn label(
    name: String,
    grocycode: String,
    due_date: Option<String>,
    fields: BTreeMap<String, String>,
) -> LabelData {
    LabelData {
        title: Some(name),
        primary_id: None,
        qr_payload: Some(grocycode),
        secondary: due_date.into_iter().collect(),
        items: Vec::new(),
        fields,
    }
}

// The label-printer webhook.

/// A label from Grocy's label-printer webhook payload.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookLabel {
    /// The product, battery, chore or recipe name.
    pub title: String,
    /// Its grocycode.
    pub grocycode: String,
    /// The label data for the `product` template (as a lookup maps it); see
    /// [`WebhookLabel::data_for`] for the other built-in templates.
    pub data: LabelData,
    /// The lines other templates print under the name: `Due <date>`, the
    /// stock entry's amount (with the product's stock unit) and its location.
    pub lines: Vec<String>,
    /// The `printer` extra parameter (`LABEL_PRINTER_PARAMS`), if given.
    pub printer: Option<String>,
    /// The `template` extra parameter, if given.
    pub template: Option<String>,
}

/// Keys of the payload that are not extra parameters.
const PAYLOAD_KEYS: [&str; 12] = [
    "product",
    "product_display_name",
    "battery",
    "chore",
    "recipe",
    "grocycode",
    "details",
    "stock_entry",
    "due_date",
    "duedate",
    "printer",
    "template",
];

/// Dates in `details` that stay available as template fields (never printed
/// unless a template names them: they describe some other stock entry, or
/// the next charge or execution, and go stale on a permanent label).
const DETAIL_DATES: [&str; 4] = [
    "next_due_date",
    "next_estimated_charge_time",
    "next_estimated_execution_time",
    "last_charged",
];

/// Reads the payload Grocy POSTs to `LABEL_PRINTER_WEBHOOK`: the item's name
/// under `product`, `battery`, `chore` or `recipe`, its `grocycode`, its
/// `details`, for a stock entry `stock_entry` and `due_date` (`duedate` in
/// Grocy before 4.0), and every `LABEL_PRINTER_PARAMS` entry as a top-level
/// key (`printer` and `template` choose where and how it prints; the others
/// become template fields). Form-encoded payloads are first turned into the
/// same JSON by [`form_to_json`].
///
/// The due date is Grocy's `due_date` whenever the key is present: localized
/// text, `__t('DD') . ': ' . <date>` (`"DD: 2026-12-06"`, `"MHD: …"`), and
/// the *new* date when Grocy reprints after opening, freezing or thawing
/// (its `stock_entry` is then the entry as it was before). `2999-12-31`
/// ("never overdue") prints none. Without `due_date` (Grocy's due-date
/// tracking off) the stock entry's `best_before_date` is used. Product,
/// battery, chore and recipe labels carry no due date: `details` dates are
/// template fields only (`next_due_date`, `next_estimated_charge_time`, …).
pub fn webhook_label(payload: &Value) -> Result<WebhookLabel, String> {
    let obj = payload.as_object().ok_or("the payload is not an object")?;
    let title = ["product", "battery", "chore", "recipe"]
        .iter()
        .find_map(|k| text(obj.get(*k)))
        .ok_or("the payload names no product, battery, chore or recipe")?;
    let grocycode = text(obj.get("grocycode")).ok_or("the payload has no grocycode")?;
    let parsed = parse_id(&grocycode)?;
    if parsed.grocycode().is_none() {
        return Err(format!("{grocycode:?} is not a grocycode"));
    }
    let details = obj.get("details");
    let stock_entry = obj.get("stock_entry").filter(|e| e.is_object());
    let due_text = obj.get("due_date").or_else(|| obj.get("duedate"));
    let due_date = match due_text {
        Some(d) => text(Some(d)).and_then(|d| find_date(&d)),
        None => text(stock_entry.and_then(|e| e.get("best_before_date"))).and_then(|d| due(&d)),
    };
    let mut fields = BTreeMap::new();
    for (key, value) in obj {
        if PAYLOAD_KEYS.contains(&key.as_str()) {
            continue;
        }
        if let Some(v) = text(Some(value)) {
            let name = field_name("", key);
            if !name.is_empty() {
                fields.insert(name, v);
            }
        }
    }
    for key in DETAIL_DATES {
        if let Some(d) = text(details.and_then(|d| d.get(key))).and_then(|d| due(&d)) {
            fields.insert(key.to_string(), d);
        }
    }
    if let Some(entry) = stock_entry {
        entry_fields(entry, &mut fields);
    }
    let unit = text(
        details
            .and_then(|d| d.get("quantity_unit_stock"))
            .and_then(|u| u.get("name")),
    );
    // The product's default location; a stock entry may be elsewhere.
    let location = details.and_then(|d| d.get("location")).filter(|l| {
        stock_entry.is_none_or(|e| {
            let at = int(e.get("location_id"));
            at.is_none() || at == int(l.get("id"))
        })
    });
    if let Some(name) = text(location.and_then(|l| l.get("name"))) {
        fields.insert("location".into(), name);
    }
    if let Some(u) = &unit {
        fields.insert("unit".into(), u.clone());
    }
    if let GrocyId::Product { id, .. } = &parsed {
        fields.insert("product_id".into(), id.to_string());
    }
    fields.insert("grocycode".into(), grocycode.clone());
    if let Some(d) = &due_date {
        fields.insert("due_date".into(), d.clone());
    }
    let mut lines = Vec::new();
    if let Some(d) = &due_date {
        lines.push(format!("Due {d}"));
    }
    if let Some(amount) = fields.get("amount").filter(|_| stock_entry.is_some()) {
        lines.push(match &unit {
            Some(u) => format!("{amount} {u}"),
            None => amount.clone(),
        });
    }
    if let Some(l) = fields.get("location") {
        lines.push(l.clone());
    }
    Ok(WebhookLabel {
        data: label(title.clone(), grocycode.clone(), due_date, fields),
        title,
        grocycode,
        lines,
        printer: text(obj.get("printer")),
        template: text(obj.get("template")),
    })
}

/// Whether a Grocy label can print with the built-in `template`: `Err` with
/// the reason for the templates laid out for something else.
pub fn template_fits(template: &str) -> Result<(), String> {
    match template {
        "product" | "asset_tag" | "shelf" | "storage_box" | "plain_text" | "qr_only" => Ok(()),
        "filament_spool" => Err(
            "filament_spool is laid out for Spoolman spools (colour, weight, spool id); \
             Grocy labels print with product, asset_tag, shelf, storage_box, plain_text or qr_only"
                .into(),
        ),
        other => Err(format!(
            "{other:?} is not a built-in template Grocy's fields are mapped onto"
        )),
    }
}

impl WebhookLabel {
    /// The label data for the built-in `template`, Grocy's fields mapped onto
    /// its placeholders: the grocycode is the code (`qr_payload`, and
    /// `primary_id` where a template prints an id: `asset_tag`, `shelf`), the
    /// name the title (`storage_box`'s header), due date, amount and location
    /// the lines (`secondary`, `storage_box`'s items). `product` prints the
    /// name, `Due <date>` and the grocycode as a DataMatrix. `Err`: see
    /// [`template_fits`].
    pub fn data_for(&self, template: &str) -> Result<LabelData, String> {
        template_fits(template)?;
        let mut data = self.data.clone();
        match template {
            "product" => {}
            "storage_box" => {
                data.primary_id = Some(self.title.clone());
                let lines = if self.lines.is_empty() {
                    vec![self.grocycode.clone()]
                } else {
                    self.lines.clone()
                };
                data.items = lines
                    .into_iter()
                    .map(|item| printhub_render::Item {
                        item,
                        qr_payload: None,
                    })
                    .collect();
                data.secondary = self.lines.clone();
            }
            _ => {
                data.primary_id = Some(self.grocycode.clone());
                data.secondary = self.lines.clone();
            }
        }
        Ok(data)
    }
}

/// The first `YYYY-MM-DD` in `s` (`"DD: 2026-05-01"` → `2026-05-01`), "never" excluded.
fn find_date(s: &str) -> Option<String> {
    s.char_indices()
        .find_map(|(i, _)| date(&s[i..]))
        .filter(|d| d != NEVER)
}

/// Turns form fields in PHP's bracket notation (what Grocy sends without
/// `LABEL_PRINTER_HOOK_JSON`: `details[product][name]=Milk`) into the JSON
/// object Grocy would have sent. `a[]` appends; nesting stops at 8 levels.
pub fn form_to_json(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    let mut root = Map::new();
    for (key, value) in pairs {
        let (head, path) = match key.find('[') {
            Some(i) if i > 0 && key.ends_with(']') => {
                let inner = &key[i + 1..key.len() - 1];
                (&key[..i], inner.split("][").take(8).collect::<Vec<_>>())
            }
            _ => (key.as_str(), Vec::new()),
        };
        insert(&mut root, head, &path, value);
    }
    Value::Object(root)
}

fn insert(map: &mut Map<String, Value>, key: &str, path: &[&str], value: String) {
    let Some((next, rest)) = path.split_first() else {
        map.insert(key.to_string(), Value::String(value));
        return;
    };
    let child = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        *child = Value::Object(Map::new());
    }
    if let Value::Object(child) = child {
        let next = if next.is_empty() {
            child.len().to_string()
        } else {
            (*next).to_string()
        };
        insert(child, &next, rest, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identifiers() {
        let p = |id, stock: Option<&str>| GrocyId::Product {
            id,
            stock_id: stock.map(str::to_string),
        };
        assert_eq!(parse_id("grcy:p:12"), Ok(p(12, None)));
        assert_eq!(
            parse_id(" grcy:p:12:6630ab3c1f2e1 "),
            Ok(p(12, Some("6630ab3c1f2e1")))
        );
        assert_eq!(parse_id("grcy:b:3"), Ok(GrocyId::Battery(3)));
        assert_eq!(parse_id("grcy:c:4"), Ok(GrocyId::Chore(4)));
        assert_eq!(parse_id("grcy:r:5"), Ok(GrocyId::Recipe(5)));
        assert!(parse_id("grcy:x:5")
            .expect_err("kind")
            .contains("unknown grocycode kind"));
        assert!(parse_id("grcy:p:abc").is_err());
        assert_eq!(parse_id("12"), Ok(p(12, None)));
        assert_eq!(
            parse_id("https://grocy.example/product/7?x=1"),
            Ok(p(7, None))
        );
        assert_eq!(
            parse_id("4006381333931"),
            Ok(GrocyId::Barcode("4006381333931".into()))
        );
        assert_eq!(parse_id("ABC-1"), Ok(GrocyId::Barcode("ABC-1".into())));
    }

    #[test]
    fn form_fields_nest_as_php_does() {
        let pairs = [
            ("product", "Milk"),
            ("details[product][name]", "Milk"),
            ("details[product][id]", "12"),
            ("stock_entry[best_before_date]", "2026-05-01"),
            ("tags[]", "a"),
            ("tags[]", "b"),
            ("[weird", "x"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        assert_eq!(
            form_to_json(pairs),
            json!({
                "product": "Milk",
                "details": {"product": {"name": "Milk", "id": "12"}},
                "stock_entry": {"best_before_date": "2026-05-01"},
                "tags": {"0": "a", "1": "b"},
                "[weird": "x",
            })
        );
    }

    #[test]
    fn webhook_payloads_of_every_kind() {
        let label = webhook_label(&json!({
            "product": "Milk",
            "grocycode": "grcy:p:12:6630ab",
            "details": {"product": {"id": "12", "name": "Milk"}},
            "stock_entry": {"stock_id": "6630ab", "amount": "1", "best_before_date": "2026-05-01"},
            "due_date": "DD: 2026-05-01",
            "font_family": "Source Sans Pro (Regular)",
            "printer": "ql",
        }))
        .expect("product");
        assert_eq!(label.title, "Milk");
        assert_eq!(label.printer.as_deref(), Some("ql"));
        assert_eq!(label.data.qr_payload.as_deref(), Some("grcy:p:12:6630ab"));
        assert_eq!(label.data.secondary, ["2026-05-01"]);
        assert_eq!(
            label.data.fields["font_family"],
            "Source Sans Pro (Regular)"
        );
        assert_eq!(label.data.fields["amount"], "1");

        // Without a stock entry, the localized due_date text still gives the date.
        let label = webhook_label(
            &json!({"product": "Tea", "grocycode": "grcy:p:3", "due_date": "MHD: 2027-01-31"}),
        )
        .expect("due text");
        assert_eq!(label.data.secondary, ["2027-01-31"]);
        // "Never overdue" prints no date.
        let label = webhook_label(
            &json!({"product": "Salt", "grocycode": "grcy:p:4", "due_date": "DD: 2999-12-31"}),
        )
        .expect("never");
        assert!(label.data.secondary.is_empty());
        // A battery label carries no due date: the next charge stays a field.
        let label = webhook_label(&json!({"battery": "Smoke alarm", "grocycode": "grcy:b:2", "details": {"next_estimated_charge_time": "2026-09-01 10:00:00"}}))
            .expect("battery");
        assert_eq!(label.title, "Smoke alarm");
        assert!(label.data.secondary.is_empty());
        assert!(!label.data.fields.contains_key("due_date"));
        assert_eq!(
            label.data.fields["next_estimated_charge_time"],
            "2026-09-01"
        );
        assert!(webhook_label(&json!({"chore": "Descale", "grocycode": "grcy:c:1"})).is_ok());
        assert!(webhook_label(&json!({"recipe": "Soup", "grocycode": "grcy:r:1"})).is_ok());

        for (bad, why) in [
            (json!([1]), "not an object"),
            (json!({"grocycode": "grcy:p:1"}), "names no product"),
            (json!({"product": "X"}), "no grocycode"),
            (
                json!({"product": "X", "grocycode": "4006381333931"}),
                "not a grocycode",
            ),
        ] {
            let err = webhook_label(&bad).expect_err(why);
            assert!(err.contains(why), "{err}");
        }
    }

    /// What Grocy sends when a product is opened (`StockService::OpenProduct`
    /// reprints): the entry as it was, and `due_date` with the new date.
    #[test]
    fn due_date_wins_over_the_old_stock_entry() {
        let payload = |due: Option<&str>| {
            let mut p = json!({
                "product": "Milk",
                "grocycode": "grcy:p:12:6630ab",
                "details": {"next_due_date": "2026-04-28", "location": {"id": "2", "name": "Fridge"},
                            "quantity_unit_stock": {"id": "3", "name": "Pack"}},
                "stock_entry": {"stock_id": "6630ab", "amount": "1.0", "location_id": "2",
                                "best_before_date": "2026-12-20", "open": "0"},
            });
            if let Some(d) = due {
                p["due_date"] = json!(d);
            }
            p
        };
        let opened = webhook_label(&payload(Some("DD: 2026-12-06"))).expect("opened");
        assert_eq!(opened.data.secondary, ["2026-12-06"]);
        assert_eq!(opened.data.fields["due_date"], "2026-12-06");
        assert_eq!(opened.lines, ["Due 2026-12-06", "1.0 Pack", "Fridge"]);
        // The product's next due date belongs to another entry: a field, never printed.
        assert_eq!(opened.data.fields["next_due_date"], "2026-04-28");
        // German Grocy ("MHD") and Grocy before 4.0 (`duedate`).
        let mut old = payload(None);
        old["duedate"] = json!("MHD: 2026-12-07");
        assert_eq!(
            webhook_label(&old).expect("duedate").data.secondary,
            ["2026-12-07"]
        );
        // Frozen: "never overdue" wins over the entry's old date too.
        let frozen = webhook_label(&payload(Some("DD: 2999-12-31"))).expect("never");
        assert!(
            frozen.data.secondary.is_empty(),
            "{:?}",
            frozen.data.secondary
        );
        assert!(!frozen.data.fields.contains_key("due_date"));
        // Due-date tracking off: no due_date key, the entry's date.
        let untracked = webhook_label(&payload(None)).expect("untracked");
        assert_eq!(untracked.data.secondary, ["2026-12-20"]);
        // A product label (no stock entry, no due_date) prints no date.
        let product = webhook_label(&json!({
            "product": "Milk", "grocycode": "grcy:p:12",
            "details": {"next_due_date": "2026-04-28"},
        }))
        .expect("product label");
        assert!(product.data.secondary.is_empty());
        assert!(product.lines.is_empty());
    }

    #[test]
    fn every_built_in_template_gets_grocys_fields_or_a_reason() {
        let label = webhook_label(&json!({
            "product": "Milk", "grocycode": "grcy:p:12:6630ab",
            "stock_entry": {"amount": "2", "best_before_date": "2026-05-01"},
        }))
        .expect("label");
        for (name, _) in printhub_render::template::BUILTIN {
            match label.data_for(name) {
                Ok(data) => {
                    assert_eq!(data.title.as_deref(), Some("Milk"), "{name}");
                    assert_eq!(
                        data.qr_payload.as_deref(),
                        Some("grcy:p:12:6630ab"),
                        "{name}"
                    );
                }
                Err(reason) => {
                    assert_eq!(*name, "filament_spool", "{reason}");
                    assert!(reason.contains("Spoolman"), "{reason}");
                }
            }
        }
        let shelf = label.data_for("shelf").expect("shelf");
        assert_eq!(shelf.primary_id.as_deref(), Some("grcy:p:12:6630ab"));
        assert_eq!(shelf.secondary, ["Due 2026-05-01", "2"]);
        let boxed = label.data_for("storage_box").expect("storage_box");
        assert_eq!(boxed.primary_id.as_deref(), Some("Milk"));
        assert_eq!(boxed.items.len(), 2);
        assert_eq!(
            label.data_for("product").expect("product").secondary,
            ["2026-05-01"]
        );
        assert!(template_fits("nope").is_err());
    }
}

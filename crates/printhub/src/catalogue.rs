//! `printhub media list` and `printhub models list`: the raster crate's
//! tables as a table or as JSON.

use crate::raster_cmd::model;
use printhub_raster::{geometry, Geometry, Media, Model, MEDIA, MODELS};
use serde::Serialize;
use std::io::Write;

/// One row of `media list --json`.
#[derive(Debug, Serialize)]
pub struct MediaRow {
    /// The medium.
    #[serde(flatten)]
    pub media: &'static Media,
    /// Its geometry on the model asked for, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry: Option<Geometry>,
}

/// `printhub media list [--model M] [--json]`.
pub fn media_list(model_name: Option<&str>, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let model: Option<&'static Model> = model_name.map(model).transpose()?;
    let rows: Vec<MediaRow> = MEDIA
        .iter()
        .filter_map(|media| match model {
            Some(model) => geometry(model, media).ok().map(|g| MediaRow {
                media,
                geometry: Some(g),
            }),
            None => Some(MediaRow {
                media,
                geometry: None,
            }),
        })
        .collect();
    if json {
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    match model {
        Some(model) => {
            writeln!(
                out,
                "{:<12} {:>6} {:>8} {:>7} {:>7}  name",
                "id", "dots", "offset", "length", "margin"
            )?;
            for row in &rows {
                if let Some(g) = row.geometry {
                    let length = if g.label_lines > 0 {
                        g.label_lines.to_string()
                    } else {
                        "-".into()
                    };
                    writeln!(
                        out,
                        "{:<12} {:>6} {:>8} {:>7} {:>7}  {}",
                        row.media.id,
                        g.window.printable,
                        g.window.offset,
                        length,
                        g.default_margin,
                        row.media.name
                    )?;
                }
            }
            writeln!(
                out,
                "({} media on {}; dots across at {} dpi)",
                rows.len(),
                model.name,
                model.dpi()
            )?;
        }
        None => {
            writeln!(out, "{:<12} {:>5} {:>6}  name", "id", "width", "length")?;
            for row in &rows {
                let length = if row.media.length_mm > 0 {
                    format!("{}", row.media.length_mm)
                } else {
                    "-".into()
                };
                writeln!(
                    out,
                    "{:<12} {:>5} {:>6}  {}",
                    row.media.id, row.media.width_mm, length, row.media.name
                )?;
            }
        }
    }
    Ok(())
}

/// `printhub models list [--json]`.
pub fn models_list(json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, MODELS)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<11} {:<7} {:>4} {:>5} {:>4}  capabilities",
        "model", "family", "dpi", "pins", "mm"
    )?;
    for m in MODELS {
        let mut caps = Vec::new();
        if m.supports_compression() {
            caps.push("compression");
        }
        if m.auto_cut {
            caps.push("cutter");
        }
        if m.half_cut {
            caps.push("half-cut");
        }
        if m.chain {
            caps.push("chain");
        }
        if m.two_colour {
            caps.push("two-colour");
        }
        if m.high_res_dpi.is_some() {
            caps.push("high-res");
        }
        if m.network {
            caps.push("network");
        }
        let family = serde_json::to_value(m.family)?;
        writeln!(
            out,
            "{:<11} {:<7} {:>4} {:>5} {:>4}  {}",
            m.name,
            family.as_str().unwrap_or("?"),
            m.dpi(),
            m.family.pins(),
            m.max_media_mm,
            caps.join(", ")
        )?;
    }
    Ok(())
}

//! `printhub render` and `printhub print`: one label from a content type or a
//! template and its data, rendered exactly as the hub renders it (same
//! crate, same media geometry), to a preview PNG and job file, or straight
//! to a printer on raw TCP 9100 — no server, no database.

use crate::cli::{LabelArgs, PrintArgs, RenderArgs};
use crate::image_io::write_atomic;
use crate::raster_cmd::{media, model};
use anyhow::{bail, Context};
use printhub_raster::{CutMode, Encoder, JobOptions, Label, Media, Model};
use printhub_render::{ContentType, LabelData, RenderRequest, Template, TemplateRef};
use std::io::Write;
use std::path::Path;

/// The most copies one `print` sends.
const MAX_COPIES: u32 = 100;

/// The rendered label and what it was rendered for.
struct Rendered {
    model: &'static Model,
    media: &'static Media,
    label: Label,
}

fn render_label(args: &LabelArgs) -> anyhow::Result<Rendered> {
    let model = model(&args.model)?;
    let media = media(&args.media)?;
    let data_text = match args.data.strip_prefix('@') {
        Some(file) => {
            std::fs::read_to_string(file).with_context(|| format!("--data: cannot read {file}"))?
        }
        None => args.data.clone(),
    };
    let data: LabelData = serde_json::from_str(&data_text)
        .with_context(|| "--data: not the label's JSON fields (see the API's `data`)")?;
    let request = match (&args.content_type, &args.template) {
        (Some(name), _) => {
            let content_type: ContentType =
                serde_json::from_value(serde_json::Value::String(name.clone())).map_err(|_| {
                    anyhow::anyhow!("--content-type: unknown content type {name:?}")
                })?;
            RenderRequest::content_type(content_type, data)
        }
        (None, Some(template)) => {
            let reference = if Path::new(template).is_file() {
                let text = std::fs::read_to_string(template)
                    .with_context(|| format!("--template: cannot read {template}"))?;
                let parsed = Template::from_json(&text)
                    .with_context(|| format!("--template: {template}"))?;
                TemplateRef::Inline(Box::new(parsed))
            } else {
                TemplateRef::Name(template.clone())
            };
            RenderRequest::template(reference, data)
        }
        (None, None) => bail!("--content-type or --template: say what to draw"),
    };
    let label = printhub_render::render(&request, model, media)
        .with_context(|| format!("cannot render the label for {} on {}", model.name, media.id))?;
    Ok(Rendered {
        model,
        media,
        label,
    })
}

/// The job for `copies` of the label: cut after each where the model cuts.
fn encode(rendered: &Rendered, copies: u32) -> anyhow::Result<Vec<u8>> {
    let cut = if rendered.model.auto_cut {
        CutMode::Every(1)
    } else {
        CutMode::None
    };
    let options = JobOptions::default()
        .cut(cut)
        .two_colour(rendered.label.red.is_some());
    let encoder = Encoder::new(rendered.model, rendered.media, options)?;
    let labels = vec![rendered.label.clone(); copies as usize];
    Ok(encoder.encode(&labels)?)
}

/// `printhub render`.
pub fn render(args: &RenderArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let rendered = render_label(&args.label)?;
    let png = printhub_render::preview_png(&rendered.label, args.scale).context("--scale")?;
    // The job first: nothing is written unless both can be.
    let job = args
        .job
        .as_ref()
        .map(|_| encode(&rendered, 1))
        .transpose()?;
    write_atomic(&args.out, &png)?;
    let (dots, lines) = (rendered.label.black.width(), rendered.label.black.height());
    writeln!(
        out,
        "wrote {}: {dots} dots × {lines} lines ({} on {})",
        args.out.display(),
        rendered.model.name,
        rendered.media.id
    )?;
    if let (Some(path), Some(job)) = (&args.job, job) {
        write_atomic(path, &job)?;
        writeln!(out, "wrote {}: {} bytes", path.display(), job.len())?;
    }
    Ok(())
}

/// `printhub print`.
pub fn print(args: &PrintArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if !(1..=MAX_COPIES).contains(&args.copies) {
        bail!(
            "--copies: {} is not between 1 and {MAX_COPIES}",
            args.copies
        );
    }
    let rendered = render_label(&args.label)?;
    let job = encode(&rendered, args.copies)?;
    crate::emulate_cmd::send_job(&job, args.copies as usize, &args.to, args.timeout, out)
}

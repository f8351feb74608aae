//! A waiting job laid out again for another medium (issue #20): its stored
//! request (`JobSpec::request`, the renderer's JSON) rendered for the
//! printer's model and the new medium and encoded with the job's options,
//! as `HubHandle::submit` would have. Runs in `spawn_blocking`, never on the
//! actor thread; its answer goes to `PrinterMachine::handle_relaid_out`.

use super::PrinterActor;
use crate::clock::now;
use crate::handle::encode_label;
use actix::prelude::*;
use printhub_core::{JobError, JobId, JobSpec};
use printhub_raster::{Media, Model};
use printhub_render::RenderRequest;
use std::sync::Arc;

impl PrinterActor {
    /// The machine's `Relayout`: lays `job_id` out for `media` off the actor
    /// thread and feeds the answer back.
    pub(super) fn start_relayout(&mut self, job_id: JobId, media: String, ctx: &mut Context<Self>) {
        let Some(spec) = self.machine.job(job_id).map(|j| j.spec.clone()) else {
            return;
        };
        let target = media.clone();
        let task = actix_rt::task::spawn_blocking(move || relayout(&spec, &target));
        ctx.spawn(task.into_actor(self).map(move |done, act, ctx| {
            let result = done.unwrap_or_else(|e| {
                Err(JobError::new(
                    "encoder_failed",
                    format!("the layout task failed: {e}"),
                ))
            });
            match &result {
                Ok(_) => log::info!(
                    "printer {}: job {job_id} laid out again for {media}",
                    act.config.slug
                ),
                Err(e) => log::warn!(
                    "printer {}: job {job_id} cannot be laid out for {media}: {} ({})",
                    act.config.slug,
                    e.message,
                    e.code
                ),
            }
            act.machine.handle_relaid_out(job_id, &media, result, now());
            // A stream built ahead may hold the job's old raster.
            act.link.drop_prepared();
            act.settle(ctx);
        }));
    }
}

/// One copy of `spec`'s label laid out for `media`, or why it cannot be.
pub(crate) fn relayout(spec: &JobSpec, media: &str) -> Result<Arc<Vec<u8>>, JobError> {
    let model = Model::by_name(&spec.model).ok_or_else(|| {
        JobError::new("invalid_request", format!("unknown model {:?}", spec.model))
    })?;
    let medium = Media::by_id(media)
        .ok_or_else(|| JobError::new("unsupported_media", format!("unknown media {media:?}")))?;
    let request: RenderRequest = spec
        .request
        .clone()
        .ok_or_else(|| JobError::new("not_relayable", "the job keeps no label request"))
        .and_then(|request| {
            serde_json::from_str(request.as_str()).map_err(|e| {
                JobError::new(
                    "invalid_request",
                    format!("the stored label request no longer reads: {e}"),
                )
            })
        })?;
    let label = printhub_render::render(&request, model, medium)
        .map_err(|e| JobError::new(e.code(), e.to_string()))?;
    let raster = encode_label(model, medium, &spec.options, label)
        .map_err(|e| JobError::new(e.code(), e.to_string()))?;
    Ok(Arc::new(raster))
}

//! The bytes of a chain: what a `Send` needs to become one stream
//! ([`StreamPlan`], taken from the jobs on the actor's thread) and the
//! stream built from it ([`BuiltStream`], joined with printhub-raster's
//! `chain::join` off the actor's thread), with the copy that could not be
//! part of it. Which chain is built when is the link's decision
//! (`printhub_core::Link`); this module only turns rasters into a stream.
//! Rasters the printer released from memory (issue #17: only the next
//! chains' rasters stay) are read back from the store here, off the
//! actor's thread, when the prefetch has not brought them back already.

use crate::store::HubStore;
use crate::transport::Outgoing;
use printhub_core::{Job, JobId, WriteFailure};
use printhub_raster::{chain, Media, Model};
use std::sync::Arc;

/// What a `Send` needs to become bytes, taken from the jobs on the actor's thread.
pub(super) struct StreamPlan {
    model: Option<&'static Model>,
    media: Option<&'static Media>,
    /// The jobs opted in to chaining: join (re-encode) even a single copy, so
    /// the end of the chain is always fed and cut.
    join: bool,
    /// One per page; a released raster is empty until `load_released`.
    rasters: Vec<Arc<Vec<u8>>>,
    /// The job of each page.
    ids: Vec<JobId>,
}

/// A copy that could not be joined: it fails (with this code) once the copies before it printed.
pub(super) struct Refused {
    code: String,
    message: String,
}

impl Refused {
    pub(super) fn failure(self) -> WriteFailure {
        WriteFailure::Rejected {
            code: self.code,
            message: self.message,
        }
    }
}

/// The stream to write, and the copy (if any) that could not be part of it:
/// `outgoing` holds the copies before it.
pub(super) struct BuiltStream {
    pub(super) outgoing: Outgoing,
    pub(super) refused: Option<Refused>,
}

impl BuiltStream {
    /// Nothing can go: the first copy is refused.
    pub(super) fn refused(code: &str, message: String) -> Self {
        BuiltStream {
            outgoing: Outgoing {
                bytes: Arc::new(Vec::new()),
                copies: Vec::new(),
            },
            refused: Some(Refused {
                code: code.into(),
                message,
            }),
        }
    }
}

impl StreamPlan {
    /// The plan for `jobs`, one per page (the first one's model, medium and options rule).
    pub(super) fn of(jobs: &[&Job]) -> Self {
        let head = jobs.first().map(|j| &j.spec);
        StreamPlan {
            model: head.and_then(|s| Model::by_name(&s.model)),
            media: head.and_then(|s| Media::by_id(&s.media_id)),
            join: head.is_some_and(|s| s.options.chain),
            rasters: jobs.iter().map(|j| j.spec.raster.clone()).collect(),
            ids: jobs.iter().map(|j| j.id).collect(),
        }
    }

    /// Builds the stream, reading released rasters from `store` first. A
    /// raster that cannot be read (gone, damaged, the store failing) ends
    /// the chain before its copy, which fails with `raster_unavailable`
    /// once the copies before it printed.
    pub(super) fn build_with(mut self, store: &dyn HubStore) -> BuiltStream {
        let mut unreadable = None;
        for (i, (raster, id)) in self.rasters.iter_mut().zip(&self.ids).enumerate() {
            if !raster.is_empty() {
                continue;
            }
            let why = match store.load_raster(*id) {
                Ok(Some(loaded)) if !loaded.is_empty() => {
                    *raster = loaded;
                    continue;
                }
                Ok(_) => "the store has no raster for it".to_string(),
                Err(e) => e.to_string(),
            };
            unreadable = Some((
                i,
                Refused {
                    code: "raster_unavailable".into(),
                    message: format!("the job's raster cannot be read back: {why}"),
                },
            ));
            break;
        }
        let Some((at, refused)) = unreadable else {
            return self.build();
        };
        if at == 0 {
            return BuiltStream::refused(&refused.code, refused.message);
        }
        self.rasters.truncate(at);
        self.ids.truncate(at);
        let mut built = self.build();
        // A copy before it that could not be joined fails first.
        built.refused.get_or_insert(refused);
        built
    }

    /// One copy that did not opt in goes as it is; otherwise the copies are
    /// joined into one chained stream. A copy that cannot be joined ends the
    /// stream before it (a single copy is then sent as it is: the printer judges it).
    fn build(self) -> BuiltStream {
        let single = |raster: &Arc<Vec<u8>>, model: Option<&'static Model>| BuiltStream {
            outgoing: match model {
                Some(m) => Outgoing {
                    bytes: raster.clone(),
                    copies: vec![chain::span(m, raster)],
                },
                None => Outgoing::single(raster.clone(), 1),
            },
            refused: None,
        };
        let (Some(model), Some(media)) = (self.model, self.media) else {
            return match self.rasters.as_slice() {
                [one] => single(one, self.model),
                _ => BuiltStream::refused(
                    "unsupported_media",
                    "the job names a model or medium printhub does not know; it cannot be chained"
                        .into(),
                ),
            };
        };
        if self.rasters.len() == 1 && !self.join {
            return single(&self.rasters[0], Some(model));
        }
        let slices: Vec<&[u8]> = self.rasters.iter().map(|r| r.as_slice()).collect();
        match chain::join(model, media, &slices) {
            Ok(joined) => BuiltStream {
                outgoing: Outgoing {
                    bytes: Arc::new(joined.bytes),
                    copies: joined.copies,
                },
                refused: None,
            },
            Err(_) if slices.len() == 1 => single(&self.rasters[0], Some(model)),
            Err(e) => {
                let bad = e.copy().unwrap_or(0);
                let refused = Refused {
                    code: e.code().into(),
                    message: format!("the job cannot be chained: {e}"),
                };
                let before = (bad > 0)
                    .then(|| chain::join(model, media, &slices[..bad]).ok())
                    .flatten();
                match before {
                    Some(joined) => BuiltStream {
                        outgoing: Outgoing {
                            bytes: Arc::new(joined.bytes),
                            copies: joined.copies,
                        },
                        refused: Some(refused),
                    },
                    None => BuiltStream::refused(&refused.code, refused.message),
                }
            }
        }
    }
}

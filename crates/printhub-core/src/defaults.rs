//! A printer's print defaults (issue #20): what a job gets for the options
//! its request leaves out — the cut mode, half cut, whether a batch prints
//! as one strip — plus the printer's copies limit and queue timeout.
//!
//! The rules ([`PrinterDefaults::options`]), in order:
//! 1. An option the request gives is what the job gets.
//! 2. A batch on a printer whose `batch_strip` is on (by default on PT
//!    models that chain and half-cut, as the reference hub printed
//!    batches), when its item gives neither `cut` nor `chain`, prints as
//!    one strip: chained, no full cut between labels, a half cut between
//!    them (unless the item says otherwise), one leader, the end fed and
//!    cut (docs/protocol-decisions.md, "Chaining": the end of a chain is
//!    always fed and cut).
//! 3. Otherwise the cut mode says: `each` — a full cut after every label
//!    (the hub's behaviour before defaults existed); `end` — no cut between
//!    labels, chained, so the job's copies (and queued neighbours with the
//!    same options) come out as one strip cut at its end; `none` — never
//!    cut, each label fed out.
//! 4. Half cut where the printer's default says so and its model has a
//!    half cutter; high resolution off.
//!
//! Threading: plain data.

use serde::{Deserialize, Serialize};

use crate::job::{PrintOptions, MAX_COPIES};

/// Where the cutter cuts when a job does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CutDefault {
    /// A full cut after every label.
    #[default]
    Each,
    /// One cut after the last label of the strip (no cut between labels;
    /// the job's copies, and queued jobs behind it with the same options,
    /// print as one strip).
    End,
    /// Never cut: labels are fed out and torn off.
    None,
}

/// The longest queue timeout, in minutes (a week).
pub const MAX_QUEUE_TIMEOUT_MINUTES: u32 = 7 * 24 * 60;

/// A printer's print defaults (issue #20): the options a job gets when its
/// request does not say, its copies limit and its queue timeout; absent
/// fields take the hub's defaults. The same type is the configuration
/// file's `defaults`, the API's and the stored one. `Default` is the hub's
/// behaviour without any: cut every label, no half cut, batches as the
/// model prefers, 999 copies, no queue timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PrinterDefaults {
    /// The cut mode (default `each`).
    pub cut: CutDefault,
    /// Half cut between labels (models with a half cutter; default off).
    pub half_cut: bool,
    /// Whether a batch whose items give neither `cut` nor `chain` prints as
    /// one strip: chained, half cuts between labels, one leader, cut at the
    /// end. Absent: the model's default (on for PT models that chain and
    /// half-cut, as the reference hub printed batches; off for QL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_strip: Option<bool>,
    /// The most copies one job may ask for (1..=999; more: 400
    /// `invalid_request` on `copies`). Absent: 999.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(range(min = 1, max = 999)))]
    pub max_copies: Option<u32>,
    /// Jobs queued longer than this many minutes fail with `queue_timeout`
    /// (1..=10080, a week). Absent: jobs wait as long as it takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(range(min = 1, max = 10080)))]
    pub queue_timeout_minutes: Option<u32>,
}

/// The options a request gave; `None`: not given, the printer's default applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RequestedOptions {
    /// `cut`.
    pub cut: Option<bool>,
    /// `half_cut`.
    pub half_cut: Option<bool>,
    /// `chain`.
    pub chain: Option<bool>,
    /// `high_res`.
    pub high_res: Option<bool>,
}

impl From<PrintOptions> for RequestedOptions {
    /// Every option given: the printer's defaults change nothing.
    fn from(o: PrintOptions) -> Self {
        RequestedOptions {
            cut: Some(o.cut),
            half_cut: Some(o.half_cut),
            chain: Some(o.chain),
            high_res: Some(o.high_res),
        }
    }
}

/// What the defaults need to know of the printer's model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ModelTraits {
    /// It has a half cutter.
    pub half_cut: bool,
    /// A batch prints as one strip unless the printer says otherwise (PT
    /// models that chain and half-cut).
    pub batch_strip: bool,
}

/// Why a set of defaults was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("defaults.{field}: {message}")]
pub struct DefaultsError {
    /// The field (`max_copies`, `queue_timeout_minutes`).
    pub field: &'static str,
    /// Why.
    pub message: String,
}

impl PrinterDefaults {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), DefaultsError> {
        if let Some(n) = self.max_copies {
            if !(1..=MAX_COPIES).contains(&n) {
                return Err(DefaultsError {
                    field: "max_copies",
                    message: format!("must be 1..={MAX_COPIES}, got {n}"),
                });
            }
        }
        if let Some(n) = self.queue_timeout_minutes {
            if !(1..=MAX_QUEUE_TIMEOUT_MINUTES).contains(&n) {
                return Err(DefaultsError {
                    field: "queue_timeout_minutes",
                    message: format!("must be 1..={MAX_QUEUE_TIMEOUT_MINUTES}, got {n}"),
                });
            }
        }
        Ok(())
    }

    /// The most copies one job may ask for.
    pub fn copies_limit(&self) -> u32 {
        self.max_copies.unwrap_or(MAX_COPIES).clamp(1, MAX_COPIES)
    }

    /// The queue timeout in milliseconds, if any.
    pub fn queue_timeout_ms(&self) -> Option<i64> {
        self.queue_timeout_minutes
            .map(|minutes| i64::from(minutes) * 60_000)
    }

    /// The options a job gets: what it `asked`, the rest from these
    /// defaults for a printer of `model` (see the module docs for the rules).
    pub fn options(
        &self,
        asked: RequestedOptions,
        model: ModelTraits,
        in_batch: bool,
    ) -> PrintOptions {
        let strip = in_batch
            && asked.cut.is_none()
            && asked.chain.is_none()
            && self.batch_strip.unwrap_or(model.batch_strip);
        if strip {
            return PrintOptions {
                cut: false,
                chain: true,
                half_cut: asked.half_cut.unwrap_or(model.half_cut),
                high_res: asked.high_res.unwrap_or(false),
            };
        }
        let (cut, chain) = match self.cut {
            CutDefault::Each => (true, false),
            CutDefault::End => (false, true),
            CutDefault::None => (false, false),
        };
        PrintOptions {
            cut: asked.cut.unwrap_or(cut),
            chain: asked.chain.unwrap_or(chain),
            half_cut: asked.half_cut.unwrap_or(self.half_cut && model.half_cut),
            high_res: asked.high_res.unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PT: ModelTraits = ModelTraits {
        half_cut: true,
        batch_strip: true,
    };
    const QL: ModelTraits = ModelTraits {
        half_cut: false,
        batch_strip: false,
    };

    fn opts(cut: bool, half_cut: bool, chain: bool) -> PrintOptions {
        PrintOptions {
            cut,
            half_cut,
            chain,
            high_res: false,
        }
    }

    /// Every rule of the module docs, as a table: defaults, what the request
    /// gave, the model, single job or batch item → options.
    #[test]
    fn the_defaults_table() {
        let none = RequestedOptions::default();
        let d = PrinterDefaults::default();
        let end = PrinterDefaults {
            cut: CutDefault::End,
            ..d
        };
        let never = PrinterDefaults {
            cut: CutDefault::None,
            half_cut: true,
            ..d
        };
        let no_strip = PrinterDefaults {
            batch_strip: Some(false),
            ..d
        };
        let strip_on_ql = PrinterDefaults {
            batch_strip: Some(true),
            ..d
        };
        let cut_given = RequestedOptions {
            cut: Some(true),
            ..none
        };
        let chain_off = RequestedOptions {
            chain: Some(false),
            ..none
        };
        let no_half = RequestedOptions {
            half_cut: Some(false),
            ..none
        };
        let rows = [
            // The hub's behaviour without defaults: a single job cut after each label.
            (d, none, PT, false, opts(true, false, false)),
            (d, none, QL, false, opts(true, false, false)),
            // A PT batch is one half-cut strip (rule 2); not on a QL.
            (d, none, PT, true, opts(false, true, true)),
            (d, none, QL, true, opts(true, false, false)),
            // ... unless the item says cut or chain, or the printer says no.
            (d, cut_given, PT, true, opts(true, false, false)),
            (d, chain_off, PT, true, opts(true, false, false)),
            (no_strip, none, PT, true, opts(true, false, false)),
            // The item may keep the strip but drop the half cut.
            (d, no_half, PT, true, opts(false, false, true)),
            // A printer may ask for strips on a model without half cutter.
            (strip_on_ql, none, QL, true, opts(false, false, true)),
            // Cut modes (rule 3).
            (end, none, PT, false, opts(false, false, true)),
            (end, cut_given, PT, false, opts(true, false, true)),
            (never, none, PT, false, opts(false, true, false)),
            // Half cut only where the model has one (rule 4).
            (never, none, QL, false, opts(false, false, false)),
        ];
        for (defaults, asked, model, batch, want) in rows {
            assert_eq!(
                defaults.options(asked, model, batch),
                want,
                "{defaults:?} {asked:?} {model:?} batch={batch}"
            );
        }
    }

    #[test]
    fn what_a_request_gives_always_wins() {
        for cut in [CutDefault::Each, CutDefault::End, CutDefault::None] {
            for batch in [false, true] {
                for model in [PT, QL] {
                    let d = PrinterDefaults {
                        cut,
                        half_cut: true,
                        ..PrinterDefaults::default()
                    };
                    for bits in 0..16u8 {
                        // Every option given (`From<PrintOptions>`).
                        let asked = RequestedOptions::from(PrintOptions {
                            cut: bits & 1 != 0,
                            half_cut: bits & 2 != 0,
                            chain: bits & 4 != 0,
                            high_res: bits & 8 != 0,
                        });
                        let got = d.options(asked, model, batch);
                        assert_eq!(
                            (got.cut, got.half_cut, got.chain, got.high_res),
                            (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0, bits & 8 != 0)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn ranges_are_checked_and_the_json_is_stable() {
        assert!(PrinterDefaults::default().validate().is_ok());
        let bad = PrinterDefaults {
            max_copies: Some(0),
            ..PrinterDefaults::default()
        };
        assert_eq!(bad.validate().map_err(|e| e.field), Err("max_copies"));
        let bad = PrinterDefaults {
            queue_timeout_minutes: Some(MAX_QUEUE_TIMEOUT_MINUTES + 1),
            ..PrinterDefaults::default()
        };
        assert_eq!(
            bad.validate().map_err(|e| e.field),
            Err("queue_timeout_minutes")
        );
        assert_eq!(PrinterDefaults::default().copies_limit(), MAX_COPIES);
        // The ranges the API documents (the schemars attributes) are these.
        assert_eq!((MAX_COPIES, MAX_QUEUE_TIMEOUT_MINUTES), (999, 10080));
        let d = PrinterDefaults {
            cut: CutDefault::End,
            half_cut: true,
            batch_strip: Some(false),
            max_copies: Some(5),
            queue_timeout_minutes: Some(30),
        };
        assert_eq!(d.copies_limit(), 5);
        assert_eq!(d.queue_timeout_ms(), Some(1_800_000));
        let json = serde_json::to_value(d).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"cut": "end", "half_cut": true, "batch_strip": false, "max_copies": 5, "queue_timeout_minutes": 30})
        );
        assert_eq!(
            serde_json::from_value::<PrinterDefaults>(json).ok(),
            Some(d)
        );
        // Absent fields are the defaults; unknown ones are refused.
        assert_eq!(
            serde_json::from_value::<PrinterDefaults>(serde_json::json!({})).ok(),
            Some(PrinterDefaults::default())
        );
        assert!(
            serde_json::from_value::<PrinterDefaults>(serde_json::json!({"cutt": "end"})).is_err()
        );
    }
}

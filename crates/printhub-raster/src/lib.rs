//! # printhub-raster
//!
//! The Brother PT (P-touch) and QL raster protocol, as pure data
//! transformations: the model and media tables, PackBits, the job
//! [`Encoder`], the streaming strict [`Decoder`], the 32-byte [`Status`]
//! block, and [`chain::join`], which joins one-copy streams into one chain. Every other printhub crate that speaks to a printer goes through
//! this one, so there is exactly one definition of the protocol.
//!
//! **Architecture Invariant:** no I/O, no clocks, no threads, no global
//! state. Encoders take plain data and return bytes; decoding is push-based.
//! Errors are values with stable machine codes; nothing here panics on any
//! input (the decoder and status parser are fuzzed).
//!
//! Facts come from Brother's raster command references and the peer drivers
//! summarised in `docs/brother-raster.md`; tests cite the section they check.
//!
//! ```
//! use printhub_raster::{Bitmap, Decoder, Encoder, JobOptions, Label, Media, Model};
//!
//! let model = Model::by_name("QL-820NWB").unwrap();
//! let media = Media::by_id("dk-62").unwrap();
//! let encoder = Encoder::new(model, media, JobOptions::default()).unwrap();
//! let width = encoder.geometry().printable() as usize;
//! let label = Bitmap::from_fn(width, 200, |x, y| x == y);
//! let job = encoder.encode(&[Label::black(label.clone())]).unwrap();
//!
//! let (_, pages) = Decoder::decode_all(Default::default(), &job).unwrap();
//! assert_eq!(pages[0].bitmap(pages[0].window()), label);
//! ```
#![forbid(unsafe_code)]

pub mod bitmap;
pub mod chain;
pub mod command;
pub mod decode;
pub mod encode;
pub mod media;
pub mod model;
pub mod packbits;
pub mod status;

pub use bitmap::Bitmap;
pub use chain::{Chain, ChainError, CopySpan};
pub use command::PrintInfo;
pub use decode::{
    Command, DecodeError, DecodeErrorKind, Decoder, DecoderOptions, Event, Page, PageEnd,
};
pub use encode::{CutMode, EncodeCode, EncodeError, Encoder, JobOptions, Label};
pub use media::{geometry, Geometry, Media, MediaError, MediaKind, Window, MEDIA};
pub use model::{CompressionSupport, Family, Model, MODELS};
pub use status::{
    ErrorFlags, Notification, Phase, Readiness, Reason, Status, StatusError, StatusType,
};

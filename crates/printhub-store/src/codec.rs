//! How a [`Job`] becomes a `jobs` row plus a `job_rasters` row, and back.
//!
//! The fields the HTTP API filters or shows (state, timestamps, error,
//! copies, ...) are columns; they are authoritative. What is left of the
//! [`JobSpec`] (model, media, print options, and any field a later
//! `printhub-core` adds) is the `spec` JSON, written with the columned keys
//! and the raster removed, so a field added to `JobSpec` is stored without a
//! migration. The raster is compressed ([`RasterCodec`], LZ4 by default;
//! zlib and raw rows are read as well) into `job_rasters`, with its length
//! and CRC-32 so a damaged blob is detected on load, never printed.
//!
//! Encoding happens in the caller's thread (compression is the expensive
//! part), so producers compress in parallel and the writer thread only
//! executes SQL. Decoding reports every problem as a reason string that
//! names the column; the caller turns it into a
//! [`CorruptRow`](crate::CorruptRow) or [`StoreError::Corrupt`].
//!
//! Threading: pure functions.

use std::io::Read;
use std::sync::Arc;

use flate2::read::ZlibDecoder;
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use printhub_core::{Job, JobError, JobId, JobSpec, JobState, PrinterId, Timestamp};
use rusqlite::types::FromSql;
use rusqlite::Row;
use serde_json::{Map, Value};

use crate::config::RasterCodec;
use crate::error::StoreError;

/// `JobSpec` keys stored as columns (or, for the raster, in `job_rasters`),
/// and therefore removed from the `spec` JSON.
const COLUMN_KEYS: [&str; 7] = [
    "raster",
    "printer_id",
    "batch_id",
    "copies",
    "content_type",
    "template",
    "submitted_by",
];

/// Codec names stored in `job_rasters.codec`.
const ZLIB: &str = "zlib";
const LZ4: &str = "lz4";
const RAW: &str = "raw";

/// The most an LZ4 block can expand: every output byte of a match costs
/// at least 1/255 of an input byte (a run-length byte adds 255), plus a
/// token's worth. A stored length beyond it is damage, and is refused
/// before anything is allocated for it.
const LZ4_MAX_EXPANSION: usize = 255;

/// A job ready for SQL: every value already converted.
#[derive(Debug)]
pub(crate) struct JobRow {
    pub id: String,
    pub printer_id: String,
    pub batch_id: Option<String>,
    pub state: &'static str,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub state_changed_at: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_detail: Option<String>,
    pub parent_job_id: Option<String>,
    pub retry_count: i64,
    pub copies: i64,
    pub copies_printed: i64,
    pub confirmed: bool,
    pub content_type: Option<String>,
    pub template: Option<String>,
    pub submitted_by: Option<String>,
    pub spec: String,
    /// `None` for a job whose raster the engine released from memory
    /// ([`JobSpec::raster_released`]): the stored one stays as it is.
    pub raster: Option<RasterRow>,
}

impl JobRow {
    /// The job's columns (not its raster), in the order of the `jobs`
    /// writes' parameters `?1` to `?20`.
    pub fn columns(&self) -> [&dyn rusqlite::ToSql; 20] {
        [
            &self.id,
            &self.printer_id,
            &self.batch_id,
            &self.state,
            &self.created_at,
            &self.started_at,
            &self.finished_at,
            &self.state_changed_at,
            &self.error_code,
            &self.error_message,
            &self.error_detail,
            &self.parent_job_id,
            &self.retry_count,
            &self.copies,
            &self.copies_printed,
            &self.confirmed,
            &self.content_type,
            &self.template,
            &self.submitted_by,
            &self.spec,
        ]
    }
}

/// A raster ready for SQL.
#[derive(Debug)]
pub(crate) struct RasterRow {
    pub codec: &'static str,
    pub len: i64,
    pub crc32: i64,
    pub data: Vec<u8>,
}

impl JobRow {
    /// Converts `job`, compressing its raster with `codec`.
    pub(crate) fn encode(job: &Job, codec: RasterCodec) -> Result<JobRow, StoreError> {
        let spec = &job.spec;
        let (error_code, error_message, error_detail) = match &job.error {
            Some(e) => (
                Some(e.code.clone()),
                Some(e.message.clone()),
                e.detail.as_ref().map(Value::to_string),
            ),
            None => (None, None, None),
        };
        Ok(JobRow {
            id: job.id.to_string(),
            printer_id: spec.printer_id.to_string(),
            batch_id: spec.batch_id.map(|b| b.to_string()),
            state: job.state.as_str(),
            created_at: job.created_at.as_millis(),
            started_at: job.started_at.map(Timestamp::as_millis),
            finished_at: job.finished_at.map(Timestamp::as_millis),
            state_changed_at: job.state_changed_at.as_millis(),
            error_code,
            error_message,
            error_detail,
            parent_job_id: job.parent_job_id.map(|p| p.to_string()),
            retry_count: i64::from(job.retry_count),
            copies: i64::from(spec.copies),
            copies_printed: i64::from(job.copies_printed),
            confirmed: job.confirmed,
            content_type: spec.content_type.as_deref().map(str::to_owned),
            template: spec.template.as_deref().map(str::to_owned),
            submitted_by: spec.submitted_by.as_deref().map(str::to_owned),
            spec: spec_rest(spec)?,
            raster: if spec.raster_released() {
                None
            } else {
                Some(encode_raster(&spec.raster, codec)?)
            },
        })
    }
}

/// The spec as JSON without the raster and the columned keys, written
/// straight from the spec (no clone, no `Value` tree in between).
fn spec_rest(spec: &JobSpec) -> Result<String, StoreError> {
    serde_json::to_string(&without::Without {
        value: spec,
        skip: &COLUMN_KEYS,
    })
    .map_err(|e| StoreError::Encode {
        what: "job spec",
        reason: e.to_string(),
    })
}

mod without {
    //! A struct serialized without some of its top-level fields: serde's
    //! derived `Serialize` of the struct is driven through a serializer that
    //! writes its fields as a map and leaves the named ones out. Anything
    //! but a struct at the top is an error.

    use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeStruct, Serializer};

    pub(super) struct Without<'a, T> {
        pub(super) value: &'a T,
        pub(super) skip: &'static [&'static str],
    }

    impl<T: Serialize> Serialize for Without<'_, T> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            self.value.serialize(Skipping {
                inner: serializer,
                skip: self.skip,
            })
        }
    }

    struct Skipping<S> {
        inner: S,
        skip: &'static [&'static str],
    }

    pub(super) struct Fields<M> {
        map: M,
        skip: &'static [&'static str],
    }

    impl<M: SerializeMap> SerializeStruct for Fields<M> {
        type Ok = M::Ok;
        type Error = M::Error;

        fn serialize_field<T: ?Sized + Serialize>(
            &mut self,
            key: &'static str,
            value: &T,
        ) -> Result<(), M::Error> {
            if self.skip.contains(&key) {
                return Ok(());
            }
            self.map.serialize_entry(key, value)
        }

        fn end(self) -> Result<M::Ok, M::Error> {
            self.map.end()
        }
    }

    fn not_a_struct<E: ser::Error>() -> E {
        E::custom("only a struct can be written without some of its fields")
    }

    macro_rules! refuse {
        ($($name:ident($($arg:ty),*)),* $(,)?) => {
            $(fn $name(self, $(_: $arg),*) -> Result<S::Ok, S::Error> {
                Err(not_a_struct())
            })*
        };
    }

    impl<S: Serializer> Serializer for Skipping<S> {
        type Ok = S::Ok;
        type Error = S::Error;
        type SerializeSeq = Impossible<S::Ok, S::Error>;
        type SerializeTuple = Impossible<S::Ok, S::Error>;
        type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
        type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
        type SerializeMap = Impossible<S::Ok, S::Error>;
        type SerializeStruct = Fields<S::SerializeMap>;
        type SerializeStructVariant = Impossible<S::Ok, S::Error>;

        fn serialize_struct(
            self,
            _name: &'static str,
            _len: usize,
        ) -> Result<Self::SerializeStruct, S::Error> {
            Ok(Fields {
                map: self.inner.serialize_map(None)?,
                skip: self.skip,
            })
        }

        refuse!(
            serialize_bool(bool),
            serialize_i8(i8),
            serialize_i16(i16),
            serialize_i32(i32),
            serialize_i64(i64),
            serialize_u8(u8),
            serialize_u16(u16),
            serialize_u32(u32),
            serialize_u64(u64),
            serialize_f32(f32),
            serialize_f64(f64),
            serialize_char(char),
            serialize_str(&str),
            serialize_bytes(&[u8]),
            serialize_none(),
            serialize_unit(),
            serialize_unit_struct(&'static str),
            serialize_unit_variant(&'static str, u32, &'static str),
        );

        fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<S::Ok, S::Error> {
            Err(not_a_struct())
        }

        fn serialize_newtype_struct<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: &T,
        ) -> Result<S::Ok, S::Error> {
            Err(not_a_struct())
        }

        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<S::Ok, S::Error> {
            Err(not_a_struct())
        }

        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
            Err(not_a_struct())
        }

        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, S::Error> {
            Err(not_a_struct())
        }

        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, S::Error> {
            Err(not_a_struct())
        }

        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, S::Error> {
            Err(not_a_struct())
        }

        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
            Err(not_a_struct())
        }

        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, S::Error> {
            Err(not_a_struct())
        }
    }
}

fn encode_raster(raster: &[u8], codec: RasterCodec) -> Result<RasterRow, StoreError> {
    let encode_error = |e: std::io::Error| StoreError::Encode {
        what: "raster",
        reason: e.to_string(),
    };
    let len = i64::try_from(raster.len()).map_err(|_| StoreError::Encode {
        what: "raster",
        reason: "too large".into(),
    })?;
    let mut crc = Crc::new();
    crc.update(raster);
    let (codec, data) = match codec {
        RasterCodec::Raw => (RAW, raster.to_vec()),
        RasterCodec::Lz4 => (LZ4, lz4_flex::block::compress(raster)),
        RasterCodec::Zlib { level } => {
            (ZLIB, zlib(raster, level.clamp(1, 9)).map_err(encode_error)?)
        }
    };
    Ok(RasterRow {
        codec,
        len,
        crc32: i64::from(crc.sum()),
        data,
    })
}

thread_local! {
    /// One compressor per thread and level, reset for each raster: a new
    /// one allocates and zeroes ~300 KiB of hash tables, which cost more
    /// than compressing a label (issue #17: a tenth of the engine thread's
    /// time went into those allocations and their page faults).
    static COMPRESSOR: std::cell::RefCell<Option<(u32, Compress)>> =
        const { std::cell::RefCell::new(None) };
}

/// `data` as a zlib stream at `level` (1..=9).
fn zlib(data: &[u8], level: u32) -> Result<Vec<u8>, std::io::Error> {
    COMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let compress = match &mut *cell {
            Some((kept, compress)) if *kept == level => {
                compress.reset();
                compress
            }
            slot => {
                &mut slot
                    .insert((level, Compress::new(Compression::new(level), true)))
                    .1
            }
        };
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        loop {
            let read = usize::try_from(compress.total_in()).unwrap_or(usize::MAX);
            let input = data.get(read..).unwrap_or_default();
            let status = compress
                .compress_vec(input, &mut out, FlushCompress::Finish)
                .map_err(std::io::Error::other)?;
            match status {
                Status::StreamEnd => return Ok(out),
                // Out of room: grow and go on.
                Status::Ok | Status::BufError => out.reserve(out.capacity().max(64)),
            }
        }
    })
}

/// The columns [`decode_job`] reads, in order; `j` is `jobs`, `r` is
/// `job_rasters` (LEFT JOINed: a missing raster is a decode error).
pub(crate) const JOB_COLUMNS: &str = "j.seq, j.id, j.printer_id, j.batch_id, j.state, \
     j.created_at, j.started_at, j.finished_at, j.state_changed_at, j.error_code, \
     j.error_message, j.error_detail, j.parent_job_id, j.retry_count, j.copies, \
     j.copies_printed, j.confirmed, j.content_type, j.template, j.submitted_by, j.spec, \
     r.codec, r.len, r.crc32, r.data";

/// Reads column `idx` (named `name` in errors).
fn col<T: FromSql>(row: &Row<'_>, idx: usize, name: &str) -> Result<T, String> {
    row.get(idx).map_err(|e| format!("column {name}: {e}"))
}

fn count(row: &Row<'_>, idx: usize, name: &str) -> Result<u32, String> {
    let value: i64 = col(row, idx, name)?;
    u32::try_from(value).map_err(|_| format!("column {name}: {value} is out of range"))
}

fn parse<T: std::str::FromStr>(text: &str, name: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| format!("column {name}: {text:?}: {e}"))
}

fn ms(value: Option<i64>) -> Option<Timestamp> {
    value.map(Timestamp::from_millis)
}

/// [`JOB_COLUMNS`] without the raster's bytes (`NULL` in their place):
/// what [`decode_job_metadata`] reads. The blob is the last column of its
/// row, so SQLite reads none of its pages.
pub(crate) const JOB_METADATA_COLUMNS: &str = "j.seq, j.id, j.printer_id, j.batch_id, j.state, \
     j.created_at, j.started_at, j.finished_at, j.state_changed_at, j.error_code, \
     j.error_message, j.error_detail, j.parent_job_id, j.retry_count, j.copies, \
     j.copies_printed, j.confirmed, j.content_type, j.template, j.submitted_by, j.spec, \
     r.codec, r.len, r.crc32, NULL";

/// Decodes one row selected with [`JOB_COLUMNS`].
pub(crate) fn decode_job(row: &Row<'_>) -> Result<Job, String> {
    let mut job = decode_job_fields(row)?;
    job.spec.raster = Arc::new(decode_raster(row, 21)?);
    Ok(job)
}

/// Decodes one row selected with [`JOB_METADATA_COLUMNS`]: the job with an
/// empty `spec.raster`, and the raster's length. A job without a raster
/// row is as corrupt as in [`decode_job`]; the raster's bytes are not
/// checked here ([`decode_raster_row`] checks them when they are loaded).
pub(crate) fn decode_job_metadata(row: &Row<'_>) -> Result<(Job, usize), String> {
    let job = decode_job_fields(row)?;
    let codec: Option<String> = col(row, 21, "raster codec")?;
    if codec.is_none() {
        return Err("the raster is missing".into());
    }
    let len: i64 = col(row, 22, "raster len")?;
    let len = usize::try_from(len).map_err(|_| format!("raster len {len} is invalid"))?;
    Ok((job, len))
}

/// The columns [`decode_raster_row`] reads (`r` is `job_rasters`).
pub(crate) const RASTER_COLUMNS: &str = "r.codec, r.len, r.crc32, r.data";

/// Decodes and checks the raster of one row selected with [`RASTER_COLUMNS`].
pub(crate) fn decode_raster_row(row: &Row<'_>) -> Result<Vec<u8>, String> {
    decode_raster(row, 0)
}

/// Every field of one row but the raster (left empty).
fn decode_job_fields(row: &Row<'_>) -> Result<Job, String> {
    let id: String = col(row, 1, "id")?;
    let id: JobId = parse(&id, "id")?;
    let printer_text: String = col(row, 2, "printer_id")?;
    let printer_id: PrinterId = parse(&printer_text, "printer_id")?;
    let batch_text: Option<String> = col(row, 3, "batch_id")?;
    let state: String = col(row, 4, "state")?;
    let state: JobState = parse(&state, "state")?;
    let error_code: Option<String> = col(row, 9, "error_code")?;
    let error_message: Option<String> = col(row, 10, "error_message")?;
    let error_detail: Option<String> = col(row, 11, "error_detail")?;
    let error = match error_code {
        Some(code) => Some(JobError {
            code,
            message: error_message.unwrap_or_default(),
            detail: match error_detail {
                Some(text) => Some(
                    serde_json::from_str(&text).map_err(|e| format!("column error_detail: {e}"))?,
                ),
                None => None,
            },
        }),
        None => None,
    };
    let parent: Option<String> = col(row, 12, "parent_job_id")?;
    let parent_job_id = match parent {
        Some(text) => Some(parse::<JobId>(&text, "parent_job_id")?),
        None => None,
    };
    let copies = count(row, 14, "copies")?;
    let content_type: Option<String> = col(row, 17, "content_type")?;
    let template: Option<String> = col(row, 18, "template")?;
    let submitted_by: Option<String> = col(row, 19, "submitted_by")?;
    let spec_text: String = col(row, 20, "spec")?;

    let mut rest: Map<String, Value> = match serde_json::from_str(&spec_text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err("column spec: not a JSON object".into()),
        Err(e) => return Err(format!("column spec: {e}")),
    };
    rest.insert("printer_id".into(), Value::String(printer_text));
    rest.insert(
        "batch_id".into(),
        batch_text.map(Value::String).unwrap_or(Value::Null),
    );
    rest.insert("copies".into(), Value::from(copies));
    rest.insert(
        "content_type".into(),
        content_type.map(Value::String).unwrap_or(Value::Null),
    );
    rest.insert(
        "template".into(),
        template.map(Value::String).unwrap_or(Value::Null),
    );
    rest.insert(
        "submitted_by".into(),
        submitted_by.map(Value::String).unwrap_or(Value::Null),
    );
    rest.insert("raster".into(), Value::String(String::new()));
    let mut spec: JobSpec =
        serde_json::from_value(Value::Object(rest)).map_err(|e| format!("column spec: {e}"))?;
    if spec.printer_id != printer_id {
        return Err("column printer_id: does not round-trip".into());
    }
    spec.raster = printhub_core::released_raster();

    Ok(Job {
        id,
        spec,
        state,
        created_at: Timestamp::from_millis(col(row, 5, "created_at")?),
        started_at: ms(col(row, 6, "started_at")?),
        finished_at: ms(col(row, 7, "finished_at")?),
        state_changed_at: Timestamp::from_millis(col(row, 8, "state_changed_at")?),
        error: error.map(Box::new),
        parent_job_id,
        retry_count: count(row, 13, "retry_count")?,
        copies_printed: count(row, 15, "copies_printed")?,
        confirmed: col(row, 16, "confirmed")?,
    })
}

/// The raster whose codec, length, CRC-32 and data are columns `at..at + 4`.
fn decode_raster(row: &Row<'_>, at: usize) -> Result<Vec<u8>, String> {
    let codec: Option<String> = col(row, at, "raster codec")?;
    let Some(codec) = codec else {
        return Err("the raster is missing".into());
    };
    let len: i64 = col(row, at + 1, "raster len")?;
    let crc32: i64 = col(row, at + 2, "raster crc32")?;
    let data: Vec<u8> = col(row, at + 3, "raster data")?;
    let len = usize::try_from(len).map_err(|_| format!("raster len {len} is invalid"))?;
    let raster = match codec.as_str() {
        ZLIB => {
            // Read at most one byte more than expected, so a damaged length
            // or a hostile blob cannot make us allocate without bound.
            let mut out = Vec::with_capacity(len.min(64 << 20));
            ZlibDecoder::new(data.as_slice())
                .take(len as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| format!("raster: cannot decompress: {e}"))?;
            out
        }
        LZ4 => {
            if len
                > data
                    .len()
                    .saturating_mul(LZ4_MAX_EXPANSION)
                    .saturating_add(16)
            {
                return Err(format!(
                    "raster len {len} is more than {} bytes of lz4 can hold",
                    data.len()
                ));
            }
            lz4_flex::block::decompress(&data, len)
                .map_err(|e| format!("raster: cannot decompress: {e}"))?
        }
        RAW => data,
        other => return Err(format!("raster: unknown codec {other:?}")),
    };
    if raster.len() != len {
        return Err(format!("raster: {} bytes, expected {len}", raster.len()));
    }
    let mut crc = Crc::new();
    crc.update(&raster);
    if i64::from(crc.sum()) != crc32 {
        return Err("raster: checksum mismatch".into());
    }
    Ok(raster)
}

#[cfg(test)]
mod tests {
    use super::*;
    use printhub_core::{BatchId, JobCommand, PrintOptions};
    use rusqlite::Connection;

    #[test]
    fn one_compressor_per_thread_gives_every_raster_its_own_stream() {
        // The compressor is reused (reset) across rasters and levels; each
        // stream must still be exactly its own raster's, incompressible
        // bytes included (the output buffer then has to grow).
        let noise: Vec<u8> = (0..20_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let inputs: [(&[u8], u32); 5] = [
            (&[0u8; 5000], 1),
            (b"ESC i z label", 1),
            (&noise, 6),
            (&[7u8; 3], 6),
            (&noise, 1),
        ];
        for (data, level) in inputs {
            let z = zlib(data, level).expect("compressed");
            let mut back = Vec::new();
            ZlibDecoder::new(&z[..])
                .read_to_end(&mut back)
                .expect("a whole zlib stream");
            assert_eq!(back, data, "level {level}");
        }
    }

    /// A job with every optional field set, so a dropped field shows.
    fn full_job() -> Job {
        let spec = JobSpec {
            printer_id: PrinterId::from_u128(1),
            batch_id: Some(BatchId::from_u128(2)),
            raster: Arc::new((0..5000u32).map(|i| (i * 7 % 251) as u8).collect()),
            copies: 3,
            media_id: "tze-12".into(),
            model: "PT-P750W".into(),
            options: PrintOptions {
                cut: true,
                half_cut: true,
                chain: true,
                high_res: true,
            },
            content_type: Some("qr_one_line".into()),
            template: Some("box".into()),
            submitted_by: Some("inventory".into()),
            source_address: Some("192.0.2.7".into()),
            request: Some(serde_json::json!({ "content_type": "qr_one_line" }).into()),
            relayouts: vec![printhub_core::job::Relayout {
                from_media: "tze-12".into(),
                to_media: "tze-24".into(),
                at: Timestamp::from_millis(15),
            }],
        };
        let mut job = Job::new(JobId::from_u128(3), spec, Timestamp::from_millis(10));
        job.apply(JobCommand::Start, Timestamp::from_millis(20))
            .expect("start");
        job.apply(JobCommand::Fail, Timestamp::from_millis(30))
            .expect("fail");
        job.error = Some(Box::new(JobError {
            code: "no_media".into(),
            message: "no tape".into(),
            detail: Some(serde_json::json!({"media": "tze-12", "n": [1, 2]})),
        }));
        job.parent_job_id = Some(JobId::from_u128(4));
        job.retry_count = 2;
        job.copies_printed = 1;
        job.confirmed = true;
        job
    }

    fn round_trip(job: &Job, codec: RasterCodec) -> Job {
        let row = JobRow::encode(job, codec).expect("encode");
        let conn = Connection::open_in_memory().expect("open");
        let raster = row.raster.as_ref().expect("a raster");
        let sql = "SELECT 7 AS seq, ?1 AS id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
                   ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24";
        let raster_columns: [&dyn rusqlite::ToSql; 4] =
            [&raster.codec, &raster.len, &raster.crc32, &raster.data];
        conn.query_row(
            sql,
            rusqlite::params_from_iter(row.columns().into_iter().chain(raster_columns)),
            |r| Ok(decode_job(r)),
        )
        .expect("query")
        .expect("decode")
    }

    /// [`decode_raster`] over the four raster columns as given.
    fn decode_columns(codec: &str, len: i64, crc32: i64, data: &[u8]) -> Result<Vec<u8>, String> {
        let conn = Connection::open_in_memory().expect("open");
        conn.query_row(
            "SELECT ?1, ?2, ?3, ?4",
            rusqlite::params![codec, len, crc32, data],
            |r| Ok(decode_raster(r, 0)),
        )
        .expect("query")
    }

    #[test]
    fn lz4_rasters_round_trip_and_damage_is_refused_not_printed() {
        let raster: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let row = encode_raster(&raster, RasterCodec::Lz4).expect("encode");
        assert_eq!(row.codec, LZ4);
        assert!(row.data.len() < raster.len(), "compressed");
        assert_eq!(
            decode_columns(LZ4, row.len, row.crc32, &row.data).as_deref(),
            Ok(&raster[..])
        );
        // A flipped byte: the block no longer decodes, or decodes to other
        // bytes that the CRC catches.
        let mut flipped = row.data.clone();
        flipped[row.data.len() / 2] ^= 0x5a;
        assert!(decode_columns(LZ4, row.len, row.crc32, &flipped).is_err());
        // Truncated.
        let cut = &row.data[..row.data.len() - 7];
        assert!(decode_columns(LZ4, row.len, row.crc32, cut).is_err());
        // A length no LZ4 block of this size can produce is refused before
        // anything is allocated for it.
        let err = decode_columns(LZ4, 1 << 40, row.crc32, &row.data).expect_err("len");
        assert!(err.contains("more than"), "{err}");
        // A length that is wrong but possible: refused too.
        assert!(decode_columns(LZ4, row.len - 1, row.crc32, &row.data).is_err());
        // Rows written as zlib or raw before still read.
        for codec in [RasterCodec::Zlib { level: 1 }, RasterCodec::Raw] {
            let old = encode_raster(&raster, codec).expect("encode");
            assert_eq!(
                decode_columns(old.codec, old.len, old.crc32, &old.data).as_deref(),
                Ok(&raster[..])
            );
        }
    }

    #[test]
    fn every_field_round_trips() {
        let job = full_job();
        assert_eq!(round_trip(&job, RasterCodec::Zlib { level: 6 }), job);
        assert_eq!(round_trip(&job, RasterCodec::Raw), job);
        assert_eq!(round_trip(&job, RasterCodec::Lz4), job);
        let plain = Job::new(
            JobId::from_u128(9),
            JobSpec::new(PrinterId::from_u128(1), "QL-820NWB", "dk-62", vec![1]),
            Timestamp::from_millis(1),
        );
        assert_eq!(round_trip(&plain, RasterCodec::Lz4), plain);
        assert_eq!(round_trip(&plain, RasterCodec::Zlib { level: 1 }), plain);
    }

    #[test]
    fn the_spec_json_is_the_spec_less_its_raster_and_columned_fields() {
        // What the row holds is exactly the spec's own JSON with those keys
        // taken out (the raster included: its base64 never reaches the row).
        let job = full_job();
        let row = JobRow::encode(&job, RasterCodec::Lz4).expect("encode");
        let mut want = serde_json::to_value(&job.spec).expect("spec json");
        if let Value::Object(map) = &mut want {
            for key in COLUMN_KEYS {
                map.remove(key);
            }
        }
        let got: Value = serde_json::from_str(&row.spec).expect("json");
        assert_eq!(got, want);
        assert!(!row.spec.contains(r#""raster""#));
        // Anything but a struct is refused, not written half.
        let not_a_struct = serde_json::to_string(&without::Without {
            value: &vec![1, 2],
            skip: &COLUMN_KEYS,
        });
        assert!(not_a_struct.is_err());
    }

    #[test]
    fn the_spec_json_holds_no_raster_and_no_columned_field() {
        let row = JobRow::encode(&full_job(), RasterCodec::Zlib { level: 6 }).expect("encode");
        let spec: Map<String, Value> = serde_json::from_str(&row.spec).expect("json");
        for key in COLUMN_KEYS {
            assert!(!spec.contains_key(key), "{key} in {spec:?}");
        }
        assert_eq!(spec["model"], "PT-P750W");
        let raster = row.raster.expect("a raster");
        assert!(raster.data.len() < 5000, "compressed");
        assert_eq!(raster.codec, ZLIB);
    }
}

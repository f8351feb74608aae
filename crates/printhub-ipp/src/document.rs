//! A job's document bytes, made ready for the renderer: decompressed
//! (`compression` gzip or deflate, RFC 8011 §5.4.32) within a size limit, and
//! its format named (`application/octet-stream` is sniffed from the first
//! bytes).
//!
//! Pure: bytes in, bytes out.

use std::io::Read;

use thiserror::Error;

use crate::service::{Compression, DocumentFormat};

/// Why a document cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DocumentError {
    /// The compressed data is broken.
    #[error("the document does not decompress: {0}")]
    Compression(String),
    /// It is larger than the limit once decompressed.
    #[error("the document is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// `application/octet-stream` whose bytes are no format this printer knows.
    #[error("the document is not JPEG, PNG, PWG raster or URF")]
    Unknown,
    /// The document is empty.
    #[error("the document is empty")]
    Empty,
}

impl DocumentError {
    /// The stable machine code.
    pub const fn code(&self) -> &'static str {
        match self {
            DocumentError::Compression(_) => "ipp_compression_error",
            DocumentError::TooLarge { .. } => "ipp_document_too_large",
            DocumentError::Unknown => "ipp_document_format_unknown",
            DocumentError::Empty => "ipp_document_empty",
        }
    }

    /// The IPP status it is answered with.
    pub const fn status(&self) -> u16 {
        use crate::status::code;
        match self {
            DocumentError::Compression(_) => code::COMPRESSION_ERROR,
            DocumentError::TooLarge { .. } => code::REQUEST_ENTITY_TOO_LARGE,
            DocumentError::Unknown => code::DOCUMENT_FORMAT_NOT_SUPPORTED,
            DocumentError::Empty => code::DOCUMENT_FORMAT_ERROR,
        }
    }
}

/// `bytes` decompressed, at most `limit` bytes.
pub fn decompress(
    bytes: &[u8],
    compression: Compression,
    limit: usize,
) -> Result<Vec<u8>, DocumentError> {
    let mut out = Vec::new();
    let cap = limit as u64 + 1;
    let read = match compression {
        Compression::None => {
            out.extend_from_slice(bytes);
            Ok(out.len())
        }
        Compression::Gzip => flate2::read::GzDecoder::new(bytes)
            .take(cap)
            .read_to_end(&mut out),
        Compression::Deflate => flate2::read::DeflateDecoder::new(bytes)
            .take(cap)
            .read_to_end(&mut out),
    };
    read.map_err(|e| DocumentError::Compression(e.to_string()))?;
    if out.len() > limit {
        return Err(DocumentError::TooLarge { limit });
    }
    if out.is_empty() {
        return Err(DocumentError::Empty);
    }
    Ok(out)
}

/// The format of `bytes`: the one declared, or for
/// `application/octet-stream` the one its magic bytes show.
pub fn sniff(declared: DocumentFormat, bytes: &[u8]) -> Result<DocumentFormat, DocumentError> {
    if declared != DocumentFormat::Auto {
        return Ok(declared);
    }
    // JPEG SOI (FF D8 FF), the PNG signature, PWG raster "RaS2" (PWG
    // 5102.4 §4.3), URF "UNIRAST\0".
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Ok(DocumentFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(DocumentFormat::Png)
    } else if bytes.starts_with(b"RaS2") {
        Ok(DocumentFormat::PwgRaster)
    } else if bytes.starts_with(b"UNIRAST\0") {
        Ok(DocumentFormat::Urf)
    } else {
        Err(DocumentError::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_and_deflate_round_trip_within_the_limit() {
        let data = b"\xff\xd8\xff a jpeg, or so it says".repeat(10);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&data).expect("write");
        let gz = gz.finish().expect("gzip");
        assert_eq!(
            decompress(&gz, Compression::Gzip, 1 << 20),
            Ok(data.clone())
        );
        let mut df = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        df.write_all(&data).expect("write");
        let df = df.finish().expect("deflate");
        assert_eq!(
            decompress(&df, Compression::Deflate, 1 << 20),
            Ok(data.clone())
        );
        assert_eq!(
            decompress(&gz, Compression::Gzip, data.len() - 1),
            Err(DocumentError::TooLarge {
                limit: data.len() - 1
            })
        );
        assert_eq!(
            decompress(b"not gzip", Compression::Gzip, 100).map_err(|e| e.code()),
            Err("ipp_compression_error")
        );
        assert_eq!(
            decompress(b"", Compression::None, 100),
            Err(DocumentError::Empty)
        );
    }

    #[test]
    fn octet_stream_is_sniffed_by_magic_bytes() {
        let auto = DocumentFormat::Auto;
        assert_eq!(sniff(auto, b"\xff\xd8\xff\xe0"), Ok(DocumentFormat::Jpeg));
        assert_eq!(
            sniff(auto, b"\x89PNG\r\n\x1a\n...."),
            Ok(DocumentFormat::Png)
        );
        assert_eq!(sniff(auto, b"RaS2...."), Ok(DocumentFormat::PwgRaster));
        assert_eq!(sniff(auto, b"UNIRAST\0...."), Ok(DocumentFormat::Urf));
        assert_eq!(sniff(auto, b"%PDF-1.7"), Err(DocumentError::Unknown));
        assert_eq!(
            sniff(DocumentFormat::Png, b"anything"),
            Ok(DocumentFormat::Png)
        );
    }
}

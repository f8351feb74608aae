//! The IPP operation ids and status codes this printer speaks, from the IANA
//! IPP registry (RFC 8011 §5.4.15 and §B, PWG 5100.11 for Cancel-My-Jobs and
//! Close-Job, PWG 5100.13 for Identify-Printer). The `ipp` crate's
//! `Operation` and `StatusCode` enums lack some of them, so they are listed
//! here as plain numbers.
//!
//! Pure data.

/// An operation a client may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Print-Job (0x0002).
    PrintJob,
    /// Validate-Job (0x0004).
    ValidateJob,
    /// Create-Job (0x0005).
    CreateJob,
    /// Send-Document (0x0006).
    SendDocument,
    /// Cancel-Job (0x0008).
    CancelJob,
    /// Get-Job-Attributes (0x0009).
    GetJobAttributes,
    /// Get-Jobs (0x000A).
    GetJobs,
    /// Get-Printer-Attributes (0x000B).
    GetPrinterAttributes,
    /// Cancel-My-Jobs (0x0039).
    CancelMyJobs,
    /// Close-Job (0x003B).
    CloseJob,
    /// Identify-Printer (0x003C).
    IdentifyPrinter,
}

impl Operation {
    /// Every operation, in id order.
    pub const ALL: [Operation; 11] = [
        Operation::PrintJob,
        Operation::ValidateJob,
        Operation::CreateJob,
        Operation::SendDocument,
        Operation::CancelJob,
        Operation::GetJobAttributes,
        Operation::GetJobs,
        Operation::GetPrinterAttributes,
        Operation::CancelMyJobs,
        Operation::CloseJob,
        Operation::IdentifyPrinter,
    ];

    /// The operation-id on the wire.
    pub const fn id(self) -> u16 {
        match self {
            Operation::PrintJob => 0x0002,
            Operation::ValidateJob => 0x0004,
            Operation::CreateJob => 0x0005,
            Operation::SendDocument => 0x0006,
            Operation::CancelJob => 0x0008,
            Operation::GetJobAttributes => 0x0009,
            Operation::GetJobs => 0x000A,
            Operation::GetPrinterAttributes => 0x000B,
            Operation::CancelMyJobs => 0x0039,
            Operation::CloseJob => 0x003B,
            Operation::IdentifyPrinter => 0x003C,
        }
    }

    /// The operation with this id, if this printer knows it.
    pub fn from_id(id: u16) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.id() == id)
    }
}

/// Status codes (IANA IPP registry, "status-code").
pub mod code {
    /// successful-ok.
    pub const OK: u16 = 0x0000;
    /// successful-ok-ignored-or-substituted-attributes.
    pub const OK_IGNORED_OR_SUBSTITUTED: u16 = 0x0001;
    /// client-error-bad-request.
    pub const BAD_REQUEST: u16 = 0x0400;
    /// client-error-forbidden.
    pub const FORBIDDEN: u16 = 0x0401;
    /// client-error-not-authenticated.
    pub const NOT_AUTHENTICATED: u16 = 0x0402;
    /// client-error-not-possible.
    pub const NOT_POSSIBLE: u16 = 0x0404;
    /// client-error-not-found.
    pub const NOT_FOUND: u16 = 0x0406;
    /// client-error-request-entity-too-large.
    pub const REQUEST_ENTITY_TOO_LARGE: u16 = 0x0408;
    /// client-error-document-format-not-supported.
    pub const DOCUMENT_FORMAT_NOT_SUPPORTED: u16 = 0x040A;
    /// client-error-attributes-or-values-not-supported.
    pub const ATTRIBUTES_OR_VALUES_NOT_SUPPORTED: u16 = 0x040B;
    /// client-error-charset-not-supported.
    pub const CHARSET_NOT_SUPPORTED: u16 = 0x040D;
    /// client-error-compression-not-supported.
    pub const COMPRESSION_NOT_SUPPORTED: u16 = 0x040F;
    /// client-error-compression-error.
    pub const COMPRESSION_ERROR: u16 = 0x0410;
    /// client-error-document-format-error.
    pub const DOCUMENT_FORMAT_ERROR: u16 = 0x0411;
    /// client-error-document-unprintable-error (PWG 5100.7).
    pub const DOCUMENT_UNPRINTABLE: u16 = 0x041B;
    /// server-error-internal-error.
    pub const INTERNAL_ERROR: u16 = 0x0500;
    /// server-error-operation-not-supported.
    pub const OPERATION_NOT_SUPPORTED: u16 = 0x0501;
    /// server-error-service-unavailable.
    pub const SERVICE_UNAVAILABLE: u16 = 0x0502;
    /// server-error-version-not-supported.
    pub const VERSION_NOT_SUPPORTED: u16 = 0x0503;
    /// server-error-not-accepting-jobs.
    pub const NOT_ACCEPTING_JOBS: u16 = 0x0506;
    /// server-error-busy.
    pub const BUSY: u16 = 0x0507;
    /// server-error-multiple-document-jobs-not-supported.
    pub const MULTIPLE_DOCUMENT_JOBS_NOT_SUPPORTED: u16 = 0x0509;
}

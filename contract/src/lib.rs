//! The contract between the pieces of the pipeline: what an SQS body may hold, how keys are
//! decoded, guarded and derived, the shared defaults, and the rejection record. The trigger, the
//! processor and the load tester all read it, so it depends on serde and thiserror only.

pub mod defaults;
pub mod keys;
#[cfg(feature = "logging")]
pub mod logging;
pub mod message;
pub mod rejection;

pub use keys::{
    BadKey, KeyStyle, UNSAFE_KEY_RECORDS, decode_key, encode_key, is_safe_key, output_key,
    rejection_key, strip_extension,
};
pub use message::{
    FailedEvent, Job, MessageError, Request, parse_body, parse_failed_event, parse_s3_event,
};
pub use rejection::RejectionRecord;

//! The JSON record written under the rejected prefix for an upload that can never be rendered.

use serde::{Deserialize, Serialize};

/// Why one upload was rejected. Field names are a contract: audits and users' tools read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionRecord {
    pub bucket: String,
    pub key: String,
    /// Stable snake_case class: `truncated`, `too_large`, `unsafe_key`, ...
    pub error_kind: String,
    pub reason: String,
    pub message_id: String,
    pub etag: Option<String>,
    /// RFC 3339, UTC.
    pub time: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let record = RejectionRecord {
            bucket: "b".into(),
            key: "uploads/x.jpg".into(),
            error_kind: "truncated".into(),
            reason: "truncated JPEG data".into(),
            message_id: "m-1".into(),
            etag: None,
            time: "2026-11-30T12:00:00Z".into(),
        };
        let text = serde_json::to_string_pretty(&record).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["error_kind"], "truncated");
        assert!(value["etag"].is_null());
        assert_eq!(
            serde_json::from_str::<RejectionRecord>(&text).unwrap(),
            record
        );
    }
}

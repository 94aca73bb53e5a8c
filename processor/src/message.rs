//! The message contract between S3, the trigger and the processor: what an SQS body may hold.
//!
//! Parsing is deliberately lenient. Only the fields the pipeline needs are read, and each is
//! optional, because emulators send S3 events that differ from AWS's (no time zone in
//! `eventTime`, missing `userIdentity`, `/` form-encoded in keys).

use serde::{Deserialize, Serialize};

/// One object to render, wherever the request came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub bucket: String,
    /// The object key, decoded (never URL-encoded).
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Renditions in the text form of [`crate::imaging::parse_renditions`]; the processor's
    /// configured renditions when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renditions: Option<String>,
}

/// What an SQS message body asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Objects to render (an S3 notification may carry several records).
    Jobs(Vec<Job>),
    /// Nothing to do, acknowledged: an `s3:TestEvent`, or only non-creation records.
    Ignore(&'static str),
}

/// Why a message body could not be understood; permanent, since the body never changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("the message body is not JSON: {0}")]
    NotJson(String),
    #[error("the message body is neither an S3 event nor a job")]
    UnknownShape,
    #[error("record {index} lacks `{field}`")]
    MissingField { index: usize, field: &'static str },
    #[error("object key `{0}` is not valid URL-encoded UTF-8")]
    BadKey(String),
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Records")]
    records: Option<Vec<S3Record>>,
    #[serde(rename = "Event")]
    event: Option<String>,
    #[serde(flatten)]
    job: Option<Job>,
}

/// The parts of an S3 event record the pipeline uses.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct S3Record {
    #[serde(default)]
    event_name: Option<String>,
    #[serde(default)]
    s3: Option<S3Entity>,
}

#[derive(Debug, Deserialize)]
struct S3Entity {
    #[serde(default)]
    bucket: Option<Named>,
    #[serde(default)]
    object: Option<S3Object>,
}

#[derive(Debug, Deserialize)]
struct Named {
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct S3Object {
    key: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default, alias = "etag")]
    e_tag: Option<String>,
    #[serde(default)]
    version_id: Option<String>,
}

/// Parses one SQS message body: an S3 event notification, an `s3:TestEvent`, or a [`Job`].
pub fn parse_body(body: &str) -> Result<Request, MessageError> {
    let envelope: Envelope =
        serde_json::from_str(body).map_err(|e| MessageError::NotJson(e.to_string()))?;
    if let Some(records) = envelope.records {
        return jobs_from_records(records);
    }
    if envelope.event.as_deref() == Some("s3:TestEvent") {
        return Ok(Request::Ignore("s3:TestEvent"));
    }
    match envelope.job {
        Some(job) if !job.bucket.is_empty() && !job.key.is_empty() => Ok(Request::Jobs(vec![job])),
        _ => Err(MessageError::UnknownShape),
    }
}

/// Turns S3 event records into jobs, keeping only `ObjectCreated:*` records.
fn jobs_from_records(records: Vec<S3Record>) -> Result<Request, MessageError> {
    let mut jobs = Vec::with_capacity(records.len());
    for (index, record) in records.into_iter().enumerate() {
        let created = record
            .event_name
            .as_deref()
            .is_some_and(|name| name.starts_with("ObjectCreated:"));
        if !created {
            continue;
        }
        let missing = |field| MessageError::MissingField { index, field };
        let s3 = record.s3.ok_or_else(|| missing("s3"))?;
        let bucket = s3
            .bucket
            .and_then(|b| b.name)
            .ok_or_else(|| missing("s3.bucket.name"))?;
        let object = s3.object.ok_or_else(|| missing("s3.object"))?;
        let raw_key = object.key.ok_or_else(|| missing("s3.object.key"))?;
        jobs.push(Job {
            bucket,
            key: decode_key(&raw_key)?,
            size: object.size,
            etag: object.e_tag.map(|tag| tag.trim_matches('"').to_owned()),
            version_id: object.version_id,
            renditions: None,
        });
    }
    if jobs.is_empty() {
        Ok(Request::Ignore("no ObjectCreated records"))
    } else {
        Ok(Request::Jobs(jobs))
    }
}

/// Parses the S3 event a Lambda receives directly (the trigger), as leniently as SQS bodies.
pub fn parse_s3_event(payload: serde_json::Value) -> Result<Request, MessageError> {
    let envelope: Envelope =
        serde_json::from_value(payload).map_err(|e| MessageError::NotJson(e.to_string()))?;
    jobs_from_records(envelope.records.ok_or(MessageError::UnknownShape)?)
}

/// Decodes a key as S3 writes it in event notifications: form encoding, `+` for a space.
pub fn decode_key(raw: &str) -> Result<String, MessageError> {
    let bad = || MessageError::BadKey(raw.to_owned());
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3).ok_or_else(bad)?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_form_decoded() {
        assert_eq!(
            decode_key("uploads%2Fcat+1.jpg").unwrap(),
            "uploads/cat 1.jpg"
        );
        assert_eq!(decode_key("a%2Bb%25c%C3%A9.jpg").unwrap(), "a+b%cé.jpg");
        assert_eq!(decode_key("plain/key.jpg").unwrap(), "plain/key.jpg");
        for bad in ["bad%2", "bad%zz", "bad%ff%fe"] {
            assert!(
                matches!(decode_key(bad), Err(MessageError::BadKey(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_job_body_parses_and_round_trips() {
        let job = Job {
            bucket: "b".into(),
            key: "uploads/x y.jpg".into(),
            size: Some(10),
            etag: Some("abc".into()),
            version_id: None,
            renditions: Some("t:10x10".into()),
        };
        let body = serde_json::to_string(&job).unwrap();
        assert_eq!(parse_body(&body).unwrap(), Request::Jobs(vec![job]));
    }

    #[test]
    fn unknown_shapes_and_non_json_are_errors() {
        assert!(matches!(parse_body("nope"), Err(MessageError::NotJson(_))));
        assert_eq!(
            parse_body(r#"{"hello": 1}"#),
            Err(MessageError::UnknownShape)
        );
        assert_eq!(
            parse_body(r#"{"bucket": "", "key": "k"}"#),
            Err(MessageError::UnknownShape)
        );
    }

    #[test]
    fn removal_records_are_ignored() {
        let body = r#"{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{}}]}"#;
        assert!(matches!(parse_body(body), Ok(Request::Ignore(_))));
    }
}

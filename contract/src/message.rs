//! The message contract between S3, the trigger and the processor: what an SQS body may hold.
//!
//! Parsing is deliberately lenient. Only the fields the pipeline needs are read, and each is
//! optional, because emulators send S3 events that differ from AWS's (no time zone in
//! `eventTime`, missing `userIdentity`, `/` form-encoded in keys).

use serde::{Deserialize, Serialize};

use crate::keys::{BadKey, decode_key};

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
    /// Renditions in the text form of the `RENDITIONS` setting; the processor's configured
    /// renditions when absent.
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
    #[error(transparent)]
    BadKey(#[from] BadKey),
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
    if let Some(request) = s3_request(&envelope)? {
        return Ok(request);
    }
    match envelope.job {
        Some(job) if !job.bucket.is_empty() && !job.key.is_empty() => Ok(Request::Jobs(vec![job])),
        _ => Err(MessageError::UnknownShape),
    }
}

/// The request of an S3 notification (records or a test event); `None` for other shapes.
fn s3_request(envelope: &Envelope) -> Result<Option<Request>, MessageError> {
    if let Some(records) = &envelope.records {
        return jobs_from_records(records).map(Some);
    }
    if envelope.event.as_deref() == Some("s3:TestEvent") {
        return Ok(Some(Request::Ignore("s3:TestEvent")));
    }
    Ok(None)
}

/// Turns S3 event records into jobs, keeping only `ObjectCreated:*` records.
fn jobs_from_records(records: &[S3Record]) -> Result<Request, MessageError> {
    let mut jobs = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        let created = record
            .event_name
            .as_deref()
            .is_some_and(|name| name.starts_with("ObjectCreated:"));
        if !created {
            continue;
        }
        let missing = |field| MessageError::MissingField { index, field };
        let s3 = record.s3.as_ref().ok_or_else(|| missing("s3"))?;
        let bucket = s3
            .bucket
            .as_ref()
            .and_then(|b| b.name.clone())
            .ok_or_else(|| missing("s3.bucket.name"))?;
        let object = s3.object.as_ref().ok_or_else(|| missing("s3.object"))?;
        let raw_key = object
            .key
            .as_deref()
            .ok_or_else(|| missing("s3.object.key"))?;
        jobs.push(Job {
            bucket,
            key: decode_key(raw_key)?,
            size: object.size,
            etag: object
                .e_tag
                .as_ref()
                .map(|tag| tag.trim_matches('"').to_owned()),
            version_id: object.version_id.clone(),
            renditions: None,
        });
    }
    if jobs.is_empty() {
        Ok(Request::Ignore("no ObjectCreated records"))
    } else {
        Ok(Request::Jobs(jobs))
    }
}

/// Parses the S3 event a Lambda receives directly (the trigger), as leniently as SQS bodies: S3
/// event records, or an `s3:TestEvent` to acknowledge.
pub fn parse_s3_event(payload: serde_json::Value) -> Result<Request, MessageError> {
    let envelope: Envelope =
        serde_json::from_value(payload).map_err(|e| MessageError::NotJson(e.to_string()))?;
    s3_request(&envelope)?.ok_or(MessageError::UnknownShape)
}

/// What Lambda sends to an on-failure destination when it gives an asynchronous event up (for
/// the trigger, an S3 event): the event itself, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedEvent {
    pub request_payload: serde_json::Value,
    /// `RetriesExhausted` or `EventAgeExceeded`.
    pub condition: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvocationRecord {
    request_payload: serde_json::Value,
    #[serde(default)]
    request_context: Option<RequestContext>,
}

#[derive(Deserialize)]
struct RequestContext {
    #[serde(default)]
    condition: Option<String>,
}

/// Parses the record of an asynchronous invocation Lambda gave up on.
pub fn parse_failed_event(body: &str) -> Result<FailedEvent, MessageError> {
    let record: InvocationRecord =
        serde_json::from_str(body).map_err(|e| MessageError::NotJson(e.to_string()))?;
    Ok(FailedEvent {
        request_payload: record.request_payload,
        condition: record.request_context.and_then(|c| c.condition),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_failed_event_record_gives_back_its_s3_event() {
        let record = r#"{"version":"1.0","requestContext":{"condition":"EventAgeExceeded"},
            "requestPayload":{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},
            "object":{"key":"uploads/a+b.jpg"}}}]},"responsePayload":null}"#;
        let failed = parse_failed_event(record).unwrap();
        assert_eq!(failed.condition.as_deref(), Some("EventAgeExceeded"));
        match parse_s3_event(failed.request_payload).unwrap() {
            Request::Jobs(jobs) => assert_eq!(jobs[0].key, "uploads/a b.jpg"),
            other => panic!("{other:?}"),
        }
        assert!(parse_failed_event(r#"{"hello": 1}"#).is_err());
    }

    #[test]
    fn removal_records_are_ignored() {
        let body = r#"{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{}}]}"#;
        assert!(matches!(parse_body(body), Ok(Request::Ignore(_))));
    }
}

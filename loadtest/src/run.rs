//! One load-test run: what every part of it shares, and the timeline of when each upload was
//! made and when its outcome appeared.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use serde::ser::{Serialize, SerializeTuple, Serializer};

use crate::deployment::Deployment;

/// What should become of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// All its renditions, decodable and of the planned sizes.
    Done,
    /// A rejection record with this `error_kind`.
    Rejected(&'static str),
}

/// An image to upload and what should become of it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub key: String,
    pub bytes: Bytes,
    pub expected: Expected,
}

/// When each upload finished and when its outcome appeared.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub uploaded_s: HashMap<String, f64>,
    pub done_s: HashMap<String, f64>,
    pub rejected_s: HashMap<String, f64>,
    pub upload_errors: u64,
    /// The first upload failure, verbatim.
    pub first_upload_error: Option<String>,
    pub queue_depth: Vec<QueueSample>,
    pub dlq_depth: Vec<DlqSample>,
    /// Uploads of this run whose message is in the dead-letter queue.
    pub dlq_keys: HashSet<String>,
    /// Trigger mode: uploads whose event is a record in the trigger's failure queue.
    pub trigger_failure_keys: HashSet<String>,
    pub wall_s: f64,
}

/// The work queue's depth at one moment of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueSample {
    /// Seconds since the run started.
    pub at_s: f64,
    pub visible: u64,
    pub in_flight: u64,
}

/// `report.json` carries each sample as `[seconds, visible, in flight]`.
impl Serialize for QueueSample {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(3)?;
        tuple.serialize_element(&self.at_s)?;
        tuple.serialize_element(&self.visible)?;
        tuple.serialize_element(&self.in_flight)?;
        tuple.end()
    }
}

/// The dead-letter queue's depth at one moment of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DlqSample {
    /// Seconds since the run started.
    pub at_s: f64,
    /// Messages in the queue, visible or not.
    pub messages: u64,
}

/// `report.json` carries each sample as `[seconds, messages]`.
impl Serialize for DlqSample {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.at_s, self.messages).serialize(serializer)
    }
}

/// What every part of one run shares: the clients, the deployment, where the run's uploads go,
/// and the timeline they fill in.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub deployment: Deployment,
    /// The key prefix of this run's uploads (under the input prefix).
    pub run_prefix: String,
    /// The files each processed upload leaves: (rendition name, extension), one per format.
    pub rendition_files: Vec<(String, &'static str)>,
    pub started: Instant,
    pub timeline: Arc<Mutex<Timeline>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_samples_serialise_as_triples() {
        let sample = QueueSample {
            at_s: 1.5,
            visible: 2,
            in_flight: 3,
        };
        assert_eq!(serde_json::to_string(&sample).unwrap(), "[1.5,2,3]");
    }
}

//! The trigger Lambda's logic: S3 event in, validated jobs out to the processor's queue.
//!
//! It exists for `notification_mode = "trigger"`, where S3 invokes a function rather than
//! notifying SQS directly: it filters what should never be processed, then enqueues with
//! `SendMessageBatch`, retrying the entries a batch reports as failed.

pub mod redrive;
mod sqs;

use std::future::Future;
use std::time::Duration;

use contract::{Job, MessageError, Request, defaults, parse_s3_event};

pub use sqs::{SqsFailureQueue, SqsQueue};

/// SQS takes at most ten entries per `SendMessageBatch`.
pub const MAX_BATCH: usize = 10;

/// The trigger's configuration, read once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerConfig {
    pub queue_url: String,
    pub input_prefix: String,
    pub output_prefix: String,
    pub rejected_prefix: String,
    /// Lower-case name endings accepted (`.jpg`, `.png`, ...); empty accepts every name.
    pub suffixes: Vec<String>,
    pub max_bytes: u64,
    /// Attempts per entry before the invocation fails.
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {name}={value:?}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: &'static str,
}

impl TriggerConfig {
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str, default: &str| {
            var(name)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let queue_url = get("QUEUE_URL", "");
        if queue_url.is_empty() {
            return Err(ConfigError {
                name: "QUEUE_URL",
                value: queue_url,
                reason: "the processor queue's URL is required",
            });
        }
        let max_bytes = get("MAX_BYTES", &defaults::MAX_BYTES.to_string());
        let max_bytes = max_bytes.parse().map_err(|_| ConfigError {
            name: "MAX_BYTES",
            value: max_bytes,
            reason: "not a whole number",
        })?;
        Ok(Self {
            queue_url,
            input_prefix: get("INPUT_PREFIX", defaults::INPUT_PREFIX),
            output_prefix: get("OUTPUT_PREFIX", defaults::OUTPUT_PREFIX),
            rejected_prefix: get("REJECTED_PREFIX", defaults::REJECTED_PREFIX),
            suffixes: get("INPUT_SUFFIXES", &defaults::INPUT_SUFFIXES.join(","))
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
            max_bytes,
            attempts: 3,
        })
    }

    /// Why `job` should not be enqueued, if it should not.
    pub fn skip_reason(&self, job: &Job) -> Option<String> {
        let key = &job.key;
        if key.starts_with(&self.output_prefix) || key.starts_with(&self.rejected_prefix) {
            return Some("under the output or rejected prefix".to_owned());
        }
        if !key.starts_with(&self.input_prefix) {
            return Some(format!(
                "not under the input prefix {:?}",
                self.input_prefix
            ));
        }
        let lower = key.to_ascii_lowercase();
        if !self.suffixes.is_empty() && !self.suffixes.iter().any(|suffix| lower.ends_with(suffix))
        {
            return Some(format!(
                "the name does not end with one of {:?}",
                self.suffixes
            ));
        }
        match job.size {
            Some(size) if size > self.max_bytes => Some(format!(
                "{size} bytes, over the limit of {}",
                self.max_bytes
            )),
            _ => None,
        }
    }
}

/// One `SendMessageBatch` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Unique within one batch call.
    pub id: String,
    pub body: String,
}

/// A whole call that failed (as opposed to entries the call reports as failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueueError(pub String);

/// The queue the jobs go to.
pub trait JobQueue: Send + Sync {
    /// Sends up to [`MAX_BATCH`] entries and returns the ids of those that failed.
    fn send_batch(
        &self,
        entries: &[Entry],
    ) -> impl Future<Output = Result<Vec<String>, QueueError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("the event is not an S3 notification: {0}")]
    BadEvent(#[from] MessageError),
    #[error(
        "{failed} of {total} jobs could not be enqueued after {attempts} attempts: {last_error}"
    )]
    NotEnqueued {
        failed: usize,
        total: usize,
        attempts: u32,
        last_error: String,
    },
}

/// What one invocation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub enqueued: usize,
    pub skipped: usize,
}

/// Validates the records of one S3 event and enqueues the jobs that pass.
pub async fn handle_event<Q: JobQueue>(
    config: &TriggerConfig,
    queue: &Q,
    payload: serde_json::Value,
) -> Result<Summary, TriggerError> {
    let jobs = match parse_s3_event(payload)? {
        Request::Jobs(jobs) => jobs,
        Request::Ignore(why) => {
            tracing::info!(reason = why, "event ignored");
            return Ok(Summary::default());
        }
    };
    let mut summary = Summary::default();
    let mut bodies = Vec::with_capacity(jobs.len());
    for job in jobs {
        match config.skip_reason(&job) {
            Some(reason) => {
                tracing::warn!(bucket = %job.bucket, key = %job.key, reason, "skipped");
                summary.skipped += 1;
            }
            None => bodies.push(serde_json::to_string(&job).expect("a job serialises")),
        }
    }
    summary.enqueued = bodies.len();
    for chunk in bodies.chunks(MAX_BATCH) {
        send_with_retries(queue, chunk, config.attempts).await?;
    }
    tracing::info!(
        enqueued = summary.enqueued,
        skipped = summary.skipped,
        "event handled"
    );
    Ok(summary)
}

/// Sends one chunk, resending only the entries that failed, with a growing pause between tries.
async fn send_with_retries<Q: JobQueue>(
    queue: &Q,
    bodies: &[String],
    attempts: u32,
) -> Result<(), TriggerError> {
    let mut pending: Vec<Entry> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| Entry {
            id: i.to_string(),
            body: body.clone(),
        })
        .collect();
    let mut last_error = String::new();
    for attempt in 1..=attempts {
        match queue.send_batch(&pending).await {
            Ok(failed) => {
                pending.retain(|entry| failed.contains(&entry.id));
                last_error = format!("entries {failed:?} reported failed");
            }
            Err(err) => last_error = err.to_string(),
        }
        if pending.is_empty() {
            return Ok(());
        }
        if attempt < attempts {
            tokio::time::sleep(Duration::from_millis(100 * 4u64.pow(attempt - 1))).await;
        }
    }
    Err(TriggerError::NotEnqueued {
        failed: pending.len(),
        total: bodies.len(),
        attempts,
        last_error,
    })
}

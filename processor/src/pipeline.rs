//! One job, start to end: guard the key, read the object, render, write the renditions, and
//! classify the result so the batch layer knows whether SQS should deliver it again.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use tokio::sync::Semaphore;

use crate::config::{Config, OnReject};
use crate::imaging::{ImageError, Rendered, parse_renditions, render};
use crate::message::Job;
use crate::store::{NewObject, ObjectStore, StoreError};
use crate::telemetry::ImageMetrics;

/// How one job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every rendition written.
    Done { renditions: usize },
    /// Nothing to do (for example a key under the rejected prefix).
    Ignored(&'static str),
    /// Can never succeed; a rejection record was written and the message is acknowledged.
    Rejected { kind: String, reason: String },
    /// May succeed later; the message must be delivered again.
    Failed { reason: String },
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Done { .. } => "done",
            Self::Ignored(_) => "ignored",
            Self::Rejected { .. } => "rejected",
            Self::Failed { .. } => "failed",
        }
    }

    pub fn should_retry(&self) -> bool {
        matches!(self, Self::Failed { .. })
    }
}

/// The reason a job cannot be done now or ever, before it is turned into an [`Outcome`].
enum Problem {
    Permanent { kind: &'static str, reason: String },
    Transient(String),
}

impl From<StoreError> for Problem {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Problem::Permanent {
                kind: "missing_object",
                reason: err.to_string(),
            },
            StoreError::TooLarge { .. } => Problem::Permanent {
                kind: "too_large",
                reason: err.to_string(),
            },
            StoreError::Transient(reason) => Problem::Transient(format!("storage: {reason}")),
        }
    }
}

impl From<ImageError> for Problem {
    fn from(err: ImageError) -> Self {
        if err.is_retryable() {
            Problem::Transient(err.to_string())
        } else {
            Problem::Permanent {
                kind: err.kind().as_str(),
                reason: err.to_string(),
            }
        }
    }
}

/// The JSON written under the rejected prefix for an upload that can never be rendered.
#[derive(Debug, Serialize)]
pub struct RejectionRecord<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub error_kind: &'a str,
    pub reason: &'a str,
    pub message_id: &'a str,
    pub etag: Option<&'a str>,
    /// RFC 3339, UTC.
    pub time: String,
}

/// Renders jobs against a store; shared by every message of every batch in a container.
#[derive(Debug)]
pub struct Processor<S> {
    store: S,
    config: Config,
    cpu: Semaphore,
}

impl<S: ObjectStore> Processor<S> {
    pub fn new(store: S, config: Config) -> Self {
        let cpu = Semaphore::new(config.cpu_workers);
        Self { store, config, cpu }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Runs one job to its outcome; never panics across this boundary for image work.
    pub async fn process(self: &Arc<Self>, job: &Job, message_id: &str) -> Outcome {
        let started = Instant::now();
        let mut metrics = ImageMetrics::default();
        let outcome = match self.run(job, &mut metrics).await {
            Ok(Some(renditions)) => Outcome::Done { renditions },
            Ok(None) => Outcome::Ignored("under the rejected prefix"),
            Err(Problem::Transient(reason)) => Outcome::Failed { reason },
            Err(Problem::Permanent { kind, reason }) => {
                self.reject(job, message_id, kind, reason).await
            }
        };
        metrics.total = started.elapsed();
        metrics.emit(outcome.label());
        outcome
    }

    /// `Ok(None)` for keys that are deliberately left alone.
    async fn run(
        self: &Arc<Self>,
        job: &Job,
        metrics: &mut ImageMetrics,
    ) -> Result<Option<usize>, Problem> {
        let config = &self.config;
        if job.key.starts_with(&config.rejected_prefix) {
            return Ok(None);
        }
        check_key(job, config)?;
        let renditions = match &job.renditions {
            Some(text) => parse_renditions(text).map_err(|e| Problem::Permanent {
                kind: "bad_renditions",
                reason: e.to_string(),
            })?,
            None => config.renditions.clone(),
        };
        let max_bytes = config.render.limits.max_bytes as u64;
        if let Some(size) = job.size.filter(|&size| size > max_bytes) {
            return Err(StoreError::TooLarge {
                size,
                limit: max_bytes,
            }
            .into());
        }

        let step = Instant::now();
        let source = self.store.get(&job.bucket, &job.key, max_bytes).await?;
        metrics.s3 += step.elapsed();
        metrics.bytes_in = source.bytes.len() as u64;

        let rendered = self.render_on_cpu(source.bytes, renditions).await?;
        metrics.decode = rendered.timings.decode;
        metrics.resize = rendered.timings.resize;
        metrics.encode = rendered.timings.encode;

        let step = Instant::now();
        let bucket = config
            .output_bucket
            .clone()
            .unwrap_or_else(|| job.bucket.clone());
        let stem = strip_extension(&job.key);
        let count = rendered.outputs.len();
        let mut metadata = vec![("source-key".to_owned(), ascii_metadata(&job.key))];
        if let Some(etag) = source.etag.or_else(|| job.etag.clone()) {
            metadata.push(("source-etag".to_owned(), etag));
        }
        let writes = rendered.outputs.into_iter().map(|output| {
            metrics.bytes_out += output.jpeg.len() as u64;
            self.store.put(NewObject {
                bucket: bucket.clone(),
                key: format!("{}{stem}/{}.jpg", config.output_prefix, output.name),
                body: output.jpeg,
                content_type: "image/jpeg",
                cache_control: Some(config.cache_control.clone()),
                metadata: metadata.clone(),
            })
        });
        let results = futures::future::join_all(writes.collect::<Vec<_>>()).await;
        results
            .into_iter()
            .collect::<Result<Vec<()>, StoreError>>()?;
        metrics.s3 += step.elapsed();
        Ok(Some(count))
    }

    /// Decodes, resizes and encodes on a blocking thread, at most `cpu_workers` at once; a panic
    /// there fails this job only.
    async fn render_on_cpu(
        self: &Arc<Self>,
        bytes: Vec<u8>,
        renditions: Vec<crate::imaging::Rendition>,
    ) -> Result<Rendered, Problem> {
        let _permit = self
            .cpu
            .acquire()
            .await
            .map_err(|e| Problem::Transient(e.to_string()))?;
        let options = self.config.render;
        let work = tokio::task::spawn_blocking(move || render(&bytes, &renditions, &options));
        match work.await {
            Ok(result) => Ok(result?),
            Err(join) if join.is_panic() => Err(Problem::Transient(format!(
                "the image code panicked: {}",
                panic_text(join)
            ))),
            Err(join) => Err(Problem::Transient(format!(
                "the image task was cancelled: {join}"
            ))),
        }
    }

    async fn reject(&self, job: &Job, message_id: &str, kind: &str, reason: String) -> Outcome {
        if self.config.on_reject == OnReject::DeadLetter {
            return Outcome::Failed {
                reason: format!("{kind}: {reason} (ON_REJECT=dlq)"),
            };
        }
        let record = RejectionRecord {
            bucket: &job.bucket,
            key: &job.key,
            error_kind: kind,
            reason: &reason,
            message_id,
            etag: job.etag.as_deref(),
            time: rfc3339_now(),
        };
        let body = serde_json::to_vec_pretty(&record).expect("a rejection record serialises");
        let object = NewObject {
            bucket: self
                .config
                .output_bucket
                .clone()
                .unwrap_or_else(|| job.bucket.clone()),
            key: rejection_key(&self.config.rejected_prefix, &job.key),
            body,
            content_type: "application/json",
            cache_control: None,
            metadata: Vec::new(),
        };
        match self.store.put(object).await {
            Ok(()) => Outcome::Rejected {
                kind: kind.to_owned(),
                reason,
            },
            Err(err) => Outcome::Failed {
                reason: format!("writing the rejection record ({kind}): {err}"),
            },
        }
    }
}

/// Loop and path guards: outputs never feed back in, and output keys stay under their prefix.
fn check_key(job: &Job, config: &Config) -> Result<(), Problem> {
    let reject = |kind, reason: String| Err(Problem::Permanent { kind, reason });
    if job.key.starts_with(&config.output_prefix) {
        return reject(
            "loop_guard",
            format!(
                "the key is under the output prefix {:?}",
                config.output_prefix
            ),
        );
    }
    if !job.key.starts_with(&config.input_prefix) {
        return reject(
            "outside_input_prefix",
            format!(
                "the key is not under the input prefix {:?}",
                config.input_prefix
            ),
        );
    }
    if !is_safe_key(&job.key) {
        return reject(
            "unsafe_key",
            "the key has `.`/`..` segments, a leading `/` or control characters".to_owned(),
        );
    }
    Ok(())
}

/// A key that keeps its meaning wherever it is used as a path.
fn is_safe_key(key: &str) -> bool {
    !key.starts_with('/')
        && !key.split('/').any(|part| part == ".." || part == ".")
        && !key.chars().any(char::is_control)
}

/// The folder, under the rejected prefix, of the rejection records of unsafe keys.
pub const UNSAFE_KEY_RECORDS: &str = "unsafe-keys/";

/// Where the rejection record of `key` goes: beside its key, or for an unsafe key under
/// [`UNSAFE_KEY_RECORDS`] as one percent-encoded segment, so no written key is unsafe itself.
pub fn rejection_key(rejected_prefix: &str, key: &str) -> String {
    if is_safe_key(key) {
        return format!("{rejected_prefix}{key}.json");
    }
    let encoded: String = key
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{rejected_prefix}{UNSAFE_KEY_RECORDS}{encoded}.json")
}

/// The key without the extension of its last segment: `a/b.c/photo.jpg` -> `a/b.c/photo`.
pub fn strip_extension(key: &str) -> &str {
    let name_start = key.rfind('/').map_or(0, |i| i + 1);
    match key[name_start..].rfind('.') {
        Some(dot) if dot > 0 => &key[..name_start + dot],
        _ => key,
    }
}

/// S3 user metadata must be ASCII; other characters are percent-encoded.
fn ascii_metadata(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_graphic() || b == b' ' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn panic_text(join: tokio::task::JoinError) -> String {
    let payload = join.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".to_owned())
}

fn rfc3339_now() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    aws_sdk_s3::primitives::DateTime::from_secs(since_epoch.as_secs() as i64)
        .fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::strip_extension;

    #[test]
    fn only_the_last_segments_extension_is_stripped() {
        assert_eq!(strip_extension("uploads/cat.jpg"), "uploads/cat");
        assert_eq!(strip_extension("uploads/a.b/cat"), "uploads/a.b/cat");
        assert_eq!(strip_extension("uploads/.hidden"), "uploads/.hidden");
        assert_eq!(strip_extension("uploads/x.tar.gz"), "uploads/x.tar");
    }
}

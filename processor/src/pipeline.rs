//! One job, start to end: guard the key, read the object, render, write the renditions, and
//! decide how the job ended, so the batch layer knows whether SQS should deliver it again.

use std::time::{Duration, Instant, SystemTime};

use contract::{
    Job, KeyStyle, RejectionRecord, encode_key, is_safe_key, output_key, rejection_key,
};
use imaging::{ImageError, Rendered, Rendition, panic_message, parse_renditions, render};

use crate::config::{Config, OnReject};
use crate::outcome::Outcome;
use crate::render_threads::{RenderThreadError, RenderThreads};
use crate::store::{NewObject, Object, ObjectStore, StoreError};
use crate::telemetry::{self, ImageMetrics};

/// Why a job stopped short of writing its renditions.
enum Problem {
    /// Deliberately left alone.
    Ignore(&'static str),
    /// Can never succeed: recorded as a rejection.
    Permanent { kind: &'static str, reason: String },
    /// May succeed on a later delivery.
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
            // A configuration fix plus `make redrive` recovers these messages.
            StoreError::AccessDenied(_) | StoreError::Transient(_) => {
                Problem::Transient(format!("storage: {err}"))
            }
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

/// Renders jobs against a store; shared by every message of every batch in a container.
#[derive(Debug)]
pub struct Processor<S> {
    store: S,
    config: Config,
    cpu: RenderThreads,
}

impl<S: ObjectStore> Processor<S> {
    pub fn new(store: S, config: Config) -> Self {
        let cpu = RenderThreads::start(config.cpu_workers);
        Self { store, config, cpu }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Runs one job to its outcome and reports it (log line and metrics); never panics across
    /// this boundary for image work.
    pub async fn process(&self, job: &Job, message_id: &str) -> Outcome {
        let started = Instant::now();
        let mut metrics = ImageMetrics::default();
        let outcome = self.run(job, message_id, &mut metrics).await;
        metrics.total = started.elapsed();
        telemetry::report(&outcome, &metrics, &self.config.metrics_namespace);
        outcome
    }

    async fn run(&self, job: &Job, message_id: &str, metrics: &mut ImageMetrics) -> Outcome {
        match self.render_and_store(job, metrics).await {
            Ok((renditions, warnings)) => Outcome::Done {
                renditions,
                warnings,
            },
            Err(Problem::Ignore(why)) => Outcome::Ignored(why),
            Err(Problem::Transient(reason)) => Outcome::Failed { reason },
            Err(Problem::Permanent { kind, reason }) => {
                self.reject(job, message_id, kind, reason).await
            }
        }
    }

    /// Reads, renders and writes; returns how many renditions were written, and the render's
    /// warnings.
    async fn render_and_store(
        &self,
        job: &Job,
        metrics: &mut ImageMetrics,
    ) -> Result<(usize, Vec<String>), Problem> {
        let config = &self.config;
        if job.key.starts_with(&config.rejected_prefix) {
            return Err(Problem::Ignore("under the rejected prefix"));
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
        let source = self.read_upload(job, max_bytes).await?;
        metrics.s3 += step.elapsed();
        metrics.bytes_in = source.bytes.len() as u64;

        let rendered = self.render_on_cpu(source.bytes, renditions).await?;
        metrics.decode = rendered.timings.decode;
        metrics.resize = rendered.timings.resize;
        metrics.encode = rendered.timings.encode;

        let step = Instant::now();
        let bucket = config.output_bucket_for(&job.bucket);
        let count = rendered.outputs.len();
        let mut metadata = vec![(
            "source-key".to_owned(),
            encode_key(&job.key, KeyStyle::Metadata),
        )];
        if let Some(etag) = source.etag.or_else(|| job.etag.clone()) {
            metadata.push(("source-etag".to_owned(), etag));
        }
        if !rendered.warnings.is_empty() {
            metadata.push((
                "source-warnings".to_owned(),
                metadata_text(&rendered.warnings.join("; ")),
            ));
        }
        let mut writes = Vec::new();
        for output in rendered.outputs {
            for file in output.files {
                metrics.add_file(file.format, file.bytes.len() as u64, file.time);
                writes.push(self.store.put(NewObject {
                    bucket: bucket.to_owned(),
                    key: output_key(
                        &config.output_prefix,
                        &job.key,
                        &output.name,
                        file.format.extension(),
                    ),
                    body: file.bytes,
                    content_type: file.format.content_type(),
                    cache_control: Some(config.cache_control.clone()),
                    metadata: metadata.clone(),
                }));
            }
        }
        let results = futures::future::join_all(writes).await;
        results
            .into_iter()
            .collect::<Result<Vec<()>, StoreError>>()?;
        metrics.s3 += step.elapsed();
        Ok((count, rendered.warnings))
    }

    /// Reads the upload. S3 answers a read of a missing key with 403 when it does not trust the
    /// caller with listing; the processor's role may list its input prefix, so a denial is
    /// checked against a listing before it is taken for a denial.
    async fn read_upload(&self, job: &Job, max_bytes: u64) -> Result<Object, Problem> {
        match self.store.get(&job.bucket, &job.key, max_bytes).await {
            Err(StoreError::AccessDenied(denied)) => {
                match self.store.exists(&job.bucket, &job.key).await {
                    Ok(false) => Err(StoreError::NotFound.into()),
                    Ok(true) => Err(StoreError::AccessDenied(denied).into()),
                    Err(err) => Err(Problem::Transient(format!(
                        "storage: {denied}; and telling a missing key apart failed: {err}"
                    ))),
                }
            }
            other => Ok(other?),
        }
    }

    /// Decodes, resizes and encodes on a render thread, at most `cpu_workers` at once; a panic
    /// there fails this job only.
    async fn render_on_cpu(
        &self,
        bytes: Vec<u8>,
        renditions: Vec<Rendition>,
    ) -> Result<Rendered, Problem> {
        let options = self.config.render;
        let work = self
            .cpu
            .run(move || render(&bytes, &renditions, &options))
            .await;
        match work {
            Ok(Err(err @ ImageError::OverMemoryBudget { .. })) => Err(Problem::Permanent {
                kind: err.kind().as_str(),
                reason: format!("{err}. {}", self.config.memory_advice),
            }),
            Ok(result) => Ok(result?),
            Err(RenderThreadError::Panicked(panic)) => Err(Problem::Transient(format!(
                "the image code panicked: {}",
                panic_message(&*panic)
            ))),
            Err(RenderThreadError::Gone) => {
                Err(Problem::Transient("no render thread is running".to_owned()))
            }
        }
    }

    async fn reject(&self, job: &Job, message_id: &str, kind: &str, reason: String) -> Outcome {
        if self.config.on_reject == OnReject::DeadLetter {
            return Outcome::Failed {
                reason: format!("{kind}: {reason} (ON_REJECT=dlq)"),
            };
        }
        let record = RejectionRecord {
            bucket: job.bucket.clone(),
            key: job.key.clone(),
            error_kind: kind.to_owned(),
            reason: reason.clone(),
            message_id: message_id.to_owned(),
            etag: job.etag.clone(),
            time: rfc3339_now(),
        };
        let object = NewObject {
            bucket: self.config.output_bucket_for(&job.bucket).to_owned(),
            key: rejection_key(&self.config.rejected_prefix, &job.key),
            body: serde_json::to_vec_pretty(&record).expect("a rejection record serialises"),
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

/// S3 user metadata is printable ASCII, 2 KB for all of an object's entries together: other
/// characters become `?`, and long text is cut (the log line has all of it).
fn metadata_text(text: &str) -> String {
    const MAX: usize = 1024;
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(MAX)
        .collect();
    if text.chars().count() > MAX {
        out.replace_range(MAX - 3.., "...");
    }
    out
}

fn rfc3339_now() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    aws_sdk_s3::primitives::DateTime::from_secs(since_epoch.as_secs() as i64)
        .fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
}

//! `make chaos`: poison uploads that must each end in a known rejection, an instance killer,
//! and the audit that every upload ended where it should, checked object by object.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Bytes;
use futures::StreamExt;

use contract::RejectionRecord;
use imaging::{Limits, Rendition, output_sizes, probe};

use crate::async_invoke::AsyncStats;
use crate::deployment::Deployment;
use crate::fault_log::{FaultEvent, FaultLog};
use crate::fault_proxy::FaultTally;
use crate::function_pool::FunctionPool;
use crate::reconcile::{rendition_files, rendition_keys};
use crate::run::{Expected, Timeline, Upload};

/// Uploads that can never be rendered, each with the rejection it must get, and good photos
/// under keys that are awkward to carry through S3 events (spaces, `+`, `%`, unicode).
pub fn poison_uploads(run_prefix: &str, photo: &Bytes) -> Vec<Upload> {
    let poison = |name: &str, bytes: Bytes, kind: &'static str| Upload {
        key: format!("{run_prefix}poison/{name}"),
        bytes,
        expected: Expected::Rejected(kind),
    };
    let mut uploads = vec![
        poison(
            "half-a-photo.jpg",
            photo.slice(..photo.len() / 2),
            "truncated",
        ),
        poison("zero-bytes.jpg", Bytes::new(), "empty"),
        poison("dot-dot/../escape.jpg", photo.clone(), "unsafe_key"),
    ];
    uploads.extend(
        testdata::POISON
            .iter()
            .map(|&(name, bytes, kind)| poison(name, Bytes::from_static(bytes), kind)),
    );
    for name in [
        "with space.jpg",
        "plus+sign.jpg",
        "percent%25literal.jpg",
        "percent%.jpg",
        "ünïcødé-日本語.jpg",
    ] {
        uploads.push(Upload {
            key: format!("{run_prefix}awkward-keys/{name}"),
            bytes: photo.clone(),
            expected: Expected::Done,
        });
    }
    uploads
}

/// Kills a random processor instance `kills` times, at random moments spread over `span`.
/// Returns how many kills hit an instance in the middle of an invocation.
pub async fn kill_instances(
    pool: &FunctionPool,
    kills: usize,
    span: Duration,
    seed: u64,
    log: &FaultLog,
) -> usize {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut mid_invocation = 0;
    for _ in 0..kills {
        let pause = span.mul_f64(rng.f64() * 2.0 / kills.max(1) as f64);
        tokio::time::sleep(pause).await;
        log.record("instance killed");
        match pool.kill(rng.usize(..)) {
            Ok(true) => mid_invocation += 1,
            Ok(false) => {}
            Err(err) => eprintln!("chaos: could not kill an instance: {err}"),
        }
    }
    mid_invocation
}

/// How a chaos run injects its faults.
#[derive(Debug, Clone, Copy)]
pub struct ChaosSettings {
    pub kills: usize,
    /// The kills are spread over this long.
    pub span: Duration,
    pub s3_fault_share: f64,
    /// Trigger mode: the share of the trigger's SendMessageBatch calls that fail.
    pub sqs_fault_share: f64,
    /// Trigger mode: a window (start, length) in which every SendMessageBatch fails.
    pub sqs_fault_burst: Option<(Duration, Duration)>,
    pub duplicate_share: f64,
    pub seed: u64,
}

/// The faults a chaos run injected, and the object-by-object audit of the outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChaosReport {
    pub seed: u64,
    pub instance_kills: usize,
    pub kills_mid_invocation: usize,
    pub instances_replaced: u64,
    pub s3_fault_share: f64,
    pub s3_object_calls: u64,
    pub s3_faults_before: u64,
    pub s3_faults_after: u64,
    pub duplicated_batches: u64,
    pub poison_uploads: usize,
    /// Trigger mode: the trigger's SendMessageBatch calls, and those failed before and after
    /// SQS took them.
    pub sqs_send_batch_calls: u64,
    pub sqs_faults_before: u64,
    pub sqs_faults_after: u64,
    /// Trigger mode: what Lambda's asynchronous invocation did with the S3 events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_events: Option<AsyncStats>,
    /// Trigger mode: uploads that ended in the trigger's failure queue and `redrive` brought back.
    pub redriven: usize,
    pub audit: Audit,
    /// When each fault was injected (seconds since the run started).
    pub events: Vec<FaultEvent>,
}

/// What a chaos run injected, as the local stack counted it.
#[derive(Debug, Default, Clone)]
pub struct Injected {
    pub kills_mid_invocation: usize,
    pub instances_replaced: u64,
    pub s3_faults: FaultTally,
    pub sqs_faults: FaultTally,
    pub duplicated_batches: u64,
    pub trigger_events: Option<AsyncStats>,
    /// Every fault on the run's time axis.
    pub events: Vec<FaultEvent>,
}

/// The chaos section of the report: the settings, what was injected, and the audit.
pub fn report(
    settings: &ChaosSettings,
    injected: Injected,
    poison_uploads: usize,
    redriven: usize,
    audit: Audit,
) -> ChaosReport {
    ChaosReport {
        seed: settings.seed,
        instance_kills: settings.kills,
        kills_mid_invocation: injected.kills_mid_invocation,
        instances_replaced: injected.instances_replaced,
        s3_fault_share: settings.s3_fault_share,
        s3_object_calls: injected.s3_faults.target_calls,
        s3_faults_before: injected.s3_faults.failed_before,
        s3_faults_after: injected.s3_faults.failed_after,
        duplicated_batches: injected.duplicated_batches,
        poison_uploads,
        sqs_send_batch_calls: injected.sqs_faults.target_calls,
        sqs_faults_before: injected.sqs_faults.failed_before,
        sqs_faults_after: injected.sqs_faults.failed_after,
        trigger_events: injected.trigger_events,
        redriven,
        audit,
        events: injected.events,
    }
}

/// Where each upload ended, after checking the objects themselves.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Audit {
    pub uploaded: usize,
    pub done: usize,
    pub rejected: usize,
    pub dlq: usize,
    /// Trigger mode: uploads still waiting in the trigger's failure queue after `redrive`.
    pub trigger_failures: usize,
    /// Uploads with no outcome at all.
    pub lost: usize,
    /// Renditions fetched, decoded and measured.
    pub renditions_checked: usize,
    /// Uploads whose outcome is not the expected one, with what was found.
    pub wrong: Vec<String>,
}

impl Audit {
    /// The one-line summary `make chaos` prints.
    pub fn summary(&self) -> String {
        format!(
            "uploaded {} / done {} / rejected {} / dlq {} / lost {} ({} renditions checked, {} wrong outcomes, {} in the trigger failure queue)",
            self.uploaded,
            self.done,
            self.rejected,
            self.dlq,
            self.lost,
            self.renditions_checked,
            self.wrong.len(),
            self.trigger_failures
        )
    }

    pub fn passed(&self) -> bool {
        self.lost == 0 && self.wrong.is_empty()
    }
}

async fn fetch(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(&e).to_string())?;
    let body = object.body.collect().await.map_err(|e| e.to_string())?;
    Ok(body.to_vec())
}

/// An output's size from its header: the image core's probe for JPEG, image-webp (independent
/// of the libwebp that wrote it) for WebP, the container's `ispe` box for AVIF.
fn output_dimensions(bytes: &[u8]) -> Result<(u32, u32), String> {
    if bytes.get(4..8) == Some(b"ftyp") {
        return testdata::avif_dimensions(bytes);
    }
    if bytes.starts_with(b"RIFF") {
        let webp =
            image_webp::WebPDecoder::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
        return Ok(webp.dimensions());
    }
    let header = probe(bytes, &Limits::default()).map_err(|e| e.to_string())?;
    Ok((header.width, header.height))
}

/// Checks one upload against its expected outcome; `Err` says what is wrong.
async fn check_upload(
    s3: &aws_sdk_s3::Client,
    deployment: &Deployment,
    renditions: &[Rendition],
    upload: &Upload,
    timeline: &Timeline,
) -> Result<usize, String> {
    let key = &upload.key;
    match upload.expected {
        Expected::Done => {
            if !timeline.done_s.contains_key(key) {
                return Err(format!(
                    "{key}: expected renditions, found {}",
                    found(timeline, key)
                ));
            }
            let sizes = output_sizes(&upload.bytes, renditions, &Limits::default())
                .map_err(|e| format!("{key}: the source itself does not probe: {e}"))?;
            // One planned size per rendition, repeated for each of its formats.
            let planned = renditions
                .iter()
                .zip(&sizes)
                .flat_map(|(r, size)| r.formats.iter().map(move |_| *size));
            let keys = rendition_keys(deployment, key, &rendition_files(renditions));
            for (output_key, (width, height)) in keys.iter().zip(planned) {
                let bytes = fetch(s3, &deployment.output_bucket, output_key).await?;
                let (got_width, got_height) = output_dimensions(&bytes)
                    .map_err(|e| format!("{output_key}: does not decode: {e}"))?;
                if (got_width, got_height) != (width, height) {
                    return Err(format!(
                        "{output_key}: {got_width}x{got_height}, planned {width}x{height}"
                    ));
                }
            }
            Ok(keys.len())
        }
        Expected::Rejected(kind) => {
            let record_key = contract::rejection_key(&deployment.rejected_prefix, key);
            let record = fetch(s3, &deployment.output_bucket, &record_key)
                .await
                .map_err(|e| {
                    format!(
                        "{key}: expected a {kind} rejection, found {} ({e})",
                        found(timeline, key)
                    )
                })?;
            let record: RejectionRecord = serde_json::from_slice(&record)
                .map_err(|e| format!("{record_key}: not a rejection record: {e}"))?;
            if record.error_kind == kind {
                Ok(0)
            } else {
                Err(format!(
                    "{key}: rejected as {}, expected {kind}",
                    record.error_kind
                ))
            }
        }
    }
}

/// Where an upload ended, as the reconciliation saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Renditions,
    RejectionRecord,
    DeadLetter,
    TriggerFailure,
    Nothing,
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Renditions => "renditions",
            Self::RejectionRecord => "a rejection record",
            Self::DeadLetter => "its message in the DLQ",
            Self::TriggerFailure => "its event in the trigger's failure queue",
            Self::Nothing => "nothing",
        })
    }
}

fn found(timeline: &Timeline, key: &str) -> Found {
    if timeline.done_s.contains_key(key) {
        Found::Renditions
    } else if timeline.rejected_s.contains_key(key) {
        Found::RejectionRecord
    } else if timeline.dlq_keys.contains(key) {
        Found::DeadLetter
    } else if timeline.trigger_failure_keys.contains(key) {
        Found::TriggerFailure
    } else {
        Found::Nothing
    }
}

/// Audits every upload: counts outcomes, and checks each against what it must be.
pub async fn audit(
    s3: &aws_sdk_s3::Client,
    deployment: &Deployment,
    renditions: &[Rendition],
    uploads: &[Upload],
    timeline: &Timeline,
) -> Audit {
    let uploaded: HashMap<&str, &Upload> = uploads
        .iter()
        .filter(|u| timeline.uploaded_s.contains_key(&u.key))
        .map(|u| (u.key.as_str(), u))
        .collect();
    let mut audit = Audit {
        uploaded: uploaded.len(),
        ..Audit::default()
    };
    for key in uploaded.keys() {
        match found(timeline, key) {
            Found::Renditions => audit.done += 1,
            Found::RejectionRecord => audit.rejected += 1,
            Found::DeadLetter => audit.dlq += 1,
            Found::TriggerFailure => audit.trigger_failures += 1,
            Found::Nothing => audit.lost += 1,
        }
    }
    let checks: Vec<Result<usize, String>> = futures::stream::iter(uploaded.values())
        .map(|upload| check_upload(s3, deployment, renditions, upload, timeline))
        .buffer_unordered(8)
        .collect()
        .await;
    for check in checks {
        match check {
            Ok(checked) => audit.renditions_checked += checked,
            Err(wrong) => audit.wrong.push(wrong),
        }
    }
    audit.wrong.sort();
    audit
}

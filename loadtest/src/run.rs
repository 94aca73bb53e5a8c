//! One load-test run: upload at a rate, let the local (or deployed) pipeline work, reconcile
//! every upload against its renditions or rejection record, and measure along the way.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sqs::types::QueueAttributeName;
use axum::body::Bytes;

use crate::runtime_api::RuntimeApi;
use crate::tfstate::Deployment;

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
    /// (seconds since start, visible, in flight)
    pub queue_depth: Vec<(f64, u64, u64)>,
    /// Uploads of this run whose message is in the dead-letter queue.
    pub dlq_keys: HashSet<String>,
    pub wall_s: f64,
}

/// The JPEG and PNG files directly in `dir`, sorted by name: what `--images` uploads. Anything
/// else there (a README, a sidecar file) would only come back as a rejection nobody expected.
pub fn image_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let is_image = |path: &Path| {
        path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            ["jpg", "jpeg", "png"]
                .iter()
                .any(|x| e.eq_ignore_ascii_case(x))
        })
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_image(p))
        .collect();
    files.sort();
    Ok(files)
}

/// The keys under which an upload's renditions appear.
pub fn rendition_keys(deployment: &Deployment, key: &str, names: &[String]) -> Vec<String> {
    let stem = processor::pipeline::strip_extension(key);
    names
        .iter()
        .map(|name| format!("{}{stem}/{name}.jpg", deployment.output_prefix))
        .collect()
}

/// The S3 event the trigger receives for one upload (trigger mode, where the emulator cannot
/// invoke functions itself).
fn s3_event(bucket: &str, key: &str, size: usize) -> serde_json::Value {
    let encoded: String = key
        .bytes()
        .map(|b| match b {
            b' ' => "+".to_owned(),
            b if b.is_ascii_alphanumeric() || b"-_.!~*'()/".contains(&b) => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect();
    serde_json::json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")}, "object": {"key": encoded, "size": size}}
    }]})
}

/// Uploads on an open-loop schedule (`rate` per second, or all at once) and, in trigger mode,
/// delivers each object-created event to the trigger.
pub async fn upload_all(
    s3: &aws_sdk_s3::Client,
    deployment: &Deployment,
    uploads: Vec<Upload>,
    rate: Option<f64>,
    trigger: Option<RuntimeApi>,
    started: Instant,
    timeline: Arc<Mutex<Timeline>>,
) {
    let mut tasks = Vec::with_capacity(uploads.len());
    for (index, upload) in uploads.into_iter().enumerate() {
        if let Some(rate) = rate {
            let due = started + Duration::from_secs_f64(index as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let (s3, bucket, trigger, timeline) = (
            s3.clone(),
            deployment.bucket.clone(),
            trigger.clone(),
            Arc::clone(&timeline),
        );
        tasks.push(tokio::spawn(async move {
            let size = upload.bytes.len();
            let put = s3
                .put_object()
                .bucket(&bucket)
                .key(&upload.key)
                .content_type("image/jpeg")
                .body(ByteStream::from(upload.bytes))
                .send()
                .await;
            {
                let mut t = timeline.lock().expect("lock");
                match put {
                    Ok(_) => {
                        t.uploaded_s
                            .insert(upload.key.clone(), started.elapsed().as_secs_f64());
                    }
                    Err(err) => {
                        t.upload_errors += 1;
                        t.first_upload_error.get_or_insert_with(|| {
                            aws_sdk_s3::error::DisplayErrorContext(&err).to_string()
                        });
                    }
                }
            }
            if let Some(api) = trigger {
                let event = Bytes::from(s3_event(&bucket, &upload.key, size).to_string());
                let _ = api.invoke(event, Duration::from_secs(30)).await;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

/// The keys under `prefix`, after `start_after` when given.
async fn list_keys(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    start_after: Option<String>,
) -> Vec<String> {
    let mut keys = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .set_start_after(start_after)
        .into_paginator()
        .send();
    while let Some(Ok(page)) = pages.next().await {
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    keys
}

async fn queue_counts(sqs: &aws_sdk_sqs::Client, url: &str) -> (u64, u64) {
    let response = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await;
    let get = |name: QueueAttributeName| {
        response
            .as_ref()
            .ok()
            .and_then(|r| r.attributes())
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (
        get(QueueAttributeName::ApproximateNumberOfMessages),
        get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    )
}

/// The upload keys of the messages in the dead-letter queue. They are received, not deleted:
/// they stay there for `make redrive`, hidden for a few seconds so one scan sees each once.
pub async fn dead_letter_keys(sqs: &aws_sdk_sqs::Client, dlq_url: &str) -> HashSet<String> {
    let mut keys = HashSet::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(10)
            .visibility_timeout(5)
            .send()
            .await;
        let messages = received
            .map(|r| r.messages.unwrap_or_default())
            .unwrap_or_default();
        if messages.is_empty() {
            return keys;
        }
        for message in messages {
            if let Ok(processor::message::Request::Jobs(jobs)) =
                processor::message::parse_body(message.body().unwrap_or_default())
            {
                keys.extend(jobs.into_iter().map(|job| job.key));
            }
        }
    }
}

/// Polls S3 (every 250 ms) until every upload has all its renditions, its rejection record, or
/// its message in the dead-letter queue (looked for whenever the queue is empty), or until
/// `timeout`; records when each outcome was first seen and samples the queue depth.
///
/// Listings start after the first upload still pending: keys seen once stay known, and the
/// emulator is not made to list every finished upload four times a second.
#[allow(clippy::too_many_arguments)]
pub async fn reconcile(
    s3: &aws_sdk_s3::Client,
    sqs: &aws_sdk_sqs::Client,
    deployment: &Deployment,
    run_prefix: &str,
    rendition_names: &[String],
    expected: usize,
    timeout: Duration,
    started: Instant,
    timeline: Arc<Mutex<Timeline>>,
) {
    let output_prefix = format!("{}{run_prefix}", deployment.output_prefix);
    // Records of unsafe keys live apart, each as one percent-encoded segment.
    let rejected_prefixes = [
        format!("{}{run_prefix}", deployment.rejected_prefix),
        format!(
            "{}{}",
            deployment.rejected_prefix,
            processor::pipeline::UNSAFE_KEY_RECORDS
        ),
    ];
    let mut last_depth_sample = f64::NEG_INFINITY;
    let mut last_dlq_scan = f64::NEG_INFINITY;
    let mut outputs: HashSet<String> = HashSet::new();
    let mut rejections: HashSet<String> = HashSet::new();
    loop {
        let now = started.elapsed().as_secs_f64();
        if now - last_depth_sample >= 1.0 {
            let (visible, in_flight) = queue_counts(sqs, &deployment.queue_url).await;
            let mut t = timeline.lock().expect("lock");
            t.queue_depth.push((now, visible, in_flight));
            last_depth_sample = now;
        }
        let queue_empty = timeline
            .lock()
            .expect("lock")
            .queue_depth
            .last()
            .is_some_and(|&(_, visible, in_flight)| visible + in_flight == 0);
        if queue_empty && now - last_dlq_scan >= 5.0 {
            let keys = dead_letter_keys(sqs, &deployment.dlq_url).await;
            timeline.lock().expect("lock").dlq_keys.extend(keys);
            last_dlq_scan = now;
        }
        let (first_output, first_record) = {
            let t = timeline.lock().expect("lock");
            let pending = t
                .uploaded_s
                .keys()
                .filter(|k| !t.done_s.contains_key(*k) && !t.rejected_s.contains_key(*k));
            let first_output = pending
                .clone()
                .map(|k| {
                    let stem = processor::pipeline::strip_extension(k);
                    format!("{}{stem}", deployment.output_prefix)
                })
                .min();
            let first_record = pending
                .map(|k| format!("{}{k}", deployment.rejected_prefix))
                .min();
            (first_output, first_record)
        };
        // Nothing pending: no upload can have produced anything new.
        if first_output.is_some() {
            outputs.extend(
                list_keys(s3, &deployment.output_bucket, &output_prefix, first_output).await,
            );
            rejections.extend(
                list_keys(
                    s3,
                    &deployment.output_bucket,
                    &rejected_prefixes[0],
                    first_record,
                )
                .await,
            );
            rejections.extend(
                list_keys(s3, &deployment.output_bucket, &rejected_prefixes[1], None).await,
            );
        }
        let seen_at = started.elapsed().as_secs_f64();
        let finished = {
            let mut t = timeline.lock().expect("lock");
            let uploaded: Vec<String> = t.uploaded_s.keys().cloned().collect();
            for key in uploaded {
                if !t.done_s.contains_key(&key)
                    && rendition_keys(deployment, &key, rendition_names)
                        .iter()
                        .all(|k| outputs.contains(k))
                {
                    t.done_s.insert(key.clone(), seen_at);
                }
                if !t.rejected_s.contains_key(&key)
                    && rejections.contains(&processor::pipeline::rejection_key(
                        &deployment.rejected_prefix,
                        &key,
                    ))
                {
                    t.rejected_s.insert(key, seen_at);
                }
            }
            let accounted = t
                .uploaded_s
                .keys()
                .filter(|k| {
                    t.done_s.contains_key(*k)
                        || t.rejected_s.contains_key(*k)
                        || t.dlq_keys.contains(*k)
                })
                .count();
            accounted >= expected && t.uploaded_s.len() + t.upload_errors as usize >= expected
        };
        if finished || started.elapsed() >= timeout {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let keys = dead_letter_keys(sqs, &deployment.dlq_url).await;
    let mut t = timeline.lock().expect("lock");
    t.dlq_keys.extend(keys);
    t.wall_s = started.elapsed().as_secs_f64();
}

#[cfg(test)]
mod tests {
    use super::image_files;

    #[test]
    fn only_jpeg_and_png_files_are_uploaded() {
        let dir = std::env::temp_dir().join(format!("loadtest-images-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("folder.jpg")).unwrap();
        for name in ["b.JPG", "a.png", "c.jpeg", "README.md", "jpg"] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        let found = image_files(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.png", "b.JPG", "c.jpeg"]);
    }
}

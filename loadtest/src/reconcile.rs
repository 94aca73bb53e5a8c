//! Reconciliation: watching S3 and the queues until every upload of a run is accounted for by
//! its renditions, its rejection record, or its message in the dead-letter queue.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_sqs::types::{ChangeMessageVisibilityBatchRequestEntry, QueueAttributeName};
use contract::output_key;
use imaging::Rendition;

use crate::deployment::Deployment;
use crate::run::{DlqSample, QueueSample, RunContext};

/// The files each upload's renditions make: (name, extension), one per rendition and format.
pub fn rendition_files(renditions: &[Rendition]) -> Vec<(String, &'static str)> {
    renditions
        .iter()
        .flat_map(|r| r.formats.iter().map(|f| (r.name.clone(), f.extension())))
        .collect()
}

/// The keys under which an upload's renditions appear.
pub fn rendition_keys(
    deployment: &Deployment,
    key: &str,
    files: &[(String, &'static str)],
) -> Vec<String> {
    files
        .iter()
        .map(|(name, extension)| output_key(&deployment.output_prefix, key, name, extension))
        .collect()
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

/// The upload keys of the messages in the dead-letter queue (job bodies and S3 events).
pub async fn dead_letter_keys(sqs: &aws_sdk_sqs::Client, dlq_url: &str) -> HashSet<String> {
    held_keys(sqs, dlq_url, |body| contract::parse_body(body).ok()).await
}

/// The upload keys of the records in the trigger's failure queue (the S3 events Lambda gave up).
pub async fn trigger_failure_keys(sqs: &aws_sdk_sqs::Client, url: &str) -> HashSet<String> {
    held_keys(sqs, url, |body| {
        contract::parse_s3_event(contract::parse_failed_event(body).ok()?.request_payload).ok()
    })
    .await
}

/// The upload keys of the messages a queue holds for a person. They are received, not deleted:
/// hidden while the scan runs so it sees each once, then made visible again at once, so that a
/// scan just before `redrive` (or the next scan) does not find the queue empty.
async fn held_keys(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    read: impl Fn(&str) -> Option<contract::Request>,
) -> HashSet<String> {
    let mut keys = HashSet::new();
    let mut receipts = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(5)
            .send()
            .await;
        let messages = received
            .map(|r| r.messages.unwrap_or_default())
            .unwrap_or_default();
        if messages.is_empty() {
            release(sqs, url, receipts).await;
            return keys;
        }
        for message in messages {
            if let Some(contract::Request::Jobs(jobs)) = read(message.body().unwrap_or_default()) {
                keys.extend(jobs.into_iter().map(|job| job.key));
            }
            receipts.extend(message.receipt_handle);
        }
    }
}

/// Makes received messages visible again (visibility timeout 0), ten per call.
async fn release(sqs: &aws_sdk_sqs::Client, url: &str, receipts: Vec<String>) {
    for chunk in receipts.chunks(10) {
        let entries = chunk.iter().enumerate().filter_map(|(i, receipt)| {
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(receipt)
                .visibility_timeout(0)
                .build()
                .ok()
        });
        // A message left hidden reappears after its 5 s anyway: nothing is lost if this fails.
        let _ = sqs
            .change_message_visibility_batch()
            .queue_url(url)
            .set_entries(Some(entries.collect()))
            .send()
            .await;
    }
}

/// Polls S3 (every 250 ms) until every upload has all its renditions, its rejection record, or
/// its message in the dead-letter queue or the trigger's failure queue (looked for whenever the
/// work queue is empty), or until
/// `timeout`; records when each outcome was first seen and samples the queue depth.
///
/// Listings start after the first upload still pending: keys seen once stay known, and the
/// emulator is not made to list every finished upload four times a second.
pub async fn reconcile(run: &RunContext, expected: usize, timeout: Duration) {
    let (s3, sqs, deployment) = (&run.s3, &run.sqs, &run.deployment);
    let (run_prefix, rendition_files) = (&run.run_prefix, &run.rendition_files);
    let (started, timeline) = (run.started, &run.timeline);
    let output_prefix = format!("{}{run_prefix}", deployment.output_prefix);
    // Records of unsafe keys live apart, each as one percent-encoded segment.
    let rejected_prefixes = [
        format!("{}{run_prefix}", deployment.rejected_prefix),
        format!(
            "{}{}",
            deployment.rejected_prefix,
            contract::UNSAFE_KEY_RECORDS
        ),
    ];
    let mut last_depth_sample = f64::NEG_INFINITY;
    let mut last_held_scan = f64::NEG_INFINITY;
    let mut outputs: HashSet<String> = HashSet::new();
    let mut rejections: HashSet<String> = HashSet::new();
    loop {
        let now = started.elapsed().as_secs_f64();
        if now - last_depth_sample >= 1.0 {
            let (visible, in_flight) = queue_counts(sqs, &deployment.queue_url).await;
            let (dead, dead_in_flight) = queue_counts(sqs, &deployment.dlq_url).await;
            let mut t = timeline.lock().expect("lock");
            t.queue_depth.push(QueueSample {
                at_s: now,
                visible,
                in_flight,
            });
            t.dlq_depth.push(DlqSample {
                at_s: now,
                messages: dead + dead_in_flight,
            });
            last_depth_sample = now;
        }
        let queue_empty = timeline
            .lock()
            .expect("lock")
            .queue_depth
            .last()
            .is_some_and(|sample| sample.visible + sample.in_flight == 0);
        if queue_empty && now - last_held_scan >= 5.0 {
            scan_held(run).await;
            last_held_scan = now;
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
                    let stem = contract::strip_extension(k);
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
                    && rendition_keys(deployment, &key, rendition_files)
                        .iter()
                        .all(|k| outputs.contains(k))
                {
                    t.done_s.insert(key.clone(), seen_at);
                }
                if !t.rejected_s.contains_key(&key)
                    && rejections
                        .contains(&contract::rejection_key(&deployment.rejected_prefix, &key))
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
                        || t.trigger_failure_keys.contains(*k)
                })
                .count();
            accounted >= expected && t.uploaded_s.len() + t.upload_errors as usize >= expected
        };
        if finished || started.elapsed() >= timeout {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    scan_held(run).await;
    timeline.lock().expect("lock").wall_s = started.elapsed().as_secs_f64();
}

/// Records which uploads wait in the dead-letter queue or the trigger's failure queue.
async fn scan_held(run: &RunContext) {
    let deployment = &run.deployment;
    let dlq = dead_letter_keys(&run.sqs, &deployment.dlq_url).await;
    let failed = match &deployment.trigger_failures_url {
        Some(url) => trigger_failure_keys(&run.sqs, url).await,
        None => HashSet::new(),
    };
    let mut t = run.timeline.lock().expect("lock");
    t.dlq_keys.extend(dlq);
    t.trigger_failure_keys = failed;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_of_each_rendition_is_a_file_to_wait_for() {
        let renditions = imaging::parse_renditions("a:10x10:webp+jpeg,b:5x5").unwrap();
        let files = rendition_files(&renditions);
        assert_eq!(
            files,
            [
                ("a".into(), "webp"),
                ("a".into(), "jpg"),
                ("b".into(), "jpg")
            ]
        );
    }
}

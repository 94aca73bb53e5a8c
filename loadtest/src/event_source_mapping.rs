//! The SQS event source mapping, played as Lambda plays it: pollers up to the maximum
//! concurrency gather batches within the batching window, invoke the function, delete what it
//! reports done, and leave the rest to the visibility timeout and the redrive policy.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use axum::body::Bytes;
use tokio::sync::watch;

use crate::runtime_api::{Completion, RuntimeApi};
use crate::throttle::Throttle;

/// An event source mapping as Terraform created it.
#[derive(Debug, Clone)]
pub struct MappingSpec {
    pub queue_url: String,
    pub queue_arn: String,
    pub batch_size: usize,
    pub batching_window: Duration,
    pub maximum_concurrency: usize,
    /// The share of batches delivered a second time (SQS delivers at least once); 0 but in
    /// chaos runs.
    pub duplicate_share: f64,
    /// The function's throttle: while it holds, no batch is received, as with Lambda.
    pub throttle: Option<Arc<Throttle>>,
}

/// One invocation the mapping made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Invocation {
    pub started_s: f64,
    pub duration_ms: f64,
    pub messages: usize,
    pub failed: usize,
    pub errored: bool,
}

/// What the mapping did, for the report and the cost model.
#[derive(Debug, Default)]
pub struct MappingStats {
    pub invocations: Vec<Invocation>,
    pub receive_calls: u64,
    pub delete_calls: u64,
    /// When each batch delivered twice was delivered.
    pub duplicated_at: Vec<Instant>,
}

/// Polls the queue as Lambda's SQS event source mapping does until `stop` turns true.
pub async fn run_mapping(
    sqs: aws_sdk_sqs::Client,
    api: RuntimeApi,
    mapping: MappingSpec,
    timeout: Duration,
    stop: watch::Receiver<bool>,
    stats: Arc<Mutex<MappingStats>>,
) {
    let poller = Arc::new(Poller {
        sqs,
        api,
        mapping,
        timeout,
        started: Instant::now(),
        stats,
    });
    let workers: Vec<_> = (0..poller.mapping.maximum_concurrency)
        .map(|worker| {
            let (poller, stop) = (Arc::clone(&poller), stop.clone());
            tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(worker as u64);
                while !*stop.borrow() {
                    let batch = poller.gather().await;
                    if batch.is_empty() {
                        continue;
                    }
                    let deliveries = if rng.f64() < poller.mapping.duplicate_share {
                        2
                    } else {
                        1
                    };
                    poller.invoke_batch(batch, deliveries).await;
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
}

/// What every poller of one mapping shares.
struct Poller {
    sqs: aws_sdk_sqs::Client,
    api: RuntimeApi,
    mapping: MappingSpec,
    /// The function's timeout: the deadline each invocation is given.
    timeout: Duration,
    started: Instant,
    stats: Arc<Mutex<MappingStats>>,
}

impl Poller {
    /// Receives up to `batch_size` messages, waiting at most the batching window once one
    /// arrived.
    async fn gather(&self) -> Vec<Message> {
        let (sqs, mapping) = (&self.sqs, &self.mapping);
        if let Some(throttle) = &mapping.throttle
            && throttle.is_throttled().await
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
            return Vec::new();
        }
        let mut batch: Vec<Message> = Vec::new();
        let mut window_end: Option<Instant> = None;
        loop {
            let wanted = (mapping.batch_size - batch.len()).min(10) as i32;
            let wait = if batch.is_empty() { 1 } else { 0 };
            self.stats.lock().expect("lock").receive_calls += 1;
            let received = sqs
                .receive_message()
                .queue_url(&mapping.queue_url)
                .max_number_of_messages(wanted)
                .wait_time_seconds(wait)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await;
            let messages = received
                .map(|r| r.messages.unwrap_or_default())
                .unwrap_or_default();
            if !messages.is_empty() && window_end.is_none() {
                window_end = Some(Instant::now() + mapping.batching_window);
            }
            batch.extend(messages);
            let window_over = window_end.is_none_or(|end| Instant::now() >= end);
            if batch.len() >= mapping.batch_size
                || (window_over && !batch.is_empty())
                || (batch.is_empty() && wait > 0)
            {
                return batch;
            }
            if !window_over {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    /// Invokes the function with `batch` (`deliveries` times: a duplicate delivery is a second
    /// invocation with the same messages), then deletes what every invocation reported done.
    async fn invoke_batch(&self, batch: Vec<Message>, deliveries: usize) {
        let (sqs, api, mapping, stats) = (&self.sqs, &self.api, &self.mapping, &*self.stats);
        let payload = Bytes::from(sqs_event(&batch, &mapping.queue_arn).to_string());
        if deliveries > 1 {
            stats
                .lock()
                .expect("lock")
                .duplicated_at
                .push(Instant::now());
        }
        let mut retry = HashSet::new();
        for _ in 0..deliveries {
            let invoked = Instant::now();
            let outcome = api.invoke(payload.clone(), self.timeout).await;
            let duration_ms = invoked.elapsed().as_secs_f64() * 1000.0;
            let (failed, errored) = match &outcome {
                Ok(Completion::Response(body)) => (ids_to_retry(&batch, Some(body)), false),
                _ => (ids_to_retry(&batch, None), true),
            };
            let mut stats = stats.lock().expect("lock");
            stats.invocations.push(Invocation {
                started_s: invoked.duration_since(self.started).as_secs_f64(),
                duration_ms,
                messages: batch.len(),
                failed: failed.len(),
                errored,
            });
            retry.extend(failed);
        }
        let done: Vec<&Message> = batch
            .iter()
            .filter(|m| m.message_id().is_some_and(|id| !retry.contains(id)))
            .collect();
        for chunk in done.chunks(10) {
            let entries: Vec<DeleteMessageBatchRequestEntry> = chunk
                .iter()
                .enumerate()
                .filter_map(|(i, m)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .set_receipt_handle(m.receipt_handle().map(str::to_owned))
                        .build()
                        .ok()
                })
                .collect();
            stats.lock().expect("lock").delete_calls += 1;
            let _ = sqs
                .delete_message_batch()
                .queue_url(&mapping.queue_url)
                .set_entries(Some(entries))
                .send()
                .await;
        }
    }
}

/// The SQS event Lambda would send for these messages.
pub fn sqs_event(messages: &[Message], queue_arn: &str) -> serde_json::Value {
    let records: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, serde_json::Value> = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.clone().into()))
                        .collect()
                })
                .unwrap_or_default();
            serde_json::json!({
                "messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                "attributes": attributes, "messageAttributes": {}, "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "us-east-1",
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// The message ids to keep, from a function's response: all of them when the response is not a
/// valid partial batch response (as Lambda does), else the ones it lists.
pub fn ids_to_retry(messages: &[Message], response: Option<&[u8]>) -> HashSet<String> {
    let all: HashSet<String> = messages
        .iter()
        .filter_map(|m| m.message_id().map(str::to_owned))
        .collect();
    let Some(body) = response else { return all };
    let Ok(parsed) = serde_json::from_slice::<serde_json::Value>(body) else {
        return all;
    };
    let Some(failures) = parsed.get("batchItemFailures").and_then(|f| f.as_array()) else {
        // An empty or null response means every message succeeded.
        return if parsed.is_null() || parsed.as_object().is_some_and(|o| o.is_empty()) {
            HashSet::new()
        } else {
            all
        };
    };
    let mut retry = HashSet::new();
    for failure in failures {
        match failure.get("itemIdentifier").and_then(|i| i.as_str()) {
            Some(id) if all.contains(id) => {
                retry.insert(id.to_owned());
            }
            // An empty or unknown identifier fails the whole batch.
            _ => return all,
        }
    }
    retry
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(ids: &[&str]) -> Vec<Message> {
        ids.iter()
            .map(|id| {
                Message::builder()
                    .message_id(*id)
                    .receipt_handle(format!("h-{id}"))
                    .body("{}")
                    .build()
            })
            .collect()
    }

    fn retry(ids: &[&str], response: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = ids_to_retry(&messages(ids), response.map(str::as_bytes))
            .into_iter()
            .collect();
        out.sort();
        out
    }

    #[test]
    fn partial_batch_responses_follow_lambdas_rules() {
        let ids = ["a", "b", "c"];
        assert_eq!(
            retry(
                &ids,
                Some(r#"{"batchItemFailures":[{"itemIdentifier":"b"}]}"#)
            ),
            ["b"]
        );
        assert!(retry(&ids, Some(r#"{"batchItemFailures":[]}"#)).is_empty());
        assert!(retry(&ids, Some("null")).is_empty());
        assert!(retry(&ids, Some("{}")).is_empty());
        // Unknown or empty identifiers, junk, and errors fail the whole batch.
        assert_eq!(
            retry(
                &ids,
                Some(r#"{"batchItemFailures":[{"itemIdentifier":"zzz"}]}"#)
            ),
            ["a", "b", "c"]
        );
        assert_eq!(
            retry(
                &ids,
                Some(r#"{"batchItemFailures":[{"itemIdentifier":""}]}"#)
            ),
            ["a", "b", "c"]
        );
        assert_eq!(retry(&ids, Some("not json")), ["a", "b", "c"]);
        assert_eq!(retry(&ids, None), ["a", "b", "c"]);
    }

    #[test]
    fn events_carry_what_the_processor_reads() {
        let event = sqs_event(&messages(&["m1"]), "arn:aws:sqs:us-east-1:1:q");
        assert_eq!(event["Records"][0]["messageId"], "m1");
        assert_eq!(event["Records"][0]["body"], "{}");
        assert_eq!(
            event["Records"][0]["eventSourceARN"],
            "arn:aws:sqs:us-east-1:1:q"
        );
    }
}

//! Asynchronous invocation, played as Lambda plays it for S3 -> the trigger. Each event is
//! accepted at once; a failed invocation is retried `maximum_retry_attempts` times, one minute
//! and then two minutes later; a throttled event waits, with backoff, up to its maximum age; an
//! event Lambda gives up on becomes a record, in Lambda's JSON shape, on the on-failure queue.
//! Locally the clock runs faster by `clock_scale` (Lambda's minute is a second at 1/60).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use tokio::task::JoinSet;

use crate::deployment::AsyncConfig;
use crate::runtime_api::{Completion, RuntimeApi};
use crate::throttle::Throttle;

/// Lambda's waits before the first and second retry of a failed asynchronous invocation.
const RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(60), Duration::from_secs(120)];
/// Lambda's backoff for a throttled event starts at a second and grows to five minutes.
const THROTTLE_BACKOFF: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(300));

/// How one function is invoked asynchronously here.
#[derive(Debug)]
pub struct AsyncSpec {
    pub config: AsyncConfig,
    pub function_arn: String,
    pub timeout: Duration,
    /// The on-failure queue's URL (the state names it by ARN); None drops given-up events, as
    /// Lambda does without a destination.
    pub on_failure_url: Option<String>,
    /// Local seconds per Lambda second.
    pub clock_scale: f64,
}

/// What asynchronous invocation did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AsyncStats {
    pub events: u64,
    pub invocations: u64,
    pub retries: u64,
    pub throttled_waits: u64,
    /// Records written to the on-failure queue.
    pub sent_to_failure_queue: u64,
    /// Events given up with no destination to send them to.
    pub dropped: u64,
}

#[derive(Debug, Default)]
struct Counters {
    events: AtomicU64,
    invocations: AtomicU64,
    retries: AtomicU64,
    throttled_waits: AtomicU64,
    sent: AtomicU64,
    dropped: AtomicU64,
}

/// Accepts events for one function and sees each to its end.
#[derive(Debug)]
pub struct AsyncInvoker {
    inner: Arc<Inner>,
    tasks: Mutex<JoinSet<()>>,
}

#[derive(Debug)]
struct Inner {
    api: RuntimeApi,
    spec: AsyncSpec,
    sqs: aws_sdk_sqs::Client,
    throttle: Throttle,
    counters: Counters,
}

impl AsyncInvoker {
    pub fn new(
        api: RuntimeApi,
        spec: AsyncSpec,
        sqs: aws_sdk_sqs::Client,
        throttle: Throttle,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                api,
                spec,
                sqs,
                throttle,
                counters: Counters::default(),
            }),
            tasks: Mutex::new(JoinSet::new()),
        }
    }

    /// Accepts one event (Lambda answers 202 at once) and works on it in the background.
    pub fn invoke(&self, payload: Bytes) {
        self.inner.counters.events.fetch_add(1, Ordering::Relaxed);
        let inner = Arc::clone(&self.inner);
        self.tasks
            .lock()
            .expect("lock")
            .spawn(async move { inner.deliver(payload).await });
    }

    /// Events accepted but not yet finished (delivered, or given up).
    pub fn pending(&self) -> usize {
        let mut tasks = self.tasks.lock().expect("lock");
        while tasks.try_join_next().is_some() {}
        tasks.len()
    }

    pub fn stats(&self) -> AsyncStats {
        let c = &self.inner.counters;
        AsyncStats {
            events: c.events.load(Ordering::Relaxed),
            invocations: c.invocations.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            throttled_waits: c.throttled_waits.load(Ordering::Relaxed),
            sent_to_failure_queue: c.sent.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
        }
    }
}

/// Why Lambda gave an event up, as its records name it.
#[derive(Debug, Clone, Copy)]
enum Condition {
    RetriesExhausted,
    EventAgeExceeded,
}

impl Inner {
    fn scaled(&self, lambda_time: Duration) -> Duration {
        lambda_time.mul_f64(self.spec.clock_scale)
    }

    async fn deliver(&self, payload: Bytes) {
        let accepted = Instant::now();
        let max_age = self.scaled(self.spec.config.maximum_event_age);
        let mut failures = 0u32;
        let mut backoff = THROTTLE_BACKOFF.0;
        let mut last_error = serde_json::Value::Null;
        loop {
            if accepted.elapsed() >= max_age {
                return self
                    .give_up(&payload, Condition::EventAgeExceeded, failures, last_error)
                    .await;
            }
            if self.throttle.is_throttled().await {
                self.counters
                    .throttled_waits
                    .fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(self.scaled(backoff)).await;
                backoff = (backoff * 2).min(THROTTLE_BACKOFF.1);
                continue;
            }
            self.counters.invocations.fetch_add(1, Ordering::Relaxed);
            let error = match self.api.invoke(payload.clone(), self.spec.timeout).await {
                Ok(Completion::Response(_)) => return,
                Ok(Completion::Error(body)) => {
                    serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null)
                }
                Err(err) => {
                    serde_json::json!({"errorType": "Sandbox.Timedout", "errorMessage": err.to_string()})
                }
            };
            last_error = error;
            if failures >= self.spec.config.maximum_retry_attempts {
                return self
                    .give_up(
                        &payload,
                        Condition::RetriesExhausted,
                        failures + 1,
                        last_error,
                    )
                    .await;
            }
            let delay = RETRY_DELAYS[(failures as usize).min(RETRY_DELAYS.len() - 1)];
            failures += 1;
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(self.scaled(delay)).await;
        }
    }

    /// Sends the record of a given-up event to the on-failure queue.
    async fn give_up(
        &self,
        payload: &[u8],
        condition: Condition,
        invocations: u32,
        response: serde_json::Value,
    ) {
        let Some(url) = &self.spec.on_failure_url else {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let record = failure_record(
            &self.spec.function_arn,
            payload,
            condition,
            invocations,
            response,
        );
        let sent = self
            .sqs
            .send_message()
            .queue_url(url)
            .message_body(record.to_string())
            .send()
            .await;
        match sent {
            Ok(_) => self.counters.sent.fetch_add(1, Ordering::Relaxed),
            Err(err) => {
                eprintln!(
                    "async invoke: could not send a failure record: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&err)
                );
                self.counters.dropped.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

/// The record Lambda sends to an on-failure destination for an asynchronous invocation.
fn failure_record(
    function_arn: &str,
    payload: &[u8],
    condition: Condition,
    invocations: u32,
    response: serde_json::Value,
) -> serde_json::Value {
    let timestamp = aws_sdk_sqs::primitives::DateTime::from(SystemTime::now())
        .fmt(aws_sdk_sqs::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default();
    serde_json::json!({
        "version": "1.0",
        "timestamp": timestamp,
        "requestContext": {
            "requestId": format!("local-{:016x}", fastrand::u64(..)),
            "functionArn": format!("{function_arn}:$LATEST"),
            "condition": format!("{condition:?}"),
            "approximateInvokeCount": invocations,
        },
        "requestPayload": serde_json::from_slice::<serde_json::Value>(payload).unwrap_or(serde_json::Value::Null),
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": response,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_the_shape_redrive_reads() {
        let event = br#"{"Records":[{"eventName":"ObjectCreated:Put"}]}"#;
        let record = failure_record(
            "arn:aws:lambda:us-east-1:1:function:t",
            event,
            Condition::RetriesExhausted,
            3,
            serde_json::json!({"errorMessage": "boom"}),
        );
        assert_eq!(record["requestContext"]["condition"], "RetriesExhausted");
        assert_eq!(record["requestContext"]["approximateInvokeCount"], 3);
        assert_eq!(
            record["requestPayload"]["Records"][0]["eventName"],
            "ObjectCreated:Put"
        );
        let fixture: serde_json::Value =
            serde_json::from_str(&testdata::event("async_failure_record.json")).unwrap();
        let keys = |v: &serde_json::Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(
            keys(&record),
            keys(&fixture),
            "the same fields as Lambda's record"
        );
        assert_eq!(
            keys(&record["requestContext"]),
            keys(&fixture["requestContext"])
        );
    }
}

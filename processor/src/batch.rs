//! An SQS batch: messages in parallel, each isolated, with a partial batch response so only the
//! messages that may still succeed are delivered again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;
use tracing::Instrument;

use contract::{Request, parse_body};

use crate::outcome::Outcome;
use crate::pipeline::Processor;
use crate::store::ObjectStore;

/// The outcome of every job a message holds (an S3 notification may hold several).
async fn handle_message<S: ObjectStore>(
    processor: Arc<Processor<S>>,
    message: SqsMessage,
    id: String,
) -> Vec<Outcome> {
    let request = match parse_body(message.body.as_deref().unwrap_or_default()) {
        Ok(request) => request,
        // Kept (not acknowledged) so the body reaches the dead-letter queue for a human to see.
        Err(err) => {
            tracing::error!(message_id = %id, error = %err, "unreadable message body");
            return vec![Outcome::Failed {
                reason: err.to_string(),
            }];
        }
    };
    let jobs = match request {
        Request::Jobs(jobs) => jobs,
        Request::Ignore(why) => {
            tracing::info!(message_id = %id, reason = why, "message ignored");
            return vec![Outcome::Ignored(why)];
        }
    };
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let span =
            tracing::info_span!("image", message_id = %id, bucket = %job.bucket, key = %job.key);
        outcomes.push(processor.process(job, &id).instrument(span).await);
    }
    outcomes
}

/// Processes a batch until `deadline` and returns the ids of the messages to deliver again.
pub async fn handle_batch<S: ObjectStore>(
    processor: &Arc<Processor<S>>,
    event: SqsEvent,
    deadline: Instant,
) -> SqsBatchResponse {
    let started = Instant::now();
    let config = processor.config();
    let reserve = config.time_per_message;
    let size = event.records.len();
    let results: Vec<(String, Vec<Outcome>)> = futures::stream::iter(event.records)
        .map(|message| {
            let processor = Arc::clone(processor);
            async move {
                let id = message.message_id.clone().unwrap_or_default();
                if deadline.saturating_duration_since(Instant::now()) < reserve {
                    let reason = "not started: too close to the invocation deadline".to_owned();
                    return (id, vec![Outcome::Failed { reason }]);
                }
                // A task of its own, so a panic anywhere in this message is caught here.
                let task =
                    tokio::spawn(handle_message(processor, message, id.clone()).in_current_span());
                let outcomes = task.await.unwrap_or_else(|join| {
                    tracing::error!(message_id = %id, error = %join, "message handler panicked");
                    vec![Outcome::Failed {
                        reason: format!("panicked: {join}"),
                    }]
                });
                (id, outcomes)
            }
        })
        .buffer_unordered(config.messages_in_flight)
        .collect()
        .await;

    let mut response = SqsBatchResponse::default();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (id, outcomes) in &results {
        for outcome in outcomes {
            *counts.entry(outcome.label()).or_default() += 1;
        }
        if !outcomes.iter().any(Outcome::should_retry) {
            continue;
        }
        if id.is_empty() {
            // An empty identifier would make Lambda retry the whole batch; SQS never sends one.
            tracing::error!("a failed message has no message id; it cannot be reported");
            continue;
        }
        response.add_failure(id.clone());
    }
    tracing::info!(
        messages = size,
        failed_messages = response.batch_item_failures.len(),
        outcomes = ?counts,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "batch finished"
    );
    response
}

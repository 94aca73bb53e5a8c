//! `make redrive` for trigger mode: the records Lambda wrote to the trigger's on-failure
//! destination carry the S3 event it gave up on; each is run through the trigger's own
//! validation and enqueueing again, and deleted once its jobs are in the processor's queue.

use std::future::Future;

use contract::parse_failed_event;

use crate::{JobQueue, QueueError, TriggerConfig, handle_event};

/// One message of the failure queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureMessage {
    /// What deletes it.
    pub receipt: String,
    pub body: String,
}

/// The queue Lambda sends failed asynchronous events to.
pub trait FailureQueue: Send + Sync {
    /// Up to ten messages, hidden from later receives of this run.
    fn receive(&self) -> impl Future<Output = Result<Vec<FailureMessage>, QueueError>> + Send;
    fn delete(&self, receipt: &str) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// What one redrive did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedriveSummary {
    pub records: usize,
    /// Jobs enqueued from the records.
    pub enqueued: usize,
    /// Uploads the trigger's rules skip (as they would have at upload time).
    pub skipped: usize,
    /// Records left in the failure queue: unreadable, or still failing.
    pub kept: usize,
}

/// Re-runs every record of the failure queue through the trigger; a record is deleted only once
/// its jobs are enqueued.
pub async fn redrive<F: FailureQueue, Q: JobQueue>(
    config: &TriggerConfig,
    failures: &F,
    jobs: &Q,
) -> Result<RedriveSummary, QueueError> {
    let mut summary = RedriveSummary::default();
    loop {
        let messages = failures.receive().await?;
        if messages.is_empty() {
            return Ok(summary);
        }
        for message in messages {
            summary.records += 1;
            let record = match parse_failed_event(&message.body) {
                Ok(record) => record,
                Err(err) => {
                    tracing::error!(error = %err, "not an asynchronous invocation record; kept");
                    summary.kept += 1;
                    continue;
                }
            };
            let condition = record.condition.unwrap_or_default();
            match handle_event(config, jobs, record.request_payload).await {
                Ok(done) => {
                    failures.delete(&message.receipt).await?;
                    summary.enqueued += done.enqueued;
                    summary.skipped += done.skipped;
                    tracing::info!(condition, enqueued = done.enqueued, "record redriven");
                }
                Err(err) => {
                    tracing::error!(condition, error = %err, "record still fails; kept");
                    summary.kept += 1;
                }
            }
        }
    }
}

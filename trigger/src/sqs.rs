//! The job queue on Amazon SQS (or any SQS API endpoint).

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use crate::{Entry, JobQueue, QueueError};

/// `SendMessageBatch` to one queue; build once per container.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsQueue {
    /// Honours `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_SQS` like every SDK client.
    pub async fn from_env(url: String) -> Self {
        let shared = aws_config::load_from_env().await;
        Self {
            client: aws_sdk_sqs::Client::new(&shared),
            url,
        }
    }
}

impl JobQueue for SqsQueue {
    async fn send_batch(&self, entries: &[Entry]) -> Result<Vec<String>, QueueError> {
        let entries = entries
            .iter()
            .map(|e| {
                SendMessageBatchRequestEntry::builder()
                    .id(&e.id)
                    .message_body(&e.body)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| QueueError(e.to_string()))?;
        let output = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| QueueError(aws_sdk_sqs::error::DisplayErrorContext(&e).to_string()))?;
        Ok(output.failed().iter().map(|f| f.id().to_owned()).collect())
    }
}

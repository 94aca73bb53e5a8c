//! The job queue and the trigger's failure queue on Amazon SQS (or any SQS API endpoint).

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use crate::redrive::{FailureMessage, FailureQueue};
use crate::{Entry, JobQueue, QueueError};

fn queue_error<E: std::error::Error + 'static, R: std::fmt::Debug>(
    err: aws_sdk_sqs::error::SdkError<E, R>,
) -> QueueError {
    QueueError(aws_sdk_sqs::error::DisplayErrorContext(&err).to_string())
}

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
        Self::new(aws_sdk_sqs::Client::new(&shared), url)
    }

    pub fn new(client: aws_sdk_sqs::Client, url: String) -> Self {
        Self { client, url }
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
            .map_err(queue_error)?;
        Ok(output.failed().iter().map(|f| f.id().to_owned()).collect())
    }
}

/// The trigger's on-failure destination, read by `redrive`.
#[derive(Debug, Clone)]
pub struct SqsFailureQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsFailureQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: String) -> Self {
        Self { client, url }
    }
}

impl FailureQueue for SqsFailureQueue {
    async fn receive(&self) -> Result<Vec<FailureMessage>, QueueError> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            // A record that still fails stays hidden for the rest of this run.
            .visibility_timeout(300)
            .wait_time_seconds(1)
            .send()
            .await
            .map_err(queue_error)?;
        Ok(output
            .messages()
            .iter()
            .filter_map(|m| {
                Some(FailureMessage {
                    receipt: m.receipt_handle()?.to_owned(),
                    body: m.body()?.to_owned(),
                })
            })
            .collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(queue_error)?;
        Ok(())
    }
}

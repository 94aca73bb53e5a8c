//! `redrive` over a fake failure queue: records become jobs through the trigger's rules, and
//! only records whose jobs are enqueued leave the queue.

mod common;

use std::sync::Mutex;

use common::{FakeQueue, config};
use trigger::QueueError;
use trigger::redrive::{FailureMessage, FailureQueue, RedriveSummary, redrive};

/// Hands out its messages once, as a receive with a long visibility timeout does.
#[derive(Debug, Default)]
struct FakeFailures {
    waiting: Mutex<Vec<FailureMessage>>,
    deleted: Mutex<Vec<String>>,
}

impl FakeFailures {
    fn with(bodies: &[String]) -> Self {
        let waiting = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| FailureMessage {
                receipt: format!("r{i}"),
                body: body.clone(),
            })
            .collect();
        Self {
            waiting: Mutex::new(waiting),
            ..Self::default()
        }
    }
}

impl FailureQueue for FakeFailures {
    async fn receive(&self) -> Result<Vec<FailureMessage>, QueueError> {
        let mut waiting = self.waiting.lock().unwrap();
        let take = waiting.len().min(10);
        Ok(waiting.drain(..take).collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.deleted.lock().unwrap().push(receipt.to_owned());
        Ok(())
    }
}

/// The fixture record, with the S3 event's key replaced.
fn record_for(key: &str) -> String {
    let mut record: serde_json::Value =
        serde_json::from_str(&testdata::event("async_failure_record.json")).unwrap();
    record["requestPayload"]["Records"][0]["s3"]["object"]["key"] = key.into();
    record.to_string()
}

#[tokio::test(start_paused = true)]
async fn records_become_jobs_and_leave_the_queue() {
    let bodies: Vec<String> = (0..12)
        .map(|i| record_for(&format!("uploads/photo+{i}.jpg")))
        .collect();
    let failures = FakeFailures::with(&bodies);
    let jobs = FakeQueue::default();
    let summary = redrive(&config(), &failures, &jobs).await.unwrap();
    assert_eq!(
        summary,
        RedriveSummary {
            records: 12,
            enqueued: 12,
            skipped: 0,
            kept: 0
        }
    );
    assert_eq!(failures.deleted.lock().unwrap().len(), 12);
    assert!(
        jobs.delivered_keys()
            .contains(&"uploads/photo 3.jpg".to_owned())
    );
}

#[tokio::test(start_paused = true)]
async fn the_fixtures_upload_is_enqueued_under_its_decoded_key() {
    let failures = FakeFailures::with(&[testdata::event("async_failure_record.json")]);
    let jobs = FakeQueue::default();
    redrive(&config(), &failures, &jobs).await.unwrap();
    assert_eq!(
        jobs.delivered_keys(),
        ["uploads/holiday/cat on the beach.jpg"]
    );
}

#[tokio::test(start_paused = true)]
async fn unreadable_and_still_failing_records_stay() {
    let failures = FakeFailures::with(&[
        "not a record".to_owned(),
        record_for("uploads/doomed.jpg"),
        record_for("uploads/fine.jpg"),
        record_for("elsewhere/ignored.jpg"),
    ]);
    let jobs = FakeQueue::failing("doomed", 99);
    let summary = redrive(&config(), &failures, &jobs).await.unwrap();
    assert_eq!(
        summary,
        RedriveSummary {
            records: 4,
            enqueued: 1,
            skipped: 1,
            kept: 2
        }
    );
    // The unreadable record (r0) and the failing one (r1) stay; the skipped one is done with.
    assert_eq!(*failures.deleted.lock().unwrap(), ["r2", "r3"]);
}

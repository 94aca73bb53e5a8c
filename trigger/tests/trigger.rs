//! The trigger against a fake queue that can fail entries or whole calls.

mod common;

use common::{FakeQueue, config, s3_event};
use contract::Job;
use trigger::{TriggerConfig, TriggerError, handle_event};

#[tokio::test(start_paused = true)]
async fn validates_records_and_enqueues_decoded_jobs() {
    let queue = FakeQueue::default();
    let event = s3_event(&[
        ("uploads/cat+1.JPG", 100),
        ("uploads%2Fdog.png", 100),
        ("processed/uploads/cat/thumb.jpg", 100),
        ("rejected/uploads/x.jpg.json", 100),
        ("elsewhere/cat.jpg", 100),
        ("uploads/notes.txt", 100),
        ("uploads/huge.jpg", 60 * 1024 * 1024),
    ]);
    let summary = handle_event(&config(), &queue, event).await.unwrap();
    assert_eq!((summary.enqueued, summary.skipped), (2, 5));
    assert_eq!(
        queue.delivered_keys(),
        ["uploads/cat 1.JPG", "uploads/dog.png"]
    );
    let body = &queue.calls.lock().unwrap()[0][0].body;
    let job: Job = serde_json::from_str(body).unwrap();
    assert_eq!(
        (job.bucket.as_str(), job.size),
        ("photos-bucket", Some(100))
    );
}

#[tokio::test(start_paused = true)]
async fn sends_in_batches_of_ten() {
    let queue = FakeQueue::default();
    let keys: Vec<(String, u64)> = (0..23)
        .map(|i| (format!("uploads/{i:02}.jpg"), 10))
        .collect();
    let refs: Vec<(&str, u64)> = keys.iter().map(|(k, s)| (k.as_str(), *s)).collect();
    handle_event(&config(), &queue, s3_event(&refs))
        .await
        .unwrap();
    let sizes: Vec<usize> = queue.calls.lock().unwrap().iter().map(Vec::len).collect();
    assert_eq!(sizes, [10, 10, 3]);
    assert_eq!(queue.delivered_keys().len(), 23);
}

#[tokio::test(start_paused = true)]
async fn retries_only_the_entries_that_failed() {
    let queue = FakeQueue::failing("flaky", 2);
    let event = s3_event(&[
        ("uploads/a.jpg", 1),
        ("uploads/flaky.jpg", 1),
        ("uploads/b.jpg", 1),
    ]);
    handle_event(&config(), &queue, event).await.unwrap();
    let calls = queue.calls.lock().unwrap();
    let sizes: Vec<usize> = calls.iter().map(Vec::len).collect();
    assert_eq!(
        sizes,
        [3, 1, 1],
        "the two retries resend only the failed entry"
    );
    assert!(calls[1][0].body.contains("flaky"));
}

#[tokio::test(start_paused = true)]
async fn a_whole_failed_call_is_retried() {
    let queue = FakeQueue::default();
    *queue.failing_calls.lock().unwrap() = 1;
    handle_event(&config(), &queue, s3_event(&[("uploads/a.jpg", 1)]))
        .await
        .unwrap();
    assert_eq!(queue.calls.lock().unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn entries_that_keep_failing_fail_the_invocation() {
    let queue = FakeQueue::failing("doomed", 99);
    let event = s3_event(&[("uploads/ok.jpg", 1), ("uploads/doomed.jpg", 1)]);
    let err = handle_event(&config(), &queue, event).await.unwrap_err();
    assert!(
        matches!(
            err,
            TriggerError::NotEnqueued {
                failed: 1,
                total: 2,
                attempts: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_s3_test_event_is_acknowledged_and_enqueues_nothing() {
    let queue = FakeQueue::default();
    let event: serde_json::Value =
        serde_json::from_str(&testdata::event("s3_test_event.json")).unwrap();
    let summary = handle_event(&config(), &queue, event).await.unwrap();
    assert_eq!((summary.enqueued, summary.skipped), (0, 0));
    assert!(queue.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn removal_records_enqueue_nothing() {
    let queue = FakeQueue::default();
    let removal = serde_json::json!({"Records": [{"eventName": "ObjectRemoved:Delete"}]});
    let summary = handle_event(&config(), &queue, removal).await.unwrap();
    assert_eq!(summary.enqueued, 0);
    assert!(queue.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_payload_that_is_no_s3_event_fails_the_invocation() {
    let queue = FakeQueue::default();
    let err = handle_event(&config(), &queue, serde_json::json!({"hello": 1}))
        .await
        .unwrap_err();
    assert!(matches!(err, TriggerError::BadEvent(_)), "{err}");
}

#[test]
fn the_queue_url_is_required() {
    let err = TriggerConfig::from_env(|_| None).unwrap_err();
    assert_eq!(err.name, "QUEUE_URL");
}

//! The processor's batch handler over real-shaped SQS events and an in-memory store.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::SqsEvent;
use processor::batch::handle_batch;
use processor::config::Config;
use processor::pipeline::Processor;
use processor::store::{MemoryStore, NewObject, Object, ObjectStore, StoreError};
use testdata::{avif_dimensions, decode_output, event as event_json, fixture};

const BUCKET: &str = "photos-bucket";

/// An SQS event (from the real-shaped fixture) carrying these (message id, body) pairs.
fn sqs_event(messages: &[(&str, String)]) -> SqsEvent {
    let template: serde_json::Value = serde_json::from_str(&event_json("sqs_event.json")).unwrap();
    let mut event = template.clone();
    event["Records"] = messages
        .iter()
        .map(|(id, body)| {
            let mut record = template["Records"][0].clone();
            record["messageId"] = (*id).into();
            record["body"] = body.clone().into();
            record
        })
        .collect();
    serde_json::from_value(event).expect("a valid SQS event")
}

fn job(key: &str) -> String {
    serde_json::json!({"bucket": BUCKET, "key": key}).to_string()
}

/// A store that panics when asked for one key, to prove a panic fails only its message.
#[derive(Debug, Default)]
struct PanickingStore(MemoryStore);

impl ObjectStore for PanickingStore {
    async fn get(&self, bucket: &str, key: &str, max_bytes: u64) -> Result<Object, StoreError> {
        assert!(key != "uploads/panic.jpg", "injected panic for {key}");
        self.0.get(bucket, key, max_bytes).await
    }

    async fn put(&self, object: NewObject) -> Result<(), StoreError> {
        self.0.put(object).await
    }

    async fn exists(&self, bucket: &str, key: &str) -> Result<bool, StoreError> {
        self.0.exists(bucket, key).await
    }
}

fn processor_with(vars: &[(&str, &str)]) -> Arc<Processor<PanickingStore>> {
    let mut map: HashMap<&str, &str> = HashMap::from([("CPU_WORKERS", "2")]);
    map.extend(vars.iter().copied());
    let config = Config::from_env(|name| map.get(name).map(|v| (*v).to_owned())).expect("config");
    let store = PanickingStore::default();
    store.0.insert(
        BUCKET,
        "uploads/holiday/cat on the beach.jpg",
        fixture("baseline_420.jpg"),
    );
    store.0.insert(
        BUCKET,
        "uploads/café 100%.jpg",
        fixture("orientation_6.jpg"),
    );
    store
        .0
        .insert(BUCKET, "uploads/job.png", fixture("alpha.png"));
    store
        .0
        .insert(BUCKET, "uploads/turned.webp", fixture("orientation_6.webp"));
    store
        .0
        .insert(BUCKET, "uploads/moving.gif", fixture("animated.gif"));
    store
        .0
        .insert(BUCKET, "uploads/corrupt.jpg", fixture("truncated.jpg"));
    store
        .0
        .insert(BUCKET, "uploads/slow.jpg", fixture("baseline_420.jpg"));
    store.0.fail_gets_of("uploads/slow.jpg");
    Arc::new(Processor::new(store, config))
}

fn far_deadline() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

fn failed_ids(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<String> {
    let mut ids: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    ids.sort();
    ids
}

fn the_mixed_batch() -> SqsEvent {
    sqs_event(&[
        ("m-aws-event", event_json("s3_put_aws.json")),
        ("m-moto-event", event_json("s3_put_moto.json")),
        ("m-test-event", event_json("s3_test_event.json")),
        ("m-trigger-job", event_json("trigger_job.json")),
        ("m-corrupt", job("uploads/corrupt.jpg")),
        ("m-missing", job("uploads/missing.jpg")),
        ("m-transient", job("uploads/slow.jpg")),
        ("m-panic", job("uploads/panic.jpg")),
        ("m-garbage", "this is not json".to_owned()),
        ("m-loop", job("processed/uploads/x/thumb.jpg")),
    ])
}

/// An output's width and height: decoded (JPEG, WebP), or from its container (AVIF).
fn output_size(bytes: &[u8]) -> (u32, u32) {
    if bytes.get(4..8) == Some(b"ftyp") {
        return avif_dimensions(bytes).expect("a whole AVIF");
    }
    let pixels = decode_output(bytes);
    (pixels.width, pixels.height)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_batch_fails_exactly_the_retryable_messages() {
    let processor = processor_with(&[]);
    let response = handle_batch(&processor, the_mixed_batch(), far_deadline()).await;
    assert_eq!(
        failed_ids(&response),
        ["m-garbage", "m-panic", "m-transient"]
    );

    let store = &processor.store().0;
    assert_eq!(
        store.keys(BUCKET, "processed/"),
        [
            "processed/uploads/café 100%/large.jpg",
            "processed/uploads/café 100%/medium.jpg",
            "processed/uploads/café 100%/thumb.jpg",
            "processed/uploads/holiday/cat on the beach/large.jpg",
            "processed/uploads/holiday/cat on the beach/medium.jpg",
            "processed/uploads/holiday/cat on the beach/thumb.jpg",
            "processed/uploads/job/thumb.jpg",
        ]
    );
    assert_eq!(
        store.keys(BUCKET, "rejected/"),
        [
            "rejected/processed/uploads/x/thumb.jpg.json",
            "rejected/uploads/corrupt.jpg.json",
            "rejected/uploads/missing.jpg.json",
        ]
    );
    for (key, kind) in [
        ("rejected/uploads/corrupt.jpg.json", "truncated"),
        ("rejected/uploads/missing.jpg.json", "missing_object"),
        ("rejected/processed/uploads/x/thumb.jpg.json", "loop_guard"),
    ] {
        let record: serde_json::Value =
            serde_json::from_slice(&store.object(BUCKET, key).unwrap().body).unwrap();
        assert_eq!(record["error_kind"], kind, "{key}");
        assert_eq!(record["bucket"], BUCKET);
        assert!(record["message_id"].as_str().unwrap().starts_with("m-"));
        assert!(record["time"].as_str().unwrap().ends_with('Z'));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renditions_are_upright_jpegs_with_headers_and_metadata() {
    let processor = processor_with(&[("RENDITIONS", "small:48x48,square:20x20:cover")]);
    let event = sqs_event(&[("m1", event_json("s3_put_moto.json"))]);
    let response = handle_batch(&processor, event, far_deadline()).await;
    assert!(response.batch_item_failures.is_empty());
    let small = processor
        .store()
        .0
        .object(BUCKET, "processed/uploads/café 100%/small.jpg")
        .unwrap();
    assert_eq!(small.content_type, "image/jpeg");
    assert_eq!(
        small.cache_control.as_deref(),
        Some("public, max-age=86400")
    );
    assert!(
        small
            .metadata
            .iter()
            .any(|(k, v)| k == "source-etag" && !v.is_empty())
    );
    assert!(small.metadata.iter().all(|(_, v)| v.is_ascii()));
    let pixels = decode_output(&small.body);
    assert_eq!(
        (pixels.width, pixels.height),
        (48, 32),
        "orientation 6 is turned upright"
    );
    let square = processor
        .store()
        .0
        .object(BUCKET, "processed/uploads/café 100%/square.jpg")
        .unwrap();
    assert_eq!(decode_output(&square.body).width, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_format_of_a_rendition_gets_its_key_type_and_headers() {
    let processor = processor_with(&[("RENDITIONS", "small:48x48:webp+jpeg+avif,only:20x20:webp")]);
    let event = sqs_event(&[("m1", event_json("s3_put_moto.json"))]);
    let response = handle_batch(&processor, event, far_deadline()).await;
    assert!(response.batch_item_failures.is_empty());
    let object = |name: &str| {
        let key = format!("processed/uploads/café 100%/{name}");
        processor.store().0.object(BUCKET, &key)
    };
    assert!(
        object("only.jpg").is_none(),
        "a format not asked for is not written"
    );
    let mut sizes = Vec::new();
    for (name, content_type) in [
        ("small.webp", "image/webp"),
        ("small.jpg", "image/jpeg"),
        ("small.avif", "image/avif"),
        ("only.webp", "image/webp"),
    ] {
        let file = object(name).unwrap_or_else(|| panic!("{name} written"));
        assert_eq!(file.content_type, content_type, "{name}");
        assert_eq!(file.cache_control.as_deref(), Some("public, max-age=86400"));
        assert!(
            file.metadata.iter().any(|(k, _)| k == "source-key"),
            "{name}"
        );
        sizes.push(output_size(&file.body));
    }
    assert_eq!(
        sizes,
        [(48, 32), (48, 32), (48, 32), (20, 13)],
        "upright, every format alike"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webp_and_gif_uploads_are_rendered_upright_in_every_format() {
    let processor = processor_with(&[("RENDITIONS", "small:48x48:jpeg+webp+avif")]);
    let event = sqs_event(&[
        ("webp", job("uploads/turned.webp")),
        ("gif", job("uploads/moving.gif")),
    ]);
    let response = handle_batch(&processor, event, far_deadline()).await;
    assert!(response.batch_item_failures.is_empty());
    let store = &processor.store().0;
    assert!(store.keys(BUCKET, "rejected/").is_empty());
    for (stem, size) in [("turned", (48, 32)), ("moving", (48, 32))] {
        for name in ["small.jpg", "small.webp", "small.avif"] {
            let key = format!("processed/uploads/{stem}/{name}");
            let file = store
                .object(BUCKET, &key)
                .unwrap_or_else(|| panic!("{key}"));
            assert_eq!(output_size(&file.body), size, "{key}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_deliveries_write_identical_bytes() {
    let processor = processor_with(&[]);
    let key = "processed/uploads/holiday/cat on the beach/medium.jpg";
    let event = || sqs_event(&[("a", event_json("s3_put_aws.json"))]);
    handle_batch(&processor, event(), far_deadline()).await;
    let first = processor.store().0.object(BUCKET, key).unwrap().body;
    handle_batch(&processor, event(), far_deadline()).await;
    assert!(processor.store().0.object(BUCKET, key).unwrap().body == first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_not_started_before_the_deadline_are_reported_failed() {
    let processor = processor_with(&[("TIME_PER_MESSAGE_MS", "5000")]);
    let deadline = Instant::now() + Duration::from_secs(2);
    let event = sqs_event(&[
        ("a", event_json("s3_put_aws.json")),
        ("b", job("uploads/job.png")),
    ]);
    let response = handle_batch(&processor, event, deadline).await;
    assert_eq!(failed_ids(&response), ["a", "b"]);
    assert!(
        processor
            .store()
            .0
            .keys(BUCKET, "")
            .iter()
            .all(|k| k.starts_with("uploads/")),
        "nothing written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_reject_dlq_keeps_permanent_failures_for_the_dead_letter_queue() {
    let processor = processor_with(&[("ON_REJECT", "dlq")]);
    let event = sqs_event(&[
        ("bad", job("uploads/corrupt.jpg")),
        ("good", job("uploads/job.png")),
    ]);
    let response = handle_batch(&processor, event, far_deadline()).await;
    assert_eq!(failed_ids(&response), ["bad"]);
    assert!(processor.store().0.keys(BUCKET, "rejected/").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsafe_keys_and_keys_outside_the_input_prefix_are_rejected() {
    let processor = processor_with(&[]);
    let event = sqs_event(&[
        ("dots", job("uploads/../etc/passwd.jpg")),
        ("outside", job("elsewhere/cat.jpg")),
        ("own-record", job("rejected/uploads/corrupt.jpg.json")),
    ]);
    let response = handle_batch(&processor, event, far_deadline()).await;
    assert!(response.batch_item_failures.is_empty());
    let store = &processor.store().0;
    assert_eq!(
        store.keys(BUCKET, "rejected/"),
        [
            "rejected/elsewhere/cat.jpg.json",
            "rejected/unsafe-keys/uploads%2F..%2Fetc%2Fpasswd.jpg.json"
        ]
    );
    let record_key = "rejected/unsafe-keys/uploads%2F..%2Fetc%2Fpasswd.jpg.json";
    let record: serde_json::Value =
        serde_json::from_slice(&store.object(BUCKET, record_key).unwrap().body).unwrap();
    assert_eq!(record["error_kind"], "unsafe_key");
    assert!(store.keys(BUCKET, "processed/").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_denied_for_a_missing_key_is_a_rejection_not_a_retry() {
    // S3 answers 403, not 404, for a missing key to a caller it does not trust with listing.
    let processor = processor_with(&[]);
    processor.store().0.deny_missing_keys();
    let event = sqs_event(&[
        ("gone", job("uploads/deleted-before-processing.jpg")),
        ("here", job("uploads/job.png")),
    ]);
    let response = handle_batch(&processor, event, far_deadline()).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let store = &processor.store().0;
    let record: serde_json::Value = serde_json::from_slice(
        &store
            .object(
                BUCKET,
                "rejected/uploads/deleted-before-processing.jpg.json",
            )
            .expect("a rejection record")
            .body,
    )
    .unwrap();
    assert_eq!(record["error_kind"], "missing_object");
    assert_eq!(
        store.keys(BUCKET, "processed/uploads/job/").len(),
        processor.config().renditions.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_denied_for_an_existing_key_is_retried() {
    // The role lost its read permission: a fix and `make redrive` recover the message.
    let processor = processor_with(&[]);
    processor.store().0.deny_gets_of("uploads/job.png");
    let event = sqs_event(&[("denied", job("uploads/job.png"))]);
    let response = handle_batch(&processor, event, far_deadline()).await;
    assert_eq!(failed_ids(&response), ["denied"]);
    assert!(processor.store().0.keys(BUCKET, "rejected/").is_empty());
}

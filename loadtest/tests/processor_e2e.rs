//! The real `processor` binary behind the local Runtime API, reading and writing S3 on a local
//! emulator (moto): an SQS batch with a good and a corrupt upload must yield the renditions,
//! a rejection record, and an empty `batchItemFailures`.

mod common;

/// Credentials the function is given, which must never reach its logs.
const SECRET: &str = "e2e-secret-key-must-not-be-logged";

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use axum::body::Bytes;
use loadtest::function_pool::{FunctionPool, FunctionSpec};
use loadtest::runtime_api::Completion;

/// The processor binary of the same build profile as this test.
fn processor_binary() -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let binary = deps
        .parent()
        .and_then(|d| d.parent())
        .unwrap()
        .join("processor");
    assert!(
        binary.exists(),
        "{} is missing: run `cargo test --workspace --no-run` first (make test-e2e does)",
        binary.display()
    );
    binary
}

fn sqs_event(messages: &[(&str, serde_json::Value)]) -> Bytes {
    let records: Vec<serde_json::Value> = messages
        .iter()
        .map(|(id, body)| {
            serde_json::json!({
                "messageId": id, "receiptHandle": format!("handle-{id}"), "body": body.to_string(),
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs", "awsRegion": "us-east-1"
            })
        })
        .collect();
    Bytes::from(serde_json::json!({ "Records": records }).to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto_server and a built processor binary; run by `make test-e2e`"]
async fn the_processor_binary_renders_through_s3_and_reports_partial_failures() {
    let (endpoint, _moto) = common::start_moto();
    let s3 = loadtest::local_s3(&loadtest::local_aws_config(&endpoint).await);
    let bucket = "e2e-bucket";
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("create bucket");
    for (key, fixture) in [
        ("uploads/good photo.jpg", "baseline_420.jpg"),
        ("uploads/bad.jpg", "truncated.jpg"),
        ("uploads/page.jpg", "not_an_image.jpg"),
    ] {
        let bytes = testdata::fixture(fixture);
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .expect("upload");
    }

    let spec = FunctionSpec {
        name: "processor".to_owned(),
        binary: processor_binary(),
        environment: [
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("S3_FORCE_PATH_STYLE", "true"),
            ("RENDITIONS", "thumb:40x40:cover,medium:100x100"),
            ("AWS_ACCESS_KEY_ID", "AKIAE2EMUSTNOTBELOGGED"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec(),
        memory_mb: 1769,
        timeout: Duration::from_secs(30),
    };
    let logs = std::env::temp_dir().join(format!("processor-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&logs).unwrap();
    let pool = FunctionPool::start(&spec, 1, &logs)
        .await
        .expect("start the processor");
    let api = &pool.api;

    let event = sqs_event(&[
        (
            "good",
            serde_json::json!({"bucket": bucket, "key": "uploads/good photo.jpg"}),
        ),
        (
            "bad",
            serde_json::json!({"bucket": bucket, "key": "uploads/bad.jpg"}),
        ),
        (
            "page",
            serde_json::json!({"bucket": bucket, "key": "uploads/page.jpg"}),
        ),
    ]);
    let outcome = api
        .invoke(event, Duration::from_secs(30))
        .await
        .expect("the function answers");
    assert!(
        api.init_errors().is_empty(),
        "init errors: {:?}",
        api.init_errors()
    );
    let Completion::Response(body) = outcome else {
        panic!("the invocation failed: {outcome:?}")
    };
    let response: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        response["batchItemFailures"],
        serde_json::json!([]),
        "{response}"
    );

    let listed = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    let mut keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "processed/uploads/good photo/medium.jpg",
            "processed/uploads/good photo/thumb.jpg",
            "rejected/uploads/bad.jpg.json",
            "rejected/uploads/page.jpg.json",
            "uploads/bad.jpg",
            "uploads/good photo.jpg",
            "uploads/page.jpg",
        ]
    );
    // The function logged its work, but never an object's contents or its credentials.
    let logged: String = std::fs::read_dir(&logs)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert!(
        logged.contains("uploads/page.jpg"),
        "the logs name the keys"
    );
    for secret in [SECRET, "AKIAE2EMUSTNOTBELOGGED", "Not a photo"] {
        assert!(!logged.contains(secret), "the logs contain {secret:?}");
    }
    let thumb = s3
        .get_object()
        .bucket(bucket)
        .key("processed/uploads/good photo/thumb.jpg")
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.content_type(), Some("image/jpeg"));
    assert!(
        thumb
            .metadata()
            .and_then(|m| m.get("source-etag"))
            .is_some()
    );
}

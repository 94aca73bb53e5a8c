//! Asynchronous invocation as the local Lambda service plays it for the trigger, on moto: a
//! failing event is retried twice with Lambda's growing waits and then recorded on the
//! on-failure queue; a retry that succeeds leaves no record; a throttled event ages out into a
//! record without being run; the SQS mapping starts nothing while the function is throttled;
//! and the harness's scans of the on-failure queue leave its records there for `redrive`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use loadtest::async_invoke::{AsyncInvoker, AsyncSpec, AsyncStats};
use loadtest::deployment::AsyncConfig;
use loadtest::reconcile;
use loadtest::runtime_api::RuntimeApi;
use loadtest::throttle::Throttle;

/// Lambda's minute is 0.6 s here.
const CLOCK_SCALE: f64 = 0.01;

struct Setup {
    config: aws_config::SdkConfig,
    failures_url: String,
    _moto: common::Reaped,
}

async fn setup() -> Setup {
    let (endpoint, moto) = common::start_moto();
    let config = loadtest::local_aws_config(&endpoint).await;
    common::create_function(&config, "trigger").await;
    let failures_url = aws_sdk_sqs::Client::new(&config)
        .create_queue()
        .queue_name("trigger-failures")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    Setup {
        config,
        failures_url,
        _moto: moto,
    }
}

fn invoker(setup: &Setup, api: &RuntimeApi, maximum_event_age: Duration) -> AsyncInvoker {
    AsyncInvoker::new(
        api.clone(),
        AsyncSpec {
            config: AsyncConfig {
                maximum_event_age,
                maximum_retry_attempts: 2,
                on_failure_arn: Some("arn:aws:sqs:us-east-1:123456789012:trigger-failures".into()),
            },
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:trigger".into(),
            timeout: Duration::from_secs(5),
            on_failure_url: Some(setup.failures_url.clone()),
            clock_scale: CLOCK_SCALE,
        },
        aws_sdk_sqs::Client::new(&setup.config),
        Throttle::new(aws_sdk_lambda::Client::new(&setup.config), "trigger"),
    )
}

async fn settle(invoker: &AsyncInvoker) -> AsyncStats {
    let started = Instant::now();
    while invoker.pending() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "events never settled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    invoker.stats()
}

async fn records(setup: &Setup) -> Vec<serde_json::Value> {
    let received = aws_sdk_sqs::Client::new(&setup.config)
        .receive_message()
        .queue_url(&setup.failures_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    received
        .messages()
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect()
}

fn event() -> Bytes {
    Bytes::from(testdata::event("s3_put_aws.json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto_server; run by `make test-e2e`"]
async fn a_failing_event_is_retried_twice_then_recorded() {
    let setup = setup().await;
    let api = RuntimeApi::new("trigger");
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&attempts);
    common::fake_runtime(&api, move |_| {
        seen.lock().unwrap().push(Instant::now());
        common::Answer::Error(
            serde_json::json!({"errorType": "NotEnqueued", "errorMessage": "SQS is down"}),
        )
    });
    let invoker = invoker(&setup, &api, Duration::from_secs(21600));
    invoker.invoke(event());
    let stats = settle(&invoker).await;
    assert_eq!(
        (
            stats.events,
            stats.invocations,
            stats.retries,
            stats.sent_to_failure_queue
        ),
        (1, 3, 2, 1)
    );
    let at = attempts.lock().unwrap().clone();
    let gaps = [at[1] - at[0], at[2] - at[1]];
    // Lambda waits one minute, then two, scaled to 0.6 s and 1.2 s here.
    assert!(gaps[0] >= Duration::from_millis(550), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(1150), "{gaps:?}");
    let records = records(&setup).await;
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0]["requestContext"]["condition"],
        "RetriesExhausted"
    );
    assert_eq!(records[0]["requestContext"]["approximateInvokeCount"], 3);
    assert_eq!(records[0]["responsePayload"]["errorType"], "NotEnqueued");
    let original: serde_json::Value = serde_json::from_slice(&event()).unwrap();
    assert_eq!(
        records[0]["requestPayload"], original,
        "the event itself, for redrive"
    );
}

/// The harness scans the failure queue while it waits, and `redrive` runs right after the last
/// scan: a scan must leave every record visible, or `redrive` finds the queue empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto_server; run by `make test-e2e`"]
async fn scans_of_the_failure_queue_leave_its_records_for_redrive() {
    let setup = setup().await;
    let api = RuntimeApi::new("trigger");
    common::fake_runtime(&api, |_| {
        common::Answer::Error(serde_json::json!({"errorType": "NotEnqueued"}))
    });
    let invoker = invoker(&setup, &api, Duration::from_secs(21600));
    invoker.invoke(event());
    assert_eq!(settle(&invoker).await.sent_to_failure_queue, 1);
    let sqs = aws_sdk_sqs::Client::new(&setup.config);
    let first = reconcile::trigger_failure_keys(&sqs, &setup.failures_url).await;
    let second = reconcile::trigger_failure_keys(&sqs, &setup.failures_url).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first, second, "a scan hid the record from the next one");
    assert_eq!(records(&setup).await.len(), 1, "redrive would find nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto_server; run by `make test-e2e`"]
async fn a_retry_that_succeeds_leaves_no_record() {
    let setup = setup().await;
    let api = RuntimeApi::new("trigger");
    let calls = Arc::new(Mutex::new(0));
    let counted = Arc::clone(&calls);
    common::fake_runtime(&api, move |_| {
        let mut calls = counted.lock().unwrap();
        *calls += 1;
        if *calls == 1 {
            common::Answer::Error(serde_json::json!({"errorMessage": "once"}))
        } else {
            common::Answer::Response(serde_json::json!({"enqueued": 1}))
        }
    });
    let invoker = invoker(&setup, &api, Duration::from_secs(21600));
    invoker.invoke(event());
    let stats = settle(&invoker).await;
    assert_eq!(
        (
            stats.invocations,
            stats.retries,
            stats.sent_to_failure_queue
        ),
        (2, 1, 0)
    );
    assert!(records(&setup).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto_server; run by `make test-e2e`"]
async fn a_throttled_event_ages_out_into_a_record_without_running() {
    let setup = setup().await;
    aws_sdk_lambda::Client::new(&setup.config)
        .put_function_concurrency()
        .function_name("trigger")
        .reserved_concurrent_executions(0)
        .send()
        .await
        .unwrap();
    let api = RuntimeApi::new("trigger");
    common::fake_runtime(&api, |_| panic!("a throttled function must not run"));
    // Lambda's shortest maximum age, 60 s, is 0.6 s here.
    let invoker = invoker(&setup, &api, Duration::from_secs(60));
    invoker.invoke(event());
    let stats = settle(&invoker).await;
    assert_eq!((stats.invocations, stats.sent_to_failure_queue), (0, 1));
    assert!(stats.throttled_waits > 0);
    let records = records(&setup).await;
    assert_eq!(
        records[0]["requestContext"]["condition"],
        "EventAgeExceeded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto_server; run by `make test-e2e`"]
async fn the_throttle_follows_reserved_concurrency() {
    let setup = setup().await;
    let lambda = aws_sdk_lambda::Client::new(&setup.config);
    let throttle = Throttle::new(lambda.clone(), "trigger");
    assert!(!throttle.is_throttled().await, "no reservation: runs");
    lambda
        .put_function_concurrency()
        .function_name("trigger")
        .reserved_concurrent_executions(0)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(
        throttle.is_throttled().await,
        "reserved concurrency 0: throttled"
    );
    lambda
        .delete_function_concurrency()
        .function_name("trigger")
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(
        !throttle.is_throttled().await,
        "the reservation removed: runs again"
    );
}

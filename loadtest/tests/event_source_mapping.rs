//! The event source mapping emulation against real SQS semantics (moto): successes deleted,
//! failures left to the visibility timeout, redriven to the DLQ after `maxReceiveCount`, and a
//! batch whose instance never answers retried once its visibility timeout expires; and the
//! Runtime API failing at once the invocation of an instance that died.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use loadtest::event_source_mapping::{MappingSpec, MappingStats, run_mapping};
use loadtest::runtime_api::RuntimeApi;
use loadtest::throttle::Throttle;

/// One record as the fake function saw it.
#[derive(Debug, Clone)]
struct Seen {
    body: String,
    receive_count: u32,
    at: Instant,
}

/// What the fake function does with a record: succeed, fail it, or hang the whole invocation.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    Ok,
    Fail,
    Hang,
}

/// A function instance played by the test, answering with a partial batch response made by
/// `verdict`.
fn fake_instance(
    api: &RuntimeApi,
    seen: Arc<Mutex<Vec<Seen>>>,
    verdict: impl Fn(&str, u32) -> Verdict + Send + 'static,
) {
    common::fake_runtime(api, move |event| {
        let mut failures = Vec::new();
        let mut hang = false;
        for record in event["Records"].as_array().unwrap() {
            let body = record["body"].as_str().unwrap().to_owned();
            let receive_count = record["attributes"]["ApproximateReceiveCount"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            match verdict(&body, receive_count) {
                Verdict::Ok => {}
                Verdict::Fail => {
                    failures.push(serde_json::json!({"itemIdentifier": record["messageId"]}))
                }
                Verdict::Hang => hang = true,
            }
            seen.lock().unwrap().push(Seen {
                body,
                receive_count,
                at: Instant::now(),
            });
        }
        if hang {
            // Never answer this invocation; the service times it out.
            common::Answer::Hang
        } else {
            common::Answer::Response(serde_json::json!({ "batchItemFailures": failures }))
        }
    });
}

struct Queues {
    sqs: aws_sdk_sqs::Client,
    url: String,
    arn: String,
    dlq_url: String,
}

/// A queue redriving to a DLQ after `max_receive_count` receives.
async fn queues(endpoint: &str, visibility_s: u32, max_receive_count: u32) -> Queues {
    let sqs = aws_sdk_sqs::Client::new(&loadtest::local_aws_config(endpoint).await);
    let dlq_url = sqs
        .create_queue()
        .queue_name("jobs-dlq")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn_of = |url: String| {
        let sqs = sqs.clone();
        async move {
            sqs.get_queue_attributes()
                .queue_url(url)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .send()
                .await
                .unwrap()
                .attributes
                .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
                .clone()
        }
    };
    let dlq_arn = arn_of(dlq_url.clone()).await;
    let redrive =
        serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count});
    let url = sqs
        .create_queue()
        .queue_name("jobs")
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            visibility_s.to_string(),
        )
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
            redrive.to_string(),
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = arn_of(url.clone()).await;
    Queues {
        sqs,
        url,
        arn,
        dlq_url,
    }
}

/// Runs the mapping with one worker until `done` says so or 30 s pass.
async fn run_until(
    queues: &Queues,
    api: &RuntimeApi,
    function_timeout: Duration,
    throttle: Option<Arc<Throttle>>,
    done: impl Fn() -> bool,
) -> MappingStats {
    let mapping = MappingSpec {
        queue_url: queues.url.clone(),
        queue_arn: queues.arn.clone(),
        batch_size: 10,
        batching_window: Duration::ZERO,
        maximum_concurrency: 1,
        duplicate_share: 0.0,
        throttle,
    };
    let stats = Arc::new(Mutex::new(MappingStats::default()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let poller = tokio::spawn(run_mapping(
        queues.sqs.clone(),
        api.clone(),
        mapping,
        function_timeout,
        stopped,
        Arc::clone(&stats),
    ));
    let started = Instant::now();
    while !done() && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send(true).unwrap();
    poller.await.unwrap();
    std::mem::take(&mut *stats.lock().unwrap())
}

async fn bodies_in(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let received = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let mut bodies: Vec<String> = received
        .messages()
        .iter()
        .filter_map(|m| m.body().map(str::to_owned))
        .collect();
    bodies.sort();
    bodies
}

fn count(seen: &[Seen], body: &str) -> usize {
    seen.iter().filter(|s| s.body == body).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto_server; run by `make test-e2e`"]
async fn failed_messages_are_retried_and_redriven_to_the_dlq_successes_deleted() {
    let (endpoint, _moto) = common::start_moto();
    let queues = queues(&endpoint, 1, 2).await;
    for body in ["good-1", "poison", "good-2"] {
        queues
            .sqs
            .send_message()
            .queue_url(&queues.url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let api = RuntimeApi::new("fake");
    let seen = Arc::new(Mutex::new(Vec::new()));
    fake_instance(&api, Arc::clone(&seen), |body, _| {
        if body == "poison" {
            Verdict::Fail
        } else {
            Verdict::Ok
        }
    });
    let sqs = queues.sqs.clone();
    let dlq_url = queues.dlq_url.clone();
    let in_dlq = Arc::new(Mutex::new(Vec::new()));
    let watch = Arc::clone(&in_dlq);
    tokio::spawn(async move {
        loop {
            let bodies = bodies_in(&sqs, &dlq_url).await;
            if !bodies.is_empty() {
                *watch.lock().unwrap() = bodies;
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let stats = run_until(&queues, &api, Duration::from_secs(5), None, || {
        !in_dlq.lock().unwrap().is_empty()
    })
    .await;

    assert_eq!(
        *in_dlq.lock().unwrap(),
        ["poison"],
        "the DLQ holds the poison message"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        count(&seen, "good-1"),
        1,
        "successes are deleted, never redelivered: {seen:?}"
    );
    assert_eq!(count(&seen, "good-2"), 1, "{seen:?}");
    let poison: Vec<&Seen> = seen.iter().filter(|s| s.body == "poison").collect();
    assert_eq!(
        poison.iter().map(|s| s.receive_count).collect::<Vec<_>>(),
        [1, 2],
        "received maxReceiveCount times, then redriven"
    );
    assert!(
        poison[1].at - poison[0].at >= Duration::from_millis(900),
        "the retry waited for the visibility timeout"
    );
    assert!(bodies_in(&queues.sqs, &queues.url).await.is_empty());
    assert!(
        stats
            .invocations
            .iter()
            .any(|i| i.failed == 1 && i.messages == 3)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto_server; run by `make test-e2e`"]
async fn a_batch_that_times_out_comes_back_after_the_visibility_timeout() {
    let (endpoint, _moto) = common::start_moto();
    let visibility = Duration::from_secs(3);
    let queues = queues(&endpoint, 3, 5).await;
    queues
        .sqs
        .send_message()
        .queue_url(&queues.url)
        .message_body("slow-the-first-time")
        .send()
        .await
        .unwrap();
    let api = RuntimeApi::new("fake");
    let seen = Arc::new(Mutex::new(Vec::new()));
    // Hangs on the first delivery (a stuck or dead instance), succeeds on the second.
    fake_instance(&api, Arc::clone(&seen), |_, receive_count| {
        if receive_count == 1 {
            Verdict::Hang
        } else {
            Verdict::Ok
        }
    });
    let watched = Arc::clone(&seen);
    let stats = run_until(&queues, &api, Duration::from_secs(1), None, || {
        watched.lock().unwrap().len() >= 2
    })
    .await;

    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter().map(|s| s.receive_count).collect::<Vec<_>>(),
        [1, 2],
        "{seen:?}"
    );
    assert!(
        seen[1].at - seen[0].at >= visibility - Duration::from_millis(100),
        "redelivered only after the visibility timeout, not when the invocation timed out"
    );
    assert!(
        stats.invocations[0].errored,
        "the first invocation timed out"
    );
    // The second invocation succeeded, so the message is gone for good.
    tokio::time::sleep(visibility).await;
    assert!(bodies_in(&queues.sqs, &queues.url).await.is_empty());
    assert!(bodies_in(&queues.sqs, &queues.dlq_url).await.is_empty());
}

/// The function "fake" with a reserved concurrency of 0 (throttled, as `make destroy` leaves
/// it), and a queue holding one message, "job".
async fn throttled_function_with_one_job(
    config: &aws_config::SdkConfig,
    endpoint: &str,
) -> (aws_sdk_lambda::Client, Queues) {
    common::create_function(config, "fake").await;
    let lambda = aws_sdk_lambda::Client::new(config);
    lambda
        .put_function_concurrency()
        .function_name("fake")
        .reserved_concurrent_executions(0)
        .send()
        .await
        .unwrap();
    let queues = queues(endpoint, 30, 5).await;
    queues
        .sqs
        .send_message()
        .queue_url(&queues.url)
        .message_body("job")
        .send()
        .await
        .unwrap();
    (lambda, queues)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto_server; run by `make test-e2e`"]
async fn a_throttled_function_gets_no_batch_until_its_reservation_is_lifted() {
    let (endpoint, _moto) = common::start_moto();
    let config = loadtest::local_aws_config(&endpoint).await;
    let (lambda, queues) = throttled_function_with_one_job(&config, &endpoint).await;
    let api = RuntimeApi::new("fake");
    let seen = Arc::new(Mutex::new(Vec::new()));
    fake_instance(&api, Arc::clone(&seen), |_, _| Verdict::Ok);
    let started = Instant::now();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        lambda
            .delete_function_concurrency()
            .function_name("fake")
            .send()
            .await
            .unwrap();
    });
    let throttle = Arc::new(Throttle::new(aws_sdk_lambda::Client::new(&config), "fake"));
    let watched = Arc::clone(&seen);
    let stats = run_until(
        &queues,
        &api,
        Duration::from_secs(5),
        Some(throttle),
        move || !watched.lock().unwrap().is_empty(),
    )
    .await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "delivered once the reservation was lifted");
    assert!(
        seen[0].at - started >= Duration::from_millis(2500),
        "nothing was delivered while the function was throttled"
    );
    assert_eq!(stats.invocations.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto_server; run by `make test-e2e`"]
async fn a_deleted_function_gets_no_batch() {
    // `make destroy`: the function is throttled, then `terraform destroy` deletes it while the
    // harness still runs; a batch delivered then would write into buckets already emptied.
    let (endpoint, _moto) = common::start_moto();
    let config = loadtest::local_aws_config(&endpoint).await;
    let (lambda, queues) = throttled_function_with_one_job(&config, &endpoint).await;
    lambda
        .delete_function()
        .function_name("fake")
        .send()
        .await
        .unwrap();
    let api = RuntimeApi::new("fake");
    let seen = Arc::new(Mutex::new(Vec::new()));
    fake_instance(&api, Arc::clone(&seen), |_, _| Verdict::Ok);
    let throttle = Arc::new(Throttle::new(lambda, "fake"));
    let started = Instant::now();
    let stats = run_until(
        &queues,
        &api,
        Duration::from_secs(5),
        Some(throttle),
        move || started.elapsed() > Duration::from_secs(3),
    )
    .await;
    assert!(seen.lock().unwrap().is_empty(), "a deleted function ran");
    assert!(stats.invocations.is_empty());
    assert_eq!(bodies_in(&queues.sqs, &queues.url).await, ["job"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_dies_mid_invocation_fails_it_at_once() {
    use axum::body::Bytes;
    use http_body_util::Full;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    let api = RuntimeApi::new("fake");
    let (instance, address) = api.serve_instance().unwrap();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let invoking = api.clone();
    let invocation = tokio::spawn(async move {
        invoking
            .invoke(Bytes::from_static(b"{}"), Duration::from_secs(30))
            .await
    });
    // The instance takes the invocation, then dies without answering.
    let next = client
        .get(
            format!("http://{address}/2018-06-01/runtime/invocation/next")
                .parse()
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(next.status().is_success());
    let died = Instant::now();
    assert!(api.instance_exited(instance), "it held an invocation");
    let outcome = invocation
        .await
        .unwrap()
        .expect("an outcome, not a timeout");
    assert!(died.elapsed() < Duration::from_secs(5), "failed at once");
    let loadtest::runtime_api::Completion::Error(body) = outcome else {
        panic!("expected an error, got {outcome:?}")
    };
    assert!(String::from_utf8_lossy(&body).contains("Runtime.ExitError"));
    assert!(!api.instance_exited(instance), "nothing is held any more");
}

//! The AWS target's own API calls, against moto: reading REPORT records back from CloudWatch
//! Logs, and setting the processor's memory size for a sweep.

mod common;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use loadtest::lambda_report;
use loadtest::memory_sweep::set_memory;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto_server; run by `make test-e2e`"]
async fn report_records_are_read_back_from_the_log_group() {
    let (endpoint, _moto) = common::start_moto();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&loadtest::local_aws_config(&endpoint).await);
    let group = "/aws/lambda/image-pipeline-processor";
    logs.create_log_group()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name("2026/11/28/[$LATEST]abc")
        .send()
        .await
        .unwrap();
    let at = now_ms();
    let lines = [
        r#"{"time":"2026-11-28T02:00:00.000Z","type":"platform.start","record":{"requestId":"r1"}}"#,
        r#"{"level":"INFO","fields":{"message":"rendered","key":"uploads/a.jpg"}}"#,
        r#"{"time":"2026-11-28T02:00:01.000Z","type":"platform.report","record":{"requestId":"r1","metrics":{"durationMs":803.5,"billedDurationMs":804,"memorySizeMB":1769,"maxMemoryUsedMB":141,"initDurationMs":30.2},"status":"success"}}"#,
        r#"{"time":"2026-11-28T02:00:02.000Z","type":"platform.report","record":{"requestId":"r2","metrics":{"durationMs":410.0,"billedDurationMs":410,"memorySizeMB":1769,"maxMemoryUsedMB":150},"status":"success"}}"#,
    ];
    let events: Vec<InputLogEvent> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            InputLogEvent::builder()
                .timestamp(at + i as i64)
                .message(*line)
                .build()
                .unwrap()
        })
        .collect();
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name("2026/11/28/[$LATEST]abc")
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap();

    let fetched = lambda_report::fetch(&logs, group, at - 1000, at + 60_000)
        .await
        .unwrap();
    let billed: Vec<f64> = fetched.reports.iter().map(|r| r.billed_ms).collect();
    assert_eq!(billed, [804.0, 410.0]);
    assert_eq!(fetched.reports[0].init_ms, Some(30.2));
    assert_eq!(
        fetched.bytes,
        lines.iter().map(|l| l.len() as u64).sum::<u64>()
    );
    let before = lambda_report::fetch(&logs, group, at - 60_000, at - 1000)
        .await
        .unwrap();
    assert!(before.reports.is_empty(), "the time window is honoured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto_server; run by `make test-e2e`"]
async fn the_sweep_sets_the_memory_size_and_waits_for_it() {
    let (endpoint, _moto) = common::start_moto();
    let config = loadtest::local_aws_config(&endpoint).await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    common::create_function(&config, "processor").await;
    set_memory(&lambda, "processor", 3008).await.unwrap();
    let now = lambda
        .get_function_configuration()
        .function_name("processor")
        .send()
        .await
        .unwrap();
    assert_eq!(now.memory_size(), Some(3008));
    assert!(set_memory(&lambda, "no-such-function", 1024).await.is_err());
}

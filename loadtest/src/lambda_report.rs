//! Lambda's per-invocation report (`REPORT` lines, or `platform.report` records in JSON log
//! format): what a deployed function was billed and how much memory it used, read back from
//! CloudWatch Logs, and the measurements of a `TARGET=aws` pass built from them.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

use crate::emf::{self, ImageTiming};
use crate::instance_trace::InstanceTimeline;
use crate::report::{CpuSeconds, Measurements, round1};
use crate::{procstat, unix_seconds};

/// One invocation as Lambda reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct InvocationReport {
    pub duration_ms: f64,
    pub billed_ms: f64,
    pub memory_mb: f64,
    pub max_memory_used_mb: f64,
    /// Present on cold starts.
    pub init_ms: Option<f64>,
}

/// Parses a log event: a JSON `platform.report` record or a plain-text `REPORT` line.
pub fn parse(message: &str) -> Option<InvocationReport> {
    let message = message.trim();
    if message.starts_with('{') {
        let record: Value = serde_json::from_str(message).ok()?;
        if record["type"] != "platform.report" {
            return None;
        }
        let metrics = &record["record"]["metrics"];
        let get = |name: &str| metrics[name].as_f64();
        return Some(InvocationReport {
            duration_ms: get("durationMs")?,
            billed_ms: get("billedDurationMs")?,
            memory_mb: get("memorySizeMB")?,
            max_memory_used_mb: get("maxMemoryUsedMB")?,
            init_ms: get("initDurationMs"),
        });
    }
    let rest = message.strip_prefix("REPORT ")?;
    // Fields are tab-separated `Name: value unit`.
    let field = |name: &str| {
        rest.split('\t').find_map(|part| {
            let value = part.trim().strip_prefix(name)?.strip_prefix(':')?;
            value.split_whitespace().next()?.parse::<f64>().ok()
        })
    };
    Some(InvocationReport {
        duration_ms: field("Duration")?,
        billed_ms: field("Billed Duration")?,
        memory_mb: field("Memory Size")?,
        max_memory_used_mb: field("Max Memory Used")?,
        init_ms: field("Init Duration"),
    })
}

/// What a log group received in a time window.
#[derive(Debug, Default)]
pub struct Fetched {
    pub reports: Vec<InvocationReport>,
    /// Each report's log stream (one per instance) and time (ms since the epoch), in order.
    pub placed: Vec<(String, i64)>,
    /// The processor's metrics line of each image it rendered.
    pub timings: Vec<ImageTiming>,
    /// The size of every log event, reports or not (log ingestion is billed by the byte).
    pub bytes: u64,
}

/// Instances on the run's time axis from their reports: a log stream is an instance, a report
/// ends its invocation, and a cold start's init comes just before its first invocation.
pub fn timelines(fetched: &Fetched, started_ms: i64) -> Vec<InstanceTimeline> {
    let mut streams: Vec<&str> = Vec::new();
    let mut timelines: Vec<InstanceTimeline> = Vec::new();
    for (report, (stream, at_ms)) in fetched.reports.iter().zip(&fetched.placed) {
        let end = (*at_ms - started_ms) as f64 / 1000.0;
        let start = end - report.duration_ms / 1000.0;
        let index = match streams.iter().position(|s| s == stream) {
            Some(index) => index,
            None => {
                streams.push(stream);
                timelines.push(InstanceTimeline {
                    instance: timelines.len() as u64,
                    started_s: start - report.init_ms.unwrap_or(0.0) / 1000.0,
                    init_ms: report.init_ms,
                    busy_s: Vec::new(),
                });
                timelines.len() - 1
            }
        };
        timelines[index].busy_s.push([start, end]);
    }
    timelines
}

/// The reports a function's log group received between two times (milliseconds since the
/// epoch).
pub async fn fetch(
    logs: &aws_sdk_cloudwatchlogs::Client,
    log_group: &str,
    start_ms: i64,
    end_ms: i64,
) -> Result<Fetched, aws_sdk_cloudwatchlogs::Error> {
    let mut fetched = Fetched::default();
    let mut pages = logs
        .filter_log_events()
        .log_group_name(log_group)
        .start_time(start_ms)
        .end_time(end_ms)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_sdk_cloudwatchlogs::Error::from)?;
        for event in page.events() {
            let Some(message) = event.message() else {
                continue;
            };
            fetched.bytes += message.len() as u64;
            fetched.timings.extend(emf::parse(message));
            if let Some(report) = parse(message) {
                fetched.reports.push(report);
                fetched.placed.push((
                    event.log_stream_name().unwrap_or_default().to_owned(),
                    event.timestamp().unwrap_or_default(),
                ));
            }
        }
    }
    Ok(fetched)
}

/// The measurements of a pass on AWS: the processor's REPORT records since `started_ms`, read
/// until no new ones arrive (log delivery lags invocations by seconds) or `wait` has passed.
/// `processed` is how many uploads the pass saw finish.
pub async fn aws_measurements(
    logs: &aws_sdk_cloudwatchlogs::Client,
    function: &str,
    memory_mb: u32,
    started_ms: i64,
    processed: usize,
    wait: Duration,
) -> anyhow::Result<Measurements> {
    let log_group = format!("/aws/lambda/{function}");
    let waited = Instant::now();
    let mut seen = 0;
    loop {
        let end_ms = unix_seconds() as i64 * 1000 + 60_000;
        let fetched = fetch(logs, &log_group, started_ms, end_ms)
            .await
            .with_context(|| format!("reading {log_group}"))?;
        let settled = !fetched.reports.is_empty() && fetched.reports.len() == seen;
        seen = fetched.reports.len();
        if settled || waited.elapsed() >= wait {
            let reports = &fetched.reports;
            let invocations = reports.len();
            return Ok(Measurements {
                init_ms: reports.iter().filter_map(|r| r.init_ms).collect(),
                image_timings: fetched.timings.clone(),
                instances: timelines(&fetched, started_ms),
                durations_ms: reports.iter().map(|r| r.duration_ms).collect(),
                billed_ms: reports.iter().map(|r| r.billed_ms).sum(),
                // Lambda does not report batch sizes; spread the processed messages evenly.
                messages: processed,
                // The mapping's pollers: at least one receive and one delete per batch.
                sqs_polling_requests: 2.0 * invocations as f64,
                peak_mib: reports
                    .iter()
                    .map(|r| r.max_memory_used_mb)
                    .fold(0.0, f64::max),
                cpu_seconds: CpuSeconds {
                    processor: 0.0,
                    emulator: 0.0,
                    harness: round1(procstat::cpu_seconds(std::process::id())),
                },
                log_bytes: fetched.bytes,
                basis: format!(
                    "From {invocations} REPORT records of {log_group} (billed durations at {memory_mb} MB); SQS polling estimated as one receive and one delete per batch"
                ),
            });
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_and_json_reports_and_nothing_else() {
        let text = "REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 1769 MB\tMax Memory Used: 88 MB\tInit Duration: 25.10 ms\t\n";
        assert_eq!(
            parse(text),
            Some(InvocationReport {
                duration_ms: 12.34,
                billed_ms: 13.0,
                memory_mb: 1769.0,
                max_memory_used_mb: 88.0,
                init_ms: Some(25.1),
            })
        );
        let json = r#"{"time":"2026-11-28T02:00:00.000Z","type":"platform.report","record":{"requestId":"6d68ca91","metrics":{"durationMs":803.5,"billedDurationMs":804,"memorySizeMB":1769,"maxMemoryUsedMB":141},"status":"success"}}"#;
        let report = parse(json).unwrap();
        assert_eq!(
            (report.billed_ms, report.max_memory_used_mb, report.init_ms),
            (804.0, 141.0, None)
        );
        for other in [
            r#"{"time":"2026-11-28T02:00:00.000Z","type":"platform.start","record":{"requestId":"6d68ca91"}}"#,
            r#"{"level":"INFO","fields":{"message":"rendered"}}"#,
            "START RequestId: 6d68ca91 Version: $LATEST",
            "REPORT RequestId: 6d68ca91\tDuration: soon",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
    }

    #[test]
    fn each_log_stream_is_an_instance_and_a_cold_start_comes_before_its_first_invocation() {
        let report = |duration_ms, init_ms| InvocationReport {
            duration_ms,
            billed_ms: duration_ms,
            memory_mb: 1769.0,
            max_memory_used_mb: 80.0,
            init_ms,
        };
        let fetched = Fetched {
            reports: vec![
                report(500.0, Some(40.0)),
                report(200.0, None),
                report(300.0, Some(50.0)),
            ],
            placed: vec![
                ("a".into(), 10_000),
                ("a".into(), 11_000),
                ("b".into(), 12_000),
            ],
            timings: Vec::new(),
            bytes: 0,
        };
        let timelines = timelines(&fetched, 8_000);
        assert_eq!(timelines.len(), 2);
        assert_eq!(timelines[0].busy_s, [[1.5, 2.0], [2.8, 3.0]]);
        assert_eq!(timelines[0].init_ms, Some(40.0));
        assert!((timelines[0].started_s - 1.46).abs() < 1e-9);
        assert_eq!((timelines[1].instance, timelines[1].busy_s.len()), (1, 1));
    }
}

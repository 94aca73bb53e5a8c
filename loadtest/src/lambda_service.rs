//! The local Lambda service: function instances as child processes behind the Runtime API, and
//! the SQS event source mapping (batching, concurrency, partial batch responses, deletes).

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use axum::body::Bytes;
use tokio::sync::watch;

use crate::procstat;
use crate::runtime_api::{Outcome, RuntimeApi};

/// A function as Terraform created it.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub name: String,
    pub binary: PathBuf,
    pub environment: Vec<(String, String)>,
    pub memory_mb: u32,
    pub timeout: Duration,
}

/// An event source mapping as Terraform created it.
#[derive(Debug, Clone)]
pub struct MappingSpec {
    pub queue_url: String,
    pub queue_arn: String,
    pub batch_size: usize,
    pub batching_window: Duration,
    pub maximum_concurrency: usize,
    /// The share of batches delivered a second time (SQS delivers at least once); 0 but in
    /// chaos runs.
    pub duplicate_share: f64,
}

/// One running instance: a child process and the id its Runtime API endpoint knows it by.
#[derive(Debug)]
struct Instance {
    id: u64,
    child: Child,
}

/// CPU time and peak memory of the instances so far, including those that were replaced.
#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    cpu_seconds: f64,
    peak_mib: f64,
}

#[derive(Debug)]
struct Instances {
    running: Vec<Instance>,
    retired: Usage,
    replaced: u64,
}

/// Running instances of one function; an instance that exits (or is killed) fails the
/// invocation it held and is replaced by a fresh one, as Lambda does. Killed when dropped.
#[derive(Debug)]
pub struct FunctionPool {
    pub api: RuntimeApi,
    spec: FunctionSpec,
    log_dir: PathBuf,
    instances: Arc<Mutex<Instances>>,
    supervisor: tokio::task::JoinHandle<()>,
}

impl FunctionPool {
    /// Starts `instances` processes of the function, each with its own Runtime API endpoint.
    pub async fn start(
        spec: &FunctionSpec,
        instances: usize,
        log_dir: &std::path::Path,
    ) -> std::io::Result<Self> {
        let api = RuntimeApi::new(&spec.name);
        let mut running = Vec::with_capacity(instances);
        for _ in 0..instances {
            running.push(spawn_instance(&api, spec, log_dir)?);
        }
        let instances = Arc::new(Mutex::new(Instances {
            running,
            retired: Usage::default(),
            replaced: 0,
        }));
        let supervisor = tokio::spawn(supervise(
            api.clone(),
            spec.clone(),
            log_dir.to_owned(),
            Arc::clone(&instances),
        ));
        Ok(Self {
            api,
            spec: spec.clone(),
            log_dir: log_dir.to_owned(),
            instances,
            supervisor,
        })
    }

    /// SIGKILLs instance `index` (modulo the pool size) wherever it is, and starts a new one in
    /// its place. Returns whether it was in the middle of an invocation.
    pub fn kill(&self, index: usize) -> std::io::Result<bool> {
        let mut instances = self.instances.lock().expect("lock");
        let index = index % instances.running.len();
        let instance = &mut instances.running[index];
        let usage = usage_of(&instance.child);
        instance.child.kill()?;
        instance.child.wait()?;
        instances.replace(index, usage, &self.api, &self.spec, &self.log_dir)
    }

    /// How many instances exited or were killed and replaced.
    pub fn replaced(&self) -> u64 {
        self.instances.lock().expect("lock").replaced
    }

    /// CPU seconds used by all instances, replaced ones included (as far as they were read).
    pub fn cpu_seconds(&self) -> f64 {
        self.usage().cpu_seconds
    }

    /// The highest peak resident memory of any instance, in MiB.
    pub fn peak_mib(&self) -> f64 {
        self.usage().peak_mib
    }

    fn usage(&self) -> Usage {
        let instances = self.instances.lock().expect("lock");
        instances
            .running
            .iter()
            .map(|i| usage_of(&i.child))
            .fold(instances.retired, Usage::add)
    }
}

impl Usage {
    fn add(self, other: Usage) -> Usage {
        Usage {
            cpu_seconds: self.cpu_seconds + other.cpu_seconds,
            peak_mib: self.peak_mib.max(other.peak_mib),
        }
    }
}

impl Instances {
    /// Puts a fresh instance in the place of instance `index`, whose process has ended after
    /// using `usage`, and fails the invocation it held. Returns whether it held one.
    fn replace(
        &mut self,
        index: usize,
        usage: Usage,
        api: &RuntimeApi,
        spec: &FunctionSpec,
        log_dir: &std::path::Path,
    ) -> std::io::Result<bool> {
        let was_busy = api.instance_exited(self.running[index].id);
        self.running[index] = spawn_instance(api, spec, log_dir)?;
        self.retired = self.retired.add(usage);
        self.replaced += 1;
        Ok(was_busy)
    }
}

fn usage_of(child: &Child) -> Usage {
    Usage {
        cpu_seconds: procstat::cpu_seconds(child.id()),
        peak_mib: procstat::peak_mib(child.id()),
    }
}

fn spawn_instance(
    api: &RuntimeApi,
    spec: &FunctionSpec,
    log_dir: &std::path::Path,
) -> std::io::Result<Instance> {
    let (id, address) = api.serve_instance()?;
    // One log per instance, replacements included; appended to, never truncated.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_dir.join(format!("{}-{id}.log", spec.name)))?;
    let child = Command::new(&spec.binary)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // Emulator credentials, unless the function's environment names its own.
        .envs([
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ])
        .envs(
            spec.environment
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .envs([
            ("AWS_LAMBDA_RUNTIME_API", address),
            ("AWS_LAMBDA_FUNCTION_NAME", spec.name.clone()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                spec.memory_mb.to_string(),
            ),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            ("AWS_LAMBDA_LOG_STREAM_NAME", format!("instance-{id}")),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", spec.name),
            ),
            ("AWS_REGION", "us-east-1".to_owned()),
        ])
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()?;
    Ok(Instance { id, child })
}

/// Replaces instances that exit on their own (a crash, an abort, running out of memory).
async fn supervise(
    api: RuntimeApi,
    spec: FunctionSpec,
    log_dir: PathBuf,
    instances: Arc<Mutex<Instances>>,
) {
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut instances = instances.lock().expect("lock");
        for index in 0..instances.running.len() {
            let instance = &mut instances.running[index];
            if !matches!(instance.child.try_wait(), Ok(Some(_))) {
                continue;
            }
            // Its usage is gone with it: /proc forgets a process once it is reaped.
            if let Err(err) = instances.replace(index, Usage::default(), &api, &spec, &log_dir) {
                eprintln!("could not replace an instance of {}: {err}", spec.name);
            }
        }
    }
}

impl Drop for FunctionPool {
    fn drop(&mut self) {
        self.supervisor.abort();
        for instance in &mut self.instances.lock().expect("lock").running {
            let _ = instance.child.kill();
            let _ = instance.child.wait();
        }
    }
}

/// One invocation the mapping made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Invocation {
    pub started_s: f64,
    pub duration_ms: f64,
    pub messages: usize,
    pub failed: usize,
    pub errored: bool,
}

/// What the mapping did, for the report and the cost model.
#[derive(Debug, Default)]
pub struct MappingStats {
    pub invocations: Vec<Invocation>,
    pub receive_calls: u64,
    pub delete_calls: u64,
    /// Batches delivered twice.
    pub duplicated_batches: u64,
}

/// Polls the queue as Lambda's SQS event source mapping does until `stop` turns true.
pub async fn run_mapping(
    sqs: aws_sdk_sqs::Client,
    pool_api: RuntimeApi,
    mapping: MappingSpec,
    timeout: Duration,
    stop: watch::Receiver<bool>,
    stats: Arc<Mutex<MappingStats>>,
) {
    let started = Instant::now();
    let workers: Vec<_> = (0..mapping.maximum_concurrency)
        .map(|worker| {
            let (sqs, api, mapping, stop, stats) = (
                sqs.clone(),
                pool_api.clone(),
                mapping.clone(),
                stop.clone(),
                Arc::clone(&stats),
            );
            tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(worker as u64);
                while !*stop.borrow() {
                    let batch = gather(&sqs, &mapping, &stats).await;
                    if batch.is_empty() {
                        continue;
                    }
                    let deliveries = if rng.f64() < mapping.duplicate_share {
                        2
                    } else {
                        1
                    };
                    invoke_batch(
                        &sqs, &api, &mapping, batch, deliveries, timeout, started, &stats,
                    )
                    .await;
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
}

/// Receives up to `batch_size` messages, waiting at most the batching window once one arrived.
async fn gather(
    sqs: &aws_sdk_sqs::Client,
    mapping: &MappingSpec,
    stats: &Mutex<MappingStats>,
) -> Vec<Message> {
    let mut batch: Vec<Message> = Vec::new();
    let mut window_end: Option<Instant> = None;
    loop {
        let wanted = (mapping.batch_size - batch.len()).min(10) as i32;
        let wait = if batch.is_empty() { 1 } else { 0 };
        stats.lock().expect("lock").receive_calls += 1;
        let received = sqs
            .receive_message()
            .queue_url(&mapping.queue_url)
            .max_number_of_messages(wanted)
            .wait_time_seconds(wait)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await;
        let messages = received
            .map(|r| r.messages.unwrap_or_default())
            .unwrap_or_default();
        if !messages.is_empty() && window_end.is_none() {
            window_end = Some(Instant::now() + mapping.batching_window);
        }
        batch.extend(messages);
        let window_over = window_end.is_none_or(|end| Instant::now() >= end);
        if batch.len() >= mapping.batch_size
            || (window_over && !batch.is_empty())
            || (batch.is_empty() && wait > 0)
        {
            return batch;
        }
        if !window_over {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The SQS event Lambda would send for these messages.
pub fn sqs_event(messages: &[Message], queue_arn: &str) -> serde_json::Value {
    let records: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, serde_json::Value> = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.clone().into()))
                        .collect()
                })
                .unwrap_or_default();
            serde_json::json!({
                "messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                "attributes": attributes, "messageAttributes": {}, "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "us-east-1",
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// The message ids to keep, from a function's response: all of them when the response is not a
/// valid partial batch response (as Lambda does), else the ones it lists.
pub fn ids_to_retry(messages: &[Message], response: Option<&[u8]>) -> HashSet<String> {
    let all: HashSet<String> = messages
        .iter()
        .filter_map(|m| m.message_id().map(str::to_owned))
        .collect();
    let Some(body) = response else { return all };
    let Ok(parsed) = serde_json::from_slice::<serde_json::Value>(body) else {
        return all;
    };
    let Some(failures) = parsed.get("batchItemFailures").and_then(|f| f.as_array()) else {
        // An empty or null response means every message succeeded.
        return if parsed.is_null() || parsed.as_object().is_some_and(|o| o.is_empty()) {
            HashSet::new()
        } else {
            all
        };
    };
    let mut retry = HashSet::new();
    for failure in failures {
        match failure.get("itemIdentifier").and_then(|i| i.as_str()) {
            Some(id) if all.contains(id) => {
                retry.insert(id.to_owned());
            }
            // An empty or unknown identifier fails the whole batch.
            _ => return all,
        }
    }
    retry
}

/// Invokes the function with `batch` (`deliveries` times: a duplicate delivery is a second
/// invocation with the same messages), then deletes what every invocation reported done.
#[allow(clippy::too_many_arguments)]
async fn invoke_batch(
    sqs: &aws_sdk_sqs::Client,
    api: &RuntimeApi,
    mapping: &MappingSpec,
    batch: Vec<Message>,
    deliveries: usize,
    timeout: Duration,
    started: Instant,
    stats: &Mutex<MappingStats>,
) {
    let payload = Bytes::from(sqs_event(&batch, &mapping.queue_arn).to_string());
    if deliveries > 1 {
        stats.lock().expect("lock").duplicated_batches += 1;
    }
    let mut retry = HashSet::new();
    for _ in 0..deliveries {
        let invoked = Instant::now();
        let outcome = api.invoke(payload.clone(), timeout).await;
        let duration_ms = invoked.elapsed().as_secs_f64() * 1000.0;
        let (failed, errored) = match &outcome {
            Ok(Outcome::Response(body)) => (ids_to_retry(&batch, Some(body)), false),
            _ => (ids_to_retry(&batch, None), true),
        };
        let mut stats = stats.lock().expect("lock");
        stats.invocations.push(Invocation {
            started_s: invoked.duration_since(started).as_secs_f64(),
            duration_ms,
            messages: batch.len(),
            failed: failed.len(),
            errored,
        });
        retry.extend(failed);
    }
    let done: Vec<&Message> = batch
        .iter()
        .filter(|m| m.message_id().is_some_and(|id| !retry.contains(id)))
        .collect();
    for chunk in done.chunks(10) {
        let entries: Vec<DeleteMessageBatchRequestEntry> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .set_receipt_handle(m.receipt_handle().map(str::to_owned))
                    .build()
                    .ok()
            })
            .collect();
        stats.lock().expect("lock").delete_calls += 1;
        let _ = sqs
            .delete_message_batch()
            .queue_url(&mapping.queue_url)
            .set_entries(Some(entries))
            .send()
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(ids: &[&str]) -> Vec<Message> {
        ids.iter()
            .map(|id| {
                Message::builder()
                    .message_id(*id)
                    .receipt_handle(format!("h-{id}"))
                    .body("{}")
                    .build()
            })
            .collect()
    }

    fn retry(ids: &[&str], response: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = ids_to_retry(&messages(ids), response.map(str::as_bytes))
            .into_iter()
            .collect();
        out.sort();
        out
    }

    #[test]
    fn partial_batch_responses_follow_lambdas_rules() {
        let ids = ["a", "b", "c"];
        assert_eq!(
            retry(
                &ids,
                Some(r#"{"batchItemFailures":[{"itemIdentifier":"b"}]}"#)
            ),
            ["b"]
        );
        assert!(retry(&ids, Some(r#"{"batchItemFailures":[]}"#)).is_empty());
        assert!(retry(&ids, Some("null")).is_empty());
        assert!(retry(&ids, Some("{}")).is_empty());
        // Unknown or empty identifiers, junk, and errors fail the whole batch.
        assert_eq!(
            retry(
                &ids,
                Some(r#"{"batchItemFailures":[{"itemIdentifier":"zzz"}]}"#)
            ),
            ["a", "b", "c"]
        );
        assert_eq!(
            retry(
                &ids,
                Some(r#"{"batchItemFailures":[{"itemIdentifier":""}]}"#)
            ),
            ["a", "b", "c"]
        );
        assert_eq!(retry(&ids, Some("not json")), ["a", "b", "c"]);
        assert_eq!(retry(&ids, None), ["a", "b", "c"]);
    }

    #[test]
    fn events_carry_what_the_processor_reads() {
        let event = sqs_event(&messages(&["m1"]), "arn:aws:sqs:us-east-1:1:q");
        assert_eq!(event["Records"][0]["messageId"], "m1");
        assert_eq!(event["Records"][0]["body"], "{}");
        assert_eq!(
            event["Records"][0]["eventSourceARN"],
            "arn:aws:sqs:us-east-1:1:q"
        );
    }
}

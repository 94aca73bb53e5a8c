//! Everything `TARGET=local` runs besides the emulator: the function instances, the event source
//! mapping, the trigger's asynchronous invocation, and in chaos runs the fault proxies and the
//! instance killer. Unlike AWS, the whole stack runs on this machine, so it also measures what
//! the instances used.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::async_invoke::{AsyncInvoker, AsyncSpec};
use crate::chaos::{self, ChaosSettings, Injected};
use crate::deployment::{Deployment, FunctionConfig};
use crate::emf;
use crate::event_source_mapping::{MappingSpec, MappingStats, run_mapping};
use crate::fault_log::FaultLog;
use crate::fault_proxy::{FaultCounts, FaultPlan, FaultProxy, Target};
use crate::function_pool::{FunctionPool, FunctionSpec};
use crate::procstat;
use crate::report::{CpuSeconds, Measurements, round1};
use crate::throttle::Throttle;

/// How to run the local stack.
#[derive(Debug, Clone)]
pub struct Settings {
    pub endpoint: String,
    /// The emulator's process id, to account its CPU time.
    pub emulator_pid: Option<u32>,
    pub processor_bin: PathBuf,
    pub trigger_bin: Option<PathBuf>,
    pub log_dir: PathBuf,
    /// Local seconds per Lambda second for asynchronous retries and event ages.
    pub async_clock_scale: f64,
    pub chaos: Option<ChaosSettings>,
}

/// The clients the local stack talks to the emulator with.
#[derive(Debug, Clone)]
pub struct EmulatorClients {
    pub sqs: aws_sdk_sqs::Client,
    pub lambda: aws_sdk_lambda::Client,
}

/// The running stack.
#[derive(Debug)]
pub struct LocalStack {
    processor: Arc<FunctionPool>,
    trigger: Option<(FunctionPool, Arc<AsyncInvoker>)>,
    stop: watch::Sender<bool>,
    poller: JoinHandle<()>,
    killer: Option<JoinHandle<usize>>,
    stats: Arc<Mutex<MappingStats>>,
    faults: Arc<FaultLog>,
    s3_faults: Option<Arc<FaultCounts>>,
    sqs_faults: Option<Arc<FaultCounts>>,
    settings: Settings,
    /// Memory, architecture: what the projected cost is based on, in words.
    basis: String,
}

/// Trigger instances: Lambda runs asynchronous events concurrently, one instance each. A failing
/// invocation takes about 5 s here (the trigger's three sends, each with the SDK's own retries),
/// so fewer instances would queue events behind the failing ones and let them miss a burst that
/// Lambda's concurrency would expose them to.
const TRIGGER_INSTANCES: usize = 16;

/// How long the uploads wait for the instances' init: Lambda's own limit on an init phase.
const INIT_LIMIT: Duration = Duration::from_secs(10);

fn spec(config: &FunctionConfig, binary: PathBuf, endpoint: &str) -> FunctionSpec {
    let mut environment: Vec<(String, String)> = config.environment.clone().into_iter().collect();
    environment.push(("AWS_ENDPOINT_URL".into(), endpoint.into()));
    environment.push(("S3_FORCE_PATH_STYLE".into(), "true".into()));
    FunctionSpec {
        name: config.name.clone(),
        binary,
        environment,
        memory_mb: config.memory_mb,
        timeout: config.timeout,
    }
}

/// A fault proxy in chaos runs, else the emulator itself: (endpoint, counts).
fn endpoint_for(
    settings: &Settings,
    plan: Option<FaultPlan>,
    faults: &Arc<FaultLog>,
) -> Result<(String, Option<Arc<FaultCounts>>)> {
    match plan {
        Some(plan) => {
            let proxy = FaultProxy::start(&settings.endpoint, plan, Arc::clone(faults))?;
            Ok((proxy.endpoint, Some(proxy.counts)))
        }
        None => Ok((settings.endpoint.clone(), None)),
    }
}

impl LocalStack {
    pub async fn start(
        deployment: &Deployment,
        settings: Settings,
        clients: EmulatorClients,
    ) -> Result<Self> {
        // In chaos runs the processor reaches S3, and the trigger SQS, through fault proxies.
        let faults = Arc::new(FaultLog::default());
        let (processor_endpoint, s3_faults) = endpoint_for(
            &settings,
            settings.chaos.map(|chaos| FaultPlan {
                target: Target::S3Objects,
                share: chaos.s3_fault_share,
                burst: None,
                seed: chaos.seed,
            }),
            &faults,
        )?;
        let processor = Arc::new(
            FunctionPool::start(
                &spec(
                    &deployment.processor,
                    settings.processor_bin.clone(),
                    &processor_endpoint,
                ),
                deployment.maximum_concurrency,
                &settings.log_dir,
            )
            .await?,
        );
        let (trigger, sqs_faults) = match (&deployment.trigger, &settings.trigger_bin) {
            (Some(config), Some(binary)) => {
                let (endpoint, faults) = endpoint_for(
                    &settings,
                    settings.chaos.map(|chaos| FaultPlan {
                        target: Target::SqsSendBatch,
                        share: chaos.sqs_fault_share,
                        burst: chaos.sqs_fault_burst,
                        seed: chaos.seed.wrapping_add(1),
                    }),
                    &faults,
                )?;
                let pool = FunctionPool::start(
                    &spec(config, binary.clone(), &endpoint),
                    TRIGGER_INSTANCES,
                    &settings.log_dir,
                )
                .await?;
                let asynchronous = config
                    .asynchronous
                    .clone()
                    .context("the trigger has no asynchronous invocation settings in the state")?;
                let invoker = AsyncInvoker::new(
                    pool.api.clone(),
                    AsyncSpec {
                        config: asynchronous,
                        function_arn: format!(
                            "arn:aws:lambda:us-east-1:123456789012:function:{}",
                            config.name
                        ),
                        timeout: config.timeout,
                        on_failure_url: deployment.trigger_failures_url.clone(),
                        clock_scale: settings.async_clock_scale,
                    },
                    clients.sqs.clone(),
                    Throttle::new(clients.lambda.clone(), &config.name),
                );
                (Some((pool, Arc::new(invoker))), faults)
            }
            (Some(_), None) => bail!("trigger mode needs --trigger-bin"),
            _ => (None, None),
        };
        // Lambda runs each instance's init in a sandbox of its own. Here the instances share two
        // cores with the harness and the emulator, so the first upload waits for their init:
        // `init_ms` then measures the function, not the harness's uploads running beside it.
        let apis = [
            Some(&processor.api),
            trigger.as_ref().map(|(pool, _)| &pool.api),
        ];
        for api in apis.into_iter().flatten() {
            if !api.init_finished(INIT_LIMIT).await {
                eprintln!(
                    "loadtest: an instance did not finish its init in {INIT_LIMIT:?}; starting the uploads anyway"
                );
            }
        }
        let mapping = MappingSpec {
            queue_url: deployment.queue_url.clone(),
            queue_arn: deployment.queue_arn.clone(),
            batch_size: deployment.batch_size,
            batching_window: deployment.batching_window,
            maximum_concurrency: deployment.maximum_concurrency,
            duplicate_share: settings.chaos.map_or(0.0, |c| c.duplicate_share),
            throttle: Some(Arc::new(Throttle::new(
                clients.lambda.clone(),
                &deployment.processor.name,
            ))),
        };
        let stats = Arc::new(Mutex::new(MappingStats::default()));
        let (stop, stopped) = watch::channel(false);
        let poller = tokio::spawn(run_mapping(
            clients.sqs,
            processor.api.clone(),
            mapping,
            deployment.processor.timeout,
            stopped,
            Arc::clone(&stats),
        ));
        let killer = settings.chaos.map(|chaos| {
            let (pool, log) = (Arc::clone(&processor), Arc::clone(&faults));
            tokio::spawn(async move {
                chaos::kill_instances(&pool, chaos.kills, chaos.span, chaos.seed, &log).await
            })
        });
        let basis = format!(
            "Projected from invocation durations measured on this machine ({}, {} MB configured, {} function), not from AWS billing",
            std::env::consts::ARCH,
            deployment.processor.memory_mb,
            deployment.processor.architecture,
        );
        Ok(Self {
            processor,
            trigger,
            stop,
            poller,
            killer,
            stats,
            faults,
            s3_faults,
            sqs_faults,
            settings,
            basis,
        })
    }

    /// Where the harness sends each upload's S3 event in trigger mode: the trigger's
    /// asynchronous invocation, as S3 invokes it.
    pub fn trigger_invoker(&self) -> Option<Arc<AsyncInvoker>> {
        self.trigger
            .as_ref()
            .map(|(_, invoker)| Arc::clone(invoker))
    }

    /// Stops polling, waits for the chaos killer, and returns what the functions used and what
    /// was injected, with times in seconds since `origin` (the run's start).
    pub async fn stop(self, origin: Instant) -> Result<(Measurements, Injected)> {
        let _ = self.stop.send(true);
        self.poller.await?;
        let kills_mid_invocation = match self.killer {
            Some(killer) => killer.await?,
            None => 0,
        };
        let stats = std::mem::take(&mut *self.stats.lock().expect("lock"));
        let logs: Vec<String> = std::fs::read_dir(&self.settings.log_dir)
            .map(|dir| {
                dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        let log_bytes = logs.iter().map(|text| text.len() as u64).sum();
        let instances = self.processor.api.timelines(origin);
        for &at in &stats.duplicated_at {
            self.faults.record_span("batch delivered twice", at, at);
        }
        let invocations = &stats.invocations;
        let measurements = Measurements {
            durations_ms: invocations.iter().map(|i| i.duration_ms).collect(),
            billed_ms: invocations.iter().map(|i| i.duration_ms.ceil()).sum(),
            messages: invocations.iter().map(|i| i.messages).sum(),
            sqs_polling_requests: (stats.receive_calls + stats.delete_calls) as f64,
            peak_mib: self.processor.peak_mib(),
            cpu_seconds: CpuSeconds {
                processor: round1(self.processor.cpu_seconds()),
                emulator: round1(
                    self.settings
                        .emulator_pid
                        .map_or(0.0, procstat::cpu_seconds),
                ),
                harness: round1(procstat::cpu_seconds(std::process::id())),
            },
            log_bytes,
            basis: self.basis,
            init_ms: instances.iter().filter_map(|t| t.init_ms).collect(),
            image_timings: emf::timings(logs.iter().map(String::as_str)),
            instances,
        };
        let tally = |counts: &Option<Arc<FaultCounts>>| {
            counts.as_ref().map(|c| c.tally()).unwrap_or_default()
        };
        let injected = Injected {
            kills_mid_invocation,
            instances_replaced: self.processor.replaced(),
            s3_faults: tally(&self.s3_faults),
            sqs_faults: tally(&self.sqs_faults),
            duplicated_batches: stats.duplicated_at.len() as u64,
            trigger_events: self.trigger.as_ref().map(|(_, invoker)| invoker.stats()),
            events: self.faults.events(origin),
        };
        Ok((measurements, injected))
    }
}

//! Everything `TARGET=local` runs besides the emulator: the function instances, the event source
//! mapping, and in chaos runs the S3 fault proxy and the instance killer. Unlike AWS, the whole
//! stack runs on this machine, so it also measures what the instances used.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Result, bail};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::chaos::{self, Injected};
use crate::event_source_mapping::{MappingSpec, MappingStats, run_mapping};
use crate::fault_proxy::{FaultCounts, FaultProxy};
use crate::function_pool::{FunctionPool, FunctionSpec};
use crate::procstat;
use crate::report::{CpuSeconds, Measurements, round1};
use crate::runtime_api::RuntimeApi;
use crate::tfstate::{Deployment, FunctionConfig};

/// How to run the local stack.
#[derive(Debug, Clone)]
pub struct Settings {
    pub endpoint: String,
    /// The emulator's process id, to account its CPU time.
    pub emulator_pid: Option<u32>,
    pub processor_bin: PathBuf,
    pub trigger_bin: Option<PathBuf>,
    pub log_dir: PathBuf,
    pub chaos: Option<ChaosSettings>,
}

#[derive(Debug, Clone, Copy)]
pub struct ChaosSettings {
    pub kills: usize,
    /// The kills are spread over this long.
    pub span: Duration,
    pub s3_fault_share: f64,
    pub duplicate_share: f64,
    pub seed: u64,
}

/// The running stack.
#[derive(Debug)]
pub struct LocalStack {
    processor: Arc<FunctionPool>,
    trigger: Option<FunctionPool>,
    stop: watch::Sender<bool>,
    poller: JoinHandle<()>,
    killer: Option<JoinHandle<usize>>,
    stats: Arc<Mutex<MappingStats>>,
    fault_counts: Option<Arc<FaultCounts>>,
    settings: Settings,
    /// Memory, architecture: what the projected cost is based on, in words.
    basis: String,
}

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

impl LocalStack {
    pub async fn start(
        deployment: &Deployment,
        settings: Settings,
        sqs: aws_sdk_sqs::Client,
    ) -> Result<Self> {
        // In chaos runs the processor reaches S3 through a proxy that fails a share of calls.
        let proxy = match &settings.chaos {
            Some(chaos) => Some(FaultProxy::start(
                &settings.endpoint,
                chaos.s3_fault_share,
                chaos.seed,
            )?),
            None => None,
        };
        let processor_endpoint = proxy
            .as_ref()
            .map_or(settings.endpoint.as_str(), |p| p.endpoint.as_str());
        let processor = Arc::new(
            FunctionPool::start(
                &spec(
                    &deployment.processor,
                    settings.processor_bin.clone(),
                    processor_endpoint,
                ),
                deployment.maximum_concurrency,
                &settings.log_dir,
            )
            .await?,
        );
        let trigger = match (&deployment.trigger, &settings.trigger_bin) {
            (Some(config), Some(binary)) => Some(
                FunctionPool::start(
                    &spec(config, binary.clone(), &settings.endpoint),
                    1,
                    &settings.log_dir,
                )
                .await?,
            ),
            (Some(_), None) => bail!("trigger mode needs --trigger-bin"),
            _ => None,
        };
        let mapping = MappingSpec {
            queue_url: deployment.queue_url.clone(),
            queue_arn: deployment.queue_arn.clone(),
            batch_size: deployment.batch_size,
            batching_window: deployment.batching_window,
            maximum_concurrency: deployment.maximum_concurrency,
            duplicate_share: settings.chaos.map_or(0.0, |c| c.duplicate_share),
        };
        let stats = Arc::new(Mutex::new(MappingStats::default()));
        let (stop, stopped) = watch::channel(false);
        let poller = tokio::spawn(run_mapping(
            sqs,
            processor.api.clone(),
            mapping,
            deployment.processor.timeout,
            stopped,
            Arc::clone(&stats),
        ));
        let killer = settings.chaos.map(|chaos| {
            let pool = Arc::clone(&processor);
            tokio::spawn(async move {
                chaos::kill_instances(&pool, chaos.kills, chaos.span, chaos.seed).await
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
            fault_counts: proxy.map(|p| p.counts),
            settings,
            basis,
        })
    }

    /// The trigger's Runtime API (trigger mode), where the harness delivers S3 events.
    pub fn trigger_api(&self) -> Option<RuntimeApi> {
        self.trigger.as_ref().map(|p| p.api.clone())
    }

    /// Stops polling, waits for the chaos killer, and returns what the functions used and what
    /// was injected.
    pub async fn stop(self) -> Result<(Measurements, Injected)> {
        let _ = self.stop.send(true);
        self.poller.await?;
        let kills_mid_invocation = match self.killer {
            Some(killer) => killer.await?,
            None => 0,
        };
        let stats = std::mem::take(&mut *self.stats.lock().expect("lock"));
        let log_bytes = std::fs::read_dir(&self.settings.log_dir).map_or(0, |dir| {
            dir.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        });
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
        };
        let injected = Injected {
            kills_mid_invocation,
            instances_replaced: self.processor.replaced(),
            faults: self
                .fault_counts
                .map(|counts| counts.tally())
                .unwrap_or_default(),
            duplicated_batches: stats.duplicated_batches,
        };
        Ok((measurements, injected))
    }
}

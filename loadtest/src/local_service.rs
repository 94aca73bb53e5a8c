//! Everything `TARGET=local` runs besides the emulator: the function instances, the event source
//! mapping, and in chaos runs the S3 fault proxy and the instance killer.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Result, bail};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::chaos;
use crate::fault_proxy::{FaultCounts, FaultProxy};
use crate::lambda_service::{FunctionPool, FunctionSpec, MappingSpec, MappingStats, run_mapping};
use crate::runtime_api::RuntimeApi;
use crate::tfstate::{Deployment, FunctionConfig};

/// How to run the local service.
#[derive(Debug, Clone)]
pub struct Settings {
    pub endpoint: String,
    pub processor_bin: std::path::PathBuf,
    pub trigger_bin: Option<std::path::PathBuf>,
    pub log_dir: std::path::PathBuf,
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

/// The running service.
#[derive(Debug)]
pub struct LocalService {
    processor: Arc<FunctionPool>,
    trigger: Option<FunctionPool>,
    stop: watch::Sender<bool>,
    poller: JoinHandle<()>,
    killer: Option<JoinHandle<usize>>,
    stats: Arc<Mutex<MappingStats>>,
    fault_counts: Option<Arc<FaultCounts>>,
}

/// What the service measured, read when it stops.
#[derive(Debug, Default)]
pub struct Measured {
    pub stats: MappingStats,
    pub processor_cpu_seconds: f64,
    pub peak_mib: f64,
    pub instances_replaced: u64,
    pub kills_mid_invocation: usize,
    pub faults: (u64, u64, u64),
}

fn spec(config: &FunctionConfig, binary: std::path::PathBuf, endpoint: &str) -> FunctionSpec {
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

impl LocalService {
    pub async fn start(
        deployment: &Deployment,
        settings: &Settings,
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
        Ok(Self {
            processor,
            trigger,
            stop,
            poller,
            killer,
            stats,
            fault_counts: proxy.map(|p| p.counts),
        })
    }

    /// The trigger's Runtime API (trigger mode), where the harness delivers S3 events.
    pub fn trigger_api(&self) -> Option<RuntimeApi> {
        self.trigger.as_ref().map(|p| p.api.clone())
    }

    /// Stops polling, waits for the chaos killer, and reads what the instances used.
    pub async fn stop(self) -> Result<Measured> {
        let _ = self.stop.send(true);
        self.poller.await?;
        let kills_mid_invocation = match self.killer {
            Some(killer) => killer.await?,
            None => 0,
        };
        let stats = std::mem::take(&mut *self.stats.lock().expect("lock"));
        let faults = self.fault_counts.as_ref().map_or((0, 0, 0), |c| {
            (
                c.object_calls.load(Ordering::Relaxed),
                c.failed_before.load(Ordering::Relaxed),
                c.failed_after.load(Ordering::Relaxed),
            )
        });
        Ok(Measured {
            stats,
            processor_cpu_seconds: self.processor.cpu_seconds(),
            peak_mib: self.processor.peak_mib(),
            instances_replaced: self.processor.replaced(),
            kills_mid_invocation,
            faults,
        })
    }
}

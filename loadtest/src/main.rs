//! `loadtest`: drives one run against the local stack (the Terraform-created configuration,
//! the local Lambda service) and writes the report.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use clap::Parser;
use loadtest::fault_proxy::FaultProxy;
use loadtest::lambda_service::{
    FunctionPool, FunctionSpec, MappingSpec, MappingStats, run_mapping,
};
use loadtest::report::{ChaosReport, CpuSeconds, Percentiles, Report};
use loadtest::run::{Expected, Timeline, Upload, reconcile, upload_all};
use loadtest::tfstate::{Deployment, FunctionConfig};
use loadtest::{chaos, cost, procstat};

/// Upload images to the local pipeline and report throughput, latency and cost.
#[derive(Debug, Parser)]
struct Args {
    /// `terraform show -json` of terraform/examples/local.
    #[arg(long)]
    state: PathBuf,
    /// The local AWS emulator.
    #[arg(long)]
    endpoint: String,
    /// The emulator's process id, to account its CPU time.
    #[arg(long)]
    emulator_pid: Option<u32>,
    /// Release binaries of the functions.
    #[arg(long)]
    processor_bin: PathBuf,
    #[arg(long)]
    trigger_bin: Option<PathBuf>,
    /// A folder of images to upload (default: generated photo-like JPEGs).
    #[arg(long)]
    images: Option<PathBuf>,
    /// Sizes of the generated images, cycled.
    #[arg(long, default_value = "1920x1080,1600x1200,2048x1536,4000x3000")]
    sizes: String,
    /// How many uploads.
    #[arg(long, default_value_t = 40)]
    count: usize,
    /// Uploads per second (open loop); all at once when absent.
    #[arg(long)]
    rate: Option<f64>,
    /// Corrupt uploads added to the run (they must end as rejections).
    #[arg(long, default_value_t = 0)]
    corrupt: usize,
    /// Give up waiting for outcomes after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// Reports go to DIR/<run id>/ and DIR/latest/.
    #[arg(long, default_value = "target/loadtest")]
    out_dir: PathBuf,
    /// Chaos run: poison uploads, instances killed, S3 faults, duplicate deliveries, and an
    /// audit of every outcome (exits non-zero if anything is lost or wrong).
    #[arg(long)]
    chaos: bool,
    /// Chaos: how many times a processor instance is SIGKILLed.
    #[arg(long, default_value_t = 5)]
    kills: usize,
    /// Chaos: the share of the processor's S3 object GETs and PUTs that fail.
    #[arg(long, default_value_t = 0.05)]
    s3_fault_share: f64,
    /// Chaos: the share of batches delivered twice.
    #[arg(long, default_value_t = 0.05)]
    duplicate_share: f64,
    /// Chaos: the seed of every random choice (default: the run id's clock).
    #[arg(long)]
    seed: Option<u64>,
}

fn images(args: &Args) -> Result<Vec<(String, Bytes)>> {
    if let Some(dir) = &args.images {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let named = files.iter().map(|p| {
            Ok((
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .replace(' ', "_"),
                Bytes::from(std::fs::read(p)?),
            ))
        });
        return named.collect();
    }
    args.sizes
        .split(',')
        .enumerate()
        .map(|(seed, size)| {
            let (w, h) = size.split_once('x').context("sizes look like 1920x1080")?;
            let (w, h): (u32, u32) = (w.parse()?, h.parse()?);
            let jpeg = processor::sample::photo_jpeg(w, h, seed as u32, 90)?;
            Ok((format!("photo-{w}x{h}.jpg"), Bytes::from(jpeg)))
        })
        .collect()
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

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let show: serde_json::Value = serde_json::from_slice(&std::fs::read(&args.state)?)?;
    let deployment = Deployment::from_show_json(&show)?;
    let rendition_names: Vec<String> =
        processor::imaging::parse_renditions(rendition_spec(&deployment))?
            .into_iter()
            .map(|r| r.name)
            .collect();
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let run_id = format!("{}-{started_at}", if args.chaos { "chaos" } else { "lt" });
    let run_dir = args.out_dir.join(&run_id);
    let log_dir = run_dir.join("logs");
    std::fs::create_dir_all(&log_dir)?;

    let shared = loadtest::local_aws_config(&args.endpoint).await;
    let s3 = loadtest::local_s3(&shared);
    let sqs = aws_sdk_sqs::Client::new(&shared);

    let run_prefix = format!("{}{run_id}/", deployment.input_prefix);
    let photos = images(&args)?;
    let mut uploads: Vec<Upload> = (0..args.count)
        .map(|i| {
            let (name, bytes) = &photos[i % photos.len()];
            Upload {
                key: format!("{run_prefix}{i:05}-{name}"),
                bytes: bytes.clone(),
                expected: Expected::Done,
            }
        })
        .collect();
    for i in 0..args.corrupt {
        let whole = &photos[0].1;
        uploads.push(Upload {
            key: format!("{run_prefix}corrupt-{i}.jpg"),
            bytes: whole.slice(..whole.len() / 2),
            expected: Expected::Rejected("truncated"),
        });
    }
    let poison_count = if args.chaos {
        let poison = chaos::poison_uploads(&run_prefix, &photos[0].1);
        let count = poison.len();
        uploads.extend(poison);
        count
    } else {
        0
    };
    let expected = uploads.len();
    let expected_rejections = uploads
        .iter()
        .filter(|u| u.expected != Expected::Done)
        .count();
    let audited_uploads = args.chaos.then(|| uploads.clone());
    let seed = args.seed.unwrap_or(started_at);

    // In chaos runs the processor reaches S3 through a proxy that fails a share of its calls.
    let fault_proxy = if args.chaos {
        Some(FaultProxy::start(
            &args.endpoint,
            args.s3_fault_share,
            seed,
        )?)
    } else {
        None
    };
    let processor_endpoint = fault_proxy
        .as_ref()
        .map_or(args.endpoint.as_str(), |p| p.endpoint.as_str());
    let instances = deployment.maximum_concurrency;
    let processor_pool = Arc::new(
        FunctionPool::start(
            &spec(
                &deployment.processor,
                args.processor_bin.clone(),
                processor_endpoint,
            ),
            instances,
            &log_dir,
        )
        .await?,
    );
    let trigger_pool = match (&deployment.trigger, &args.trigger_bin) {
        (Some(config), Some(binary)) => Some(
            FunctionPool::start(&spec(config, binary.clone(), &args.endpoint), 1, &log_dir).await?,
        ),
        (Some(_), None) => bail!("trigger mode needs --trigger-bin"),
        _ => None,
    };
    let mapping = MappingSpec {
        queue_url: deployment.queue_url.clone(),
        queue_arn: deployment.queue_arn.clone(),
        batch_size: deployment.batch_size,
        batching_window: deployment.batching_window,
        maximum_concurrency: instances,
        duplicate_share: if args.chaos {
            args.duplicate_share
        } else {
            0.0
        },
    };
    let stats = Arc::new(Mutex::new(MappingStats::default()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let poller = tokio::spawn(run_mapping(
        sqs.clone(),
        processor_pool.api.clone(),
        mapping,
        deployment.processor.timeout,
        stopped,
        Arc::clone(&stats),
    ));

    let started = Instant::now();
    let killer = args.chaos.then(|| {
        let pool = Arc::clone(&processor_pool);
        // Spread the kills over the time the uploads take (at least 10 s).
        let span = Duration::from_secs_f64(
            args.rate
                .map_or(10.0, |rate| expected as f64 / rate)
                .max(10.0),
        );
        let kills = args.kills;
        tokio::spawn(async move { chaos::kill_instances(&pool, kills, span, seed).await })
    });
    let timeline = Arc::new(Mutex::new(Timeline::default()));
    let progress = tokio::spawn(show_progress(Arc::clone(&timeline), expected, started));
    let uploader = tokio::spawn({
        let (s3, deployment, timeline) = (s3.clone(), deployment.clone(), Arc::clone(&timeline));
        let trigger = trigger_pool.as_ref().map(|p| p.api.clone());
        async move {
            upload_all(
                &s3,
                &deployment,
                uploads,
                args.rate,
                trigger,
                started,
                timeline,
            )
            .await
        }
    });
    reconcile(
        &s3,
        &sqs,
        &deployment,
        &run_prefix,
        &rendition_names,
        expected,
        Duration::from_secs(args.timeout),
        started,
        Arc::clone(&timeline),
    )
    .await;
    uploader.await?;
    progress.abort();
    let _ = stop.send(true);
    poller.await?;
    let kills_mid_invocation = match killer {
        Some(killer) => killer.await?,
        None => 0,
    };

    let processor_cpu = processor_pool.cpu_seconds();
    let peak = processor_pool.peak_mib();
    let emulator_cpu = args.emulator_pid.map_or(0.0, procstat::cpu_seconds);
    let harness_cpu = procstat::cpu_seconds(std::process::id());
    let instances_replaced = processor_pool.replaced();
    drop(trigger_pool);
    drop(processor_pool);

    let timeline = timeline.lock().expect("lock").clone();
    let stats = std::mem::take(&mut *stats.lock().expect("lock"));
    let chaos = match (&audited_uploads, &fault_proxy) {
        (Some(uploads), Some(proxy)) => {
            eprintln!("chaos: auditing every upload");
            let renditions = processor::imaging::parse_renditions(rendition_spec(&deployment))?;
            let audit = chaos::audit(&s3, &deployment, &renditions, uploads, &timeline).await;
            let counts = &proxy.counts;
            Some(ChaosReport {
                seed,
                instance_kills: args.kills,
                kills_mid_invocation,
                instances_replaced,
                s3_fault_share: args.s3_fault_share,
                s3_object_calls: counts.object_calls.load(Ordering::Relaxed),
                s3_faults_before: counts.failed_before.load(Ordering::Relaxed),
                s3_faults_after: counts.failed_after.load(Ordering::Relaxed),
                duplicated_batches: stats.duplicated_batches,
                poison_uploads: poison_count,
                audit,
            })
        }
        _ => None,
    };
    let mut report = build_report(
        &args,
        &deployment,
        &run_id,
        &timeline,
        &stats,
        &rendition_names,
        instances,
        CpuSeconds {
            processor: round1(processor_cpu),
            emulator: round1(emulator_cpu),
            harness: round1(harness_cpu),
        },
        peak,
        &log_dir,
    );
    report.chaos = chaos;
    report.write(&run_dir)?;
    let latest = args.out_dir.join("latest");
    report.write(&latest)?;
    println!("{}", report.markdown());
    println!(
        "Reports: {}/report.{{json,md,html}} (also {}/)",
        run_dir.display(),
        latest.display()
    );
    if let Some(chaos) = &report.chaos {
        println!("chaos: {}", chaos.audit.summary());
        if !chaos.audit.passed() {
            bail!(
                "chaos: {} uploads lost, {} wrong outcomes",
                chaos.audit.lost,
                chaos.audit.wrong.len()
            );
        }
        return Ok(());
    }
    if report.missing > 0 || report.rejected != expected_rejections {
        bail!(
            "{} uploads missing, {} rejected (expected {expected_rejections})",
            report.missing,
            report.rejected
        );
    }
    Ok(())
}

/// The processor's renditions as Terraform configured them.
fn rendition_spec(deployment: &Deployment) -> &str {
    deployment
        .processor
        .environment
        .get("RENDITIONS")
        .map_or(processor::config::DEFAULT_RENDITIONS, String::as_str)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

async fn show_progress(timeline: Arc<Mutex<Timeline>>, expected: usize, started: Instant) {
    let terminal = std::io::stderr().is_terminal();
    let mut ticks = 0u64;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        ticks += 1;
        let t = timeline.lock().expect("lock").clone();
        let depth = t.queue_depth.last().map_or(0, |d| d.1 + d.2);
        let line = format!(
            "[{:>4.0}s] uploaded {}/{expected}  done {}  rejected {}  queue {depth}",
            started.elapsed().as_secs_f64(),
            t.uploaded_s.len(),
            t.done_s.len(),
            t.rejected_s.len()
        );
        if terminal {
            eprint!("\r{line}   ");
        } else if ticks.is_multiple_of(5) {
            eprintln!("{line}");
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    args: &Args,
    deployment: &Deployment,
    run_id: &str,
    t: &Timeline,
    stats: &MappingStats,
    rendition_names: &[String],
    instances: usize,
    cpu_seconds: CpuSeconds,
    peak_mib: f64,
    log_dir: &std::path::Path,
) -> Report {
    let latencies: Vec<f64> = t
        .done_s
        .iter()
        .chain(&t.rejected_s)
        .filter_map(|(key, seen)| {
            t.uploaded_s
                .get(key)
                .map(|up| ((seen - up) * 1000.0).max(0.0))
        })
        .collect();
    let processed = (t.done_s.len() + t.rejected_s.len()).max(1) as f64;
    let billed_ms: f64 = stats.invocations.iter().map(|i| i.duration_ms.ceil()).sum();
    let busy_ms: f64 = stats.invocations.iter().map(|i| i.duration_ms).sum();
    let first_upload = t.uploaded_s.values().copied().fold(f64::INFINITY, f64::min);
    let last_done = t.done_s.values().copied().fold(0.0, f64::max);
    let span = (last_done - first_upload).max(1e-3);
    let mut throughput = vec![0u32; t.wall_s.ceil() as usize + 1];
    for seen in t.done_s.values() {
        throughput[*seen as usize] += 1;
    }
    let log_bytes: u64 = std::fs::read_dir(log_dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    let trigger_mode = deployment.trigger.is_some();
    let usage = cost::Usage {
        billed_ms_per_image: billed_ms / processed,
        memory_mb: deployment.processor.memory_mb,
        invocations_per_image: stats.invocations.len() as f64 / processed
            + if trigger_mode { 1.0 } else { 0.0 },
        sqs_requests_per_image: (t.uploaded_s.len() as f64
            + (stats.receive_calls + stats.delete_calls) as f64)
            / processed,
        s3_puts_per_image: (t.done_s.len() * rendition_names.len() + t.rejected_s.len()) as f64
            / processed,
        s3_gets_per_image: 1.0,
        log_bytes_per_image: log_bytes as f64 / processed,
    };
    let uploaded = t.uploaded_s.len();
    Report {
        run_id: run_id.to_owned(),
        target: "local".to_owned(),
        notification_mode: deployment.notification_mode.clone(),
        uploaded,
        done: t.done_s.len(),
        rejected: t.rejected_s.len(),
        dlq: t.dlq_keys.len() as u64,
        missing: uploaded.saturating_sub(t.done_s.len() + t.rejected_s.len() + t.dlq_keys.len()),
        upload_errors: t.upload_errors,
        first_upload_error: t.first_upload_error.clone(),
        images_per_second: (t.done_s.len() as f64 / span * 100.0).round() / 100.0,
        latency_ms: Percentiles::of(&latencies),
        processor_ms_per_image: round1(busy_ms / processed),
        batch_duration_ms: Percentiles::of(
            &stats
                .invocations
                .iter()
                .map(|i| i.duration_ms)
                .collect::<Vec<_>>(),
        ),
        invocations: stats.invocations.len(),
        mean_batch_size: round1(
            stats.invocations.iter().map(|i| i.messages).sum::<usize>() as f64
                / stats.invocations.len().max(1) as f64,
        ),
        peak_instance_memory_mib: round1(peak_mib),
        memory_mb: deployment.processor.memory_mb,
        instances,
        cpu_seconds,
        processor_busy_percent: round1(
            busy_ms / 1000.0 / (instances as f64 * t.wall_s.max(1e-3)) * 100.0,
        ),
        wall_seconds: round1(t.wall_s),
        cost_per_million_usd: usage.cost_per_million(),
        cost_basis: format!(
            "Projected from invocation durations measured on this machine ({}, {} MB configured, {} function), not from AWS billing; {} prices from loadtest/src/prices.rs. Graviton durations differ from this host's.{}",
            std::env::consts::ARCH,
            deployment.processor.memory_mb,
            deployment.processor.architecture,
            loadtest::prices::REGION,
            args.rate.map_or(String::new(), |rate| format!(
                " Offered load: {rate} uploads/s."
            )),
        ),
        queue_depth: t.queue_depth.clone(),
        throughput_per_second: throughput,
        latencies_ms: latencies,
        chaos: None,
    }
}

//! `loadtest`: uploads images to a deployment (the local stack, or AWS), reconciles every upload
//! and writes the report; optionally sweeps the processor's memory size on AWS.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use clap::{Parser, ValueEnum};
use loadtest::local_service::{ChaosSettings, LocalService, Settings};
use loadtest::memory_sweep::set_memory;
use loadtest::report::{ChaosReport, CpuSeconds, Percentiles, Report, SweepRow};
use loadtest::run::{Expected, Timeline, Upload, reconcile, upload_all};
use loadtest::tfstate::Deployment;
use loadtest::{chaos, cost, lambda_report, procstat};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    /// This machine: the local emulator, with the functions run by the local Lambda service.
    Local,
    /// The deployed stack, with the AWS credentials and region of the environment.
    Aws,
}

/// Upload images to the pipeline and report throughput, latency and cost.
#[derive(Debug, Parser)]
struct Args {
    #[arg(long, value_enum, default_value = "local")]
    target: Target,
    /// `terraform show -json` of the deployment (terraform/, or terraform/examples/local).
    #[arg(long)]
    state: PathBuf,
    /// Local: the AWS emulator's endpoint.
    #[arg(long, required_if_eq("target", "local"))]
    endpoint: Option<String>,
    /// Local: the emulator's process id, to account its CPU time.
    #[arg(long)]
    emulator_pid: Option<u32>,
    /// Local: release binaries of the functions.
    #[arg(long, required_if_eq("target", "local"))]
    processor_bin: Option<PathBuf>,
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
    /// AWS: processor memory sizes (MB) to try one after another, e.g. 1024,1769,3008; the
    /// function is set back to its configured size afterwards.
    #[arg(long, value_delimiter = ',')]
    sweep: Vec<u32>,
    /// AWS: how long to wait for the functions' REPORT records to reach CloudWatch Logs.
    #[arg(long, default_value_t = 120)]
    report_wait: u64,
    /// Chaos run (local): poison uploads, instances killed, S3 faults, duplicate deliveries,
    /// and an audit of every outcome (exits non-zero if anything is lost or wrong).
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
    /// Chaos: the seed of every random choice (default: the clock).
    #[arg(long)]
    seed: Option<u64>,
}

/// The SDK clients of one target, built once.
struct Clients {
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    lambda: aws_sdk_lambda::Client,
}

impl Clients {
    async fn new(args: &Args) -> Self {
        let shared = match (&args.target, &args.endpoint) {
            (Target::Local, Some(endpoint)) => loadtest::local_aws_config(endpoint).await,
            _ => aws_config::load_from_env().await,
        };
        Self {
            s3: match args.target {
                Target::Local => loadtest::local_s3(&shared),
                Target::Aws => aws_sdk_s3::Client::new(&shared),
            },
            sqs: aws_sdk_sqs::Client::new(&shared),
            logs: aws_sdk_cloudwatchlogs::Client::new(&shared),
            lambda: aws_sdk_lambda::Client::new(&shared),
        }
    }
}

fn images(args: &Args) -> Result<Vec<(String, Bytes)>> {
    if let Some(dir) = &args.images {
        let files = loadtest::run::image_files(dir)
            .with_context(|| format!("reading the images folder {}", dir.display()))?;
        if files.is_empty() {
            bail!("no .jpg, .jpeg or .png files in {}", dir.display());
        }
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

/// The processor's renditions as Terraform configured them.
fn rendition_spec(deployment: &Deployment) -> &str {
    deployment
        .processor
        .environment
        .get("RENDITIONS")
        .map_or(processor::config::DEFAULT_RENDITIONS, String::as_str)
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.target == Target::Aws && args.chaos {
        bail!("chaos runs are local only: they kill processes and fault S3 on this machine");
    }
    if args.target == Target::Local && !args.sweep.is_empty() {
        bail!(
            "the memory sweep needs TARGET=aws: locally the memory size changes no CPU share, only the projected price"
        );
    }
    let show: serde_json::Value = serde_json::from_slice(&std::fs::read(&args.state)?)?;
    let mut deployment = Deployment::from_show_json(&show)?;
    let clients = Clients::new(&args).await;
    let run_id = format!(
        "{}-{}",
        if args.chaos { "chaos" } else { "lt" },
        unix_seconds()
    );

    if args.sweep.is_empty() {
        let (report, expected_rejections) = run_pass(&args, &deployment, &clients, &run_id).await?;
        return check(&report, expected_rejections);
    }
    let configured = deployment.processor.memory_mb;
    let mut rows = Vec::new();
    for &memory_mb in &args.sweep {
        set_memory(&clients.lambda, &deployment.processor.name, memory_mb).await?;
        deployment.processor.memory_mb = memory_mb;
        let pass_id = format!("{run_id}-{memory_mb}mb");
        let (report, _) = run_pass(&args, &deployment, &clients, &pass_id).await?;
        rows.push(SweepRow::of(&report));
    }
    set_memory(&clients.lambda, &deployment.processor.name, configured).await?;
    let table = SweepRow::markdown(&rows);
    let dir = args.out_dir.join(&run_id);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("sweep.md"), &table)?;
    std::fs::write(dir.join("sweep.json"), serde_json::to_vec_pretty(&rows)?)?;
    println!("{table}\nSweep: {}/sweep.{{md,json}}", dir.display());
    Ok(())
}

/// The uploads of one pass: generated or given photos, corrupt extras, chaos poison.
fn uploads(args: &Args, run_prefix: &str) -> Result<Vec<Upload>> {
    let photos = images(args)?;
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
    if args.chaos {
        uploads.extend(chaos::poison_uploads(run_prefix, &photos[0].1));
    }
    Ok(uploads)
}

/// One pass: start the local service (local), upload, reconcile, measure, write the report.
/// Returns the report and how many rejections the uploads call for.
async fn run_pass(
    args: &Args,
    deployment: &Deployment,
    clients: &Clients,
    run_id: &str,
) -> Result<(Report, usize)> {
    let rendition_names: Vec<String> =
        processor::imaging::parse_renditions(rendition_spec(deployment))?
            .into_iter()
            .map(|r| r.name)
            .collect();
    let run_dir = args.out_dir.join(run_id);
    let log_dir = run_dir.join("logs");
    std::fs::create_dir_all(&log_dir)?;
    let run_prefix = format!("{}{run_id}/", deployment.input_prefix);
    let uploads = uploads(args, &run_prefix)?;
    let expected = uploads.len();
    let expected_rejections = uploads
        .iter()
        .filter(|u| u.expected != Expected::Done)
        .count();
    let poison_uploads = if args.chaos {
        expected - args.count - args.corrupt
    } else {
        0
    };
    let audited = args.chaos.then(|| uploads.clone());
    let seed = args.seed.unwrap_or_else(unix_seconds);

    let service = match args.target {
        Target::Local => Some(
            LocalService::start(
                deployment,
                &Settings {
                    endpoint: args.endpoint.clone().unwrap_or_default(),
                    processor_bin: args.processor_bin.clone().unwrap_or_default(),
                    trigger_bin: args.trigger_bin.clone(),
                    log_dir: log_dir.clone(),
                    chaos: args.chaos.then(|| ChaosSettings {
                        kills: args.kills,
                        // Spread over the time the uploads take (at least 10 s).
                        span: Duration::from_secs_f64(
                            args.rate
                                .map_or(10.0, |rate| expected as f64 / rate)
                                .max(10.0),
                        ),
                        s3_fault_share: args.s3_fault_share,
                        duplicate_share: args.duplicate_share,
                        seed,
                    }),
                },
                clients.sqs.clone(),
            )
            .await?,
        ),
        Target::Aws => None,
    };

    let started_ms = unix_seconds() as i64 * 1000;
    let started = Instant::now();
    let timeline = Arc::new(Mutex::new(Timeline::default()));
    let progress = tokio::spawn(show_progress(Arc::clone(&timeline), expected, started));
    let uploader = tokio::spawn({
        let (s3, deployment, timeline) = (
            clients.s3.clone(),
            deployment.clone(),
            Arc::clone(&timeline),
        );
        let trigger = service.as_ref().and_then(LocalService::trigger_api);
        let rate = args.rate;
        async move { upload_all(&s3, &deployment, uploads, rate, trigger, started, timeline).await }
    });
    reconcile(
        &clients.s3,
        &clients.sqs,
        deployment,
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
    let timeline = timeline.lock().expect("lock").clone();

    let measured = match service {
        Some(service) => {
            let measured = service.stop().await?;
            let log_bytes = std::fs::read_dir(&log_dir).map_or(0, |d| {
                d.filter_map(|e| e.ok()?.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            });
            let chaos = match &audited {
                Some(uploads) => {
                    eprintln!("chaos: auditing every upload");
                    let renditions =
                        processor::imaging::parse_renditions(rendition_spec(deployment))?;
                    let audit =
                        chaos::audit(&clients.s3, deployment, &renditions, uploads, &timeline)
                            .await;
                    let (calls, before, after) = measured.faults;
                    Some(ChaosReport {
                        seed,
                        instance_kills: args.kills,
                        kills_mid_invocation: measured.kills_mid_invocation,
                        instances_replaced: measured.instances_replaced,
                        s3_fault_share: args.s3_fault_share,
                        s3_object_calls: calls,
                        s3_faults_before: before,
                        s3_faults_after: after,
                        duplicated_batches: measured.stats.duplicated_batches,
                        poison_uploads,
                        audit,
                    })
                }
                None => None,
            };
            let invocations = &measured.stats.invocations;
            Measurements {
                durations_ms: invocations.iter().map(|i| i.duration_ms).collect(),
                billed_ms: invocations.iter().map(|i| i.duration_ms.ceil()).sum(),
                messages: invocations.iter().map(|i| i.messages).sum(),
                sqs_polling_requests: (measured.stats.receive_calls + measured.stats.delete_calls)
                    as f64,
                peak_mib: measured.peak_mib,
                cpu_seconds: CpuSeconds {
                    processor: round1(measured.processor_cpu_seconds),
                    emulator: round1(args.emulator_pid.map_or(0.0, procstat::cpu_seconds)),
                    harness: round1(procstat::cpu_seconds(std::process::id())),
                },
                log_bytes,
                basis: format!(
                    "Projected from invocation durations measured on this machine ({}, {} MB configured, {} function), not from AWS billing",
                    std::env::consts::ARCH,
                    deployment.processor.memory_mb,
                    deployment.processor.architecture,
                ),
                chaos,
            }
        }
        None => aws_measurements(args, deployment, clients, started_ms, &timeline).await?,
    };
    let report = build_report(
        args,
        deployment,
        run_id,
        &timeline,
        measured,
        &rendition_names,
    );
    report.write(&run_dir)?;
    let latest = args.out_dir.join("latest");
    report.write(&latest)?;
    println!("{}", report.markdown());
    println!(
        "Reports: {}/report.{{json,md,html}} (also {}/)",
        run_dir.display(),
        latest.display()
    );
    Ok((report, expected_rejections))
}

/// Reads the processor's REPORT records for the run from CloudWatch Logs, waiting while they
/// still arrive (log delivery lags invocations by seconds).
async fn aws_measurements(
    args: &Args,
    deployment: &Deployment,
    clients: &Clients,
    started_ms: i64,
    timeline: &Timeline,
) -> Result<Measurements> {
    let log_group = format!("/aws/lambda/{}", deployment.processor.name);
    let waited = Instant::now();
    let mut reports = Vec::new();
    loop {
        let end_ms = unix_seconds() as i64 * 1000 + 60_000;
        let fetched = lambda_report::fetch(&clients.logs, &log_group, started_ms, end_ms)
            .await
            .with_context(|| format!("reading {log_group}"))?;
        let settled = !fetched.reports.is_empty() && fetched.reports.len() == reports.len();
        let log_bytes = fetched.bytes;
        reports = fetched.reports;
        if settled || waited.elapsed() >= Duration::from_secs(args.report_wait) {
            let invocations = reports.len();
            let processed = timeline.done_s.len() + timeline.rejected_s.len();
            return Ok(Measurements {
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
                log_bytes,
                basis: format!(
                    "From {invocations} REPORT records of {log_group} (billed durations at {} MB); SQS polling estimated as one receive and one delete per batch",
                    deployment.processor.memory_mb
                ),
                chaos: None,
            });
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

/// Exit status of a single pass: every upload accounted for, as many rejections as planned,
/// and for chaos runs a clean audit.
fn check(report: &Report, expected_rejections: usize) -> Result<()> {
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

/// What a pass measured about the functions, wherever it came from.
struct Measurements {
    durations_ms: Vec<f64>,
    billed_ms: f64,
    /// Messages delivered over all invocations.
    messages: usize,
    sqs_polling_requests: f64,
    peak_mib: f64,
    cpu_seconds: CpuSeconds,
    log_bytes: u64,
    basis: String,
    chaos: Option<ChaosReport>,
}

fn build_report(
    args: &Args,
    deployment: &Deployment,
    run_id: &str,
    t: &Timeline,
    measured: Measurements,
    rendition_names: &[String],
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
    let busy_ms: f64 = measured.durations_ms.iter().sum();
    let invocations = measured.durations_ms.len();
    let instances = deployment.maximum_concurrency;
    let first_upload = t.uploaded_s.values().copied().fold(f64::INFINITY, f64::min);
    let last_done = t.done_s.values().copied().fold(0.0, f64::max);
    let span = (last_done - first_upload).max(1e-3);
    let mut throughput = vec![0u32; t.wall_s.ceil() as usize + 1];
    for seen in t.done_s.values() {
        throughput[*seen as usize] += 1;
    }
    let trigger_mode = deployment.trigger.is_some();
    let usage = cost::Usage {
        billed_ms_per_image: measured.billed_ms / processed,
        memory_mb: deployment.processor.memory_mb,
        invocations_per_image: invocations as f64 / processed
            + if trigger_mode { 1.0 } else { 0.0 },
        sqs_requests_per_image: (t.uploaded_s.len() as f64 + measured.sqs_polling_requests)
            / processed,
        s3_puts_per_image: (t.done_s.len() * rendition_names.len() + t.rejected_s.len()) as f64
            / processed,
        s3_gets_per_image: 1.0,
        log_bytes_per_image: measured.log_bytes as f64 / processed,
    };
    let uploaded = t.uploaded_s.len();
    Report {
        run_id: run_id.to_owned(),
        target: match args.target {
            Target::Local => "local",
            Target::Aws => "aws",
        }
        .to_owned(),
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
        batch_duration_ms: Percentiles::of(&measured.durations_ms),
        invocations,
        mean_batch_size: round1(measured.messages as f64 / invocations.max(1) as f64),
        peak_instance_memory_mib: round1(measured.peak_mib),
        memory_mb: deployment.processor.memory_mb,
        instances,
        cpu_seconds: measured.cpu_seconds,
        processor_busy_percent: round1(
            busy_ms / 1000.0 / (instances as f64 * t.wall_s.max(1e-3)) * 100.0,
        ),
        wall_seconds: round1(t.wall_s),
        cost_per_million_usd: usage.cost_per_million(),
        cost_basis: format!(
            "{}; {} prices from loadtest/src/prices.rs.{}",
            measured.basis,
            loadtest::prices::REGION,
            args.rate.map_or(String::new(), |rate| format!(
                " Offered load: {rate} uploads/s."
            )),
        ),
        queue_depth: t.queue_depth.clone(),
        throughput_per_second: throughput,
        latencies_ms: latencies,
        chaos: measured.chaos,
    }
}

//! One pass of a load test: start the local stack (locally), upload, reconcile every upload,
//! measure, audit a chaos run, and write the report.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::args::{Args, Clients, Target, uploads};
use crate::chaos::{self, ChaosSettings};
use crate::deployment::Deployment;
use crate::lambda_report::aws_measurements;
use crate::local_stack::{EmulatorClients, LocalStack, Settings};
use crate::progress::show_progress;
use crate::reconcile::{reconcile, rendition_files};
use crate::render_cpu;
use crate::report::{PassInfo, Report};
use crate::run::{Expected, RunContext, Timeline};
use crate::unix_seconds;
use crate::upload::upload_all;

/// The result of a pass: its report, and how many rejections its uploads called for.
#[derive(Debug)]
pub struct PassResult {
    pub report: Report,
    pub expected_rejections: usize,
}

pub async fn run_pass(
    args: &Args,
    deployment: &Deployment,
    clients: &Clients,
    run_id: &str,
) -> Result<PassResult> {
    let renditions = imaging::parse_renditions(deployment.rendition_spec())?;
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
    // What the processor renders (not the uploads meant to be rejected), for `render` to time.
    let rendered: Vec<_> = uploads
        .iter()
        .filter(|u| u.expected == Expected::Done)
        .map(|u| u.bytes.clone())
        .collect();
    let chaos_settings = args.chaos.then(|| {
        // The time the uploads take (at least 10 s): kills are spread over it, and an SQS fault
        // burst starts in its first half.
        let span = Duration::from_secs_f64(
            args.rate
                .map_or(10.0, |rate| expected as f64 / rate)
                .max(10.0),
        );
        let seed = args.seed.unwrap_or_else(unix_seconds);
        let mut rng = fastrand::Rng::with_seed(seed);
        ChaosSettings {
            kills: args.kills,
            span,
            s3_fault_share: args.s3_fault_share,
            sqs_fault_share: args.sqs_fault_share,
            sqs_fault_burst: (args.sqs_fault_burst > 0.0).then(|| {
                (
                    span.mul_f64(0.1 + rng.f64() * 0.4),
                    Duration::from_secs_f64(args.sqs_fault_burst),
                )
            }),
            duplicate_share: args.duplicate_share,
            seed,
        }
    });

    let stack = match args.target {
        Target::Local => Some(
            LocalStack::start(
                deployment,
                Settings {
                    endpoint: args.endpoint.clone().unwrap_or_default(),
                    emulator_pid: args.emulator_pid,
                    processor_bin: args.processor_bin.clone().unwrap_or_default(),
                    trigger_bin: args.trigger_bin.clone(),
                    log_dir,
                    async_clock_scale: args.async_clock_scale,
                    chaos: chaos_settings,
                },
                EmulatorClients {
                    sqs: clients.sqs.clone(),
                    lambda: clients.lambda.clone(),
                },
            )
            .await?,
        ),
        Target::Aws => None,
    };

    let started_ms = unix_seconds() as i64 * 1000;
    let run = RunContext {
        s3: clients.s3.clone(),
        sqs: clients.sqs.clone(),
        deployment: deployment.clone(),
        run_prefix,
        rendition_files: rendition_files(&renditions),
        started: Instant::now(),
        timeline: Arc::new(Mutex::new(Timeline::default())),
    };
    let progress = tokio::spawn(show_progress(
        Arc::clone(&run.timeline),
        expected,
        run.started,
    ));
    let uploader = tokio::spawn({
        let (run, rate) = (run.clone(), args.rate);
        let trigger = stack.as_ref().and_then(LocalStack::trigger_invoker);
        async move { upload_all(&run, uploads, rate, trigger).await }
    });
    reconcile(&run, expected, Duration::from_secs(args.timeout)).await;
    uploader.await?;
    let redriven = match (&args.redrive_bin, args.chaos) {
        (Some(redrive), true) => redrive_failures(args, &run, redrive, expected).await?,
        _ => 0,
    };
    progress.abort();
    let timeline = run.timeline.lock().expect("lock").clone();

    let (measured, chaos) = match stack {
        Some(stack) => {
            let (measured, injected) = stack.stop(run.started).await?;
            let chaos = match (&audited, &chaos_settings) {
                (Some(uploads), Some(settings)) => {
                    eprintln!("chaos: auditing every upload");
                    let audit =
                        chaos::audit(&clients.s3, deployment, &renditions, uploads, &timeline)
                            .await;
                    Some(chaos::report(
                        settings,
                        injected,
                        poison_uploads,
                        redriven,
                        audit,
                    ))
                }
                _ => None,
            };
            (measured, chaos)
        }
        None => {
            let processed = timeline.done_s.len() + timeline.rejected_s.len();
            let measured = aws_measurements(
                &clients.logs,
                &deployment.processor.name,
                deployment.processor.memory_mb,
                started_ms,
                processed,
                Duration::from_secs(args.report_wait),
            )
            .await?;
            (measured, None)
        }
    };
    // Not in chaos runs: their killed and repeated invocations are not a billed time per image.
    let render_cpu_ms_per_image = match (&args.render_bin, args.target) {
        (Some(render), Target::Local) if !args.chaos => {
            time_render(render, deployment, rendered, run_dir.join("render")).await
        }
        _ => None,
    };
    let pass = PassInfo {
        render_cpu_ms_per_image,
        run_id: run_id.to_owned(),
        target: args.target.label(),
        rate: args.rate,
        images: match &args.images {
            Some(folder) => format!("photos from {}", folder.display()),
            None => format!("generated photos ({})", args.sizes),
        },
    };
    let report = Report::build(&pass, &run, &timeline, measured, chaos);
    report.write(&run_dir)?;
    let latest = args.out_dir.join("latest");
    report.write(&latest)?;
    println!("{}", report.markdown());
    println!(
        "Reports: {}/report.{{json,md,html}} (also {}/)",
        run_dir.display(),
        latest.display()
    );
    Ok(PassResult {
        report,
        expected_rejections,
    })
}

/// `render`'s CPU milliseconds per image for the photos the processor rendered; a failure
/// only leaves the figure out of the report.
async fn time_render(
    render: &std::path::Path,
    deployment: &Deployment,
    rendered: Vec<axum::body::Bytes>,
    scratch: std::path::PathBuf,
) -> Option<f64> {
    eprintln!("loadtest: timing render on the same photos and renditions");
    // The processor's settings that change what the image core does, as render's options.
    let settings = [
        ("WEBP_METHOD", "--webp-method"),
        ("AVIF_SPEED", "--avif-speed"),
        ("MAX_PIXELS", "--max-pixels"),
        ("MAX_BYTES", "--max-bytes"),
    ];
    let mut options = vec![
        "--rendition".to_owned(),
        deployment.rendition_spec().to_owned(),
    ];
    for (name, flag) in settings {
        if let Some(value) = deployment.processor.environment.get(name) {
            options.extend([flag.to_owned(), value.clone()]);
        }
    }
    let render = render.to_owned();
    tokio::task::spawn_blocking(move || {
        render_cpu::cpu_ms_per_image(&render, &options, &rendered, &scratch)
    })
    .await
    .map_err(anyhow::Error::from)
    .and_then(|timed| timed)
    .inspect_err(|err| eprintln!("loadtest: render was not timed: {err:#}"))
    .ok()
}

/// After a chaos run in trigger mode: runs `redrive` as `make redrive` does, against the local
/// stack, and waits for the uploads it brought back. Returns how many uploads were brought back.
async fn redrive_failures(
    args: &Args,
    run: &RunContext,
    redrive: &std::path::Path,
    expected: usize,
) -> Result<usize> {
    let waiting = run
        .timeline
        .lock()
        .expect("lock")
        .trigger_failure_keys
        .len();
    if waiting == 0 {
        return Ok(0);
    }
    let outputs = args
        .outputs
        .as_ref()
        .context("redrive needs --outputs (terraform output -json of the stack)")?;
    eprintln!("chaos: {waiting} uploads wait in the trigger's failure queue; running redrive");
    let status = tokio::process::Command::new(redrive)
        .arg(outputs)
        .arg("--skip-dlq")
        .env(
            "AWS_ENDPOINT_URL",
            args.endpoint.clone().unwrap_or_default(),
        )
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .status()
        .await
        .with_context(|| format!("running {}", redrive.display()))?;
    if !status.success() {
        bail!("redrive failed: {status}");
    }
    run.timeline
        .lock()
        .expect("lock")
        .trigger_failure_keys
        .clear();
    reconcile(run, expected, Duration::from_secs(args.timeout)).await;
    Ok(waiting)
}

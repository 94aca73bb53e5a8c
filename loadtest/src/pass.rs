//! One pass of a load test: start the local stack (locally), upload, reconcile every upload,
//! measure, audit a chaos run, and write the report.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::args::{Args, Clients, Target, uploads};
use crate::chaos;
use crate::lambda_report::aws_measurements;
use crate::local_stack::{ChaosSettings, LocalStack, Settings};
use crate::progress::show_progress;
use crate::reconcile::reconcile;
use crate::report::{PassInfo, Report};
use crate::run::{Expected, RunContext, Timeline};
use crate::tfstate::Deployment;
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
    let chaos_settings = args.chaos.then(|| ChaosSettings {
        kills: args.kills,
        // Spread over the time the uploads take (at least 10 s).
        span: Duration::from_secs_f64(
            args.rate
                .map_or(10.0, |rate| expected as f64 / rate)
                .max(10.0),
        ),
        s3_fault_share: args.s3_fault_share,
        duplicate_share: args.duplicate_share,
        seed: args.seed.unwrap_or_else(unix_seconds),
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
                    chaos: chaos_settings,
                },
                clients.sqs.clone(),
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
        rendition_names: renditions.iter().map(|r| r.name.clone()).collect(),
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
        let trigger = stack.as_ref().and_then(LocalStack::trigger_api);
        async move { upload_all(&run, uploads, rate, trigger).await }
    });
    reconcile(&run, expected, Duration::from_secs(args.timeout)).await;
    uploader.await?;
    progress.abort();
    let timeline = run.timeline.lock().expect("lock").clone();

    let (measured, chaos) = match stack {
        Some(stack) => {
            let (measured, injected) = stack.stop().await?;
            let chaos = match (&audited, &chaos_settings) {
                (Some(uploads), Some(settings)) => {
                    eprintln!("chaos: auditing every upload");
                    let audit =
                        chaos::audit(&clients.s3, deployment, &renditions, uploads, &timeline)
                            .await;
                    Some(chaos::report(settings, injected, poison_uploads, audit))
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
    let pass = PassInfo {
        run_id: run_id.to_owned(),
        target: args.target.label(),
        rate: args.rate,
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

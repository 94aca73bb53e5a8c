//! `loadtest`: uploads images to a deployment (the local stack, or AWS), reconciles every upload
//! and writes the report; or sweeps the processor's memory size on AWS.

use anyhow::{Result, bail};
use clap::Parser;
use loadtest::args::{Args, Clients, Target};
use loadtest::deployment::Deployment;
use loadtest::memory_sweep::set_memory;
use loadtest::pass::{PassResult, run_pass};
use loadtest::report::SweepRow;
use loadtest::unix_seconds;

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
    let deployment = Deployment::from_file(&args.state)?;
    let clients = Clients::new(&args).await;
    let run_id = format!(
        "{}-{}",
        if args.chaos { "chaos" } else { "lt" },
        unix_seconds()
    );
    if args.sweep.is_empty() {
        single_pass(&args, &deployment, &clients, &run_id).await
    } else {
        sweep(&args, deployment, &clients, &run_id).await
    }
}

/// One pass; fails unless every upload is accounted for as planned (and a chaos audit passed).
async fn single_pass(
    args: &Args,
    deployment: &Deployment,
    clients: &Clients,
    run_id: &str,
) -> Result<()> {
    let PassResult {
        report,
        expected_rejections,
    } = run_pass(args, deployment, clients, run_id).await?;
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
    if report.missing > 0 || report.rejected != expected_rejections || report.trigger_failures > 0 {
        bail!(
            "{} uploads missing, {} waiting in the trigger's failure queue (make redrive), {} rejected (expected {expected_rejections})",
            report.missing,
            report.trigger_failures,
            report.rejected
        );
    }
    Ok(())
}

/// One pass per memory size, as AWS Lambda Power Tuning does; the configured size is set back.
async fn sweep(
    args: &Args,
    mut deployment: Deployment,
    clients: &Clients,
    run_id: &str,
) -> Result<()> {
    let configured = deployment.processor.memory_mb;
    let mut rows = Vec::new();
    for &memory_mb in &args.sweep {
        set_memory(&clients.lambda, &deployment.processor.name, memory_mb).await?;
        deployment.processor.memory_mb = memory_mb;
        let pass_id = format!("{run_id}-{memory_mb}mb");
        let pass = run_pass(args, &deployment, clients, &pass_id).await?;
        rows.push(SweepRow::of(&pass.report));
    }
    set_memory(&clients.lambda, &deployment.processor.name, configured).await?;
    let table = SweepRow::markdown(&rows);
    let dir = args.out_dir.join(run_id);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("sweep.md"), &table)?;
    std::fs::write(dir.join("sweep.json"), serde_json::to_vec_pretty(&rows)?)?;
    std::fs::write(dir.join("sweep.html"), SweepRow::html(&rows))?;
    println!("{table}\nSweep: {}/sweep.{{md,json,html}}", dir.display());
    Ok(())
}

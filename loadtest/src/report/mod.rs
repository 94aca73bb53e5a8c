//! The load-test report: what a run measured, built into `report.json` (the contract other
//! tools read), `report.md` and `report.html`.

mod charts;
mod figures;
mod html;
mod markdown;

use std::path::Path;

use serde::Serialize;

use crate::capacity::{Capacity, ModelInput};
use crate::chaos::ChaosReport;
use crate::cost::{CostPerMillion, UsagePerImage};
use crate::emf::ImageTiming;
use crate::format_cost::{FormatCost, format_costs, renditions_by_format};
use crate::instance_trace::InstanceTimeline;
use crate::run::{DlqSample, QueueSample, RunContext, Timeline};

#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles; zeros for no samples.
    pub fn of(values: &[f64]) -> Self {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if sorted.is_empty() {
                return 0.0;
            }
            let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            (sorted[rank - 1] * 10.0).round() / 10.0
        };
        Self {
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
        }
    }
}

/// Cold starts: how many, and their init durations.
#[derive(Debug, Clone, Serialize)]
pub struct InitMs {
    pub count: usize,
    pub p50: f64,
    pub max: f64,
}

/// How a run was set up, as the report's header shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RunSettings {
    pub target: String,
    pub notification_mode: String,
    pub instances: usize,
    pub memory_mb: u32,
    pub batch_size: usize,
    pub batching_window_s: f64,
    /// Offered uploads per second, when paced (open loop); none means as fast as possible.
    pub offered_rate: Option<f64>,
    pub images: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CpuSeconds {
    pub processor: f64,
    pub emulator: f64,
    pub harness: f64,
}

/// Everything a run reports. Field names are a contract: add, never rename.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub run_id: String,
    pub target: String,
    pub notification_mode: String,
    pub settings: RunSettings,
    pub uploaded: usize,
    pub done: usize,
    pub rejected: usize,
    pub dlq: u64,
    /// Trigger mode: uploads whose event waits in the trigger's failure queue (`make redrive`).
    pub trigger_failures: usize,
    pub missing: usize,
    pub upload_errors: u64,
    pub first_upload_error: Option<String>,
    pub images_per_second: f64,
    /// Upload finished to last rendition (or rejection record) seen; polled every 250 ms.
    pub latency_ms: Percentiles,
    pub processor_ms_per_image: f64,
    /// The image core's decode, resize and encode per rendered image, from the processor's
    /// metrics lines.
    pub image_core_ms_per_image: f64,
    /// Billed processor milliseconds per image beyond the image core: S3 reads and writes,
    /// JSON, logging, the runtime.
    pub overhead_ms_per_image: f64,
    /// `render`'s CPU milliseconds for the same photos and renditions, one process, on the
    /// idle machine after the run (local runs with `--render-bin`).
    pub render_cpu_ms_per_image: Option<f64>,
    /// `processor_ms_per_image` over `render_cpu_ms_per_image`: what running in the function
    /// adds to the image core's own CPU time.
    pub billed_vs_render: Option<f64>,
    /// CPU milliseconds the processor's processes used per image, init included (local runs):
    /// billed time above it is time spent waiting, for S3 or for a core.
    pub processor_cpu_ms_per_image: Option<f64>,
    /// Cold starts' init: process start to the first request for work.
    pub init_ms: InitMs,
    pub batch_duration_ms: Percentiles,
    pub invocations: usize,
    pub mean_batch_size: f64,
    pub peak_instance_memory_mib: f64,
    pub memory_mb: u32,
    pub instances: usize,
    pub cpu_seconds: CpuSeconds,
    /// Share of the instances' wall time spent inside invocations.
    pub processor_busy_percent: f64,
    pub wall_seconds: f64,
    pub cost_per_million_usd: CostPerMillion,
    /// What each output format costs and saves per million images (its PUTs are also in
    /// `cost_per_million_usd.s3_put`).
    pub format_costs: Vec<FormatCost>,
    pub cost_basis: String,
    /// `[seconds, visible, in flight]`
    pub queue_depth: Vec<QueueSample>,
    /// `[seconds, messages]` of the dead-letter queue.
    pub dlq_depth: Vec<DlqSample>,
    /// Completions per second, one entry per second of the run.
    pub throughput_per_second: Vec<u32>,
    /// Uploads finished per second, one entry per second of the run: the offered load.
    pub offered_per_second: Vec<u32>,
    pub latencies_ms: Vec<f64>,
    /// `[seconds uploaded, latency ms]` of each upload that reached an outcome.
    pub upload_latencies: Vec<(f64, f64)>,
    /// What each function instance did when (locally; on AWS, per log stream).
    pub instance_timelines: Vec<InstanceTimeline>,
    /// The capacity model's prediction from this run's measurements (see `capacity`).
    pub capacity: Capacity,
    /// What a chaos run injected and what its audit found (`make chaos` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chaos: Option<ChaosReport>,
}

/// One memory size of a sweep (`--sweep`), from that pass's report.
#[derive(Debug, Clone, Serialize)]
pub struct SweepRow {
    pub memory_mb: u32,
    pub images_per_second: f64,
    pub latency_ms: Percentiles,
    pub processor_ms_per_image: f64,
    pub peak_instance_memory_mib: f64,
    pub cost_per_million_usd: f64,
    pub run_id: String,
}

impl SweepRow {
    pub fn of(report: &Report) -> Self {
        Self {
            memory_mb: report.memory_mb,
            images_per_second: report.images_per_second,
            latency_ms: report.latency_ms.clone(),
            processor_ms_per_image: report.processor_ms_per_image,
            peak_instance_memory_mib: report.peak_instance_memory_mib,
            cost_per_million_usd: report.cost_per_million_usd.total,
            run_id: report.run_id.clone(),
        }
    }
}

/// What a pass measured about the functions, locally or from CloudWatch Logs.
#[derive(Debug, Clone)]
pub struct Measurements {
    /// Each cold start's init (process start to its first request for work).
    pub init_ms: Vec<f64>,
    /// The processor's metrics line of each image it rendered.
    pub image_timings: Vec<ImageTiming>,
    /// What each instance did when.
    pub instances: Vec<InstanceTimeline>,
    /// Each invocation's duration.
    pub durations_ms: Vec<f64>,
    pub billed_ms: f64,
    /// Messages delivered over all invocations.
    pub messages: usize,
    pub sqs_polling_requests: f64,
    pub peak_mib: f64,
    pub cpu_seconds: CpuSeconds,
    pub log_bytes: u64,
    /// Where the cost figures come from, in words.
    pub basis: String,
}

/// How a pass was run, as the report names it.
#[derive(Debug, Clone)]
pub struct PassInfo {
    pub run_id: String,
    /// `local` or `aws`.
    pub target: &'static str,
    /// Offered uploads per second (open loop), if paced.
    pub rate: Option<f64>,
    /// Which images were uploaded, in words.
    pub images: String,
    /// `render`'s CPU milliseconds per rendered upload, when it was timed (local runs).
    pub render_cpu_ms_per_image: Option<f64>,
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl Report {
    /// The report of one pass, from its timeline and what the functions measured.
    pub fn build(
        pass: &PassInfo,
        run: &RunContext,
        t: &Timeline,
        measured: Measurements,
        chaos: Option<ChaosReport>,
    ) -> Report {
        let deployment = &run.deployment;
        let mut upload_latencies: Vec<(f64, f64)> = t
            .done_s
            .iter()
            .chain(&t.rejected_s)
            .filter_map(|(key, seen)| {
                t.uploaded_s
                    .get(key)
                    .map(|up| (round1(*up), round1(((seen - up) * 1000.0).max(0.0))))
            })
            .collect();
        upload_latencies.sort_by(|a, b| a.0.total_cmp(&b.0));
        let latencies: Vec<f64> = upload_latencies.iter().map(|p| p.1).collect();
        let processed = (t.done_s.len() + t.rejected_s.len()).max(1) as f64;
        let busy_ms: f64 = measured.durations_ms.iter().sum();
        let invocations = measured.durations_ms.len();
        let instances = deployment.maximum_concurrency;
        let first_upload = t.uploaded_s.values().copied().fold(f64::INFINITY, f64::min);
        let last_done = t.done_s.values().copied().fold(0.0, f64::max);
        let span = (last_done - first_upload).max(1e-3);
        let per_second = |times: &mut dyn Iterator<Item = f64>| {
            let mut counts = vec![0u32; t.wall_s.ceil() as usize + 1];
            let last = counts.len() - 1;
            for at in times {
                counts[(at.max(0.0) as usize).min(last)] += 1;
            }
            counts
        };
        let throughput = per_second(&mut t.done_s.values().copied());
        let offered = per_second(&mut t.uploaded_s.values().copied());
        let core_ms: f64 = measured.image_timings.iter().map(|i| i.core_ms).sum();
        let mut init = measured.init_ms.clone();
        init.sort_by(f64::total_cmp);
        let trigger_mode = deployment.trigger.is_some();
        let usage = UsagePerImage {
            billed_ms_per_image: measured.billed_ms / processed,
            memory_mb: deployment.processor.memory_mb,
            invocations_per_image: invocations as f64 / processed
                + if trigger_mode { 1.0 } else { 0.0 },
            sqs_requests_per_image: (t.uploaded_s.len() as f64 + measured.sqs_polling_requests)
                / processed,
            s3_puts_per_image: (t.done_s.len() * run.rendition_files.len() + t.rejected_s.len())
                as f64
                / processed,
            s3_gets_per_image: 1.0,
            log_bytes_per_image: measured.log_bytes as f64 / processed,
        };
        let uploaded = t.uploaded_s.len();
        let latency_ms = Percentiles::of(&latencies);
        let capacity = Capacity::model(ModelInput {
            processor_ms_per_image: busy_ms / processed,
            instances,
            offered_rate: pass.rate,
            files_per_image: run.rendition_files.len(),
            latency_s: latency_ms.p50 / 1000.0,
        });
        Report {
            run_id: pass.run_id.clone(),
            target: pass.target.to_owned(),
            notification_mode: deployment.notification_mode.clone(),
            settings: RunSettings {
                target: pass.target.to_owned(),
                notification_mode: deployment.notification_mode.clone(),
                instances,
                memory_mb: deployment.processor.memory_mb,
                batch_size: deployment.batch_size,
                batching_window_s: deployment.batching_window.as_secs_f64(),
                offered_rate: pass.rate,
                images: pass.images.clone(),
            },
            uploaded,
            done: t.done_s.len(),
            rejected: t.rejected_s.len(),
            dlq: t.dlq_keys.len() as u64,
            trigger_failures: t.trigger_failure_keys.len(),
            missing: uploaded.saturating_sub(
                t.done_s.len()
                    + t.rejected_s.len()
                    + t.dlq_keys.len()
                    + t.trigger_failure_keys.len(),
            ),
            upload_errors: t.upload_errors,
            first_upload_error: t.first_upload_error.clone(),
            images_per_second: (t.done_s.len() as f64 / span * 100.0).round() / 100.0,
            latency_ms,
            processor_ms_per_image: round1(busy_ms / processed),
            image_core_ms_per_image: round1(core_ms / measured.image_timings.len().max(1) as f64),
            overhead_ms_per_image: round1((measured.billed_ms - core_ms).max(0.0) / processed),
            render_cpu_ms_per_image: pass.render_cpu_ms_per_image.map(round1),
            billed_vs_render: pass
                .render_cpu_ms_per_image
                .filter(|&render| render > 0.0)
                .map(|render| (busy_ms / processed / render * 100.0).round() / 100.0),
            processor_cpu_ms_per_image: (measured.cpu_seconds.processor > 0.0)
                .then(|| round1(measured.cpu_seconds.processor * 1000.0 / processed)),
            init_ms: InitMs {
                count: init.len(),
                p50: Percentiles::of(&init).p50,
                max: round1(init.last().copied().unwrap_or(0.0)),
            },
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
            format_costs: format_costs(
                &measured.image_timings,
                &renditions_by_format(&run.rendition_files),
                deployment.processor.memory_mb,
            ),
            cost_basis: format!(
                "{}; {} prices from loadtest/src/prices.rs.{}",
                measured.basis,
                crate::prices::REGION,
                pass.rate.map_or(String::new(), |rate| format!(
                    " Offered load: {rate} uploads/s."
                )),
            ),
            queue_depth: t.queue_depth.clone(),
            dlq_depth: t.dlq_depth.clone(),
            throughput_per_second: throughput,
            offered_per_second: offered,
            latencies_ms: latencies,
            upload_latencies,
            instance_timelines: measured.instances.clone(),
            capacity,
            chaos,
        }
    }

    /// Writes report.{json,md,html} into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(
            dir.join("report.json"),
            serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?,
        )?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
        std::fs::write(dir.join("report.html"), self.html())
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod percentile_tests {
    use super::Percentiles;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let p = Percentiles::of(&values);
        assert_eq!((p.p50, p.p95, p.p99), (50.0, 95.0, 99.0));
        let empty = Percentiles::of(&[]);
        assert_eq!(empty.p99, 0.0);
    }
}

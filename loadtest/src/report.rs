//! The load-test report: `report.json` (the contract other tools read), `report.md` and
//! `report.html` (with inline SVG plots).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::chaos::Audit;
use crate::cost::CostPerMillion;

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
    pub uploaded: usize,
    pub done: usize,
    pub rejected: usize,
    pub dlq: u64,
    pub missing: usize,
    pub upload_errors: u64,
    pub first_upload_error: Option<String>,
    pub images_per_second: f64,
    /// Upload finished to last rendition (or rejection record) seen; polled every 250 ms.
    pub latency_ms: Percentiles,
    pub processor_ms_per_image: f64,
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
    pub cost_basis: String,
    /// (seconds, visible, in flight)
    pub queue_depth: Vec<(f64, u64, u64)>,
    /// Completions per second, one entry per second of the run.
    pub throughput_per_second: Vec<u32>,
    pub latencies_ms: Vec<f64>,
    /// What a chaos run injected and what its audit found (`make chaos` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chaos: Option<ChaosReport>,
}

/// The faults a chaos run injected, and the object-by-object audit of the outcome.
#[derive(Debug, Clone, Serialize)]
pub struct ChaosReport {
    pub seed: u64,
    pub instance_kills: usize,
    pub kills_mid_invocation: usize,
    pub instances_replaced: u64,
    pub s3_fault_share: f64,
    pub s3_object_calls: u64,
    pub s3_faults_before: u64,
    pub s3_faults_after: u64,
    pub duplicated_batches: u64,
    pub poison_uploads: usize,
    pub audit: Audit,
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

    /// The sweep as a table, cheapest first marked.
    pub fn markdown(rows: &[SweepRow]) -> String {
        let cheapest = rows
            .iter()
            .map(|r| r.cost_per_million_usd)
            .fold(f64::INFINITY, f64::min);
        let mut md = String::from(
            "| memory MB | images/s | p50 ms | p95 ms | ms/image | peak MiB | USD per million |\n|---|---|---|---|---|---|---|\n",
        );
        for r in rows {
            let _ = writeln!(
                md,
                "| {} | {:.2} | {} | {} | {:.1} | {:.0} | {:.2}{} |",
                r.memory_mb,
                r.images_per_second,
                r.latency_ms.p50,
                r.latency_ms.p95,
                r.processor_ms_per_image,
                r.peak_instance_memory_mib,
                r.cost_per_million_usd,
                if r.cost_per_million_usd == cheapest {
                    " (cheapest)"
                } else {
                    ""
                }
            );
        }
        md
    }
}

impl Report {
    pub fn markdown(&self) -> String {
        let c = &self.cost_per_million_usd;
        let mut md = String::new();
        let _ = writeln!(
            md,
            "# Load test {} ({}, {} mode)\n",
            self.run_id, self.target, self.notification_mode
        );
        let _ = writeln!(
            md,
            "| uploaded | done | rejected | in DLQ | missing | upload errors |\n|---|---|---|---|---|---|"
        );
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |\n",
            self.uploaded, self.done, self.rejected, self.dlq, self.missing, self.upload_errors
        );
        if let Some(error) = &self.first_upload_error {
            let _ = writeln!(md, "- First upload error: {error}");
        }
        if let Some(chaos) = &self.chaos {
            let _ = writeln!(
                md,
                "## Chaos (seed {})\n\n- Injected: {} instance kills ({} mid-invocation, {} instances replaced), S3 faults on {} of {} object calls ({} before reaching S3, {} after), {} batches delivered twice, {} poison uploads\n- Audit: **{}**",
                chaos.seed,
                chaos.instance_kills,
                chaos.kills_mid_invocation,
                chaos.instances_replaced,
                chaos.s3_faults_before + chaos.s3_faults_after,
                chaos.s3_object_calls,
                chaos.s3_faults_before,
                chaos.s3_faults_after,
                chaos.duplicated_batches,
                chaos.poison_uploads,
                chaos.audit.summary()
            );
            for wrong in &chaos.audit.wrong {
                let _ = writeln!(md, "  - {wrong}");
            }
            let _ = writeln!(md);
        }
        let _ = writeln!(
            md,
            "- Throughput: **{:.2} images/s** over {:.1} s",
            self.images_per_second, self.wall_seconds
        );
        let _ = writeln!(
            md,
            "- End-to-end latency (upload to last rendition, polled every 250 ms): p50 {} ms, p95 {} ms, p99 {} ms",
            self.latency_ms.p50, self.latency_ms.p95, self.latency_ms.p99
        );
        let _ = writeln!(
            md,
            "- Processor: {:.1} ms per image, batch duration p50 {} ms / p95 {} ms, {} invocations (mean batch {:.1})",
            self.processor_ms_per_image,
            self.batch_duration_ms.p50,
            self.batch_duration_ms.p95,
            self.invocations,
            self.mean_batch_size
        );
        let _ = writeln!(
            md,
            "- {} instance(s) at {} MB; peak instance memory {:.1} MiB; instances busy {:.0}% of the run",
            self.instances,
            self.memory_mb,
            self.peak_instance_memory_mib,
            self.processor_busy_percent
        );
        let _ = writeln!(
            md,
            "- CPU seconds: processor {:.1}, emulator {:.1}, harness {:.1}\n",
            self.cpu_seconds.processor, self.cpu_seconds.emulator, self.cpu_seconds.harness
        );
        let _ = writeln!(
            md,
            "## Cost per million images (USD, {})\n\n{}\n",
            c.region, self.cost_basis
        );
        let _ = writeln!(md, "| part | USD |\n|---|---|");
        for (part, usd) in [
            ("Lambda compute (arm64)", c.lambda_compute_arm64),
            ("Lambda requests", c.lambda_requests),
            ("SQS requests", c.sqs_requests),
            ("S3 PUT", c.s3_put),
            ("S3 GET", c.s3_get),
            ("Log ingestion", c.log_ingestion),
            ("**total**", c.total),
            ("(Lambda compute if x86_64)", c.lambda_compute_x86_64),
        ] {
            let _ = writeln!(md, "| {part} | {usd:.2} |");
        }
        md
    }

    pub fn html(&self) -> String {
        let throughput: Vec<(f64, f64)> = self
            .throughput_per_second
            .iter()
            .enumerate()
            .map(|(i, n)| (i as f64, f64::from(*n)))
            .collect();
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let cdf: Vec<(f64, f64)> = sorted
            .iter()
            .enumerate()
            .map(|(i, ms)| (*ms, (i + 1) as f64 / sorted.len() as f64))
            .collect();
        let depth: Vec<(f64, f64)> = self
            .queue_depth
            .iter()
            .map(|(t, v, f)| (*t, (*v + *f) as f64))
            .collect();
        let c = &self.cost_per_million_usd;
        let costs = [
            ("Lambda compute", c.lambda_compute_arm64),
            ("Lambda requests", c.lambda_requests),
            ("SQS", c.sqs_requests),
            ("S3 PUT", c.s3_put),
            ("S3 GET", c.s3_get),
            ("Logs", c.log_ingestion),
        ];
        let markdown = self.markdown().replace('&', "&amp;").replace('<', "&lt;");
        format!(
            "<!doctype html><meta charset=utf-8><title>Load test {id}</title>\
             <style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}svg{{border:1px solid #ccc;margin:.5em 0}}</style>\
             <h1>Load test {id}</h1><pre>{markdown}</pre>\
             <h2>Throughput (images completed per second)</h2>{t}\
             <h2>Latency CDF (ms)</h2>{l}\
             <h2>Queue depth (visible + in flight)</h2>{d}\
             <h2>Cost per million images (USD)</h2>{b}",
            id = self.run_id,
            t = line_chart(&throughput),
            l = line_chart(&cdf),
            d = line_chart(&depth),
            b = bar_chart(&costs),
        )
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

const W: f64 = 600.0;
const H: f64 = 200.0;

fn line_chart(points: &[(f64, f64)]) -> String {
    let max_x = points.iter().map(|p| p.0).fold(1e-9, f64::max);
    let max_y = points.iter().map(|p| p.1).fold(1e-9, f64::max);
    let path: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{:.1},{:.1}", x / max_x * W, H - y / max_y * H))
        .collect();
    format!(
        "<svg width={W} height={h} viewBox='0 -15 {W} {h}'><polyline fill=none stroke=steelblue stroke-width=2 points='{}'/>\
         <text x=0 y=-3 font-size=11>max y {max_y:.1}, max x {max_x:.1}</text></svg>",
        path.join(" "),
        h = H + 15.0
    )
}

fn bar_chart(parts: &[(&str, f64)]) -> String {
    let max = parts.iter().map(|p| p.1).fold(1e-9, f64::max);
    let mut svg = format!("<svg width={W} height={}>", parts.len() * 24);
    for (i, (name, usd)) in parts.iter().enumerate() {
        let y = i * 24;
        let _ = write!(
            svg,
            "<text x=0 y={} font-size=12>{name}</text><rect x=130 y={} width={:.1} height=16 fill=steelblue/><text x={:.1} y={} font-size=12>{usd:.2}</text>",
            y + 14,
            y + 2,
            usd / max * 380.0,
            136.0 + usd / max * 380.0,
            y + 14
        );
    }
    svg + "</svg>"
}

#[cfg(test)]
mod tests {
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

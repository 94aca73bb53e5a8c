//! The report as one self-contained HTML page: the run's settings, its outcome and cost as
//! tables, and the charts as inline SVG. No scripts, no external requests.

use std::fmt::Write as _;

use super::charts::{bar_chart, histogram, line_chart, power_tuning, timelines};
use super::{Report, SweepRow};

const STYLE: &str = "body{font-family:sans-serif;max-width:64em;margin:2em auto;padding:0 1em;color:#222}\
    h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em}\
    table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}\
    th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}\
    .settings td,.settings th,.speed th{text-align:left}.pass{color:#2e7d32;font-weight:bold}.fail{color:#c62828;font-weight:bold}\
    figure{margin:1em 0}figure svg{max-width:100%;height:auto}";

/// Escapes text for HTML.
fn text(value: impl std::fmt::Display) -> String {
    value
        .to_string()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A two-cell row: what is measured, and its value.
fn row(label: impl Into<String>, value: impl std::fmt::Display) -> Vec<String> {
    vec![label.into(), value.to_string()]
}

/// A table with a header row; every cell is escaped.
fn table(class: &str, head: &[&str], rows: &[Vec<String>]) -> String {
    let mut html = format!("<table class={class}><tr>");
    for h in head {
        let _ = write!(html, "<th>{}</th>", text(h));
    }
    html.push_str("</tr>");
    for row in rows {
        html.push_str("<tr>");
        for cell in row {
            let _ = write!(html, "<td>{}</td>", text(cell));
        }
        html.push_str("</tr>");
    }
    html + "</table>"
}

fn figure(id: &str, svg: String) -> String {
    format!("<figure class=chart id={id}>{svg}</figure>")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>\
         <style>{STYLE}</style><body>{body}</body></html>",
        title = text(title)
    )
}

impl Report {
    fn settings_table(&self) -> String {
        let s = &self.settings;
        let rate = s
            .offered_rate
            .map_or("as fast as possible".to_owned(), |r| {
                format!("{r} uploads/s")
            });
        let rows = vec![
            row("target", &s.target),
            row("notification mode", &s.notification_mode),
            row("processor instances", s.instances),
            row("processor memory", format!("{} MB", s.memory_mb)),
            row(
                "batch size / window",
                format!("{} / {} s", s.batch_size, s.batching_window_s),
            ),
            row("offered load", rate),
            row("images", &s.images),
        ];
        table("settings", &["setting", "value"], &rows)
    }

    fn outcome_table(&self) -> String {
        table(
            "outcomes",
            &[
                "uploaded",
                "done",
                "rejected",
                "in DLQ",
                "in trigger failures",
                "missing",
                "upload errors",
            ],
            &[[
                self.uploaded,
                self.done,
                self.rejected,
                self.dlq as usize,
                self.trigger_failures,
                self.missing,
                self.upload_errors as usize,
            ]
            .map(|n| n.to_string())
            .to_vec()],
        )
    }

    fn speed_table(&self) -> String {
        let p = |p: &super::Percentiles| [p.p50, p.p95, p.p99].map(|v| format!("{v}")).to_vec();
        let mut latency = vec!["end-to-end latency (ms)".to_owned()];
        latency.extend(p(&self.latency_ms));
        let mut batch = vec!["batch duration (ms)".to_owned()];
        batch.extend(p(&self.batch_duration_ms));
        let mut html = table("latency", &["", "p50", "p95", "p99"], &[latency, batch]);
        let rows = vec![
            row("images per second", self.images_per_second),
            row("processor ms per image", self.processor_ms_per_image),
            row(
                "image core ms per image (decode, resize, encode)",
                self.image_core_ms_per_image,
            ),
            row(
                "overhead ms per image (S3, JSON, logs, runtime)",
                self.overhead_ms_per_image,
            ),
            row(
                "processor CPU ms per image (init included)",
                self.processor_cpu_ms_per_image
                    .map_or_else(|| "not measured".to_owned(), |cpu| cpu.to_string()),
            ),
            row(
                "render's CPU ms per image, same photos; billed / render",
                match (self.render_cpu_ms_per_image, self.billed_vs_render) {
                    (Some(render), Some(ratio)) => format!("{render}; {ratio}"),
                    _ => "not timed".to_owned(),
                },
            ),
            row(
                "cold starts: count, init p50 / max (ms)",
                format!(
                    "{}: {} / {}",
                    self.init_ms.count, self.init_ms.p50, self.init_ms.max
                ),
            ),
            row(
                "invocations, mean batch size",
                format!("{}, {}", self.invocations, self.mean_batch_size),
            ),
            row("peak instance memory (MiB)", self.peak_instance_memory_mib),
            row("instances busy (%)", self.processor_busy_percent),
            row("wall time (s)", self.wall_seconds),
            row(
                "capacity model: images per second per instance",
                self.capacity.images_per_second_per_instance,
            ),
            row(
                format!(
                    "capacity model: predicted images per second (first limit: {})",
                    self.capacity.ceilings[0].limit
                ),
                self.capacity.predicted_images_per_second,
            ),
        ];
        html.push_str(&table("speed", &["measure", "value"], &rows));
        html
    }

    fn cost_table(&self) -> String {
        let mut rows: Vec<Vec<String>> = self
            .cost_figure()
            .bars
            .iter()
            .map(|(name, usd)| row(*name, format!("{usd:.2}")))
            .collect();
        rows.push(row(
            "total",
            format!("{:.2}", self.cost_per_million_usd.total),
        ));
        rows.push(row(
            "Lambda compute if x86_64 (not in the total)",
            format!("{:.2}", self.cost_per_million_usd.lambda_compute_x86_64),
        ));
        table("cost", &["part", "USD per million images"], &rows)
    }

    fn format_cost_table(&self) -> String {
        if self.format_costs.is_empty() {
            return String::new();
        }
        let rows: Vec<Vec<String>> = self
            .format_costs
            .iter()
            .map(|f| {
                vec![
                    f.format.clone(),
                    format!("{:.0}", f.bytes_per_image),
                    f.bytes_vs_jpeg
                        .map_or("-".to_owned(), |r| format!("{r:.2}x")),
                    format!("{:.1}", f.encode_ms_per_image),
                    format!("{:.2}", f.s3_put_usd),
                    format!("{:.2}", f.encode_compute_usd),
                    format!("{:.2}", f.storage_usd_per_month),
                    format!("{:.2}", f.egress_usd_per_delivery),
                ]
            })
            .collect();
        format!(
            "<h3>Each format, per million images (USD)</h3>{}",
            table(
                "formats",
                &[
                    "format",
                    "bytes/image",
                    "vs JPEG",
                    "encode ms/image",
                    "PUT",
                    "encode compute",
                    "storage/month",
                    "egress/delivery",
                ],
                &rows
            )
        )
    }

    fn chaos_section(&self) -> String {
        let Some(chaos) = &self.chaos else {
            return String::new();
        };
        let verdict = if chaos.audit.passed() { "pass" } else { "fail" };
        let rows = vec![
            row("seed", chaos.seed),
            row(
                "instance kills (mid-invocation)",
                format!("{} ({})", chaos.instance_kills, chaos.kills_mid_invocation),
            ),
            row(
                "S3 faults / object calls",
                format!(
                    "{} / {}",
                    chaos.s3_faults_before + chaos.s3_faults_after,
                    chaos.s3_object_calls
                ),
            ),
            row("batches delivered twice", chaos.duplicated_batches),
            row("poison uploads", chaos.poison_uploads),
            row("redriven from the trigger's failure queue", chaos.redriven),
        ];
        format!(
            "<h2>Chaos</h2><p>Audit: <span class={verdict}>{}</span></p>{}",
            text(chaos.audit.summary()),
            table("chaos", &["injected", "count"], &rows)
        )
    }

    pub fn html(&self) -> String {
        let mut body = format!(
            "<h1>Load test {}</h1>{}<h2>Outcome</h2>{}",
            text(&self.run_id),
            self.settings_table(),
            self.outcome_table()
        );
        if let Some(error) = &self.first_upload_error {
            let _ = write!(body, "<p>First upload error: {}</p>", text(error));
        }
        body.push_str(&self.chaos_section());
        let _ = write!(
            body,
            "<h2>Speed</h2>{}{}{}{}{}{}<h2>Instances</h2>{}<h2>Cost</h2>{}{}<p>{}</p>{}",
            self.speed_table(),
            figure("throughput", line_chart(&self.throughput_figure())),
            figure("latency-histogram", histogram(&self.latency_histogram())),
            figure("latency-cdf", line_chart(&self.latency_cdf())),
            figure(
                "latency-by-upload",
                line_chart(&self.latency_over_time_figure())
            ),
            figure("queues", line_chart(&self.queue_figure())),
            figure("instances", timelines(&self.instances_figure())),
            self.cost_table(),
            figure("cost", bar_chart(&self.cost_figure())),
            text(&self.cost_basis),
            self.format_cost_table(),
        );
        page(&format!("Load test {}", self.run_id), &body)
    }
}

impl SweepRow {
    /// The sweep's page: Power Tuning's chart and the table.
    pub fn html(rows: &[SweepRow]) -> String {
        let chart = SweepRow::figure(rows)
            .map_or(String::new(), |f| figure("power-tuning", power_tuning(&f)));
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.memory_mb.to_string(),
                    r.images_per_second.to_string(),
                    r.latency_ms.p50.to_string(),
                    r.latency_ms.p95.to_string(),
                    r.processor_ms_per_image.to_string(),
                    r.peak_instance_memory_mib.to_string(),
                    format!("{:.2}", r.cost_per_million_usd),
                ]
            })
            .collect();
        let head = [
            "memory MB",
            "images/s",
            "p50 ms",
            "p95 ms",
            "ms/image",
            "peak MiB",
            "USD per million",
        ];
        page(
            "Memory sweep",
            &format!(
                "<h1>Memory sweep</h1>{chart}{}",
                table("sweep", &head, &cells)
            ),
        )
    }
}

//! The report as one self-contained HTML page.

use std::fmt::Write as _;

use super::Report;

impl Report {
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
            .map(|sample| (sample.at_s, (sample.visible + sample.in_flight) as f64))
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

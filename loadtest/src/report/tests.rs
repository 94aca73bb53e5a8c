//! The report's figures and page against a run made up here: the bars are the cost parts, the
//! axes cover the data, the markers sit at the percentiles and the faults, and the page is one
//! file of tables and charts with nothing to fetch.

use super::*;
use crate::chaos::{Audit, ChaosReport};
use crate::cost::UsagePerImage;
use crate::fault_log::FaultEvent;

fn sample() -> Report {
    let latencies: Vec<(f64, f64)> = (0..200)
        .map(|i| (f64::from(i) * 0.1, 400.0 + f64::from((i * 37) % 900)))
        .collect();
    let usage = UsagePerImage {
        billed_ms_per_image: 120.0,
        memory_mb: 1769,
        invocations_per_image: 0.1,
        sqs_requests_per_image: 1.3,
        s3_puts_per_image: 3.0,
        s3_gets_per_image: 1.0,
        log_bytes_per_image: 900.0,
    };
    let values: Vec<f64> = latencies.iter().map(|p| p.1).collect();
    Report {
        run_id: "sample".into(),
        target: "local".into(),
        notification_mode: "direct".into(),
        settings: RunSettings {
            target: "local".into(),
            notification_mode: "direct".into(),
            instances: 2,
            memory_mb: 1769,
            batch_size: 10,
            batching_window_s: 1.0,
            offered_rate: Some(10.0),
            images: "generated photos (1600x1200)".into(),
        },
        uploaded: 200,
        done: 195,
        rejected: 5,
        dlq: 0,
        trigger_failures: 0,
        missing: 0,
        upload_errors: 0,
        first_upload_error: None,
        images_per_second: 9.5,
        latency_ms: Percentiles::of(&values),
        processor_ms_per_image: 120.0,
        image_core_ms_per_image: 100.0,
        overhead_ms_per_image: 20.0,
        render_cpu_ms_per_image: Some(96.0),
        billed_vs_render: Some(1.25),
        processor_cpu_ms_per_image: Some(101.5),
        init_ms: InitMs {
            count: 3,
            p50: 31.0,
            max: 44.0,
        },
        batch_duration_ms: Percentiles::of(&[800.0, 900.0, 1200.0]),
        invocations: 20,
        mean_batch_size: 10.0,
        peak_instance_memory_mib: 120.0,
        memory_mb: 1769,
        instances: 2,
        cpu_seconds: CpuSeconds {
            processor: 24.0,
            emulator: 30.0,
            harness: 5.0,
        },
        processor_busy_percent: 60.0,
        wall_seconds: 25.0,
        cost_per_million_usd: usage.cost_per_million(),
        format_costs: vec![
            FormatCost {
                format: "jpeg".into(),
                images: 10,
                bytes_per_image: 250e3,
                encode_ms_per_image: 9.0,
                s3_put_usd: 10.0,
                encode_compute_usd: 0.2,
                storage_usd_per_month: 5.75,
                egress_usd_per_delivery: 21.25,
                bytes_vs_jpeg: Some(1.0),
            },
            FormatCost {
                format: "webp".into(),
                images: 10,
                bytes_per_image: 200e3,
                encode_ms_per_image: 290.0,
                s3_put_usd: 5.0,
                encode_compute_usd: 6.68,
                storage_usd_per_month: 4.6,
                egress_usd_per_delivery: 17.0,
                bytes_vs_jpeg: Some(0.8),
            },
        ],
        cost_basis: "made up".into(),
        queue_depth: (0..25)
            .map(|s| QueueSample {
                at_s: f64::from(s),
                visible: u64::from(25 - s as u32),
                in_flight: 10,
            })
            .collect(),
        dlq_depth: (0..25)
            .map(|s| DlqSample {
                at_s: f64::from(s),
                messages: u64::from(s as u32 / 10),
            })
            .collect(),
        throughput_per_second: (0..26).map(|s| s % 12).collect(),
        offered_per_second: (0..26).map(|s| if s < 20 { 10 } else { 0 }).collect(),
        latencies_ms: values,
        upload_latencies: latencies,
        instance_timelines: vec![
            InstanceTimeline {
                instance: 0,
                started_s: -1.0,
                init_ms: Some(31.0),
                busy_s: vec![[1.0, 2.0], [2.5, 4.0]],
            },
            InstanceTimeline {
                instance: 1,
                started_s: 5.0,
                init_ms: Some(44.0),
                busy_s: vec![[5.1, 6.0]],
            },
        ],
        capacity: crate::capacity::Capacity::model(crate::capacity::ModelInput {
            processor_ms_per_image: 120.0,
            instances: 2,
            offered_rate: Some(10.0),
            files_per_image: 3,
            latency_s: 1.2,
        }),
        chaos: Some(ChaosReport {
            seed: 7,
            instance_kills: 1,
            kills_mid_invocation: 1,
            instances_replaced: 1,
            s3_fault_share: 0.05,
            s3_object_calls: 800,
            s3_faults_before: 20,
            s3_faults_after: 20,
            duplicated_batches: 1,
            poison_uploads: 5,
            sqs_send_batch_calls: 0,
            sqs_faults_before: 0,
            sqs_faults_after: 0,
            trigger_events: None,
            redriven: 0,
            audit: Audit::default(),
            events: vec![
                FaultEvent {
                    kind: "instance killed".into(),
                    from_s: 4.2,
                    to_s: 4.2,
                    count: 1,
                },
                FaultEvent {
                    kind: "S3 faults".into(),
                    from_s: 6.0,
                    to_s: 7.0,
                    count: 12,
                },
            ],
        }),
    }
}

fn covers(range: &std::ops::Range<f64>, value: f64) -> bool {
    range.start <= value && value <= range.end
}

#[test]
fn the_cost_bars_are_every_part_largest_first() {
    let report = sample();
    let figure = report.cost_figure();
    let parts = report.cost_per_million_usd.parts();
    assert_eq!(figure.bars.len(), parts.len());
    for part in &parts {
        assert!(figure.bars.contains(part), "{part:?}");
    }
    assert!(figure.bars.windows(2).all(|w| w[0].1 >= w[1].1));
    let sum: f64 = figure.bars.iter().map(|b| b.1).sum();
    assert!((sum - report.cost_per_million_usd.total).abs() < 1e-9);
}

#[test]
fn every_axis_covers_its_data() {
    let report = sample();
    for figure in [
        report.throughput_figure(),
        report.latency_over_time_figure(),
        report.latency_cdf(),
        report.queue_figure(),
    ] {
        for line in &figure.lines {
            assert!(!line.points.is_empty(), "{}: {}", figure.title, line.name);
            for &(x, y) in &line.points {
                assert!(covers(&figure.x.range, x), "{}: x {x}", figure.title);
                assert!(covers(&figure.y.range, y), "{}: y {y}", figure.title);
            }
        }
    }
    let histogram = report.latency_histogram();
    let counted: u32 = histogram.bins.iter().map(|b| b.2).sum();
    assert_eq!(counted as usize, report.latencies_ms.len());
    let top = histogram.bins.iter().map(|b| b.2).max().unwrap();
    assert!(covers(&histogram.y.range, f64::from(top)));
    for ms in &report.latencies_ms {
        assert!(covers(&histogram.x.range, *ms));
    }
}

#[test]
fn markers_sit_at_the_percentiles_and_the_faults() {
    let report = sample();
    let marks: Vec<f64> = report
        .latency_cdf()
        .markers
        .iter()
        .map(|m| m.from)
        .collect();
    let p = &report.latency_ms;
    assert_eq!(marks, [p.p50, p.p95, p.p99]);
    let faults = report.throughput_figure().markers;
    assert_eq!(faults.len(), 2);
    assert_eq!((faults[1].from, faults[1].to), (6.0, 7.0));
}

#[test]
fn instances_show_their_init_and_invocations() {
    let figure = sample().instances_figure();
    assert_eq!(figure.rows.len(), 2);
    assert_eq!(figure.rows[1].init, Some((5.0, 5.044)));
    assert_eq!(figure.rows[0].busy, [(1.0, 2.0), (2.5, 4.0)]);
}

#[test]
fn the_page_is_tables_and_charts_with_nothing_to_fetch() {
    let html = sample().html();
    assert!(
        !html.contains("<pre>") && !html.contains("|---"),
        "no Markdown"
    );
    for attribute in ["src=", "href="] {
        assert!(!html.contains(attribute), "{attribute}");
    }
    // SVG's namespace is a name, not a request.
    let fetched = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(
        !fetched.contains("http") && !fetched.contains("url("),
        "no URL of any kind"
    );
    let cost = html
        .split("id=cost>")
        .nth(1)
        .unwrap()
        .split("</figure>")
        .next()
        .unwrap();
    let bar = cost.matches("fill=\"#4E79A7\"").count();
    assert_eq!(
        bar,
        sample().cost_per_million_usd.parts().len(),
        "one bar per part"
    );
    for id in [
        "throughput",
        "latency-histogram",
        "latency-cdf",
        "latency-by-upload",
        "queues",
        "instances",
        "cost",
    ] {
        assert!(
            html.contains(&format!("<figure class=chart id={id}><svg")),
            "{id}"
        );
    }
    assert!(!html.contains("chart-error"));
}

#[test]
fn a_sweep_marks_the_cheapest_and_the_fastest_size() {
    let base = sample();
    let rows: Vec<SweepRow> = [(1024, 9.0, 900.0), (1769, 8.0, 500.0), (3538, 12.0, 300.0)]
        .iter()
        .map(|&(memory_mb, cost, p50)| SweepRow {
            memory_mb,
            cost_per_million_usd: cost,
            latency_ms: Percentiles {
                p50,
                p95: p50,
                p99: p50,
            },
            ..SweepRow::of(&base)
        })
        .collect();
    let figure = SweepRow::figure(&rows).unwrap();
    assert_eq!((figure.cheapest, figure.fastest), (1, 2));
    let html = SweepRow::html(&rows);
    assert!(html.contains("cheapest") && html.contains("fastest") && !html.contains("chart-error"));
}

#[test]
fn the_report_puts_the_models_prediction_beside_the_measured_throughput() {
    let report = sample();
    // 120 ms per image is 8.33 images/s per instance; the offered 10/s needs 1.2 instances.
    assert_eq!(report.capacity.images_per_second_per_instance, 8.33);
    assert_eq!(report.capacity.instances_for_offered_rate, Some(1.2));
    let md = report.markdown();
    assert!(
        md.contains("predicted **10 images/s**, measured 9.50"),
        "{md}"
    );
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["capacity"]["predicted_images_per_second"], 10.0);
    assert!(
        report
            .html()
            .contains("capacity model: predicted images per second"),
        "the page shows the prediction too"
    );
}

#[test]
fn each_format_gets_a_row_in_both_reports() {
    let report = sample();
    let md = report.markdown();
    assert!(
        md.contains("| webp | 200000 | 0.80x | 290.0 | 5.00 | 6.68 | 4.60 | 17.00 |"),
        "{md}"
    );
    assert!(md.contains("| jpeg | 250000 | 1.00x |"), "{md}");
    let html = report.html();
    let table = html
        .split("<table class=formats>")
        .nth(1)
        .expect("a format table");
    assert_eq!(
        table
            .split("</table>")
            .next()
            .unwrap()
            .matches("<tr>")
            .count(),
        3
    );
    assert!(table.contains("<td>webp</td><td>200000</td><td>0.80x</td>"));
}

#[test]
fn both_reports_hold_billed_time_against_renders_cpu_time_when_it_was_timed() {
    let mut report = sample();
    let md = report.markdown();
    assert!(
        md.contains("image core 100 ms, overhead 20 ms (S3, JSON, logs, runtime); the processor used 101.5 ms of CPU")
            && md.contains("`render` takes 96 ms of CPU for the same photos: billed / render 1.25"),
        "{md}"
    );
    assert!(report.html().contains("<td>96; 1.25</td>"));
    assert!(report.html().contains("<td>101.5</td>"));
    report.render_cpu_ms_per_image = None;
    report.billed_vs_render = None;
    assert!(!report.markdown().contains("`render` takes"));
    assert!(report.html().contains("<td>not timed</td>"));
}

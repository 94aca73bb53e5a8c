//! What each chart of the HTML report shows, as plain data: series, bars, axis ranges and
//! markers, worked out from the report. Drawing them is `charts.rs`'s job; this file is where
//! the numbers are decided, and where the tests check them.

use std::ops::Range;

use super::{Report, SweepRow};

/// An axis: its label (with the unit) and the range it spans.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub label: &'static str,
    pub range: Range<f64>,
}

/// One named series of (x, y) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// A labelled moment (a vertical line) or stretch (a shaded band) on the x axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub label: String,
    pub from: f64,
    pub to: f64,
}

impl Marker {
    fn at(label: String, x: f64) -> Self {
        Self {
            label,
            from: x,
            to: x,
        }
    }
}

/// Lines over shared axes. `dots` draws points instead of lines (one per observation).
#[derive(Debug, Clone, PartialEq)]
pub struct LineFigure {
    pub title: &'static str,
    pub x: Axis,
    pub y: Axis,
    pub lines: Vec<Line>,
    pub markers: Vec<Marker>,
    pub dots: bool,
}

/// Horizontal bars, largest first, each labelled with its value.
#[derive(Debug, Clone, PartialEq)]
pub struct BarFigure {
    pub title: &'static str,
    pub unit: &'static str,
    pub bars: Vec<(&'static str, f64)>,
}

/// Counts per bin (`from`, `to`, count) with markers.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub title: &'static str,
    pub x: Axis,
    pub y: Axis,
    pub bins: Vec<(f64, f64, u32)>,
    pub markers: Vec<Marker>,
}

/// One row per function instance: when it started, its init, and its invocations.
#[derive(Debug, Clone, PartialEq)]
pub struct Timelines {
    pub title: &'static str,
    pub x: Axis,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    /// From process start to the first `next`: a cold start.
    pub init: Option<(f64, f64)>,
    pub busy: Vec<(f64, f64)>,
}

/// Cost and speed against memory size, as AWS Lambda Power Tuning draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerTuning {
    pub memory: Axis,
    pub cost: Axis,
    pub latency: Axis,
    /// (memory MB, USD per million, p50 ms)
    pub points: Vec<(f64, f64, f64)>,
    pub cheapest: usize,
    pub fastest: usize,
}

/// 0 to a little above `max` (and never an empty range).
fn upto(max: f64) -> Range<f64> {
    0.0..(max * 1.05).max(1e-6)
}

fn max_of(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(0.0, f64::max)
}

fn per_second(counts: &[u32]) -> Vec<(f64, f64)> {
    counts
        .iter()
        .enumerate()
        .map(|(second, n)| (second as f64, f64::from(*n)))
        .collect()
}

/// The chaos run's faults as markers on the time axis.
fn fault_markers(report: &Report) -> Vec<Marker> {
    let Some(chaos) = &report.chaos else {
        return Vec::new();
    };
    chaos
        .events
        .iter()
        .map(|event| Marker {
            label: event.kind.clone(),
            from: event.from_s,
            to: event.to_s,
        })
        .collect()
}

impl Report {
    fn seconds(&self) -> Axis {
        Axis {
            label: "seconds since the run started",
            range: upto(
                self.wall_seconds
                    .max(self.throughput_per_second.len() as f64),
            ),
        }
    }

    pub fn throughput_figure(&self) -> LineFigure {
        let offered = per_second(&self.offered_per_second);
        let completed = per_second(&self.throughput_per_second);
        let top = max_of(offered.iter().chain(&completed).map(|p| p.1));
        LineFigure {
            title: "Throughput: uploads offered and images completed per second",
            x: self.seconds(),
            y: Axis {
                label: "images per second",
                range: upto(top),
            },
            lines: vec![
                Line {
                    name: "offered (uploads)",
                    points: offered,
                },
                Line {
                    name: "completed",
                    points: completed,
                },
            ],
            markers: fault_markers(self),
            dots: false,
        }
    }

    /// Latency of each upload against when it was uploaded: where a fault shows.
    pub fn latency_over_time_figure(&self) -> LineFigure {
        let points: Vec<(f64, f64)> = self.upload_latencies.clone();
        LineFigure {
            title: "End-to-end latency of each upload, by when it was uploaded",
            x: self.seconds(),
            y: Axis {
                label: "latency (ms)",
                range: upto(max_of(points.iter().map(|p| p.1))),
            },
            lines: vec![Line {
                name: "upload",
                points,
            }],
            markers: fault_markers(self),
            dots: true,
        }
    }

    /// Latency histogram in 40 bins, with p50, p95 and p99 marked.
    pub fn latency_histogram(&self) -> Histogram {
        let top = max_of(self.latencies_ms.iter().copied());
        let width = (top / 40.0).max(1.0);
        let mut counts = [0u32; 40];
        for ms in &self.latencies_ms {
            counts[((ms / width) as usize).min(39)] += 1;
        }
        let bins: Vec<(f64, f64, u32)> = counts
            .iter()
            .enumerate()
            .map(|(i, n)| (i as f64 * width, (i + 1) as f64 * width, *n))
            .collect();
        Histogram {
            title: "End-to-end latency: uploads per latency bin",
            x: Axis {
                label: "latency (ms)",
                range: 0.0..width * 40.0,
            },
            y: Axis {
                label: "uploads",
                range: upto(f64::from(counts.iter().copied().max().unwrap_or(0))),
            },
            bins,
            markers: self.percentile_markers(),
        }
    }

    fn percentile_markers(&self) -> Vec<Marker> {
        let p = &self.latency_ms;
        vec![
            Marker::at(format!("p50 {} ms", p.p50), p.p50),
            Marker::at(format!("p95 {} ms", p.p95), p.p95),
            Marker::at(format!("p99 {} ms", p.p99), p.p99),
        ]
    }

    pub fn latency_cdf(&self) -> LineFigure {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len() as f64;
        let points: Vec<(f64, f64)> = sorted
            .iter()
            .enumerate()
            .map(|(i, ms)| (*ms, (i + 1) as f64 / n * 100.0))
            .collect();
        LineFigure {
            title: "End-to-end latency: share of uploads done within",
            x: Axis {
                label: "latency (ms)",
                range: upto(max_of(sorted.iter().copied())),
            },
            y: Axis {
                label: "uploads done (%)",
                range: 0.0..100.0,
            },
            lines: vec![Line {
                name: "uploads",
                points,
            }],
            markers: self.percentile_markers(),
            dots: false,
        }
    }

    pub fn queue_figure(&self) -> LineFigure {
        let visible: Vec<(f64, f64)> = self
            .queue_depth
            .iter()
            .map(|s| (s.at_s, s.visible as f64))
            .collect();
        let in_flight: Vec<(f64, f64)> = self
            .queue_depth
            .iter()
            .map(|s| (s.at_s, s.in_flight as f64))
            .collect();
        let dlq: Vec<(f64, f64)> = self
            .dlq_depth
            .iter()
            .map(|s| (s.at_s, s.messages as f64))
            .collect();
        let top = max_of(visible.iter().chain(&in_flight).chain(&dlq).map(|p| p.1));
        LineFigure {
            title: "Queues: jobs waiting, jobs in flight, dead letters",
            x: self.seconds(),
            y: Axis {
                label: "messages",
                range: upto(top.max(1.0)),
            },
            lines: vec![
                Line {
                    name: "visible",
                    points: visible,
                },
                Line {
                    name: "in flight",
                    points: in_flight,
                },
                Line {
                    name: "dead-letter queue",
                    points: dlq,
                },
            ],
            markers: fault_markers(self),
            dots: false,
        }
    }

    pub fn instances_figure(&self) -> Timelines {
        let rows = self
            .instance_timelines
            .iter()
            .map(|t| Row {
                label: format!("instance {}", t.instance),
                init: t.init_ms.map(|ms| (t.started_s, t.started_s + ms / 1000.0)),
                busy: t.busy_s.iter().map(|span| (span[0], span[1])).collect(),
            })
            .collect();
        Timelines {
            title: "Function instances: cold start (init) and invocations",
            x: self.seconds(),
            rows,
        }
    }

    /// Every part of the cost per million images, largest first.
    pub fn cost_figure(&self) -> BarFigure {
        let mut bars = self.cost_per_million_usd.parts();
        bars.sort_by(|a, b| b.1.total_cmp(&a.1));
        BarFigure {
            title: "Cost per million images, by part",
            unit: "USD",
            bars,
        }
    }
}

impl SweepRow {
    /// Power Tuning's chart of a sweep; `None` for fewer than two sizes.
    pub fn figure(rows: &[SweepRow]) -> Option<PowerTuning> {
        if rows.len() < 2 {
            return None;
        }
        let points: Vec<(f64, f64, f64)> = rows
            .iter()
            .map(|r| {
                (
                    f64::from(r.memory_mb),
                    r.cost_per_million_usd,
                    r.latency_ms.p50,
                )
            })
            .collect();
        let best = |key: fn(&(f64, f64, f64)) -> f64| {
            (0..points.len())
                .min_by(|&a, &b| key(&points[a]).total_cmp(&key(&points[b])))
                .unwrap_or(0)
        };
        let memory = points.iter().map(|p| p.0);
        Some(PowerTuning {
            memory: Axis {
                label: "memory (MB)",
                range: 0.0..max_of(memory) * 1.1,
            },
            cost: Axis {
                label: "USD per million images",
                range: upto(max_of(points.iter().map(|p| p.1))),
            },
            latency: Axis {
                label: "p50 latency (ms)",
                range: upto(max_of(points.iter().map(|p| p.2))),
            },
            cheapest: best(|p| p.1),
            fastest: best(|p| p.2),
            points,
        })
    }
}

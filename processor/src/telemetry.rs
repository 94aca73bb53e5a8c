//! Logs and metrics: JSON logs through `tracing`, and per-image metrics as CloudWatch Embedded
//! Metric Format lines, which CloudWatch turns into metrics without any API call.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use serde_json::json;

/// Installs a JSON `tracing` subscriber (level from `RUST_LOG`, default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .without_time() // Lambda stamps every line itself
        .with_writer(std::io::stderr)
        .init();
}

/// What one image cost, emitted once its outcome is known.
#[derive(Debug, Default, Clone, Copy)]
pub struct ImageMetrics {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub decode: Duration,
    pub resize: Duration,
    pub encode: Duration,
    pub s3: Duration,
    pub total: Duration,
}

fn namespace() -> &'static str {
    static NAMESPACE: OnceLock<String> = OnceLock::new();
    NAMESPACE.get_or_init(|| {
        std::env::var("METRICS_NAMESPACE").unwrap_or_else(|_| "ImagePipeline".to_owned())
    })
}

impl ImageMetrics {
    /// The EMF document for this image, dimensioned by outcome.
    pub fn to_emf(&self, outcome: &str) -> serde_json::Value {
        let ms = |d: Duration| (d.as_secs_f64() * 1e4).round() / 10.0;
        let timestamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        json!({
            "_aws": {
                "Timestamp": timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": namespace(),
                    "Dimensions": [["Outcome"]],
                    "Metrics": [
                        {"Name": "Images", "Unit": "Count"},
                        {"Name": "BytesIn", "Unit": "Bytes"},
                        {"Name": "BytesOut", "Unit": "Bytes"},
                        {"Name": "DecodeMs", "Unit": "Milliseconds"},
                        {"Name": "ResizeMs", "Unit": "Milliseconds"},
                        {"Name": "EncodeMs", "Unit": "Milliseconds"},
                        {"Name": "S3Ms", "Unit": "Milliseconds"},
                        {"Name": "TotalMs", "Unit": "Milliseconds"}
                    ]
                }]
            },
            "Outcome": outcome,
            "Images": 1,
            "BytesIn": self.bytes_in,
            "BytesOut": self.bytes_out,
            "DecodeMs": ms(self.decode),
            "ResizeMs": ms(self.resize),
            "EncodeMs": ms(self.encode),
            "S3Ms": ms(self.s3),
            "TotalMs": ms(self.total),
        })
    }

    /// Writes the EMF line to stdout, where Lambda's log capture picks it up as is.
    pub fn emit(&self, outcome: &str) {
        println!("{}", self.to_emf(outcome));
    }
}

//! What one job reports when it ends: a JSON log line through `tracing`, and its metrics as one
//! CloudWatch Embedded Metric Format line, which CloudWatch turns into metrics with no API call.

use std::time::{Duration, SystemTime};

use imaging::OutputFormat;
use serde_json::json;

use crate::outcome::Outcome;

/// What one image cost, reported once its outcome is known.
#[derive(Debug, Default, Clone)]
pub struct ImageMetrics {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub decode: Duration,
    pub resize: Duration,
    pub encode: Duration,
    pub s3: Duration,
    pub total: Duration,
    /// Bytes written and encode time per output format, over all renditions.
    pub formats: Vec<FormatMetrics>,
}

/// What one output format cost for one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatMetrics {
    pub format: OutputFormat,
    pub bytes: u64,
    pub encode: Duration,
}

impl ImageMetrics {
    /// Counts one encoded file towards its format's totals and the image's bytes out.
    pub fn add_file(&mut self, format: OutputFormat, bytes: u64, encode: Duration) {
        self.bytes_out += bytes;
        match self.formats.iter_mut().find(|f| f.format == format) {
            Some(totals) => {
                totals.bytes += bytes;
                totals.encode += encode;
            }
            None => self.formats.push(FormatMetrics {
                format,
                bytes,
                encode,
            }),
        }
    }
}

/// A format's metric name prefix: `Jpeg`, `Webp`.
fn metric_prefix(format: OutputFormat) -> String {
    let name = format.name();
    name[..1].to_ascii_uppercase() + &name[1..]
}

/// Logs how a job ended (inside the caller's span, which names the message and key) and writes
/// its metrics line.
pub fn report(outcome: &Outcome, metrics: &ImageMetrics, namespace: &str) {
    match outcome {
        Outcome::Done {
            renditions,
            warnings,
        } if warnings.is_empty() => tracing::info!(renditions, "done"),
        Outcome::Done {
            renditions,
            warnings,
        } => tracing::warn!(renditions, ?warnings, "done, with warnings"),
        Outcome::Ignored(why) => tracing::info!(reason = why, "ignored"),
        Outcome::Rejected { kind, reason } => tracing::warn!(kind, reason, "rejected"),
        Outcome::Failed { reason } => tracing::error!(reason, "failed, will be retried"),
    }
    // Stdout, where Lambda's log capture takes each line as one log event.
    let warnings = match outcome {
        Outcome::Done { warnings, .. } => warnings.len(),
        _ => 0,
    };
    println!("{}", metrics.to_emf(namespace, outcome.label(), warnings));
}

impl ImageMetrics {
    /// The EMF document for this image, dimensioned by outcome.
    pub fn to_emf(&self, namespace: &str, outcome: &str, warnings: usize) -> serde_json::Value {
        let ms = |d: Duration| (d.as_secs_f64() * 1e4).round() / 10.0;
        let timestamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut doc = json!({
            "_aws": {
                "Timestamp": timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": namespace,
                    "Dimensions": [["Outcome"]],
                    "Metrics": [
                        {"Name": "Images", "Unit": "Count"},
                        {"Name": "Warnings", "Unit": "Count"},
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
            "Warnings": warnings,
            "BytesIn": self.bytes_in,
            "BytesOut": self.bytes_out,
            "DecodeMs": ms(self.decode),
            "ResizeMs": ms(self.resize),
            "EncodeMs": ms(self.encode),
            "S3Ms": ms(self.s3),
            "TotalMs": ms(self.total),
        });
        // Per format: `JpegBytesOut`, `JpegEncodeMs`, `WebpBytesOut`, ... for the formats made.
        for totals in &self.formats {
            let prefix = metric_prefix(totals.format);
            for (name, unit, value) in [
                (format!("{prefix}BytesOut"), "Bytes", json!(totals.bytes)),
                (
                    format!("{prefix}EncodeMs"),
                    "Milliseconds",
                    json!(ms(totals.encode)),
                ),
            ] {
                doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                    .as_array_mut()
                    .expect("the metrics list above")
                    .push(json!({"Name": name, "Unit": unit}));
                doc[name] = value;
            }
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// The units the EMF specification allows a metric definition to name.
    const UNITS: &[&str] = &[
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ];

    /// The structural rules of the EMF specification a document must meet for CloudWatch to
    /// extract its metrics; `Err` names the first rule broken.
    fn check_emf(doc: &Value) -> Result<(), String> {
        let aws = doc["_aws"].as_object().ok_or("no `_aws` object")?;
        aws.get("Timestamp")
            .and_then(Value::as_u64)
            .ok_or("`_aws.Timestamp` is not milliseconds since the epoch")?;
        let directives = aws
            .get("CloudWatchMetrics")
            .and_then(Value::as_array)
            .ok_or("no `CloudWatchMetrics` array")?;
        for directive in directives {
            let namespace = directive["Namespace"].as_str().ok_or("no Namespace")?;
            if namespace.is_empty() || namespace.len() > 255 {
                return Err(format!("namespace {namespace:?}"));
            }
            for set in directive["Dimensions"].as_array().ok_or("no Dimensions")? {
                let set = set.as_array().ok_or("a dimension set is not an array")?;
                if set.len() > 30 {
                    return Err("over 30 dimensions in a set".into());
                }
                for name in set {
                    let name = name.as_str().ok_or("a dimension name is not a string")?;
                    if !doc[name].is_string() {
                        return Err(format!("dimension {name} is not a string member"));
                    }
                }
            }
            let metrics = directive["Metrics"].as_array().ok_or("no Metrics")?;
            if metrics.len() > 100 {
                return Err("over 100 metrics".into());
            }
            for metric in metrics {
                let name = metric["Name"].as_str().ok_or("a metric without a Name")?;
                if !doc[name].is_number() {
                    return Err(format!("metric {name} is not a number member"));
                }
                if let Some(unit) = metric.get("Unit") {
                    let unit = unit.as_str().unwrap_or_default();
                    if !UNITS.contains(&unit) {
                        return Err(format!("metric {name} has unit {unit:?}"));
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn the_checker_accepts_the_specifications_example_and_refuses_broken_documents() {
        let example: Value =
            serde_json::from_str(&testdata::event("emf_specification_example.json")).unwrap();
        assert_eq!(check_emf(&example), Ok(()));
        let mut no_value = example.clone();
        no_value.as_object_mut().unwrap().remove("time");
        assert!(check_emf(&no_value).is_err());
        let mut bad_unit = example;
        bad_unit["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = "ms".into();
        assert!(check_emf(&bad_unit).is_err());
    }

    #[test]
    fn image_metrics_are_a_valid_emf_document() {
        let metrics = ImageMetrics {
            bytes_in: 1000,
            bytes_out: 300,
            decode: Duration::from_micros(12_345),
            total: Duration::from_millis(40),
            ..ImageMetrics::default()
        };
        let doc = metrics.to_emf("Shop/Images", "done", 2);
        assert_eq!(check_emf(&doc), Ok(()));
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "Shop/Images"
        );
        assert_eq!(doc["Outcome"], "done");
        assert_eq!(doc["DecodeMs"], 12.3);
        assert_eq!(doc["BytesIn"], 1000);
        assert_eq!(doc["Warnings"], 2);
        assert!(
            doc.get("JpegBytesOut").is_none(),
            "no file, no format metrics"
        );
    }

    #[test]
    fn each_format_made_gets_its_bytes_and_encode_time() {
        let mut metrics = ImageMetrics::default();
        metrics.add_file(OutputFormat::Jpeg, 100, Duration::from_millis(2));
        metrics.add_file(OutputFormat::Webp, 70, Duration::from_millis(9));
        metrics.add_file(OutputFormat::Jpeg, 50, Duration::from_millis(1));
        let doc = metrics.to_emf("ImagePipeline", "done", 0);
        assert_eq!(check_emf(&doc), Ok(()));
        assert_eq!(doc["BytesOut"], 220);
        assert_eq!(
            (doc["JpegBytesOut"].clone(), doc["JpegEncodeMs"].clone()),
            (150.into(), 3.0.into())
        );
        assert_eq!(
            (doc["WebpBytesOut"].clone(), doc["WebpEncodeMs"].clone()),
            (70.into(), 9.0.into())
        );
    }
}

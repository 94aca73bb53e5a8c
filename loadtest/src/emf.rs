//! The processor's per-image metrics lines (CloudWatch Embedded Metric Format), read back from
//! its logs: how long the image core took for each image, and how long the whole job did, so
//! the report can say what the Lambda costs beyond the image work.

use serde_json::Value;

/// One image's metrics line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageTiming {
    /// Decode, resize and encode.
    pub core_ms: f64,
    /// The whole job: read, render, write, report.
    pub total_ms: f64,
}

/// The timing in one log line, if it is the processor's metrics line for an image it rendered.
pub fn parse(line: &str) -> Option<ImageTiming> {
    let line = line.trim();
    if !line.starts_with('{') || !line.contains("\"_aws\"") {
        return None;
    }
    let doc: Value = serde_json::from_str(line).ok()?;
    if doc["Outcome"] != "done" {
        return None;
    }
    let ms = |name: &str| doc[name].as_f64();
    Some(ImageTiming {
        core_ms: ms("DecodeMs")? + ms("ResizeMs")? + ms("EncodeMs")?,
        total_ms: ms("TotalMs")?,
    })
}

/// Every image timing in a set of log texts.
pub fn timings<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<ImageTiming> {
    texts
        .into_iter()
        .flat_map(str::lines)
        .filter_map(parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_done_images_only() {
        let done = r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"Outcome":"done","DecodeMs":10.5,"ResizeMs":3.0,"EncodeMs":6.5,"TotalMs":24.0}"#;
        let rejected = r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"Outcome":"rejected","DecodeMs":0.0,"ResizeMs":0.0,"EncodeMs":0.0,"TotalMs":2.0}"#;
        let log = format!("{done}\n{{\"level\":\"INFO\"}}\nplain text\n{rejected}\n");
        assert_eq!(
            timings([log.as_str()]),
            [ImageTiming {
                core_ms: 20.0,
                total_ms: 24.0
            }]
        );
    }
}

//! The processor's per-image metrics lines (CloudWatch Embedded Metric Format), read back from
//! its logs: how long the image core took for each image, and how long the whole job did, so
//! the report can say what the Lambda costs beyond the image work; and each output format's
//! bytes and encode time, so it can say what each format costs.

use serde_json::Value;

/// One image's metrics line.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageTiming {
    /// Decode, resize and encode.
    pub core_ms: f64,
    /// The whole job: read, render, write, report.
    pub total_ms: f64,
    /// Each format the image was encoded in (`JpegBytesOut`, `JpegEncodeMs`, ...).
    pub formats: Vec<FormatOut>,
}

/// One format's files of one image: bytes over its renditions, and their encode time.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatOut {
    /// The rendition grammar's name: `jpeg`, `webp`.
    pub format: String,
    pub bytes: f64,
    pub encode_ms: f64,
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
    let formats = doc
        .as_object()?
        .iter()
        .filter_map(|(key, bytes)| {
            let prefix = key.strip_suffix("BytesOut").filter(|p| !p.is_empty())?;
            Some(FormatOut {
                format: prefix.to_ascii_lowercase(),
                bytes: bytes.as_f64()?,
                encode_ms: ms(&format!("{prefix}EncodeMs"))?,
            })
        })
        .collect();
    Some(ImageTiming {
        core_ms: ms("DecodeMs")? + ms("ResizeMs")? + ms("EncodeMs")?,
        total_ms: ms("TotalMs")?,
        formats,
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
        let done = r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"Outcome":"done","DecodeMs":10.5,"ResizeMs":3.0,"EncodeMs":6.5,"TotalMs":24.0,"BytesOut":300,"JpegBytesOut":200,"JpegEncodeMs":1.5,"WebpBytesOut":100,"WebpEncodeMs":5.0}"#;
        let rejected = r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"Outcome":"rejected","DecodeMs":0.0,"ResizeMs":0.0,"EncodeMs":0.0,"TotalMs":2.0}"#;
        let log = format!("{done}\n{{\"level\":\"INFO\"}}\nplain text\n{rejected}\n");
        assert_eq!(
            timings([log.as_str()]),
            [ImageTiming {
                core_ms: 20.0,
                total_ms: 24.0,
                formats: vec![
                    FormatOut {
                        format: "jpeg".into(),
                        bytes: 200.0,
                        encode_ms: 1.5
                    },
                    FormatOut {
                        format: "webp".into(),
                        bytes: 100.0,
                        encode_ms: 5.0
                    },
                ],
            }]
        );
    }
}

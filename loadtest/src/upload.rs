//! The uploads of a run: which files, under which content type, on an open-loop schedule, and
//! in trigger mode the S3 event delivered for each.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use axum::body::Bytes;
use contract::{KeyStyle, encode_key};

use crate::async_invoke::AsyncInvoker;
use crate::run::{RunContext, Upload};

/// The JPEG and PNG files directly in `dir`, sorted by name: what `--images` uploads. Anything
/// else there (a README, a sidecar file) would only come back as a rejection nobody expected.
pub fn image_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let is_image = |path: &Path| {
        let name = path.to_string_lossy().to_ascii_lowercase();
        contract::defaults::INPUT_SUFFIXES
            .iter()
            .any(|suffix| name.ends_with(suffix))
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_image(p))
        .collect();
    files.sort();
    Ok(files)
}

/// The content type of an upload, from its name.
fn content_type(key: &str) -> &'static str {
    if key.to_ascii_lowercase().ends_with(".png") {
        "image/png"
    } else {
        "image/jpeg"
    }
}

/// The S3 event the trigger receives for one upload (trigger mode, where the emulator cannot
/// invoke functions itself), keyed as S3 writes keys into events.
pub fn s3_event(bucket: &str, key: &str, size: usize) -> serde_json::Value {
    serde_json::json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
               "object": {"key": encode_key(key, KeyStyle::Event), "size": size}}
    }]})
}

/// Uploads on an open-loop schedule (`rate` per second, or all at once) and, in trigger mode,
/// hands each object-created event to the trigger's asynchronous invocation, as S3 does.
pub async fn upload_all(
    run: &RunContext,
    uploads: Vec<Upload>,
    rate: Option<f64>,
    trigger: Option<Arc<AsyncInvoker>>,
) {
    let started = run.started;
    let mut tasks = Vec::with_capacity(uploads.len());
    for (index, upload) in uploads.into_iter().enumerate() {
        if let Some(rate) = rate {
            let due = started + Duration::from_secs_f64(index as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let (s3, bucket, trigger, timeline) = (
            run.s3.clone(),
            run.deployment.bucket.clone(),
            trigger.clone(),
            Arc::clone(&run.timeline),
        );
        tasks.push(tokio::spawn(async move {
            let size = upload.bytes.len();
            let put = s3
                .put_object()
                .bucket(&bucket)
                .key(&upload.key)
                .content_type(content_type(&upload.key))
                .body(ByteStream::from(upload.bytes))
                .send()
                .await;
            {
                let mut t = timeline.lock().expect("lock");
                match put {
                    Ok(_) => {
                        t.uploaded_s
                            .insert(upload.key.clone(), started.elapsed().as_secs_f64());
                    }
                    Err(err) => {
                        t.upload_errors += 1;
                        t.first_upload_error.get_or_insert_with(|| {
                            aws_sdk_s3::error::DisplayErrorContext(&err).to_string()
                        });
                    }
                }
            }
            if let Some(invoker) = trigger {
                invoker.invoke(Bytes::from(
                    s3_event(&bucket, &upload.key, size).to_string(),
                ));
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_uploads_are_labelled_png() {
        assert_eq!(content_type("uploads/a.PNG"), "image/png");
        assert_eq!(content_type("uploads/a.jpeg"), "image/jpeg");
    }

    #[test]
    fn trigger_events_carry_the_key_as_s3_encodes_it() {
        let event = s3_event("b", "uploads/a b+ü.jpg", 5);
        let key = event["Records"][0]["s3"]["object"]["key"].as_str().unwrap();
        assert_eq!(key, "uploads/a+b%2B%C3%BC.jpg");
        let jobs = match contract::parse_s3_event(event).unwrap() {
            contract::Request::Jobs(jobs) => jobs,
            other => panic!("{other:?}"),
        };
        assert_eq!(jobs[0].key, "uploads/a b+ü.jpg");
    }
    #[test]
    fn only_files_with_an_input_suffix_are_uploaded() {
        let dir = std::env::temp_dir().join(format!("loadtest-images-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("folder.jpg")).unwrap();
        for name in [
            "b.JPG",
            "a.png",
            "c.jpeg",
            "d.webp",
            "e.gif",
            "f.tiff",
            "README.md",
            "jpg",
        ] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        let found = image_files(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.png", "b.JPG", "c.jpeg", "d.webp", "e.gif"]);
    }
}

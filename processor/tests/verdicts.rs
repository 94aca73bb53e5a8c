//! Every verdict test file (the committed fixtures, and the shared oddities when present)
//! through the batch handler: each ends as the image core's `render` says, with renditions (and
//! the render's warnings in their metadata) or a rejection record of the same kind, and none
//! is retried. And an image over the memory budget of a small function is refused from its
//! header, with a reason that says how to raise the budget.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::SqsEvent;
use contract::RejectionRecord;
use processor::batch::handle_batch;
use processor::config::Config;
use processor::pipeline::Processor;
use processor::store::MemoryStore;

const BUCKET: &str = "photos-bucket";

fn processor(vars: &[(&str, &str)]) -> Arc<Processor<MemoryStore>> {
    let map: HashMap<&str, &str> = vars.iter().copied().collect();
    let config = Config::from_env(|name| map.get(name).map(|v| (*v).to_owned())).expect("config");
    Arc::new(Processor::new(MemoryStore::default(), config))
}

/// An SQS event (from the real-shaped fixture) with one job per key.
fn batch(keys: &[String]) -> SqsEvent {
    let template: serde_json::Value =
        serde_json::from_str(&testdata::event("sqs_event.json")).unwrap();
    let mut event = template.clone();
    event["Records"] = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let mut record = template["Records"][0].clone();
            record["messageId"] = format!("m-{i}").into();
            record["body"] = serde_json::json!({"bucket": BUCKET, "key": key})
                .to_string()
                .into();
            record
        })
        .collect();
    serde_json::from_value(event).unwrap()
}

async fn run(processor: &Arc<Processor<MemoryStore>>, keys: &[String]) {
    // SQS delivers at most 10 messages in a batch.
    for chunk in keys.chunks(10) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let response = handle_batch(processor, batch(chunk), deadline).await;
        assert!(response.batch_item_failures.is_empty(), "{chunk:?}");
    }
}

fn rejection(store: &MemoryStore, key: &str) -> Option<RejectionRecord> {
    let record = store.object(BUCKET, &format!("rejected/{key}.json"))?;
    Some(serde_json::from_slice(&record.body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_ends_as_render_says() {
    let processor = processor(&[("CPU_WORKERS", "2")]);
    let store = processor.store();
    let inputs = testdata::verdict_inputs();
    let keys: Vec<String> = inputs
        .iter()
        .map(|path| {
            let folder = path
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy();
            // Outputs are named by the key less its extension: keep names that differ only in
            // it (hopper.jpg, hopper.png) apart.
            let name = path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace('.', "_");
            let key = format!("uploads/{folder}/{name}.img");
            store.insert(BUCKET, &key, std::fs::read(path).unwrap());
            key
        })
        .collect();
    run(&processor, &keys).await;

    let config = processor.config();
    let mut tally: HashMap<&str, usize> = HashMap::new();
    for (path, key) in inputs.iter().zip(&keys) {
        let bytes = std::fs::read(path).unwrap();
        let expected = imaging::render(&bytes, &config.renditions, &config.render);
        let stem = key.trim_end_matches(".img");
        let outputs = store.keys(BUCKET, &format!("processed/{stem}/"));
        match expected {
            Ok(rendered) => {
                assert_eq!(outputs.len(), rendered.outputs.len(), "{key}");
                assert!(rejection(store, key).is_none(), "{key}");
                let written = store.object(BUCKET, &outputs[0]).unwrap();
                let warnings = written
                    .metadata
                    .iter()
                    .find(|(name, _)| name == "source-warnings");
                assert_eq!(warnings.is_some(), !rendered.warnings.is_empty(), "{key}");
                *tally
                    .entry(if warnings.is_some() {
                        "done, with warnings"
                    } else {
                        "done"
                    })
                    .or_default() += 1;
            }
            Err(err) => {
                assert!(outputs.is_empty(), "{key}: {outputs:?}");
                let record = rejection(store, key).unwrap_or_else(|| panic!("{key}: no record"));
                assert_eq!(record.error_kind, err.kind().as_str(), "{key}");
                *tally.entry("rejected").or_default() += 1;
            }
        }
    }
    eprintln!("{} files through the handler: {tally:?}", inputs.len());
}

/// A 7000 x 7000 RGB PNG of one colour: 150 KB that decode to 147 MB.
fn large_flat_png() -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, 7000, 7000);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&vec![90; 7000 * 7000 * 3]).unwrap();
    writer.finish().unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_over_a_small_functions_budget_is_refused_from_its_header() {
    let png = large_flat_png();
    let key = "uploads/large.png".to_owned();
    let settings = |memory: &'static str| {
        [
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory),
            ("CPU_WORKERS", "1"),
            ("MESSAGES_IN_FLIGHT", "1"),
        ]
    };
    // 256 MB less 64 MiB for the runtime and one 50 MiB download: 142 MiB, and the image
    // needs about 200.
    let small = processor(&settings("256"));
    small.store().insert(BUCKET, &key, png.clone());
    run(&small, std::slice::from_ref(&key)).await;
    let record = rejection(small.store(), &key).expect("a rejection record");
    assert_eq!(record.error_kind, "too_large");
    assert!(
        record
            .reason
            .contains("over the memory budget of 142 MiB per image")
            && record.reason.contains("raise processor_memory_mb"),
        "{}",
        record.reason
    );
    // With 1024 MB the same image renders.
    let large = processor(&settings("1024"));
    large.store().insert(BUCKET, &key, png);
    run(&large, std::slice::from_ref(&key)).await;
    assert_eq!(
        large.store().keys(BUCKET, "processed/uploads/large/").len(),
        3
    );
}

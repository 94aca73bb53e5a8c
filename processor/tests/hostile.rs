//! Hostile inputs: every committed fixture (JPEG, PNG, WebP, GIF) cut short at many points and with bits flipped,
//! handmade broken headers, pixel floods and PNG bombs, through `render` and the batch handler.
//! Each must end in a typed, permanent error or a correct output; no panic may escape; and no
//! render may allocate more than three times the largest decoded image the limits allow. The
//! allocator below sees Rust's allocations only: libjpeg-turbo's working memory (C `malloc`,
//! the coefficient store of a progressive file above all) is bounded by the same pixel limit.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use imaging::{ErrorKind, Limits, RenderOptions, output_sizes, parse_renditions, render};
use processor::batch::handle_batch;
use processor::config::Config;
use processor::pipeline::Processor;
use processor::store::MemoryStore;

/// The system allocator, counting live bytes and their high-water mark.
struct PeakTracking;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
unsafe impl GlobalAlloc for PeakTracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grew(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: PeakTracking = PeakTracking;

/// The counters are process-wide: the tests of this file take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Small limits, so the bound below is tight enough to mean something.
const LIMITS: Limits = Limits {
    max_pixels: 4_000_000,
    max_width: 8_000,
    max_height: 8_000,
    max_bytes: 8 * 1024 * 1024,
};
/// Three times the largest decoded image the limits allow (RGB, 3 bytes a pixel): while the
/// largest rendition is resized, the decoded source, the resizer's intermediate buffer (the
/// rendition's width by the source's height) and the rendition itself are all alive, and each
/// can be as large as the source. The encoder streams one row of blocks at a time.
const MEMORY_BOUND: usize = 3 * 3 * LIMITS.max_pixels as usize;
const RENDITIONS: &str = "large:1600x1600,medium:800x800,thumb:200x200:cover:q75";

/// A repeatable pseudo-random sequence (xorshift64), so failures can be replayed.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The JPEG with its start-of-frame header claiming another size.
fn with_frame_size(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let at = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline SOF");
    let mut out = jpeg.to_vec();
    out[at + 5..at + 7].copy_from_slice(&height.to_be_bytes());
    out[at + 7..at + 9].copy_from_slice(&width.to_be_bytes());
    out
}

fn hostile_corpus() -> Vec<(String, Vec<u8>)> {
    let mut sources: Vec<(String, Vec<u8>)> = std::fs::read_dir(testdata::fixture_path(""))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| ["jpg", "png", "webp", "gif"].iter().any(|e| x == *e))
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    sources.sort();
    // One source at the pixel limit, so mangled copies of it stress the memory bound.
    let big = imaging::sample::photo_jpeg(2000, 2000, 7, 85).unwrap();
    sources.push(("photo-2000x2000.jpg".to_owned(), big));

    let mut rng = Xorshift(0x9E37_79B9_7F4A_7C15);
    let mut corpus = Vec::new();
    for (name, bytes) in &sources {
        corpus.push((name.clone(), bytes.clone()));
        for eighth in 1..8 {
            let cut = bytes.len() * eighth / 8;
            corpus.push((format!("{name} cut at {cut}"), bytes[..cut].to_vec()));
        }
        // Fewer flips of the big photo: each is a full 4 MP render.
        let flips = if bytes.len() > 100_000 { 8 } else { 24 };
        for _ in 0..flips {
            if bytes.is_empty() {
                break;
            }
            let mut flipped = bytes.clone();
            let at = (rng.next() % bytes.len() as u64) as usize;
            flipped[at] ^= 1 << (rng.next() % 8);
            corpus.push((format!("{name} bit flipped at {at}"), flipped));
        }
    }
    let baseline = testdata::fixture("baseline_420.jpg");
    corpus.extend([
        ("jpeg magic only".to_owned(), vec![0xFF, 0xD8, 0xFF]),
        ("png magic only".to_owned(), b"\x89PNG\r\n\x1a\n".to_vec()),
        ("webp magic only".to_owned(), b"RIFF\x04\0\0\0WEBP".to_vec()),
        ("gif magic only".to_owned(), b"GIF89a".to_vec()),
        (
            "jpeg segment longer than the file".to_owned(),
            vec![0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, b'E', b'x', b'i', b'f'],
        ),
        ("jpeg 0x0".to_owned(), with_frame_size(&baseline, 0, 0)),
        (
            "jpeg 65535x1".to_owned(),
            with_frame_size(&baseline, 65535, 1),
        ),
        (
            "jpeg 1x65535".to_owned(),
            with_frame_size(&baseline, 1, 65535),
        ),
        (
            "jpeg 2001x2000".to_owned(),
            with_frame_size(&baseline, 2001, 2000),
        ),
        ("one byte".to_owned(), vec![0xFF]),
    ]);
    corpus
}

/// What a render of `bytes` must produce if it succeeds: the planned size of each rendition.
fn planned_sizes(bytes: &[u8]) -> Vec<(u32, u32)> {
    output_sizes(bytes, &parse_renditions(RENDITIONS).unwrap(), &LIMITS)
        .expect("a rendered input probes")
}

#[test]
fn hostile_inputs_get_typed_errors_or_correct_outputs_within_the_memory_bound() {
    let _turn = ONE_AT_A_TIME.blocking_lock();
    let renditions = parse_renditions(RENDITIONS).unwrap();
    let options = RenderOptions {
        limits: LIMITS,
        ..RenderOptions::default()
    };
    let corpus = hostile_corpus();
    let mut problems = Vec::new();
    let mut worst = (0usize, String::new());
    let (mut rendered, mut rejected) = (0, 0);
    let started = Instant::now();
    for (name, bytes) in &corpus {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            render(bytes, &renditions, &options)
        }));
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        if peak > worst.0 {
            worst = (peak, name.clone());
        }
        if peak > MEMORY_BOUND {
            problems.push(format!("{name}: peak {peak} bytes, over {MEMORY_BOUND}"));
        }
        match result {
            Err(_) => problems.push(format!("{name}: panicked")),
            Ok(Err(err)) if err.kind() == ErrorKind::Internal => {
                problems.push(format!(
                    "{name}: internal (retryable) error for bad input: {err}"
                ));
            }
            Ok(Err(_)) => rejected += 1,
            Ok(Ok(output)) => {
                rendered += 1;
                let sizes: Vec<(u32, u32)> = output
                    .outputs
                    .iter()
                    .map(|o| {
                        let decoded = testdata::decode_output(&o.files[0].bytes);
                        (decoded.width, decoded.height)
                    })
                    .collect();
                if sizes != planned_sizes(bytes) {
                    problems.push(format!(
                        "{name}: rendered {sizes:?}, planned {:?}",
                        planned_sizes(bytes)
                    ));
                }
            }
        }
    }
    eprintln!(
        "{} hostile inputs: {rendered} rendered, {rejected} rejected, in {:.1} s; worst peak {:.1} MiB ({}), bound {:.1} MiB",
        corpus.len(),
        started.elapsed().as_secs_f64(),
        worst.0 as f64 / 1048576.0,
        worst.1,
        MEMORY_BOUND as f64 / 1048576.0
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        rendered > 0 && rejected > 0,
        "the corpus exercises both outcomes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_turns_every_hostile_upload_into_renditions_or_a_rejection_record() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let vars = [
        ("MAX_PIXELS", LIMITS.max_pixels.to_string()),
        ("MAX_SIDE", LIMITS.max_width.to_string()),
        ("MAX_BYTES", LIMITS.max_bytes.to_string()),
        ("RENDITIONS", RENDITIONS.to_owned()),
        ("CPU_WORKERS", "2".to_owned()),
    ];
    let config = Config::from_env(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    let store = MemoryStore::default();
    let corpus = hostile_corpus();
    let keys: Vec<String> = (0..corpus.len())
        .map(|i| format!("uploads/hostile/{i:04}.jpg"))
        .collect();
    for (key, (_, bytes)) in keys.iter().zip(&corpus) {
        store.insert("b", key, bytes.clone());
    }
    let processor = std::sync::Arc::new(Processor::new(store, config));
    for chunk in keys.chunks(10) {
        let records: Vec<serde_json::Value> = chunk
            .iter()
            .map(|key| {
                serde_json::json!({
                    "messageId": key, "receiptHandle": "h", "body": serde_json::json!({"bucket": "b", "key": key}).to_string(),
                    "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                    "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q", "awsRegion": "us-east-1"
                })
            })
            .collect();
        let event = serde_json::from_value(serde_json::json!({ "Records": records })).unwrap();
        let response =
            handle_batch(&processor, event, Instant::now() + Duration::from_secs(120)).await;
        assert!(
            response.batch_item_failures.is_empty(),
            "bad input is permanent, never retried: {:?}",
            response.batch_item_failures
        );
    }
    let store = processor.store();
    for (key, (name, _)) in keys.iter().zip(&corpus) {
        let stem = key.trim_end_matches(".jpg");
        let outputs = store.keys("b", &format!("processed/{stem}/"));
        let record = store.object("b", &format!("rejected/{key}.json"));
        match (outputs.len(), record) {
            (3, None) => {}
            (0, Some(record)) => {
                let record: serde_json::Value = serde_json::from_slice(&record.body).unwrap();
                assert_ne!(record["error_kind"], "internal", "{name}: {record}");
            }
            (n, record) => panic!("{name}: {n} renditions and record {:?}", record.is_some()),
        }
    }
}

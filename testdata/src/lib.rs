//! The workspace's test data and the checks shared by several crates' tests, the fuzz targets
//! and the chaos run: fixture images (`fixtures/`, made by `generate.py`), real-shaped events
//! (`events/`), fuzz findings (`fuzz-regressions/`), and helpers to read outputs back.

mod avif;
pub mod fuzz_checks;

pub use avif::avif_dimensions;

use std::path::PathBuf;

use imaging::{Layout, OutputFormat, Pixels, RenderOptions, Rendered, parse_renditions, render};

/// A file of this folder, for example `fixtures/cmyk.jpg` or `events/sqs_event.json`.
pub fn path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

pub fn fixture_path(name: &str) -> PathBuf {
    path("fixtures").join(name)
}

/// The bytes of `fixtures/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Where the shared corpus of odd files from other libraries' test suites is, when this
/// checkout sits beside it (it is not part of the repository; see the README's tests section).
pub fn oddities_dir() -> Option<PathBuf> {
    let dir = path("../../shared/corpus/oddities");
    dir.is_dir().then_some(dir)
}

/// Every file the verdict tests run: the committed fixtures (`fixtures/`, `fixtures/wild/`)
/// and, when present, the shared oddities. Sorted, so failures read the same every run.
pub fn verdict_inputs() -> Vec<PathBuf> {
    let mut dirs = vec![fixture_path(""), fixture_path("wild")];
    dirs.extend(oddities_dir());
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())))
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| {
            path.is_file()
                && !matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("json" | "md" | "tsv")
                )
        })
        .collect();
    files.sort();
    files
}

/// The text of `events/<name>`.
pub fn event(name: &str) -> String {
    std::fs::read_to_string(path("events").join(name))
        .unwrap_or_else(|e| panic!("event {name}: {e}"))
}

/// Inputs that can never be rendered, as the load test's chaos run uploads them: the fixture
/// name and the rejection (`error_kind`) each must get.
pub const POISON: &[(&str, &[u8], &str)] = &[
    (
        "truncated.png",
        include_bytes!("../fixtures/truncated.png"),
        "truncated",
    ),
    (
        "pixel-flood.jpg",
        include_bytes!("../fixtures/pixel_flood.jpg"),
        "too_large",
    ),
    (
        "png-bomb.png",
        include_bytes!("../fixtures/png_bomb.png"),
        "too_large",
    ),
    (
        "not-an-image.jpg",
        include_bytes!("../fixtures/not_an_image.jpg"),
        "unknown_format",
    ),
];

/// Renders `source` to the renditions of `spec`; panics with the reason if it cannot.
pub fn render_spec(source: &[u8], spec: &str, options: &RenderOptions) -> Rendered {
    let renditions = parse_renditions(spec).expect("valid renditions");
    render(source, &renditions, options).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

/// Renders `fixtures/<name>` with the default options; panics with the fixture's name.
pub fn render_fixture(name: &str, spec: &str) -> Rendered {
    let renditions = parse_renditions(spec).expect("valid renditions");
    render(&fixture(name), &renditions, &RenderOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The bytes of rendition `name` in `format`.
pub fn rendered_file(rendered: &Rendered, name: &str, format: OutputFormat) -> Vec<u8> {
    let output = rendered
        .outputs
        .iter()
        .find(|o| o.name == name)
        .expect(name);
    output.file(format).expect("format asked for").to_vec()
}

/// Decodes an output the pipeline wrote with a decoder independent of the pipeline's own
/// encoders: jpeg-decoder for JPEG (keeping grey images grey), image-webp for WebP. (AVIF has
/// no pure-Rust decoder here: see [`avif_dimensions`] for its size.)
pub fn decode_output(bytes: &[u8]) -> Pixels {
    if bytes.starts_with(b"RIFF") {
        return decode_webp(bytes);
    }
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    let data = decoder.decode().expect("output decodes");
    let info = decoder.info().expect("image info");
    let layout = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Layout::Gray,
        jpeg_decoder::PixelFormat::RGB24 => Layout::Rgb,
        other => panic!("unexpected output pixel format {other:?}"),
    };
    Pixels {
        width: info.width.into(),
        height: info.height.into(),
        layout,
        data,
    }
}

/// A lossy WebP output, decoded to RGB by image-webp (pure Rust, not libwebp).
fn decode_webp(bytes: &[u8]) -> Pixels {
    let mut decoder =
        image_webp::WebPDecoder::new(std::io::Cursor::new(bytes)).expect("WebP output parses");
    assert!(!decoder.has_alpha(), "renditions are opaque");
    let (width, height) = decoder.dimensions();
    let mut data = vec![0; decoder.output_buffer_size().expect("a sane size")];
    decoder.read_image(&mut data).expect("WebP output decodes");
    Pixels {
        width,
        height,
        layout: Layout::Rgb,
        data,
    }
}

/// The APPn marker numbers (0xE0..=0xEF) in a JPEG's header, with each segment's first bytes.
pub fn app_segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut segments = Vec::new();
    let mut at = 2;
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF && jpeg[at + 1] != 0xDA {
        let marker = jpeg[at + 1];
        let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        if (0xE0..=0xEF).contains(&marker) {
            let body = &jpeg[at + 4..at + 2 + length];
            segments.push((marker, body[..body.len().min(14)].to_vec()));
        }
        at += 2 + length;
    }
    segments
}

/// Peak signal-to-noise ratio of two same-sized 8-bit buffers, in dB.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "buffers differ in size");
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    let mse = sum / a.len() as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

/// Asserts a pixel is within `tolerance` of `expected` on every channel.
pub fn assert_colour(
    pixels: &Pixels,
    x: u32,
    y: u32,
    expected: [u8; 3],
    tolerance: u8,
    what: &str,
) {
    let got = pixels.pixel(x, y);
    let expected = &expected[..got.len()];
    let close = got
        .iter()
        .zip(expected)
        .all(|(&g, &e)| g.abs_diff(e) <= tolerance);
    assert!(
        close,
        "{what}: pixel ({x},{y}) is {got:?}, expected about {expected:?}"
    );
}

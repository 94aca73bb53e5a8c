//! Peak memory of real renders, as the kernel counts it (the peak resident set the `render`
//! CLI reports, which includes what libjpeg allocates in C), against the estimate the budget
//! check uses (`working_set`, which must bound every peak, for every source format) and against
//! the goal for large PNGs: at most twice the 8-bit RGB image plus 32 MiB, for every PNG
//! flavour. Decoding row by row keeps the decoder's share at one 8-bit image, and that tighter
//! bound is what is checked.

use std::path::{Path, PathBuf};
use std::process::Command;

use imaging::{Pixels, encoder_set, parse_renditions, plan, probe, working_set};

const SIDE: u32 = 3000;

/// The default renditions, where resizing is the peak, a thumbnail alone, where decoding is,
/// and the default renditions in every format, where libaom's encoder adds its share.
const JOBS: [&str; 3] = [
    "large:1600x1600:q80,medium:800x800:q80,thumb:200x200:cover:q75",
    "thumb:200x200:cover:q75",
    "large:1600x1600:jpeg+webp+avif,medium:800x800:jpeg+webp+avif,thumb:200x200:cover:avif",
];

/// A PNG of `photo` in `colour` at `depth` bits, alpha falling off to the right.
fn png(photo: &Pixels, colour: png::ColorType, depth: png::BitDepth) -> Vec<u8> {
    let wide = depth == png::BitDepth::Sixteen;
    let mut data = Vec::new();
    for (i, rgb) in photo.data.chunks_exact(3).enumerate() {
        let alpha = (255 - (i as u32 % SIDE) * 255 / SIDE) as u8;
        let samples: Vec<u8> = match colour {
            png::ColorType::Grayscale => vec![rgb[1]],
            png::ColorType::Rgb => rgb.to_vec(),
            _ => vec![rgb[0], rgb[1], rgb[2], alpha],
        };
        for s in samples {
            data.push(s);
            if wide {
                data.push(s ^ 0x5A);
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, SIDE, SIDE);
    encoder.set_color(colour);
    encoder.set_depth(depth);
    encoder.set_compression(png::Compression::Fastest);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&data).unwrap();
    writer.finish().unwrap();
    out
}

fn jpeg(photo: &Pixels, progressive: bool, colour: jpeg_encoder::ColorType) -> Vec<u8> {
    let data: Vec<u8> = match colour {
        jpeg_encoder::ColorType::Cmyk => photo
            .data
            .chunks_exact(3)
            .flat_map(|p| [255 - p[0], 255 - p[1], 255 - p[2], 0])
            .collect(),
        _ => photo.data.clone(),
    };
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_progressive(progressive);
    let side = SIDE as u16;
    encoder.encode(&data, side, side, colour).unwrap();
    out
}

/// A lossy WebP of `photo` (libwebp, through the core's own encoder).
fn lossy_webp(photo: &Pixels) -> Vec<u8> {
    let settings = imaging::EncodeSettings {
        webp_method: 0,
        ..Default::default()
    };
    imaging::encode(photo, imaging::OutputFormat::Webp, 90, settings).unwrap()
}

/// A lossless WebP of `photo` with alpha falling off to the right (image-webp's encoder).
fn lossless_webp(photo: &Pixels) -> Vec<u8> {
    let rgba: Vec<u8> = photo
        .data
        .chunks_exact(3)
        .enumerate()
        .flat_map(|(i, p)| {
            [
                p[0],
                p[1],
                p[2],
                (255 - (i as u32 % SIDE) * 255 / SIDE) as u8,
            ]
        })
        .collect();
    let mut out = Vec::new();
    image_webp::WebPEncoder::new(&mut out)
        .encode(&rgba, SIDE, SIDE, image_webp::ColorType::Rgba8)
        .unwrap();
    out
}

/// A GIF of `photo`'s green channel over a grey palette.
fn gif(photo: &Pixels) -> Vec<u8> {
    let palette: Vec<u8> = (0..=255u8).flat_map(|v| [v, v, v]).collect();
    let indices: Vec<u8> = photo.data.chunks_exact(3).map(|p| p[1]).collect();
    let side = SIDE as u16;
    let mut out = Vec::new();
    let mut encoder = gif::Encoder::new(&mut out, side, side, &palette).unwrap();
    encoder
        .write_frame(&gif::Frame::from_indexed_pixels(side, side, indices, None))
        .unwrap();
    drop(encoder);
    out
}

/// The peak resident set of one `render` run, in bytes, as the CLI reports it (`VmHWM`).
fn render_peak(file: &Path, job: &str, out: &Path) -> u64 {
    let output = Command::new(env!("CARGO_BIN_EXE_render"))
        .args(["--rendition", job, "--out"])
        .arg(out)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    line["peak_rss_bytes"].as_u64().expect("a peak on Linux")
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

#[test]
fn peaks_stay_under_the_estimate_and_the_png_goal() {
    if std::env::var_os("CROSS_RUNNER").is_some() {
        eprintln!("skipped: under an emulator the peak is the emulator's");
        return;
    }
    let dir: PathBuf = std::env::temp_dir().join(format!("memory-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let photo = imaging::sample::photo(SIDE, SIDE, 3);
    let inputs = vec![
        (
            "png_grey",
            png(&photo, png::ColorType::Grayscale, png::BitDepth::Eight),
        ),
        (
            "png_rgb",
            png(&photo, png::ColorType::Rgb, png::BitDepth::Eight),
        ),
        (
            "png_rgba",
            png(&photo, png::ColorType::Rgba, png::BitDepth::Eight),
        ),
        (
            "png_rgb16",
            png(&photo, png::ColorType::Rgb, png::BitDepth::Sixteen),
        ),
        (
            "png_rgba16",
            png(&photo, png::ColorType::Rgba, png::BitDepth::Sixteen),
        ),
        (
            "jpeg_baseline",
            jpeg(&photo, false, jpeg_encoder::ColorType::Rgb),
        ),
        (
            "jpeg_progressive",
            jpeg(&photo, true, jpeg_encoder::ColorType::Rgb),
        ),
        (
            "jpeg_cmyk",
            jpeg(&photo, false, jpeg_encoder::ColorType::Cmyk),
        ),
        ("webp_lossy", lossy_webp(&photo)),
        ("webp_lossless_alpha", lossless_webp(&photo)),
        ("gif", gif(&photo)),
    ];
    // The files, and each header; the images are freed before any child starts.
    let inputs: Vec<(&str, PathBuf, imaging::Header)> = inputs
        .into_iter()
        .map(|(name, bytes)| {
            let file = dir.join(name);
            std::fs::write(&file, &bytes).unwrap();
            (name, file, probe(&bytes, &Default::default()).unwrap())
        })
        .collect();
    drop(photo);
    // What the CLI holds before any image: code, libraries, the allocator's first pages.
    let tiny = dir.join("tiny.png");
    std::fs::write(&tiny, testdata::fixture("wild/trns16_grey.png")).unwrap();
    let out = dir.join("out");
    let base = render_peak(&tiny, JOBS[1], &out);
    for (name, file, header) in &inputs {
        for job in JOBS {
            let renditions = parse_renditions(job).unwrap();
            let plans: Vec<_> = renditions
                .iter()
                .map(|r| plan(header.width, header.height, r))
                .collect();
            let scale = imaging::jpeg_scale_denominator(&plans);
            let scale = if name.starts_with("jpeg") { scale } else { 1 };
            // The CLI holds the file's bytes as well, as the processor holds each download.
            let size = std::fs::metadata(file).unwrap().len();
            let encoding = encoder_set(&plans, &renditions);
            let estimate = working_set(header, &plans, &renditions, scale, false) + size;
            let peak = render_peak(file, job, &out).saturating_sub(base);
            eprintln!(
                "{name}, {} renditions, decoded at 1/{scale}: peak {} over the CLI's {}, estimate {} with the {} file",
                plans.len(),
                mib(peak),
                mib(base),
                mib(estimate),
                mib(size)
            );
            assert!(
                peak <= estimate,
                "{name}: peak {peak} over the estimate {estimate}"
            );
            // 16 MiB of the estimate is fixed state and the allocator's slack.
            assert!(
                estimate <= 2 * peak + (16 << 20),
                "{name}: estimate {estimate} far above the peak {peak}"
            );
            if name.starts_with("png") {
                let image = u64::from(SIDE) * u64::from(SIDE) * 3;
                // The goal: the whole render within twice the 8-bit image and 32 MiB, besides
                // what libaom's encoder holds of an AVIF rendition.
                assert!(
                    peak - size - encoding.min(peak - size) <= 2 * image + (32 << 20),
                    "{name}: peak {peak}, AVIF encoder {encoding}"
                );
                // With a thumbnail alone, the decoder's share: one 8-bit image (a 16-bit one
                // with alpha would be 8/3 as big), with the fixed state's slack.
                if plans.len() == 1 {
                    assert!(
                        peak <= size + image + (12 << 20),
                        "{name}: peak {peak}, file {size}, image {image}"
                    );
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

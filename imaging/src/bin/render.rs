//! `render`: the image core on local files, one JSON line per input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use imaging::{
    ImageError, Limits, RenderOptions, Rendition, parse_hex_colour, parse_renditions, render,
};
use serde_json::json;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Resize images into renditions, writing DIR/<file stem>/<rendition name>.<jpg|webp|avif>.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// A rendition (`name:WIDTHxHEIGHT[:fit|cover][:qNN][:FORMATS]`, FORMATS being `jpeg`,
    /// `webp` or `avif`, or several joined by `+`) or a comma-separated list; repeatable.
    #[arg(long = "rendition", short = 'r', required = true, value_parser = parse_renditions)]
    renditions: Vec<Vec<Rendition>>,
    /// The folder the renditions are written under.
    #[arg(long, short = 'o')]
    out: PathBuf,
    /// Refuse images with more pixels than this.
    #[arg(long, default_value_t = Limits::default().max_pixels)]
    max_pixels: u64,
    /// Refuse files larger than this many bytes.
    #[arg(long, default_value_t = Limits::default().max_bytes)]
    max_bytes: usize,
    /// The colour transparent pixels are flattened onto, as RRGGBB.
    #[arg(long, default_value = "ffffff", value_parser = parse_hex_colour)]
    background: [u8; 3],
    /// libwebp's method for WebP renditions: 0 (fastest) to 6 (smallest).
    #[arg(long, default_value_t = imaging::DEFAULT_WEBP_METHOD,
          value_parser = clap::value_parser!(u8).range(0..=6))]
    webp_method: u8,
    /// libaom's speed for AVIF renditions: 0 (smallest) to 10 (fastest).
    #[arg(long, default_value_t = imaging::DEFAULT_AVIF_SPEED,
          value_parser = clap::value_parser!(u8).range(0..=10))]
    avif_speed: u8,
    /// The images to render.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let renditions: Vec<Rendition> = args.renditions.concat();
    let options = RenderOptions {
        limits: Limits {
            max_pixels: args.max_pixels,
            max_bytes: args.max_bytes,
            ..Limits::default()
        },
        background: args.background,
        webp_method: args.webp_method,
        avif_speed: args.avif_speed,
        ..RenderOptions::default()
    };
    let mut failures = 0;
    for file in &args.files {
        let line = match render_file(file, &renditions, &options, &args.out) {
            Ok(line) => line,
            Err((kind, message)) => {
                failures += 1;
                eprintln!("render: {}: {message}", file.display());
                json!({"input": file, "status": "rejected", "error": {"kind": kind, "message": message}})
            }
        };
        println!("{line}");
    }
    if failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Renders one file and writes its renditions; the error is (kind, one-line reason).
fn render_file(
    file: &Path,
    renditions: &[Rendition],
    options: &RenderOptions,
    out: &Path,
) -> Result<serde_json::Value, (&'static str, String)> {
    let io_error = |e: std::io::Error| ("io", e.to_string());
    let refused = |e: ImageError| (e.kind().as_str(), e.to_string());
    // A file over the limit is refused from its size, before a byte of it is read.
    let size = std::fs::metadata(file).map_err(io_error)?.len();
    let limit = options.limits.max_bytes;
    if size > limit as u64 {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        return Err(refused(ImageError::TooManyBytes { size, limit }));
    }
    let bytes = std::fs::read(file).map_err(io_error)?;
    let rendered = render(&bytes, renditions, options).map_err(refused)?;
    let stem = file.file_stem().unwrap_or(file.as_os_str());
    let dir = out.join(stem);
    std::fs::create_dir_all(&dir).map_err(io_error)?;
    let mut written = Vec::with_capacity(rendered.outputs.len());
    for output in &rendered.outputs {
        let mut files = Vec::with_capacity(output.files.len());
        for file in &output.files {
            let path = dir.join(format!("{}.{}", output.name, file.format.extension()));
            std::fs::write(&path, &file.bytes).map_err(io_error)?;
            files.push(
                json!({"format": file.format.name(), "bytes": file.bytes.len(), "path": path}),
            );
        }
        // `bytes` and `path` name the first format's file, as when JPEG was the only one.
        written.push(json!({
            "name": output.name, "width": output.width, "height": output.height,
            "bytes": files[0]["bytes"], "path": files[0]["path"], "files": files,
        }));
    }
    let ms = |d: std::time::Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
    let t = rendered.timings;
    Ok(json!({
        "input": file,
        "status": "ok",
        "format": rendered.format.name(),
        "width": rendered.width,
        "height": rendered.height,
        "bytes": bytes.len(),
        "decode_scale": rendered.decode_scale,
        "renditions": written,
        "warnings": rendered.warnings,
        "peak_rss_bytes": peak_rss_bytes(),
        "ms": {"decode": ms(t.decode), "resize": ms(t.resize), "encode": ms(t.encode),
               "total": ms(t.decode + t.resize + t.encode)},
    }))
}

/// This process's peak resident memory so far (Linux's `VmHWM`, which counts what libjpeg
/// allocates in C too), or `None` where `/proc` does not say. A process that renders several
/// files reports the peak over all of them so far.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

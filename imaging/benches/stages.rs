//! Criterion benches per stage (decode, resize, encode, whole render) on photos from `CORPUS`
//! (a folder of JPEGs) or, without it, on a generated 12 MP photo-like JPEG.
//!
//! The decode and encode groups also time the alternatives the pipeline chose between (zune-jpeg
//! against libjpeg-turbo, image-webp against libwebp for WebP sources, optimised Huffman tables
//! or not), so the choice can be re-checked when the libraries change.

use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use imaging::{
    Pixels, Plan, RenderOptions, Rendition, Resampler, decode, jpeg_scale_denominator,
    parse_renditions, plan, probe, render,
};

/// The job of the project's comparison: renditions fitting 1600, 800 and 200 px at q80.
const JOB: &str = "large:1600x1600:q80,medium:800x800:q80,thumb:200x200:q80";

fn photos() -> Vec<(String, Vec<u8>)> {
    match std::env::var_os("CORPUS") {
        Some(dir) => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .expect("CORPUS is a readable folder")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("jpg")))
                .collect();
            files.sort();
            let only = std::env::var("PHOTOS").unwrap_or_default();
            files
                .into_iter()
                .filter(|p| {
                    only.is_empty()
                        || only
                            .split(',')
                            .any(|id| p.file_name().unwrap().to_string_lossy().starts_with(id))
                })
                .map(|p| {
                    (
                        p.file_stem().unwrap().to_string_lossy()[..2].to_owned(),
                        std::fs::read(&p).unwrap(),
                    )
                })
                .collect()
        }
        None => vec![(
            "generated_4000x3000".to_owned(),
            imaging::sample::photo_jpeg(4000, 3000, 7, 92).expect("generate"),
        )],
    }
}

fn plans_for(bytes: &[u8], job: &[Rendition]) -> (imaging::Header, Vec<Plan>) {
    let header = probe(bytes, &RenderOptions::default().limits).expect("probe");
    let plans = job
        .iter()
        .map(|r| plan(header.width, header.height, r))
        .collect();
    (header, plans)
}

const WHITE: [u8; 3] = [255; 3];

fn bench_decode(c: &mut Criterion) {
    let job = parse_renditions(JOB).unwrap();
    let mut group = c.benchmark_group("decode");
    group.sample_size(10);
    for (name, bytes) in photos() {
        let (header, plans) = plans_for(&bytes, &job);
        group.throughput(Throughput::Elements(
            u64::from(header.width) * u64::from(header.height),
        ));
        let denominator = jpeg_scale_denominator(&plans);
        group.bench_with_input(
            BenchmarkId::new(format!("pipeline_1_{denominator}"), &name),
            &bytes,
            |b, bytes| b.iter(|| decode(bytes, &header, denominator, WHITE).unwrap()),
        );
        group.bench_with_input(BenchmarkId::new("zune_full", &name), &bytes, |b, bytes| {
            b.iter(|| zune_full(bytes))
        });
        group.bench_with_input(
            BenchmarkId::new("libjpeg_turbo_full", &name),
            &bytes,
            |b, bytes| b.iter(|| libjpeg_turbo_full(bytes)),
        );
        // The photo as a lossy WebP source: the pipeline's decoder (image-webp) and libwebp's.
        let full = decode(&bytes, &header, 1, WHITE).unwrap().pixels;
        let webp = imaging::encode(&full, imaging::OutputFormat::Webp, 90, Default::default())
            .expect("the photo fits WebP's sides");
        drop(full);
        let webp_header = probe(&webp, &RenderOptions::default().limits).unwrap();
        group.bench_with_input(BenchmarkId::new("webp_source", &name), &webp, |b, webp| {
            b.iter(|| decode(webp, &webp_header, 1, WHITE).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new("webp_source_libwebp", &name),
            &webp,
            |b, webp| b.iter(|| libwebp_full(webp)),
        );
    }
}

fn libwebp_full(webp: &[u8]) -> usize {
    let (mut width, mut height) = (0, 0);
    // SAFETY: libwebp reads `webp` and returns null or a buffer it allocated, freed here.
    unsafe {
        let out = libwebp_sys::WebPDecodeRGB(webp.as_ptr(), webp.len(), &mut width, &mut height);
        assert!(!out.is_null(), "libwebp decodes its own file");
        libwebp_sys::WebPFree(out.cast());
    }
    width as usize * height as usize * 3
}

fn zune_full(jpeg: &[u8]) -> usize {
    let options = zune_core::options::DecoderOptions::default()
        .jpeg_set_out_colorspace(zune_core::colorspace::ColorSpace::RGB);
    zune_jpeg::JpegDecoder::new_with_options(zune_core::bytestream::ZCursor::new(jpeg), options)
        .decode()
        .unwrap()
        .len()
}

fn libjpeg_turbo_full(jpeg: &[u8]) -> usize {
    let mut started = mozjpeg::Decompress::new_mem(jpeg).unwrap().rgb().unwrap();
    let decoded = started.read_scanlines::<u8>().unwrap().len();
    started.finish().unwrap();
    decoded
}

fn bench_resize(c: &mut Criterion) {
    let job = parse_renditions(JOB).unwrap();
    let mut group = c.benchmark_group("resize");
    group.sample_size(10);
    for (name, bytes) in photos() {
        let (header, plans) = plans_for(&bytes, &job);
        let source = decode(&bytes, &header, 1, WHITE).unwrap().pixels;
        group.bench_with_input(
            BenchmarkId::new("direct_lanczos3_x3", &name),
            &source,
            |b, src| {
                let mut resampler = Resampler::new(Default::default());
                b.iter(|| {
                    for p in &plans {
                        resampler.resize(src, p.crop, p.width, p.height).unwrap();
                    }
                })
            },
        );
    }
}

fn resized_job(bytes: &[u8]) -> Vec<Pixels> {
    let job = parse_renditions(JOB).unwrap();
    let (header, plans) = plans_for(bytes, &job);
    let source = decode(bytes, &header, 1, WHITE).unwrap().pixels;
    let mut resampler = Resampler::new(Default::default());
    plans
        .iter()
        .map(|p| {
            resampler
                .resize(&source, p.crop, p.width, p.height)
                .unwrap()
        })
        .collect()
}

fn bench_encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    group.sample_size(10);
    for (name, bytes) in photos() {
        let renditions = resized_job(&bytes);
        for (variant, optimize, progressive) in [
            ("pipeline", None, false),
            ("standard_tables", Some(false), false),
            ("optimized_tables", Some(true), false),
            ("progressive", Some(true), true),
        ] {
            group.bench_with_input(
                BenchmarkId::new(variant, &name),
                &renditions,
                |b, renditions| {
                    b.iter(|| {
                        renditions
                            .iter()
                            .map(|p| match optimize {
                                None => imaging::encode(
                                    p,
                                    imaging::OutputFormat::Jpeg,
                                    80,
                                    Default::default(),
                                )
                                .unwrap()
                                .len(),
                                Some(optimize) => encode_with(p, optimize, progressive),
                            })
                            .sum::<usize>()
                    })
                },
            );
        }
        // libjpeg-turbo's baseline encoder (mozjpeg's fastest profile): the speed to aim at.
        group.bench_with_input(
            BenchmarkId::new("libjpeg_turbo", &name),
            &renditions,
            |b, renditions| b.iter(|| renditions.iter().map(libjpeg_turbo_encode).sum::<usize>()),
        );
    }
}

fn libjpeg_turbo_encode(pixels: &Pixels) -> usize {
    let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
    compress.set_fastest_defaults();
    compress.set_size(pixels.width as usize, pixels.height as usize);
    compress.set_quality(80.0);
    let mut started = compress.start_compress(Vec::new()).unwrap();
    started.write_scanlines(&pixels.data).unwrap();
    started.finish().unwrap().len()
}

fn encode_with(pixels: &Pixels, optimize: bool, progressive: bool) -> usize {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 80);
    encoder.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
    encoder.set_optimized_huffman_tables(optimize);
    encoder.set_progressive(progressive);
    encoder
        .encode(
            &pixels.data,
            pixels.width as u16,
            pixels.height as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    out.len()
}

fn bench_render(c: &mut Criterion) {
    let job = parse_renditions(JOB).unwrap();
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    for (name, bytes) in photos() {
        for shrink_on_load in [true, false] {
            let options = RenderOptions {
                shrink_on_load,
                ..RenderOptions::default()
            };
            let id = if shrink_on_load {
                "job"
            } else {
                "job_full_decode"
            };
            group.bench_with_input(BenchmarkId::new(id, &name), &bytes, |b, bytes| {
                b.iter(|| render(bytes, &job, &options).unwrap())
            });
        }
    }
}

criterion_group!(
    stages,
    bench_decode,
    bench_resize,
    bench_encode,
    bench_render
);
criterion_main!(stages);

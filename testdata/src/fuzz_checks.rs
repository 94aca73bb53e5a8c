//! The properties the fuzz targets check (`fuzz/fuzz_targets/*.rs`), shared with the test that
//! replays their findings (`imaging/tests/fuzz_regressions.rs`).

use contract::{Request, parse_body};
use imaging::{
    ErrorKind, Limits, OutputFormat, RenderOptions, output_sizes, parse_renditions, render,
};

/// Small limits keep each run fast; the properties do not depend on them.
const LIMITS: Limits = Limits {
    max_pixels: 1_000_000,
    max_width: 4096,
    max_height: 4096,
    max_bytes: 1 << 20,
};
const RENDITIONS: &str = "a:64x64,b:32x32:cover:q50:jpeg+webp";
/// The same with AVIF, in builds that encode it (the tests'; the fuzz build leaves libaom out:
/// it encodes the core's own pixels, never the fuzzer's bytes).
const RENDITIONS_WITH_AVIF: &str = "a:64x64,b:32x32:cover:q50:jpeg+webp+avif";

/// Any bytes: a typed, permanent error, or one file per rendition and format, of the planned
/// size, each whole in its format.
pub fn check_render(data: &[u8]) {
    let spec = if OutputFormat::Avif.in_this_build() {
        RENDITIONS_WITH_AVIF
    } else {
        RENDITIONS
    };
    let renditions = parse_renditions(spec).expect("valid renditions");
    let options = RenderOptions {
        limits: LIMITS,
        ..RenderOptions::default()
    };
    match render(data, &renditions, &options) {
        Err(err) => assert_ne!(
            err.kind(),
            ErrorKind::Internal,
            "bad input is permanent: {err}"
        ),
        Ok(rendered) => {
            let planned =
                output_sizes(data, &renditions, &LIMITS).expect("a rendered input probes");
            assert_eq!(rendered.outputs.len(), renditions.len());
            for (output, size) in rendered.outputs.iter().zip(planned) {
                assert_eq!((output.width, output.height), size);
                for file in &output.files {
                    let whole = match file.format {
                        OutputFormat::Jpeg => {
                            file.bytes.starts_with(&[0xFF, 0xD8])
                                && file.bytes.ends_with(&[0xFF, 0xD9])
                        }
                        // RIFF's size field counts everything after its first 8 bytes.
                        OutputFormat::Webp => {
                            file.bytes.len() >= 12
                                && file.bytes.starts_with(b"RIFF")
                                && &file.bytes[8..12] == b"WEBP"
                                && u32::from_le_bytes(file.bytes[4..8].try_into().unwrap()) as usize
                                    == file.bytes.len() - 8
                        }
                        OutputFormat::Avif => {
                            crate::avif_dimensions(&file.bytes) == Ok((output.width, output.height))
                        }
                    };
                    assert!(whole, "{} {} is not a whole file", output.name, file.format);
                }
            }
        }
    }
}

/// Any text: message bodies parse or fail without panicking, and a job the trigger writes reads
/// back as itself; rendition specs parse to sane boxes or fail.
pub fn check_message(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(Request::Jobs(jobs)) = parse_body(&text) {
        for job in jobs
            .into_iter()
            .filter(|j| !j.bucket.is_empty() && !j.key.is_empty())
        {
            let written = serde_json::to_string(&job).expect("a job serialises");
            assert_eq!(
                parse_body(&written),
                Ok(Request::Jobs(vec![job])),
                "{written}"
            );
        }
    }
    if let Ok(renditions) = parse_renditions(&text) {
        for rendition in renditions {
            assert!(
                rendition.max_width > 0 && rendition.max_height > 0,
                "{rendition:?}"
            );
            for format in &rendition.formats {
                let quality = rendition.quality_for(*format);
                assert!((1..=100).contains(&quality), "{rendition:?}");
            }
        }
    }
}

//! The memory a render needs at its peak, worked out from the header and the plans before
//! anything is decoded, so a caller with a budget (the processor, from the function's memory)
//! can refuse an image instead of being killed by it. The caller adds what it holds itself
//! (the encoded file). An upper bound: the test that measures real peaks holds it to within a
//! small factor of them.

use crate::geometry::Plan;
use crate::output_format::OutputFormat;
use crate::probe::{Header, JpegCoding, Kind};
use crate::spec::Rendition;

/// Bytes per RGB pixel.
const RGB: u64 = 3;

/// What does not grow with the image: decoder tables and state, zlib's window, the encoded
/// renditions, and pages the allocator has freed but not yet returned. Measured against the
/// peak resident set of `render` (`tests/memory.rs`), which was at most 7.5 MiB over the rest
/// of the estimate; 16 MiB leaves room for runs that vary.
const FIXED: u64 = 16 << 20;

/// The peak bytes `render` allocates for an image with `header`, decoded at 1/`decode_scale`,
/// resized to `plans` (in the stored frame, one per spec of `specs`, in the same order),
/// turned upright when `reoriented`, and encoded in the specs' formats.
pub fn working_set(
    header: &Header,
    plans: &[Plan],
    specs: &[Rendition],
    decode_scale: u32,
    reoriented: bool,
) -> u64 {
    debug_assert_eq!(plans.len(), specs.len(), "one plan per rendition");
    // Grey sources stay grey to the end; everything else is RGB from the decoder on.
    let channels = match header.kind {
        Kind::Jpeg { components: 1, .. } => 1,
        Kind::Png { .. } if is_grey_png(&header.kind) => 1,
        _ => RGB,
    };
    let scale = decode_scale.max(1);
    let decoded =
        u64::from(header.width.div_ceil(scale)) * u64::from(header.height.div_ceil(scale));
    let full = u64::from(header.width) * u64::from(header.height);
    let row = u64::from(header.width);
    // While decoding: the decoder's own buffers and its output.
    let (decoding, output) = match header.kind {
        Kind::Jpeg {
            coding: JpegCoding::Lossless,
            components,
            precision,
            ..
        } => {
            // jpeg-decoder: one 16-bit plane per component, their interleaved copy and, for
            // precisions other than 8, two byte copies of that; then the 8-bit result.
            let samples = full * u64::from(components);
            let copies = if precision == 8 { 3 } else { 7 };
            (samples * copies, full * channels)
        }
        Kind::Jpeg {
            components,
            coefficient_bytes,
            ..
        } => {
            // libjpeg's coefficients (multi-scan files) and row buffers of a few MCU rows of
            // every component; CMYK output is converted into a second, RGB buffer.
            let buffers = coefficient_bytes + row * 64 * u64::from(components);
            let cmyk = if components == 4 { decoded * 4 } else { 0 };
            (buffers + cmyk, decoded * channels)
        }
        // The `png` crate's rows of the source, at up to 8 bytes a pixel.
        Kind::Png { .. } => (row * 8 * 4, decoded * channels),
        // image-webp decodes into one buffer, RGBA when there is alpha (flattened in place),
        // after lossy planes of 1.5 bytes a pixel with the alpha plane, or a lossless RGBA
        // image; an animation also holds its first frame beside the canvas.
        Kind::Webp {
            lossy,
            alpha,
            animated,
        } => {
            let planes = if lossy { full * 5 / 2 } else { full * 4 };
            let frame = if animated { full * 4 } else { 0 };
            (
                planes + frame,
                full * if alpha || animated { 4 } else { RGB },
            )
        }
        // The gif crate's first frame as palette indices, beside the canvas it is drawn onto.
        Kind::Gif { first_frame } => (
            u64::from(first_frame.width) * u64::from(first_frame.height),
            full * RGB,
        ),
    };
    // While resizing: every rendition may be held at once (whole-frame ones feed smaller
    // ones), each up to three times: resized, turned upright, converted to sRGB. One resize
    // at a time also holds fast_image_resize's intermediate: the output's width times the
    // source rows it reads.
    let renditions: u64 = plans
        .iter()
        .map(|p| u64::from(p.width) * u64::from(p.height) * channels)
        .sum();
    let copies = 1 + u64::from(reoriented) + u64::from(header.icc.is_some());
    let intermediate = plans
        .iter()
        .map(|p| u64::from(p.width) * (p.crop.height / f64::from(scale)).ceil() as u64 * channels)
        .max()
        .unwrap_or(0);
    FIXED + output + decoding.max(renditions * copies + intermediate) + encoder_set(plans, specs)
}

/// libaom's frame buffers and analysis state while it encodes one AVIF, per pixel of the
/// rendition, and what it allocates whatever the size. Measured as `render`'s peak for one AVIF
/// rendition less the same rendition's as JPEG: 13.1 MiB at 800x600, 35.4 at 1600x1200, 72.5 at
/// 2400x1800 and 183.5 at 4000x3000 (16-19 bytes a pixel above 1 MP).
const AVIF_BYTES_PER_PIXEL: u64 = 17;
const AVIF_FIXED: u64 = 8 << 20;

/// The encoders' share of [`working_set`]: one rendition is encoded at a time, so the largest
/// AVIF among `renditions` (JPEG's and WebP's state is within `FIXED`). `plans` are the
/// renditions' plans, in the same order.
pub fn encoder_set(plans: &[Plan], renditions: &[Rendition]) -> u64 {
    plans
        .iter()
        .zip(renditions)
        .filter(|(_, r)| r.formats.contains(&OutputFormat::Avif))
        .map(|(p, _)| AVIF_FIXED + u64::from(p.width) * u64::from(p.height) * AVIF_BYTES_PER_PIXEL)
        .max()
        .unwrap_or(0)
}

fn is_grey_png(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Png {
            channels: 1,
            palette: false,
            transparency: false,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Rect;

    fn header(kind: Kind, width: u32, height: u32) -> Header {
        Header {
            kind,
            width,
            height,
            exif: None,
            icc: None,
            warnings: Vec::new(),
        }
    }

    fn jpeg(components: u8, coefficient_bytes: u64) -> Kind {
        Kind::Jpeg {
            coding: JpegCoding::Huffman,
            progressive: coefficient_bytes > 0,
            components,
            restart_markers: false,
            adobe: false,
            precision: 8,
            ended: true,
            coefficient_bytes,
        }
    }

    #[test]
    fn a_progressive_jpeg_needs_its_coefficients_on_top_of_its_pixels() {
        let baseline = working_set(&header(jpeg(3, 0), 4000, 3000), &[], &[], 1, false);
        let progressive = working_set(&header(jpeg(3, 36_000_000), 4000, 3000), &[], &[], 1, false);
        // Without renditions the decode is the peak: output plus 64 rows of each component.
        assert_eq!(baseline - FIXED, 36_000_000 + 4000 * 64 * 3);
        assert_eq!(progressive - baseline, 36_000_000);
        // A DCT-scaled decode needs a quarter of the pixels at 1/2.
        let half = working_set(&header(jpeg(3, 0), 4000, 3000), &[], &[], 2, false);
        assert!(half - FIXED < (baseline - FIXED) / 3);
    }

    #[test]
    fn renditions_count_with_their_copies() {
        let plan = Plan {
            width: 1000,
            height: 1000,
            crop: Rect {
                left: 0.0,
                top: 0.0,
                width: 2000.0,
                height: 2000.0,
            },
        };
        let kind = Kind::Png {
            bit_depth: 8,
            channels: 1,
            palette: false,
            transparency: false,
            interlaced: false,
        };
        let image = header(kind, 2000, 2000);
        let spec = crate::parse_renditions("a:1000x1000").unwrap();
        let plain = working_set(&image, &[plan], &spec, 1, false);
        let turned = working_set(&image, &[plan], &spec, 1, true);
        assert_eq!(turned - plain, 1_000_000);
        // Grey: one byte a pixel, then the rendition and the resize's 1000 x 2000 intermediate
        // (more than the decoder's rows).
        assert_eq!(plain - FIXED, 4_000_000 + 1_000_000 + 2_000_000);
    }

    #[cfg(feature = "avif")]
    #[test]
    fn the_largest_avif_rendition_sets_the_encoders_share() {
        let renditions =
            crate::parse_renditions("a:800x800:avif,b:1600x1600,c:200x200:webp+avif").unwrap();
        let plans: Vec<Plan> = renditions
            .iter()
            .map(|r| crate::plan(4000, 3000, r))
            .collect();
        assert_eq!(
            encoder_set(&plans, &renditions),
            AVIF_FIXED + 800 * 600 * AVIF_BYTES_PER_PIXEL,
            "the 1600 px rendition is JPEG only"
        );
        assert_eq!(encoder_set(&plans[1..2], &renditions[1..2]), 0);
    }
}

//! Decoding to 8-bit grey or RGB: JPEG with zune-jpeg or libjpeg-turbo (as mozjpeg), whichever
//! does the job (see `uses_libjpeg`), PNG with zune-png and alpha flattened onto a background.

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;

use crate::error::{ImageError, panic_message};
use crate::format::Format;
use crate::pixels::{Layout, Pixels};
use crate::probe::Header;

/// How to decode: the SIMD switch and the colour transparent pixels are composited onto.
#[derive(Debug, Clone, Copy)]
pub struct DecodeSettings {
    /// Let zune-jpeg use its AVX2/NEON kernels; off runs its scalar code. libjpeg-turbo picks
    /// its SIMD itself, with output identical to its C code.
    pub simd: bool,
    pub background: [u8; 3],
}

/// Decodes the whole image, or with a JPEG at 1/`scale_denominator` of its size.
pub fn decode(
    bytes: &[u8],
    header: &Header,
    scale_denominator: u32,
    settings: DecodeSettings,
) -> Result<Pixels, ImageError> {
    match header.format {
        Format::Jpeg if uses_libjpeg(header, scale_denominator) => {
            decode_jpeg_libjpeg(bytes, header, scale_denominator)
        }
        Format::Jpeg => decode_jpeg_zune(bytes, header, settings),
        Format::Png => decode_png(bytes, header, settings),
    }
}

/// libjpeg-turbo takes what zune-jpeg 0.5 cannot do (a DCT-scaled decode), gets wrong (one scan
/// per component) or does slower than the goal allows (progressive scans: 10-32% longer on the
/// corpus). zune-jpeg keeps full-size baseline files and CMYK/YCCK ones, which it turns into RGB.
fn uses_libjpeg(header: &Header, scale_denominator: u32) -> bool {
    header.non_interleaved
        || (header.components != 4 && (scale_denominator > 1 || header.progressive))
}

/// Grey JPEGs stay grey; colour ones (YCbCr, RGB, CMYK/YCCK) come out as RGB.
fn jpeg_layout(header: &Header) -> Layout {
    if header.components == 1 {
        Layout::Gray
    } else {
        Layout::Rgb
    }
}

fn zune_options(header: &Header, simd: bool) -> DecoderOptions {
    DecoderOptions::default()
        .set_max_width(header.width as usize)
        .set_max_height(header.height as usize)
        .set_use_unsafe(simd)
}

fn decode_jpeg_zune(
    bytes: &[u8],
    header: &Header,
    settings: DecodeSettings,
) -> Result<Pixels, ImageError> {
    let layout = jpeg_layout(header);
    let out_colorspace = match layout {
        Layout::Gray => ColorSpace::Luma,
        Layout::Rgb => ColorSpace::RGB,
    };
    let options = zune_options(header, settings.simd).jpeg_set_out_colorspace(out_colorspace);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    let data = decoder
        .decode()
        .map_err(|e| ImageError::corrupt(Format::Jpeg, format!("{e:?}")))?;
    checked_pixels(Format::Jpeg, header.width, header.height, layout, data)
}

/// libjpeg-turbo's decode at 1/`denominator` size (1: full size). Scaled, its reduced IDCTs
/// compute only the frequencies the smaller image can show, so a 12 MP photo never exists at
/// full size.
fn decode_jpeg_libjpeg(
    bytes: &[u8],
    header: &Header,
    denominator: u32,
) -> Result<Pixels, ImageError> {
    if header.components == 4 {
        return Err(ImageError::unsupported(
            Format::Jpeg,
            "CMYK with one scan per component",
        ));
    }
    // mozjpeg turns libjpeg's fatal errors into an unwind that carries libjpeg's message.
    std::panic::catch_unwind(|| libjpeg_pixels(bytes, header, denominator))
        .unwrap_or_else(|payload| Err(ImageError::corrupt(Format::Jpeg, panic_message(&*payload))))
}

fn libjpeg_pixels(bytes: &[u8], header: &Header, denominator: u32) -> Result<Pixels, ImageError> {
    let failed = |e: std::io::Error| ImageError::corrupt(Format::Jpeg, e.to_string());
    let mut decompress = mozjpeg::Decompress::new_mem(bytes).map_err(failed)?;
    // libjpeg scales by n/8; the denominators the planner picks (1, 2, 4, 8) divide 8.
    decompress.scale((8 / denominator.clamp(1, 8)) as u8);
    let layout = jpeg_layout(header);
    let mut started = match layout {
        Layout::Gray => decompress.grayscale(),
        Layout::Rgb => decompress.rgb(),
    }
    .map_err(failed)?;
    let (width, height) = (started.width(), started.height());
    let data = started.read_scanlines::<u8>().map_err(failed)?;
    started.finish().map_err(failed)?;
    // JPEG sides are 16-bit, so they fit.
    checked_pixels(Format::Jpeg, width as u32, height as u32, layout, data)
}

fn decode_png(
    bytes: &[u8],
    header: &Header,
    settings: DecodeSettings,
) -> Result<Pixels, ImageError> {
    let options = zune_options(header, settings.simd).png_set_strip_to_8bit(true);
    let mut decoder = zune_png::PngDecoder::new_with_options(ZCursor::new(bytes), options);
    let result = decoder
        .decode()
        .map_err(|e| ImageError::corrupt(Format::Png, format!("{e:?}")))?;
    let colorspace = decoder
        .colorspace()
        .ok_or_else(|| ImageError::internal("decoding", "zune-png returned no colour space"))?;
    let data = result
        .u8()
        .ok_or_else(|| ImageError::internal("decoding", "zune-png ignored strip-to-8-bit"))?;
    let (width, height) = (header.width, header.height);
    let bg = settings.background;
    let (layout, data) = match colorspace {
        ColorSpace::Luma => (Layout::Gray, data),
        ColorSpace::RGB => (Layout::Rgb, data),
        ColorSpace::LumaA => (
            Layout::Rgb,
            data.chunks_exact(2)
                .flat_map(|p| bg.map(|b| composite(p[0], b, p[1])))
                .collect(),
        ),
        ColorSpace::RGBA => (
            Layout::Rgb,
            data.chunks_exact(4)
                .flat_map(|p| [0, 1, 2].map(|c| composite(p[c], bg[c], p[3])))
                .collect(),
        ),
        other => {
            return Err(ImageError::unsupported(
                Format::Png,
                format!("{other:?} pixels"),
            ));
        }
    };
    checked_pixels(Format::Png, width, height, layout, data)
}

/// Source-over compositing of one 8-bit channel with alpha onto an opaque background.
fn composite(value: u8, background: u8, alpha: u8) -> u8 {
    let (v, b, a) = (u32::from(value), u32::from(background), u32::from(alpha));
    ((v * a + b * (255 - a) + 127) / 255) as u8
}

fn checked_pixels(
    format: Format,
    width: u32,
    height: u32,
    layout: Layout,
    data: Vec<u8>,
) -> Result<Pixels, ImageError> {
    let expected = width as usize * height as usize * layout.channels();
    if data.len() != expected {
        return Err(ImageError::corrupt(
            format,
            format!("decoded {} bytes, expected {expected}", data.len()),
        ));
    }
    Ok(Pixels {
        width,
        height,
        layout,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Limits, probe};

    #[test]
    fn compositing_blends_by_alpha() {
        assert_eq!(composite(200, 10, 255), 200);
        assert_eq!(composite(200, 10, 0), 10);
        assert_eq!(composite(255, 0, 128), 128);
    }

    #[test]
    fn both_jpeg_decoders_agree_on_every_flavour() {
        let settings = DecodeSettings {
            simd: true,
            background: [255; 3],
        };
        for (name, jpeg) in [
            (
                "baseline_420",
                &include_bytes!("../../testdata/fixtures/baseline_420.jpg")[..],
            ),
            (
                "baseline_444",
                include_bytes!("../../testdata/fixtures/baseline_444.jpg"),
            ),
            (
                "progressive",
                include_bytes!("../../testdata/fixtures/progressive.jpg"),
            ),
            (
                "grayscale",
                include_bytes!("../../testdata/fixtures/grayscale.jpg"),
            ),
        ] {
            let header = probe(jpeg, &Limits::default()).unwrap();
            let zune = decode_jpeg_zune(jpeg, &header, settings).unwrap();
            let libjpeg = decode_jpeg_libjpeg(jpeg, &header, 1).unwrap();
            assert_eq!(
                (zune.width, zune.height, zune.layout),
                (libjpeg.width, libjpeg.height, libjpeg.layout),
                "{name}"
            );
            let differences: Vec<u32> = zune
                .data
                .iter()
                .zip(&libjpeg.data)
                .map(|(a, b)| u32::from(a.abs_diff(*b)))
                .collect();
            let mean = f64::from(differences.iter().sum::<u32>()) / differences.len() as f64;
            let worst = differences.iter().max().copied().unwrap_or(0);
            // They differ only in IDCT and chroma upsampling rounding: 0.43 and 3 at most here.
            assert!(
                mean < 1.0 && worst <= 4,
                "{name}: mean {mean:.2}, worst {worst}"
            );
        }
    }

    #[test]
    fn a_libjpeg_fatal_error_is_a_corrupt_image_not_a_panic() {
        let mut jpeg = include_bytes!("../../testdata/fixtures/progressive.jpg").to_vec();
        let table = jpeg
            .windows(2)
            .position(|m| m == [0xFF, 0xC4])
            .expect("a Huffman table");
        // Table class 1, index 15: libjpeg stops with "Bogus DHT index 15"; the probe does not
        // read Huffman tables, so only the decoder can find this.
        jpeg[table + 4] = 0x1F;
        let header = probe(&jpeg, &Limits::default()).expect("the header still probes");
        let err = decode_jpeg_libjpeg(&jpeg, &header, 2).expect_err("a bogus table");
        assert!(
            matches!(&err, ImageError::Corrupt { detail, .. } if detail.contains("DHT")),
            "{err}"
        );
    }
}

//! AVIF renditions read back by libavif's decoder (libaom's AV1 decoder, not the encoder that
//! wrote them): the planned size, close to the JPEG, upright, sRGB signalled, no metadata, grey
//! kept grey; and the container's own size field agrees. Pillow, a second decoder with its own
//! libavif, reads the load test's renditions (`make test-loadtest`).
#![cfg(feature = "avif")]

use std::ffi::CStr;

use imaging::{Layout, OutputFormat, Pixels, RenderOptions, sample::photo_jpeg};
use libavif_sys as ffi;
use testdata::{
    assert_colour, avif_dimensions, decode_output, fixture, psnr, render_spec, rendered_file,
};

/// How far below the JPEG rendition's PSNR an AVIF at each format's default quality (both
/// look alike by SSIMULACRA2) may fall, against the q95 JPEG. AVIF smooths fine texture that
/// JPEG keeps as noise, which PSNR counts and the eye does not. Measured on the sample photo at
/// the defaults: JPEG q80 43.2 dB in 16,216 bytes, AVIF q77 43.5 dB in 6,868 bytes.
const AVIF_PSNR_BELOW_JPEG_DB: f64 = 2.0;

/// What the decoder says of an AVIF besides its pixels.
struct Decoded {
    pixels: Pixels,
    yuv_format: ffi::avifPixelFormat,
    full_range: bool,
    /// Colour primaries, transfer characteristics, matrix coefficients.
    cicp: (u32, u32, u32),
    /// Bytes of ICC profile, Exif and XMP.
    metadata: usize,
}

fn decode_avif(bytes: &[u8]) -> Decoded {
    fn ok(result: ffi::avifResult, what: &str) {
        if result != ffi::AVIF_RESULT_OK {
            // SAFETY: libavif returns a static string for every result.
            let text = unsafe { CStr::from_ptr(ffi::avifResultToString(result)) };
            panic!("{what}: {}", text.to_string_lossy());
        }
    }
    // SAFETY: the decoder, image and RGB buffer are created, used and destroyed here, in order;
    // `bytes` outlives the read.
    unsafe {
        let decoder = ffi::avifDecoderCreate();
        let image = ffi::avifImageCreateEmpty();
        ok(
            ffi::avifDecoderReadMemory(decoder, image, bytes.as_ptr(), bytes.len()),
            "decoding",
        );
        let im = &*image;
        let mut rgb = ffi::avifRGBImage::default();
        ffi::avifRGBImageSetDefaults(&mut rgb, image);
        rgb.format = ffi::AVIF_RGB_FORMAT_RGB;
        rgb.depth = 8;
        ok(ffi::avifRGBImageAllocatePixels(&mut rgb), "allocating");
        ok(ffi::avifImageYUVToRGB(image, &mut rgb), "to RGB");
        let mut data = Vec::with_capacity(im.width as usize * im.height as usize * 3);
        for row in 0..im.height as usize {
            let start = rgb.pixels.add(row * rgb.rowBytes as usize);
            data.extend_from_slice(std::slice::from_raw_parts(start, im.width as usize * 3));
        }
        let decoded = Decoded {
            pixels: Pixels {
                width: im.width,
                height: im.height,
                layout: Layout::Rgb,
                data,
            },
            yuv_format: im.yuvFormat,
            full_range: im.yuvRange == ffi::AVIF_RANGE_FULL,
            cicp: (
                u32::from(im.colorPrimaries),
                u32::from(im.transferCharacteristics),
                u32::from(im.matrixCoefficients),
            ),
            metadata: im.icc.size + im.exif.size + im.xmp.size,
        };
        ffi::avifRGBImageFreePixels(&mut rgb);
        ffi::avifImageDestroy(image);
        ffi::avifDecoderDestroy(decoder);
        decoded
    }
}

#[test]
fn the_defaults_decode_at_the_planned_size_close_to_the_jpeg() {
    let source = photo_jpeg(1200, 800, 3, 95).unwrap();
    let rendered = render_spec(
        &source,
        "big:600x600:jpeg+avif,ref:600x600:q95",
        &RenderOptions::default(),
    );
    let reference = decode_output(&rendered_file(&rendered, "ref", OutputFormat::Jpeg));
    let jpeg_bytes = rendered_file(&rendered, "big", OutputFormat::Jpeg);
    let avif_bytes = rendered_file(&rendered, "big", OutputFormat::Avif);
    let jpeg = decode_output(&jpeg_bytes);
    let avif = decode_avif(&avif_bytes);
    assert_eq!((avif.pixels.width, avif.pixels.height), (600, 400));
    assert_eq!(avif_dimensions(&avif_bytes), Ok((600, 400)));
    let (jpeg_db, avif_db) = (
        psnr(&jpeg.data, &reference.data),
        psnr(&avif.pixels.data, &reference.data),
    );
    eprintln!(
        "JPEG q80 {jpeg_db:.1} dB in {} bytes, AVIF default {avif_db:.1} dB in {} bytes",
        jpeg_bytes.len(),
        avif_bytes.len()
    );
    assert!(
        avif_db > jpeg_db - AVIF_PSNR_BELOW_JPEG_DB,
        "AVIF {avif_db:.1} dB against JPEG {jpeg_db:.1} dB"
    );
    assert!(avif_bytes.len() < jpeg_bytes.len());
}

#[test]
fn a_rendition_without_a_quality_gets_avifs_default() {
    let source = photo_jpeg(600, 400, 3, 95).unwrap();
    let default_quality = OutputFormat::Avif.default_quality();
    let rendered = render_spec(
        &source,
        &format!("default:300x300:avif,given:300x300:q{default_quality}:avif,q80:300x300:q80:avif"),
        &RenderOptions::default(),
    );
    let default = rendered_file(&rendered, "default", OutputFormat::Avif);
    assert_eq!(
        default,
        rendered_file(&rendered, "given", OutputFormat::Avif)
    );
    assert_ne!(default, rendered_file(&rendered, "q80", OutputFormat::Avif));
}

#[test]
fn avif_renditions_are_upright_srgb_and_carry_no_metadata() {
    for orientation in [1, 3, 6, 8] {
        let name = format!("orientation_{orientation}.jpg");
        let rendered = render_spec(&fixture(&name), "o:48x48:avif", &RenderOptions::default());
        let out = decode_avif(&rendered_file(&rendered, "o", OutputFormat::Avif));
        assert_eq!((out.pixels.width, out.pixels.height), (48, 32), "{name}");
        assert_eq!(out.metadata, 0, "{name}: no ICC, Exif or XMP");
        assert_eq!(out.cicp, (1, 13, 6), "{name}: sRGB, as the JPEG means");
        assert!(out.full_range, "{name}");
        assert_eq!(out.yuv_format, ffi::AVIF_PIXEL_FORMAT_YUV420, "{name}");
        assert_colour(&out.pixels, 2, 2, [255, 0, 0], 48, &name);
        assert_colour(&out.pixels, 45, 2, [0, 255, 0], 48, &name);
        assert_colour(&out.pixels, 2, 29, [0, 0, 255], 48, &name);
    }
}

#[test]
fn a_grey_source_is_a_grey_avif() {
    let rendered = render_spec(
        &fixture("grayscale.jpg"),
        "g:64x64:avif",
        &RenderOptions::default(),
    );
    let out = decode_avif(&rendered_file(&rendered, "g", OutputFormat::Avif));
    assert_eq!(out.yuv_format, ffi::AVIF_PIXEL_FORMAT_YUV400);
    assert!(
        out.pixels
            .data
            .chunks_exact(3)
            .all(|p| p[0] == p[1] && p[1] == p[2]),
        "a monochrome AV1 image decodes to equal channels"
    );
}

#[test]
fn a_slower_speed_makes_a_smaller_file_of_the_same_size() {
    let source = photo_jpeg(800, 600, 3, 95).unwrap();
    let encode = |avif_speed| {
        let options = RenderOptions {
            avif_speed,
            ..RenderOptions::default()
        };
        rendered_file(
            &render_spec(&source, "a:400x400:avif", &options),
            "a",
            OutputFormat::Avif,
        )
    };
    let (fast, slow) = (encode(9), encode(4));
    assert_eq!(avif_dimensions(&fast), avif_dimensions(&slow));
    assert!(
        slow.len() < fast.len(),
        "speed 4: {} bytes, speed 9: {}",
        slow.len(),
        fast.len()
    );
}

//! Decoding to 8-bit grey or RGB: zune-jpeg for full-size JPEG, jpeg-decoder where a DCT-scaled
//! decode (shrink-on-load) is wanted or zune-jpeg is wrong, zune-png for PNG with alpha
//! flattened onto a background.

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;

use super::error::ImageError;
use super::pixels::{Layout, Pixels};
use super::probe::{Format, Header};

/// How to decode: the SIMD switch and the colour transparent pixels are composited onto.
#[derive(Debug, Clone, Copy)]
pub struct DecodeSettings {
    /// Let zune-jpeg use its AVX2/NEON kernels; off runs its scalar code.
    pub simd: bool,
    pub background: [u8; 3],
}

fn corrupt(format: Format, err: impl std::fmt::Debug) -> ImageError {
    ImageError::Corrupt {
        format: format.name(),
        detail: format!("{err:?}"),
    }
}

/// Decodes the whole image, or with a JPEG at 1/`scale_denominator` of its size.
pub fn decode(
    bytes: &[u8],
    header: &Header,
    scale_denominator: u32,
    settings: DecodeSettings,
) -> Result<Pixels, ImageError> {
    match header.format {
        Format::Jpeg if scale_denominator > 1 || header.non_interleaved => {
            decode_jpeg_scaled(bytes, header, scale_denominator)
        }
        Format::Jpeg => decode_jpeg_full(bytes, header, settings),
        Format::Png => decode_png(bytes, header, settings),
    }
}

fn zune_options(header: &Header, simd: bool) -> DecoderOptions {
    DecoderOptions::default()
        .set_max_width(header.width as usize)
        .set_max_height(header.height as usize)
        .set_use_unsafe(simd)
}

fn decode_jpeg_full(
    bytes: &[u8],
    header: &Header,
    settings: DecodeSettings,
) -> Result<Pixels, ImageError> {
    let layout = if header.components == 1 {
        Layout::Gray
    } else {
        Layout::Rgb
    };
    let out_colorspace = match layout {
        Layout::Gray => ColorSpace::Luma,
        Layout::Rgb => ColorSpace::RGB,
    };
    let options = zune_options(header, settings.simd).jpeg_set_out_colorspace(out_colorspace);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    let data = decoder.decode().map_err(|e| corrupt(Format::Jpeg, e))?;
    checked_pixels(Format::Jpeg, header.width, header.height, layout, data)
}

fn decode_jpeg_scaled(
    bytes: &[u8],
    header: &Header,
    denominator: u32,
) -> Result<Pixels, ImageError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(|e| corrupt(Format::Jpeg, e))?;
    let want = |side: u32| side.div_ceil(denominator) as u16;
    if denominator > 1 {
        decoder
            .scale(want(header.width), want(header.height))
            .map_err(|e| corrupt(Format::Jpeg, e))?;
    }
    let data = decoder.decode().map_err(|e| corrupt(Format::Jpeg, e))?;
    let info = decoder
        .info()
        .ok_or_else(|| ImageError::internal("decoding", "jpeg-decoder returned no image info"))?;
    let (width, height) = (info.width, info.height);
    let layout = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Layout::Gray,
        jpeg_decoder::PixelFormat::RGB24 => Layout::Rgb,
        other => {
            return Err(ImageError::Unsupported {
                format: Format::Jpeg.name(),
                detail: format!("scaled decoding of {other:?} pixels"),
            });
        }
    };
    checked_pixels(Format::Jpeg, width.into(), height.into(), layout, data)
}

fn decode_png(
    bytes: &[u8],
    header: &Header,
    settings: DecodeSettings,
) -> Result<Pixels, ImageError> {
    let options = zune_options(header, settings.simd).png_set_strip_to_8bit(true);
    let mut decoder = zune_png::PngDecoder::new_with_options(ZCursor::new(bytes), options);
    let result = decoder.decode().map_err(|e| corrupt(Format::Png, e))?;
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
            return Err(ImageError::Unsupported {
                format: Format::Png.name(),
                detail: format!("{other:?} pixels"),
            });
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
        return Err(ImageError::Corrupt {
            format: format.name(),
            detail: format!("decoded {} bytes, expected {expected}", data.len()),
        });
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
    use super::composite;

    #[test]
    fn compositing_blends_by_alpha() {
        assert_eq!(composite(200, 10, 255), 200);
        assert_eq!(composite(200, 10, 0), 10);
        assert_eq!(composite(255, 0, 128), 128);
    }
}

//! The WebP header: the RIFF chunk table read by `image-webp` (which allocates nothing the size
//! of the image to do so), the canvas checked against the limits, and the ICCP and EXIF chunks.

use std::io::Cursor;

use image_webp::{DecodingError, WebPDecoder};

use super::{ANIMATION_WARNING, Header, Kind, Limits, check_dimensions};
use crate::error::ImageError;
use crate::format::Format;

const FMT: Format = Format::Webp;

/// The typed error for an `image-webp` failure: data that ends early is truncated, anything
/// else about the file is corrupt.
pub(crate) fn webp_error(error: DecodingError) -> ImageError {
    match error {
        DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::truncated(FMT, "the file ends inside a chunk")
        }
        other => ImageError::corrupt(FMT, other.to_string()),
    }
}

pub(super) fn header(bytes: &[u8], limits: &Limits) -> Result<Header, ImageError> {
    // image-webp reads a cut chunk as a corrupt bitstream; the RIFF size tells them apart, as
    // it does for libwebp, which refuses a file shorter than it says.
    let declared = u64::from(u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]])) + 8;
    if declared > bytes.len() as u64 {
        return Err(ImageError::truncated(
            FMT,
            format!(
                "the file is {} bytes, its RIFF header says {declared}",
                bytes.len()
            ),
        ));
    }
    let mut decoder = WebPDecoder::new(Cursor::new(bytes)).map_err(webp_error)?;
    // A metadata chunk is read whole into memory at the size its header claims; no real one
    // is larger than the file.
    decoder.set_memory_limit(bytes.len());
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;
    let mut warnings = Vec::new();
    let animated = decoder.is_animated();
    if animated {
        warnings.push(ANIMATION_WARNING.to_owned());
    }
    let icc = decoder.icc_profile().map_err(webp_error)?;
    let exif = decoder
        .exif_metadata()
        .map_err(webp_error)?
        .map(without_exif_prefix);
    Ok(Header {
        kind: Kind::Webp {
            lossy: decoder.is_lossy(),
            alpha: decoder.has_alpha(),
            animated,
        },
        width,
        height,
        exif,
        icc,
        warnings,
    })
}

/// The EXIF chunk holds the TIFF block; some writers keep JPEG's `Exif\0\0` before it.
fn without_exif_prefix(mut exif: Vec<u8>) -> Vec<u8> {
    if exif.starts_with(b"Exif\0\0") {
        exif.drain(..6);
    }
    exif
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::probe;

    /// A lossless file claiming `width`x`height`, with no image data after its header.
    fn lossless_claiming(width: u32, height: u32) -> Vec<u8> {
        let mut riff = b"WEBPVP8L".to_vec();
        riff.extend_from_slice(&5u32.to_le_bytes());
        riff.push(0x2f);
        riff.extend_from_slice(&((width - 1) | (height - 1) << 14).to_le_bytes());
        let mut file = b"RIFF".to_vec();
        file.extend_from_slice(&(riff.len() as u32).to_le_bytes());
        file.extend(riff);
        file
    }

    #[test]
    fn the_canvas_is_checked_against_the_limits_before_anything_is_decoded() {
        let err = probe(&lossless_claiming(16_000, 16_000), &Limits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                ImageError::TooManyPixels {
                    pixels: 256_000_000,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_riff_that_is_not_webp_is_unknown() {
        let mut file = lossless_claiming(10, 10);
        file[8..12].copy_from_slice(b"WAVE");
        let err = probe(&file, &Limits::default()).unwrap_err();
        assert!(matches!(err, ImageError::UnknownFormat), "{err}");
    }

    #[test]
    fn the_exif_prefix_some_writers_keep_is_dropped() {
        assert_eq!(without_exif_prefix(b"Exif\0\0MM\0*".to_vec()), b"MM\0*");
        assert_eq!(without_exif_prefix(b"II*\0".to_vec()), b"II*\0");
    }
}

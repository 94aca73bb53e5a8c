//! The GIF header: the logical screen and the first frame's descriptor, read by the `gif`
//! crate without decoding any pixel, and the canvas they span checked against the limits.

use std::io::Cursor;
use std::num::NonZeroU64;

use gif::{ColorOutput, DecodeOptions, DecodingError, MemoryLimit};

use super::{Header, Kind, Limits, check_dimensions};
use crate::error::ImageError;
use crate::format::Format;

const FMT: Format = Format::Gif;

/// The typed error for a `gif` crate failure: data that ends early is truncated, anything else
/// about the file is corrupt.
pub(crate) fn gif_error(error: DecodingError) -> ImageError {
    match error {
        DecodingError::UnexpectedEof => {
            ImageError::truncated(FMT, "the file ends before its first frame does")
        }
        DecodingError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::truncated(FMT, "the file ends before its first frame does")
        }
        DecodingError::OutOfMemory | DecodingError::MemoryLimit => {
            ImageError::internal("decoding", "the gif crate's allocation limit")
        }
        other => ImageError::corrupt(FMT, other.to_string()),
    }
}

/// A decoder set up as the core reads GIFs: palette indices out (one byte a pixel; RGBA output
/// would hold five), frames allowed past the logical screen (browsers draw them; the canvas
/// grows instead), and no frame buffer over `max_bytes`.
pub(crate) fn reader(
    bytes: &[u8],
    max_bytes: u64,
) -> Result<gif::Decoder<Cursor<&[u8]>>, ImageError> {
    let mut options = DecodeOptions::new();
    options.set_color_output(ColorOutput::Indexed);
    options.check_frame_consistency(false);
    options.set_memory_limit(
        NonZeroU64::new(max_bytes).map_or(MemoryLimit::Unlimited, MemoryLimit::Bytes),
    );
    options.read_info(Cursor::new(bytes)).map_err(gif_error)
}

/// Where the first frame lies on the canvas, in canvas pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRect {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

/// The canvas the first frame is drawn on: the logical screen, grown to hold the frame when
/// the frame reaches past it, as browsers grow it.
fn canvas(screen: (u16, u16), frame: FrameRect) -> (u32, u32) {
    (
        u32::from(screen.0).max(frame.left + frame.width),
        u32::from(screen.1).max(frame.top + frame.height),
    )
}

pub(super) fn header(bytes: &[u8], limits: &Limits) -> Result<Header, ImageError> {
    // The descriptors are read before any pixel, so the limits are checked first; the frame
    // buffer can then be no larger than a canvas the limits admit.
    let mut decoder = reader(bytes, limits.max_pixels)?;
    let screen = (decoder.width(), decoder.height());
    let frame = decoder
        .next_frame_info()
        .map_err(gif_error)?
        .map(|f| FrameRect {
            left: f.left.into(),
            top: f.top.into(),
            width: f.width.into(),
            height: f.height.into(),
        })
        .ok_or_else(|| ImageError::corrupt(FMT, "no image in the file"))?;
    let (width, height) = canvas(screen, frame);
    if width == 0 || height == 0 {
        return Err(ImageError::corrupt(
            FMT,
            "a first frame of zero width or height",
        ));
    }
    check_dimensions(width, height, limits)?;
    let mut warnings = Vec::new();
    if (width, height) != (screen.0.into(), screen.1.into()) {
        warnings.push(format!(
            "the first frame reaches past the {}x{} logical screen: the canvas is {width}x{height}",
            screen.0, screen.1
        ));
    }
    Ok(Header {
        kind: Kind::Gif { first_frame: frame },
        width,
        height,
        exif: None,
        icc: decoder.icc_profile().map(<[u8]>::to_vec),
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::probe;

    /// A GIF whose screen is `screen` and whose one frame is `frame`, its pixels all index 0.
    fn gif_with(screen: (u16, u16), frame: [u16; 4]) -> Vec<u8> {
        let mut file = b"GIF89a".to_vec();
        file.extend_from_slice(&screen.0.to_le_bytes());
        file.extend_from_slice(&screen.1.to_le_bytes());
        // A global table of two colours: black and white.
        file.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
        file.push(0x2C);
        for value in frame {
            file.extend_from_slice(&value.to_le_bytes());
        }
        file.push(0);
        // LZW, minimum code size 2: clear, 0, end (codes 4, 0, 5 in three bits each).
        file.extend_from_slice(&[2, 2, 0x44, 0x01, 0, 0x3B]);
        file
    }

    #[test]
    fn the_screen_is_checked_against_the_limits_before_any_pixel() {
        let err = probe(
            &gif_with((60_000, 60_000), [0, 0, 1, 1]),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, ImageError::TooWide { width: 60_000, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_frame_past_the_screen_grows_the_canvas_and_says_so() {
        let header = probe(&gif_with((4, 4), [2, 1, 6, 5]), &Limits::default()).unwrap();
        assert_eq!((header.width, header.height), (8, 6));
        assert_eq!(header.warnings.len(), 1, "{:?}", header.warnings);
        // A frame that would make the canvas too large is refused the same way.
        let err = probe(&gif_with((4, 4), [60_000, 0, 10, 1]), &Limits::default()).unwrap_err();
        assert!(matches!(err, ImageError::TooWide { .. }), "{err}");
    }

    #[test]
    fn a_file_that_ends_before_its_first_frame_is_truncated() {
        // The header and the colour table, then a trailer or nothing: no frame to render.
        let file = gif_with((1, 1), [0, 0, 1, 1]);
        for cut in [file[..19].to_vec(), [&file[..19], &[0x3B]].concat()] {
            let err = probe(&cut, &Limits::default()).unwrap_err();
            assert!(matches!(err, ImageError::Truncated { .. }), "{err}");
        }
    }
}

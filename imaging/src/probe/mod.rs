//! Reads only an image's header, so oversized or malformed inputs are refused before any
//! pixel buffer is allocated. One file per format; JPEG and PNG tolerate what libjpeg and
//! libpng tolerate (junk between JPEG segments, a missing end marker) and say so in `warnings`.

mod gif;
mod jpeg;
mod png;
mod webp;

use contract::defaults;

pub use self::gif::FrameRect;
pub(crate) use self::gif::{gif_error, reader as gif_reader};
pub(crate) use self::png::png_error;
pub(crate) use self::webp::webp_error;

use crate::error::ImageError;

/// The warning for an animated source, whose renditions are stills.
pub(crate) const ANIMATION_WARNING: &str = "an animation: the renditions show its first frame";

/// What may be decoded. A file over any limit is refused from its header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Width times height.
    pub max_pixels: u64,
    pub max_width: u32,
    pub max_height: u32,
    /// The size of the encoded file.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_pixels: defaults::MAX_PIXELS,
            max_width: defaults::MAX_SIDE,
            max_height: defaults::MAX_SIDE,
            max_bytes: defaults::MAX_BYTES as usize,
        }
    }
}

/// How a JPEG frame's data is coded (its SOF marker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JpegCoding {
    /// Huffman-coded DCT, baseline or extended, sequential or progressive.
    Huffman,
    /// Arithmetic-coded DCT, sequential or progressive.
    Arithmetic,
    /// Lossless (predictive) coding, any precision from 2 to 16 bits.
    Lossless,
}

/// The facts about a source image that planning needs, read from its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Jpeg {
        coding: JpegCoding,
        /// Coefficients refined over several scans: libjpeg holds them all before any pixel.
        progressive: bool,
        /// The colour components: 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK.
        components: u8,
        /// Restart markers (a DRI segment): damaged data can be resynchronised at the next one.
        restart_markers: bool,
        /// Adobe's APP14 colour transform flag; Adobe writes CMYK inverted.
        adobe: bool,
        /// Bits per sample (8 but for lossless files).
        precision: u8,
        /// The end-of-image marker is there; when not, the scans were checked to be complete.
        ended: bool,
        /// What libjpeg holds of a file coded in several scans (progressive, or one component
        /// per scan) before it outputs a row: every DCT coefficient, in bytes. 0 for a file
        /// coded in one scan, which it decodes a row of blocks at a time.
        coefficient_bytes: u64,
    },
    Png {
        bit_depth: u8,
        /// Samples per pixel as stored: 1 grey or palette, 2 grey with alpha, 3 RGB, 4 RGBA.
        channels: u8,
        palette: bool,
        /// A tRNS chunk: a colour key or palette alpha, which decodes to an alpha channel.
        transparency: bool,
        interlaced: bool,
    },
    Webp {
        /// VP8 (lossy) rather than VP8L (lossless) image data.
        lossy: bool,
        alpha: bool,
        /// Several frames; the first is rendered.
        animated: bool,
    },
    Gif {
        /// Where the first frame, the one rendered, lies on the canvas.
        first_frame: FrameRect,
    },
}

/// The facts about a source image that planning needs, read from its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
    /// The TIFF payload of the EXIF block (JPEG APP1 `Exif`, PNG `eXIf`).
    pub exif: Option<Vec<u8>>,
    /// The embedded ICC profile, when its pieces are complete and consistent (JPEG APP2 chunks
    /// reassembled, PNG `iCCP` inflated); whether it is a usable profile is decided later.
    pub icc: Option<Vec<u8>>,
    /// What libjpeg or libpng would warn about and read past, in words.
    pub warnings: Vec<String>,
}

impl Header {
    pub fn format(&self) -> crate::Format {
        match self.kind {
            Kind::Jpeg { .. } => crate::Format::Jpeg,
            Kind::Png { .. } => crate::Format::Png,
            Kind::Webp { .. } => crate::Format::Webp,
            Kind::Gif { .. } => crate::Format::Gif,
        }
    }
}

const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8];
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const GIF_MAGICS: [&[u8]; 2] = [b"GIF87a", b"GIF89a"];

/// RIFF, the chunk size, then the form type WEBP.
fn is_webp(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP"
}

/// Identifies the format, reads the dimensions, and applies every limit.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Header, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooManyBytes {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    if bytes.starts_with(JPEG_MAGIC) {
        jpeg::header(bytes, limits)
    } else if bytes.starts_with(PNG_MAGIC) {
        png::header(bytes, limits)
    } else if is_webp(bytes) {
        webp::header(bytes, limits)
    } else if GIF_MAGICS.iter().any(|magic| bytes.starts_with(magic)) {
        gif::header(bytes, limits)
    } else {
        Err(ImageError::UnknownFormat)
    }
}

fn check_dimensions(width: u32, height: u32, limits: &Limits) -> Result<(), ImageError> {
    if width > limits.max_width || height > limits.max_height {
        return Err(ImageError::TooWide {
            width,
            height,
            max_width: limits.max_width,
            max_height: limits.max_height,
        });
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(ImageError::TooManyPixels {
            width,
            height,
            pixels,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

fn be16(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal JPEG header claiming the given size, with no pixel data at all.
    fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        bytes
    }

    #[test]
    fn a_pixel_flood_header_is_refused_from_its_header() {
        let limits = Limits {
            max_width: u32::MAX,
            max_height: u32::MAX,
            ..Limits::default()
        };
        let err = probe(&jpeg_claiming(64000, 64000), &limits).unwrap_err();
        assert!(
            matches!(
                err,
                ImageError::TooManyPixels {
                    pixels: 4_096_000_000,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn width_and_byte_limits_apply() {
        let err = probe(&jpeg_claiming(30000, 10), &Limits::default()).unwrap_err();
        assert!(
            matches!(err, ImageError::TooWide { width: 30000, .. }),
            "{err}"
        );
        let limits = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        let bytes = jpeg_claiming(10, 10);
        let err = probe(&bytes, &limits).unwrap_err();
        assert!(
            matches!(err, ImageError::TooManyBytes { size, limit: 10 } if size == bytes.len()),
            "{err}"
        );
    }

    #[test]
    fn a_header_without_scan_is_truncated() {
        let err = probe(&jpeg_claiming(10, 10), &Limits::default()).unwrap_err();
        assert!(matches!(err, ImageError::Truncated { .. }), "{err}");
    }

    #[test]
    fn unknown_and_empty_inputs() {
        assert!(matches!(
            probe(b"", &Limits::default()),
            Err(ImageError::Empty)
        ));
        assert!(matches!(
            probe(b"BM6\0\0\0\0\0", &Limits::default()),
            Err(ImageError::UnknownFormat)
        ));
    }
}

//! Reads only an image's header, so oversized or malformed inputs are refused before any
//! pixel buffer is allocated.

use contract::defaults;

use crate::error::ImageError;
use crate::format::Format;

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

/// The facts about a source image that planning needs, read from its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    /// JPEG only: the number of colour components (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK).
    pub components: u8,
    /// JPEG only: a sequential frame coded one component per scan. zune-jpeg 0.5.15 decodes
    /// these to wrong colours without an error (zune-image issues 419/422/448).
    pub non_interleaved: bool,
    /// JPEG only: a progressive frame (coefficients refined over several scans).
    pub progressive: bool,
    /// The TIFF payload of the EXIF block (JPEG APP1 `Exif`, PNG `eXIf`).
    pub exif: Option<Vec<u8>>,
    /// The embedded ICC profile (JPEG APP2 chunks reassembled, PNG `iCCP` inflated).
    pub icc: Option<Vec<u8>>,
}

const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

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
    let header = if bytes.starts_with(JPEG_MAGIC) {
        jpeg_header(bytes, limits)?
    } else if bytes.starts_with(PNG_MAGIC) {
        let mut header = png_header(bytes)?;
        check_dimensions(header.width, header.height, limits)?;
        read_png_metadata(bytes, &mut header)?;
        header
    } else {
        return Err(ImageError::UnknownFormat);
    };
    Ok(header)
}

/// PNG keeps EXIF and ICC in chunks before the pixel data; zune-png reads them (and
/// decompresses the ICC profile) without touching the image data.
fn read_png_metadata(bytes: &[u8], header: &mut Header) -> Result<(), ImageError> {
    let options = zune_core::options::DecoderOptions::default()
        .set_max_width(header.width as usize)
        .set_max_height(header.height as usize);
    let mut decoder =
        zune_png::PngDecoder::new_with_options(zune_core::bytestream::ZCursor::new(bytes), options);
    decoder
        .decode_headers()
        .map_err(|e| ImageError::corrupt(Format::Png, format!("{e:?}")))?;
    if let Some(info) = decoder.info() {
        header.exif = info.exif.clone();
        header.icc = info.icc_profile.clone();
    }
    Ok(())
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

/// Walks the JPEG marker segments up to the first scan, collecting the frame header (checked
/// against the limits as soon as it is read), EXIF and ICC, then checks that an end-of-image marker follows the scan data: zune-jpeg fills a
/// truncated scan with grey rather than failing, and a half-grey rendition is worse than none.
fn jpeg_header(bytes: &[u8], limits: &Limits) -> Result<Header, ImageError> {
    let fmt = Format::Jpeg;
    let mut at = 2;
    let mut frame: Option<(u32, u32, u8, bool)> = None;
    let mut exif = None;
    let mut icc_chunks: Vec<(u8, &[u8])> = Vec::new();
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if at + 4 > bytes.len() {
            return Err(ImageError::truncated(
                fmt,
                "the file ends inside its headers",
            ));
        }
        if bytes[at] != 0xFF {
            return Err(ImageError::corrupt(
                fmt,
                format!("expected a marker at byte {at}"),
            ));
        }
        let marker = bytes[at + 1];
        let length = usize::from(be16(bytes, at + 2));
        let body_start = at + 4;
        let body_end = at + 2 + length;
        if length < 2 {
            return Err(ImageError::corrupt(
                fmt,
                format!("a segment at byte {at} has length {length}"),
            ));
        }
        if body_end > bytes.len() {
            return Err(ImageError::truncated(
                fmt,
                "the file ends inside a header segment",
            ));
        }
        let body = &bytes[body_start..body_end];
        match marker {
            0xC0..=0xC2 => {
                if body.len() < 6 {
                    return Err(ImageError::corrupt(fmt, "short frame header"));
                }
                if body[0] != 8 {
                    return Err(ImageError::unsupported(
                        fmt,
                        format!("{}-bit samples", body[0]),
                    ));
                }
                let height = u32::from(be16(body, 1));
                let width = u32::from(be16(body, 3));
                if width == 0 || height == 0 {
                    return Err(ImageError::unsupported(
                        fmt,
                        "zero or deferred (DNL) image height",
                    ));
                }
                // Refuse a pixel flood here, before reading further or allocating anything.
                check_dimensions(width, height, limits)?;
                let progressive = marker == 0xC2;
                frame = Some((width, height, body[5], progressive));
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(ImageError::unsupported(
                    fmt,
                    format!(
                        "lossless, hierarchical or arithmetic-coded frames (SOF marker 0x{marker:02X})"
                    ),
                ));
            }
            0xE1 if body.starts_with(b"Exif\0\0") && exif.is_none() => {
                exif = Some(body[6..].to_vec());
            }
            0xE2 if body.starts_with(b"ICC_PROFILE\0") && body.len() > 14 => {
                icc_chunks.push((body[12], &body[14..]));
            }
            0xDA => {
                let (width, height, components, progressive) = frame
                    .ok_or_else(|| ImageError::corrupt(fmt, "scan data before the frame header"))?;
                let scan_components = body.first().copied().unwrap_or(0);
                if !has_end_marker(&bytes[body_end..]) {
                    return Err(ImageError::truncated(
                        fmt,
                        "no end-of-image marker after the scan data",
                    ));
                }
                icc_chunks.sort_by_key(|(sequence, _)| *sequence);
                let icc = (!icc_chunks.is_empty()).then(|| {
                    icc_chunks
                        .iter()
                        .flat_map(|(_, data)| *data)
                        .copied()
                        .collect()
                });
                return Ok(Header {
                    format: fmt,
                    width,
                    height,
                    components,
                    non_interleaved: !progressive && scan_components < components,
                    progressive,
                    exif,
                    icc,
                });
            }
            0xD9 => {
                return Err(ImageError::corrupt(
                    fmt,
                    "end-of-image marker before any scan",
                ));
            }
            _ => {}
        }
        at = body_end;
    }
}

/// Inside entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so a 0xFF 0xD9
/// pair after the first scan can only be the end-of-image marker.
fn has_end_marker(scan_data: &[u8]) -> bool {
    scan_data.windows(2).any(|pair| pair == [0xFF, 0xD9])
}

/// Hops over the chunk headers (without reading their data) to find an intact IEND chunk.
fn has_end_chunk(bytes: &[u8]) -> bool {
    let mut at = PNG_MAGIC.len();
    while at + 12 <= bytes.len() {
        let length = be32(bytes, at) as usize;
        if &bytes[at + 4..at + 8] == b"IEND" {
            return true;
        }
        at = match at.checked_add(12 + length) {
            Some(next) => next,
            None => return false,
        };
    }
    false
}

fn png_header(bytes: &[u8]) -> Result<Header, ImageError> {
    let fmt = Format::Png;
    // Signature (8) + IHDR chunk length (4) + type (4) + width (4) + height (4).
    if bytes.len() < 33 {
        return Err(ImageError::truncated(
            fmt,
            "the file ends inside its header",
        ));
    }
    if &bytes[12..16] != b"IHDR" {
        return Err(ImageError::corrupt(fmt, "the first chunk is not IHDR"));
    }
    let width = be32(bytes, 16);
    let height = be32(bytes, 20);
    if width == 0 || height == 0 {
        return Err(ImageError::corrupt(fmt, "zero width or height"));
    }
    if !has_end_chunk(bytes) {
        return Err(ImageError::truncated(
            fmt,
            "the chunks stop before the IEND chunk",
        ));
    }
    Ok(Header {
        format: fmt,
        width,
        height,
        components: 0,
        non_interleaved: false,
        progressive: false,
        exif: None,
        icc: None,
    })
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
            probe(b"GIF89a....", &Limits::default()),
            Err(ImageError::UnknownFormat)
        ));
    }

    #[test]
    fn png_ihdr_dimensions_are_read() {
        let mut png = PNG_MAGIC.to_vec();
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        png.extend_from_slice(&[0, 0, 0, 0]);
        png.extend_from_slice(b"IEND");
        png.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
        let err = probe(&png, &Limits::default()).unwrap_err();
        assert!(
            matches!(err, ImageError::TooWide { width: 100_000, .. }),
            "{err}"
        );
    }
}

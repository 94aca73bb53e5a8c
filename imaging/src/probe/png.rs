//! The PNG header: IHDR checked against the limits, the chunk list walked as libpng walks it
//! (a bad CRC fails a critical chunk and drops an ancillary one, a missing IEND is read past),
//! and the profile and EXIF chunks read by the `png` crate.

use std::io::Cursor;

use png::DecodingError;

use super::{Header, Kind, Limits, PNG_MAGIC, be32, check_dimensions};
use crate::error::ImageError;
use crate::format::Format;

const FMT: Format = Format::Png;

/// The typed error for a `png` crate failure: data that ends early is truncated, anything
/// else about the file is corrupt.
pub(crate) fn png_error(error: &DecodingError) -> ImageError {
    match error {
        DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::truncated(FMT, "the image data ends before its last row")
        }
        DecodingError::LimitsExceeded => {
            ImageError::internal("decoding", "the png crate's allocation limit")
        }
        other => ImageError::corrupt(FMT, other.to_string()),
    }
}

/// IHDR's fields that planning needs.
struct Ihdr {
    width: u32,
    height: u32,
    bit_depth: u8,
    colour_type: u8,
    interlaced: bool,
}

fn ihdr(body: &[u8]) -> Result<Ihdr, ImageError> {
    let (bit_depth, colour_type) = (body[8], body[9]);
    let depth_ok = match colour_type {
        0 => matches!(bit_depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(bit_depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(bit_depth, 8 | 16),
        _ => false,
    };
    if !depth_ok {
        return Err(ImageError::corrupt(
            FMT,
            format!("colour type {colour_type} with bit depth {bit_depth}"),
        ));
    }
    if body[10] != 0 || body[11] != 0 || body[12] > 1 {
        return Err(ImageError::corrupt(
            FMT,
            "unknown compression, filter or interlace method",
        ));
    }
    let (width, height) = (be32(body, 0), be32(body, 4));
    if width == 0 || height == 0 || width > i32::MAX as u32 || height > i32::MAX as u32 {
        return Err(ImageError::corrupt(
            FMT,
            "zero or out-of-range width or height",
        ));
    }
    Ok(Ihdr {
        width,
        height,
        bit_depth,
        colour_type,
        interlaced: body[12] == 1,
    })
}

/// What the chunk walk found besides IHDR.
#[derive(Default)]
struct Walk {
    transparency: bool,
    ended: bool,
    warnings: Vec<String>,
}

/// Hops over the chunks after IHDR. CRCs are checked here for every chunk but IDAT, whose
/// checksum the decoder verifies as it reads: libpng fails a critical chunk with a bad CRC and
/// warns about and ignores an ancillary one, and so does the `png` crate (silently).
fn walk(bytes: &[u8], mut at: usize) -> Result<Walk, ImageError> {
    let mut found = Walk::default();
    while at + 12 <= bytes.len() {
        let length = be32(bytes, at) as usize;
        let kind = &bytes[at + 4..at + 8];
        let Some(end) = (at + 12)
            .checked_add(length)
            .filter(|&end| end <= bytes.len())
        else {
            break; // A chunk cut short: only the decoder can tell whether its rows are complete.
        };
        let name = String::from_utf8_lossy(kind);
        let critical = kind[0].is_ascii_uppercase();
        if kind != b"IDAT" {
            let stored = be32(bytes, end - 4);
            if crc32fast::hash(&bytes[at + 4..end - 4]) != stored {
                if critical {
                    return Err(ImageError::corrupt(
                        FMT,
                        format!("CRC error in chunk {name}"),
                    ));
                }
                found.warnings.push(format!(
                    "CRC error in ancillary chunk {name}; it was ignored"
                ));
            }
        }
        match kind {
            b"tRNS" => found.transparency = true,
            b"IEND" => {
                found.ended = true;
                break;
            }
            _ => {}
        }
        at = end;
    }
    if !found.ended {
        found
            .warnings
            .push("no IEND chunk at the end of the file".to_owned());
    }
    Ok(found)
}

pub(super) fn header(bytes: &[u8], limits: &Limits) -> Result<Header, ImageError> {
    // Signature (8), then IHDR: length (4), type (4), 13 bytes of fields, CRC (4).
    if bytes.len() < PNG_MAGIC.len() + 25 {
        return Err(ImageError::truncated(
            FMT,
            "the file ends inside its header",
        ));
    }
    if &bytes[12..16] != b"IHDR" {
        return Err(ImageError::corrupt(FMT, "the first chunk is not IHDR"));
    }
    // IHDR's length field is read, not trusted: a damaged one must not reach past the file.
    if be32(bytes, 8) != 13 {
        return Err(ImageError::corrupt(
            FMT,
            "an IHDR chunk that is not 13 bytes",
        ));
    }
    let fields = ihdr(&bytes[16..29])?;
    check_dimensions(fields.width, fields.height, limits)?;
    let walk = walk(bytes, PNG_MAGIC.len())?;
    let (icc, exif) = metadata(bytes)?;
    let channels = match fields.colour_type {
        0 | 3 => 1,
        4 => 2,
        2 => 3,
        _ => 4,
    };
    Ok(Header {
        kind: Kind::Png {
            bit_depth: fields.bit_depth,
            channels,
            palette: fields.colour_type == 3,
            transparency: walk.transparency,
            interlaced: fields.interlaced,
        },
        width: fields.width,
        height: fields.height,
        exif,
        icc,
        warnings: walk.warnings,
    })
}

/// The inflated `iCCP` profile and the `eXIf` block: the `png` crate reads the chunks before
/// the first IDAT and stops there, without touching pixel data.
type Metadata = (Option<Vec<u8>>, Option<Vec<u8>>);

fn metadata(bytes: &[u8]) -> Result<Metadata, ImageError> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_ignore_text_chunk(true);
    let reader = decoder.read_info().map_err(|e| png_error(&e))?;
    let info = reader.info();
    Ok((
        info.icc_profile.as_deref().map(<[u8]>::to_vec),
        info.exif_metadata.as_deref().map(<[u8]>::to_vec),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::probe;

    fn chunk(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = (body.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        let crc = crc32fast::hash(&out[4..]);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }

    fn png_with(width: u32, height: u32, depth: u8, colour: u8, rest: &[Vec<u8>]) -> Vec<u8> {
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[depth, colour, 0, 0, 0]);
        let mut png = PNG_MAGIC.to_vec();
        png.extend(chunk(b"IHDR", &ihdr));
        rest.iter().for_each(|c| png.extend_from_slice(c));
        png
    }

    #[test]
    fn ihdr_dimensions_are_checked_before_anything_else() {
        let png = png_with(100_000, 100_000, 8, 2, &[chunk(b"IEND", &[])]);
        let err = probe(&png, &Limits::default()).unwrap_err();
        assert!(
            matches!(err, ImageError::TooWide { width: 100_000, .. }),
            "{err}"
        );
    }

    #[test]
    fn an_ihdr_length_past_the_end_of_a_small_file_is_corrupt() {
        let mut png = png_with(1, 1, 8, 0, &[chunk(b"IEND", &[])]);
        png[8] ^= 0x10;
        let err = probe(&png, &Limits::default()).unwrap_err();
        assert!(matches!(err, ImageError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn impossible_bit_depths_are_corrupt() {
        let png = png_with(1, 1, 16, 3, &[chunk(b"IEND", &[])]);
        let err = probe(&png, &Limits::default()).unwrap_err();
        assert!(matches!(err, ImageError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn a_bad_crc_fails_a_critical_chunk_and_drops_an_ancillary_one() {
        let mut text = chunk(b"tEXt", b"k\0v");
        *text.last_mut().unwrap() ^= 1;
        let walked = walk(&png_with(1, 1, 8, 0, &[text, chunk(b"IEND", &[])]), 8).unwrap();
        assert_eq!(walked.warnings.len(), 1, "{:?}", walked.warnings);

        let mut palette = chunk(b"PLTE", &[0, 0, 0]);
        *palette.last_mut().unwrap() ^= 1;
        let err = walk(&png_with(1, 1, 8, 3, &[palette]), 8).err().unwrap();
        assert!(err.to_string().contains("CRC error in chunk PLTE"), "{err}");
    }

    #[test]
    fn a_missing_iend_is_a_warning_and_trns_is_seen() {
        let walked = walk(&png_with(1, 1, 16, 0, &[chunk(b"tRNS", &[0, 0x34])]), 8).unwrap();
        assert!(walked.transparency && !walked.ended);
        assert_eq!(walked.warnings, ["no IEND chunk at the end of the file"]);
    }
}

//! PNG through the `png` crate, one row at a time: each row is expanded (palette, low bit
//! depths, transparency keys), cut to 8 bits and flattened onto the background as it arrives,
//! so the only image-sized buffer is the 8-bit result.

use std::io::Cursor;

use png::{ColorType, InterlaceInfo, Transformations};

use super::alpha::{composite, rgba_onto};
use super::profiled;
use crate::colour::Colour;
use crate::error::ImageError;
use crate::format::Format;
use crate::pixels::{Layout, Pixels};
use crate::probe::{Header, Kind, png_error};

const FMT: Format = Format::Png;

pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    background: [u8; 3],
    warnings: &mut Vec<String>,
) -> Result<(Pixels, Colour), ImageError> {
    let Kind::Png { interlaced, .. } = header.kind else {
        return Err(ImageError::internal(
            "decoding",
            "a JPEG header in the PNG decoder",
        ));
    };
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    // STRIP_16 compares a 16-bit transparency key against the full 16-bit samples before
    // cutting them (zune-png 0.5 compared it against byte-swapped ones).
    decoder.set_transformations(Transformations::EXPAND | Transformations::STRIP_16);
    decoder.set_ignore_text_chunk(true);
    // The probe has read the profile already.
    decoder.set_ignore_iccp_chunk(true);
    let mut reader = decoder.read_info().map_err(|e| png_error(&e))?;
    let (colour_type, _) = reader.output_color_type();
    let (width, height) = (header.width as usize, header.height as usize);
    let layout = match colour_type {
        ColorType::Grayscale => Layout::Gray,
        _ => Layout::Rgb,
    };
    let stride = width * layout.channels();
    let mut data = Vec::new();
    data.try_reserve_exact(stride * height)
        .map_err(|e| ImageError::internal("decoding", e))?;
    data.resize(stride * height, 0);
    let mut flat = vec![0; stride];
    let mut line = 0;
    // Exactly as many rows as the image has: asking for one more would make the decoder read
    // on to the chunk after the image data, which libpng does not need either.
    for _ in 0..row_count(header.width, header.height, interlaced) {
        let row = reader
            .next_interlaced_row()
            .map_err(|e| png_error(&e))?
            .ok_or_else(|| ImageError::truncated(FMT, "the image data ends before its last row"))?;
        let pixels = flatten(row.data(), colour_type, background, &mut flat)?;
        match row.interlace() {
            InterlaceInfo::Null(_) => {
                let at = line * stride;
                data[at..at + pixels.len()].copy_from_slice(pixels);
                line += 1;
            }
            InterlaceInfo::Adam7(pass) => {
                let bits = (layout.channels() * 8) as u8;
                png::expand_interlaced_row(&mut data, stride, pixels, pass, bits);
            }
        }
    }
    profiled(FMT, header, layout, data, warnings)
}

/// The Adam7 passes: first column, first row, column step, row step.
const ADAM7: [(u32, u32, u32, u32); 7] = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
];

/// How many rows the decoder hands over: one per line, or one per line of each non-empty pass.
fn row_count(width: u32, height: u32, interlaced: bool) -> u32 {
    if !interlaced {
        return height;
    }
    ADAM7
        .iter()
        .filter(|&&(x, y, _, _)| width > x && height > y)
        .map(|&(_, y, _, dy)| (height - y).div_ceil(dy))
        .sum()
}

/// One expanded 8-bit row as grey or RGB, alpha composited onto `background`. Returns the
/// flattened samples (a prefix of `out`: rows of an interlaced pass are shorter).
fn flatten<'a>(
    row: &[u8],
    colour_type: ColorType,
    background: [u8; 3],
    out: &'a mut [u8],
) -> Result<&'a [u8], ImageError> {
    let written = match colour_type {
        ColorType::Grayscale | ColorType::Rgb => {
            out[..row.len()].copy_from_slice(row);
            row.len()
        }
        ColorType::GrayscaleAlpha => {
            for (pixel, rgb) in row.chunks_exact(2).zip(out.chunks_exact_mut(3)) {
                for (channel, bg) in rgb.iter_mut().zip(background) {
                    *channel = composite(pixel[0], bg, pixel[1]);
                }
            }
            row.len() / 2 * 3
        }
        ColorType::Rgba => {
            for (pixel, rgb) in row.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
                rgb.copy_from_slice(&rgba_onto(pixel, background));
            }
            row.len() / 4 * 3
        }
        ColorType::Indexed => {
            return Err(ImageError::internal(
                "decoding",
                "a palette row after EXPAND",
            ));
        }
    };
    Ok(&out[..written])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam7_rows_are_counted_per_non_empty_pass() {
        assert_eq!(row_count(1, 1, true), 1);
        // 8x8: passes 1-7 have 1, 1, 1, 2, 2, 4 and 4 rows.
        assert_eq!(row_count(8, 8, true), 15);
        assert_eq!(row_count(3, 10, false), 10);
        // One column: only passes 1, 3, 5 and 7 have pixels.
        assert_eq!(row_count(1, 8, true), 1 + 1 + 2 + 4);
    }
}

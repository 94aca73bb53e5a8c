//! Decoding to 8-bit grey or RGB with what the decoder read past: JPEG through libjpeg-turbo
//! (as mozjpeg) or, lossless, jpeg-decoder; PNG through the `png` crate, row by row; WebP and
//! the first frame of a GIF in pure Rust; transparency flattened onto a background.

mod alpha;
mod gif;
mod jpeg;
mod libjpeg;
mod lossless;
mod png;
mod webp;

use crate::colour::{Colour, Source};
use crate::error::ImageError;
use crate::format::Format;
use crate::pixels::{Layout, Pixels};
use crate::probe::{Header, Kind};

/// A decoded image and what was read past to get it.
#[derive(Debug)]
pub struct Decoded {
    /// Grey or RGB. CMYK sources are already sRGB; others are still in their profile's space
    /// (`colour` says what is left to do).
    pub pixels: Pixels,
    /// libjpeg's and libpng's warnings about this file, and any profile that was dropped.
    pub warnings: Vec<String>,
    pub(crate) colour: Colour,
}

/// Decodes the whole image, or a JPEG at 1/`scale_denominator` of its size; transparent
/// pixels are composited onto `background`. libjpeg-turbo picks its SIMD itself.
pub fn decode(
    bytes: &[u8],
    header: &Header,
    scale_denominator: u32,
    background: [u8; 3],
) -> Result<Decoded, ImageError> {
    let mut warnings = Vec::new();
    let (pixels, colour) = match header.kind {
        Kind::Jpeg { .. } => jpeg::decode(bytes, header, scale_denominator, &mut warnings)?,
        Kind::Png { .. } => png::decode(bytes, header, background, &mut warnings)?,
        Kind::Webp { .. } => webp::decode(bytes, header, background, &mut warnings)?,
        Kind::Gif { .. } => gif::decode(bytes, header, background, &mut warnings)?,
    };
    Ok(Decoded {
        pixels,
        warnings,
        colour,
    })
}

/// Wraps decoded samples, checking that the decoder produced exactly one full image.
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

/// A whole grey or RGB image of `header`'s size, with the colour work its embedded profile asks
/// for: the end of every decoder whose source is grey or RGB (all but JPEG, which can be CMYK).
fn profiled(
    format: Format,
    header: &Header,
    layout: Layout,
    data: Vec<u8>,
    warnings: &mut Vec<String>,
) -> Result<(Pixels, Colour), ImageError> {
    let source = match layout {
        Layout::Gray => Source::Gray,
        Layout::Rgb => Source::Rgb,
    };
    let colour = Colour::for_source(header.icc.as_deref(), source, warnings);
    let pixels = checked_pixels(format, header.width, header.height, layout, data)?;
    Ok((pixels, colour))
}

/// Collects repeated warnings into one line each, with a count, in first-seen order.
fn tally(messages: impl IntoIterator<Item = String>, warnings: &mut Vec<String>) {
    let mut counted: Vec<(String, usize)> = Vec::new();
    for message in messages {
        match counted.iter_mut().find(|(seen, _)| *seen == message) {
            Some((_, count)) => *count += 1,
            None => counted.push((message, 1)),
        }
    }
    warnings.extend(counted.into_iter().map(|(message, count)| match count {
        1 => message,
        n => format!("{message} ({n} times)"),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_warnings_are_counted_once() {
        let mut warnings = vec!["from the header".to_owned()];
        tally(["a", "b", "a", "a"].map(str::to_owned), &mut warnings);
        assert_eq!(warnings, ["from the header", "a (3 times)", "b"]);
    }
}

//! WebP through `image-webp` (pure Rust): lossy, lossless, or an animation's first frame, with
//! alpha flattened onto the background in the decoder's own buffer.

use std::io::Cursor;

use image_webp::WebPDecoder;

use super::alpha::flatten_rgba_in_place;
use super::profiled;
use crate::colour::Colour;
use crate::error::ImageError;
use crate::format::Format;
use crate::pixels::{Layout, Pixels};
use crate::probe::{Header, webp_error};

const FMT: Format = Format::Webp;

pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    background: [u8; 3],
    warnings: &mut Vec<String>,
) -> Result<(Pixels, Colour), ImageError> {
    let mut decoder = WebPDecoder::new(Cursor::new(bytes)).map_err(webp_error)?;
    if decoder.is_animated() {
        // The canvas under the first frame; the file's own background colour is only a hint,
        // which browsers ignore too.
        let [r, g, b] = background;
        decoder
            .set_background_color([r, g, b, 255])
            .map_err(webp_error)?;
    }
    let size = decoder
        .output_buffer_size()
        .ok_or_else(|| ImageError::internal("decoding", "a WebP canvas too large to address"))?;
    let mut data = Vec::new();
    data.try_reserve_exact(size)
        .map_err(|e| ImageError::internal("decoding", e))?;
    data.resize(size, 0);
    decoder.read_image(&mut data).map_err(webp_error)?;
    if decoder.has_alpha() {
        flatten_rgba_in_place(&mut data, background);
    }
    profiled(FMT, header, Layout::Rgb, data, warnings)
}

//! The first frame of a GIF through the `gif` crate (pure Rust): palette indices drawn onto a
//! canvas of the background colour, transparent pixels left as background.

use super::profiled;
use crate::colour::Colour;
use crate::error::ImageError;
use crate::format::Format;
use crate::pixels::{Layout, Pixels};
use crate::probe::{ANIMATION_WARNING, Header, Kind, gif_error, gif_reader};

const FMT: Format = Format::Gif;

pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    background: [u8; 3],
    warnings: &mut Vec<String>,
) -> Result<(Pixels, Colour), ImageError> {
    let Kind::Gif { first_frame: rect } = header.kind else {
        return Err(ImageError::internal(
            "decoding",
            "another format's header in the GIF decoder",
        ));
    };
    let (width, height) = (header.width as usize, header.height as usize);
    let mut decoder = gif_reader(bytes, u64::from(rect.width) * u64::from(rect.height))?;
    let mut data = Vec::new();
    data.try_reserve_exact(width * height * 3)
        .map_err(|e| ImageError::internal("decoding", e))?;
    data.extend(std::iter::repeat_n(background, width * height).flatten());
    let global = decoder.global_palette().map(<[u8]>::to_vec);
    let frame = decoder
        .read_next_frame()
        .map_err(gif_error)?
        .ok_or_else(|| ImageError::corrupt(FMT, "no image in the file"))?;
    let palette = frame
        .palette
        .as_deref()
        .or(global.as_deref())
        .ok_or_else(|| ImageError::corrupt(FMT, "no colour table for the first frame"))?;
    let frame_width = usize::from(frame.width);
    if frame_width > 0 {
        for (y, row) in frame.buffer.chunks_exact(frame_width).enumerate() {
            let at = ((usize::from(frame.top) + y) * width + usize::from(frame.left)) * 3;
            for (&index, rgb) in row.iter().zip(data[at..].chunks_exact_mut(3)) {
                if Some(index) != frame.transparent {
                    rgb.copy_from_slice(colour_of(palette, index));
                }
            }
        }
    }
    match decoder.next_frame_info() {
        Ok(Some(_)) => warnings.push(ANIMATION_WARNING.to_owned()),
        Ok(None) => {}
        // The first frame is whole; what follows it is not, which browsers read past too.
        Err(_) => {
            warnings.push("the data after the first frame is damaged or cut short".to_owned())
        }
    }
    profiled(FMT, header, Layout::Rgb, data, warnings)
}

/// A palette entry; an index past the end of a short table is black, as giflib and Pillow
/// read it.
fn colour_of(palette: &[u8], index: u8) -> &[u8] {
    let at = usize::from(index) * 3;
    palette.get(at..at + 3).unwrap_or(&[0, 0, 0])
}

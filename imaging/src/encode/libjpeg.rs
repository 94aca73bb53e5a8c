//! The default encoder: libjpeg-turbo (through mozjpeg, in its fastest profile, which is plain
//! libjpeg-turbo: no trellis quantisation, no progressive scans, no optimised tables).

use mozjpeg::{ColorSpace, Compress};

use super::{FULL_CHROMA_QUALITY, side};
use crate::error::{ImageError, panic_message};
use crate::pixels::{Layout, Pixels};

pub(super) fn encode(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, ImageError> {
    let (width, height) = (side(pixels.width)?, side(pixels.height)?);
    let run = || -> std::io::Result<Vec<u8>> {
        let space = match pixels.layout {
            Layout::Gray => ColorSpace::JCS_GRAYSCALE,
            Layout::Rgb => ColorSpace::JCS_RGB,
        };
        let mut compress = Compress::new(space);
        compress.set_fastest_defaults();
        compress.set_size(usize::from(width), usize::from(height));
        compress.set_quality(f32::from(quality));
        if pixels.layout == Layout::Rgb {
            let chroma = if quality >= FULL_CHROMA_QUALITY {
                (1, 1)
            } else {
                (2, 2)
            };
            compress.set_chroma_sampling_pixel_sizes(chroma, chroma);
        }
        let capacity = pixels.data.len() / 8;
        let mut started = compress.start_compress(Vec::with_capacity(capacity))?;
        started.write_scanlines(&pixels.data)?;
        started.finish()
    };
    // mozjpeg turns libjpeg's fatal errors into an unwind that carries libjpeg's message.
    match std::panic::catch_unwind(run) {
        Ok(Ok(jpeg)) => Ok(jpeg),
        Ok(Err(err)) => Err(ImageError::internal("encoding", err)),
        Err(payload) => Err(ImageError::internal("encoding", panic_message(&*payload))),
    }
}

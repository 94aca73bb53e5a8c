//! Lossless JPEG (SOF3) through jpeg-decoder. libjpeg-turbo decodes it from version 3; the
//! libjpeg-turbo inside mozjpeg is older. Samples of any precision are scaled to 8 bits.

use super::checked_pixels;
use crate::error::{ImageError, panic_message};
use crate::format::Format;
use crate::pixels::{Layout, Pixels};

const FMT: Format = Format::Jpeg;

pub(super) fn decode(bytes: &[u8], precision: u8) -> Result<Pixels, ImageError> {
    let run = || {
        let mut decoder = jpeg_decoder::Decoder::new(bytes);
        let data = decoder.decode().map_err(|e| match e {
            jpeg_decoder::Error::Io(io) => ImageError::truncated(FMT, io.to_string()),
            other => ImageError::corrupt(FMT, other.to_string()),
        })?;
        let info = decoder
            .info()
            .ok_or_else(|| ImageError::internal("decoding", "jpeg-decoder returned no frame"))?;
        Ok((info, data))
    };
    // jpeg-decoder is safe Rust, but a panic on a hostile file must stay this file's failure.
    let (info, data) = std::panic::catch_unwind(run)
        .unwrap_or_else(|payload| Err(ImageError::corrupt(FMT, panic_message(&*payload))))?;
    let layout = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 | jpeg_decoder::PixelFormat::L16 => Layout::Gray,
        jpeg_decoder::PixelFormat::RGB24 => Layout::Rgb,
        jpeg_decoder::PixelFormat::CMYK32 => {
            return Err(ImageError::unsupported(FMT, "lossless CMYK"));
        }
    };
    let samples = to_8_bit(data, precision);
    checked_pixels(
        FMT,
        u32::from(info.width),
        u32::from(info.height),
        layout,
        samples,
    )
}

/// jpeg-decoder hands 8-bit samples over as bytes and any other precision as native-endian
/// 16-bit values; both become 0-255, rounded.
fn to_8_bit(data: Vec<u8>, precision: u8) -> Vec<u8> {
    if precision == 8 {
        return data;
    }
    let max = (1u32 << precision) - 1;
    data.chunks_exact(2)
        .map(|pair| {
            let value = u32::from(u16::from_ne_bytes([pair[0], pair[1]])).min(max);
            ((value * 255 + max / 2) / max) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_of_any_precision_scale_to_full_range() {
        let twelve_bit: Vec<u8> = [0u16, 4095, 2048]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        assert_eq!(to_8_bit(twelve_bit, 12), [0, 255, 128]);
        let two_bit: Vec<u8> = [0u16, 1, 3].iter().flat_map(|v| v.to_ne_bytes()).collect();
        assert_eq!(to_8_bit(two_bit, 2), [0, 85, 255]);
    }
}

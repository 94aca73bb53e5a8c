//! JPEG encoding with jpeg-encoder: box-averaged chroma, the standard Huffman tables, ICC kept.

use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder};

use super::error::ImageError;
use super::pixels::{Layout, Pixels};

/// Encodes `pixels` as a baseline JPEG; `icc` is embedded so colour-managed viewers show the
/// colours of the source. Nothing else from the source's metadata is written.
pub fn encode(pixels: &Pixels, quality: u8, icc: Option<&[u8]>) -> Result<Vec<u8>, ImageError> {
    let fail = |e: jpeg_encoder::EncodingError| ImageError::internal("encoding", e);
    let (width, height) = (side(pixels.width)?, side(pixels.height)?);
    let mut out = Vec::with_capacity(pixels.data.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    // Nearest-sample chroma costs ~0.4 dB PSNR against libjpeg's box average for no real speed.
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    // Optimised tables make the three renditions of the benchmark job 1.6-4.6% smaller but take
    // 30% longer to encode, and buffer every coefficient of the image (24 MB at 1600x1600),
    // where the standard tables stream one row of blocks at a time (`make bench-stages`, group
    // `encode`). libvips and Pillow do not optimise by default either.
    encoder.set_optimized_huffman_tables(false);
    if let Some(profile) = icc {
        encoder.add_icc_profile(profile).map_err(fail)?;
    }
    let color = match pixels.layout {
        Layout::Gray => ColorType::Luma,
        Layout::Rgb => ColorType::Rgb,
    };
    encoder
        .encode(&pixels.data, width, height, color)
        .map_err(fail)?;
    Ok(out)
}

fn side(value: u32) -> Result<u16, ImageError> {
    u16::try_from(value).map_err(|_| ImageError::internal("encoding", "side over 65535 pixels"))
}

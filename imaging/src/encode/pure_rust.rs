//! The pure-Rust encoder (`rust-encoder`): jpeg-encoder, with 4:2:0 chroma box-averaged by the
//! project's SIMD colour kernels.

use fast_image_resize::CpuExtensions;
use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};

use super::{FULL_CHROMA_QUALITY, side};
use crate::error::ImageError;
use crate::pixels::{Layout, Pixels};
use crate::ycbcr::{Kernel, Subsampled420};

pub(super) fn encode(
    pixels: &Pixels,
    quality: u8,
    cpu: CpuExtensions,
) -> Result<Vec<u8>, ImageError> {
    let fail = |e: jpeg_encoder::EncodingError| ImageError::internal("encoding", e);
    let (width, height) = (side(pixels.width)?, side(pixels.height)?);
    let mut out = Vec::with_capacity(pixels.data.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    // Optimised tables make the three renditions of the benchmark job 1.6-4.6% smaller but take
    // 30% longer to encode, and buffer every coefficient of the image (24 MB at 1600x1600),
    // where the standard tables stream one row of blocks at a time (`make bench-stages`, group
    // `encode`). libvips and Pillow do not optimise by default either.
    encoder.set_optimized_huffman_tables(false);
    let data = &pixels.data;
    match pixels.layout {
        Layout::Gray => encoder.encode(data, width, height, ColorType::Luma),
        Layout::Rgb if quality >= FULL_CHROMA_QUALITY => {
            encoder.set_sampling_factor(SamplingFactor::F_1_1);
            encoder.encode(data, width, height, ColorType::Rgb)
        }
        Layout::Rgb => {
            // The chroma rows arrive averaged over each 2x2 square and repeated across it, so
            // the nearest sample is the box average (nearest sampling of raw pixels costs
            // ~0.4 dB PSNR against libjpeg's average).
            encoder.set_sampling_factor(SamplingFactor::F_2_2);
            encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Nearest);
            let kernel = Kernel::for_cpu(cpu);
            encoder.encode_image(Subsampled420::new(data, width, height, kernel))
        }
    }
    .map_err(fail)?;
    Ok(out)
}

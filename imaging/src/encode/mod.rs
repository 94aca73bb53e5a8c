//! JPEG encoding of the renditions: baseline, the standard Huffman tables, 4:2:0 chroma below
//! quality 90 and full chroma from there, no metadata (renditions are sRGB, see `colour`,
//! which is what a JPEG without a profile means to a browser).
//!
//! libjpeg-turbo, already linked for decoding, encodes by default: on the corpus it took
//! 3.2-5.0 ms for the three renditions of a photo where jpeg-encoder took 10.7-17.7, for files
//! of the same size, and it has NEON colour conversion, downsampling, DCT and Huffman coding on
//! Graviton where jpeg-encoder has none of the last three. jpeg-encoder, pure Rust, with the
//! project's own colour kernels, is the `rust-encoder` feature's encoder.

#[cfg(not(feature = "rust-encoder"))]
mod libjpeg;
#[cfg(feature = "rust-encoder")]
mod pure_rust;

use fast_image_resize::CpuExtensions;

use crate::error::ImageError;
use crate::pixels::Pixels;

/// From this quality up chroma keeps full resolution (jpeg-encoder's own default rule).
const FULL_CHROMA_QUALITY: u8 = 90;

/// Encodes sRGB (or grey) `pixels` as a baseline JPEG. `cpu` picks the colour conversion's
/// SIMD kernel of the `rust-encoder` build, whose output is the same for every kernel;
/// libjpeg-turbo picks its own.
pub fn encode(pixels: &Pixels, quality: u8, cpu: CpuExtensions) -> Result<Vec<u8>, ImageError> {
    #[cfg(feature = "rust-encoder")]
    return pure_rust::encode(pixels, quality, cpu);
    #[cfg(not(feature = "rust-encoder"))]
    {
        let _ = cpu;
        libjpeg::encode(pixels, quality)
    }
}

fn side(value: u32) -> Result<u16, ImageError> {
    u16::try_from(value).map_err(|_| ImageError::internal("encoding", "side over 65535 pixels"))
}

//! Encoding the renditions, one dispatch over the formats. No metadata in any format:
//! renditions are sRGB (see `colour`), which is what an image without a profile means to a
//! browser. JPEG: baseline, the standard Huffman tables, 4:2:0 chroma below quality 90 and full
//! chroma from there. WebP: see `webp`. AVIF: see `avif`.
//!
//! libjpeg-turbo, already linked for decoding, encodes by default: on the corpus it took
//! 3.2-5.0 ms for the three renditions of a photo where jpeg-encoder took 10.7-17.7, for files
//! of the same size, and it has NEON colour conversion, downsampling, DCT and Huffman coding on
//! Graviton where jpeg-encoder has none of the last three. jpeg-encoder, pure Rust, with the
//! project's own colour kernels, is the `rust-encoder` feature's encoder.

#[cfg(feature = "avif")]
mod avif;
#[cfg(not(feature = "rust-encoder"))]
mod libjpeg;
#[cfg(feature = "rust-encoder")]
mod pure_rust;
mod webp;

use fast_image_resize::CpuExtensions;

pub use self::webp::WEBP_MAX_SIDE;
use crate::error::ImageError;
use crate::output_format::OutputFormat;
use crate::pixels::Pixels;

/// libwebp's speed/size trade-off when none is configured: its own default, and libvips'.
pub const DEFAULT_WEBP_METHOD: u8 = 4;

/// libaom's speed (0 slowest, 10 fastest) when none is configured: its fastest for a still image
/// (10 writes the same bytes as 9). On four corpus photos speed 8 changed the bytes at equal
/// SSIMULACRA2 by -8% to +2% for 2-5x the encode time, speed 6 by -19% to -7% for 4-10x
/// (README, "AVIF").
pub const DEFAULT_AVIF_SPEED: u8 = 9;

/// The encoders' settings besides the quality.
#[derive(Debug, Clone, Copy)]
pub struct EncodeSettings {
    /// The colour conversion's SIMD kernel of the `rust-encoder` build, whose output is the
    /// same for every kernel; libjpeg-turbo and libwebp pick their own.
    pub cpu: CpuExtensions,
    /// libwebp's method, 0 (fastest) to 6 (smallest).
    pub webp_method: u8,
    /// libaom's speed, 0 (smallest) to 10 (fastest).
    pub avif_speed: u8,
}

impl Default for EncodeSettings {
    fn default() -> Self {
        Self {
            cpu: CpuExtensions::default(),
            webp_method: DEFAULT_WEBP_METHOD,
            avif_speed: DEFAULT_AVIF_SPEED,
        }
    }
}

/// Encodes sRGB (or grey) `pixels` in `format` at `quality` (on JPEG's scale).
pub fn encode(
    pixels: &Pixels,
    format: OutputFormat,
    quality: u8,
    settings: EncodeSettings,
) -> Result<Vec<u8>, ImageError> {
    match format {
        OutputFormat::Jpeg => encode_jpeg(pixels, quality, settings.cpu),
        OutputFormat::Webp => webp::encode(pixels, quality, settings.webp_method),
        #[cfg(feature = "avif")]
        OutputFormat::Avif => avif::encode(pixels, quality, settings.avif_speed),
        // A spec naming AVIF is refused when it is read in a build without the encoder.
        #[cfg(not(feature = "avif"))]
        OutputFormat::Avif => Err(ImageError::internal("encoding AVIF", "not in this build")),
    }
}

/// From this quality up chroma keeps full resolution (jpeg-encoder's own default rule).
const FULL_CHROMA_QUALITY: u8 = 90;

fn encode_jpeg(pixels: &Pixels, quality: u8, cpu: CpuExtensions) -> Result<Vec<u8>, ImageError> {
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

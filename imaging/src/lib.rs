//! The image core: JPEG, PNG, WebP or GIF bytes and renditions in, encoded JPEG and WebP
//! renditions out. Pure and synchronous: no I/O, no AWS, no async runtime (Cargo keeps it so:
//! it depends on none of them).
//!
//! `render` reads the header and applies the limits before allocating, decodes (with a
//! DCT-scaled JPEG decode when every rendition is at most half the source), resizes each
//! rendition from the smallest buffer already made that still has twice its detail, turns it
//! upright and encodes it in each of its formats.

mod colour;
mod decode;
mod encode;
mod error;
mod format;
mod geometry;
mod memory;
mod orient;
mod output_format;
mod pixels;
mod probe;
mod render;
mod resize;
pub mod sample;
mod spec;
#[cfg(feature = "rust-encoder")]
mod ycbcr;

pub use decode::{Decoded, decode};
pub use encode::{DEFAULT_AVIF_SPEED, DEFAULT_WEBP_METHOD, EncodeSettings, WEBP_MAX_SIDE, encode};
pub use error::{ErrorKind, ImageError, panic_message};
pub use fast_image_resize::CpuExtensions;
pub use format::Format;
pub use geometry::{Plan, Rect, jpeg_scale_denominator, plan};
pub use memory::{encoder_set, working_set};
pub use orient::Orientation;
pub use output_format::OutputFormat;
pub use pixels::{Layout, Pixels};
pub use probe::{FrameRect, Header, JpegCoding, Kind, Limits, probe};
pub use render::{Encoded, Output, RenderOptions, Rendered, Timings, output_sizes, render};
pub use resize::{Resampler, supported_cpu_extensions};
pub use spec::{
    DEFAULT_QUALITY, FitMode, Rendition, SpecError, parse_hex_colour, parse_renditions,
};

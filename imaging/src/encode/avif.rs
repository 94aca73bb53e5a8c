//! AVIF through libavif over libaom: 8-bit 4:2:0 (4:0:0 for grey), full range, signalled as
//! sRGB (BT.709 primaries, the sRGB transfer, BT.601 matrix: what a JPEG's YCbCr means) in the
//! `colr` box and nothing else, at the configured speed and one thread, since the processor
//! already renders one image per vCPU.

use std::borrow::Cow;
use std::ffi::CStr;

use libavif_sys as ffi;

use crate::error::ImageError;
use crate::pixels::{Layout, Pixels};

pub(super) fn encode(pixels: &Pixels, quality: u8, speed: u8) -> Result<Vec<u8>, ImageError> {
    let fail = |detail: String| ImageError::internal("encoding AVIF", detail);
    if u32::from(speed) > ffi::AVIF_SPEED_FASTEST {
        return Err(fail(format!("speed {speed} is not 0 to 10")));
    }
    let yuv_format = match pixels.layout {
        Layout::Rgb => ffi::AVIF_PIXEL_FORMAT_YUV420,
        Layout::Gray => ffi::AVIF_PIXEL_FORMAT_YUV400,
    };
    // SAFETY: plain constructor; a null return (out of memory) is checked by `Image::new`.
    let image =
        Image::new(unsafe { ffi::avifImageCreate(pixels.width, pixels.height, 8, yuv_format) })
            .ok_or_else(|| fail("no memory for the image".into()))?;
    // SAFETY: `image.0` is a live image owned by `image`.
    let picture = unsafe { &mut *image.0 };
    picture.yuvRange = ffi::AVIF_RANGE_FULL;
    picture.colorPrimaries = ffi::AVIF_COLOR_PRIMARIES_BT709 as _;
    picture.transferCharacteristics = ffi::AVIF_TRANSFER_CHARACTERISTICS_SRGB as _;
    picture.matrixCoefficients = ffi::AVIF_MATRIX_COEFFICIENTS_BT601 as _;

    // libavif converts from RGB only; grey becomes RGB with equal channels, whose luma is the
    // grey value itself under the BT.601 weights.
    let rgb_bytes: Cow<[u8]> = match pixels.layout {
        Layout::Rgb => Cow::Borrowed(&pixels.data),
        Layout::Gray => Cow::Owned(pixels.data.iter().flat_map(|&v| [v, v, v]).collect()),
    };
    let mut rgb = ffi::avifRGBImage::default();
    // SAFETY: sets `rgb`'s fields from the live image.
    unsafe { ffi::avifRGBImageSetDefaults(&mut rgb, picture) };
    rgb.format = ffi::AVIF_RGB_FORMAT_RGB;
    rgb.depth = 8;
    rgb.rowBytes = pixels.width * 3;
    // libavif only reads through this pointer when converting to YUV.
    rgb.pixels = rgb_bytes.as_ptr().cast_mut();
    // SAFETY: `rgb` describes `rgb_bytes`, `height` rows of `rowBytes`, alive for the call; the
    // image allocates and owns its planes.
    check(unsafe { ffi::avifImageRGBToYUV(picture, &rgb) }).map_err(fail)?;

    // SAFETY: plain constructor; a null return is checked by `Encoder::new`.
    let encoder = Encoder::new(unsafe { ffi::avifEncoderCreate() })
        .ok_or_else(|| fail("no memory for the encoder".into()))?;
    // SAFETY: `encoder.0` is a live encoder owned by `encoder`.
    let settings = unsafe { &mut *encoder.0 };
    settings.codecChoice = ffi::AVIF_CODEC_CHOICE_AOM;
    settings.maxThreads = 1;
    settings.speed = i32::from(speed);
    settings.quality = i32::from(quality);
    let mut output = Output(ffi::avifRWData::default());
    // SAFETY: the encoder and image are live; libavif allocates `output`, which `Output` frees.
    check(unsafe { ffi::avifEncoderWrite(settings, picture, &mut output.0) }).map_err(fail)?;
    Ok(output.bytes().to_vec())
}

fn check(result: ffi::avifResult) -> Result<(), String> {
    if result == ffi::AVIF_RESULT_OK {
        return Ok(());
    }
    // SAFETY: libavif returns a static, NUL-terminated string for every result.
    let text = unsafe { CStr::from_ptr(ffi::avifResultToString(result)) };
    Err(text.to_string_lossy().into_owned())
}

/// An `avifImage` destroyed (planes and all) when dropped.
struct Image(*mut ffi::avifImage);

impl Image {
    fn new(image: *mut ffi::avifImage) -> Option<Self> {
        (!image.is_null()).then_some(Self(image))
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: created by `avifImageCreate` and destroyed only here.
        unsafe { ffi::avifImageDestroy(self.0) }
    }
}

/// An `avifEncoder` destroyed when dropped.
struct Encoder(*mut ffi::avifEncoder);

impl Encoder {
    fn new(encoder: *mut ffi::avifEncoder) -> Option<Self> {
        (!encoder.is_null()).then_some(Self(encoder))
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: created by `avifEncoderCreate` and destroyed only here.
        unsafe { ffi::avifEncoderDestroy(self.0) }
    }
}

/// libavif's output buffer, freed when dropped.
struct Output(ffi::avifRWData);

impl Output {
    fn bytes(&self) -> &[u8] {
        if self.0.data.is_null() {
            return &[];
        }
        // SAFETY: libavif wrote `size` bytes at `data`, which lives until `drop`.
        unsafe { std::slice::from_raw_parts(self.0.data, self.0.size) }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // SAFETY: `avifRWDataFree` accepts an empty buffer and one libavif allocated.
        unsafe { ffi::avifRWDataFree(&mut self.0) }
    }
}

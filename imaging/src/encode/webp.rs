//! Lossy WebP through libwebp's advanced API: the default preset at the given quality, the
//! configured method (4 unless set: libwebp's own default and libvips' `webpsave`'s), and no
//! threads of its own, since the processor already renders one image per vCPU.

use std::borrow::Cow;
use std::ffi::c_void;

use libwebp_sys as ffi;

use crate::error::ImageError;
use crate::pixels::{Layout, Pixels};

/// The longest side a WebP image can have (its header stores 14 bits per side).
pub const WEBP_MAX_SIDE: u32 = 16383;

pub(super) fn encode(pixels: &Pixels, quality: u8, method: u8) -> Result<Vec<u8>, ImageError> {
    let fail = |detail: String| ImageError::internal("encoding WebP", detail);
    if pixels.width > WEBP_MAX_SIDE || pixels.height > WEBP_MAX_SIDE {
        return Err(fail(format!("sides over {WEBP_MAX_SIDE} pixels")));
    }
    let mut config =
        ffi::WebPConfig::new_with_preset(ffi::WebPPreset::WEBP_PRESET_DEFAULT, f32::from(quality))
            .map_err(|()| fail("libwebp refused its own configuration version".into()))?;
    config.method = i32::from(method);
    config.thread_level = 0;
    // SAFETY: `config` was initialised by libwebp above.
    if unsafe { ffi::WebPValidateConfig(&config) } == 0 {
        return Err(fail(format!("method {method} is not 0 to 6")));
    }
    // libwebp imports RGB only; grey becomes RGB with equal channels, which it codes as grey.
    let rgb: Cow<[u8]> = match pixels.layout {
        Layout::Rgb => Cow::Borrowed(&pixels.data),
        Layout::Gray => Cow::Owned(pixels.data.iter().flat_map(|&v| [v, v, v]).collect()),
    };
    let mut picture = Picture::new().map_err(|()| fail("picture init".into()))?;
    let mut writer = Writer::new();
    let p = &mut picture.0;
    p.use_argb = 0;
    p.width = pixels.width as i32;
    p.height = pixels.height as i32;
    p.writer = Some(ffi::WebPMemoryWrite);
    p.custom_ptr = std::ptr::from_mut(&mut writer.0).cast::<c_void>();
    let stride = pixels.width as i32 * 3;
    // SAFETY: `rgb` holds `height` rows of `stride` bytes; libwebp copies them into the
    // picture's own planes, which `Picture`'s drop frees.
    if unsafe { ffi::WebPPictureImportRGB(p, rgb.as_ptr(), stride) } == 0 {
        return Err(fail(format!("import: {:?}", p.error_code)));
    }
    // SAFETY: `config` is validated, `p` holds the image and writes to `writer`, alive here.
    if unsafe { ffi::WebPEncode(&config, p) } == 0 {
        return Err(fail(format!("{:?}", p.error_code)));
    }
    Ok(writer.bytes().to_vec())
}

/// A `WebPPicture` that frees its planes when dropped, on every path.
struct Picture(ffi::WebPPicture);

impl Picture {
    fn new() -> Result<Self, ()> {
        ffi::WebPPicture::new().map(Self)
    }
}

impl Drop for Picture {
    fn drop(&mut self) {
        // SAFETY: initialised by `WebPPictureInit`; freeing an unallocated picture is a no-op.
        unsafe { ffi::WebPPictureFree(&mut self.0) }
    }
}

/// libwebp's growable in-memory output, freed when dropped.
struct Writer(ffi::WebPMemoryWriter);

impl Writer {
    fn new() -> Self {
        let mut writer = std::mem::MaybeUninit::uninit();
        // SAFETY: `WebPMemoryWriterInit` sets every field.
        unsafe {
            ffi::WebPMemoryWriterInit(writer.as_mut_ptr());
            Self(writer.assume_init())
        }
    }

    fn bytes(&self) -> &[u8] {
        if self.0.mem.is_null() {
            return &[];
        }
        // SAFETY: libwebp wrote `size` bytes at `mem`, which lives until `drop`.
        unsafe { std::slice::from_raw_parts(self.0.mem, self.0.size) }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // SAFETY: initialised by `WebPMemoryWriterInit`.
        unsafe { ffi::WebPMemoryWriterClear(&mut self.0) }
    }
}

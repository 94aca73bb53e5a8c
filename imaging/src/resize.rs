//! Lanczos3 resampling with fast_image_resize, on the CPU extension the caller picks.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{CpuExtensions, FilterType, PixelType, ResizeAlg, ResizeOptions};

use crate::error::ImageError;
use crate::geometry::Rect;
use crate::pixels::{Layout, Pixels};

/// A resizer bound to one CPU extension, reusing its scratch buffers across renditions.
#[derive(Debug)]
pub struct Resampler {
    inner: fast_image_resize::Resizer,
}

/// The CPU extensions fast_image_resize can use on this machine, best first; `None` is scalar.
pub fn supported_cpu_extensions() -> Vec<CpuExtensions> {
    let all = [
        #[cfg(target_arch = "x86_64")]
        CpuExtensions::Avx2,
        #[cfg(target_arch = "x86_64")]
        CpuExtensions::Sse4_1,
        #[cfg(target_arch = "aarch64")]
        CpuExtensions::Neon,
        CpuExtensions::None,
    ];
    all.into_iter()
        .filter(CpuExtensions::is_supported)
        .collect()
}

impl Resampler {
    /// Falls back to the scalar code if `extensions` is not supported here.
    pub fn new(extensions: CpuExtensions) -> Self {
        let mut inner = fast_image_resize::Resizer::new();
        let extensions = if extensions.is_supported() {
            extensions
        } else {
            CpuExtensions::None
        };
        // SAFETY: the extension was just checked to be supported by this CPU.
        unsafe { inner.set_cpu_extensions(extensions) };
        Self { inner }
    }

    /// Resamples the `crop` region of `src` to `width` x `height`.
    pub fn resize(
        &mut self,
        src: &Pixels,
        crop: Rect,
        width: u32,
        height: u32,
    ) -> Result<Pixels, ImageError> {
        let pixel_type = match src.layout {
            Layout::Gray => PixelType::U8,
            Layout::Rgb => PixelType::U8x3,
        };
        let fail = |e: &dyn std::fmt::Display| ImageError::internal("resizing", e);
        let src_view =
            ImageRef::new(src.width, src.height, &src.data, pixel_type).map_err(|e| fail(&e))?;
        let mut dst = Image::new(width, height, pixel_type);
        let options = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
            .crop(crop.left, crop.top, crop.width, crop.height);
        let resized = self.inner.resize(&src_view, &mut dst, &options);
        // The intermediate buffer is as big as the output's width times the source's height:
        // freed now, it is not held while the output is encoded.
        self.inner.reset_internal_buffers();
        resized.map_err(|e| fail(&e))?;
        Ok(Pixels {
            width,
            height,
            layout: src.layout,
            data: dst.into_vec(),
        })
    }
}

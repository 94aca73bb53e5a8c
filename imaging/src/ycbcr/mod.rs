//! RGB rows to the YCbCr rows jpeg-encoder codes, with 4:2:0 chroma averaged here: one file per
//! instruction set behind the dispatch in [`Kernel`].
//!
//! jpeg-encoder's own box-averaged subsampling reads every chroma sample of a 2x2 square one
//! byte at a time, and its RGB conversion has AVX2 code only. Here the conversion runs on the
//! best SIMD this CPU has (NEON on Graviton), and chroma is converted once per 2x2 square from
//! the summed RGB (the conversion is linear) and written to both columns of the square. The
//! encoder, told to take the nearest sample, then reads exactly those averages.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "aarch64")]
mod neon;
mod scalar;

use fast_image_resize::CpuExtensions;
use jpeg_encoder::{ImageBuffer, JpegColorType};

/// JFIF's RGB to YCbCr matrix in 16-bit fixed point (as jpeg-encoder and libjpeg use).
const Y_R: u16 = 19595;
const Y_G: u16 = 38470;
const Y_B: u16 = 7471;
const CB_R: i32 = -11059;
const CB_G: i32 = -21709;
const CB_B: i32 = 32768;
const CR_R: i32 = 32768;
const CR_G: i32 = -27439;
const CR_B: i32 = -5329;
/// Rounds luma to nearest, as jpeg-encoder does.
const Y_ROUNDING: u32 = 0x7FFF;
/// Chroma is computed from sums of four pixels: scaled by 2^18, centred on 128, rounded.
const CHROMA_SHIFT: i32 = 18;
const CHROMA_OFFSET: i32 = (128 << CHROMA_SHIFT) + (1 << (CHROMA_SHIFT - 1));

/// An instruction set the conversion runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "aarch64")]
    Neon,
}

impl Kernel {
    /// The kernel for the SIMD level the render was given; scalar when it has none here.
    pub fn for_cpu(cpu: CpuExtensions) -> Self {
        match cpu {
            #[cfg(target_arch = "x86_64")]
            CpuExtensions::Avx2 if std::arch::is_x86_feature_detected!("avx2") => Self::Avx2,
            #[cfg(target_arch = "aarch64")]
            CpuExtensions::Neon if std::arch::is_aarch64_feature_detected!("neon") => Self::Neon,
            _ => Self::Scalar,
        }
    }

    fn luma_row(self, rgb: &[u8], luma: &mut [u8]) {
        match self {
            Self::Scalar => scalar::luma_row(rgb, luma),
            // SAFETY: `for_cpu` picks these only when the CPU has the extension.
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => unsafe { avx2::luma_row(rgb, luma) },
            #[cfg(target_arch = "aarch64")]
            Self::Neon => unsafe { neon::luma_row(rgb, luma) },
        }
    }

    fn chroma_row(self, rows: [&[u8]; 2], cb: &mut [u8], cr: &mut [u8]) {
        match self {
            Self::Scalar => scalar::chroma_row(rows, cb, cr),
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => unsafe { avx2::chroma_row(rows, cb, cr) },
            #[cfg(target_arch = "aarch64")]
            Self::Neon => unsafe { neon::chroma_row(rows, cb, cr) },
        }
    }
}

/// An RGB image as jpeg-encoder's input for 4:2:0 sampling with the nearest chroma sample.
pub struct Subsampled420<'a> {
    rgb: &'a [u8],
    width: u16,
    height: u16,
    kernel: Kernel,
}

impl<'a> Subsampled420<'a> {
    /// `rgb` holds `width` x `height` pixels, three bytes each.
    pub fn new(rgb: &'a [u8], width: u16, height: u16, kernel: Kernel) -> Self {
        assert_eq!(rgb.len(), usize::from(width) * usize::from(height) * 3);
        Self {
            rgb,
            width,
            height,
            kernel,
        }
    }

    fn row(&self, y: u16) -> &[u8] {
        let stride = usize::from(self.width) * 3;
        &self.rgb[usize::from(y) * stride..][..stride]
    }
}

/// Appends `len` bytes to `buffer` and returns them to be written.
fn grow(buffer: &mut Vec<u8>, len: usize) -> &mut [u8] {
    let start = buffer.len();
    buffer.resize(start + len, 0);
    &mut buffer[start..]
}

impl ImageBuffer for Subsampled420<'_> {
    fn get_jpeg_color_type(&self) -> JpegColorType {
        JpegColorType::Ycbcr
    }

    fn width(&self) -> u16 {
        self.width
    }

    fn height(&self) -> u16 {
        self.height
    }

    fn fill_buffers(&self, y: u16, buffers: &mut [Vec<u8>; 4]) {
        let width = usize::from(self.width);
        let [luma, cb, cr, _] = buffers;
        self.kernel.luma_row(self.row(y), grow(luma, width));
        let (cb, cr) = (grow(cb, width), grow(cr, width));
        // The encoder samples chroma on even rows; past the bottom it repeats the last row,
        // which is odd when the height is even. Other odd rows are never read: left zero.
        let last = self.height - 1;
        if y.is_multiple_of(2) || y == last {
            let top = y & !1;
            let rows = [self.row(top), self.row((top + 1).min(last))];
            self.kernel.chroma_row(rows, cb, cr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supported_cpu_extensions;

    /// Noise rows, with pure red and blue pixels where chroma saturates.
    fn rows(width: usize) -> [Vec<u8>; 2] {
        let mut rng = fastrand::Rng::with_seed(width as u64);
        let mut row = || {
            let mut row: Vec<u8> = (0..width * 3).map(|_| rng.u8(..)).collect();
            row[..3].copy_from_slice(&[0, 0, 255]);
            row[width * 3 - 3..].copy_from_slice(&[255, 0, 0]);
            row
        };
        [row(), row()]
    }

    /// JFIF's conversion in floating point, for one 2x2 square's mean colour.
    fn reference(rgb: [f64; 3]) -> [f64; 3] {
        let [r, g, b] = rgb;
        [
            0.299 * r + 0.587 * g + 0.114 * b,
            -0.168736 * r - 0.331264 * g + 0.5 * b + 128.0,
            0.5 * r - 0.418688 * g - 0.081312 * b + 128.0,
        ]
    }

    fn convert(kernel: Kernel, rows: &[Vec<u8>; 2]) -> [Vec<u8>; 3] {
        let width = rows[0].len() / 3;
        let mut out = [vec![0; width], vec![0; width], vec![0; width]];
        let [luma, cb, cr] = &mut out;
        kernel.luma_row(&rows[0], luma);
        kernel.chroma_row([&rows[0], &rows[1]], cb, cr);
        out
    }

    #[test]
    fn scalar_kernels_match_the_floating_point_conversion() {
        for width in [1, 2, 3, 17, 32, 33] {
            let rows = rows(width);
            let [luma, cb, cr] = convert(Kernel::Scalar, &rows);
            for x in 0..width {
                let pixel = |row: &Vec<u8>, x: usize| [0, 1, 2].map(|c| f64::from(row[x * 3 + c]));
                let y = reference(pixel(&rows[0], x))[0];
                assert!((f64::from(luma[x]) - y).abs() <= 0.51, "luma at {x}: {y}");
                let square = [x & !1, (x | 1).min(width - 1)];
                let mean = [0, 1, 2].map(|c| {
                    let sum: f64 = rows
                        .iter()
                        .flat_map(|row| square.map(|sx| pixel(row, sx)[c]))
                        .sum();
                    sum / 4.0
                });
                let [_, want_cb, want_cr] = reference(mean).map(|v| v.min(255.0));
                assert!((f64::from(cb[x]) - want_cb).abs() <= 0.51, "cb at {x}");
                assert!((f64::from(cr[x]) - want_cr).abs() <= 0.51, "cr at {x}");
            }
        }
    }

    #[test]
    fn every_kernel_this_cpu_has_matches_the_scalar_one() {
        for kernel in supported_cpu_extensions().into_iter().map(Kernel::for_cpu) {
            for width in [1, 2, 15, 16, 17, 31, 32, 33, 64, 100, 1601] {
                let rows = rows(width);
                assert_eq!(
                    convert(kernel, &rows),
                    convert(Kernel::Scalar, &rows),
                    "{kernel:?} at width {width}"
                );
            }
        }
    }
}

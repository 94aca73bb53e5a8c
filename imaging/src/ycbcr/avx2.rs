//! The scalar kernels compiled for AVX2. LLVM vectorises the luma loop on its own (shuffles
//! split the RGB planes); the chroma loop, a quarter of the work, stays scalar.

use super::scalar;

/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn luma_row(rgb: &[u8], luma: &mut [u8]) {
    scalar::luma_row(rgb, luma);
}

/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn chroma_row(rows: [&[u8]; 2], cb: &mut [u8], cr: &mut [u8]) {
    scalar::chroma_row(rows, cb, cr);
}

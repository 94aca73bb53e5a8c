//! The portable kernels, also the reference the SIMD ones must match byte for byte.

use super::{
    CB_B, CB_G, CB_R, CHROMA_OFFSET, CHROMA_SHIFT, CR_B, CR_G, CR_R, Y_B, Y_G, Y_R, Y_ROUNDING,
};

/// Luma of each RGB pixel of `rgb` into `luma`.
#[inline(always)]
pub fn luma_row(rgb: &[u8], luma: &mut [u8]) {
    for (pixel, out) in rgb.chunks_exact(3).zip(luma) {
        let [r, g, b] = [pixel[0], pixel[1], pixel[2]].map(u32::from);
        let y = u32::from(Y_R) * r + u32::from(Y_G) * g + u32::from(Y_B) * b + Y_ROUNDING;
        *out = (y >> 16) as u8;
    }
}

/// Chroma of each 2x2 square of two RGB rows, written to both of its columns; a last odd
/// column is averaged with itself.
#[inline(always)]
pub fn chroma_row(rows: [&[u8]; 2], cb: &mut [u8], cr: &mut [u8]) {
    let [top, bottom] = rows;
    let squares = top.chunks(6).zip(bottom.chunks(6));
    for ((top, bottom), (cb, cr)) in squares.zip(cb.chunks_mut(2).zip(cr.chunks_mut(2))) {
        let sum = |c: usize| {
            let right = top.len() - 3 + c;
            [top[c], top[right], bottom[c], bottom[right]]
                .map(i32::from)
                .iter()
                .sum::<i32>()
        };
        let (r, g, b) = (sum(0), sum(1), sum(2));
        cb.fill(chroma(CB_R * r + CB_G * g + CB_B * b));
        cr.fill(chroma(CR_R * r + CR_G * g + CR_B * b));
    }
}

/// A scaled chroma sum to a sample: it never goes below 0 and tops out at 256 for pure blue
/// or red, hence the clamp.
#[inline(always)]
fn chroma(weighted: i32) -> u8 {
    ((weighted + CHROMA_OFFSET) >> CHROMA_SHIFT).min(255) as u8
}

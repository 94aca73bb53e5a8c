//! NEON kernels for Graviton: `ld3` splits 16 RGB pixels into planes in one load, and the
//! fixed-point sums run eight lanes wide. Same arithmetic as the scalar kernels.

use std::arch::aarch64::*;

use super::{
    CB_B, CB_G, CB_R, CHROMA_OFFSET, CHROMA_SHIFT, CR_B, CR_G, CR_R, Y_B, Y_G, Y_R, Y_ROUNDING,
    scalar,
};

/// Pixels per step.
const LANES: usize = 16;

/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn luma_row(rgb: &[u8], luma: &mut [u8]) {
    let steps = luma.len() / LANES;
    assert!(rgb.len() >= steps * LANES * 3);
    for step in 0..steps {
        // SAFETY: the assert above keeps every load and store inside the slices.
        unsafe {
            let pixels = vld3q_u8(rgb.as_ptr().add(step * LANES * 3));
            let [r, g, b] = [pixels.0, pixels.1, pixels.2];
            let low = luma8(
                vmovl_u8(vget_low_u8(r)),
                vmovl_u8(vget_low_u8(g)),
                vmovl_u8(vget_low_u8(b)),
            );
            let high = luma8(vmovl_high_u8(r), vmovl_high_u8(g), vmovl_high_u8(b));
            vst1q_u8(
                luma.as_mut_ptr().add(step * LANES),
                vmovn_high_u16(vmovn_u16(low), high),
            );
        }
    }
    scalar::luma_row(&rgb[steps * LANES * 3..], &mut luma[steps * LANES..]);
}

#[inline]
#[target_feature(enable = "neon")]
fn luma8(r: uint16x8_t, g: uint16x8_t, b: uint16x8_t) -> uint16x8_t {
    let round = vdupq_n_u32(Y_ROUNDING);
    let low = vmull_n_u16(vget_low_u16(r), Y_R);
    let low = vmlal_n_u16(low, vget_low_u16(g), Y_G);
    let low = vmlal_n_u16(low, vget_low_u16(b), Y_B);
    let high = vmull_high_n_u16(r, Y_R);
    let high = vmlal_high_n_u16(high, g, Y_G);
    let high = vmlal_high_n_u16(high, b, Y_B);
    vshrn_high_n_u32::<16>(
        vshrn_n_u32::<16>(vaddq_u32(low, round)),
        vaddq_u32(high, round),
    )
}

/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn chroma_row(rows: [&[u8]; 2], cb: &mut [u8], cr: &mut [u8]) {
    let [top, bottom] = rows;
    let steps = cb.len() / LANES;
    assert!(top.len() >= steps * LANES * 3 && bottom.len() >= steps * LANES * 3);
    assert!(cr.len() >= steps * LANES);
    for step in 0..steps {
        // SAFETY: the asserts above keep every load and store inside the slices.
        unsafe {
            let t = vld3q_u8(top.as_ptr().add(step * LANES * 3));
            let b = vld3q_u8(bottom.as_ptr().add(step * LANES * 3));
            // Sums of each 2x2 square: pairwise along the row, then the two rows.
            let rgb = [
                vaddq_u16(vpaddlq_u8(t.0), vpaddlq_u8(b.0)),
                vaddq_u16(vpaddlq_u8(t.1), vpaddlq_u8(b.1)),
                vaddq_u16(vpaddlq_u8(t.2), vpaddlq_u8(b.2)),
            ];
            let at = step * LANES;
            vst1q_u8(cb.as_mut_ptr().add(at), chroma8(rgb, [CB_R, CB_G, CB_B]));
            vst1q_u8(cr.as_mut_ptr().add(at), chroma8(rgb, [CR_R, CR_G, CR_B]));
        }
    }
    let done = steps * LANES;
    let rest = [&top[done * 3..], &bottom[done * 3..]];
    scalar::chroma_row(rest, &mut cb[done..], &mut cr[done..]);
}

/// Eight chroma samples from eight 2x2 sums per channel, each written twice.
#[inline]
#[target_feature(enable = "neon")]
fn chroma8(sums: [uint16x8_t; 3], weights: [i32; 3]) -> uint8x16_t {
    let mut low = vdupq_n_s32(CHROMA_OFFSET);
    let mut high = low;
    for (&sum, weight) in sums.iter().zip(weights) {
        low = vmlaq_n_s32(
            low,
            vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(sum))),
            weight,
        );
        high = vmlaq_n_s32(high, vreinterpretq_s32_u32(vmovl_high_u16(sum)), weight);
    }
    let low = vqmovun_s32(vshrq_n_s32::<CHROMA_SHIFT>(low));
    let high = vqmovun_s32(vshrq_n_s32::<CHROMA_SHIFT>(high));
    let samples = vqmovn_u16(vcombine_u16(low, high));
    let twice = vcombine_u8(samples, samples);
    vzip1q_u8(twice, twice)
}

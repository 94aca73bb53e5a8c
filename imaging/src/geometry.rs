//! Pure arithmetic: each rendition's output size and source crop, and the JPEG decode scale.

use crate::spec::{FitMode, Rendition};

/// A rectangle in source pixels; fractional so crops stay exact after a scaled decode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

/// Where one rendition comes from and what size it ends up, in the source's upright frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub width: u32,
    pub height: u32,
    /// The region of the (upright) source that the rendition shows.
    pub crop: Rect,
}

impl Plan {
    /// The same plan seen in the stored frame of an image whose EXIF orientation transposes
    /// it. Crops are centred, so flips leave them in place and only the axes swap.
    pub fn transposed(self, stored_width: u32, stored_height: u32) -> Plan {
        Plan {
            width: self.height,
            height: self.width,
            crop: centred(
                stored_width,
                stored_height,
                self.crop.height,
                self.crop.width,
            ),
        }
    }

    /// How many source pixels feed each output pixel, on the tighter axis.
    pub fn shrink_factor(&self) -> f64 {
        (self.crop.width / f64::from(self.width)).min(self.crop.height / f64::from(self.height))
    }
}

fn centred(width: u32, height: u32, crop_width: f64, crop_height: f64) -> Rect {
    Rect {
        left: (f64::from(width) - crop_width) / 2.0,
        top: (f64::from(height) - crop_height) / 2.0,
        width: crop_width,
        height: crop_height,
    }
}

/// Plans one rendition of an upright `width` x `height` source. Never upscales.
pub fn plan(width: u32, height: u32, rendition: &Rendition) -> Plan {
    let (w, h) = (f64::from(width), f64::from(height));
    let (box_w, box_h) = (
        f64::from(rendition.max_width),
        f64::from(rendition.max_height),
    );
    match rendition.mode {
        FitMode::Fit => {
            let scale = (box_w / w).min(box_h / h).min(1.0);
            Plan {
                width: scaled_side(w, scale, rendition.max_width),
                height: scaled_side(h, scale, rendition.max_height),
                crop: centred(width, height, w, h),
            }
        }
        FitMode::Cover => {
            let scale = (box_w / w).max(box_h / h).min(1.0);
            let out_w = scaled_side(w, scale, rendition.max_width);
            let out_h = scaled_side(h, scale, rendition.max_height);
            let crop_w = (f64::from(out_w) / scale).min(w);
            let crop_h = (f64::from(out_h) / scale).min(h);
            Plan {
                width: out_w,
                height: out_h,
                crop: centred(width, height, crop_w, crop_h),
            }
        }
    }
}

fn scaled_side(side: f64, scale: f64, max: u32) -> u32 {
    ((side * scale).round() as u32).clamp(1, max)
}

/// The largest JPEG DCT scale denominator (1, 2, 4 or 8) at which the decoded image still has
/// at least one pixel for every output pixel of every plan, so shrink-on-load costs no detail.
pub fn jpeg_scale_denominator<'a>(plans: impl IntoIterator<Item = &'a Plan>) -> u32 {
    let tightest = plans
        .into_iter()
        .map(Plan::shrink_factor)
        .fold(f64::INFINITY, f64::min);
    [8, 4, 2]
        .into_iter()
        .find(|&d| f64::from(d) <= tightest)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendition(spec: &str) -> Rendition {
        spec.parse().unwrap()
    }

    #[test]
    fn fit_keeps_aspect_and_never_upscales() {
        let p = plan(4000, 3000, &rendition("l:1600x1600"));
        assert_eq!((p.width, p.height), (1600, 1200));
        assert_eq!(
            p.crop,
            Rect {
                left: 0.0,
                top: 0.0,
                width: 4000.0,
                height: 3000.0
            }
        );
        let p = plan(300, 200, &rendition("l:1600x1600"));
        assert_eq!((p.width, p.height), (300, 200));
        let p = plan(1000, 10, &rendition("l:200x200"));
        assert_eq!((p.width, p.height), (200, 2));
    }

    #[test]
    fn cover_fills_the_box_with_a_centred_crop() {
        let p = plan(4000, 3000, &rendition("t:200x200:cover"));
        assert_eq!((p.width, p.height), (200, 200));
        assert_eq!(
            p.crop,
            Rect {
                left: 500.0,
                top: 0.0,
                width: 3000.0,
                height: 3000.0
            }
        );
    }

    #[test]
    fn cover_of_a_small_source_crops_without_upscaling() {
        let p = plan(300, 100, &rendition("t:200x200:cover"));
        assert_eq!((p.width, p.height), (200, 100));
        assert_eq!(
            p.crop,
            Rect {
                left: 50.0,
                top: 0.0,
                width: 200.0,
                height: 100.0
            }
        );
    }

    #[test]
    fn transposing_swaps_sizes_and_crop_axes() {
        let upright = plan(3000, 4000, &rendition("t:200x100:cover"));
        let stored = upright.transposed(4000, 3000);
        assert_eq!(
            (stored.width, stored.height),
            (upright.height, upright.width)
        );
        assert_eq!(stored.crop.width, upright.crop.height);
        assert_eq!(stored.crop.left, (4000.0 - stored.crop.width) / 2.0);
    }

    #[test]
    fn decode_scale_keeps_a_pixel_per_output_pixel() {
        let plans: Vec<Plan> = ["a:1600x1600", "b:800x800", "c:200x200"]
            .iter()
            .map(|s| plan(4000, 3000, &rendition(s)))
            .collect();
        assert_eq!(jpeg_scale_denominator(&plans), 2);
        assert_eq!(jpeg_scale_denominator(&plans[1..]), 4);
        assert_eq!(jpeg_scale_denominator(&plans[2..]), 8);
        let big = plan(4000, 3000, &rendition("x:3000x3000"));
        assert_eq!(jpeg_scale_denominator([&big]), 1);
    }
}

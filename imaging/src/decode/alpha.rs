//! Flattening transparency onto the opaque background the renditions get (JPEG has no alpha).

/// Source-over compositing of one 8-bit channel with alpha onto an opaque background.
pub(super) fn composite(value: u8, background: u8, alpha: u8) -> u8 {
    let (v, b, a) = (u32::from(value), u32::from(background), u32::from(alpha));
    ((v * a + b * (255 - a) + 127) / 255) as u8
}

/// One RGBA pixel composited onto `background`.
pub(super) fn rgba_onto(pixel: &[u8], background: [u8; 3]) -> [u8; 3] {
    std::array::from_fn(|c| composite(pixel[c], background[c], pixel[3]))
}

/// Turns a buffer of RGBA pixels into RGB ones composited onto `background`, in place: each
/// RGB pixel is written at or before the RGBA pixel it comes from, so no second image-sized
/// buffer is needed.
pub(super) fn flatten_rgba_in_place(data: &mut Vec<u8>, background: [u8; 3]) {
    let pixels = data.len() / 4;
    for i in 0..pixels {
        let rgb = rgba_onto(&data[i * 4..i * 4 + 4], background);
        data[i * 3..i * 3 + 3].copy_from_slice(&rgb);
    }
    data.truncate(pixels * 3);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_blends_by_alpha() {
        assert_eq!(composite(200, 10, 255), 200);
        assert_eq!(composite(200, 10, 0), 10);
        assert_eq!(composite(255, 0, 128), 128);
    }

    #[test]
    fn rgba_flattens_in_place_onto_the_background() {
        let mut data = vec![10, 20, 30, 255, 0, 0, 0, 0, 255, 255, 255, 128];
        flatten_rgba_in_place(&mut data, [100, 150, 200]);
        assert_eq!(data, [10, 20, 30, 100, 150, 200, 178, 203, 228]);
    }
}

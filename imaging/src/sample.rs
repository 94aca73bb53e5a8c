//! Photo-like images generated on the spot, for tests, benchmarks and load tests that must not
//! depend on a folder of real photos.

use crate::{EncodeSettings, ImageError, Layout, OutputFormat, Pixels, encode};

/// A deterministic RGB image with what photos have: smooth gradients, soft edges, and a little
/// sensor-like noise; `seed` varies the scene.
pub fn photo(width: u32, height: u32, seed: u32) -> Pixels {
    let mut data = Vec::with_capacity(width as usize * height as usize * 3);
    let phase = seed as f32 * 0.7;
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
            let sky = (1.0 - fy) * 150.0;
            let hills = ((fx * 9.0 + phase).sin() * 0.08 + 0.55 - fy).clamp(-0.05, 0.05) * 900.0;
            let sun = (0.04 - ((fx - 0.7).powi(2) + (fy - 0.25).powi(2))).max(0.0) * 3000.0;
            let noise = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503).wrapping_add(seed))
                .rotate_left(13)
                % 9;
            let n = noise as f32 - 4.0;
            let texture = ((fx * 70.0 + phase).sin() * (fy * 50.0).cos()) * 12.0;
            data.push(
                (sky * 0.6 + hills.max(0.0) * 0.3 + sun + texture + n + 40.0).clamp(0.0, 255.0)
                    as u8,
            );
            data.push(
                (sky * 0.8 + hills.max(0.0) * 0.7 + sun * 0.8 + texture + n + 30.0)
                    .clamp(0.0, 255.0) as u8,
            );
            data.push(
                (sky * 1.3 - hills.min(0.0) * 0.2 + sun * 0.3 - texture + n + 20.0)
                    .clamp(0.0, 255.0) as u8,
            );
        }
    }
    Pixels {
        width,
        height,
        layout: Layout::Rgb,
        data,
    }
}

/// [`photo`] encoded as a JPEG of the given quality.
pub fn photo_jpeg(width: u32, height: u32, seed: u32, quality: u8) -> Result<Vec<u8>, ImageError> {
    encode(
        &photo(width, height, seed),
        OutputFormat::Jpeg,
        quality,
        EncodeSettings::default(),
    )
}

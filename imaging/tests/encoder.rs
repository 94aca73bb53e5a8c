//! The renditions' encoder against libjpeg-turbo's baseline encoder at the same settings, on
//! every flavour of pixels the core hands it: both outputs decoded, each compared with the pixels
//! it encodes. The default build encodes with libjpeg-turbo, so the bytes must be the reference's
//! own; the `rust-encoder` build (jpeg-encoder) must stay within the stated bounds.

use imaging::{EncodeSettings, Layout, OutputFormat, Pixels, encode, sample};
use mozjpeg::{ColorSpace, Compress, Decompress};

/// How much lower the pure-Rust encoder's PSNR may be than libjpeg-turbo's, and how much larger
/// its file: jpeg-encoder rounds its DCT and quantises differently (measured on these flavours:
/// within 0.03 dB, and at most 2.6% larger, on the odd-sized and tiny images).
const RUST_PSNR_SLACK_DB: f64 = 0.1;
const RUST_BYTES_SLACK: f64 = 0.04;

/// libjpeg-turbo's baseline encoder with the settings the renditions use: standard Huffman
/// tables, 4:2:0 chroma below quality 90 and 4:4:4 from there.
fn reference(pixels: &Pixels, quality: u8) -> Vec<u8> {
    let space = match pixels.layout {
        Layout::Gray => ColorSpace::JCS_GRAYSCALE,
        Layout::Rgb => ColorSpace::JCS_RGB,
    };
    let mut compress = Compress::new(space);
    compress.set_fastest_defaults();
    compress.set_size(pixels.width as usize, pixels.height as usize);
    compress.set_quality(f32::from(quality));
    if pixels.layout == Layout::Rgb {
        let chroma = if quality >= 90 { (1, 1) } else { (2, 2) };
        compress.set_chroma_sampling_pixel_sizes(chroma, chroma);
    }
    let mut started = compress.start_compress(Vec::new()).unwrap();
    started.write_scanlines(&pixels.data).unwrap();
    started.finish().unwrap()
}

/// Decodes with libjpeg-turbo to the layout of `like`.
fn decode(jpeg: &[u8], like: &Pixels) -> Vec<u8> {
    let decompress = Decompress::new_mem(jpeg).unwrap();
    let mut started = match like.layout {
        Layout::Gray => decompress.grayscale().unwrap(),
        Layout::Rgb => decompress.rgb().unwrap(),
    };
    let data = started.read_scanlines::<u8>().unwrap();
    started.finish().unwrap();
    data
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let mse = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0f64.powi(2) / mse.max(1e-9)).log10()
}

fn grey(photo: Pixels) -> Pixels {
    Pixels {
        data: photo.data.chunks_exact(3).map(|p| p[1]).collect(),
        layout: Layout::Gray,
        ..photo
    }
}

/// Every flavour: a photo at the job's qualities (4:2:0 and 4:4:4), sizes that are no multiple
/// of the 16-pixel MCU, grey, flat colour, and noise (the worst case for an entropy coder).
fn flavours() -> Vec<(String, Pixels, u8)> {
    let noise = Pixels {
        width: 96,
        height: 64,
        layout: Layout::Rgb,
        data: (0..96u32 * 64 * 3)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect(),
    };
    let flat = Pixels {
        width: 40,
        height: 30,
        layout: Layout::Rgb,
        data: [230, 120, 20].repeat(40 * 30),
    };
    vec![
        ("photo q80".into(), sample::photo(800, 600, 1), 80),
        ("photo q92".into(), sample::photo(800, 600, 2), 92),
        ("photo q60".into(), sample::photo(640, 480, 3), 60),
        ("odd size q80".into(), sample::photo(201, 133, 4), 80),
        ("tiny q80".into(), sample::photo(3, 5, 5), 80),
        ("grey q80".into(), grey(sample::photo(400, 300, 6)), 80),
        ("flat q80".into(), flat, 80),
        ("noise q80".into(), noise, 80),
    ]
}

#[test]
fn the_encoder_matches_libjpeg_turbo_on_every_flavour() {
    for (name, pixels, quality) in flavours() {
        let ours = encode(
            &pixels,
            OutputFormat::Jpeg,
            quality,
            EncodeSettings::default(),
        )
        .unwrap();
        let theirs = reference(&pixels, quality);
        let (ours_db, theirs_db) = (
            psnr(&pixels.data, &decode(&ours, &pixels)),
            psnr(&pixels.data, &decode(&theirs, &pixels)),
        );
        let size_ratio = ours.len() as f64 / theirs.len() as f64;
        eprintln!(
            "{name}: {ours_db:.3} dB / {} bytes, libjpeg-turbo {theirs_db:.3} dB / {} bytes",
            ours.len(),
            theirs.len()
        );
        if cfg!(feature = "rust-encoder") {
            assert!(
                ours_db >= theirs_db - RUST_PSNR_SLACK_DB,
                "{name}: {ours_db:.3} dB against libjpeg-turbo's {theirs_db:.3}"
            );
            assert!(
                size_ratio <= 1.0 + RUST_BYTES_SLACK,
                "{name}: {size_ratio:.3}x libjpeg-turbo's bytes"
            );
        } else {
            assert!(ours == theirs, "{name}: not libjpeg-turbo's own bytes");
        }
    }
}

/// What every encoder must reach whatever its settings: a photo at quality 80 keeps its detail
/// (PSNR well above the 30 dB where JPEG artefacts start to show), at a photo's bytes per pixel.
#[test]
fn a_photo_at_quality_80_keeps_its_detail_at_a_photos_size() {
    let pixels = sample::photo(800, 600, 7);
    let jpeg = encode(&pixels, OutputFormat::Jpeg, 80, EncodeSettings::default()).unwrap();
    let db = psnr(&pixels.data, &decode(&jpeg, &pixels));
    let bits_per_pixel = jpeg.len() as f64 * 8.0 / (800.0 * 600.0);
    assert!(db > 34.0, "{db:.2} dB");
    assert!(
        (0.3..3.0).contains(&bits_per_pixel),
        "{bits_per_pixel:.2} bpp"
    );
}

//! Colour management against LittleCMS: CMYK, Display P3 and Adobe RGB sources come out as
//! sRGB within a small ΔE of the reference conversion (`fixtures/wild/colour_reference.json`,
//! written by the generator with Pillow's LittleCMS), and profiles that cannot be used are
//! dropped with a warning.

use imaging::{RenderOptions, parse_renditions, render};
use testdata::{decode_output, fixture};

/// CIE Lab (D65) of an 8-bit sRGB colour.
fn lab(rgb: [u8; 3]) -> [f64; 3] {
    let linear = rgb.map(|c| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    });
    let m = [
        [0.4124, 0.3576, 0.1805],
        [0.2126, 0.7152, 0.0722],
        [0.0193, 0.1192, 0.9505],
    ];
    let white = [0.95047, 1.0, 1.08883];
    let xyz: Vec<f64> = (0..3)
        .map(|r| (0..3).map(|c| m[r][c] * linear[c]).sum::<f64>() / white[r])
        .collect();
    let f = |t: f64| {
        if t > 216.0 / 24389.0 {
            t.cbrt()
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(xyz[0]), f(xyz[1]), f(xyz[2]));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

fn delta_e(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (a, b) = (lab(a), lab(b));
    (0..3).map(|i| (a[i] - b[i]).powi(2)).sum::<f64>().sqrt()
}

/// Each patch's centre colour in the rendition at full size.
fn patch_colours(name: &str) -> (Vec<[u8; 3]>, Vec<String>) {
    let bytes = fixture(&format!("wild/{name}"));
    let spec = parse_renditions("full:1000x1000:q100").unwrap();
    let rendered = render(&bytes, &spec, &RenderOptions::default()).unwrap();
    let out = decode_output(&rendered.outputs[0].files[0].bytes);
    let colours = (0..out.width / 16)
        .map(|i| {
            let p = out.pixel(i * 16 + 8, 8);
            [p[0], p[1], p[2]]
        })
        .collect();
    (colours, rendered.warnings)
}

#[test]
fn profiled_sources_match_littlecms_in_srgb() {
    let reference: serde_json::Value =
        serde_json::from_slice(&fixture("wild/colour_reference.json")).unwrap();
    for name in ["display_p3.jpg", "adobe_rgb.jpg", "cmyk_profile.jpg"] {
        let (ours, warnings) = patch_colours(name);
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
        let expected: Vec<[u8; 3]> = serde_json::from_value(reference[name].clone()).unwrap();
        assert_eq!(ours.len(), expected.len(), "{name}");
        for (i, (got, want)) in ours.iter().zip(&expected).enumerate() {
            let difference = delta_e(*got, *want);
            eprintln!("{name} patch {i}: {got:?} vs LittleCMS {want:?}: ΔE {difference:.2}");
            // ΔE 2 is about the least difference an eye sees side by side.
            assert!(
                difference <= 2.0,
                "{name} patch {i}: {got:?} vs {want:?}: ΔE {difference:.2}"
            );
        }
    }
}

#[test]
fn unusable_profiles_are_dropped_with_a_warning_and_the_pixels_taken_as_srgb() {
    for name in ["stub_profile.jpg", "wrong_space_profile.jpg"] {
        let (ours, warnings) = patch_colours(name);
        assert!(
            warnings.len() == 1 && warnings[0].starts_with("the ICC profile was dropped"),
            "{name}: {warnings:?}"
        );
        // The generator's RGB patches, as stored.
        assert!(
            delta_e(ours[0], [200, 120, 80]) <= 2.0,
            "{name}: {:?}",
            ours[0]
        );
    }
}

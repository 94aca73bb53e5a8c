//! One test per class of odd file from the wild (`fixtures/wild/`): what libjpeg-turbo and
//! libpng read, the core reads to the same pixels, saying what it read past; what they cannot
//! read, or would paint grey, it refuses.

use imaging::{ErrorKind, Limits, Pixels, RenderOptions, decode, parse_renditions, probe, render};
use testdata::fixture;

const WHITE: [u8; 3] = [255; 3];

/// The decoded pixels of a fixture and the warnings of rendering it.
fn decoded(name: &str) -> (Pixels, Vec<String>) {
    let bytes = fixture(name);
    let header = probe(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let rendered = render(
        &bytes,
        &parse_renditions("a:64x64").unwrap(),
        &RenderOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let pixels = decode(&bytes, &header, 1, WHITE).unwrap().pixels;
    (pixels, rendered.warnings)
}

fn refusal(name: &str) -> ErrorKind {
    render(
        &fixture(name),
        &parse_renditions("a:64x64").unwrap(),
        &RenderOptions::default(),
    )
    .expect_err(name)
    .kind()
}

#[test]
fn sixteen_bit_transparency_keys_match_all_sixteen_bits() {
    // Key 0x0034: that sample turns into the background; 0x3400 stays opaque as 0x34.
    let (grey, _) = decoded("wild/trns16_grey.png");
    assert_eq!(grey.pixel(0, 0), [255, 255, 255]);
    assert_eq!(grey.pixel(1, 0), [0x34, 0x34, 0x34]);
    assert_eq!(grey.pixel(2, 0), [0x12, 0x12, 0x12]);
    let (rgb, _) = decoded("wild/trns16_rgb.png");
    assert_eq!(rgb.pixel(0, 0), [255, 255, 255]);
    assert_eq!(rgb.pixel(1, 0), [0x34, 0x12, 0x78]);
}

#[test]
fn damage_between_restart_markers_stays_between_them_and_is_reported() {
    let (damaged, warnings) = decoded("wild/restart_damaged.jpg");
    let (intact, clean) = decoded("wild/restart_intact.jpg");
    assert!(clean.is_empty(), "{clean:?}");
    assert!(
        !warnings.is_empty()
            && warnings
                .iter()
                .all(|w| w.starts_with("libjpeg: Corrupt JPEG data")),
        "{warnings:?}"
    );
    // One restart interval is one row of 16-pixel MCUs; the third (rows 32-47) was damaged.
    // Chroma upsampling blends one row across each MCU boundary.
    let row = |p: &Pixels, y: u32| {
        (0..p.width)
            .flat_map(|x| p.pixel(x, y).to_vec())
            .collect::<Vec<u8>>()
    };
    for y in (0..31).chain(49..intact.height) {
        assert_eq!(row(&damaged, y), row(&intact, y), "row {y}");
    }
    assert_ne!(row(&damaged, 40), row(&intact, 40), "the damaged interval");
}

#[test]
fn lossless_jpeg_decodes_to_its_source_exactly() {
    let (lossless, warnings) = decoded("wild/lossless.jpg");
    let (source, _) = decoded("wild/lossless_source.png");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(lossless, source);
}

#[test]
fn junk_an_empty_comment_or_a_missing_end_change_nothing_but_the_warnings() {
    let (plain, _) = decoded("wild/missing_eoi.jpg");
    for (name, warning) in [
        (
            "wild/junk_before_marker.jpg",
            "libjpeg: Corrupt JPEG data: 5 extraneous bytes before marker 0xdb",
        ),
        (
            "wild/zero_length_comment.jpg",
            "a segment 0xFE of length 0, read as empty",
        ),
        (
            "wild/missing_eoi.jpg",
            "no end-of-image marker after the scan data",
        ),
        (
            "wild/missing_eoi_progressive.jpg",
            "no end-of-image marker after the scan data",
        ),
    ] {
        let (pixels, warnings) = decoded(name);
        assert_eq!(warnings, [warning], "{name}");
        if !name.contains("progressive") {
            assert_eq!(pixels, plain, "{name}");
        }
    }
}

#[test]
fn files_cut_short_are_truncated_not_painted_grey() {
    for name in [
        "wild/cut_between_scans.jpg",
        "wild/cut_inside_scan.jpg",
        "truncated.jpg",
        "truncated.png",
    ] {
        assert_eq!(refusal(name), ErrorKind::Truncated, "{name}");
    }
}

#[test]
fn png_chunk_crcs_are_checked_as_libpng_checks_them() {
    assert_eq!(refusal("wild/bad_crc_critical.png"), ErrorKind::Corrupt);
    let (_, warnings) = decoded("wild/bad_crc_ancillary.png");
    assert_eq!(
        warnings,
        ["CRC error in ancillary chunk tEXt; it was ignored"]
    );
    let (_, warnings) = decoded("wild/missing_iend.png");
    assert_eq!(warnings, ["no IEND chunk at the end of the file"]);
}

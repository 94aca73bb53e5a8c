//! WebP and GIF sources: each decodes to the pixels of its PNG twin (made by `generate.py` from
//! the same image), animations render their first frame and say so, EXIF orientation holds,
//! and hostile or damaged ones get their error kind in `image_core.rs` beside JPEG's and PNG's.

use imaging::{Format, Limits, Pixels, decode, probe};
use testdata::{assert_colour, decode_output, fixture, render_fixture};

const WHITE: [u8; 3] = [255; 3];
const RED: [u8; 3] = [255, 0, 0];

fn decoded(name: &str) -> Pixels {
    let bytes = fixture(name);
    let header = probe(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    decode(&bytes, &header, 1, WHITE)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .pixels
}

#[test]
fn lossless_webp_and_gif_decode_to_the_pixels_of_their_png_twins() {
    for (source, twin) in [("alpha.webp", "alpha.png"), ("palette.gif", "palette.png")] {
        let (ours, reference) = (decoded(source), decoded(twin));
        assert_eq!(ours, reference, "{source} against {twin}");
        assert!(
            ours.data != vec![255; ours.data.len()],
            "{source}: not all background"
        );
    }
}

#[test]
fn sources_report_their_format_and_render_in_every_output_format() {
    for (name, format) in [
        ("photo.webp", Format::Webp),
        ("alpha.webp", Format::Webp),
        ("palette.gif", Format::Gif),
    ] {
        let rendered = render_fixture(name, "a:40x40:jpeg+webp");
        assert_eq!(rendered.format, format, "{name}");
        assert!(
            rendered.warnings.is_empty(),
            "{name}: {:?}",
            rendered.warnings
        );
        let jpeg = decode_output(&rendered.outputs[0].files[0].bytes);
        assert_eq!(jpeg.width, 40, "{name}");
    }
}

#[test]
fn exif_orientation_in_a_webp_is_applied() {
    let rendered = render_fixture("orientation_6.webp", "o:48x48");
    let out = decode_output(&rendered.outputs[0].files[0].bytes);
    assert_eq!((out.width, out.height), (48, 32));
    assert_colour(&out, 2, 2, RED, 40, "top left");
    assert_colour(&out, 45, 2, [0, 255, 0], 40, "top right");
    assert_colour(&out, 2, 29, [0, 0, 255], 40, "bottom left");
    assert_colour(&out, 45, 29, WHITE, 40, "bottom right");
}

#[test]
fn animations_render_their_first_frame_and_say_so() {
    // A red first frame over the whole canvas, then a blue one.
    let webp = decoded("animated.webp");
    assert!(webp.data.chunks_exact(3).all(|p| p == RED), "animated.webp");
    // A red 24x16 first frame at (8, 4) on a 48x32 screen: the rest is background.
    let gif = decoded("animated.gif");
    assert_eq!((gif.width, gif.height), (48, 32));
    for (x, y, colour) in [
        (8, 4, RED),
        (31, 19, RED),
        (7, 4, WHITE),
        (32, 19, WHITE),
        (8, 20, WHITE),
    ] {
        assert_eq!(gif.pixel(x, y), colour, "animated.gif at ({x}, {y})");
    }
    for name in ["animated.webp", "animated.gif"] {
        let warnings = render_fixture(name, "a:20x20").warnings;
        assert_eq!(
            warnings,
            ["an animation: the renditions show its first frame"],
            "{name}"
        );
    }
}

//! The image core against generated fixtures: sizes, orientation, colour, metadata, errors.

use imaging::{
    CpuExtensions, EncodeSettings, ErrorKind, Layout, Limits, OutputFormat, Pixels, RenderOptions,
    Rendition, encode, output_sizes, parse_renditions, render, supported_cpu_extensions,
};
use testdata::*;

fn renditions(spec: &str) -> Vec<Rendition> {
    parse_renditions(spec).expect("valid renditions")
}

#[test]
fn every_exif_orientation_comes_out_upright() {
    for orientation in 1..=8 {
        let name = format!("orientation_{orientation}.jpg");
        let rendered = render_fixture(&name, "o:48x48");
        let out = decode_output(&rendered.outputs[0].files[0].bytes);
        assert_eq!((out.width, out.height), (48, 32), "{name}");
        assert_colour(&out, 2, 2, [255, 0, 0], 40, &name);
        assert_colour(&out, 45, 2, [0, 255, 0], 40, &name);
        assert_colour(&out, 2, 29, [0, 0, 255], 40, &name);
        assert_colour(&out, 45, 29, [255, 255, 255], 40, &name);
    }
}

#[test]
fn outputs_are_plain_srgb_without_metadata() {
    // The fixtures' profiles are sRGB: nothing to convert, nothing to say, nothing to embed.
    for (name, spec) in [
        ("icc_gps.jpg", "a:80x80,b:40x40:cover"),
        ("icc.png", "a:80x80"),
        ("orientation_6.jpg", "a:80x80"),
    ] {
        let rendered = render_fixture(name, spec);
        assert!(
            rendered.warnings.is_empty(),
            "{name}: {:?}",
            rendered.warnings
        );
        for output in &rendered.outputs {
            let segments = app_segments(&output.files[0].bytes);
            assert!(
                segments.iter().all(|(marker, _)| *marker == 0xE0),
                "{name} {}: only the JFIF header may remain: {segments:?}",
                output.name
            );
        }
    }
}

#[test]
fn fit_and_cover_sizes_for_every_jpeg_flavour() {
    for name in [
        "baseline_420.jpg",
        "baseline_444.jpg",
        "progressive.jpg",
        "grayscale.jpg",
        "icc_gps.jpg",
    ] {
        let rendered = render_fixture(name, "big:1000x1000,fit:80x80,square:50x50:cover:q70");
        let sizes: Vec<(u32, u32)> = rendered
            .outputs
            .iter()
            .map(|o| {
                let pixels = decode_output(&o.files[0].bytes);
                assert_eq!((pixels.width, pixels.height), (o.width, o.height), "{name}");
                (o.width, o.height)
            })
            .collect();
        assert_eq!(sizes, [(160, 120), (80, 60), (50, 50)], "{name}");
        let names: Vec<&str> = rendered.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["big", "fit", "square"]);
    }
}

/// A 48x48 baseline JPEG coded one component per scan (jpeg-encoder writes that layout when it
/// optimises Huffman tables) with red, green, blue and white quadrants: a layout some decoders
/// get wrong (zune-jpeg 0.5.15 turns it black at this size).
fn non_interleaved_quadrants() -> Vec<u8> {
    let mut rgb = Vec::with_capacity(48 * 48 * 3);
    for y in 0..48 {
        for x in 0..48 {
            rgb.extend(match (x < 24, y < 24) {
                (true, true) => [255, 0, 0],
                (false, true) => [0, 255, 0],
                (true, false) => [0, 0, 255],
                (false, false) => [255, 255, 255],
            });
        }
    }
    let mut jpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 95);
    encoder.set_optimized_huffman_tables(true);
    encoder
        .encode(&rgb, 48, 48, jpeg_encoder::ColorType::Rgb)
        .expect("encode quadrants");
    jpeg
}

#[test]
fn non_interleaved_baseline_sources_keep_their_colours() {
    let source = non_interleaved_quadrants();
    for (spec, scale) in [("o:48x48", 1), ("o:24x24", 2)] {
        let rendered = render(&source, &renditions(spec), &RenderOptions::default())
            .unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(rendered.decode_scale, scale, "{spec}");
        let out = decode_output(&rendered.outputs[0].files[0].bytes);
        let far = out.width - 3;
        assert_colour(&out, 2, 2, [255, 0, 0], 40, "red quadrant");
        assert_colour(&out, far, 2, [0, 255, 0], 40, "green quadrant");
        assert_colour(&out, 2, far, [0, 0, 255], 40, "blue quadrant");
        assert_colour(&out, far, far, [255, 255, 255], 40, "white quadrant");
    }
}

#[test]
fn grayscale_stays_grayscale() {
    let rendered = render_fixture("grayscale.jpg", "a:80x80");
    assert_eq!(
        decode_output(&rendered.outputs[0].files[0].bytes).layout,
        Layout::Gray
    );
}

#[test]
fn cmyk_is_converted_to_the_right_colours() {
    let rendered = render_fixture("cmyk.jpg", "a:64x64");
    let out = decode_output(&rendered.outputs[0].files[0].bytes);
    assert_colour(&out, 8, 16, [255, 0, 0], 40, "cyan-free magenta+yellow ink");
    assert_colour(&out, 56, 16, [0, 0, 255], 40, "cyan+magenta ink");
}

#[test]
fn png_alpha_is_flattened_onto_the_background() {
    for name in ["alpha.png", "palette.png"] {
        let out = decode_output(&render_fixture(name, "a:64x64").outputs[0].files[0].bytes);
        assert_colour(&out, 8, 16, [255, 0, 0], 40, name);
        assert_colour(&out, 56, 16, [255, 255, 255], 10, name);
        let black = RenderOptions {
            background: [0, 0, 0],
            ..RenderOptions::default()
        };
        let rendered = render(&fixture(name), &renditions("a:64x64"), &black).unwrap();
        let out = decode_output(&rendered.outputs[0].files[0].bytes);
        assert_colour(&out, 56, 16, [0, 0, 0], 10, name);
    }
}

#[test]
fn sixteen_bit_and_grey_alpha_png_decode() {
    let out = decode_output(&render_fixture("gray16.png", "a:40x40").outputs[0].files[0].bytes);
    assert_eq!((out.width, out.height), (40, 30));
    // The ramp goes from black on the left to light grey on the right.
    assert!(out.pixel(1, 15)[0] < 20 && out.pixel(38, 15)[0] > 200);
    let out = decode_output(&render_fixture("gray_alpha.png", "a:40x40").outputs[0].files[0].bytes);
    assert_colour(&out, 5, 5, [255, 255, 255], 10, "transparent grey");
}

#[test]
fn bad_inputs_get_the_right_error_kind() {
    for (name, kind) in [
        ("truncated.jpg", ErrorKind::Truncated),
        ("truncated.png", ErrorKind::Truncated),
        ("empty.jpg", ErrorKind::Empty),
        ("not_an_image.jpg", ErrorKind::UnknownFormat),
        ("pixel_flood.jpg", ErrorKind::TooLarge),
        ("gif_screen_bomb.gif", ErrorKind::TooLarge),
        ("truncated.webp", ErrorKind::Truncated),
        ("truncated.gif", ErrorKind::Truncated),
    ] {
        let err = render(
            &fixture(name),
            &renditions("a:80x80"),
            &RenderOptions::default(),
        )
        .expect_err(name);
        assert_eq!(err.kind(), kind, "{name}: {err}");
        assert!(!err.is_retryable(), "{name}");
    }
}

/// A synthetic photo encoded at high quality, as a JPEG source.
fn synthetic_jpeg(width: u32, height: u32) -> Vec<u8> {
    imaging::sample::photo_jpeg(width, height, 1, 95).expect("encode synthetic")
}

#[test]
fn shrink_on_load_is_used_and_matches_a_full_decode() {
    let source = synthetic_jpeg(1024, 768);
    let list = renditions("a:256x256,b:64x64:cover");
    let scaled = render(&source, &list, &RenderOptions::default()).unwrap();
    assert_eq!(scaled.decode_scale, 4);
    // The same renditions with one that forces a full-size decode.
    let mut full_list = list.clone();
    full_list.push("full:1024x1024".parse().unwrap());
    let full = render(&source, &full_list, &RenderOptions::default()).unwrap();
    assert_eq!(full.decode_scale, 1);
    for (a, b) in scaled.outputs.iter().zip(&full.outputs) {
        let (a, b) = (
            decode_output(&a.files[0].bytes),
            decode_output(&b.files[0].bytes),
        );
        let quality = psnr(&a.data, &b.data);
        assert!(quality > 30.0, "{}x{}: {quality:.1} dB", a.width, a.height);
    }
}

#[test]
fn every_cpu_variant_renders_identical_bytes() {
    let source = synthetic_jpeg(640, 480);
    let list = renditions("a:400x400,b:120x120:cover,c:50x50");
    let variants = imaging::supported_cpu_extensions();
    assert!(variants.contains(&CpuExtensions::None));
    let render_with = |cpu| {
        let options = RenderOptions {
            cpu,
            ..RenderOptions::default()
        };
        let rendered = render(&source, &list, &options).unwrap();
        rendered
            .outputs
            .into_iter()
            .map(|o| o.files[0].bytes.clone())
            .collect::<Vec<_>>()
    };
    let reference = render_with(CpuExtensions::None);
    for cpu in variants {
        assert!(
            render_with(cpu) == reference,
            "{cpu:?} differs from the scalar code"
        );
    }
}

#[test]
fn subsampled_chroma_is_right_to_the_last_row_and_column_of_every_size() {
    // A flat colour comes back within 1 of itself. If the encoder's padding below an even
    // height read a chroma row the conversion left unwritten, the DCT would spread the wrong
    // colour into the visible rows (by 5 at 2x2, 16x2, 33x18 and 40x34).
    let orange = [230, 120, 20];
    let sizes = [
        (1, 1),
        (2, 2),
        (3, 5),
        (16, 2),
        (17, 9),
        (18, 16),
        (33, 18),
        (40, 34),
        (64, 47),
    ];
    for (width, height) in sizes {
        let pixels = Pixels {
            width,
            height,
            layout: Layout::Rgb,
            data: orange.repeat((width * height) as usize),
        };
        for cpu in supported_cpu_extensions() {
            let out = decode_output(
                &encode(
                    &pixels,
                    OutputFormat::Jpeg,
                    80,
                    EncodeSettings {
                        cpu,
                        ..EncodeSettings::default()
                    },
                )
                .unwrap(),
            );
            for (x, y) in (0..height).flat_map(|y| (0..width).map(move |x| (x, y))) {
                let what = format!("{width}x{height} on {cpu:?} at {x},{y}");
                assert_colour(&out, x, y, orange, 2, &what);
            }
        }
    }
}

#[test]
fn cascades_work_for_awkward_aspect_ratios() {
    // Renditions derived from rounded intermediate sizes must stay inside their buffers.
    let list = renditions("a:160x160,b:80x80,c:20x20,d:30x30:cover");
    for width in (301..340).step_by(3) {
        for height in (171..200).step_by(7) {
            let source = synthetic_jpeg(width, height);
            let rendered = render(&source, &list, &RenderOptions::default())
                .unwrap_or_else(|e| panic!("{width}x{height}: {e}"));
            let planned = output_sizes(&source, &list, &Limits::default()).unwrap();
            let made: Vec<(u32, u32)> = rendered
                .outputs
                .iter()
                .map(|o| {
                    let decoded = decode_output(&o.files[0].bytes);
                    assert_eq!((decoded.width, decoded.height), (o.width, o.height));
                    (o.width, o.height)
                })
                .collect();
            assert_eq!(made, planned, "{width}x{height}");
        }
    }
}

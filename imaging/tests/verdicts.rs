//! Every test file through `render`, against the verdict of libjpeg-turbo, libpng and libwebp
//! in their default modes: where they produce a full image, the core renders it with the same
//! pixels (or refuses a file cut short, which they would paint grey); where they fail, it
//! refuses the file with a typed error. GIFs have no C decoder linked here: `sources.rs` holds
//! them to PNG twins. Runs on the committed fixtures, and on the shared oddities when they sit
//! beside the checkout.

use std::collections::BTreeMap;
use std::path::Path;

use imaging::{ErrorKind, Kind, Limits, RenderOptions, decode, parse_renditions, probe, render};

const WHITE: [u8; 3] = [255; 3];

/// What a reference decoder made of a file: interleaved 8-bit samples, or its error.
type Reference = Result<(u32, u32, usize, Vec<u8>), String>;

/// libjpeg-turbo through mozjpeg with its default error manager: warnings silenced, a fatal
/// error an unwind carrying the message.
fn libjpeg(bytes: &[u8]) -> Reference {
    let run = || -> std::io::Result<(u32, u32, usize, Vec<u8>)> {
        let decompress = mozjpeg::Decompress::new_mem(bytes)?;
        let (width, height) = (decompress.width() as u32, decompress.height() as u32);
        let (channels, mut started) = match decompress.image()? {
            mozjpeg::Format::Gray(d) => (1, d),
            mozjpeg::Format::RGB(d) => (3, d),
            mozjpeg::Format::CMYK(d) => (4, d),
        };
        let samples = started.read_scanlines::<u8>()?;
        Ok((width, height, channels, samples))
    };
    match std::panic::catch_unwind(run) {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(payload) => Err(imaging::panic_message(&*payload)),
    }
}

/// libpng's simplified API, reading to 8-bit RGBA: what Pillow-free tools built on libpng do.
fn libpng(bytes: &[u8]) -> Reference {
    use libpng_sys::ffi;
    // SAFETY: a zeroed png_image with its version set is how the simplified API starts; the
    // buffer is the size PNG_IMAGE_SIZE gives for the format asked; png_image_free releases
    // what begin_read allocated, on every path.
    unsafe {
        let mut image: ffi::png_image = std::mem::zeroed();
        image.version = ffi::PNG_IMAGE_VERSION;
        let message = |image: &ffi::png_image| {
            std::ffi::CStr::from_ptr(image.message.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        if ffi::png_image_begin_read_from_memory(&mut image, bytes.as_ptr().cast(), bytes.len())
            == 0
        {
            return Err(message(&image));
        }
        image.format = ffi::PNG_FORMAT_RGBA;
        // Read 16-bit samples as sRGB, as browsers and the core do, not as linear light.
        image.flags |= ffi::PNG_IMAGE_FLAG_16BIT_sRGB;
        let mut buffer = vec![0u8; image.width as usize * image.height as usize * 4];
        let ok = ffi::png_image_finish_read(
            &mut image,
            std::ptr::null(),
            buffer.as_mut_ptr().cast(),
            0,
            std::ptr::null_mut(),
        );
        let result = if ok == 0 {
            Err(message(&image))
        } else {
            Ok((image.width, image.height, 4, buffer))
        };
        ffi::png_image_free(&mut image);
        result
    }
}

/// libwebp's simple API, reading to 8-bit RGBA (alpha 255 where the file has none). It reads
/// still images only.
fn libwebp(bytes: &[u8]) -> Reference {
    let (mut width, mut height) = (0, 0);
    // SAFETY: libwebp reads `bytes` and returns null or a buffer of width * height * 4 bytes
    // that it allocated, which is copied and then released with WebPFree.
    unsafe {
        let out = libwebp_sys::WebPDecodeRGBA(bytes.as_ptr(), bytes.len(), &mut width, &mut height);
        if out.is_null() {
            return Err("libwebp: WebPDecodeRGBA returned no image".to_owned());
        }
        let size = width as usize * height as usize * 4;
        let samples = std::slice::from_raw_parts(out, size).to_vec();
        libwebp_sys::WebPFree(out.cast());
        Ok((width as u32, height as u32, 4, samples))
    }
}

/// Whether the file ends before its image data does: no EOI after the last scan header, or no
/// IEND chunk. libjpeg and libpng decode such files with the missing rows grey or absent.
fn cut_short(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\x89PNG") {
        return !bytes.windows(4).any(|w| w == b"IEND");
    }
    let last = |marker: [u8; 2]| bytes.windows(2).rposition(|w| w == marker);
    match (last([0xFF, 0xDA]), last([0xFF, 0xD9])) {
        (Some(scan), Some(end)) => end < scan,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Our decode's samples against the reference's: RGBA references are composited onto white
/// first, as the core does.
fn worst_difference(
    ours: &imaging::Pixels,
    (width, height, channels, samples): &(u32, u32, usize, Vec<u8>),
) -> Option<u8> {
    if (ours.width, ours.height) != (*width, *height) {
        return Some(255);
    }
    let composite = |v: u8, a: u8| {
        ((u32::from(v) * u32::from(a) + 255 * (255 - u32::from(a)) + 127) / 255) as u8
    };
    let reference: Vec<[u8; 3]> = samples
        .chunks_exact(*channels)
        .map(|p| match p {
            [g] => [*g; 3],
            [r, g, b] => [*r, *g, *b],
            [r, g, b, a] => [composite(*r, *a), composite(*g, *a), composite(*b, *a)],
            _ => unreachable!(),
        })
        .collect();
    let ours = ours
        .data
        .chunks_exact(ours.layout.channels())
        .map(|p| match p {
            [g] => [*g; 3],
            rgb => [rgb[0], rgb[1], rgb[2]],
        });
    ours.zip(reference)
        .flat_map(|(a, b)| (0..3).map(move |c| a[c].abs_diff(b[c])))
        .max()
}

/// The verdict on one file, as a class name for the tally; panics on a broken rule.
fn check(path: &Path) -> &'static str {
    let name = path.display();
    let bytes = std::fs::read(path).unwrap();
    let renditions = parse_renditions("a:256x256").unwrap();
    let ours = render(&bytes, &renditions, &RenderOptions::default());
    if let Err(err) = &ours {
        assert_ne!(err.kind(), ErrorKind::Internal, "{name}: {err}");
        match err.kind() {
            ErrorKind::TooLarge => return "over a limit: too_large",
            ErrorKind::Empty => return "empty",
            _ => {}
        }
    }
    let is_jpeg = bytes.starts_with(&[0xFF, 0xD8]);
    let is_png = bytes.starts_with(b"\x89PNG");
    let is_webp = bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP");
    if bytes.starts_with(b"GIF8") {
        return if ours.is_ok() {
            "GIF: decoded"
        } else {
            "GIF: refused"
        };
    }
    if !is_jpeg && !is_png && !is_webp {
        let err = ours.expect_err("not JPEG, PNG, WebP or GIF");
        assert_eq!(err.kind(), ErrorKind::UnknownFormat, "{name}: {err}");
        return "other format: unknown_format";
    }
    let header = probe(&bytes, &Limits::default());
    let kind = header.as_ref().ok().map(|h| h.kind.clone());
    let lossless = matches!(
        kind,
        Some(Kind::Jpeg {
            coding: imaging::JpegCoding::Lossless,
            ..
        })
    );
    if matches!(kind, Some(Kind::Webp { animated: true, .. })) {
        assert!(ours.is_ok(), "{name}: {:?}", ours.err());
        return "animated WebP: first frame (libwebp's simple API reads no animation)";
    }
    let reference = if is_jpeg {
        libjpeg(&bytes)
    } else if is_png {
        libpng(&bytes)
    } else {
        libwebp(&bytes)
    };
    match (&ours, reference) {
        (Ok(_), Err(e)) if lossless => {
            // libjpeg-turbo reads lossless files from version 3; mozjpeg's is older.
            assert!(e.contains("SOF type 0xc3"), "{name}: {e}");
            "decoded (lossless: libjpeg-turbo 3)"
        }
        (Ok(rendered), Ok(reference)) => {
            let header = header.expect("a rendered file probes");
            let decoded = decode(&bytes, &header, 1, WHITE).expect("a rendered file decodes");
            if reference.2 == 4 && is_jpeg {
                return "decoded (CMYK, colours checked by colour tests)";
            }
            let worst = worst_difference(&decoded.pixels, &reference).unwrap_or(0);
            // image-webp's lossy decode matches libwebp's fancy upsampling exactly.
            let tolerance = match kind {
                Some(Kind::Png { .. }) => 1,
                _ => 0,
            };
            assert!(
                worst <= tolerance,
                "{name}: pixels differ from the reference by up to {worst}"
            );
            if rendered.warnings.is_empty() {
                "decoded"
            } else {
                "decoded with warnings"
            }
        }
        (Err(err), Ok(_)) => {
            assert!(
                err.kind() == ErrorKind::Truncated && cut_short(&bytes),
                "{name}: the reference decodes it, the core says {err}"
            );
            "cut short: truncated (the reference paints the rest)"
        }
        (Ok(_), Err(e)) => panic!("{name}: the reference fails ({e}), the core rendered it"),
        (Err(_), Err(_)) => "refused by both",
    }
}

#[test]
fn every_file_gets_the_verdict_of_libjpeg_turbo_libpng_and_libwebp() {
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let inputs = testdata::verdict_inputs();
    for path in &inputs {
        *tally.entry(check(path)).or_default() += 1;
    }
    eprintln!("{} files: {tally:#?}", inputs.len());
    assert!(tally.contains_key("decoded with warnings") && tally.contains_key("refused by both"));
}

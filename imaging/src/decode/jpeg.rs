//! Which JPEG decoder takes a file: libjpeg-turbo (as mozjpeg) for every DCT-coded file,
//! arithmetic-coded and CMYK included, and jpeg-decoder for lossless ones. CMYK leaves here
//! converted to sRGB.
//!
//! zune-jpeg is not used: even in strict mode it returns damaged scans without an error (42 of
//! 363 single-byte corruptions of a baseline file that libjpeg flags, with pixels up to 255
//! levels off), and libjpeg-turbo decodes baseline photos as fast or faster (`make
//! bench-stages`, group `decode`, times both).

use super::{checked_pixels, libjpeg, lossless};
use crate::colour::{Colour, Source, cmyk_to_rgb};
use crate::error::ImageError;
use crate::format::Format;
use crate::pixels::{Layout, Pixels};
use crate::probe::{Header, JpegCoding, Kind};

const FMT: Format = Format::Jpeg;

pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    denominator: u32,
    warnings: &mut Vec<String>,
) -> Result<(Pixels, Colour), ImageError> {
    let Kind::Jpeg {
        coding,
        components,
        adobe,
        precision,
        ended,
        ..
    } = header.kind
    else {
        return Err(ImageError::internal(
            "decoding",
            "a PNG header in the JPEG decoder",
        ));
    };
    let source = match components {
        1 => Source::Gray,
        4 => Source::Cmyk,
        _ => Source::Rgb,
    };
    let colour = Colour::for_source(header.icc.as_deref(), source, warnings);
    if coding == JpegCoding::Lossless {
        return Ok((lossless::decode(bytes, precision)?, colour));
    }
    let (output, layout) = match source {
        Source::Gray => (libjpeg::Output::Gray, Layout::Gray),
        Source::Rgb => (libjpeg::Output::Rgb, Layout::Rgb),
        Source::Cmyk => (libjpeg::Output::Cmyk, Layout::Rgb),
    };
    let (width, height, data) = libjpeg::decode(bytes, ended, denominator, output, warnings)?;
    let Colour::Cmyk(transform) = &colour else {
        let pixels = checked_pixels(FMT, width, height, layout, data)?;
        return Ok((pixels, colour));
    };
    let mut cmyk = data;
    // Adobe's applications write CMYK inverted (0 = full ink) and mark it with APP14, so
    // libjpeg-based readers (Pillow, libvips, browsers) invert when they see the marker.
    if adobe {
        cmyk.iter_mut().for_each(|v| *v = 255 - *v);
    }
    let mut rgb = vec![0; cmyk.len() / 4 * 3];
    cmyk_to_rgb(transform.as_deref(), &cmyk, &mut rgb)?;
    let pixels = checked_pixels(FMT, width, height, Layout::Rgb, rgb)?;
    Ok((pixels, Colour::Srgb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Limits, probe};

    #[test]
    fn libjpeg_and_an_independent_decoder_agree_on_every_flavour() {
        for name in [
            "baseline_420.jpg",
            "baseline_444.jpg",
            "progressive.jpg",
            "grayscale.jpg",
            "wild/restart_intact.jpg",
        ] {
            let jpeg = testdata::fixture(name);
            let header = probe(&jpeg, &Limits::default()).unwrap();
            let (ours, _) = decode(&jpeg, &header, 1, &mut Vec::new()).unwrap();
            let theirs = jpeg_decoder::Decoder::new(&jpeg[..]).decode().unwrap();
            assert_eq!(ours.data.len(), theirs.len(), "{name}");
            let differences: Vec<u32> = ours
                .data
                .iter()
                .zip(&theirs)
                .map(|(a, b)| u32::from(a.abs_diff(*b)))
                .collect();
            let mean = f64::from(differences.iter().sum::<u32>()) / differences.len() as f64;
            let worst = differences.iter().max().copied().unwrap_or(0);
            // They differ only in IDCT and chroma upsampling rounding.
            assert!(
                mean < 1.0 && worst <= 8,
                "{name}: mean {mean:.2}, worst {worst}"
            );
        }
    }

    #[test]
    fn arithmetic_coding_decodes_to_the_pixels_of_its_huffman_original() {
        let decoded = |name: &str| {
            let jpeg = testdata::fixture(name);
            let header = probe(&jpeg, &Limits::default()).unwrap();
            decode(&jpeg, &header, 1, &mut Vec::new()).unwrap().0
        };
        // jpegtran re-codes the same coefficients; `missing_eoi.jpg` is the original less EOI.
        assert_eq!(
            decoded("wild/arithmetic.jpg").data,
            decoded("wild/missing_eoi.jpg").data
        );
    }
}

//! Renditions in several formats: each decodes with an independent decoder at the planned size,
//! upright and without metadata, and the formats share one resize.

use imaging::{OutputFormat, RenderOptions, sample::photo_jpeg};
use testdata::{assert_colour, decode_output, fixture, psnr, render_spec, rendered_file};

/// How far below the JPEG rendition's fidelity a WebP of the same quality number may fall,
/// against the same resized pixels' best stand-in (the q95 JPEG). Measured here at quality 80
/// on the sample photo: JPEG 43.2 dB in 16,216 bytes, WebP 42.0 dB in 8,392 bytes.
const WEBP_PSNR_BELOW_JPEG_DB: f64 = 2.0;

/// The fourccs of a WebP's chunks, after the RIFF header.
fn webp_chunks(webp: &[u8]) -> Vec<String> {
    assert!(webp.starts_with(b"RIFF") && &webp[8..12] == b"WEBP");
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= webp.len() {
        chunks.push(String::from_utf8_lossy(&webp[at..at + 4]).into_owned());
        let size = u32::from_le_bytes(webp[at + 4..at + 8].try_into().unwrap()) as usize;
        at += 8 + size + size % 2;
    }
    assert_eq!(at, webp.len(), "chunks fill the file exactly");
    chunks
}

#[test]
fn every_format_decodes_at_the_planned_size_close_to_the_jpeg() {
    let source = photo_jpeg(1200, 800, 3, 95).unwrap();
    let options = RenderOptions::default();
    let rendered = render_spec(
        &source,
        "big:600x600:q80:jpeg+webp,ref:600x600:q95",
        &options,
    );
    let reference = decode_output(&rendered_file(&rendered, "ref", OutputFormat::Jpeg));
    let jpeg = decode_output(&rendered_file(&rendered, "big", OutputFormat::Jpeg));
    let webp = decode_output(&rendered_file(&rendered, "big", OutputFormat::Webp));
    for pixels in [&jpeg, &webp] {
        assert_eq!((pixels.width, pixels.height), (600, 400));
    }
    let (jpeg_db, webp_db) = (
        psnr(&jpeg.data, &reference.data),
        psnr(&webp.data, &reference.data),
    );
    assert!(
        jpeg_db > 30.0,
        "the JPEG itself is faithful: {jpeg_db:.1} dB"
    );
    assert!(
        webp_db > jpeg_db - WEBP_PSNR_BELOW_JPEG_DB,
        "WebP {webp_db:.1} dB against JPEG {jpeg_db:.1} dB"
    );
}

#[test]
fn a_rendition_without_a_quality_gets_each_formats_default() {
    let source = photo_jpeg(1200, 800, 3, 95).unwrap();
    let rendered = render_spec(
        &source,
        "default:600x600:jpeg+webp,q80:600x600:q80:jpeg+webp,q87:600x600:q87:webp",
        &RenderOptions::default(),
    );
    // JPEG's default is q80; WebP's is the higher number that looks like JPEG q80.
    assert_eq!(
        rendered_file(&rendered, "default", OutputFormat::Jpeg),
        rendered_file(&rendered, "q80", OutputFormat::Jpeg)
    );
    let default_webp = rendered_file(&rendered, "default", OutputFormat::Webp);
    assert_eq!(
        default_webp,
        rendered_file(&rendered, "q87", OutputFormat::Webp)
    );
    assert!(default_webp.len() > rendered_file(&rendered, "q80", OutputFormat::Webp).len());
}

#[test]
fn webp_renditions_are_upright_and_carry_no_metadata() {
    for orientation in [1, 3, 6, 8] {
        let name = format!("orientation_{orientation}.jpg");
        let rendered = render_spec(&fixture(&name), "o:48x48:webp", &RenderOptions::default());
        let webp = rendered_file(&rendered, "o", OutputFormat::Webp);
        // A simple lossy WebP: one VP8 chunk, so no EXIF, XMP or ICC chunk can ride along.
        assert_eq!(webp_chunks(&webp), ["VP8 "], "{name}");
        let out = decode_output(&webp);
        assert_eq!((out.width, out.height), (48, 32), "{name}");
        assert_colour(&out, 2, 2, [255, 0, 0], 48, &name);
        assert_colour(&out, 45, 2, [0, 255, 0], 48, &name);
        assert_colour(&out, 2, 29, [0, 0, 255], 48, &name);
    }
    let grey = render_spec(
        &fixture("grayscale.jpg"),
        "g:64x64:webp",
        &RenderOptions::default(),
    );
    let out = decode_output(&rendered_file(&grey, "g", OutputFormat::Webp));
    let spread = out
        .data
        .chunks_exact(3)
        .map(|p| p.iter().max().unwrap() - p.iter().min().unwrap())
        .max()
        .unwrap();
    assert!(
        spread <= 6,
        "a grey source stays grey in WebP: spread {spread}"
    );
}

#[test]
fn more_formats_leave_each_file_as_it_would_be_alone() {
    // One resize feeds every format: the JPEG of `jpeg+webp` is the JPEG of `jpeg` alone,
    // and its WebP the WebP of `webp` alone, byte for byte.
    let source = photo_jpeg(900, 700, 5, 90).unwrap();
    let options = RenderOptions::default();
    let both = render_spec(&source, "a:300x300:cover:q70:webp+jpeg", &options);
    let jpeg = render_spec(&source, "a:300x300:cover:q70", &options);
    let webp = render_spec(&source, "a:300x300:cover:q70:webp", &options);
    let formats: Vec<OutputFormat> = both.outputs[0].files.iter().map(|f| f.format).collect();
    assert_eq!(
        formats,
        [OutputFormat::Webp, OutputFormat::Jpeg],
        "in the spec's order"
    );
    assert_eq!(
        rendered_file(&both, "a", OutputFormat::Jpeg),
        rendered_file(&jpeg, "a", OutputFormat::Jpeg)
    );
    assert_eq!(
        rendered_file(&both, "a", OutputFormat::Webp),
        rendered_file(&webp, "a", OutputFormat::Webp)
    );
}

#[test]
fn the_webp_method_trades_speed_for_size() {
    let source = photo_jpeg(800, 600, 7, 92).unwrap();
    let size = |webp_method| {
        let options = RenderOptions {
            webp_method,
            ..RenderOptions::default()
        };
        rendered_file(
            &render_spec(&source, "a:800x800:webp", &options),
            "a",
            OutputFormat::Webp,
        )
        .len()
    };
    let (fastest, default, smallest) = (size(0), size(4), size(6));
    assert!(
        fastest > default && default >= smallest,
        "method 0: {fastest} B, 4: {default} B, 6: {smallest} B"
    );
}

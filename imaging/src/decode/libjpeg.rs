//! libjpeg-turbo (as mozjpeg) with its warnings kept: libjpeg reads past damage (junk, bad
//! Huffman codes, a scan cut short) with a warning and fills what it could not read. Each
//! warning becomes a line in the render's `warnings`; a file that ends inside its image data
//! is refused as truncated instead, because libjpeg would paint the rest of it grey.

use std::borrow::Cow;
use std::cell::RefCell;
use std::os::raw::c_int;

use mozjpeg::{ColorSpace, Decompress};
use mozjpeg_sys::{
    J_MESSAGE_CODE, JWRN_HIT_MARKER, JWRN_JPEG_EOF, jpeg_common_struct, jpeg_error_mgr,
    jpeg_std_error,
};

use super::tally;
use crate::error::{ImageError, panic_message};
use crate::format::Format;

const FMT: Format = Format::Jpeg;

/// The samples to ask libjpeg for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Output {
    Gray,
    Rgb,
    /// CMYK as stored (YCCK is converted to CMYK by libjpeg).
    Cmyk,
}

thread_local! {
    /// The warnings of the decode running on this thread: libjpeg's error manager has no room
    /// for a pointer of ours, and one decode runs on one thread from start to end.
    static WARNINGS: RefCell<Vec<(J_MESSAGE_CODE, String)>> = const { RefCell::new(Vec::new()) };
}

/// Decodes at 1/`denominator` size (1: full size) into `output` samples, and returns the
/// width, height and samples. `ended` is the probe's finding that the end-of-image marker is
/// there; without it, libjpeg is given one, so that a file missing only its last two bytes
/// reads cleanly, and any data it then finds missing means the file was cut.
pub(super) fn decode(
    bytes: &[u8],
    ended: bool,
    denominator: u32,
    output: Output,
    warnings: &mut Vec<String>,
) -> Result<(u32, u32, Vec<u8>), ImageError> {
    let bytes: Cow<[u8]> = if ended {
        Cow::Borrowed(bytes)
    } else {
        Cow::Owned([bytes, &[0xFF, 0xD9]].concat())
    };
    WARNINGS.with_borrow_mut(Vec::clear);
    // mozjpeg turns libjpeg's fatal errors into an unwind that carries libjpeg's message.
    let decoded = std::panic::catch_unwind(|| run(&bytes, denominator, output))
        .unwrap_or_else(|payload| Err(ImageError::corrupt(FMT, panic_message(&*payload))));
    let seen = WARNINGS.with_borrow_mut(std::mem::take);
    let decoded = decoded?;
    let data_missing = seen
        .iter()
        .any(|(code, _)| *code == JWRN_HIT_MARKER || *code == JWRN_JPEG_EOF);
    if !ended && data_missing {
        return Err(ImageError::truncated(
            FMT,
            "the file ends inside its image data",
        ));
    }
    tally(
        seen.into_iter()
            .map(|(_, message)| format!("libjpeg: {message}")),
        warnings,
    );
    Ok(decoded)
}

fn run(bytes: &[u8], denominator: u32, output: Output) -> Result<(u32, u32, Vec<u8>), ImageError> {
    let failed = |e: std::io::Error| ImageError::corrupt(FMT, e.to_string());
    let mut decompress = Decompress::with_err(error_manager())
        .from_mem(bytes)
        .map_err(failed)?;
    // libjpeg scales by n/8; the denominators the planner picks (1, 2, 4, 8) divide 8.
    decompress.scale((8 / denominator.clamp(1, 8)) as u8);
    let mut started = match output {
        Output::Gray => decompress.grayscale(),
        Output::Rgb => decompress.rgb(),
        Output::Cmyk => decompress.to_colorspace(ColorSpace::JCS_CMYK),
    }
    .map_err(failed)?;
    let (width, height) = (started.width(), started.height());
    let data = started.read_scanlines::<u8>().map_err(failed)?;
    started.finish().map_err(failed)?;
    // JPEG sides are 16-bit, so they fit.
    Ok((width as u32, height as u32, data))
}

/// libjpeg's standard error manager, with fatal errors unwinding (as mozjpeg's own do) and
/// warnings recorded instead of printed.
fn error_manager() -> jpeg_error_mgr {
    // SAFETY: jpeg_std_error fills in every field of a zeroed manager.
    let mut manager: jpeg_error_mgr = unsafe { std::mem::zeroed() };
    unsafe { jpeg_std_error(&mut manager) };
    manager.error_exit = Some(fail);
    manager.emit_message = Some(record);
    manager
}

/// libjpeg's message for the error or warning in `cinfo`, with its parameters filled in.
fn message(cinfo: &mut jpeg_common_struct) -> String {
    let mut buffer = [0u8; 80];
    // SAFETY: `err` points at the manager libjpeg was given; `format_message` writes at most
    // 80 bytes (JMSG_LENGTH_MAX), NUL-terminated. The binding declares the buffer as shared;
    // libjpeg writes to it, so it is passed as a pointer to a mutable one.
    unsafe {
        let format = (*cinfo.err).format_message;
        if let Some(format) = format {
            let format: unsafe extern "C-unwind" fn(&mut jpeg_common_struct, *mut [u8; 80]) =
                std::mem::transmute(format);
            format(cinfo, &mut buffer);
        }
    }
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}

extern "C-unwind" fn fail(cinfo: &mut jpeg_common_struct) {
    let text = message(cinfo);
    std::panic::resume_unwind(Box::new(text));
}

/// `level` -1 is a warning ("corrupt data, going on"); 0 and up are trace messages.
extern "C-unwind" fn record(cinfo: &mut jpeg_common_struct, level: c_int) {
    if level < 0 {
        // SAFETY: `err` is the manager this decode installed.
        let code = unsafe { (*cinfo.err).msg_code };
        let text = message(cinfo);
        WARNINGS.with_borrow_mut(|seen| seen.push((code, text)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_libjpeg_fatal_error_is_a_corrupt_image_not_a_panic() {
        let mut jpeg = testdata::fixture("progressive.jpg");
        let table = jpeg
            .windows(2)
            .position(|m| m == [0xFF, 0xC4])
            .expect("a Huffman table");
        // Table class 1, index 15: libjpeg stops with "Bogus DHT index 15"; the probe does not
        // read Huffman tables, so only the decoder can find this.
        jpeg[table + 4] = 0x1F;
        let err = decode(&jpeg, true, 2, Output::Rgb, &mut Vec::new()).expect_err("a bogus table");
        assert!(
            matches!(&err, ImageError::Corrupt { detail, .. } if detail.contains("DHT")),
            "{err}"
        );
    }

    #[test]
    fn a_file_cut_inside_its_scan_is_truncated_not_grey() {
        let whole = testdata::fixture("baseline_420.jpg");
        let cut = &whole[..whole.len() * 2 / 3];
        let err = decode(cut, false, 1, Output::Rgb, &mut Vec::new()).expect_err("cut short");
        assert!(matches!(err, ImageError::Truncated { .. }), "{err}");
    }

    #[test]
    fn a_missing_end_marker_alone_decodes_cleanly() {
        let whole = testdata::fixture("baseline_420.jpg");
        let mut warnings = Vec::new();
        let (_, _, cut) = decode(
            &whole[..whole.len() - 2],
            false,
            1,
            Output::Rgb,
            &mut warnings,
        )
        .unwrap();
        let (_, _, full) = decode(&whole, true, 1, Output::Rgb, &mut Vec::new()).unwrap();
        assert!(cut == full && warnings.is_empty(), "{warnings:?}");
    }
}

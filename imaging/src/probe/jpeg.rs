//! The JPEG header: the marker segments up to the first scan, walked as libjpeg walks them
//! (junk before a marker skipped, as libjpeg does with a warning of its own; an empty comment
//! read past), with the frame
//! checked against the limits as soon as it is read.

use super::{Header, JpegCoding, Kind, Limits, be16, check_dimensions};
use crate::error::ImageError;
use crate::format::Format;

const FMT: Format = Format::Jpeg;

/// The next marker at or after `at`, as libjpeg's `next_marker` finds it: bytes that are not
/// 0xFF are skipped, fill bytes 0xFF are skipped, and a stuffed 0xFF 0x00 is data. Returns the
/// marker and the position of its code byte.
fn next_marker(bytes: &[u8], mut at: usize) -> Option<(u8, usize)> {
    loop {
        at += memchr::memchr(0xFF, bytes.get(at..)?)?;
        while *bytes.get(at)? == 0xFF {
            at += 1;
        }
        if bytes[at] != 0 {
            return Some((bytes[at], at));
        }
        at += 1;
    }
}

/// Reassembles the APP2 `ICC_PROFILE` chunks (sequence number, count, data) when they form one
/// complete profile: every number from 1 to the count, once, with the same count.
fn assemble_icc(mut chunks: Vec<(u8, u8, &[u8])>) -> Result<Option<Vec<u8>>, &'static str> {
    if chunks.is_empty() {
        return Ok(None);
    }
    chunks.sort_by_key(|&(sequence, _, _)| sequence);
    let count = chunks[0].1;
    let complete = usize::from(count) == chunks.len()
        && chunks
            .iter()
            .enumerate()
            .all(|(i, &(sequence, total, _))| usize::from(sequence) == i + 1 && total == count);
    if !complete {
        return Err(
            "the ICC profile's APP2 chunks are missing, repeated or disagree on their count",
        );
    }
    Ok(Some(
        chunks
            .iter()
            .flat_map(|(_, _, data)| *data)
            .copied()
            .collect(),
    ))
}

/// What the markers after the first scan header say about the scan data.
#[derive(Debug, PartialEq, Eq)]
struct Scans {
    /// The end-of-image marker is there.
    ended: bool,
    /// The scans read cover every component (sequential) and bring every coefficient of every
    /// component to full precision (progressive): a file cut between two scans is not.
    complete: bool,
}

/// Walks the markers after the first scan header (`first_scan` is its body). Inside
/// entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so any other marker
/// found is a real one.
fn scans(
    bytes: &[u8],
    first_scan: &[u8],
    mut at: usize,
    components: &[u8],
    progressive: bool,
) -> Scans {
    // Per component: the precision still missing per coefficient (-1: no data yet, 0: complete).
    let mut missing = vec![[-1i8; 64]; components.len()];
    let mut record = |scan: &[u8]| {
        let count = usize::from(*scan.first().unwrap_or(&0));
        let Some(tail) = scan.get(1 + 2 * count..1 + 2 * count + 3) else {
            return;
        };
        let (start, end) = (usize::from(tail[0]).min(63), usize::from(tail[1]).min(63));
        let low = (tail[2] & 0x0F) as i8;
        let (start, end, low) = if progressive {
            (start, end, low)
        } else {
            (0, 63, 0)
        };
        for id in scan[1..1 + 2 * count].iter().step_by(2) {
            if let Some(c) = components.iter().position(|known| known == id) {
                for coefficient in &mut missing[c][start..=end.max(start)] {
                    *coefficient = low;
                }
            }
        }
    };
    record(first_scan);
    let mut ended = false;
    while let Some((marker, code_at)) = next_marker(bytes, at) {
        at = code_at + 1;
        match marker {
            0xD0..=0xD7 | 0x01 => continue,
            0xD9 => {
                ended = true;
                break;
            }
            _ => {}
        }
        let Some(length) = bytes.get(at..at + 2).map(|_| usize::from(be16(bytes, at))) else {
            break;
        };
        let Some(body) = bytes.get(at + 2..at + length.max(2)) else {
            break;
        };
        if marker == 0xDA {
            record(body);
        }
        at += length.max(2);
    }
    let complete = missing.iter().all(|c| c.iter().all(|&low| low == 0));
    Scans { ended, complete }
}

/// The frame a SOF segment describes.
#[derive(Clone)]
struct Frame {
    width: u32,
    height: u32,
    coding: JpegCoding,
    progressive: bool,
    precision: u8,
    /// The component identifiers, in frame order: scans name their components by these.
    component_ids: Vec<u8>,
    /// Each component's horizontal and vertical sampling factors.
    sampling: Vec<(u32, u32)>,
}

impl Frame {
    /// The bytes of every DCT coefficient of the image (2 per coefficient, 64 per block), each
    /// component's blocks padded to whole MCUs as libjpeg allocates them.
    fn coefficient_bytes(&self) -> u64 {
        let h_max = self.sampling.iter().map(|s| s.0).max().unwrap_or(1).max(1);
        let v_max = self.sampling.iter().map(|s| s.1).max().unwrap_or(1).max(1);
        let mcus_across = u64::from(self.width.div_ceil(8 * h_max));
        let mcus_down = u64::from(self.height.div_ceil(8 * v_max));
        self.sampling
            .iter()
            .map(|&(h, v)| mcus_across * u64::from(h) * mcus_down * u64::from(v) * 128)
            .sum()
    }
}

/// Reads a SOF segment, or says why it cannot be decoded.
fn frame(marker: u8, body: &[u8], limits: &Limits) -> Result<Frame, ImageError> {
    let (coding, progressive) = match marker {
        0xC0 | 0xC1 => (JpegCoding::Huffman, false),
        0xC2 => (JpegCoding::Huffman, true),
        0xC3 => (JpegCoding::Lossless, false),
        0xC9 => (JpegCoding::Arithmetic, false),
        0xCA => (JpegCoding::Arithmetic, true),
        _ => {
            return Err(ImageError::unsupported(
                FMT,
                format!("hierarchical or arithmetic lossless frames (SOF marker 0x{marker:02X})"),
            ));
        }
    };
    if body.len() < 6 {
        return Err(ImageError::corrupt(FMT, "short frame header"));
    }
    let precision = body[0];
    let precision_ok = match coding {
        JpegCoding::Lossless => (2..=16).contains(&precision),
        _ => precision == 8,
    };
    if !precision_ok {
        return Err(ImageError::unsupported(
            FMT,
            format!("{precision}-bit samples"),
        ));
    }
    let height = u32::from(be16(body, 1));
    let width = u32::from(be16(body, 3));
    if width == 0 || height == 0 {
        return Err(ImageError::unsupported(
            FMT,
            "zero or deferred (DNL) image height",
        ));
    }
    let components = usize::from(body[5]);
    if !matches!(components, 1 | 3 | 4) {
        return Err(ImageError::unsupported(
            FMT,
            format!("{components} colour components"),
        ));
    }
    let Some(specs) = body.get(6..6 + 3 * components) else {
        return Err(ImageError::corrupt(FMT, "short frame header"));
    };
    // Refuse a pixel flood here, before reading further or allocating anything.
    check_dimensions(width, height, limits)?;
    Ok(Frame {
        width,
        height,
        coding,
        progressive,
        precision,
        component_ids: specs.iter().step_by(3).copied().collect(),
        sampling: specs
            .chunks_exact(3)
            .map(|spec| (u32::from(spec[1] >> 4), u32::from(spec[1] & 0x0F)))
            .collect(),
    })
}

pub(super) fn header(bytes: &[u8], limits: &Limits) -> Result<Header, ImageError> {
    let mut at = 2;
    let mut found_frame = None;
    let mut exif = None;
    let mut icc_chunks = Vec::new();
    let mut restart_markers = false;
    let mut adobe = false;
    let mut warnings = Vec::new();
    loop {
        let (marker, code_at) = next_marker(bytes, at)
            .ok_or_else(|| ImageError::truncated(FMT, "the file ends inside its headers"))?;
        let after_code = code_at + 1;
        match marker {
            // Markers without a length: restart and TEM markers out of place are read past.
            0x01 | 0xD0..=0xD7 => {
                at = after_code;
                continue;
            }
            0xD8 => return Err(ImageError::corrupt(FMT, "a second start-of-image marker")),
            0xD9 => {
                return Err(ImageError::corrupt(
                    FMT,
                    "end-of-image marker before any scan",
                ));
            }
            _ => {}
        }
        if after_code + 2 > bytes.len() {
            return Err(ImageError::truncated(
                FMT,
                "the file ends inside its headers",
            ));
        }
        let length = usize::from(be16(bytes, after_code));
        if length < 2 {
            // libjpeg reads an application or comment segment this short as empty and goes on.
            if matches!(marker, 0xE0..=0xEF | 0xFE) {
                warnings.push(format!(
                    "a segment 0x{marker:02X} of length {length}, read as empty"
                ));
                at = after_code + 2;
                continue;
            }
            return Err(ImageError::corrupt(
                FMT,
                format!("segment 0x{marker:02X} has length {length}"),
            ));
        }
        let body_start = after_code + 2;
        let body_end = after_code + length;
        if body_end > bytes.len() {
            return Err(ImageError::truncated(
                FMT,
                "the file ends inside a header segment",
            ));
        }
        let body = &bytes[body_start..body_end];
        match marker {
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                found_frame = Some(frame(marker, body, limits)?);
            }
            0xDD => restart_markers = body.len() >= 2 && be16(body, 0) != 0,
            0xE1 if body.starts_with(b"Exif\0\0") && exif.is_none() => {
                exif = Some(body[6..].to_vec());
            }
            0xE2 if body.starts_with(b"ICC_PROFILE\0") && body.len() > 14 => {
                icc_chunks.push((body[12], body[13], &body[14..]));
            }
            0xEE if body.starts_with(b"Adobe") && body.len() >= 12 => adobe = true,
            0xDA => {
                let frame = found_frame
                    .ok_or_else(|| ImageError::corrupt(FMT, "scan data before the frame header"))?;
                let found = scans(
                    bytes,
                    body,
                    body_end,
                    &frame.component_ids,
                    frame.progressive,
                );
                if !found.ended {
                    if !found.complete {
                        return Err(ImageError::truncated(
                            FMT,
                            "the file ends before its last scan",
                        ));
                    }
                    warnings.push("no end-of-image marker after the scan data".to_owned());
                }
                let icc = assemble_icc(icc_chunks).unwrap_or_else(|problem| {
                    warnings.push(format!("{problem}; the profile was dropped"));
                    None
                });
                let components = frame.component_ids.len() as u8;
                let scan_components = body.first().copied().unwrap_or(0);
                let whole_image = frame.progressive || scan_components < components;
                return Ok(Header {
                    kind: Kind::Jpeg {
                        coding: frame.coding,
                        progressive: frame.progressive,
                        components,
                        restart_markers,
                        adobe,
                        precision: frame.precision,
                        ended: found.ended,
                        coefficient_bytes: if whole_image {
                            frame.coefficient_bytes()
                        } else {
                            0
                        },
                    },
                    width: frame.width,
                    height: frame.height,
                    exif,
                    icc,
                    warnings,
                });
            }
            _ => {}
        }
        at = body_end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_and_stuffed_bytes_before_a_marker_are_skipped() {
        assert_eq!(next_marker(&[0xFF, 0xC0], 0), Some((0xC0, 1)));
        assert_eq!(
            next_marker(&[1, 2, 3, 0xFF, 0xFF, 0xDB], 0),
            Some((0xDB, 5))
        );
        assert_eq!(next_marker(&[0xFF, 0x00, 0xFF, 0xE1], 0), Some((0xE1, 3)));
        assert_eq!(next_marker(&[1, 2, 0xFF], 0), None);
    }

    #[test]
    fn icc_chunks_must_form_one_profile() {
        let (a, b) = (&[1u8, 2][..], &[3u8][..]);
        assert_eq!(
            assemble_icc(vec![(2, 2, b), (1, 2, a)]),
            Ok(Some(vec![1, 2, 3]))
        );
        assert!(assemble_icc(vec![(1, 2, a)]).is_err(), "a chunk is missing");
        assert!(
            assemble_icc(vec![(1, 2, a), (1, 2, a)]).is_err(),
            "repeated"
        );
        assert!(
            assemble_icc(vec![(1, 2, a), (2, 3, b)]).is_err(),
            "counts disagree"
        );
        assert_eq!(assemble_icc(Vec::new()), Ok(None));
    }

    /// A scan header for `ids` with spectral selection `start..=end` and low bit `low`.
    fn scan(ids: &[u8], start: u8, end: u8, low: u8) -> Vec<u8> {
        let mut body = vec![ids.len() as u8];
        ids.iter().for_each(|&id| body.extend_from_slice(&[id, 0]));
        body.extend_from_slice(&[start, end, low]);
        body
    }

    fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, marker];
        out.extend_from_slice(&(body.len() as u16 + 2).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn a_progression_is_complete_when_every_coefficient_reaches_full_precision() {
        let ids = [1, 2, 3];
        let first = scan(&ids, 0, 0, 1);
        // Entropy data with a stuffed byte and a restart marker, then the later scans.
        let mut rest = vec![0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56];
        for id in ids {
            rest.extend(segment(0xDA, &scan(&[id], 1, 63, 0)));
            rest.push(0x78);
        }
        let dc_refined = segment(0xDA, &scan(&ids, 0, 0, 0));
        let ended = [rest.clone(), dc_refined.clone(), vec![0xFF, 0xD9]].concat();
        assert_eq!(
            scans(&ended, &first, 0, &ids, true),
            Scans {
                ended: true,
                complete: true
            }
        );
        // Cut before the DC refinement: DC is one bit short.
        assert_eq!(
            scans(&rest, &first, 0, &ids, true),
            Scans {
                ended: false,
                complete: false
            }
        );
        // A sequential frame needs every component in some scan.
        assert!(!scans(&[], &scan(&[1], 0, 63, 0), 0, &ids, false).complete);
        assert!(scans(&[], &scan(&ids, 0, 63, 0), 0, &ids, false).complete);
    }
}

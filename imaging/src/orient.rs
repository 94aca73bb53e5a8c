//! EXIF orientation: reading the tag and turning a buffer upright.

use std::borrow::Cow;

use crate::pixels::Pixels;
use crate::probe::Header;

/// One of the eight EXIF orientations; `1` is already upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Orientation(u8);

impl Default for Orientation {
    fn default() -> Self {
        Self(1)
    }
}

impl Orientation {
    /// Reads the orientation from a TIFF (EXIF) block; a missing or invalid tag means upright.
    pub fn from_exif(tiff: &[u8]) -> Self {
        let value = exif::Reader::new()
            .read_raw(tiff.to_vec())
            .ok()
            .and_then(|exif| {
                exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
                    .and_then(|field| field.value.get_uint(0))
            });
        match value {
            Some(v @ 1..=8) => Self(v as u8),
            _ => Self::default(),
        }
    }

    /// Whether turning upright swaps width and height (orientations 5 to 8).
    pub fn transposes(self) -> bool {
        self.0 >= 5
    }

    /// The upright size of a stored `width` x `height` image.
    pub fn upright_size(self, width: u32, height: u32) -> (u32, u32) {
        if self.transposes() {
            (height, width)
        } else {
            (width, height)
        }
    }

    /// Returns the buffer as it is meant to be seen (borrowed when it already is).
    pub fn apply(self, stored: &Pixels) -> Cow<'_, Pixels> {
        if self.0 == 1 {
            return Cow::Borrowed(stored);
        }
        let (sw, sh) = (stored.width as usize, stored.height as usize);
        let (width, height) = self.upright_size(stored.width, stored.height);
        let channels = stored.layout.channels();
        let mut data = Vec::with_capacity(stored.data.len());
        for y in 0..height as usize {
            for x in 0..width as usize {
                // Where the upright pixel (x, y) is in the stored image.
                let (sx, sy) = match self.0 {
                    2 => (sw - 1 - x, y),
                    3 => (sw - 1 - x, sh - 1 - y),
                    4 => (x, sh - 1 - y),
                    5 => (y, x),
                    6 => (y, sh - 1 - x),
                    7 => (sw - 1 - y, sh - 1 - x),
                    _ => (sw - 1 - y, x),
                };
                let at = (sy * sw + sx) * channels;
                data.extend_from_slice(&stored.data[at..at + channels]);
            }
        }
        Cow::Owned(Pixels {
            width,
            height,
            layout: stored.layout,
            data,
        })
    }
}

/// The EXIF orientation of an image, and its size once turned upright.
pub(crate) fn upright(header: &Header) -> (Orientation, u32, u32) {
    let orientation = header
        .exif
        .as_deref()
        .map(Orientation::from_exif)
        .unwrap_or_default();
    let (width, height) = orientation.upright_size(header.width, header.height);
    (orientation, width, height)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixels::Layout;

    /// A 3x2 grey image whose pixels are numbered in reading order.
    fn numbered() -> Pixels {
        Pixels {
            width: 3,
            height: 2,
            layout: Layout::Gray,
            data: vec![1, 2, 3, 4, 5, 6],
        }
    }

    #[test]
    fn every_orientation_moves_pixels_where_exif_says() {
        // Upright results for a stored image 1 2 3 / 4 5 6 under each tag.
        let expected: [(u8, (u32, u32), [u8; 6]); 8] = [
            (1, (3, 2), [1, 2, 3, 4, 5, 6]),
            (2, (3, 2), [3, 2, 1, 6, 5, 4]),
            (3, (3, 2), [6, 5, 4, 3, 2, 1]),
            (4, (3, 2), [4, 5, 6, 1, 2, 3]),
            (5, (2, 3), [1, 4, 2, 5, 3, 6]),
            (6, (2, 3), [4, 1, 5, 2, 6, 3]),
            (7, (2, 3), [6, 3, 5, 2, 4, 1]),
            (8, (2, 3), [3, 6, 2, 5, 1, 4]),
        ];
        for (tag, size, data) in expected {
            let upright = Orientation(tag).apply(&numbered()).into_owned();
            assert_eq!((upright.width, upright.height), size, "orientation {tag}");
            assert_eq!(upright.data, data, "orientation {tag}");
        }
    }

    #[test]
    fn garbage_exif_means_upright() {
        assert_eq!(Orientation::from_exif(b"not tiff"), Orientation::default());
    }
}

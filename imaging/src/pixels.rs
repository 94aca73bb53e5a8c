//! An 8-bit raster in memory: the currency between decode, resize, orient and encode.

/// The channel layout of a [`Pixels`] buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Gray,
    Rgb,
}

impl Layout {
    pub fn channels(self) -> usize {
        match self {
            Self::Gray => 1,
            Self::Rgb => 3,
        }
    }
}

/// A tightly packed, row-major 8-bit image.
#[derive(Clone, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub layout: Layout,
    pub data: Vec<u8>,
}

impl Pixels {
    /// The channel values of the pixel at (`x`, `y`).
    pub fn pixel(&self, x: u32, y: u32) -> &[u8] {
        let channels = self.layout.channels();
        let at = (y as usize * self.width as usize + x as usize) * channels;
        &self.data[at..at + channels]
    }
}

// A derived Debug would print megabytes of samples.
impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pixels")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("layout", &self.layout)
            .field("bytes", &self.data.len())
            .finish()
    }
}

//! The formats a rendition can be encoded in, with what S3 and browsers need to know of each:
//! the key's extension and the `Content-Type`.

use std::fmt;

/// An encoded rendition's format. JPEG is what a rendition gets when its spec names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutputFormat {
    Jpeg,
    /// Lossy WebP (libwebp).
    Webp,
    /// AVIF (libavif over libaom); only in builds with the `avif` feature.
    Avif,
}

impl OutputFormat {
    /// Every format the grammar knows, in the order it lists them; see [`Self::in_this_build`].
    pub const ALL: [OutputFormat; 3] = [Self::Jpeg, Self::Webp, Self::Avif];

    /// Whether this build encodes the format: AVIF needs the `avif` feature.
    pub const fn in_this_build(self) -> bool {
        match self {
            Self::Jpeg | Self::Webp => true,
            Self::Avif => cfg!(feature = "avif"),
        }
    }

    /// The name the rendition grammar uses.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Webp => "webp",
            Self::Avif => "avif",
        }
    }

    /// The output key's extension (`jpg`, as the keys have always been).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
            Self::Avif => "avif",
        }
    }

    /// The quality a rendition that names none gets: the number at which this format looks like
    /// JPEG q80 by SSIMULACRA2, the median over the 13-photo corpus (`make bench-formats`;
    /// WebP matched it at q81-q90, AVIF at q71-q82).
    pub const fn default_quality(self) -> u8 {
        match self {
            Self::Jpeg => 80,
            Self::Webp => 87,
            Self::Avif => 77,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::Avif => "image/avif",
        }
    }

    /// The format the grammar names `name`, if this build encodes it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == name && f.in_this_build())
    }

    /// Why `name`, which reads like a format, is not one this build encodes.
    pub fn why_not(name: &str) -> Option<String> {
        match name {
            "jpg" => Some("write the format as `jpeg` (its keys still end in `.jpg`)".to_owned()),
            "avif" if !Self::Avif.in_this_build() => Some(format!(
                "this build has no AVIF encoder: it was built without the `avif` feature (it \
                 encodes {})",
                Self::names()
            )),
            _ => None,
        }
    }

    /// The names of every format this build encodes, as a list for messages.
    pub fn names() -> String {
        let names: Vec<_> = Self::ALL
            .into_iter()
            .filter(|f| f.in_this_build())
            .map(Self::name)
            .collect();
        names.join(", ")
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_extensions_differ() {
        for format in OutputFormat::ALL.into_iter().filter(|f| f.in_this_build()) {
            assert_eq!(OutputFormat::from_name(format.name()), Some(format));
            assert!(format.content_type().starts_with("image/"));
        }
        let extensions: std::collections::HashSet<_> =
            OutputFormat::ALL.map(OutputFormat::extension).into();
        assert_eq!(extensions.len(), OutputFormat::ALL.len());
    }

    #[cfg(not(feature = "avif"))]
    #[test]
    fn avif_is_explained_in_a_build_without_it() {
        let avif = OutputFormat::why_not("avif").expect("avif is explained");
        assert!(
            avif.contains("no AVIF encoder") && avif.contains("jpeg, webp"),
            "{avif}"
        );
    }

    #[cfg(feature = "avif")]
    #[test]
    fn avif_is_a_format_in_a_build_with_it() {
        assert_eq!(OutputFormat::from_name("avif"), Some(OutputFormat::Avif));
        assert_eq!(OutputFormat::why_not("avif"), None);
        assert_eq!(OutputFormat::names(), "jpeg, webp, avif");
    }

    #[test]
    fn a_misspelt_format_is_explained() {
        assert!(
            OutputFormat::why_not("jpg")
                .expect("jpg")
                .contains("`jpeg`")
        );
        assert_eq!(OutputFormat::from_name("gif"), None);
        assert_eq!(OutputFormat::why_not("gif"), None);
    }
}

//! The text forms of the render settings: renditions (what to produce from each upload) and
//! the background colour.
//!
//! `thumb:200x200:cover:q75,medium:800x800,large:1600x1600:jpeg+webp` is three renditions. Each
//! is `name:WIDTHxHEIGHT` followed by optional `fit`|`cover` (default `fit`), `qNN` (default:
//! each format's own, matched to JPEG q80) and the formats to encode it in, joined by `+`
//! (default `jpeg`, and `jpeg`, `webp` or `avif`; `avif` only in builds with the `avif` feature).
//! A rendition in several formats is resized once and encoded once per format.

use std::fmt;
use std::str::FromStr;

use crate::encode::WEBP_MAX_SIDE;
use crate::output_format::OutputFormat;

/// The JPEG quality used when a rendition does not name one (other formats match it:
/// [`OutputFormat::default_quality`]).
pub const DEFAULT_QUALITY: u8 = OutputFormat::Jpeg.default_quality();
/// The largest box side a rendition may ask for (JPEG itself stops at 65535).
pub const MAX_BOX_SIDE: u32 = 16384;

/// How an image is fitted to a rendition's box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitMode {
    /// Inside the box, aspect ratio kept, never upscaled.
    Fit,
    /// Fill the box, aspect ratio kept, centre-cropped, never upscaled.
    Cover,
}

/// One output to produce from each source image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    pub name: String,
    pub max_width: u32,
    pub max_height: u32,
    pub mode: FitMode,
    /// 1 to 100, given to each format's encoder as it is; `None` gives each format its
    /// default ([`Rendition::quality_for`]).
    pub quality: Option<u8>,
    /// Never empty, each format once, in the order the spec gave them.
    pub formats: Vec<OutputFormat>,
}

/// Why a rendition spec could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rendition `{spec}`: {reason}")]
pub struct SpecError {
    spec: String,
    reason: String,
}

impl SpecError {
    fn new(spec: &str, reason: impl Into<String>) -> Self {
        Self {
            spec: spec.to_owned(),
            reason: reason.into(),
        }
    }
}

impl FromStr for Rendition {
    type Err = SpecError;

    fn from_str(spec: &str) -> Result<Self, SpecError> {
        let fail = |reason: &str| SpecError::new(spec, reason);
        let mut parts = spec.trim().split(':');
        let name = parts.next().unwrap_or_default();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(fail(
                "the name must be non-empty and use only letters, digits, `-` and `_`",
            ));
        }
        let size = parts
            .next()
            .ok_or_else(|| fail("expected `name:WIDTHxHEIGHT`"))?;
        let (width, height) = size
            .split_once('x')
            .ok_or_else(|| fail("the size must look like `800x600`"))?;
        let side = |text: &str| -> Result<u32, SpecError> {
            match text.parse::<u32>() {
                Ok(n) if (1..=MAX_BOX_SIDE).contains(&n) => Ok(n),
                _ => Err(fail(&format!(
                    "`{text}` is not a side length from 1 to {MAX_BOX_SIDE}"
                ))),
            }
        };
        let mut rendition = Rendition {
            name: name.to_owned(),
            max_width: side(width)?,
            max_height: side(height)?,
            mode: FitMode::Fit,
            quality: None,
            formats: vec![OutputFormat::Jpeg],
        };
        let mut formats_given = false;
        for option in parts {
            match option {
                "fit" => rendition.mode = FitMode::Fit,
                "cover" => rendition.mode = FitMode::Cover,
                q if q.starts_with('q') => {
                    rendition.quality = match q[1..].parse::<u8>() {
                        Ok(n) if (1..=100).contains(&n) => Some(n),
                        _ => return Err(fail("the quality must be `q1` to `q100`")),
                    }
                }
                formats if !formats_given => {
                    rendition.formats = parse_formats(formats).map_err(|reason| fail(&reason))?;
                    formats_given = true;
                }
                _ => return Err(fail("the formats are given twice; join them with `+`")),
            }
        }
        if rendition.formats.contains(&OutputFormat::Webp)
            && rendition.max_width.max(rendition.max_height) > WEBP_MAX_SIDE
        {
            return Err(fail(&format!(
                "WebP images have at most {WEBP_MAX_SIDE} pixels a side"
            )));
        }
        Ok(rendition)
    }
}

impl Rendition {
    /// The quality `format`'s encoder gets: the rendition's, or the format's default.
    pub fn quality_for(&self, format: OutputFormat) -> u8 {
        self.quality.unwrap_or(format.default_quality())
    }
}

impl fmt::Display for Rendition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            FitMode::Fit => "fit",
            FitMode::Cover => "cover",
        };
        write!(
            f,
            "{}:{}x{}:{mode}",
            self.name, self.max_width, self.max_height
        )?;
        if let Some(quality) = self.quality {
            write!(f, ":q{quality}")?;
        }
        // JPEG alone is the default, and is left out so that older specs print as they did.
        if self.formats != [OutputFormat::Jpeg] {
            let names: Vec<&str> = self.formats.iter().map(|f| f.name()).collect();
            write!(f, ":{}", names.join("+"))?;
        }
        Ok(())
    }
}

/// `jpeg+webp` and the like: formats joined by `+`, each once.
fn parse_formats(option: &str) -> Result<Vec<OutputFormat>, String> {
    let mut formats = Vec::new();
    for name in option.split('+') {
        let Some(format) = OutputFormat::from_name(name) else {
            return Err(OutputFormat::why_not(name).unwrap_or_else(|| {
                format!(
                    "unknown option `{option}` (expected `fit`, `cover`, `qNN` or formats \
                     joined by `+` from: {})",
                    OutputFormat::names()
                )
            }));
        };
        if formats.contains(&format) {
            return Err(format!("the format `{name}` is named twice"));
        }
        formats.push(format);
    }
    Ok(formats)
}

/// Parses a comma-separated list of renditions; names must be unique and the list non-empty.
pub fn parse_renditions(list: &str) -> Result<Vec<Rendition>, SpecError> {
    let renditions = list
        .split(',')
        .filter(|part| !part.trim().is_empty())
        .map(str::parse)
        .collect::<Result<Vec<Rendition>, _>>()?;
    if renditions.is_empty() {
        return Err(SpecError::new(list, "at least one rendition is needed"));
    }
    for (i, r) in renditions.iter().enumerate() {
        if renditions[..i].iter().any(|other| other.name == r.name) {
            return Err(SpecError::new(
                list,
                format!("the name `{}` is used twice", r.name),
            ));
        }
    }
    Ok(renditions)
}

/// Parses `RRGGBB` (with or without `#`).
pub fn parse_hex_colour(text: &str) -> Result<[u8; 3], String> {
    let hex = text.trim_start_matches('#');
    let channel = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
    };
    match (hex.len(), channel(0), channel(2), channel(4)) {
        (6, Some(r), Some(g), Some(b)) => Ok([r, g, b]),
        _ => Err(format!("`{text}` is not a colour like ff8800")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let list = parse_renditions("thumb:200x200:cover:q75,medium:800x800,large:1600x1600")
            .expect("valid list");
        assert_eq!(
            list[0],
            Rendition {
                name: "thumb".into(),
                max_width: 200,
                max_height: 200,
                mode: FitMode::Cover,
                quality: Some(75),
                formats: vec![OutputFormat::Jpeg],
            }
        );
        assert_eq!(list[1].mode, FitMode::Fit);
        assert_eq!(list[2].quality_for(OutputFormat::Jpeg), DEFAULT_QUALITY);
        assert_eq!(list[2].max_width, 1600);
    }

    #[test]
    fn a_quality_given_applies_to_every_format_and_none_gives_each_its_default() {
        let given: Rendition = "a:64x64:q70:jpeg+webp".parse().unwrap();
        let default: Rendition = "a:64x64:jpeg+webp".parse().unwrap();
        for format in OutputFormat::ALL {
            assert_eq!(given.quality_for(format), 70);
            assert_eq!(default.quality_for(format), format.default_quality());
        }
        assert_eq!(default.quality_for(OutputFormat::Jpeg), DEFAULT_QUALITY);
        assert!(
            default.quality_for(OutputFormat::Webp) > DEFAULT_QUALITY,
            "WebP needs a higher number to look like JPEG q80"
        );
    }

    #[test]
    fn colours_parse_with_or_without_a_hash() {
        assert_eq!(parse_hex_colour("ff8800"), Ok([255, 136, 0]));
        assert_eq!(parse_hex_colour("#000000"), Ok([0, 0, 0]));
        for bad in ["white", "fff", "ff88000", "gg0000"] {
            assert!(parse_hex_colour(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_round_trips() {
        for spec in [
            "a-b_1:640x480:cover:q90",
            "a:64x64:fit:q80:webp+jpeg",
            "a:64x64:fit:webp",
        ] {
            let r: Rendition = spec.parse().unwrap();
            assert_eq!(r.to_string(), spec);
            assert_eq!(r.to_string().parse::<Rendition>().unwrap(), r);
        }
    }

    #[test]
    fn formats_follow_the_geometry_in_any_option_position() {
        let r: Rendition = "hero:1600x900:webp+jpeg:cover:q70".parse().unwrap();
        assert_eq!(r.formats, [OutputFormat::Webp, OutputFormat::Jpeg]);
        assert_eq!((r.mode, r.quality), (FitMode::Cover, Some(70)));
        let plain: Rendition = "thumb:200x200".parse().unwrap();
        assert_eq!(plain.formats, [OutputFormat::Jpeg]);
    }

    #[cfg(feature = "avif")]
    #[test]
    fn all_three_formats_of_one_rendition() {
        let r: Rendition = "card:400x300:avif+webp+jpeg".parse().unwrap();
        assert_eq!(
            r.formats,
            [OutputFormat::Avif, OutputFormat::Webp, OutputFormat::Jpeg]
        );
        assert_eq!(r.to_string(), "card:400x300:fit:avif+webp+jpeg");
    }

    #[test]
    fn rejects_bad_specs_with_a_reason() {
        for (spec, needle) in [
            ("", "at least one"),
            ("thumb", "name:WIDTHxHEIGHT"),
            ("thumb:200", "800x600"),
            ("thumb:0x200", "side length"),
            ("thumb:200x99999", "side length"),
            ("thumb:200x200:q0", "q1"),
            ("thumb:200x200:q101", "q1"),
            ("thumb:200x200:stretch", "unknown option `stretch`"),
            ("thumb:200x200:webp+gif", "unknown option `webp+gif`"),
            ("thumb:200x200:jpg", "`jpeg`"),
            ("thumb:200x200:webp+webp", "named twice"),
            ("thumb:200x200:webp:jpeg", "given twice"),
            ("thumb:200x200:+", "unknown option `+`"),
            ("big:16384x100:jpeg+webp", "at most 16383"),
            ("th/umb:200x200", "letters, digits"),
            ("a:1x1,a:2x2", "used twice"),
        ] {
            let err = parse_renditions(spec).expect_err(spec).to_string();
            assert!(err.contains(needle), "{spec}: {err}");
        }
    }
}

//! Colour management with moxcms: what an embedded ICC profile means for the pixels, and the
//! conversion to sRGB. Renditions leave as sRGB without a profile, as libvips' thumbnail and
//! imgproxy do: browsers read untagged images as sRGB, and no bytes are spent on a profile.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use moxcms::{
    ColorProfile, DataColorSpace, Layout as CmsLayout, RenderingIntent, Transform8BitExecutor,
    TransformOptions,
};

use crate::error::ImageError;
use crate::pixels::Pixels;

/// What the source's profile asks of its pixels.
#[derive(Clone)]
pub(crate) enum Colour {
    /// No profile, one that is sRGB in effect, or one that was dropped: the pixels are used as
    /// they are.
    Srgb,
    /// RGB or grey in another space: renditions are converted after resizing, where there are
    /// fewer pixels to convert.
    Convert(Arc<Transform8BitExecutor>),
    /// CMYK (or YCCK, which libjpeg turns into CMYK): converted to sRGB as it is decoded.
    /// `None` when the file has no usable CMYK profile: a plain ink formula is used.
    Cmyk(Option<Arc<Transform8BitExecutor>>),
}

impl std::fmt::Debug for Colour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Srgb => "Srgb",
            Self::Convert(_) => "Convert",
            Self::Cmyk(Some(_)) => "Cmyk(profile)",
            Self::Cmyk(None) => "Cmyk(plain)",
        })
    }
}

/// The space the decoder hands over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Gray,
    Rgb,
    Cmyk,
}

/// Profiles repeat across a photo library (each camera and phone writes its own few), and
/// building a transform costs far more than applying it to a thumbnail: keep the last ones.
const CACHE_ENTRIES: usize = 32;

type Cache = Mutex<HashMap<Vec<u8>, Result<Colour, String>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Cache::default)
}

impl Colour {
    /// Reads `icc` for pixels in `source` space. A profile that does not parse, or does not
    /// describe that space, is dropped with a warning: the pixels are then taken as sRGB (or
    /// plain CMYK), which is what a browser shows for such a file.
    pub(crate) fn for_source(
        icc: Option<&[u8]>,
        source: Source,
        warnings: &mut Vec<String>,
    ) -> Self {
        let plain = match source {
            Source::Cmyk => Self::Cmyk(None),
            _ => Self::Srgb,
        };
        let Some(icc) = icc else { return plain };
        let mut key = icc.to_vec();
        key.push(source as u8);
        let mut cache = cache()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let decided = match cache.get(&key) {
            Some(decided) => decided.clone(),
            None => {
                let decided = decide(icc, source);
                if cache.len() >= CACHE_ENTRIES {
                    cache.clear();
                }
                cache.insert(key, decided.clone());
                decided
            }
        };
        decided.unwrap_or_else(|problem| {
            warnings.push(format!("the ICC profile was dropped: {problem}"));
            plain
        })
    }

    /// A resized rendition in sRGB: converted when the profile asks for it, else as it is.
    pub(crate) fn apply<'a>(&self, pixels: Cow<'a, Pixels>) -> Result<Cow<'a, Pixels>, ImageError> {
        let Self::Convert(transform) = self else {
            return Ok(pixels);
        };
        let mut data = vec![0; pixels.data.len()];
        transform
            .transform(&pixels.data, &mut data)
            .map_err(|e| ImageError::internal("converting colours", format!("{e:?}")))?;
        Ok(Cow::Owned(Pixels { data, ..*pixels }))
    }
}

/// CMYK samples (0 = no ink) to 8-bit sRGB.
pub(crate) fn cmyk_to_rgb(
    transform: Option<&Transform8BitExecutor>,
    cmyk: &[u8],
    rgb: &mut [u8],
) -> Result<(), ImageError> {
    match transform {
        Some(transform) => transform
            .transform(cmyk, rgb)
            .map_err(|e| ImageError::internal("converting colours", format!("{e:?}"))),
        None => {
            // Without a profile: each ink takes its share of the light, black all of it.
            for (ink, out) in cmyk.chunks_exact(4).zip(rgb.chunks_exact_mut(3)) {
                let white = 255 - u32::from(ink[3]);
                for (channel, &c) in out.iter_mut().zip(&ink[..3]) {
                    *channel = (((255 - u32::from(c)) * white + 127) / 255) as u8;
                }
            }
            Ok(())
        }
    }
}

fn options() -> TransformOptions {
    // Relative colorimetric, as libvips' thumbnail and most browsers use.
    TransformOptions {
        rendering_intent: RenderingIntent::RelativeColorimetric,
        ..TransformOptions::default()
    }
}

fn srgb_gray() -> ColorProfile {
    let mut gray = ColorProfile::new_gray_with_gamma(2.2);
    gray.gray_trc = ColorProfile::new_srgb().red_trc;
    gray
}

fn decide(icc: &[u8], source: Source) -> Result<Colour, String> {
    let profile = ColorProfile::new_from_slice(icc).map_err(|e| format!("{e:?}"))?;
    let (space, layout, target, target_layout) = match source {
        Source::Rgb => (
            DataColorSpace::Rgb,
            CmsLayout::Rgb,
            ColorProfile::new_srgb(),
            CmsLayout::Rgb,
        ),
        Source::Gray => (
            DataColorSpace::Gray,
            CmsLayout::Gray,
            srgb_gray(),
            CmsLayout::Gray,
        ),
        Source::Cmyk => (
            DataColorSpace::Cmyk,
            CmsLayout::Rgba,
            ColorProfile::new_srgb(),
            CmsLayout::Rgb,
        ),
    };
    if profile.color_space != space {
        return Err(format!(
            "it describes {:?} data, the image is {source:?}",
            profile.color_space
        ));
    }
    let transform = profile
        .create_transform_8bit(layout, &target, target_layout, options())
        .map_err(|e| format!("{e:?}"))?;
    Ok(match source {
        Source::Cmyk => Colour::Cmyk(Some(transform)),
        _ if is_identity(transform.as_ref(), source) => Colour::Srgb,
        _ => Colour::Convert(transform),
    })
}

/// Whether a transform leaves every test colour within one level: then the profile is sRGB
/// in effect (as most cameras' and phones' embedded sRGB profiles are) and costs nothing.
fn is_identity(transform: &Transform8BitExecutor, source: Source) -> bool {
    let levels = [0u8, 16, 64, 96, 128, 160, 192, 224, 255];
    let samples: Vec<u8> = match source {
        Source::Gray => levels.to_vec(),
        _ => {
            let mut rgb = Vec::with_capacity(levels.len().pow(3) * 3);
            for r in levels {
                for g in levels {
                    for b in levels {
                        rgb.extend_from_slice(&[r, g, b]);
                    }
                }
            }
            rgb
        }
    };
    let mut out = vec![0; samples.len()];
    transform.transform(&samples, &mut out).is_ok()
        && samples.iter().zip(&out).all(|(a, b)| a.abs_diff(*b) <= 1)
}

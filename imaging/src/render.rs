//! The render engine: probe, plan, decode (shrunk on load where it costs no detail), resize each
//! rendition from the smallest buffer that still has twice its detail, turn it upright, encode.

use std::time::{Duration, Instant};

use fast_image_resize::CpuExtensions;

use crate::decode::{Decoded, decode};
use crate::encode::{DEFAULT_AVIF_SPEED, DEFAULT_WEBP_METHOD, EncodeSettings, encode};
use crate::error::ImageError;
use crate::format::Format;
use crate::geometry::{Plan, Rect, jpeg_scale_denominator, plan};
use crate::memory::working_set;
use crate::orient::{Orientation, upright};
use crate::output_format::OutputFormat;
use crate::pixels::Pixels;
use crate::probe::{Header, JpegCoding, Kind, Limits, probe};
use crate::resize::Resampler;
use crate::spec::Rendition;

/// Everything that shapes a render besides the renditions.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    pub limits: Limits,
    /// The colour transparent PNG pixels are flattened onto.
    pub background: [u8; 3],
    /// The SIMD level for resizing (and the colour conversion of the `rust-encoder` build); the
    /// default is the best this CPU has. libjpeg-turbo, which decodes and encodes, picks its own.
    pub cpu: CpuExtensions,
    /// Decode JPEGs at 1/2, 1/4 or 1/8 size in the DCT domain when every rendition still gets
    /// a source pixel per output pixel. Off always decodes at full size.
    pub shrink_on_load: bool,
    /// Refuse an image whose render would need more bytes than this at its peak (see
    /// [`working_set`](crate::working_set)); `None` renders whatever the limits admit.
    pub memory_budget: Option<u64>,
    /// libwebp's method for WebP renditions, 0 (fastest) to 6 (smallest).
    pub webp_method: u8,
    /// libaom's speed for AVIF renditions, 0 (smallest) to 10 (fastest).
    pub avif_speed: u8,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            background: [255, 255, 255],
            cpu: CpuExtensions::default(),
            shrink_on_load: true,
            memory_budget: None,
            webp_method: DEFAULT_WEBP_METHOD,
            avif_speed: DEFAULT_AVIF_SPEED,
        }
    }
}

/// One rendition, resized once and encoded in each of its formats.
#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub width: u32,
    pub height: u32,
    /// In the order the rendition's spec named the formats.
    pub files: Vec<Encoded>,
}

impl Output {
    /// The bytes of this rendition in `format`, if its spec asked for it.
    pub fn file(&self, format: OutputFormat) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|f| f.format == format)
            .map(|f| f.bytes.as_slice())
    }
}

/// A rendition encoded in one format.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub format: OutputFormat,
    pub bytes: Vec<u8>,
    /// The time this encode took.
    pub time: Duration,
}

/// Wall time spent in each stage of one render.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    pub decode: Duration,
    /// Resampling plus turning upright.
    pub resize: Duration,
    pub encode: Duration,
}

/// The result of rendering one source image.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub format: Format,
    /// The upright size of the source.
    pub width: u32,
    pub height: u32,
    /// The JPEG shrink-on-load denominator used (1 = full-size decode).
    pub decode_scale: u32,
    /// In the order the renditions were given.
    pub outputs: Vec<Output>,
    /// What was read past to render this file (libjpeg's and libpng's warnings about damage
    /// they could decode through, a profile that was dropped), in words. Empty for a clean file.
    pub warnings: Vec<String>,
    pub timings: Timings,
}

/// A buffer that shows the whole source frame, at some scale, and can feed smaller renditions.
struct FullFrame {
    pixels: Pixels,
    /// Buffer pixels per stored source pixel, per axis: sides are rounded independently.
    scale_x: f64,
    scale_y: f64,
}

impl FullFrame {
    fn new(pixels: Pixels, header: &Header) -> Self {
        Self {
            scale_x: f64::from(pixels.width) / f64::from(header.width),
            scale_y: f64::from(pixels.height) / f64::from(header.height),
            pixels,
        }
    }

    /// `rect`, given in stored source pixels, in this buffer's pixels; clamped to the buffer
    /// because a whole-frame crop can come out a few ULPs larger than the rounded sides.
    fn map(&self, rect: Rect) -> Rect {
        let left = rect.left * self.scale_x;
        let top = rect.top * self.scale_y;
        Rect {
            left,
            top,
            width: (rect.width * self.scale_x).min(f64::from(self.pixels.width) - left),
            height: (rect.height * self.scale_y).min(f64::from(self.pixels.height) - top),
        }
    }
}

/// Resampling from a buffer with at least this many pixels per output pixel looks the same
/// as resampling from the full-size source.
const MIN_CASCADE_SHRINK: f64 = 2.0;

/// The size each rendition of an image will have (upright, as `render` makes it), from its
/// header alone.
pub fn output_sizes(
    bytes: &[u8],
    renditions: &[Rendition],
    limits: &Limits,
) -> Result<Vec<(u32, u32)>, ImageError> {
    let header = probe(bytes, limits)?;
    let (_, width, height) = upright(&header);
    Ok(renditions
        .iter()
        .map(|r| {
            let p = plan(width, height, r);
            (p.width, p.height)
        })
        .collect())
}

/// Renders every rendition of one source image.
pub fn render(
    bytes: &[u8],
    renditions: &[Rendition],
    options: &RenderOptions,
) -> Result<Rendered, ImageError> {
    let started = Instant::now();
    let header = probe(bytes, &options.limits)?;
    let (orientation, width, height) = upright(&header);
    // Plans in the stored frame: resampling happens before the small outputs are turned upright.
    let plans: Vec<Plan> = renditions
        .iter()
        .map(|r| {
            let upright = plan(width, height, r);
            if orientation.transposes() {
                upright.transposed(header.width, header.height)
            } else {
                upright
            }
        })
        .collect();
    let decode_scale = match header.kind {
        Kind::Jpeg { coding, .. } if options.shrink_on_load && coding != JpegCoding::Lossless => {
            jpeg_scale_denominator(&plans)
        }
        _ => 1,
    };
    if let Some(budget) = options.memory_budget {
        let reoriented = orientation != Orientation::default();
        let needed = working_set(&header, &plans, renditions, decode_scale, reoriented);
        if needed > budget {
            return Err(ImageError::OverMemoryBudget { needed, budget });
        }
    }
    let Decoded {
        pixels: source,
        warnings: decode_warnings,
        colour,
    } = decode(bytes, &header, decode_scale, options.background)?;
    let mut timings = Timings {
        decode: started.elapsed(),
        ..Timings::default()
    };

    let mut frames = vec![FullFrame::new(source, &header)];
    let mut resampler = Resampler::new(options.cpu);
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|&i| {
        std::cmp::Reverse(u64::from(plans[i].width) * u64::from(plans[i].height))
    });
    let mut outputs: Vec<Option<Output>> = vec![None; plans.len()];
    let settings = EncodeSettings {
        cpu: options.cpu,
        webp_method: options.webp_method,
        avif_speed: options.avif_speed,
    };
    for (position, &i) in order.iter().enumerate() {
        let step = Instant::now();
        let plan = plans[i];
        let resized = {
            let frame = pick_frame(&frames, &plan);
            resampler.resize(&frame.pixels, frame.map(plan.crop), plan.width, plan.height)?
        };
        // A whole-frame rendition is kept to derive the smaller ones from.
        let partial = if plan.crop.width == f64::from(header.width)
            && plan.crop.height == f64::from(header.height)
        {
            frames.push(FullFrame::new(resized, &header));
            None
        } else {
            Some(resized)
        };
        // Free the decoded source (the biggest buffer) as soon as every rendition still to
        // come can be derived from a smaller frame, before this one is encoded.
        if order[position + 1..]
            .iter()
            .all(|&later| cascade_frame(&frames, &plans[later]).is_some())
        {
            frames[0].pixels.data = Vec::new();
        }
        let resized = match &partial {
            Some(pixels) => pixels,
            None => &frames[frames.len() - 1].pixels,
        };
        let upright = colour.apply(orientation.apply(resized))?;
        timings.resize += step.elapsed();

        let files = renditions[i]
            .formats
            .iter()
            .map(|&format| {
                let step = Instant::now();
                let bytes = encode(
                    &upright,
                    format,
                    renditions[i].quality_for(format),
                    settings,
                )?;
                Ok(Encoded {
                    format,
                    bytes,
                    time: step.elapsed(),
                })
            })
            .collect::<Result<Vec<Encoded>, ImageError>>()?;
        timings.encode += files.iter().map(|f| f.time).sum::<Duration>();
        outputs[i] = Some(Output {
            name: renditions[i].name.clone(),
            width: upright.width,
            height: upright.height,
            files,
        });
    }
    let format = header.format();
    let mut warnings = header.warnings;
    warnings.extend(decode_warnings);
    Ok(Rendered {
        format,
        width,
        height,
        decode_scale,
        outputs: outputs.into_iter().flatten().collect(),
        warnings,
        timings,
    })
}

/// The smallest full-frame buffer with enough detail for `plan`; the decoded source always has.
fn pick_frame<'a>(frames: &'a [FullFrame], plan: &Plan) -> &'a FullFrame {
    cascade_frame(frames, plan).unwrap_or(&frames[0])
}

/// The smallest rendition kept so far (not the source) with enough detail for `plan`.
fn cascade_frame<'a>(frames: &'a [FullFrame], plan: &Plan) -> Option<&'a FullFrame> {
    frames
        .iter()
        .skip(1)
        .filter(|f| plan.shrink_factor() * f.scale_x.min(f.scale_y) >= MIN_CASCADE_SHRINK)
        .min_by_key(|f| f.pixels.data.len())
}

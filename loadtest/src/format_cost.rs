//! What each output format costs and saves per million images: its PUTs, its encode time, and
//! its bytes priced as S3 storage and as CloudFront egress, next to JPEG's.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::emf::ImageTiming;
use crate::prices;

/// One format's share of a run, per million images rendered (USD).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormatCost {
    /// The rendition grammar's name: `jpeg`, `webp`.
    pub format: String,
    /// Images whose metrics line had this format.
    pub images: usize,
    /// Over the format's renditions of one image.
    pub bytes_per_image: f64,
    pub encode_ms_per_image: f64,
    /// One PUT per rendition in this format.
    pub s3_put_usd: f64,
    /// The encode time billed at the processor's memory, arm64.
    pub encode_compute_usd: f64,
    /// Keeping a million images' files of this format for a month.
    pub storage_usd_per_month: f64,
    /// Serving each of those files once through CloudFront.
    pub egress_usd_per_delivery: f64,
    /// This format's bytes over JPEG's, for the same images; only when both formats are made of
    /// the same renditions, as otherwise the sizes differ for more than the format.
    pub bytes_vs_jpeg: Option<f64>,
}

const MILLION: f64 = 1e6;
const GB: f64 = 1e9;

/// Which renditions are written in each format: `jpeg` -> {`large`, `thumb`}.
pub type RenditionsByFormat = BTreeMap<String, BTreeSet<String>>;

/// The renditions written in each format, by the grammar's format names.
pub fn renditions_by_format(files: &[(String, &'static str)]) -> RenditionsByFormat {
    let mut by_format = RenditionsByFormat::new();
    for (name, extension) in files {
        if let Some(format) = imaging::OutputFormat::ALL
            .into_iter()
            .find(|f| f.extension() == *extension)
        {
            by_format
                .entry(format.name().to_owned())
                .or_default()
                .insert(name.clone());
        }
    }
    by_format
}

/// Each format's cost, from the images' metrics lines and the renditions each format has.
pub fn format_costs(
    timings: &[ImageTiming],
    renditions: &RenditionsByFormat,
    memory_mb: u32,
) -> Vec<FormatCost> {
    let mut totals: BTreeMap<&str, (usize, f64, f64)> = BTreeMap::new();
    for out in timings.iter().flat_map(|t| &t.formats) {
        let entry = totals.entry(&out.format).or_default();
        *entry = (entry.0 + 1, entry.1 + out.bytes, entry.2 + out.encode_ms);
    }
    let per_image = |(images, sum, _): (usize, f64, f64)| sum / images.max(1) as f64;
    let jpeg_bytes = totals.get("jpeg").copied().map(per_image);
    totals
        .into_iter()
        .map(|(format, (images, bytes, encode_ms))| {
            let bytes_per_image = bytes / images.max(1) as f64;
            let encode_ms_per_image = encode_ms / images.max(1) as f64;
            let names = renditions.get(format);
            let files = names.map_or(0, BTreeSet::len) as f64;
            let comparable = names.is_some() && names == renditions.get("jpeg");
            let gb_per_million = bytes_per_image * MILLION / GB;
            FormatCost {
                format: format.to_owned(),
                images,
                bytes_per_image: bytes_per_image.round(),
                encode_ms_per_image: round2(encode_ms_per_image),
                s3_put_usd: round2(files * MILLION * prices::S3_PUT),
                encode_compute_usd: round2(
                    f64::from(memory_mb) / 1024.0 * encode_ms_per_image / 1000.0
                        * MILLION
                        * prices::LAMBDA_GB_SECOND_ARM64,
                ),
                storage_usd_per_month: round2(gb_per_million * prices::S3_STORAGE_GB_MONTH),
                egress_usd_per_delivery: round2(gb_per_million * prices::CLOUDFRONT_EGRESS_GB),
                bytes_vs_jpeg: jpeg_bytes
                    .filter(|jpeg| comparable && *jpeg > 0.0)
                    .map(|jpeg| round2(bytes_per_image / jpeg)),
            }
        })
        .collect()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emf::FormatOut;

    fn renditions(by_format: &[(&str, &[&str])]) -> RenditionsByFormat {
        by_format
            .iter()
            .map(|(format, names)| {
                let names = names.iter().map(|n| n.to_string()).collect();
                (format.to_string(), names)
            })
            .collect()
    }

    fn image(jpeg: f64, webp: f64) -> ImageTiming {
        let out = |format: &str, bytes: f64, encode_ms: f64| FormatOut {
            format: format.into(),
            bytes,
            encode_ms,
        };
        ImageTiming {
            core_ms: 0.0,
            total_ms: 0.0,
            formats: vec![out("jpeg", jpeg, 10.0), out("webp", webp, 300.0)],
        }
    }

    #[test]
    fn matches_hand_computed_figures() {
        // Two images: JPEG 200 kB and 300 kB (250 kB mean), WebP 150 and 250 kB (200 kB).
        let timings = [image(200e3, 150e3), image(300e3, 250e3)];
        let both = ["thumb", "large"];
        let files = renditions(&[("jpeg", &both), ("webp", &both)]);
        let [jpeg, webp] = format_costs(&timings, &files, 1024)
            .try_into()
            .expect("two formats");
        assert_eq!((jpeg.format.as_str(), jpeg.images), ("jpeg", 2));
        assert_eq!(jpeg.bytes_per_image, 250e3);
        // A million images: 2 M PUTs at $5 per million; 250 GB at $0.023 and $0.085 a GB.
        assert_eq!(jpeg.s3_put_usd, 10.0);
        assert_eq!(jpeg.storage_usd_per_month, 5.75);
        assert_eq!(jpeg.egress_usd_per_delivery, 21.25);
        // 1 GB for 10 ms: 10,000 GB-s per million images at $0.0000133334.
        assert_eq!(jpeg.encode_compute_usd, 0.13);
        assert_eq!(jpeg.bytes_vs_jpeg, Some(1.0));
        assert_eq!((webp.s3_put_usd, webp.bytes_per_image), (10.0, 200e3));
        assert_eq!(webp.encode_compute_usd, 4.0);
        assert_eq!(webp.bytes_vs_jpeg, Some(0.8));
    }

    #[test]
    fn formats_of_different_renditions_are_not_compared() {
        let files = renditions(&[("jpeg", &["thumb", "large"]), ("webp", &["thumb"])]);
        let costs = format_costs(&[image(200e3, 50e3)], &files, 1024);
        assert_eq!(costs[0].bytes_vs_jpeg, Some(1.0));
        assert_eq!(costs[1].bytes_vs_jpeg, None);
        assert_eq!(costs[1].s3_put_usd, 5.0);
    }

    #[test]
    fn no_jpeg_no_comparison() {
        let mut only_webp = image(0.0, 100.0);
        only_webp.formats.remove(0);
        let files = renditions(&[("webp", &["a", "b", "c"])]);
        let costs = format_costs(&[only_webp], &files, 1769);
        assert_eq!(costs.len(), 1);
        assert_eq!(costs[0].bytes_vs_jpeg, None);
        assert!(format_costs(&[], &files, 1769).is_empty());
    }
}

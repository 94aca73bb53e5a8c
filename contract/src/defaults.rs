//! The defaults every piece falls back to when a setting is not given: one copy, so the trigger,
//! the processor and the load tester cannot drift apart.

/// Uploads under this prefix are processed.
pub const INPUT_PREFIX: &str = "uploads/";
/// Renditions are written under this prefix.
pub const OUTPUT_PREFIX: &str = "processed/";
/// Rejection records are written under this prefix.
pub const REJECTED_PREFIX: &str = "rejected/";
/// The renditions made when `RENDITIONS` is not set.
pub const RENDITIONS: &str = "thumb:200x200:cover:q75,medium:800x800:q80,large:1600x1600:q80";
/// The name endings the trigger enqueues (lower case), and the files `loadtest --images` uploads.
pub const INPUT_SUFFIXES: &[&str] = &[".jpg", ".jpeg", ".png", ".webp", ".gif"];

/// Files larger than this are refused without being downloaded (50 MiB).
pub const MAX_BYTES: u64 = 50 * 1024 * 1024;
/// Images with more pixels are refused from their header (50 MP, as imgproxy).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Images wider or taller than this are refused from their header.
pub const MAX_SIDE: u32 = 20_000;

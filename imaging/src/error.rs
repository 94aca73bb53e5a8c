//! Typed errors of the image core, each saying whether retrying could ever help.

use crate::format::Format;

/// Why an image could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("empty input (0 bytes)")]
    Empty,
    #[error("input is {size} bytes, over the limit of {limit} bytes")]
    TooManyBytes { size: usize, limit: usize },
    #[error("unknown image format (not JPEG, PNG, WebP or GIF)")]
    UnknownFormat,
    #[error("image is {width}x{height} ({pixels} pixels), over the limit of {limit} pixels")]
    TooManyPixels {
        width: u32,
        height: u32,
        pixels: u64,
        limit: u64,
    },
    #[error("image is {width}x{height}, over the limit of {max_width}x{max_height}")]
    TooWide {
        width: u32,
        height: u32,
        max_width: u32,
        max_height: u32,
    },
    #[error(
        "rendering this image needs about {} MiB, over the memory budget of {} MiB per image",
        needed >> 20,
        budget >> 20
    )]
    OverMemoryBudget { needed: u64, budget: u64 },
    #[error("truncated {format} data: {detail}")]
    Truncated {
        format: &'static str,
        detail: String,
    },
    #[error("corrupt {format} data: {detail}")]
    Corrupt {
        format: &'static str,
        detail: String,
    },
    #[error("unsupported {format}: {detail}")]
    Unsupported {
        format: &'static str,
        detail: String,
    },
    /// A failure inside the pipeline that the input did not cause (a bug or resource exhaustion).
    #[error("internal error while {stage}: {detail}")]
    Internal { stage: &'static str, detail: String },
}

/// The coarse class of an [`ImageError`], stable for logs, metrics and rejection records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Empty,
    TooLarge,
    UnknownFormat,
    Truncated,
    Corrupt,
    Unsupported,
    Internal,
}

impl ErrorKind {
    /// The snake_case name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooLarge => "too_large",
            Self::UnknownFormat => "unknown_format",
            Self::Truncated => "truncated",
            Self::Corrupt => "corrupt",
            Self::Unsupported => "unsupported",
            Self::Internal => "internal",
        }
    }
}

impl ImageError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Empty => ErrorKind::Empty,
            Self::TooManyBytes { .. }
            | Self::TooManyPixels { .. }
            | Self::TooWide { .. }
            | Self::OverMemoryBudget { .. } => ErrorKind::TooLarge,
            Self::UnknownFormat => ErrorKind::UnknownFormat,
            Self::Truncated { .. } => ErrorKind::Truncated,
            Self::Corrupt { .. } => ErrorKind::Corrupt,
            Self::Unsupported { .. } => ErrorKind::Unsupported,
            Self::Internal { .. } => ErrorKind::Internal,
        }
    }

    /// Whether the same bytes could succeed on another attempt. Everything the input causes is
    /// final; only an internal failure (resource exhaustion, a bug fixed by a deploy) may pass.
    pub fn is_retryable(&self) -> bool {
        self.kind() == ErrorKind::Internal
    }

    pub(crate) fn internal(stage: &'static str, err: impl std::fmt::Display) -> Self {
        Self::Internal {
            stage,
            detail: err.to_string(),
        }
    }

    pub(crate) fn corrupt(format: Format, detail: impl Into<String>) -> Self {
        Self::Corrupt {
            format: format.name(),
            detail: detail.into(),
        }
    }

    pub(crate) fn truncated(format: Format, detail: impl Into<String>) -> Self {
        Self::Truncated {
            format: format.name(),
            detail: detail.into(),
        }
    }

    pub(crate) fn unsupported(format: Format, detail: impl Into<String>) -> Self {
        Self::Unsupported {
            format: format.name(),
            detail: detail.into(),
        }
    }
}

/// The text a panic carried: `panic!` with a message leaves a `&str` or a `String`.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

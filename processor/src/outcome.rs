//! How one job ended: the four endings every upload is accounted for by.

/// How one job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every rendition written. `warnings` says what the decoder read past (damage libjpeg or
    /// libpng decode through, a colour profile dropped); empty for a clean file.
    Done {
        renditions: usize,
        warnings: Vec<String>,
    },
    /// Nothing to do (for example a key under the rejected prefix).
    Ignored(&'static str),
    /// Can never succeed; a rejection record was written and the message is acknowledged.
    Rejected { kind: String, reason: String },
    /// May succeed later; the message must be delivered again.
    Failed { reason: String },
}

impl Outcome {
    /// The stable name of the ending, the `Outcome` dimension of the metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Done { .. } => "done",
            Self::Ignored(_) => "ignored",
            Self::Rejected { .. } => "rejected",
            Self::Failed { .. } => "failed",
        }
    }

    pub fn should_retry(&self) -> bool {
        matches!(self, Self::Failed { .. })
    }
}

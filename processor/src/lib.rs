//! The image pipeline's processor: a pure image core (`imaging`) and, around it, the Lambda edges.

pub mod imaging;
pub mod sample;

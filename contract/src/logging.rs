//! The functions' log setup: JSON lines on stderr, which Lambda captures and stamps.

/// Installs a JSON `tracing` subscriber (level from `RUST_LOG`, default `info`).
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .without_time() // Lambda stamps every line itself
        .with_writer(std::io::stderr)
        .init();
}

//! Logging to stderr through `tracing`, filtered by `--log`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a bad filter falls back to `info` with a warning.
pub fn init(filter: &str) {
    let (filter, bad) = match EnvFilter::try_new(filter) {
        Ok(f) => (f, None),
        Err(e) => (EnvFilter::new("info"), Some(e)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    if let Some(e) = bad {
        tracing::warn!("ignoring the log filter: {e}");
    }
}

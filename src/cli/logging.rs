//! Log output: journald when systemd started the process, stderr otherwise.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

/// Installs the global subscriber at `level` (`error` ... `trace`, or any `EnvFilter` string).
///
/// systemd sets JOURNAL_STREAM for a service whose stderr goes to the journal (systemd.exec(5));
/// then records go to journald directly, with their fields intact.
pub fn init(level: &str) -> anyhow::Result<()> {
    check_level(level)?;
    let filter = EnvFilter::try_new(level).map_err(|error| {
        anyhow::anyhow!(
            "invalid log level {level:?}: {error}; use error, warn, info, debug or trace"
        )
    })?;
    let registry = tracing_subscriber::registry().with(filter);
    if std::env::var_os("JOURNAL_STREAM").is_some()
        && let Ok(journald) = tracing_journald::layer()
    {
        registry.with(journald).init();
        return Ok(());
    }
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    registry.with(stderr).init();
    Ok(())
}

/// Accepts the five level names only; `EnvFilter` would take any other word as a target name
/// and silently log nothing.
fn check_level(level: &str) -> anyhow::Result<()> {
    const LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];
    if LEVELS.contains(&level) {
        return Ok(());
    }
    anyhow::bail!("invalid log level {level:?}; use error, warn, info, debug or trace")
}

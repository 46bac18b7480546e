//! A tracing writer that forwards log records to stderr and counts the bytes.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing_subscriber::fmt::MakeWriter;

/// Counts the log bytes written to stderr; clones share one counter.
#[derive(Debug, Clone, Default)]
pub struct LogCounter {
    bytes: Arc<AtomicU64>,
}

impl LogCounter {
    /// Returns the bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Builds a subscriber that logs at `level` (an `EnvFilter` string) to stderr through this
    /// counter.
    pub fn subscriber(
        &self,
        level: &str,
    ) -> anyhow::Result<impl tracing::Subscriber + Send + Sync + use<>> {
        let filter = tracing_subscriber::EnvFilter::try_new(level).map_err(|error| {
            anyhow::anyhow!(
                "invalid log level {level:?}: {error}; use error, warn, info, debug or trace"
            )
        })?;
        Ok(tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(self.clone())
            .with_target(false)
            .with_ansi(false)
            .finish())
    }
}

/// The writer for one log record.
pub struct CountingStderr {
    bytes: Arc<AtomicU64>,
}

impl Write for CountingStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = io::stderr().write(buf)?;
        self.bytes.fetch_add(written as u64, Ordering::Relaxed);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for LogCounter {
    type Writer = CountingStderr;

    fn make_writer(&'a self) -> CountingStderr {
        CountingStderr {
            bytes: Arc::clone(&self.bytes),
        }
    }
}

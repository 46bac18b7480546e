//! SIGINT and SIGTERM as a shutdown input.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// Returns a receiver that turns true on the first SIGINT or SIGTERM.
///
/// The handlers are installed before this returns, so a signal that arrives while the caller
/// is still starting up is not lost.
pub fn shutdown_on_signal() -> std::io::Result<watch::Receiver<bool>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let (sender, receiver) = watch::channel(false);
    tokio::task::spawn_local(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        tracing::info!(signal = name, "stopping");
        let _ = sender.send(true);
    });
    Ok(receiver)
}

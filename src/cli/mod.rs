//! The command line: raw arguments parsed by clap, then one module per command.

pub mod logging;
pub mod probe;
pub mod status;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Exit code for a failed operation or a `check` that found violations.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for bad usage or bad input.
pub const EXIT_BAD_INPUT: u8 = 2;

/// An error caused by the operator's input (unknown interface, invalid name, malformed config);
/// `main` exits with code 2 when one appears anywhere in the error chain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

#[derive(Debug, Parser)]
#[command(name = "rustyjack", version, about = "Keep one uplink, isolate every other interface")]
pub struct Args {
    /// Configuration file; a missing file means all defaults.
    #[arg(long, global = true, default_value = "/etc/rustyjack/config.toml")]
    pub config: PathBuf,

    /// Directory of the saved selection.
    #[arg(long, global = true, default_value = "/var/lib/rustyjack")]
    pub state_dir: PathBuf,

    /// Log level: error, warn, info, debug or trace (overrides the config file).
    #[arg(long, global = true)]
    pub log_level: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show interfaces, addresses and routes.
    Status {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Time read-only dumps, or run a stress loop or a veth-only exercise (see `probe --help`).
    Probe(probe::ProbeArgs),
}

/// Runs the parsed command on a current-thread runtime and returns the process exit code.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, dispatch(args))
}

async fn dispatch(args: Args) -> anyhow::Result<u8> {
    match args.command {
        Command::Status { json } => status::run(json).await,
        Command::Probe(probe_args) => {
            let level = args.log_level.as_deref().unwrap_or("warn");
            probe::run(probe_args, level).await
        }
    }
}

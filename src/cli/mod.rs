//! The command line: raw arguments parsed by clap, then one module per command.

pub mod context;
pub mod isolate;
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
#[command(
    name = "rustyjack",
    version,
    about = "Keep one uplink, isolate every other interface"
)]
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
    /// Make IFACE the uplink, isolate every other interface, and save the choice.
    Select {
        /// The interface to keep as the uplink, for example eth0.
        iface: String,
        /// Keep enforcing isolation until SIGINT or SIGTERM.
        #[arg(long)]
        watch: bool,
    },
    /// Forget the saved selection; interfaces stay as they are.
    Release,
    /// Run the appliance: isolation engine, kernel monitor, screen and buttons.
    Run {
        /// Screen backend: hat (the ST7735 panel), sim (the terminal) or none.
        #[arg(long, default_value = "hat", value_parser = parse_display)]
        display: crate::ui::DisplayKind,
        /// Button backend: hat (GPIO), keys (the keyboard) or none.
        #[arg(long, default_value = "hat", value_parser = parse_input)]
        input: crate::ui::InputKind,
        /// Directory that receives each new frame as a PNG.
        #[arg(long)]
        frames: Option<PathBuf>,
    },
    /// Exit 0 when the kernel state isolates everything but the saved uplink, else list each
    /// violation and exit 1.
    Check,
    /// Time read-only dumps, or run a stress loop or a veth-only exercise (see `probe --help`).
    Probe(probe::ProbeArgs),
    /// Run the appliance in throwaway network namespaces with simulated eth0, wlan0 and usb0
    /// uplinks, the terminal display and keyboard input (needs root).
    Demo {
        /// Script of timed button presses, kernel events and expectations; exits when done.
        #[arg(long)]
        script: Option<PathBuf>,
        /// Directory that receives each new frame as a PNG.
        #[arg(long)]
        frames: Option<PathBuf>,
    },
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
    let load = || context::Context::load(&args.config, &args.state_dir);
    match &args.command {
        Command::Status { json } => status::run(*json).await,
        Command::Select { iface, watch } => isolate::select(&load()?, iface, *watch).await,
        Command::Release => isolate::release(&load()?),
        Command::Check => isolate::check(&load()?).await,
        Command::Demo { script, frames } => {
            let options = crate::demo::DemoOptions {
                script: script.clone(),
                frames: frames.clone(),
                log_level: args.log_level.clone(),
            };
            crate::demo::run(options).await
        }
        Command::Run {
            display,
            input,
            frames,
        } => {
            let options = crate::appliance::run::RunOptions {
                display: *display,
                input: *input,
                frames: frames.clone(),
            };
            crate::appliance::run::run(&load()?, options).await
        }
        Command::Probe(probe_args) => {
            let level = args.log_level.as_deref().unwrap_or("warn");
            probe::run(probe_args.clone(), level).await
        }
    }
}

fn parse_display(text: &str) -> Result<crate::ui::DisplayKind, String> {
    text.parse()
}

fn parse_input(text: &str) -> Result<crate::ui::InputKind, String> {
    text.parse()
}

use std::process::ExitCode;

use clap::Parser;
use rustyjack::cli::{self, Args, BadInput, EXIT_BAD_INPUT, EXIT_FAILURE};

fn main() -> ExitCode {
    let args = Args::parse();
    let level = args
        .log_level
        .clone()
        .unwrap_or_else(|| default_log_level(&args));
    if let Err(error) = cli::logging::init(&level) {
        eprintln!("rustyjack: {error:#}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("rustyjack: {error:#}");
            let bad_input = error.chain().any(|cause| {
                cause.is::<BadInput>()
                    || cause
                        .downcast_ref::<rustyjack::netlink::Error>()
                        .is_some_and(|error| error.is_invalid_argument())
            });
            ExitCode::from(if bad_input {
                EXIT_BAD_INPUT
            } else {
                EXIT_FAILURE
            })
        }
    }
}

/// `run` logs at the configured level (info by default); one-shot commands print their results
/// and only log warnings.
fn default_log_level(args: &Args) -> String {
    match args.command {
        cli::Command::Run { .. } => rustyjack::config::Config::load(&args.config)
            .map(|config| config.log.level.as_str().to_string())
            .unwrap_or_else(|_| "info".to_string()),
        _ => "warn".to_string(),
    }
}

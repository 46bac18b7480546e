//! `rustyjack probe`: timed read-only dumps (the default), a stress loop (`--stress`) or a
//! veth-only exercise of changing requests (`--safe-ops`), as a table or as one JSON object.
//!
//! Exit codes: 0 when every dump and step succeeded and the stress limits held, 1 otherwise.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;
use tracing::instrument::WithSubscriber;

use crate::netlink::{Netlink, NetlinkOptions};
use crate::probe::dumps::{self, DumpTiming, micros};
use crate::probe::safe_ops::{self, SafeOpsReport};
use crate::probe::stress::{self, StressLimits, StressReport};
use crate::probe::{LogCounter, ProcessSample};

#[derive(Clone, Debug, Args)]
pub struct ProbeArgs {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,

    /// List interfaces in a tight loop and report rate, memory, threads, CPU time and log bytes.
    #[arg(long, conflicts_with = "safe_ops")]
    pub stress: bool,

    /// Length of the stress run, in seconds.
    #[arg(long, default_value_t = 10, requires = "stress", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub seconds: u64,

    /// Maximum accepted growth of resident memory after the warm-up, in KiB (stress only).
    #[arg(long, default_value_t = 1024, requires = "stress")]
    pub max_growth_kib: u64,

    /// Maximum accepted number of threads (stress only).
    #[arg(long, default_value_t = 3, requires = "stress")]
    pub max_threads: u64,

    /// Create a temporary veth pair, exercise link, address and route requests on it, then
    /// remove it. Changes no other interface.
    #[arg(long)]
    pub safe_ops: bool,
}

/// Everything one probe run measured.
#[derive(Debug, Serialize)]
pub struct ProbeReport {
    /// `dumps`, `stress` or `safe-ops`.
    pub mode: &'static str,
    pub passed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dumps: Vec<DumpTiming>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stress: Option<StressReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe_ops: Option<SafeOpsReport>,
    /// Netlink requests sent, retries included.
    pub requests: u64,
    pub duration_us: u64,
    /// Log bytes written to stderr during the probe.
    pub log_bytes: u64,
    /// The process at the end of the probe.
    pub process: ProcessSample,
}

/// Runs the probe with its log records counted at `log_level` and prints the report.
pub async fn run(args: ProbeArgs, log_level: &str) -> anyhow::Result<u8> {
    let log = LogCounter::default();
    let subscriber = log.subscriber(log_level)?;
    let report = measure(&args, &log).with_subscriber(subscriber).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render_text(&report));
    }
    Ok(if report.passed {
        0
    } else {
        super::EXIT_FAILURE
    })
}

async fn measure(args: &ProbeArgs, log: &LogCounter) -> anyhow::Result<ProbeReport> {
    let started = Instant::now();
    let netlink = Netlink::connect(NetlinkOptions::default())?;
    let mut report = ProbeReport {
        mode: "dumps",
        passed: true,
        dumps: Vec::new(),
        stress: None,
        safe_ops: None,
        requests: 0,
        duration_us: 0,
        log_bytes: 0,
        process: ProcessSample::default(),
    };
    if args.stress {
        let limits = StressLimits {
            duration: Duration::from_secs(args.seconds),
            max_growth_kib: args.max_growth_kib,
            max_threads: args.max_threads,
        };
        let stress = stress::run(&netlink, limits, log).await?;
        report.mode = "stress";
        report.passed = stress.failures.is_empty();
        report.stress = Some(stress);
    } else if args.safe_ops {
        let safe_ops = safe_ops::run(&netlink).await?;
        report.mode = "safe-ops";
        report.passed = safe_ops.passed();
        report.safe_ops = Some(safe_ops);
    } else {
        report.dumps = dumps::run(&netlink).await;
        report.passed = report.dumps.iter().all(DumpTiming::is_ok);
    }
    report.requests = netlink.requests_sent();
    report.duration_us = micros(started.elapsed());
    report.log_bytes = log.bytes();
    report.process = ProcessSample::read()?;
    Ok(report)
}

/// Renders the report as aligned tables for a terminal.
pub fn render_text(report: &ProbeReport) -> String {
    let mut text = String::new();
    if !report.dumps.is_empty() {
        render_dumps(&mut text, &report.dumps);
    }
    if let Some(stress) = &report.stress {
        render_stress(&mut text, stress);
    }
    if let Some(safe_ops) = &report.safe_ops {
        render_safe_ops(&mut text, safe_ops);
    }
    render_totals(&mut text, report);
    text
}

/// Appends the figures every mode has: requests, time, the process and the result.
fn render_totals(text: &mut String, report: &ProbeReport) {
    let process = &report.process;
    let _ = writeln!(text);

    row(text, "netlink requests", report.requests.to_string());
    row(text, "total time", millis(report.duration_us));
    row(
        text,
        "resident memory",
        format!("{} KiB (peak {} KiB)", process.rss_kib, process.hwm_kib),
    );
    row(text, "threads", process.threads.to_string());
    row(text, "CPU time", format!("{} ms", process.cpu_ms));
    row(text, "log written", format!("{} bytes", report.log_bytes));
    row(
        text,
        "result",
        if report.passed { "passed" } else { "FAILED" }.to_string(),
    );
}

fn render_dumps(text: &mut String, dumps: &[DumpTiming]) {
    let _ = writeln!(text, "{:<12} {:>7} {:>12}  error", "dump", "count", "time");
    for dump in dumps {
        let error = dump.error.as_deref().unwrap_or("-");
        let time = millis(dump.duration_us);
        let _ = writeln!(
            text,
            "{:<12} {:>7} {time:>12}  {error}",
            dump.dump, dump.count
        );
    }
}

fn render_stress(text: &mut String, stress: &StressReport) {
    let errors = match &stress.first_error {
        Some(first) => format!("{} (first: {first})", stress.errors),
        None => "0".to_string(),
    };
    let rate = format!(
        "{} in {:.2} s ({:.1} per second)",
        stress.calls, stress.seconds, stress.calls_per_second
    );
    row(text, "calls", rate);
    row(text, "interfaces listed", stress.interfaces.to_string());
    row(text, "errors", errors);

    let kib = |value: u64| format!("{value} KiB");
    row(text, "warm-up", format!("{} ms", stress.warmup_ms));
    row(text, "resident baseline", kib(stress.baseline_rss_kib));
    row(text, "resident peak", kib(stress.peak_rss_kib));
    row(text, "resident final", kib(stress.final_rss_kib));
    let growth = format!(
        "{} KiB (limit {} KiB)",
        stress.growth_kib, stress.max_growth_kib
    );
    row(text, "growth", growth);

    let threads = format!(
        "peak {}, final {} (limit {})",
        stress.threads_peak, stress.threads_final, stress.max_threads
    );
    row(text, "threads", threads);
    let cpu = format!(
        "{} ms ({:.0}% of one core)",
        stress.cpu_ms, stress.cpu_percent
    );
    row(text, "CPU time of loop", cpu);
    row(
        text,
        "log during loop",
        format!("{} bytes", stress.log_bytes),
    );
    for failure in &stress.failures {
        row(text, "failure", failure.clone());
    }
}

fn render_safe_ops(text: &mut String, safe_ops: &SafeOpsReport) {
    let _ = writeln!(
        text,
        "temporary pair: {} and {}",
        safe_ops.link, safe_ops.peer
    );
    let _ = writeln!(
        text,
        "{:<14} {:<52} {:>10}  error",
        "step", "object", "time"
    );
    for step in &safe_ops.steps {
        let error = step.error.as_deref().unwrap_or("-");
        let time = millis(step.duration_us);
        let _ = writeln!(
            text,
            "{:<14} {:<52} {time:>10}  {error}",
            step.step, step.object
        );
    }
    if safe_ops.interrupted {
        let _ = writeln!(text, "interrupted by a signal before every step ran");
    }
    let removed = if safe_ops.removed {
        "yes"
    } else {
        "NO: remove it with `ip link del`"
    };
    row(text, "pair removed", removed.to_string());
}

fn row(text: &mut String, label: &str, value: String) {
    let _ = writeln!(text, "{label:<20} {value}");
}

fn millis(micros: u64) -> String {
    format!("{:.3} ms", micros as f64 / 1000.0)
}

//! Interface listing in a tight loop, with memory, threads, CPU time and log bytes measured.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::{LogCounter, ProcessSample};
use crate::netlink::Netlink;

/// How often memory and threads are read during the loop.
const SAMPLE_INTERVAL: Duration = Duration::from_millis(100);

/// Limits of one stress run.
#[derive(Debug, Clone, Copy)]
pub struct StressLimits {
    pub duration: Duration,
    /// Maximum accepted growth of resident memory from the baseline to the end, in KiB.
    pub max_growth_kib: u64,
    /// Maximum accepted thread count at any sample.
    pub max_threads: u64,
}

/// Figures of one stress run.
#[derive(Debug, Clone, Serialize)]
pub struct StressReport {
    pub seconds: f64,
    /// Calls of `interfaces()` (one link dump and one address dump each).
    pub calls: u64,
    pub calls_per_second: f64,
    pub requests: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Interfaces the last successful call listed.
    pub interfaces: usize,
    /// Time spent before the baseline was taken, so that allocator warm-up does not count.
    pub warmup_ms: u64,
    pub baseline_rss_kib: u64,
    /// Highest VmRSS sampled after the warm-up.
    pub peak_rss_kib: u64,
    pub final_rss_kib: u64,
    /// VmHWM at the end: the highest resident memory of the whole process, warm-up included.
    pub hwm_kib: u64,
    /// Final minus baseline resident memory; negative when memory was given back.
    pub growth_kib: i64,
    pub max_growth_kib: u64,
    pub threads_peak: u64,
    pub threads_final: u64,
    pub max_threads: u64,
    /// User plus system CPU time of the loop.
    pub cpu_ms: u64,
    /// CPU time as a share of the loop's wall-clock time.
    pub cpu_percent: f64,
    /// Log bytes written during the loop.
    pub log_bytes: u64,
    /// Reasons the run failed; empty when it passed.
    pub failures: Vec<String>,
}

/// Calls `interfaces()` until `limits.duration` has passed and reports what it cost.
///
/// The baseline is taken after the first tenth of the run, so that the allocator's and the
/// connection's first allocations are not counted as growth.
pub async fn run(
    netlink: &Netlink,
    limits: StressLimits,
    log: &LogCounter,
) -> anyhow::Result<StressReport> {
    let warmup = limits.duration / 10;
    let mut tally = Tally::default();
    let start_sample = ProcessSample::read()?;
    let start_requests = netlink.requests_sent();
    let start_log = log.bytes();
    let started = Instant::now();
    let mut next_sample = started + SAMPLE_INTERVAL;
    let mut baseline: Option<(ProcessSample, Duration)> = None;
    let mut peak_rss_kib = 0;
    let mut threads_peak = start_sample.threads;

    while started.elapsed() < limits.duration {
        tally.record(netlink.interfaces().await.map(|list| list.len()));
        if Instant::now() < next_sample {
            continue;
        }
        next_sample = Instant::now() + SAMPLE_INTERVAL;
        let sample = ProcessSample::read()?;
        threads_peak = threads_peak.max(sample.threads);
        if baseline.is_none() && started.elapsed() >= warmup {
            baseline = Some((sample, started.elapsed()));
        }
        if baseline.is_some() {
            peak_rss_kib = peak_rss_kib.max(sample.rss_kib);
        }
    }

    let elapsed = started.elapsed();
    let end = ProcessSample::read()?;
    let (baseline, warmup_taken) = baseline.unwrap_or((end, elapsed));
    threads_peak = threads_peak.max(end.threads);
    let seconds = elapsed.as_secs_f64();
    let cpu_ms = end.cpu_ms.saturating_sub(start_sample.cpu_ms);
    let mut report = StressReport {
        seconds,
        calls: tally.calls,
        calls_per_second: tally.calls as f64 / seconds,
        requests: netlink.requests_sent() - start_requests,
        errors: tally.errors,
        first_error: tally.first_error,
        interfaces: tally.interfaces,
        warmup_ms: warmup_taken.as_millis() as u64,
        baseline_rss_kib: baseline.rss_kib,
        peak_rss_kib: peak_rss_kib.max(end.rss_kib),
        final_rss_kib: end.rss_kib,
        hwm_kib: end.hwm_kib,
        growth_kib: end.rss_kib as i64 - baseline.rss_kib as i64,
        max_growth_kib: limits.max_growth_kib,
        threads_peak,
        threads_final: end.threads,
        max_threads: limits.max_threads,
        cpu_ms,
        cpu_percent: cpu_ms as f64 / 10.0 / seconds,
        log_bytes: log.bytes() - start_log,
        failures: Vec::new(),
    };
    report.failures = failures(&report);
    Ok(report)
}

/// Lists every limit the report breaks.
fn failures(report: &StressReport) -> Vec<String> {
    let mut failures = Vec::new();
    if report.growth_kib > report.max_growth_kib as i64 {
        failures.push(format!(
            "resident memory grew by {} KiB after the warm-up, more than the limit of {} KiB",
            report.growth_kib, report.max_growth_kib
        ));
    }
    if report.threads_peak > report.max_threads {
        failures.push(format!(
            "{} threads seen, more than the limit of {}",
            report.threads_peak, report.max_threads
        ));
    }
    if report.errors > 0 {
        failures.push(format!(
            "{} of {} calls failed",
            report.errors, report.calls
        ));
    }
    if report.calls == 0 {
        failures.push("no call completed within the run".to_string());
    }
    failures
}

#[derive(Default)]
struct Tally {
    calls: u64,
    errors: u64,
    first_error: Option<String>,
    interfaces: usize,
}

impl Tally {
    fn record(&mut self, result: crate::netlink::Result<usize>) {
        self.calls += 1;
        match result {
            Ok(count) => self.interfaces = count,
            Err(error) => {
                self.errors += 1;
                // Only the first failure is logged, so that a broken path cannot flood the log.
                if self.first_error.is_none() {
                    tracing::warn!(%error, "interface listing failed during the stress run");
                    self.first_error = Some(error.to_string());
                }
            }
        }
    }
}

//! Readings of this process from procfs: resident memory, threads and CPU time.

use std::io;

/// One reading of `/proc/self/status` and `/proc/self/stat`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProcessSample {
    /// VmRSS: resident memory now, in KiB.
    pub rss_kib: u64,
    /// VmHWM: the highest resident memory since the process started, in KiB.
    pub hwm_kib: u64,
    /// Threads of the process.
    pub threads: u64,
    /// User plus system CPU time since the process started, in milliseconds.
    pub cpu_ms: u64,
}

impl ProcessSample {
    /// Reads the current figures of this process.
    pub fn read() -> io::Result<ProcessSample> {
        let status = std::fs::read_to_string("/proc/self/status")?;
        let stat = std::fs::read_to_string("/proc/self/stat")?;
        let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
        let mut sample = parse_status(&status)
            .ok_or_else(|| invalid("/proc/self/status lacks VmRSS, VmHWM or Threads"))?;
        let ticks = parse_cpu_ticks(&stat)
            .ok_or_else(|| invalid("/proc/self/stat has no utime and stime"))?;
        sample.cpu_ms = ticks * 1000 / clock_ticks_per_second();
        Ok(sample)
    }
}

/// Parses VmRSS, VmHWM and Threads from the text of `/proc/PID/status`.
pub fn parse_status(text: &str) -> Option<ProcessSample> {
    let field = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|value| value.parse::<u64>().ok())
    };
    Some(ProcessSample {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
        threads: field("Threads:")?,
        cpu_ms: 0,
    })
}

/// Parses utime + stime, in clock ticks, from the text of `/proc/PID/stat`.
///
/// The command name in field 2 may contain spaces and parentheses, so the fields are counted from
/// the last `)`: utime and stime are fields 14 and 15 (proc(5)).
pub fn parse_cpu_ticks(text: &str) -> Option<u64> {
    let after_name = &text[text.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf only reads a configuration value; it takes no pointers.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    // USER_HZ is 100 on x86_64 and arm64 Linux, so that is the fallback if sysconf fails.
    if ticks > 0 { ticks as u64 } else { 100 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_parsed() {
        let text = "Name:\trustyjack\nVmHWM:\t    5120 kB\nVmRSS:\t    4096 kB\nThreads:\t1\n";
        let sample = parse_status(text).unwrap();
        assert_eq!(sample.rss_kib, 4096);
        assert_eq!(sample.hwm_kib, 5120);
        assert_eq!(sample.threads, 1);
    }

    #[test]
    fn status_without_rss_rejected() {
        assert_eq!(parse_status("Name:\tx\nThreads:\t1\n"), None);
    }

    #[test]
    fn cpu_ticks_with_odd_command_name() {
        let text = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 5 0 0";
        assert_eq!(parse_cpu_ticks(text), Some(10));
    }

    #[test]
    fn own_process_readable() {
        let sample = ProcessSample::read().unwrap();
        assert!(sample.rss_kib > 0);
        assert!(sample.hwm_kib >= sample.rss_kib);
        assert!(sample.threads >= 1);
    }
}

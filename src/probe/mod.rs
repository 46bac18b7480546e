//! On-device probe: timed read-only dumps, a stress loop over interface listing, and a veth-only
//! exercise of the changing requests, so that a slow, hung or leaking netlink path shows up on the
//! device first.
//!
//! Every figure comes from the process itself:
//!
//! - resident memory and threads from `/proc/self/status` (VmRSS, VmHWM, Threads; proc(5));
//! - CPU time from `/proc/self/stat` (utime + stime, in clock ticks of `sysconf(_SC_CLK_TCK)`);
//! - log bytes from [`LogCounter`]: while the probe runs, its log records go to stderr through a
//!   writer that counts every byte, at the level the command line chose. That is the cost the
//!   same code paths would add to the log. The probe always logs to stderr, even under systemd.
//!
//! Nothing here starts a thread or a runtime: the probe runs on the caller's current-thread
//! runtime, like the appliance.

pub mod dumps;
pub mod log_counter;
pub mod process;
pub mod safe_ops;
pub mod stress;

pub use log_counter::LogCounter;
pub use process::ProcessSample;

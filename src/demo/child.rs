//! The appliance as a child process inside the device namespace, with its stdin as the buttons.

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;

use super::netns;

/// How long the appliance gets to stop after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// The paths and options the appliance child starts with.
pub struct ChildOptions<'a> {
    pub netns: &'a str,
    pub state_dir: &'a Path,
    pub config: &'a Path,
    pub frames: Option<&'a Path>,
    pub log_level: Option<&'a str>,
    /// Pipe button lines to stdin; otherwise the child shares the demo's terminal.
    pub piped: bool,
}

/// The running appliance.
pub struct Appliance {
    child: Child,
    stdin: Option<ChildStdin>,
    exited: watch::Receiver<bool>,
    status: Option<ExitStatus>,
}

impl Appliance {
    /// Starts `rustyjack run --display sim --input keys` inside the namespace `options.netns`.
    pub fn start(options: &ChildOptions) -> anyhow::Result<Appliance> {
        let mut command =
            Command::new(std::env::current_exe().context("cannot find the rustyjack binary")?);
        command
            .arg("--config")
            .arg(options.config)
            .arg("--state-dir")
            .arg(options.state_dir);
        if let Some(level) = options.log_level {
            command.args(["--log-level", level]);
        }
        command.args(["run", "--display", "sim", "--input", "keys"]);
        if let Some(frames) = options.frames {
            command.arg("--frames").arg(frames);
        }
        if options.piped {
            command.stdin(Stdio::piped());
        }
        let netns_file = File::open(netns::path(options.netns))
            .with_context(|| format!("cannot open network namespace {}", options.netns))?;
        enter_before_exec(&mut command, &netns_file)?;

        let mut child = command
            .spawn()
            .context("cannot start the appliance in the demo namespace")?;
        let stdin = child.stdin.take();
        let exited = watch_exit(child.id())?;
        tracing::info!(pid = child.id(), netns = %options.netns, "appliance started");
        Ok(Appliance {
            child,
            stdin,
            exited,
            status: None,
        })
    }

    /// Sends one button line, spelled as the `keys` backend reads it.
    pub fn press(&mut self, word: &str) -> io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("the appliance's stdin is not a pipe"))?;
        stdin.write_all(format!("{word}\n").as_bytes())
    }

    /// Stops (SIGSTOP) or resumes (SIGCONT) the appliance.
    pub fn pause(&self, paused: bool) -> io::Result<()> {
        self.signal(if paused { libc::SIGSTOP } else { libc::SIGCONT })
    }

    /// Returns a receiver that turns true once the appliance has exited (it is not reaped yet).
    pub fn exit_watch(&self) -> watch::Receiver<bool> {
        self.exited.clone()
    }

    /// Stops the appliance: SIGCONT in case it is paused, SIGTERM, then SIGKILL after a grace period.
    pub async fn stop(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        self.stdin = None;
        let _ = self.signal(libc::SIGCONT);
        self.signal(libc::SIGTERM)?;
        let mut exited = self.exited.clone();
        let waited = tokio::time::timeout(STOP_GRACE, exited.wait_for(|exited| *exited)).await;
        if waited.is_err() {
            tracing::warn!(
                pid = self.child.id(),
                "appliance ignored SIGTERM; killing it"
            );
            self.child.kill()?;
        }
        self.reap()
    }

    /// Reaps the appliance once it has exited and returns its status.
    pub fn reap(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        let status = self.child.wait()?;
        self.status = Some(status);
        Ok(status)
    }

    fn signal(&self, signal: libc::c_int) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        // The child is reaped only in `reap`, which sets `status`, so the pid still names it.
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill takes no pointers.
        if unsafe { libc::kill(pid, signal) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for Appliance {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Returns a text for an exit status: the code, or the signal that ended the process.
pub fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        _ => "unknown status".to_string(),
    }
}

/// Makes the child join the namespace behind `netns_file` between fork and exec, check that it
/// did, and ask for SIGTERM if the demo dies first.
fn enter_before_exec(command: &mut Command, netns_file: &File) -> anyhow::Result<()> {
    let fd = netns_file.as_raw_fd();
    let expected = netns::inode(netns_file)?;
    let own_ns = CString::new("/proc/self/ns/net").expect("no NUL in a literal");
    let hook = move || {
        // SAFETY: setns takes an open namespace descriptor; `netns_file` outlives spawn.
        if unsafe { libc::setns(fd, libc::CLONE_NEWNET) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: stat writes into the zeroed struct we own; the path is NUL-terminated.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::stat(own_ns.as_ptr(), &mut stat) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if stat.st_ino != expected {
            return Err(io::Error::other("the child is not in the demo namespace"));
        }
        // SAFETY: prctl with PR_SET_PDEATHSIG takes plain integers.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: the hook calls only async-signal-safe functions (setns, stat, prctl) and allocates
    // nothing, as pre_exec requires after fork.
    unsafe { command.pre_exec(hook) };
    Ok(())
}

/// Starts a thread that waits until process `pid` exits without reaping it, so that signals sent
/// afterwards cannot reach a recycled pid.
fn watch_exit(pid: u32) -> anyhow::Result<watch::Receiver<bool>> {
    let (sender, receiver) = watch::channel(false);
    std::thread::Builder::new()
        .name("demo-child".to_string())
        .spawn(move || {
            loop {
                // SAFETY: waitid writes into the zeroed siginfo we own.
                let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
                let flags = libc::WEXITED | libc::WNOWAIT;
                let result =
                    unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) };
                if result == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                    break;
                }
            }
            let _ = sender.send(true);
        })
        .context("cannot start the thread that watches the appliance")?;
    Ok(receiver)
}

/// Returns the private state directory and configuration path for the child under `base`.
pub fn private_paths(base: &Path) -> (PathBuf, PathBuf) {
    (base.join("state"), base.join("config.toml"))
}

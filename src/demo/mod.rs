//! `rustyjack demo`: the whole appliance in throwaway network namespaces, on any Linux machine.
//!
//! The demo creates a device namespace `rjdemo-<pid>-dev` with three simulated uplinks, `eth0`,
//! `wlan0` and `usb0`. Each is one end of a veth pair whose other end, `gw0`, sits in a gateway
//! namespace of its own (`rjdemo-<pid>-gw-eth0` and so on):
//!
//! | uplink | IPv4 | IPv6 | default route metric |
//! | --- | --- | --- | --- |
//! | eth0 | 192.0.2.2/24 via .1 | 2001:db8:1::2/64 via ::1 | 100 |
//! | wlan0 | 198.51.100.2/24 via .1 | 2001:db8:2::2/64 via ::1 | 600 |
//! | usb0 | 203.0.113.2/24 via .1 | 2001:db8:3::2/64 via ::1 | 700 |
//!
//! It then starts `rustyjack run --display sim --input keys` inside the device namespace, with a
//! private state directory and no configuration file, so the machine's own interfaces, `/etc`
//! and `/var/lib` stay untouched. Every namespace is removed on exit: at the end of a script,
//! on Ctrl-C or SIGTERM (forwarded to the appliance first), on an error and on a panic.
//!
//! # Scripts
//!
//! Without `--script` the appliance reads the terminal: arrows move, Enter presses, 1, 2 and 3
//! are KEY1 to KEY3. With `--script FILE` the demo runs FILE's steps in order and then exits.
//! One step per line; `#` starts a comment. The whole file is checked before anything starts,
//! and bad lines are reported as `FILE:LINE` with the accepted forms (exit code 2).
//!
//! - `wait DURATION`: sleep, for example `wait 500ms` or `wait 2s`.
//! - `press BUTTON`: one press of `up`, `down`, `left`, `right`, `press`, `key1`, `key2` or
//!   `key3`, sent to the appliance's stdin as the `keys` backend reads it.
//! - `hotplug IFACE`: a new veth in the device namespace, up, with 198.18.N.2/24 and
//!   2001:db8:1N::2/64 (N counts hot-plugged interfaces from 1) and a gateway namespace of its own.
//! - `link up IFACE`, `addr add ADDRESS/PREFIX dev IFACE`,
//!   `route add default via GATEWAY dev IFACE [metric N]`: kernel changes in the device
//!   namespace, made like the `ip` commands of the same words.
//! - `pause appliance`, `resume appliance`: SIGSTOP and SIGCONT the appliance, so that several
//!   kernel changes land before it can react, as a DHCP client would make them. The kernel
//!   rejects a route through a link that is down, so a leak of an isolated link needs this.
//! - `expect uplink IFACE`: IFACE is the saved selection, it is up, and the kernel state breaks
//!   no isolation rule for it. `expect isolated IFACE`: IFACE is down, without addresses and the
//!   output of no route, or absent. An expectation waits up to 10 s for the state to hold, then
//!   the demo stops with exit code 1 and names the line.
//!
//! `demo/tour.script` is an example.

pub mod child;
pub mod expect;
pub mod netns;
pub mod script;
pub mod topology;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::sync::watch;

use crate::appliance::signals;
use crate::cli::BadInput;
use crate::isolation::state::{Loaded, StateStore};
use crate::netlink::Netlink;
use child::{Appliance, ChildOptions, describe_status};
use script::{Line, Step};
use topology::{Lab, require_links};

/// How long an `expect` step waits for the kernel state to hold.
const EXPECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an `expect` step reads the kernel state while it waits.
const EXPECT_INTERVAL: Duration = Duration::from_millis(100);

/// The options of `rustyjack demo`.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    pub script: Option<PathBuf>,
    pub frames: Option<PathBuf>,
    pub log_level: Option<String>,
}

/// Runs the demo and returns the exit code; every namespace is gone when it returns.
pub async fn run(options: DemoOptions) -> anyhow::Result<u8> {
    let script = match &options.script {
        Some(path) => Some(load_script(path)?),
        None => None,
    };
    require_root()?;
    if let Some(frames) = &options.frames {
        std::fs::create_dir_all(frames)
            .with_context(|| format!("cannot create frames directory {}", frames.display()))?;
    }
    let mut shutdown = signals::shutdown_on_signal()?;
    let prefix = format!("rjdemo-{}", std::process::id());
    let scratch = Scratch::create(&prefix)?;
    let lab = Lab::build(&prefix).await?;
    require_links(&lab.device, &["lo", "eth0", "wlan0", "usb0"]).await?;
    if *shutdown.borrow_and_update() {
        return Ok(1);
    }

    let (state_dir, config) = child::private_paths(&scratch.path);
    write_config(&config)?;
    let device_ns = lab.device_ns();
    let child_options = ChildOptions {
        netns: &device_ns,
        state_dir: &state_dir,
        config: &config,
        frames: options.frames.as_deref(),
        log_level: options.log_level.as_deref(),
        piped: script.is_some(),
    };
    let mut session = Session {
        lab,
        appliance: Appliance::start(&child_options)?,
        store: StateStore::new(&state_dir),
    };
    let code = match script {
        Some((file, lines)) => session.run_script(&file, &lines, shutdown).await,
        None => session.run_interactive(shutdown).await,
    };
    let stopped = session.appliance.stop().await;
    drop(session);
    drop(scratch);
    let status = stopped.context("cannot stop the appliance")?;
    eprintln!(
        "demo: appliance stopped with {}; namespaces {prefix}-* removed",
        describe_status(status)
    );
    code
}

/// Reads and checks a script; an unreadable or malformed file is bad input.
fn load_script(path: &Path) -> anyhow::Result<(String, Vec<Line>)> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|error| BadInput(format!("cannot read script {name}: {error}")))?;
    let lines = script::parse(&name, &text)
        .map_err(|error| BadInput(format!("invalid script:\n{error}")))?;
    Ok((name, lines))
}

fn require_root() -> anyhow::Result<()> {
    // SAFETY: geteuid takes no arguments; geteuid(2) says it always succeeds.
    if unsafe { libc::geteuid() } != 0 {
        bail!("the demo creates network namespaces and needs root; run it with sudo");
    }
    Ok(())
}

/// The running demo: namespaces, appliance and the appliance's saved selection.
struct Session {
    appliance: Appliance,
    lab: Lab,
    store: StateStore,
}

impl Session {
    /// Runs every step; returns 1 when a step fails, the appliance exits or a signal arrives.
    async fn run_script(
        &mut self,
        file: &str,
        lines: &[Line],
        mut shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<u8> {
        let mut exited = self.appliance.exit_watch();
        for line in lines {
            eprintln!("demo: {file}:{}: {}", line.number, line.text);
            let outcome = tokio::select! {
                outcome = self.run_step(&line.step) => outcome,
                _ = shutdown.wait_for(|stop| *stop) => {
                    eprintln!("demo: interrupted at {file}:{}", line.number);
                    return Ok(1);
                }
                _ = exited.wait_for(|exited| *exited) => {
                    let status = self.appliance.reap()?;
                    eprintln!("demo: the appliance exited early with {}", describe_status(status));
                    return Ok(1);
                }
            };
            if let Err(error) = outcome {
                eprintln!(
                    "demo: {file}:{}: `{}` failed: {error:#}",
                    line.number, line.text
                );
                return Ok(1);
            }
        }
        eprintln!("demo: all {} steps of {file} passed", lines.len());
        Ok(0)
    }

    /// Lets the operator drive the appliance from the terminal until Ctrl-C or its exit.
    async fn run_interactive(&mut self, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<u8> {
        eprintln!(
            "demo: arrows move, Enter presses, 1 lists uplinks, 2 goes home, 3 goes back; Ctrl-C ends the demo.\n\
             demo: inspect the kernel state with `ip netns exec {} ip addr`",
            self.lab.device_ns()
        );
        let mut exited = self.appliance.exit_watch();
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => Ok(0),
            _ = exited.wait_for(|exited| *exited) => Ok(0),
        }
    }

    async fn run_step(&mut self, step: &Step) -> anyhow::Result<()> {
        let device = &self.lab.device;
        match step {
            Step::Wait(duration) => tokio::time::sleep(*duration).await,
            Step::Press(button) => self
                .appliance
                .press(script::button_word(*button))
                .context("cannot send the button")?,
            Step::Hotplug(name) => self.lab.hotplug(name).await?,
            Step::LinkUp(name) => device.link_set_up(device.link_index(name).await?).await?,
            Step::AddrAdd {
                address,
                prefix_len,
                iface,
            } => {
                device
                    .addr_add(device.link_index(iface).await?, *address, *prefix_len)
                    .await?
            }
            Step::DefaultRoute {
                gateway,
                iface,
                metric,
            } => {
                let route = crate::netlink::ops::DefaultRoute {
                    oif: Some(device.link_index(iface).await?),
                    metric: *metric,
                    ..crate::netlink::ops::DefaultRoute::via(*gateway)
                };
                device.route_default_add(&route).await?;
            }
            Step::Pause => self
                .appliance
                .pause(true)
                .context("cannot stop the appliance")?,
            Step::Resume => self
                .appliance
                .pause(false)
                .context("cannot resume the appliance")?,
            Step::ExpectUplink(name) => {
                wait_until(device, |snapshot| {
                    expect::uplink_problems(snapshot, name, saved(&self.store).as_deref())
                })
                .await?
            }
            Step::ExpectIsolated(name) => {
                wait_until(device, |snapshot| expect::isolated_problems(snapshot, name)).await?
            }
        }
        Ok(())
    }
}

/// Returns the selection the appliance saved, if any.
fn saved(store: &StateStore) -> Option<String> {
    match store.load() {
        Ok(Loaded::Selected(name)) => Some(name),
        _ => None,
    }
}

/// Reads snapshots until `problems` returns none, or fails with the last problems after
/// [`EXPECT_TIMEOUT`].
async fn wait_until(
    device: &Netlink,
    problems: impl Fn(&crate::netlink::Snapshot) -> Vec<String>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + EXPECT_TIMEOUT;
    loop {
        let snapshot = crate::netlink::Kernel::snapshot(device).await?;
        let found = problems(&snapshot);
        if found.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "still not true after {} s: {}",
                EXPECT_TIMEOUT.as_secs(),
                found.join("; ")
            );
        }
        tokio::time::sleep(EXPECT_INTERVAL).await;
    }
}

/// The appliance's private state directory and configuration path, removed on drop.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn create(prefix: &str) -> anyhow::Result<Scratch> {
        let path = std::env::temp_dir().join(prefix);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(path.join("state"))
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Scratch { path })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Writes the appliance's configuration: each simulated uplink's device addresses and gateways
/// as static uplink addressing, standing in for the DHCP client a real uplink would have, so an
/// uplink chosen again after it was isolated gets its addresses and default routes back.
fn write_config(path: &Path) -> anyhow::Result<()> {
    let mut text = String::from("# Written by `rustyjack demo` for its simulated uplinks.\n");
    for uplink in topology::standard_uplinks() {
        let [(device4, len4), (device6, len6)] = uplink.addresses(2);
        let [(gateway4, _), (gateway6, _)] = uplink.addresses(1);
        text.push_str(&format!(
            "\n[uplink.{}]\naddress = \"{device4}/{len4}\"\ngateway = \"{gateway4}\"\naddress6 = \"{device6}/{len6}\"\ngateway6 = \"{gateway6}\"\n",
            uplink.name
        ));
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

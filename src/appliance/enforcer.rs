//! The enforcement loop: kernel events in, isolation actions out.
//!
//! Each burst of kernel events (links, addresses, routes) leads to one `enforce` call, which reads
//! a snapshot, applies the engine's plan and confirms it. Between events the loop sleeps: it wakes
//! only for the engine's retry deadline, the slow safety re-check, an operator command, or the
//! systemd watchdog ping. A monitor overrun needs no special path, because every `enforce` starts
//! from fresh dumps; it is logged and counted.

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use crate::isolation::state::StateStore;
use crate::isolation::{Engine, Report, State, enforce};
use crate::netlink::monitor::{Event, Monitor};
use crate::netlink::{Netlink, Result};
use crate::ratelimit::Repeats;

/// Receive buffer for the event socket: room for a few thousand notifications, so that a DHCP
/// client or a routing burst does not overrun it while an `enforce` call runs.
pub const MONITOR_BUFFER: usize = 1024 * 1024;

/// An operator's request to the running appliance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Select(String),
    Release,
}

/// The engine, the request connection and the event socket, run as one loop.
pub struct Enforcer {
    netlink: Netlink,
    monitor: Monitor,
    engine: Engine,
    store: Option<StateStore>,
    recheck: Duration,
    watchdog: Option<Duration>,
    last_state: Option<State>,
    overruns: Repeats,
    read_failures: Repeats,
}

impl Enforcer {
    /// Opens the event socket before anything is enforced, so no change after the first snapshot
    /// goes unseen. `store` receives the operator's later choices.
    pub fn new(
        netlink: Netlink,
        engine: Engine,
        store: Option<StateStore>,
        recheck: Duration,
    ) -> Result<Enforcer> {
        return_large_blocks_to_the_system();
        Ok(Enforcer {
            netlink,
            monitor: Monitor::open(MONITOR_BUFFER)?,
            engine,
            store,
            recheck,
            watchdog: sd_notify::watchdog_enabled().map(|interval| interval / 2),
            last_state: None,
            overruns: Repeats::default(),
            read_failures: Repeats::default(),
        })
    }

    /// Returns the engine, for its view and counters.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Returns how many monitor overruns forced a full resynchronisation.
    pub fn overruns(&self) -> u64 {
        self.overruns.count()
    }

    /// Runs one enforce pass and logs a state change at info.
    pub async fn enforce_once(&mut self) -> Result<Report> {
        let report = enforce(&self.netlink, &mut self.engine, Instant::now()).await?;
        if self.last_state != Some(report.state) {
            let uplink = self.engine.selection().unwrap_or("none");
            tracing::info!(state = %report.state, uplink, "isolation state");
            self.last_state = Some(report.state);
        }
        Ok(report)
    }

    /// Enforces until `shutdown` turns true, handing every report to `publish`.
    ///
    /// A failed snapshot (the kernel did not reply in time, say) is logged and retried at the
    /// next wake-up; it never ends the loop, because a hung appliance is a lost device.
    pub async fn run(
        &mut self,
        mut shutdown: watch::Receiver<bool>,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut publish: impl FnMut(&Report, &Engine),
    ) -> Result<()> {
        let mut next_check = Instant::now();
        let mut next_recheck = Instant::now() + self.recheck;
        let mut next_ping = self.watchdog.map(|interval| Instant::now() + interval);
        loop {
            let wake = next_check
                .min(next_recheck)
                .min(next_ping.unwrap_or(next_recheck));
            let mut due = false;
            tokio::select! {
                _ = shutdown.wait_for(|stop| *stop) => return Ok(()),
                events = self.monitor.next() => {
                    self.absorb(events?);
                    due = true;
                }
                Some(command) = commands.recv() => {
                    self.obey(command);
                    due = true;
                }
                _ = tokio::time::sleep_until(wake.into()) => {}
            }
            let now = Instant::now();
            if next_ping.is_some_and(|ping| ping <= now) {
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
                next_ping = self.watchdog.map(|interval| now + interval);
            }
            if next_recheck <= now {
                tracing::debug!("safety re-check");
                next_recheck = now + self.recheck;
                due = true;
            }
            if !(due || next_check <= now) {
                continue;
            }
            next_check = match self.enforce_once().await {
                Ok(report) => {
                    let failures = self.read_failures.reset();
                    if failures > 0 {
                        tracing::info!(failures, "reading the kernel state works again");
                    }
                    publish(&report, &self.engine);
                    report.next_check.unwrap_or(next_recheck)
                }
                Err(error) => {
                    if self.read_failures.note() {
                        let failures = self.read_failures.count();
                        tracing::warn!(cause = %error, failures, "reading the kernel state failed; retrying");
                    }
                    now + Duration::from_millis(500)
                }
            };
        }
    }

    /// Takes in one datagram's events and whatever else is already queued.
    fn absorb(&mut self, mut events: Vec<Event>) {
        while let Ok(Some(more)) = self.monitor.try_next() {
            events.extend(more);
        }
        let now = Instant::now();
        for event in &events {
            match event {
                Event::LinkNew(link) => self.engine.record_link_event(link.index, now),
                Event::Overrun if self.overruns.note() => {
                    let total = self.overruns.count();
                    tracing::warn!(total, "kernel events lost; resynchronising from dumps");
                }
                _ => {}
            }
        }
        tracing::trace!(count = events.len(), "kernel events");
    }

    fn obey(&mut self, command: Command) {
        let selection = match command {
            Command::Select(name) => Some(name),
            Command::Release => None,
        };
        if let Some(store) = &self.store {
            let saved = match &selection {
                Some(name) => store.save(name),
                None => store.clear().map(|_| ()),
            };
            if let Err(error) = saved {
                tracing::error!(cause = %error, "saving the selection failed; it will not survive a reboot");
            }
        }
        match &selection {
            Some(name) => tracing::info!(iface = %name, "uplink selected"),
            None => tracing::info!("selection released"),
        }
        self.engine.select(selection);
    }
}

/// Makes glibc serve blocks of 64 KiB and more with mmap, so they go back to the system when freed.
///
/// A burst of kernel events makes snapshots of thousands of addresses; by default glibc raises its
/// mmap threshold after such blocks are freed and keeps the memory in the heap, which held the
/// resident size near 10 MiB after a burst instead of 7 MiB (`cargo bench --bench appliance`).
fn return_large_blocks_to_the_system() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt takes no pointers and only changes allocator parameters under glibc's own
    // lock (mallopt(3)), so it may run at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024);
    }
}

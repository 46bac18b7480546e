//! Changing requests exercised on a temporary veth pair that the probe creates and removes.
//!
//! Only the pair is touched: addresses come from the benchmarking range 198.18.0.0/15 (RFC 2544)
//! and the IPv6 documentation prefix 2001:db8::/32 (RFC 3849), and the one route leads to
//! 203.0.113.0/24 (TEST-NET-3, RFC 5737) through the pair. The pair is removed on every way out:
//! after a failed step, on SIGINT or SIGTERM, and by a guard that sends the delete itself if the
//! future is dropped before the normal removal succeeded.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use netlink_packet_core::{NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use serde::Serialize;
use tokio::signal::unix::{SignalKind, signal};

use super::dumps::micros;
use crate::netlink::{self, Family, Netlink, Route};

const FIRST_ADDRESS: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const SECOND_ADDRESS: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
const GATEWAY: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 254);
const ROUTE_DESTINATION: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 0);
const IPV6_ADDRESS: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 1);

/// One timed request.
#[derive(Debug, Clone, Serialize)]
pub struct StepTiming {
    /// The netlink operation, named like the method that sent it.
    pub step: &'static str,
    pub object: String,
    pub duration_us: u64,
    pub error: Option<String>,
}

/// Figures of one safe-ops run.
#[derive(Debug, Clone, Serialize)]
pub struct SafeOpsReport {
    pub link: String,
    pub peer: String,
    pub steps: Vec<StepTiming>,
    /// True when SIGINT or SIGTERM cut the exercise short.
    pub interrupted: bool,
    /// True when a fresh lookup found neither end of the pair after the removal.
    pub removed: bool,
}

impl SafeOpsReport {
    pub fn passed(&self) -> bool {
        !self.interrupted && self.removed && self.steps.iter().all(|step| step.error.is_none())
    }
}

/// Returns the temporary pair's names: `rjprobe<pid>a` and `rjprobe<pid>b`.
///
/// Linux pids stay below 2^22 (PID_MAX_LIMIT on 64-bit), so the names fit in 15 bytes, and no
/// other running probe can pick the same ones.
pub fn pair_names(pid: u32) -> (String, String) {
    (format!("rjprobe{pid}a"), format!("rjprobe{pid}b"))
}

/// Creates the pair, exercises it, removes it and reports every step.
///
/// Fails before creating anything when either name already exists, because the pair would then
/// not be the probe's own.
pub async fn run(netlink: &Netlink) -> anyhow::Result<SafeOpsReport> {
    let (link, peer) = pair_names(std::process::id());
    for name in [&link, &peer] {
        match netlink.link_by_name(name).await {
            Ok(existing) => anyhow::bail!(
                "link {name} (#{}) already exists, so the probe will not use it; remove it with \
                 `ip link del {name}` if an earlier probe left it behind",
                existing.index
            ),
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(error.into()),
        }
    }

    let mut steps = Steps::default();
    let guard = PairGuard {
        link: link.clone(),
        armed: true,
    };
    let interrupted = tokio::select! {
        () = exercise(netlink, &link, &peer, &mut steps) => false,
        () = shutdown_signal() => true,
    };
    let removed = remove(netlink, &link, &peer, &mut steps, guard).await;
    Ok(SafeOpsReport {
        link,
        peer,
        steps: steps.0,
        interrupted,
        removed,
    })
}

#[derive(Default)]
struct Steps(Vec<StepTiming>);

impl Steps {
    /// Times `request`, records it and returns its value, or `None` when it failed.
    async fn run<T>(
        &mut self,
        step: &'static str,
        object: impl Into<String>,
        request: impl Future<Output = netlink::Result<T>>,
    ) -> Option<T> {
        let started = Instant::now();
        let result = request.await;
        let duration_us = micros(started.elapsed());
        let (value, error) = match result {
            Ok(value) => (Some(value), None),
            Err(error) => (None, Some(error.to_string())),
        };
        self.0.push(StepTiming {
            step,
            object: object.into(),
            duration_us,
            error,
        });
        value
    }
}

/// Runs the steps in order and stops at the first failure.
async fn exercise(netlink: &Netlink, link: &str, peer: &str, steps: &mut Steps) {
    let pair = format!("{link} peer {peer}");
    if steps
        .run("link_add_veth", &pair, netlink.link_add_veth(link, peer))
        .await
        .is_none()
    {
        return;
    }
    let Some(index) = steps
        .run("link_by_name", link, netlink.link_index(link))
        .await
    else {
        return;
    };
    let Some(peer_index) = steps
        .run("link_by_name", peer, netlink.link_index(peer))
        .await
    else {
        return;
    };
    let _ = exercise_link(netlink, index, peer_index, steps).await;
}

async fn exercise_link(
    netlink: &Netlink,
    index: u32,
    peer_index: u32,
    steps: &mut Steps,
) -> Option<()> {
    let on = |what: String| format!("{what} on #{index}");
    steps
        .run(
            "link_set_up",
            format!("#{index}"),
            netlink.link_set_up(index),
        )
        .await?;
    steps
        .run(
            "link_set_up",
            format!("#{peer_index}"),
            netlink.link_set_up(peer_index),
        )
        .await?;
    for (address, prefix_len) in [
        (IpAddr::V4(FIRST_ADDRESS), 24),
        (IpAddr::V4(SECOND_ADDRESS), 24),
        (IpAddr::V6(IPV6_ADDRESS), 64),
    ] {
        let object = on(format!("{address}/{prefix_len}"));
        steps
            .run(
                "addr_add",
                object,
                netlink.addr_add(index, address, prefix_len),
            )
            .await?;
    }

    let listed = steps
        .run(
            "addr_list",
            on("addresses".into()),
            netlink.addr_list(Some(Family::Inet)),
        )
        .await?;
    let second = listed
        .iter()
        .find(|a| a.index == index && a.local == IpAddr::V4(SECOND_ADDRESS))?;
    steps
        .run(
            "addr_del",
            on(SECOND_ADDRESS.to_string()),
            netlink.addr_del(second),
        )
        .await?;

    let route = probe_route(index);
    let object = netlink::ops::describe_route(&route);
    steps
        .run("route_add", &object, netlink.route_add(&route))
        .await?;
    steps
        .run("route_del", &object, netlink.route_del(&route))
        .await?;

    let flushed = steps
        .run(
            "addr_flush",
            on("every address".into()),
            netlink.addr_flush(index, None),
        )
        .await?;
    if let Some((address, error)) = flushed.failed.first() {
        let object = netlink::ops::describe_address(address);
        let error = Some(format!(
            "{} addresses left after the flush, first: {error}",
            flushed.failed.len()
        ));
        steps.0.push(StepTiming {
            step: "addr_flush",
            object,
            duration_us: 0,
            error,
        });
        return None;
    }
    steps
        .run(
            "link_set_down",
            format!("#{peer_index}"),
            netlink.link_set_down(peer_index),
        )
        .await?;
    steps
        .run(
            "link_set_down",
            format!("#{index}"),
            netlink.link_set_down(index),
        )
        .await
}

/// Builds `203.0.113.0/24 via 198.18.0.254 dev #index` in the main table.
fn probe_route(index: u32) -> Route {
    let destination = (IpAddr::V4(ROUTE_DESTINATION), 24);
    Route::via(Some(destination), IpAddr::V4(GATEWAY), index)
}

/// Deletes the pair if it exists and confirms that both ends are gone.
async fn remove(
    netlink: &Netlink,
    link: &str,
    peer: &str,
    steps: &mut Steps,
    mut guard: PairGuard,
) -> bool {
    match netlink.link_index(link).await {
        Ok(index) => {
            steps
                .run(
                    "link_del",
                    format!("{link} (#{index})"),
                    netlink.link_del(index),
                )
                .await;
        }
        Err(error) if error.is_not_found() => {}
        Err(error) => {
            steps.0.push(StepTiming {
                step: "link_by_name",
                object: link.to_string(),
                duration_us: 0,
                error: Some(error.to_string()),
            });
        }
    }
    let mut removed = true;
    for name in [link, peer] {
        removed &= matches!(netlink.link_by_name(name).await, Err(error) if error.is_not_found());
    }
    guard.armed = !removed;
    removed
}

async fn shutdown_signal() {
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::warn!(
            "cannot listen for SIGINT and SIGTERM; an interrupted probe may leave its veth pair behind"
        );
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
}

/// Deletes the temporary link on drop unless the normal removal confirmed it gone.
struct PairGuard {
    link: String,
    armed: bool,
}

impl Drop for PairGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        match delete_by_name_blocking(&self.link) {
            Ok(()) => {
                tracing::warn!(iface = %self.link, "temporary veth pair deleted by the guard")
            }
            Err(error) => tracing::error!(
                iface = %self.link, cause = %error,
                "cannot delete the temporary veth pair; remove it with `ip link del {}`", self.link
            ),
        }
    }
}

/// Sends RTM_DELLINK by name on a fresh blocking socket, like `ip link del NAME`.
///
/// The kernel handles a NETLINK_ROUTE request inside the sending call, so no reply is awaited.
/// This runs in `Drop`, where the async connection cannot be used.
fn delete_by_name_blocking(name: &str) -> std::io::Result<()> {
    let mut socket = netlink_sys::Socket::new(netlink_sys::protocols::NETLINK_ROUTE)?;
    socket.bind_auto()?;
    let mut request = LinkMessage::default();
    request
        .attributes
        .push(LinkAttribute::IfName(name.to_string()));
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST;
    let payload = NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(request));
    let mut message = NetlinkMessage::new(header, payload);
    message.finalize();
    let mut buffer = vec![0; message.buffer_len()];
    message.serialize(&mut buffer);
    socket.send(&buffer, 0)?;
    Ok(())
}

//! Static addressing for the uplink: the addresses and default gateways configured for it.
//!
//! Isolation leaves the uplink's own addresses and routes alone, except that a configured
//! address or gateway must be present. A missing one is a shortfall the engine corrects by
//! adding it, after the uplink is up. Gateways go into the main table, with the kernel's default
//! metric (0 for IPv4, 1024 for IPv6). Another default of the uplink with that same metric is
//! deleted first, because the kernel would reject the add with EEXIST.

use std::net::IpAddr;

use super::violation::Violation;
use crate::netlink::ops::IPV6_DEFAULT_METRIC;
use crate::netlink::types::table;
use crate::netlink::{Family, Link, Route, Snapshot};

/// Addresses and default gateways configured for one uplink (`[uplink.<name>]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaticUplink {
    /// Each address with its prefix length.
    pub addresses: Vec<(IpAddr, u8)>,
    pub gateways: Vec<IpAddr>,
}

/// Lists the configured addresses and gateways that `uplink` lacks in `snapshot`.
pub fn static_shortfalls(
    uplink: &Link,
    config: &StaticUplink,
    snapshot: &Snapshot,
) -> Vec<Violation> {
    let mut found = Vec::new();
    for &(address, prefix_len) in &config.addresses {
        let present = snapshot.addresses.iter().any(|held| {
            held.index == uplink.index && held.local == address && held.prefix_len == prefix_len
        });
        if !present {
            found.push(Violation::StaticAddressMissing {
                index: uplink.index,
                name: uplink.name.clone(),
                address,
                prefix_len,
            });
        }
    }
    for &gateway in &config.gateways {
        let present = snapshot.routes.iter().any(|route| {
            route.is_default()
                && route.table == table::MAIN
                && route.gateway == Some(gateway)
                && route.uses_link(uplink.index)
        });
        if present {
            continue;
        }
        let wanted = Route::via(None, gateway, uplink.index);
        // A default with the same metric, through any gateway, makes the add fail with EEXIST
        // (a DHCP client's, say): the configuration wins, so that route goes first.
        for route in &snapshot.routes {
            let clashes = route.is_default()
                && route.table == table::MAIN
                && route.family == wanted.family
                && route.metric() == kernel_metric(&wanted)
                && route.uses_link(uplink.index);
            if clashes {
                found.push(Violation::StaticGatewayConflict {
                    index: uplink.index,
                    name: uplink.name.clone(),
                    route: route.clone(),
                    gateway,
                });
            }
        }
        found.push(Violation::StaticGatewayMissing {
            index: uplink.index,
            name: uplink.name.clone(),
            route: wanted,
        });
    }
    found
}

/// Returns the metric the kernel gives `route`: IPv6 routes without one get 1024.
fn kernel_metric(route: &Route) -> u32 {
    match (route.priority, route.family) {
        (Some(metric), _) => metric,
        (None, Family::Inet) => 0,
        (None, Family::Inet6) => IPV6_DEFAULT_METRIC,
    }
}

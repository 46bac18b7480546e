//! The simulated uplinks: one device namespace where the appliance runs, and per uplink a veth
//! pair whose other end sits in a gateway namespace of its own.

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;

use anyhow::{Context as _, bail};
use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo, LinkMessage,
};

use super::netns::{self, Entered, Namespaces};
use crate::netlink::ops::DefaultRoute;
use crate::netlink::types::table;
use crate::netlink::{Netlink, NetlinkOptions};

/// Name of each veth end inside a gateway namespace.
pub const GATEWAY_END: &str = "gw0";

/// One simulated uplink: documentation prefixes (RFC 5737 and RFC 3849), gateway `.1`/`::1`,
/// device `.2`/`::2`, and the default route metric of the device side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uplink {
    pub name: String,
    pub ipv4_net: [u8; 3],
    pub ipv6_subnet: u16,
    pub metric: Option<u32>,
}

impl Uplink {
    /// Returns the address of the gateway (`host` 1) or the device (`host` 2) in both families.
    pub fn addresses(&self, host: u8) -> [(IpAddr, u8); 2] {
        let [a, b, c] = self.ipv4_net;
        let ipv4 = Ipv4Addr::new(a, b, c, host);
        let ipv6 = Ipv6Addr::new(0x2001, 0xdb8, self.ipv6_subnet, 0, 0, 0, 0, host.into());
        [(ipv4.into(), 24), (ipv6.into(), 64)]
    }
}

/// Lists the three uplinks every demo starts with: Ethernet preferred, then Wi-Fi, then USB gadget.
pub fn standard_uplinks() -> Vec<Uplink> {
    vec![
        Uplink {
            name: "eth0".into(),
            ipv4_net: [192, 0, 2],
            ipv6_subnet: 1,
            metric: Some(100),
        },
        Uplink {
            name: "wlan0".into(),
            ipv4_net: [198, 51, 100],
            ipv6_subnet: 2,
            metric: Some(600),
        },
        Uplink {
            name: "usb0".into(),
            ipv4_net: [203, 0, 113],
            ipv6_subnet: 3,
            metric: Some(700),
        },
    ]
}

/// Returns the uplink a `hotplug` step adds as the `number`th hot-plugged interface (from 1):
/// 198.18.N.0/24 from the benchmarking range (RFC 2544) and 2001:db8:1N::/64, without a default
/// route, as a freshly plugged adapter before DHCP has run.
pub fn hotplug_uplink(name: &str, number: u8) -> Uplink {
    Uplink {
        name: name.to_string(),
        ipv4_net: [198, 18, number],
        ipv6_subnet: 0x10 + u16::from(number),
        metric: None,
    }
}

/// The running topology: its namespaces and a netlink connection inside the device namespace.
pub struct Lab {
    pub prefix: String,
    pub device: Netlink,
    /// Declared after `device` so the namespaces are removed once every socket in them is closed.
    pub namespaces: Namespaces,
    hotplugged: u8,
}

impl Lab {
    /// Builds the device namespace with the standard uplinks; `prefix` is `rjdemo-<pid>`.
    pub async fn build(prefix: &str) -> anyhow::Result<Lab> {
        let mut namespaces = Namespaces::new();
        let device_ns = format!("{prefix}-dev");
        namespaces
            .add(&device_ns)
            .with_context(|| format!("cannot create network namespace {device_ns}"))?;
        let device = connect_in(&device_ns)?;
        require_links(&device, &["lo"]).await?;
        let mut lab = Lab {
            prefix: prefix.to_string(),
            device,
            namespaces,
            hotplugged: 0,
        };
        lab.set_up_loopback().await?;
        for uplink in standard_uplinks() {
            lab.add_uplink(&uplink).await?;
        }
        Ok(lab)
    }

    /// Returns the name of the namespace the appliance runs in.
    pub fn device_ns(&self) -> String {
        format!("{}-dev", self.prefix)
    }

    /// Adds a veth named `name` to the device namespace, up and addressed, as a new adapter.
    pub async fn hotplug(&mut self, name: &str) -> anyhow::Result<()> {
        self.hotplugged = self
            .hotplugged
            .checked_add(1)
            .context("too many hot-plugged interfaces")?;
        let uplink = hotplug_uplink(name, self.hotplugged);
        self.add_uplink(&uplink).await
    }

    async fn set_up_loopback(&self) -> anyhow::Result<()> {
        let index = self.device.link_index("lo").await?;
        self.device.link_set_up(index).await?;
        Ok(())
    }

    /// Creates the gateway namespace of `uplink`, the veth pair, both sides' addresses and the
    /// device side's default routes.
    async fn add_uplink(&mut self, uplink: &Uplink) -> anyhow::Result<()> {
        let gateway_ns = format!("{}-gw-{}", self.prefix, uplink.name);
        self.namespaces
            .add(&gateway_ns)
            .with_context(|| format!("cannot create network namespace {gateway_ns}"))?;
        let gateway = connect_in(&gateway_ns)?;
        let gateway_file = File::open(netns::path(&gateway_ns))?;
        veth_add(&self.device, &uplink.name, GATEWAY_END, &gateway_file)
            .await
            .with_context(|| {
                format!("cannot create veth {} in {}", uplink.name, self.device_ns())
            })?;

        configure_end(&gateway, GATEWAY_END, &uplink.addresses(1)).await?;
        configure_end(&self.device, &uplink.name, &uplink.addresses(2)).await?;
        if let Some(metric) = uplink.metric {
            let index = self.device.link_index(&uplink.name).await?;
            for (gateway_address, _) in uplink.addresses(1) {
                let route = DefaultRoute {
                    oif: Some(index),
                    metric: Some(metric),
                    table: table::MAIN,
                    ..DefaultRoute::via(gateway_address)
                };
                self.device.route_default_add(&route).await?;
            }
        }
        tracing::info!(iface = %uplink.name, netns = %gateway_ns, "simulated uplink ready");
        Ok(())
    }
}

/// Opens a netlink connection whose socket lives in the named namespace, after switching off
/// IPv6 duplicate address detection there so that addresses are usable at once.
pub fn connect_in(name: &str) -> anyhow::Result<Netlink> {
    let _entered =
        Entered::enter(name).with_context(|| format!("cannot enter network namespace {name}"))?;
    // /proc/sys/net belongs to the namespace of the thread that opens the file.
    for key in ["all", "default"] {
        let path = format!("/proc/sys/net/ipv6/conf/{key}/accept_dad");
        std::fs::write(&path, "0").with_context(|| format!("cannot write {path}"))?;
    }
    Ok(Netlink::connect(NetlinkOptions::default())?)
}

/// Fails unless the namespace behind `netlink` contains exactly the links in `expected`.
pub async fn require_links(netlink: &Netlink, expected: &[&str]) -> anyhow::Result<()> {
    let mut names: Vec<String> = netlink
        .link_list()
        .await?
        .into_iter()
        .map(|link| link.name)
        .collect();
    names.sort();
    let mut wanted: Vec<&str> = expected.to_vec();
    wanted.sort();
    if names != wanted {
        bail!(
            "the demo namespace contains links {names:?}, expected {wanted:?}; the demo stops before the appliance starts"
        );
    }
    Ok(())
}

/// Creates a veth pair, like `ip link add NAME type veth peer name PEER netns NS`: `name` in
/// the namespace of `netlink`, `peer` directly in the namespace behind `peer_netns`.
async fn veth_add(
    netlink: &Netlink,
    name: &str,
    peer: &str,
    peer_netns: &File,
) -> crate::netlink::Result<()> {
    let mut peer_message = LinkMessage::default();
    peer_message
        .attributes
        .push(LinkAttribute::IfName(peer.to_string()));
    peer_message
        .attributes
        .push(LinkAttribute::NetNsFd(peer_netns.as_raw_fd()));
    let mut message = LinkMessage::default();
    message
        .attributes
        .push(LinkAttribute::IfName(name.to_string()));
    message.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Veth),
        LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_message))),
    ]));
    let request = RouteNetlinkMessage::NewLink(message);
    netlink
        .change("veth_add", name, NLM_F_CREATE | NLM_F_EXCL, request)
        .await
}

/// Adds the addresses to link `name` and sets it up.
async fn configure_end(
    netlink: &Netlink,
    name: &str,
    addresses: &[(IpAddr, u8)],
) -> anyhow::Result<()> {
    let index = netlink.link_index(name).await?;
    for (address, prefix_len) in addresses {
        netlink.addr_add(index, *address, *prefix_len).await?;
    }
    netlink.link_set_up(index).await?;
    Ok(())
}

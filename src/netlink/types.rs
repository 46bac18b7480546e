//! Plain values for links, addresses and routes as the kernel reports them.
//!
//! These carry no socket and no parser state, so the isolation engine, the UI model and the tests
//! can build them by hand.

use std::fmt;
use std::net::IpAddr;

/// Address family of an address or route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Inet,
    Inet6,
}

impl Family {
    /// Returns the family of `addr`.
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Inet,
            IpAddr::V6(_) => Family::Inet6,
        }
    }

    /// Returns the largest prefix length the family allows (32 or 128).
    pub fn max_prefix_len(self) -> u8 {
        match self {
            Family::Inet => 32,
            Family::Inet6 => 128,
        }
    }

    /// Returns the name `ip` uses for the family.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Inet6 => "inet6",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Operational state from IFLA_OPERSTATE (RFC 2863 names, as in `ip link`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperState {
    Unknown,
    NotPresent,
    Down,
    LowerLayerDown,
    Testing,
    Dormant,
    Up,
}

impl OperState {
    /// Returns the lower-case name used in `status --json`.
    pub fn as_str(self) -> &'static str {
        match self {
            OperState::Unknown => "unknown",
            OperState::NotPresent => "notpresent",
            OperState::Down => "down",
            OperState::LowerLayerDown => "lowerlayerdown",
            OperState::Testing => "testing",
            OperState::Dormant => "dormant",
            OperState::Up => "up",
        }
    }
}

/// A hardware address as the kernel reports it in IFLA_ADDRESS (six octets for Ethernet and Wi-Fi).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HwAddr(pub Vec<u8>);

impl fmt::Display for HwAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, octet) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{octet:02x}")?;
        }
        Ok(())
    }
}

/// One network interface from an RTM_NEWLINK message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    /// IFF_UP: the administrative state, the only flag that decides "isolated" or not.
    pub admin_up: bool,
    /// IFF_LOWER_UP: the driver reports the physical layer up.
    pub lower_up: bool,
    pub oper_state: OperState,
    /// IFLA_CARRIER, absent on old kernels. An admin-down ifb still reports carrier on.
    pub carrier: Option<bool>,
    /// IFLA_ADDRESS; `None` for L3 devices such as tun that have no hardware address.
    pub mac: Option<HwAddr>,
    pub mtu: Option<u32>,
    /// IFLA_INFO_KIND (`veth`, `bridge`, `tun`, ...); `None` for plain hardware devices.
    pub kind: Option<String>,
    /// ARPHRD_* link type from the message header (1 Ethernet, 65534 none, 772 loopback).
    pub link_type: u16,
    /// True when the device reports wireless attributes (IFLA_WIRELESS seen or a `wlan` name).
    pub wireless: bool,
}

impl Link {
    /// Returns true when the uplink can carry traffic: operstate up, or unknown with lower up.
    ///
    /// IFF_UP alone is not enough: a veth with its peer down is admin up and LOWERLAYERDOWN.
    pub fn is_running(&self) -> bool {
        match self.oper_state {
            OperState::Up => true,
            OperState::Unknown => self.lower_up,
            _ => false,
        }
    }

    /// Returns true for the loopback device.
    pub fn is_loopback(&self) -> bool {
        self.link_type == 772
    }
}

/// IFA_F_* address flags (linux/if_addr.h), stored as the 32-bit IFA_FLAGS value.
pub mod addr_flags {
    pub const SECONDARY: u32 = 0x01;
    pub const NODAD: u32 = 0x02;
    pub const OPTIMISTIC: u32 = 0x04;
    pub const DADFAILED: u32 = 0x08;
    pub const HOMEADDRESS: u32 = 0x10;
    pub const DEPRECATED: u32 = 0x20;
    pub const TENTATIVE: u32 = 0x40;
    pub const PERMANENT: u32 = 0x80;
    pub const MANAGETEMPADDR: u32 = 0x100;
    pub const NOPREFIXROUTE: u32 = 0x200;
    pub const MCAUTOJOIN: u32 = 0x400;
    pub const STABLE_PRIVACY: u32 = 0x800;

    /// Flag names in the spelling `ip -j addr` uses, lowest bit first.
    pub const NAMES: [(u32, &str); 12] = [
        (SECONDARY, "secondary"),
        (NODAD, "nodad"),
        (OPTIMISTIC, "optimistic"),
        (DADFAILED, "dadfailed"),
        (HOMEADDRESS, "home"),
        (DEPRECATED, "deprecated"),
        (TENTATIVE, "tentative"),
        (PERMANENT, "permanent"),
        (MANAGETEMPADDR, "mngtmpaddr"),
        (NOPREFIXROUTE, "noprefixroute"),
        (MCAUTOJOIN, "autojoin"),
        (STABLE_PRIVACY, "stable-privacy"),
    ];
}

/// One address from an RTM_NEWADDR message.
///
/// `local` and `peer` are what an operator reads; `wire_local` and `wire_address` are the raw
/// IFA_LOCAL and IFA_ADDRESS attributes, sent back unchanged on delete so that every listed address
/// can be deleted (a point-to-point address only matches with its peer in IFA_ADDRESS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub index: u32,
    pub family: Family,
    /// The interface's own address: IFA_LOCAL when present, else IFA_ADDRESS.
    pub local: IpAddr,
    /// The remote end of a point-to-point address: IFA_ADDRESS when it differs from IFA_LOCAL.
    pub peer: Option<IpAddr>,
    pub prefix_len: u8,
    /// RT_SCOPE_* value (0 global, 253 link, 254 host).
    pub scope: u8,
    /// Full 32-bit flags: IFA_FLAGS when present, else the 8-bit header field.
    pub flags: u32,
    pub wire_local: Option<IpAddr>,
    pub wire_address: Option<IpAddr>,
}

impl Address {
    /// Returns true when the address can be used: DAD is neither running nor failed.
    pub fn is_usable(&self) -> bool {
        self.flags & (addr_flags::TENTATIVE | addr_flags::DADFAILED) == 0
    }

    /// Returns the flag names in `ip -j addr` spelling.
    pub fn flag_names(&self) -> Vec<&'static str> {
        addr_flags::NAMES
            .iter()
            .filter(|(bit, _)| self.flags & bit != 0)
            .map(|(_, name)| *name)
            .collect()
    }
}

/// Routing table ids (linux/rtnetlink.h).
pub mod table {
    pub const UNSPEC: u32 = 0;
    /// The one-byte header value used when the real id only fits in RTA_TABLE.
    pub const COMPAT: u32 = 252;
    pub const DEFAULT: u32 = 253;
    pub const MAIN: u32 = 254;
    pub const LOCAL: u32 = 255;
}

/// RTN_* route types (linux/rtnetlink.h).
pub mod route_type {
    pub const UNICAST: u8 = 1;
    pub const LOCAL: u8 = 2;
    pub const BROADCAST: u8 = 3;
    pub const ANYCAST: u8 = 4;
    pub const MULTICAST: u8 = 5;
    pub const BLACKHOLE: u8 = 6;
    pub const UNREACHABLE: u8 = 7;
    pub const PROHIBIT: u8 = 8;
}

/// One path of a multipath route (RTA_MULTIPATH).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nexthop {
    pub gateway: Option<IpAddr>,
    pub oif: u32,
    /// rtnh_hops + 1, as `ip route` prints it.
    pub weight: u16,
}

/// One route from an RTM_NEWROUTE message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub family: Family,
    /// RTA_TABLE when present, else the header byte.
    pub table: u32,
    /// RTA_DST; `None` means the whole family (0.0.0.0/0 or ::/0).
    pub destination: Option<IpAddr>,
    pub dst_len: u8,
    pub gateway: Option<IpAddr>,
    /// RTA_OIF; `None` for blackhole-like routes and for multipath routes.
    pub oif: Option<u32>,
    /// RTA_PRIORITY; `None` when absent, which IPv4 stores as metric 0.
    pub priority: Option<u32>,
    /// RTPROT_* value (2 kernel, 3 boot, 4 static, 9 ra, 16 dhcp).
    pub protocol: u8,
    /// RT_SCOPE_* value; a device-only default has scope link (253).
    pub scope: u8,
    /// RTN_* route type.
    pub kind: u8,
    pub tos: u8,
    pub pref_source: Option<IpAddr>,
    /// Paths of a multipath route; empty for a single-path route.
    pub nexthops: Vec<Nexthop>,
}

/// RTPROT_STATIC (linux/rtnetlink.h): a route added by an administrator or on their behalf.
pub const PROTOCOL_STATIC: u8 = 4;

impl Route {
    /// Builds a unicast route in the main table through `gateway` out of `oif`, as
    /// `ip route add` makes it (protocol static, no metric); no `destination` is the default.
    pub fn via(destination: Option<(IpAddr, u8)>, gateway: IpAddr, oif: u32) -> Route {
        Route {
            family: Family::of(&gateway),
            table: table::MAIN,
            destination: destination.map(|(address, _)| address),
            dst_len: destination.map_or(0, |(_, len)| len),
            gateway: Some(gateway),
            oif: Some(oif),
            priority: None,
            protocol: PROTOCOL_STATIC,
            scope: 0,
            kind: route_type::UNICAST,
            tos: 0,
            pref_source: None,
            nexthops: Vec::new(),
        }
    }

    /// Returns true for a default route (prefix length 0) of either family.
    pub fn is_default(&self) -> bool {
        self.dst_len == 0
    }

    /// Returns the metric as the kernel applies it: absent means 0.
    pub fn metric(&self) -> u32 {
        self.priority.unwrap_or(0)
    }

    /// Returns true when the route leaves through `index`, directly or by one of its nexthops.
    pub fn uses_link(&self, index: u32) -> bool {
        self.oif == Some(index) || self.nexthops.iter().any(|hop| hop.oif == index)
    }

    /// Returns every output interface the route names.
    pub fn output_links(&self) -> impl Iterator<Item = u32> + '_ {
        self.oif
            .into_iter()
            .chain(self.nexthops.iter().map(|hop| hop.oif))
    }
}

/// RTPROT_* protocol names in `ip route` spelling; unknown values print as numbers.
pub fn protocol_name(protocol: u8) -> String {
    let name = match protocol {
        0 => "unspec",
        1 => "redirect",
        2 => "kernel",
        3 => "boot",
        4 => "static",
        8 => "gated",
        9 => "ra",
        10 => "mrt",
        11 => "zebra",
        12 => "bird",
        13 => "dnrouted",
        14 => "xorp",
        15 => "ntk",
        16 => "dhcp",
        42 => "babel",
        186 => "bgp",
        187 => "isis",
        188 => "ospf",
        189 => "rip",
        192 => "eigrp",
        _ => return protocol.to_string(),
    };
    name.to_string()
}

/// RT_SCOPE_* names in `ip` spelling; unknown values print as numbers.
pub fn scope_name(scope: u8) -> String {
    let name = match scope {
        0 => "global",
        200 => "site",
        253 => "link",
        254 => "host",
        255 => "nowhere",
        _ => return scope.to_string(),
    };
    name.to_string()
}

/// Links, addresses and routes read at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub links: Vec<Link>,
    pub addresses: Vec<Address>,
    pub routes: Vec<Route>,
}

impl Snapshot {
    /// Returns the link with `index`, if the snapshot contains it.
    pub fn link(&self, index: u32) -> Option<&Link> {
        self.links.iter().find(|link| link.index == index)
    }

    /// Returns the link called `name`, if the snapshot contains it.
    pub fn link_by_name(&self, name: &str) -> Option<&Link> {
        self.links.iter().find(|link| link.name == name)
    }

    /// Returns the name of `index`, or `#index` for a link the snapshot does not hold.
    pub fn link_name(&self, index: u32) -> String {
        self.link(index)
            .map(|link| link.name.clone())
            .unwrap_or_else(|| format!("#{index}"))
    }
}

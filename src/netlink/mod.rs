//! The netlink layer: links, addresses and routes over one shared NETLINK_ROUTE connection.
//!
//! Requests go through rtnetlink's connection (`rtnetlink::new_connection`), with messages built and
//! parsed by netlink-packet-route. rtnetlink falls short of what an appliance needs in several
//! places, and `conn` closes those gaps in a thin layer of its own:
//!
//! - every request has a deadline and fails with a timeout that names the operation;
//! - a changing request always carries NLM_F_ACK, and a connection that ends before the ACK is an
//!   error, never success (rtnetlink treats an ended stream as done);
//! - a dump ends only at NLMSG_DONE, and a dump flagged NLM_F_DUMP_INTR is retried, then reported
//!   as inconsistent instead of being returned as complete;
//! - errno values are turned positive once and kept together with the kernel's extended-ack text;
//! - EINTR, EAGAIN and EBUSY are retried a bounded number of times.
//!
//! Kernel events arrive on a second socket, owned by `monitor`, which reports receive-buffer
//! overruns (ENOBUFS) as an event of their own so that callers can resynchronise.
//!
//! The [`Kernel`] trait lists the operations the isolation engine's executor needs, so that the
//! engine can be tested against an in-memory fake.

pub mod codec;
pub mod conn;
pub mod error;
pub mod monitor;
pub mod names;
pub mod ops;
pub mod parse;
pub mod types;

use std::net::IpAddr;

pub use conn::{Netlink, NetlinkOptions};
pub use error::{Error, ErrorKind, Result};
pub use types::{Address, Family, HwAddr, Link, Nexthop, OperState, Route, Snapshot};

/// Kernel operations on links, addresses and routes, by interface index.
#[allow(async_fn_in_trait)]
pub trait Kernel {
    /// Lists every link, like `ip link show`.
    async fn link_list(&self) -> Result<Vec<Link>>;

    /// Sets a link administratively up, like `ip link set dev X up`.
    async fn link_set_up(&self, index: u32) -> Result<()>;

    /// Sets a link administratively down, like `ip link set dev X down`.
    async fn link_set_down(&self, index: u32) -> Result<()>;

    /// Lists addresses of one family or of both, like `ip addr show`.
    async fn addr_list(&self, family: Option<Family>) -> Result<Vec<Address>>;

    /// Adds an address, like `ip addr add ADDR/LEN dev X`.
    async fn addr_add(&self, index: u32, address: IpAddr, prefix_len: u8) -> Result<()>;

    /// Deletes exactly the listed address (local, peer and prefix length), like `ip addr del`.
    async fn addr_del(&self, address: &Address) -> Result<()>;

    /// Lists routes of every table and both families, like `ip route show table all`.
    async fn route_list(&self) -> Result<Vec<Route>>;

    /// Adds a route, like `ip route add`; fails with EEXIST when an equal route is there.
    async fn route_add(&self, route: &Route) -> Result<()>;

    /// Deletes exactly the listed route (table, destination, metric, output and gateway), like
    /// `ip route del`.
    async fn route_del(&self, route: &Route) -> Result<()>;

    /// Reads links, addresses and routes: three dumps, whatever the number of interfaces.
    async fn snapshot(&self) -> Result<Snapshot> {
        Ok(Snapshot {
            links: self.link_list().await?,
            addresses: self.addr_list(None).await?,
            routes: self.route_list().await?,
        })
    }

    /// Reads a snapshot that contains the routes `wanted` accepts plus the first `spare` of the
    /// others, so that a full routing table is not kept when only some routes matter.
    async fn snapshot_filtered(
        &self,
        wanted: &dyn Fn(&Route) -> bool,
        spare: usize,
    ) -> Result<Snapshot> {
        let mut snapshot = self.snapshot().await?;
        let mut others = 0;
        snapshot.routes.retain(|route| {
            let keep = wanted(route) || others < spare;
            others += usize::from(!wanted(route) && keep);
            keep
        });
        Ok(snapshot)
    }
}

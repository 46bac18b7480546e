//! Kernel events on a socket of their own: links, IPv4 and IPv6 addresses and routes.
//!
//! netlink drops notifications when the receive buffer is full and reports that once as ENOBUFS
//! on the next read (netlink(7)). The monitor turns that into [`Event::Overrun`] and keeps the
//! socket open, so the caller can dump everything again; NETLINK_NO_ENOBUFS is left off on purpose.
//! A datagram larger than the read buffer is never parsed half: it is reported as
//! [`Event::Overrun`] too (the data is lost) and the buffer grows for the next read.

use std::io;

use netlink_packet_core::{NetlinkBuffer, NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::codec::decode_repaired;
use super::error::{Error, ErrorKind, Result, errno};
use super::parse;
use super::types::{Address, Link, Route};

/// Multicast groups (linux/rtnetlink.h, enum rtnetlink_groups).
const RTNLGRP_LINK: u32 = 1;
const RTNLGRP_IPV4_IFADDR: u32 = 5;
const RTNLGRP_IPV4_ROUTE: u32 = 7;
const RTNLGRP_IPV6_IFADDR: u32 = 9;
const RTNLGRP_IPV6_ROUTE: u32 = 11;

/// Read buffer size; the kernel builds notifications of at most a page or two, and dumps of at
/// most 32 KiB per datagram since Linux 4.9.
const READ_BUFFER: usize = 64 * 1024;

/// One change reported by the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    LinkNew(Link),
    LinkDel(Link),
    AddressNew(Address),
    AddressDel(Address),
    RouteNew(Route),
    RouteDel(Route),
    /// Notifications were lost (ENOBUFS or a truncated datagram): resynchronise from dumps.
    Overrun,
}

/// The event socket.
pub struct Monitor {
    socket: AsyncFd<Socket>,
    buffer: Vec<u8>,
    receive_buffer: usize,
}

impl Monitor {
    /// Opens the socket, joins the link, address and route groups of both families, and requests
    /// a receive buffer of `receive_buffer` bytes.
    ///
    /// The kernel doubles the request and caps it at net.core.rmem_max; the size it grants is
    /// logged and available from [`Monitor::receive_buffer`].
    pub fn open(receive_buffer: usize) -> Result<Monitor> {
        let io_error =
            |error: io::Error| Error::new("monitor_open", "NETLINK_ROUTE", ErrorKind::Io(error));
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(io_error)?;
        socket.bind(&SocketAddr::new(0, 0)).map_err(io_error)?;
        for group in [
            RTNLGRP_LINK,
            RTNLGRP_IPV4_IFADDR,
            RTNLGRP_IPV4_ROUTE,
            RTNLGRP_IPV6_IFADDR,
            RTNLGRP_IPV6_ROUTE,
        ] {
            socket.add_membership(group).map_err(io_error)?;
        }
        socket.set_rx_buf_sz(receive_buffer).map_err(io_error)?;
        let granted = socket.get_rx_buf_sz().map_err(io_error)?;
        socket.set_non_blocking(true).map_err(io_error)?;
        // SAFETY: the AsyncFd takes ownership of the socket, so the descriptor stays open and
        // registered only here for as long as the AsyncFd lives.
        let socket = unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE) }
            .map_err(|error| io_error(error.into_parts().1))?;
        tracing::info!(
            requested = receive_buffer,
            granted,
            "kernel monitor listening"
        );
        Ok(Monitor {
            socket,
            buffer: Vec::with_capacity(READ_BUFFER),
            receive_buffer: granted,
        })
    }

    /// Returns the receive buffer size the kernel granted.
    pub fn receive_buffer(&self) -> usize {
        self.receive_buffer
    }

    /// Waits for the next datagram and returns its events (one datagram may hold several).
    pub async fn next(&mut self) -> Result<Vec<Event>> {
        loop {
            let mut ready = self.socket.readable().await.map_err(|error| {
                Error::new("monitor_read", "NETLINK_ROUTE", ErrorKind::Io(error))
            })?;
            let read = ready.try_io(|socket| read_datagram(socket.get_ref(), &mut self.buffer));
            if let Ok(read) = read {
                return self.finish_read(read);
            }
        }
    }

    /// Returns the events of a datagram that is already waiting, without blocking.
    pub fn try_next(&mut self) -> Result<Option<Vec<Event>>> {
        match read_datagram(self.socket.get_ref(), &mut self.buffer) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(None),
            other => self.finish_read(other).map(Some),
        }
    }

    fn finish_read(&mut self, read: io::Result<usize>) -> Result<Vec<Event>> {
        match read {
            Ok(size) if size > self.buffer.len() => {
                tracing::warn!(
                    size,
                    buffer = self.buffer.len(),
                    "notification truncated; resynchronising"
                );
                self.buffer.reserve(size);
                Ok(vec![Event::Overrun])
            }
            Ok(_) => Ok(decode_datagram(&self.buffer)),
            Err(error) if error.raw_os_error() == Some(errno::ENOBUFS) => {
                tracing::warn!("kernel monitor overrun (ENOBUFS); resynchronising");
                Ok(vec![Event::Overrun])
            }
            Err(error) => Err(Error::new(
                "monitor_read",
                "NETLINK_ROUTE",
                ErrorKind::Io(error),
            )),
        }
    }
}

/// Reads one datagram into `buffer`; MSG_TRUNC makes the result the datagram's real size.
fn read_datagram(socket: &Socket, buffer: &mut Vec<u8>) -> io::Result<usize> {
    let capacity = buffer.capacity().max(READ_BUFFER);
    buffer.clear();
    buffer.reserve(capacity);
    socket.recv(buffer, libc::MSG_TRUNC)
}

/// Splits a datagram into netlink messages and converts each; an undecodable message makes the
/// whole view suspect, so it becomes [`Event::Overrun`].
pub fn decode_datagram(datagram: &[u8]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut offset = 0;
    while offset < datagram.len() {
        let rest = &datagram[offset..];
        let length = match NetlinkBuffer::new_checked(rest) {
            Ok(buffer) => buffer.length() as usize,
            Err(_) => {
                events.push(Event::Overrun);
                break;
            }
        };
        let mut message = rest[..length].to_vec();
        match decode_repaired::<RouteNetlinkMessage>(&mut message) {
            Ok(message) => events.extend(event(message)),
            Err(error) => {
                tracing::warn!(%error, "undecodable notification; resynchronising");
                events.push(Event::Overrun);
            }
        }
        offset += (length + 3) & !3;
    }
    events
}

fn event(message: NetlinkMessage<RouteNetlinkMessage>) -> Option<Event> {
    let NetlinkPayload::InnerMessage(inner) = message.payload else {
        return None;
    };
    match inner {
        RouteNetlinkMessage::NewLink(link) => Some(Event::LinkNew(parse::link(&link))),
        RouteNetlinkMessage::DelLink(link) => Some(Event::LinkDel(parse::link(&link))),
        RouteNetlinkMessage::NewAddress(address) => parse::address(&address).map(Event::AddressNew),
        RouteNetlinkMessage::DelAddress(address) => parse::address(&address).map(Event::AddressDel),
        RouteNetlinkMessage::NewRoute(route) => parse::route(&route).map(Event::RouteNew),
        RouteNetlinkMessage::DelRoute(route) => parse::route(&route).map(Event::RouteDel),
        _ => None,
    }
}

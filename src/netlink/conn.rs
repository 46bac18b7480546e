//! The shared request connection and the guarantees rtnetlink leaves out.
//!
//! rtnetlink 0.24 (with netlink-proto 0.14) ends a response stream in the same way whether the
//! kernel acknowledged the request, finished a dump, or the connection died, so a caller cannot
//! tell success from loss. It also has no deadlines and passes NLM_F_DUMP_INTR through unchecked.
//! This module keeps rtnetlink's connection machinery (`rtnetlink::proto`, netlink-proto) but
//! drives each exchange itself:
//!
//! - replies are decoded by [`RepairingCodec`], which repairs non-UTF-8 names instead of dropping
//!   the message, so a link with an odd name is never missing from a dump;
//! - the connection forwards ACKs and NLMSG_DONE, so a stream that ends without either is
//!   [`ErrorKind::Closed`], and the connection is replaced for the next request;
//! - each exchange has a deadline that restarts with every message received, so a long dump that
//!   keeps streaming is not cut, while a silent kernel ends in [`ErrorKind::Timeout`]. After a
//!   timeout the connection is dropped and replaced, which is the only way to free the request's
//!   slot in netlink-proto's table of pending requests;
//! - a dump whose messages carry NLM_F_DUMP_INTR is repeated a bounded number of times and then
//!   reported as [`ErrorKind::DumpInconsistent`];
//! - EINTR, EAGAIN and EBUSY are retried a bounded number of times with a short backoff;
//! - the kernel's negative error code becomes a positive errno here and only here, together with
//!   the extended-ack text (NETLINK_EXT_ACK, netlink(7)).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use futures::StreamExt;
use netlink_packet_core::{
    NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST,
    NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use rtnetlink::sys::protocols::NETLINK_ROUTE;
use rtnetlink::sys::{SocketAddr, TokioSocket};
use tokio::task::AbortHandle;

use super::codec::RepairingCodec;

use super::error::{Error, ErrorKind, Result, errno};

/// Settings of the request connection.
#[derive(Debug, Clone)]
pub struct NetlinkOptions {
    /// Maximum wait for the next reply message of one request.
    pub timeout: Duration,
    /// Extra attempts after EINTR, EAGAIN or EBUSY.
    pub transient_retries: u32,
    /// Attempts at a dump before it is reported as inconsistent.
    pub dump_attempts: u32,
}

impl Default for NetlinkOptions {
    fn default() -> Self {
        NetlinkOptions {
            timeout: Duration::from_secs(2),
            transient_retries: 3,
            dump_attempts: 5,
        }
    }
}

/// One item a dump passes to its caller.
pub(crate) enum DumpEvent {
    /// A new attempt starts: drop what earlier attempts delivered.
    Restart,
    Message(RouteNetlinkMessage),
}

/// The outcome of a request that ended well.
enum Reply {
    Acked,
    DumpDone { interrupted: bool },
}

type Handle = rtnetlink::proto::ConnectionHandle<RouteNetlinkMessage>;

struct Connection {
    handle: Handle,
    task: AbortHandle,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Shared {
    options: NetlinkOptions,
    timeout: Cell<Duration>,
    connection: RefCell<Option<Connection>>,
    requests: Cell<u64>,
}

/// The one shared request connection; cheap to clone, used from the current-thread runtime.
#[derive(Clone)]
pub struct Netlink {
    shared: Rc<Shared>,
}

impl Netlink {
    /// Opens the connection on the current tokio runtime.
    pub fn connect(options: NetlinkOptions) -> Result<Netlink> {
        let connection = open_connection()?;
        Ok(Netlink {
            shared: Rc::new(Shared {
                timeout: Cell::new(options.timeout),
                options,
                connection: RefCell::new(Some(connection)),
                requests: Cell::new(0),
            }),
        })
    }

    /// Returns the number of requests sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.shared.requests.get()
    }

    /// Changes the reply deadline for the requests that follow.
    pub fn set_timeout(&self, timeout: Duration) {
        self.shared.timeout.set(timeout);
    }

    /// Sends a change request with NLM_F_ACK and waits for the acknowledgement.
    pub(crate) async fn change(
        &self,
        op: &'static str,
        object: &str,
        flags: u16,
        message: RouteNetlinkMessage,
    ) -> Result<()> {
        let flags = flags | NLM_F_REQUEST | NLM_F_ACK;
        let mut attempt = 0;
        loop {
            let result = self.exchange(flags, message.clone(), |_| Ok(())).await;
            match result {
                Ok(_) => {
                    tracing::debug!(op, object, "acknowledged");
                    return Ok(());
                }
                Err(kind) => {
                    let error = Error::new(op, object, kind);
                    if error.is_transient() && attempt < self.shared.options.transient_retries {
                        attempt += 1;
                        backoff(attempt).await;
                        continue;
                    }
                    tracing::debug!(op, object, %error, "failed");
                    return Err(error);
                }
            }
        }
    }

    /// Sends a request whose reply is one message (a get by index or name) and returns it.
    pub(crate) async fn get(
        &self,
        op: &'static str,
        object: &str,
        message: RouteNetlinkMessage,
    ) -> Result<RouteNetlinkMessage> {
        let mut answer = None;
        let result = self
            .exchange(NLM_F_REQUEST | NLM_F_ACK, message, |reply| {
                answer = Some(reply);
                Ok(())
            })
            .await;
        match (result, answer) {
            (Err(kind), _) => Err(Error::new(op, object, kind)),
            (Ok(_), Some(reply)) => Ok(reply),
            (Ok(_), None) => Err(Error::new(
                op,
                object,
                ErrorKind::Decode("the kernel acknowledged without a reply message".into()),
            )),
        }
    }

    /// Runs a dump and hands each message to `sink`; a dump flagged as interrupted is repeated.
    ///
    /// `sink` receives [`DumpEvent::Restart`] before every attempt so that it starts from empty; the
    /// caller keeps only its own compact values, which bounds memory to the result itself.
    pub(crate) async fn dump(
        &self,
        op: &'static str,
        message: RouteNetlinkMessage,
        mut sink: impl FnMut(DumpEvent),
    ) -> Result<()> {
        let attempts = self.shared.options.dump_attempts.max(1);
        let mut transient = 0;
        let mut interrupted_runs = 0;
        while interrupted_runs < attempts {
            sink(DumpEvent::Restart);
            let collect = |reply| {
                sink(DumpEvent::Message(reply));
                Ok(())
            };
            match self
                .exchange(NLM_F_REQUEST | NLM_F_DUMP, message.clone(), collect)
                .await
            {
                Ok(Reply::DumpDone { interrupted: false }) => {
                    tracing::debug!(op, "dump complete");
                    return Ok(());
                }
                Ok(Reply::DumpDone { interrupted: true }) => {
                    interrupted_runs += 1;
                    tracing::debug!(
                        op,
                        attempt = interrupted_runs,
                        "dump interrupted, repeating"
                    );
                    backoff(interrupted_runs).await;
                }
                Ok(Reply::Acked) => {
                    let kind = ErrorKind::Decode("dump ended with an ACK, not NLMSG_DONE".into());
                    return Err(Error::new(op, "dump", kind));
                }
                Err(kind) => {
                    let error = Error::new(op, "dump", kind);
                    if error.is_transient() && transient < self.shared.options.transient_retries {
                        transient += 1;
                        backoff(transient).await;
                        continue;
                    }
                    return Err(error);
                }
            }
        }
        Err(Error::new(
            op,
            "dump",
            ErrorKind::DumpInconsistent { attempts },
        ))
    }

    /// Sends one request and reads replies until ACK, error or NLMSG_DONE.
    async fn exchange(
        &self,
        flags: u16,
        message: RouteNetlinkMessage,
        mut on_message: impl FnMut(RouteNetlinkMessage) -> std::result::Result<(), String>,
    ) -> std::result::Result<Reply, ErrorKind> {
        let handle = self.handle()?;
        let mut request = NetlinkMessage::new(header(flags), NetlinkPayload::InnerMessage(message));
        request.finalize();
        self.shared.requests.set(self.shared.requests.get() + 1);
        let mut replies = match handle.request(request, SocketAddr::new(0, 0)) {
            Ok(replies) => replies,
            Err(_) => {
                self.drop_connection();
                return Err(ErrorKind::Closed);
            }
        };
        let timeout = self.shared.timeout.get();
        let mut interrupted = false;
        loop {
            let next = match tokio::time::timeout(timeout, replies.next()).await {
                Ok(next) => next,
                Err(_) => {
                    self.drop_connection();
                    return Err(ErrorKind::Timeout(timeout));
                }
            };
            let Some(reply) = next else {
                self.drop_connection();
                return Err(ErrorKind::Closed);
            };
            interrupted |= reply.header.flags & NLM_F_DUMP_INTR != 0;
            let reply_flags = reply.header.flags;
            match reply.payload {
                NetlinkPayload::InnerMessage(inner) => {
                    on_message(inner).map_err(ErrorKind::Decode)?;
                }
                NetlinkPayload::Done(_) => return Ok(Reply::DumpDone { interrupted }),
                NetlinkPayload::Error(error) => match error.code {
                    None => return Ok(Reply::Acked),
                    Some(code) => {
                        return Err(ErrorKind::Kernel {
                            errno: -code.get(),
                            message: extended_ack_text(reply_flags, &error.header),
                        });
                    }
                },
                NetlinkPayload::Overrun(_) => {
                    return Err(ErrorKind::Io(std::io::Error::from_raw_os_error(
                        errno::ENOBUFS,
                    )));
                }
                NetlinkPayload::Noop => {}
                _ => {}
            }
        }
    }

    /// Returns a handle on the live connection, opening a new one if the last one was dropped.
    fn handle(&self) -> std::result::Result<Handle, ErrorKind> {
        let mut slot = self.shared.connection.borrow_mut();
        if slot.is_none() {
            tracing::debug!("opening a new netlink request connection");
            *slot = Some(open_connection().map_err(|error| error.kind)?);
        }
        Ok(slot
            .as_ref()
            .map(|c| c.handle.clone())
            .expect("connection was just set"))
    }

    fn drop_connection(&self) {
        self.shared.connection.borrow_mut().take();
    }
}

fn header(flags: u16) -> NetlinkHeader {
    let mut header = NetlinkHeader::default();
    header.flags = flags;
    header
}

/// Opens rtnetlink's connection with the repairing codec, ACK and DONE forwarding and extended
/// acks switched on.
fn open_connection() -> Result<Connection> {
    let io_error =
        |error: std::io::Error| Error::new("connect", "NETLINK_ROUTE", ErrorKind::Io(error));
    let (mut connection, handle, _unsolicited) = rtnetlink::proto::new_connection_with_codec::<
        RouteNetlinkMessage,
        TokioSocket,
        RepairingCodec,
    >(NETLINK_ROUTE)
    .map_err(io_error)?;
    connection.set_forward_ack(true);
    connection.set_forward_done(true);
    let socket = netlink_sys::AsyncSocket::socket_mut(connection.socket_mut());
    // Extended acks carry the kernel's reason text; capping keeps error replies small.
    socket.set_ext_ack(true).map_err(io_error)?;
    socket.set_cap_ack(true).map_err(io_error)?;
    let task = tokio::spawn(connection).abort_handle();
    Ok(Connection { handle, task })
}

/// Extracts NLMSGERR_ATTR_MSG from the bytes that follow the error code (linux/netlink.h).
///
/// The payload is the request's header, then the request's body unless NLM_F_CAPPED is set,
/// then the extended-ack attributes when NLM_F_ACK_TLVS is set.
pub(crate) fn extended_ack_text(flags: u16, payload: &[u8]) -> Option<String> {
    const NLMSGERR_ATTR_MSG: u16 = 1;
    if flags & NLM_F_ACK_TLVS == 0 || payload.len() < 16 {
        return None;
    }
    let request_len = u32::from_ne_bytes(payload[0..4].try_into().ok()?) as usize;
    let mut offset = if flags & NLM_F_CAPPED != 0 {
        16
    } else {
        align4(request_len)
    };
    while offset + 4 <= payload.len() {
        let len = u16::from_ne_bytes([payload[offset], payload[offset + 1]]) as usize;
        let kind = u16::from_ne_bytes([payload[offset + 2], payload[offset + 3]]) & 0x3fff;
        if len < 4 || offset + len > payload.len() {
            return None;
        }
        if kind == NLMSGERR_ATTR_MSG {
            let text = &payload[offset + 4..offset + len];
            let text = text.split(|b| *b == 0).next().unwrap_or_default();
            return Some(String::from_utf8_lossy(text).into_owned());
        }
        offset += align4(len);
    }
    None
}

fn align4(len: usize) -> usize {
    (len + 3) & !3
}

/// Waits 10, 20, 40 ... ms (capped at 320 ms) before attempt `attempt` + 1.
async fn backoff(attempt: u32) {
    let millis = 10u64 << attempt.min(5).saturating_sub(1);
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error payload after `ip link set dev nosuch0 up`-like requests: a capped 16-byte request
    /// header, then NLMSGERR_ATTR_MSG "Device not found" (bytes built by hand from linux/netlink.h).
    #[test]
    fn extended_ack_text_read_from_capped_payload() {
        let mut payload = vec![32, 0, 0, 0, 16, 0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        let text = b"Device not found\0";
        let len = (4 + text.len()) as u16;
        payload.extend_from_slice(&len.to_ne_bytes());
        payload.extend_from_slice(&1u16.to_ne_bytes());
        payload.extend_from_slice(text);
        let flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;

        assert_eq!(
            extended_ack_text(flags, &payload).as_deref(),
            Some("Device not found")
        );
        assert_eq!(extended_ack_text(NLM_F_CAPPED, &payload), None);
    }

    #[test]
    fn extended_ack_text_rejects_truncated_attribute() {
        let mut payload = vec![16, 0, 0, 0, 16, 0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        payload.extend_from_slice(&[40, 0, 1, 0, b'x']);
        assert_eq!(
            extended_ack_text(NLM_F_ACK_TLVS | NLM_F_CAPPED, &payload),
            None
        );
    }
}

#[cfg(test)]
mod kernel_tests {
    use super::*;
    use netlink_packet_core::NLM_F_ECHO;
    use netlink_packet_route::link::LinkMessage;

    /// A message without NLM_F_REQUEST is ignored by the kernel (netlink_rcv_skb), so a request
    /// sent with only NLM_F_ECHO never gets a reply: the stand-in for a hung kernel. It reads and
    /// changes nothing, so it is safe in the machine's own namespace.
    #[test]
    fn silent_kernel_ends_in_timeout_then_recovers() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        tokio::task::LocalSet::new().block_on(&runtime, async {
            let netlink = Netlink::connect(NetlinkOptions::default()).unwrap();
            netlink.set_timeout(Duration::from_millis(200));
            let message = RouteNetlinkMessage::GetLink(LinkMessage::default());
            let result = netlink.exchange(NLM_F_ECHO, message, |_| Ok(())).await;
            assert!(matches!(result, Err(ErrorKind::Timeout(_))));

            let error = Error::new(
                "link_list",
                "dump",
                ErrorKind::Timeout(Duration::from_millis(200)),
            );
            assert_eq!(error.to_string(), "link_list dump: timed out after 200 ms");
            assert!(
                netlink.shared.connection.borrow().is_none(),
                "timed-out connection dropped"
            );

            netlink.set_timeout(Duration::from_secs(2));
            let links = netlink.link_list().await.unwrap();
            assert!(
                !links.is_empty(),
                "a fresh connection serves the next request"
            );
        });
    }

    /// A connection that ends while a request waits is an error, never an acknowledgement.
    #[test]
    fn connection_lost_before_reply_is_closed() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        tokio::task::LocalSet::new().block_on(&runtime, async {
            let netlink = Netlink::connect(NetlinkOptions::default()).unwrap();
            let message = RouteNetlinkMessage::GetLink(LinkMessage::default());
            let waiting = netlink.exchange(NLM_F_ECHO, message, |_| Ok(()));
            let cut = async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                netlink.drop_connection();
            };
            let (result, ()) = tokio::join!(waiting, cut);
            assert!(
                matches!(result, Err(ErrorKind::Closed)),
                "{:?}",
                result.err()
            );
        });
    }
}

//! A netlink codec that never drops a kernel message in silence.
//!
//! netlink-proto's standard codec logs and skips any message that netlink-packet-route cannot
//! decode. netlink-packet-route 0.34 rejects names that are not UTF-8, and the kernel accepts any
//! bytes but '/', ':' and whitespace in an interface name, an address label or an alias. A link
//! named `bad\xff` would therefore be missing from every dump, and isolation would never take it
//! down. This codec repairs such strings instead: every byte of an invalid UTF-8 sequence becomes
//! '?', which keeps every length and offset intact. A link message that still cannot be decoded
//! is reduced to its fixed header (index and flags), which is enough to take the link down by
//! index. Any other undecodable message ends the connection, so the request fails loudly.

use std::fmt::Debug;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::BytesMut;
use netlink_packet_core::{
    NetlinkBuffer, NetlinkDeserializable, NetlinkMessage, NetlinkSerializable,
};
use rtnetlink::proto::{NetlinkCodec, NetlinkMessageCodec};

/// Message types (linux/rtnetlink.h).
const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;

/// Sizes of the fixed headers: nlmsghdr, ifinfomsg, ifaddrmsg.
const NLMSG_HEADER: usize = 16;
const IFINFOMSG: usize = 16;
const IFADDRMSG: usize = 8;

/// String attributes of link messages (linux/if_link.h): IFLA_IFNAME, IFLA_QDISC, IFLA_IFALIAS,
/// IFLA_PHYS_PORT_NAME, IFLA_PARENT_DEV_NAME, IFLA_PARENT_DEV_BUS_NAME.
const LINK_STRINGS: [u16; 6] = [3, 6, 20, 38, 56, 57];
/// IFLA_PROP_LIST, which nests IFLA_ALT_IFNAME (53) names.
const IFLA_PROP_LIST: u16 = 52;
const IFLA_ALT_IFNAME: u16 = 53;
/// IFA_LABEL (linux/if_addr.h).
const IFA_LABEL: u16 = 3;
/// Attribute type bits that are flags, not part of the type (NLA_F_NESTED, NLA_F_NET_BYTEORDER).
const NLA_TYPE_MASK: u16 = 0x3fff;

/// Link messages reduced to their header so far, for rate-limiting the warning.
static HEADER_ONLY_LINKS: AtomicU64 = AtomicU64::new(0);

/// The codec of the request connection; see the module documentation.
pub struct RepairingCodec;

impl NetlinkMessageCodec for RepairingCodec {
    fn decode<T>(src: &mut BytesMut) -> io::Result<Option<NetlinkMessage<T>>>
    where
        T: NetlinkDeserializable + Debug,
    {
        if src.is_empty() {
            return Ok(None);
        }
        let length = match NetlinkBuffer::new_checked(src.as_ref()) {
            Ok(buffer) => buffer.length() as usize,
            Err(error) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    error.to_string(),
                ));
            }
        };
        let mut bytes = src.split_to(length.min(src.len()));
        // Messages are 4-byte aligned within a datagram.
        let padding = (4 - length % 4) % 4;
        let _ = src.split_to(padding.min(src.len()));
        decode_repaired(&mut bytes).map(Some)
    }

    fn encode<T>(message: NetlinkMessage<T>, buffer: &mut BytesMut) -> io::Result<()>
    where
        T: NetlinkSerializable + Debug,
    {
        NetlinkCodec::encode(message, buffer)
    }
}

/// Decodes one message, repairing strings or reducing a link message to its header if needed.
pub fn decode_repaired<T>(bytes: &mut [u8]) -> io::Result<NetlinkMessage<T>>
where
    T: NetlinkDeserializable + Debug,
{
    let first = match NetlinkMessage::<T>::deserialize(bytes) {
        Ok(message) => return Ok(message),
        Err(error) => error,
    };
    if repair_strings(bytes)
        && let Ok(message) = NetlinkMessage::<T>::deserialize(bytes)
    {
        tracing::debug!("repaired a non-UTF-8 string in a kernel message");
        return Ok(message);
    }
    if is_link_message(bytes) && bytes.len() >= NLMSG_HEADER + IFINFOMSG {
        // Every dump repeats the message, so log the 1st, 2nd, 4th ... occurrence only.
        let count = HEADER_ONLY_LINKS.fetch_add(1, Ordering::Relaxed) + 1;
        if count.is_power_of_two() {
            tracing::warn!(cause = %first, count, "undecodable link message; keeping only its index and flags");
        }
        let header_only = &mut bytes[..NLMSG_HEADER + IFINFOMSG];
        header_only[0..4].copy_from_slice(&((NLMSG_HEADER + IFINFOMSG) as u32).to_ne_bytes());
        if let Ok(message) = NetlinkMessage::<T>::deserialize(header_only) {
            return Ok(message);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        first.to_string(),
    ))
}

fn message_type(bytes: &[u8]) -> u16 {
    u16::from_ne_bytes([bytes[4], bytes[5]])
}

fn is_link_message(bytes: &[u8]) -> bool {
    bytes.len() >= NLMSG_HEADER && matches!(message_type(bytes), RTM_NEWLINK | RTM_DELLINK)
}

/// Replaces invalid UTF-8 in the string attributes of link and address messages; returns true
/// when it changed something.
pub fn repair_strings(bytes: &mut [u8]) -> bool {
    if bytes.len() < NLMSG_HEADER {
        return false;
    }
    match message_type(bytes) {
        RTM_NEWLINK | RTM_DELLINK => {
            repair_attributes(bytes, NLMSG_HEADER + IFINFOMSG, &|kind, value| {
                if LINK_STRINGS.contains(&kind) {
                    repair_utf8(value)
                } else if kind == IFLA_PROP_LIST {
                    repair_attributes(value, 0, &|inner, name| {
                        inner == IFLA_ALT_IFNAME && repair_utf8(name)
                    })
                } else {
                    false
                }
            })
        }
        RTM_NEWADDR | RTM_DELADDR => {
            repair_attributes(bytes, NLMSG_HEADER + IFADDRMSG, &|kind, value| {
                kind == IFA_LABEL && repair_utf8(value)
            })
        }
        _ => false,
    }
}

/// Walks the attributes from `offset` and lets `repair` change each value in place.
fn repair_attributes(
    bytes: &mut [u8],
    mut offset: usize,
    repair: &dyn Fn(u16, &mut [u8]) -> bool,
) -> bool {
    let mut changed = false;
    while offset + 4 <= bytes.len() {
        let length = u16::from_ne_bytes([bytes[offset], bytes[offset + 1]]) as usize;
        let kind = u16::from_ne_bytes([bytes[offset + 2], bytes[offset + 3]]) & NLA_TYPE_MASK;
        if length < 4 || offset + length > bytes.len() {
            break;
        }
        changed |= repair(kind, &mut bytes[offset + 4..offset + length]);
        offset += (length + 3) & !3;
    }
    changed
}

/// Replaces each byte of an invalid UTF-8 sequence with '?'; a trailing NUL stays.
fn repair_utf8(value: &mut [u8]) -> bool {
    let mut changed = false;
    let mut start = 0;
    while start < value.len() {
        match std::str::from_utf8(&value[start..]) {
            Ok(_) => break,
            Err(error) => {
                let bad_start = start + error.valid_up_to();
                let bad_len = error.error_len().unwrap_or(value.len() - bad_start);
                for byte in &mut value[bad_start..bad_start + bad_len] {
                    *byte = b'?';
                }
                changed = true;
                start = bad_start + bad_len;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::NetlinkPayload;
    use netlink_packet_route::RouteNetlinkMessage;
    use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};

    /// Builds an RTM_NEWLINK message for index 7 named `name`, which may hold any bytes.
    fn link_message(name: &[u8]) -> Vec<u8> {
        let mut message = LinkMessage::default();
        message.header.index = 7;
        message.header.flags = LinkFlags::Up;
        message
            .attributes
            .push(LinkAttribute::IfName("x".repeat(name.len())));
        let mut netlink = NetlinkMessage::from(RouteNetlinkMessage::NewLink(message));
        netlink.finalize();
        let mut bytes = vec![0; netlink.buffer_len()];
        netlink.serialize(&mut bytes);
        // Overwrite the placeholder name with the raw bytes; the attribute keeps its length.
        let at = NLMSG_HEADER + IFINFOMSG + 4;
        bytes[at..at + name.len()].copy_from_slice(name);
        bytes
    }

    fn link_of(message: NetlinkMessage<RouteNetlinkMessage>) -> crate::netlink::Link {
        match message.payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(link)) => {
                crate::netlink::parse::link(&link)
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn invalid_utf8_name_repaired() {
        let mut bytes = link_message(b"bad\xff");
        assert!(
            NetlinkMessage::<RouteNetlinkMessage>::deserialize(&bytes).is_err(),
            "the fixture must fail to decode as it is"
        );

        let link = link_of(decode_repaired(&mut bytes).unwrap());

        assert_eq!(link.index, 7);
        assert_eq!(link.name, "bad?");
        assert!(link.admin_up);
    }

    #[test]
    fn valid_name_untouched() {
        let mut bytes = link_message("wlan0".as_bytes());
        assert!(!repair_strings(&mut bytes));
        assert_eq!(link_of(decode_repaired(&mut bytes).unwrap()).name, "wlan0");
    }

    #[test]
    fn repair_utf8_keeps_valid_parts() {
        let mut value = b"a\xffb\xe2\x82c\0".to_vec();
        assert!(repair_utf8(&mut value));
        assert_eq!(value, b"a?b??c\0");
    }

    #[test]
    fn undecodable_link_reduced_to_header() {
        let mut bytes = link_message(b"eth0");
        // IFLA_MTU (4) with a 2-byte value is malformed: the kernel always sends 4 bytes.
        bytes.extend_from_slice(&[6, 0, 4, 0, 1, 2, 0, 0]);
        let total = bytes.len() as u32;
        bytes[0..4].copy_from_slice(&total.to_ne_bytes());
        assert!(
            NetlinkMessage::<RouteNetlinkMessage>::deserialize(&bytes).is_err(),
            "fixture must be undecodable"
        );

        let link = link_of(decode_repaired(&mut bytes).unwrap());

        assert_eq!(link.index, 7);
        assert!(link.admin_up);
        assert_eq!(link.name, "");
    }
}

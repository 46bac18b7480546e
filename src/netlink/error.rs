//! Typed netlink errors that keep the operation, the object and the errno.

use std::fmt;
use std::time::Duration;

/// Errno values this crate acts on (asm-generic/errno.h, the values used on x86_64 and aarch64).
pub mod errno {
    pub const EPERM: i32 = 1;
    pub const ENOENT: i32 = 2;
    pub const ESRCH: i32 = 3;
    pub const EINTR: i32 = 4;
    pub const EAGAIN: i32 = 11;
    pub const EBUSY: i32 = 16;
    pub const EEXIST: i32 = 17;
    pub const ENODEV: i32 = 19;
    pub const EINVAL: i32 = 22;
    pub const EOPNOTSUPP: i32 = 95;
    pub const ENOBUFS: i32 = 105;
    pub const EADDRNOTAVAIL: i32 = 99;
    pub const ERFKILL: i32 = 132;
}

/// The cause of a failure, apart from the operation and object it concerned.
#[derive(Debug)]
pub enum ErrorKind {
    /// The kernel replied with a negative errno, turned positive here, and an optional extended-ack
    /// text (NLMSGERR_ATTR_MSG).
    Kernel { errno: i32, message: Option<String> },
    /// No reply arrived before the deadline.
    Timeout(Duration),
    /// The connection ended before the reply was complete (no ACK, no NLMSG_DONE).
    Closed,
    /// Every attempt at a dump was flagged NLM_F_DUMP_INTR because the kernel's tables changed.
    DumpInconsistent { attempts: u32 },
    /// The caller passed a value that cannot be sent (bad name, prefix length, MAC).
    InvalidArgument(String),
    /// A reply could not be decoded.
    Decode(String),
    /// The kernel acknowledged a delete, but a fresh list still contains the object.
    StillPresent,
    /// The socket itself failed.
    Io(std::io::Error),
}

/// A failed netlink operation: `op` is the verb (`link_set_up`), `object` what it acted on.
#[derive(Debug)]
pub struct Error {
    pub op: &'static str,
    pub object: String,
    pub kind: ErrorKind,
}

impl Error {
    pub fn new(op: &'static str, object: impl Into<String>, kind: ErrorKind) -> Error {
        Error {
            op,
            object: object.into(),
            kind,
        }
    }

    /// Builds an invalid-argument error for `value`, with `why` naming the rule it breaks.
    pub fn invalid(op: &'static str, value: &str, why: impl Into<String>) -> Error {
        Error::new(op, value, ErrorKind::InvalidArgument(why.into()))
    }

    /// Returns the positive errno of a kernel error.
    pub fn errno(&self) -> Option<i32> {
        match &self.kind {
            ErrorKind::Kernel { errno, .. } => Some(*errno),
            ErrorKind::Io(io) => io.raw_os_error(),
            _ => None,
        }
    }

    /// Returns true when an add found the object already there (EEXIST).
    pub fn is_exists(&self) -> bool {
        self.errno() == Some(errno::EEXIST)
    }

    /// Returns true when a delete or lookup found no exact match (ENOENT, ESRCH, EADDRNOTAVAIL,
    /// ENODEV).
    ///
    /// For addresses this means "no exact match", not "absent". The kernel also returns
    /// EADDRNOTAVAIL for a delete with the wrong prefix length, so callers confirm absence by
    /// listing again.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.errno(),
            Some(errno::ENOENT | errno::ESRCH | errno::EADDRNOTAVAIL | errno::ENODEV)
        )
    }

    /// Returns true when the radio is blocked by rfkill (ERFKILL).
    pub fn is_rfkill(&self) -> bool {
        self.errno() == Some(errno::ERFKILL)
    }

    /// Returns true for a timeout, which callers may retry after checking the kernel state.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, ErrorKind::Timeout(_))
    }

    /// Returns true for errors worth a short retry: EINTR, EAGAIN, EBUSY.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.errno(),
            Some(errno::EINTR | errno::EAGAIN | errno::EBUSY)
        )
    }

    /// Returns true when the argument was rejected before anything was sent.
    pub fn is_invalid_argument(&self) -> bool {
        matches!(self.kind, ErrorKind::InvalidArgument(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.op, self.object)?;
        match &self.kind {
            ErrorKind::Kernel { errno, message } => {
                let text = std::io::Error::from_raw_os_error(*errno);
                write!(f, "{text}")?;
                if let Some(message) = message {
                    write!(f, " ({message})")?;
                }
                Ok(())
            }
            ErrorKind::Timeout(after) => {
                write!(f, "timed out after {} ms", after.as_millis())
            }
            ErrorKind::Closed => f.write_str("netlink connection closed before the reply"),
            ErrorKind::DumpInconsistent { attempts } => write!(
                f,
                "dump inconsistent: interrupted by concurrent changes in all {attempts} attempts; try again once the changes settle"
            ),
            ErrorKind::InvalidArgument(why) => write!(f, "invalid argument: {why}"),
            ErrorKind::Decode(why) => write!(f, "cannot decode reply: {why}"),
            ErrorKind::StillPresent => f.write_str("still present after an acknowledged delete"),
            ErrorKind::Io(io) => write!(f, "{io}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(io) => Some(io),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

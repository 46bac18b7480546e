//! Checks of names, prefix lengths and MAC addresses, done before any request is sent.

use super::error::{Error, Result};
use super::types::{Family, HwAddr};

/// IFNAMSIZ minus the terminating NUL (linux/if.h).
pub const MAX_NAME_LEN: usize = 15;

/// Checks an interface name the way the kernel's `dev_valid_name` does.
pub fn check_link_name(op: &'static str, name: &str) -> Result<()> {
    let why = if name.is_empty() {
        "interface name is empty".to_string()
    } else if name.len() > MAX_NAME_LEN {
        format!(
            "interface name is {} bytes long, at most {MAX_NAME_LEN} are allowed",
            name.len()
        )
    } else if name == "." || name == ".." {
        "interface name cannot be '.' or '..'".to_string()
    } else if let Some(bad) = name
        .chars()
        .find(|c| *c == '/' || *c == ':' || *c == '\0' || c.is_whitespace())
    {
        format!("interface name contains {bad:?}; '/', ':', whitespace and NUL are not allowed")
    } else {
        return Ok(());
    };
    Err(Error::invalid(op, &printable(name), why))
}

/// Checks that `prefix_len` fits the family (0..=32 for IPv4, 0..=128 for IPv6).
pub fn check_prefix_len(op: &'static str, family: Family, prefix_len: u8) -> Result<()> {
    let max = family.max_prefix_len();
    if prefix_len > max {
        return Err(Error::invalid(
            op,
            &prefix_len.to_string(),
            format!("{family} prefix length must be between 0 and {max}"),
        ));
    }
    Ok(())
}

/// Parses a MAC written as six hex octets separated by ':' or '-'.
pub fn parse_mac(op: &'static str, text: &str) -> Result<HwAddr> {
    let octets: Vec<&str> = text.split([':', '-']).collect();
    let parsed: Option<Vec<u8>> = octets
        .iter()
        .map(|part| match part.len() {
            1 | 2 => u8::from_str_radix(part, 16).ok(),
            _ => None,
        })
        .collect();
    match parsed {
        Some(bytes) if bytes.len() == 6 => Ok(HwAddr(bytes)),
        _ => Err(Error::invalid(
            op,
            &printable(text),
            "a MAC address is six hex octets such as 02:00:00:00:00:01",
        )),
    }
}

/// Escapes control characters in a name for terminals and logs. The kernel allows them in
/// interface names, and printed raw they could move the cursor or clear the operator's screen.
pub fn escape_controls(name: &str) -> std::borrow::Cow<'_, str> {
    if name.chars().any(char::is_control) {
        std::borrow::Cow::Owned(name.escape_debug().to_string())
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// Quotes the value and escapes control characters, so that an empty name or one with spaces
/// stays visible and an error message never carries raw NUL or newlines.
fn printable(text: &str) -> String {
    format!("{text:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_name_accepts_ordinary_names() {
        for name in ["eth0", "wlan0", "usb0", "veth-a.100", "a23456789012345"] {
            assert!(check_link_name("test", name).is_ok(), "{name}");
        }
    }

    #[test]
    fn link_name_rejects_bad_names() {
        for name in [
            "",
            "a234567890123456",
            "a/b",
            "a:b",
            "a b",
            "a\tb",
            "a\0b",
            ".",
            "..",
        ] {
            let err = check_link_name("test", name).unwrap_err();
            assert!(err.is_invalid_argument(), "{name:?}");
        }
    }

    #[test]
    fn prefix_len_bounded_by_family() {
        assert!(check_prefix_len("t", Family::Inet, 32).is_ok());
        assert!(check_prefix_len("t", Family::Inet, 33).is_err());
        assert!(check_prefix_len("t", Family::Inet6, 128).is_ok());
        assert!(check_prefix_len("t", Family::Inet6, 129).is_err());
    }

    #[test]
    fn mac_needs_six_octets() {
        assert_eq!(
            parse_mac("t", "02:00:00:00:00:0a").unwrap(),
            HwAddr(vec![2, 0, 0, 0, 0, 10])
        );
        for bad in [
            "02:00:00:00:00",
            "02:00:00:00:00:00:00",
            "zz:00:00:00:00:00",
            "",
            "020:0:0:0:0:0",
        ] {
            assert!(parse_mac("t", bad).is_err(), "{bad}");
        }
    }
}

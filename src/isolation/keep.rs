//! The keep set: interfaces that isolation leaves alone besides the uplink.
//!
//! Loopback is always kept. Configured patterns are interface names in which `*` matches any run of
//! characters (including none) and `?` matches exactly one, so `tun*` keeps a VPN tunnel that rides
//! on the uplink. No other glob syntax is recognised: `[` is an ordinary character.

use crate::config::Pattern;
use crate::netlink::Link;
use crate::netlink::names::MAX_NAME_LEN;

/// A keep pattern that cannot name any interface.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid keep pattern {pattern:?}: {reason}")]
pub struct InvalidPattern {
    pub pattern: String,
    pub reason: String,
}

/// Interface name patterns whose links isolation leaves alone, plus loopback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeepSet {
    patterns: Vec<String>,
}

impl KeepSet {
    /// Builds a keep set from patterns, rejecting any that no interface name could match.
    pub fn new<I, S>(patterns: I) -> Result<KeepSet, InvalidPattern>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let patterns: Vec<String> = patterns.into_iter().map(Into::into).collect();
        for pattern in &patterns {
            check_pattern(pattern)?;
        }
        Ok(KeepSet { patterns })
    }

    /// Returns the configured patterns, without the implicit loopback.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Returns true when a configured pattern matches `name`.
    pub fn matches(&self, name: &str) -> bool {
        self.patterns
            .iter()
            .any(|pattern| glob_match(pattern, name))
    }

    /// Returns true when isolation leaves `link` alone: loopback or a pattern match.
    pub fn keeps(&self, link: &Link) -> bool {
        link.is_loopback() || self.matches(&link.name)
    }
}

fn check_pattern(pattern: &str) -> Result<(), InvalidPattern> {
    let literal_len = pattern.chars().filter(|c| *c != '*').count();
    let reason = if pattern.is_empty() {
        "pattern is empty".to_string()
    } else if literal_len > MAX_NAME_LEN {
        format!("it needs more than {MAX_NAME_LEN} characters, the maximum interface name length")
    } else if let Some(bad) = pattern
        .chars()
        .find(|c| *c == '/' || *c == ':' || *c == '\0' || c.is_whitespace())
    {
        format!("{bad:?} cannot occur in an interface name")
    } else {
        return Ok(());
    };
    Err(InvalidPattern {
        pattern: pattern.escape_debug().to_string(),
        reason,
    })
}

/// Matches `name` against a pattern with `*` and `?` wildcards; the configuration's matcher.
fn glob_match(pattern: &str, name: &str) -> bool {
    Pattern::new(pattern).matches(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_wildcards() {
        let cases = [
            ("tun*", "tun0", true),
            ("tun*", "tun", true),
            ("tun*", "tap0", false),
            ("wg?", "wg0", true),
            ("wg?", "wg10", false),
            ("*0", "eth0", true),
            ("*0", "eth1", false),
            ("e*h*1", "eth1", true),
            ("e*h*1", "eth0", false),
            ("eth0", "eth0", true),
            ("eth0", "eth00", false),
            ("*", "anything", true),
            ("a*b*c", "aXbYbZc", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(glob_match(pattern, name), expected, "{pattern} vs {name}");
        }
    }

    #[test]
    fn keep_set_rejects_bad_patterns() {
        for bad in ["", "a b", "a/b", "a:b", "a234567890123456"] {
            assert!(KeepSet::new([bad]).is_err(), "{bad:?}");
        }
        assert!(KeepSet::new(["a23456789012345*"]).is_ok());
    }
}

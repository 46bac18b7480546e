//! The keep set: interfaces that isolation leaves alone besides the uplink.
//!
//! Loopback is always kept. Configured patterns are interface names in which `*` matches any run of
//! characters (including none) and `?` matches exactly one, so `tun*` keeps a VPN tunnel that rides
//! on the uplink. No other glob syntax is recognised: `[` is an ordinary character.

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

/// Matches `name` against a pattern with `*` and `?` wildcards.
///
/// On a mismatch after a `*`, the scan resumes one character later in `name` from that `*`, which
/// is enough because only the most recent `*` ever needs to absorb more characters.
fn glob_match(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let (mut p, mut n) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;

    while n < name.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            last_star = Some((p, n));
            p += 1;
        } else if let Some((star_p, star_n)) = last_star {
            p = star_p + 1;
            n = star_n + 1;
            last_star = Some((star_p, star_n + 1));
        } else {
            return false;
        }
    }

    pattern[p..].iter().all(|c| *c == '*')
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

//! Interface name patterns for `isolation.keep`: `*` matches any run of bytes, `?` one byte.
//!
//! Interface names are short (at most 15 bytes), so the backtracking matcher below is cheap.

use std::fmt;

/// A name pattern such as `wg*` or `tun?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
}

impl Pattern {
    /// Builds a pattern; the checker has already rejected characters that no interface name has.
    pub fn new(text: &str) -> Pattern {
        Pattern {
            text: text.to_string(),
        }
    }

    /// Returns the pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Returns true when `name` matches the whole pattern.
    pub fn matches(&self, name: &str) -> bool {
        matches_bytes(self.text.as_bytes(), name.as_bytes())
    }

    /// Returns true when the pattern matches every possible interface name (at least one byte):
    /// only wildcards, at least one `*` and at most one `?`.
    pub fn matches_everything(&self) -> bool {
        let bytes = self.text.as_bytes();
        let questions = bytes.iter().filter(|b| **b == b'?').count();
        bytes.contains(&b'*') && questions <= 1 && bytes.iter().all(|b| matches!(b, b'*' | b'?'))
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Matches with one remembered `*` position, the usual linear-backtracking wildcard walk.
fn matches_bytes(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                last_star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match last_star {
                // Let the last `*` swallow one more byte and retry from there.
                Some((star_p, star_n)) => {
                    last_star = Some((star_p, star_n + 1));
                    p = star_p + 1;
                    n = star_n + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|b| *b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_matches_only_itself() {
        let pattern = Pattern::new("tun0");
        assert!(pattern.matches("tun0"));
        assert!(!pattern.matches("tun01"));
        assert!(!pattern.matches("tun"));
    }

    #[test]
    fn star_matches_any_run() {
        let pattern = Pattern::new("wg*");
        assert!(pattern.matches("wg"));
        assert!(pattern.matches("wg0"));
        assert!(pattern.matches("wg-home"));
        assert!(!pattern.matches("xwg0"));
    }

    #[test]
    fn star_in_middle_backtracks() {
        let pattern = Pattern::new("a*b*c");
        assert!(pattern.matches("abc"));
        assert!(pattern.matches("axxbyybc"));
        assert!(!pattern.matches("axxbyy"));
    }

    #[test]
    fn question_mark_matches_one_byte() {
        let pattern = Pattern::new("eth?");
        assert!(pattern.matches("eth1"));
        assert!(!pattern.matches("eth"));
        assert!(!pattern.matches("eth10"));
    }

    #[test]
    fn wildcard_only_pattern_matches_everything() {
        assert!(Pattern::new("*").matches_everything());
        assert!(Pattern::new("**").matches_everything());
        assert!(Pattern::new("?*").matches_everything());
        assert!(!Pattern::new("??*").matches_everything());
        assert!(!Pattern::new("?").matches_everything());
        assert!(!Pattern::new("w*").matches_everything());
    }
}

//! Parsing of demo scripts: one step per line, checked as a whole before anything runs.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use crate::netlink::names::check_link_name;
use crate::ui::Button;

/// The accepted line forms, printed with every parse error.
pub const FORMS: &str = "\
  wait DURATION                                  (500ms, 2s)
  press BUTTON                                   (up, down, left, right, press, key1, key2, key3)
  hotplug IFACE
  link up IFACE
  addr add ADDRESS/PREFIX dev IFACE
  route add default via GATEWAY dev IFACE [metric N]
  pause appliance | resume appliance
  expect uplink IFACE | expect isolated IFACE";

/// One step of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Wait(Duration),
    Press(Button),
    Hotplug(String),
    LinkUp(String),
    AddrAdd {
        address: IpAddr,
        prefix_len: u8,
        iface: String,
    },
    DefaultRoute {
        gateway: IpAddr,
        iface: String,
        metric: Option<u32>,
    },
    Pause,
    Resume,
    ExpectUplink(String),
    ExpectIsolated(String),
}

/// A step together with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub text: String,
    pub step: Step,
}

/// Every malformed line of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    pub file: String,
    pub problems: Vec<(usize, String)>,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (number, problem) in &self.problems {
            writeln!(f, "{}:{number}: {problem}", self.file)?;
        }
        write!(f, "accepted lines (# starts a comment):\n{FORMS}")
    }
}

impl std::error::Error for ScriptError {}

/// Parses a whole script; `file` only names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Vec<Line>, ScriptError> {
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        match parse_step(content) {
            Ok(step) => lines.push(Line {
                number: index + 1,
                text: content.to_string(),
                step,
            }),
            Err(problem) => problems.push((index + 1, problem)),
        }
    }
    if problems.is_empty() {
        Ok(lines)
    } else {
        Err(ScriptError {
            file: file.to_string(),
            problems,
        })
    }
}

/// Parses one line without its comment.
pub fn parse_step(line: &str) -> Result<Step, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let step = match words.as_slice() {
        ["wait", duration] => Step::Wait(parse_duration(duration)?),
        ["press", button] => Step::Press(parse_button(button)?),
        ["hotplug", iface] => Step::Hotplug(iface_name(iface)?),
        ["link", "up", iface] => Step::LinkUp(iface_name(iface)?),
        ["addr", "add", cidr, "dev", iface] => {
            let (address, prefix_len) = parse_cidr(cidr)?;
            Step::AddrAdd {
                address,
                prefix_len,
                iface: iface_name(iface)?,
            }
        }
        [
            "route",
            "add",
            "default",
            "via",
            gateway,
            "dev",
            iface,
            rest @ ..,
        ] => Step::DefaultRoute {
            gateway: parse_address(gateway)?,
            iface: iface_name(iface)?,
            metric: parse_metric(rest)?,
        },
        ["pause", "appliance"] => Step::Pause,
        ["resume", "appliance"] => Step::Resume,
        ["expect", "uplink", iface] => Step::ExpectUplink(iface_name(iface)?),
        ["expect", "isolated", iface] => Step::ExpectIsolated(iface_name(iface)?),
        _ => return Err(format!("unrecognised step {line:?}")),
    };
    Ok(step)
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid =
        || format!("invalid duration {text:?}; expected a whole number with ms or s, like 500ms");
    let (digits, scale) = if let Some(digits) = text.strip_suffix("ms") {
        (digits, 1)
    } else if let Some(digits) = text.strip_suffix('s') {
        (digits, 1000)
    } else {
        return Err(invalid());
    };
    let value: u64 = digits.parse().map_err(|_| invalid())?;
    Ok(Duration::from_millis(
        value.checked_mul(scale).ok_or_else(invalid)?,
    ))
}

/// Maps a button name, spelled as the `keys` input backend reads it from a pipe.
fn parse_button(text: &str) -> Result<Button, String> {
    let button = match text {
        "up" => Button::Up,
        "down" => Button::Down,
        "left" => Button::Left,
        "right" => Button::Right,
        "press" => Button::Press,
        "key1" => Button::Key1,
        "key2" => Button::Key2,
        "key3" => Button::Key3,
        _ => {
            return Err(format!(
                "unknown button {text:?}; expected up, down, left, right, press, key1, key2 or key3"
            ));
        }
    };
    Ok(button)
}

fn iface_name(text: &str) -> Result<String, String> {
    check_link_name("demo", text).map_err(|error| error.to_string())?;
    Ok(text.to_string())
}

fn parse_address(text: &str) -> Result<IpAddr, String> {
    text.parse()
        .map_err(|_| format!("invalid IP address {text:?}"))
}

fn parse_cidr(text: &str) -> Result<(IpAddr, u8), String> {
    let invalid =
        || format!("invalid address {text:?}; expected ADDRESS/PREFIX, like 192.0.2.7/24");
    let (address, prefix) = text.split_once('/').ok_or_else(invalid)?;
    let address = parse_address(address)?;
    let prefix_len: u8 = prefix.parse().map_err(|_| invalid())?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    if prefix_len > max {
        return Err(invalid());
    }
    Ok((address, prefix_len))
}

fn parse_metric(rest: &[&str]) -> Result<Option<u32>, String> {
    match rest {
        [] => Ok(None),
        ["metric", value] => value.parse().map(Some).map_err(|_| {
            format!("invalid metric {value:?}; expected a number from 0 to 4294967295")
        }),
        _ => Err(format!(
            "unexpected {:?} after the interface; expected `metric N` or nothing",
            rest.join(" ")
        )),
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Wait(duration) => write!(f, "wait {}ms", duration.as_millis()),
            Step::Press(button) => write!(f, "press {}", button_word(*button)),
            Step::Hotplug(iface) => write!(f, "hotplug {iface}"),
            Step::LinkUp(iface) => write!(f, "link up {iface}"),
            Step::AddrAdd {
                address,
                prefix_len,
                iface,
            } => write!(f, "addr add {address}/{prefix_len} dev {iface}"),
            Step::DefaultRoute {
                gateway,
                iface,
                metric,
            } => {
                write!(f, "route add default via {gateway} dev {iface}")?;
                match metric {
                    Some(metric) => write!(f, " metric {metric}"),
                    None => Ok(()),
                }
            }
            Step::Pause => write!(f, "pause appliance"),
            Step::Resume => write!(f, "resume appliance"),
            Step::ExpectUplink(iface) => write!(f, "expect uplink {iface}"),
            Step::ExpectIsolated(iface) => write!(f, "expect isolated {iface}"),
        }
    }
}

/// Returns the line the `keys` backend turns into `button`.
pub fn button_word(button: Button) -> &'static str {
    match button {
        Button::Up => "up",
        Button::Down => "down",
        Button::Left => "left",
        Button::Right => "right",
        Button::Press => "press",
        Button::Key1 => "key1",
        Button::Key2 => "key2",
        Button::Key3 => "key3",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_every_form() {
        let text = "\
# a comment
wait 500ms
wait 2s   # trailing comment
press key1
hotplug eth1
link up wlan0
addr add 198.51.100.2/24 dev wlan0
addr add 2001:db8:2::9/64 dev wlan0
route add default via 198.51.100.1 dev wlan0 metric 50
route add default via 2001:db8:2::1 dev wlan0
pause appliance
resume appliance
expect uplink eth0
expect isolated wlan0
";
        let lines = parse("t", text).unwrap();
        assert_eq!(lines.len(), 13);
        assert_eq!(lines[0].number, 2);
        assert_eq!(lines[0].step, Step::Wait(Duration::from_millis(500)));
        assert_eq!(lines[1].step, Step::Wait(Duration::from_secs(2)));
        assert_eq!(lines[2].step, Step::Press(Button::Key1));
        assert_eq!(
            lines[7].step,
            Step::DefaultRoute {
                gateway: "198.51.100.1".parse().unwrap(),
                iface: "wlan0".into(),
                metric: Some(50)
            }
        );
        assert_eq!(
            lines[8].step.to_string(),
            "route add default via 2001:db8:2::1 dev wlan0"
        );
    }

    #[test]
    fn parse_reports_every_bad_line() {
        let text = "wait 5\npress jump\nexpect uplink\naddr add 192.0.2.1/33 dev eth0\nroute add default via 192.0.2.1 dev eth0 metric x\nwait 1s\n";
        let error = parse("tour.script", text).unwrap_err();
        let numbers: Vec<usize> = error.problems.iter().map(|(number, _)| *number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5]);
        let message = error.to_string();
        assert!(
            message.contains("tour.script:2: unknown button \"jump\""),
            "{message}"
        );
        assert!(message.contains("expect uplink IFACE"), "{message}");
    }

    #[test]
    fn parse_rejects_invalid_interface_name() {
        let error = parse_step("hotplug averyveryverylongname").unwrap_err();
        assert!(error.contains("averyveryverylongname"), "{error}");
    }

    #[test]
    fn button_words_round_trip() {
        for word in [
            "up", "down", "left", "right", "press", "key1", "key2", "key3",
        ] {
            assert_eq!(button_word(parse_button(word).unwrap()), word);
        }
    }
}

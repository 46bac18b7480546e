//! Stage two: the raw tables validated into a [`Config`], collecting every problem on the way.
//!
//! Each setter falls back to the default when its key is absent or wrong, so checking goes on
//! after a problem and the whole file is covered in one pass.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::RangeInclusive;
use std::time::Duration;

use super::raw::{RawEntry, RawKind, RawTable, RawValue, SyntaxError};
use super::{
    ButtonSettings, Cidr, ColourOrder, Config, DisplaySettings, IsolationSettings, LogLevel,
    LogSettings, Pattern, Problem, Rotation, UplinkSettings,
};
use crate::netlink::names::{MAX_NAME_LEN, check_link_name};

const SECTIONS: &[&str] = &["isolation", "uplink", "display", "buttons", "log"];

/// BCM numbers of the pins on the 40-pin header.
const PINS: RangeInclusive<i64> = 0..=27;

/// BCM 7 to 11 carry SPI0 (CE1, CE0, MISO, MOSI, SCLK), which the display needs.
const SPI0_PINS: RangeInclusive<u8> = 7..=11;

/// Turns parser errors into problems.
pub fn syntax_problems(errors: Vec<SyntaxError>) -> Vec<Problem> {
    errors
        .into_iter()
        .map(|error| Problem {
            line: error.line,
            key: None,
            message: format!("invalid TOML: {}", error.message),
        })
        .collect()
}

/// Validates the whole document, returning the config or every problem found.
pub fn check(root: &RawTable) -> Result<Config, Vec<Problem>> {
    let mut checker = Checker::default();
    checker.reject_unknown_sections(root);
    let isolation = checker.section(root, "isolation");
    let display = checker.section(root, "display");
    let buttons = checker.section(root, "buttons");
    let log = checker.section(root, "log");
    let config = Config {
        isolation: checker.isolation(&isolation),
        uplinks: checker.uplinks(root),
        display: checker.display(&display),
        buttons: checker.buttons(&buttons),
        log: checker.log(&log),
    };
    checker.check_pins(root, &config);
    match checker.problems.is_empty() {
        true => Ok(config),
        false => Err(checker.sorted_problems()),
    }
}

/// One table being checked: its dotted name, its name in `KNOWN_KEYS` and its entries.
struct Section<'a> {
    name: String,
    schema: String,
    entries: Option<&'a RawTable>,
}

impl Section<'_> {
    fn key(&self, name: &str) -> String {
        format!("{}.{name}", self.name)
    }

    fn get(&self, name: &str) -> Option<&RawEntry> {
        debug_assert!(
            Config::KNOWN_KEYS.contains(&format!("{}.{name}", self.schema).as_str()),
            "{}.{name} is missing from Config::KNOWN_KEYS",
            self.schema
        );
        self.entries.and_then(|entries| entries.get(name))
    }
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn report(&mut self, line: usize, key: String, message: String) {
        self.problems.push(Problem {
            line: Some(line),
            key: Some(key),
            message,
        });
    }

    fn sorted_problems(mut self) -> Vec<Problem> {
        self.problems.sort_by_key(|problem| problem.line);
        self.problems
    }

    fn reject_unknown_sections(&mut self, root: &RawTable) {
        for (name, entry) in root {
            if !SECTIONS.contains(&name.as_str()) {
                let message = format!(
                    "unknown section; accepted sections: {}",
                    SECTIONS.join(", ")
                );
                self.report(entry.key_line, name.clone(), message);
            }
        }
    }

    /// Returns the top-level table `name`, reporting it if it is not a table.
    fn section<'a>(&mut self, root: &'a RawTable, name: &str) -> Section<'a> {
        let entries = root.get(name).and_then(|entry| self.table(entry, name));
        let section = Section {
            name: name.to_string(),
            schema: name.to_string(),
            entries,
        };
        self.reject_unknown_keys(&section);
        section
    }

    fn table<'a>(&mut self, entry: &'a RawEntry, key: &str) -> Option<&'a RawTable> {
        match &entry.value.kind {
            RawKind::Table(table) => Some(table),
            other => {
                let message = format!("expected a table, found {}", other.type_name());
                self.report(entry.value.line, key.to_string(), message);
                None
            }
        }
    }

    fn reject_unknown_keys(&mut self, section: &Section<'_>) {
        let prefix = format!("{}.", section.schema);
        let known: Vec<&str> = Config::KNOWN_KEYS
            .iter()
            .filter_map(|key| key.strip_prefix(prefix.as_str()))
            .collect();
        for (name, entry) in section.entries.into_iter().flatten() {
            if !known.contains(&name.as_str()) {
                let message = format!(
                    "unknown key; accepted keys in [{}]: {}",
                    section.schema,
                    known.join(", ")
                );
                self.report(entry.key_line, section.key(name), message);
            }
        }
    }

    fn invalid(&mut self, section: &Section<'_>, name: &str, value: &RawValue, accepted: &str) {
        let message = format!(
            "invalid value {}; accepted values: {accepted}",
            describe(value)
        );
        self.report(value.line, section.key(name), message);
    }

    /// Reads an integer in `range`; `accepted` describes the range with its unit.
    fn integer(
        &mut self,
        section: &Section<'_>,
        name: &str,
        range: RangeInclusive<i64>,
        accepted: &str,
    ) -> Option<i64> {
        let value = &section.get(name)?.value;
        match value.kind {
            RawKind::Integer(Ok(number)) if range.contains(&number) => Some(number),
            _ => {
                self.invalid(section, name, value, accepted);
                None
            }
        }
    }

    /// Reads a whole number of `unit`s (a `Duration` constructor) within `range`.
    fn duration(
        &mut self,
        section: &Section<'_>,
        name: &str,
        range: RangeInclusive<i64>,
        unit: (fn(u64) -> Duration, &str),
        default: Duration,
    ) -> Duration {
        let accepted = format!("{} to {} ({})", range.start(), range.end(), unit.1);
        match self.integer(section, name, range, &accepted) {
            Some(number) => unit.0(number as u64),
            None => default,
        }
    }

    fn pin(&mut self, section: &Section<'_>, name: &str, default: u8) -> u8 {
        let accepted = "0 to 27 (BCM pin numbers)";
        match self.integer(section, name, PINS, accepted) {
            Some(pin) => pin as u8,
            None => default,
        }
    }

    fn string<'a>(
        &mut self,
        section: &'a Section<'_>,
        name: &str,
        accepted: &str,
    ) -> Option<(&'a RawValue, &'a str)> {
        let value = &section.get(name)?.value;
        match &value.kind {
            RawKind::String(text) => Some((value, text.as_str())),
            _ => {
                self.invalid(section, name, value, accepted);
                None
            }
        }
    }

    /// Reads a string that must be one of `choices`.
    fn choice<T: Copy>(
        &mut self,
        section: &Section<'_>,
        name: &str,
        choices: &[(&str, T)],
        default: T,
    ) -> T {
        let words: Vec<String> = choices
            .iter()
            .map(|(word, _)| format!("\"{word}\""))
            .collect();
        let accepted = words.join(", ");
        let Some((value, text)) = self.string(section, name, &accepted) else {
            return default;
        };
        match choices.iter().find(|(word, _)| *word == text) {
            Some((_, choice)) => *choice,
            None => {
                self.invalid(section, name, value, &accepted);
                default
            }
        }
    }

    fn boolean(&mut self, section: &Section<'_>, name: &str, default: bool) -> bool {
        let Some(entry) = section.get(name) else {
            return default;
        };
        match entry.value.kind {
            RawKind::Boolean(flag) => flag,
            _ => {
                self.invalid(section, name, &entry.value, "true, false");
                default
            }
        }
    }
}

const SECONDS: (fn(u64) -> Duration, &str) = (Duration::from_secs, "seconds");
const MILLISECONDS: (fn(u64) -> Duration, &str) = (Duration::from_millis, "milliseconds");

impl Checker {
    fn isolation(&mut self, section: &Section<'_>) -> IsolationSettings {
        let default = IsolationSettings::default();
        IsolationSettings {
            keep: self.keep_patterns(section),
            recheck_interval: self.duration(
                section,
                "recheck_interval_s",
                1..=86_400,
                SECONDS,
                default.recheck_interval,
            ),
            request_timeout: self.duration(
                section,
                "request_timeout_ms",
                100..=60_000,
                MILLISECONDS,
                default.request_timeout,
            ),
        }
    }

    fn keep_patterns(&mut self, section: &Section<'_>) -> Vec<Pattern> {
        let accepted = "an array of interface name patterns such as [\"wg*\", \"tun0\"]";
        let Some(entry) = section.get("keep") else {
            return Vec::new();
        };
        let RawKind::Array(items) = &entry.value.kind else {
            self.invalid(section, "keep", &entry.value, accepted);
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.keep_pattern(section, item))
            .collect()
    }

    fn keep_pattern(&mut self, section: &Section<'_>, item: &RawValue) -> Option<Pattern> {
        let accepted = "interface names in which `*` matches any run of characters and `?` one character, except patterns that match every name";
        let RawKind::String(text) = &item.kind else {
            self.invalid(section, "keep", item, accepted);
            return None;
        };
        // Check the pattern as a name with its wildcards replaced by a legal character, and
        // count only the literal bytes against the length limit because `*` may match nothing.
        let literal: String = text.chars().filter(|c| *c != '*').collect();
        let as_name = text.replace(['*', '?'], "x");
        let fits = literal.len() <= MAX_NAME_LEN
            && check_link_name(
                "config",
                &as_name.chars().take(MAX_NAME_LEN).collect::<String>(),
            )
            .is_ok();
        let pattern = Pattern::new(text);
        if text.is_empty() || !fits || pattern.matches_everything() {
            self.invalid(section, "keep", item, accepted);
            return None;
        }
        Some(pattern)
    }
}

impl Checker {
    fn uplinks(&mut self, root: &RawTable) -> std::collections::BTreeMap<String, UplinkSettings> {
        let mut uplinks = std::collections::BTreeMap::new();
        let Some(entry) = root.get("uplink") else {
            return uplinks;
        };
        let Some(table) = self.table(entry, "uplink") else {
            return uplinks;
        };
        for (name, entry) in table {
            let key = format!("uplink.{name}");
            if let Err(error) = check_link_name("config", name) {
                let why = link_name_reason(&error);
                self.report(
                    entry.key_line,
                    key,
                    format!("invalid interface name: {why}"),
                );
                continue;
            }
            let Some(entries) = self.table(entry, &key) else {
                continue;
            };
            let section = Section {
                name: key,
                schema: "uplink.<name>".to_string(),
                entries: Some(entries),
            };
            self.reject_unknown_keys(&section);
            uplinks.insert(name.clone(), self.uplink(&section));
        }
        uplinks
    }

    fn uplink(&mut self, section: &Section<'_>) -> UplinkSettings {
        let address = self.cidr(section, "address", false);
        let address6 = self.cidr(section, "address6", true);
        let gateway = self.gateway(section, "gateway", "address", address);
        let gateway6 = self.gateway(section, "gateway6", "address6", address6);
        UplinkSettings {
            address,
            gateway: gateway.and_then(|ip| match ip {
                IpAddr::V4(v4) => Some(v4),
                IpAddr::V6(_) => None,
            }),
            address6,
            gateway6: gateway6.and_then(|ip| match ip {
                IpAddr::V6(v6) => Some(v6),
                IpAddr::V4(_) => None,
            }),
        }
    }

    fn cidr(&mut self, section: &Section<'_>, name: &str, v6: bool) -> Option<Cidr> {
        let accepted = match v6 {
            false => {
                "an IPv4 address with prefix length 1 to 32, such as \"192.0.2.10/24\" (IPv6 goes in `address6`)"
            }
            true => {
                "an IPv6 address with prefix length 1 to 128, such as \"2001:db8::10/64\" (IPv4 goes in `address`)"
            }
        };
        let (value, text) = self.string(section, name, accepted)?;
        let cidr = parse_cidr(text)
            .filter(|cidr| cidr.address.is_ipv6() == v6 && is_host_address(cidr.address));
        if cidr.is_none() {
            self.invalid(section, name, value, accepted);
        }
        cidr
    }

    /// Reads a gateway of the family of `address_key`, which must be set and on the same subnet.
    fn gateway(
        &mut self,
        section: &Section<'_>,
        name: &str,
        address_key: &str,
        address: Option<Cidr>,
    ) -> Option<IpAddr> {
        let v6 = address_key == "address6";
        let accepted = match v6 {
            false => "an IPv4 address inside the `address` subnet, such as \"192.0.2.1\"",
            true => {
                "an IPv6 address inside the `address6` subnet or link-local (fe80::/10), such as \"fe80::1\""
            }
        };
        let (value, text) = self.string(section, name, accepted)?;
        let gateway = text
            .parse::<IpAddr>()
            .ok()
            .filter(|ip| ip.is_ipv6() == v6 && is_host_address(*ip));
        let Some(gateway) = gateway else {
            self.invalid(section, name, value, accepted);
            return None;
        };
        let Some(cidr) = address else {
            let message = format!(
                "a static gateway needs a static address; set `{}` too or remove this key",
                section.key(address_key)
            );
            self.report(value.line, section.key(name), message);
            return None;
        };
        if !is_reachable(gateway, cidr) {
            self.invalid(section, name, value, accepted);
            return None;
        }
        if let Some(why) = unusable_gateway(gateway, cidr) {
            let message = format!("gateway {gateway} is {why}; use the router's address");
            self.report(value.line, section.key(name), message);
            return None;
        }
        Some(gateway)
    }
}

impl Checker {
    fn display(&mut self, section: &Section<'_>) -> DisplaySettings {
        let default = DisplaySettings::default();
        DisplaySettings {
            rotation: self.rotation(section, default.rotation),
            col_offset: self.offset(section, "col_offset", default.col_offset),
            row_offset: self.offset(section, "row_offset", default.row_offset),
            colour_order: self.choice(
                section,
                "colour_order",
                &[("bgr", ColourOrder::Bgr), ("rgb", ColourOrder::Rgb)],
                default.colour_order,
            ),
            invert: self.boolean(section, "invert", default.invert),
            spi_hz: self.spi_hz(section, default.spi_hz),
            backlight_timeout: self.backlight_timeout(section, default.backlight_timeout),
            dc_pin: self.pin(section, "dc_pin", default.dc_pin),
            rst_pin: self.pin(section, "rst_pin", default.rst_pin),
            backlight_pin: self.pin(section, "backlight_pin", default.backlight_pin),
        }
    }

    fn rotation(&mut self, section: &Section<'_>, default: Rotation) -> Rotation {
        let choices = [
            (0, Rotation::Deg0),
            (90, Rotation::Deg90),
            (180, Rotation::Deg180),
            (270, Rotation::Deg270),
        ];
        let Some(entry) = section.get("rotation") else {
            return default;
        };
        let found = choices.iter().find(
            |(degrees, _)| matches!(entry.value.kind, RawKind::Integer(Ok(n)) if n == *degrees),
        );
        match found {
            Some((_, rotation)) => *rotation,
            None => {
                self.invalid(section, "rotation", &entry.value, "0, 90, 180, 270");
                default
            }
        }
    }

    /// Reads a panel offset. The controller's memory is 132x162 and the panel shows 128x128, so
    /// no offset exceeds 162 - 128 = 34.
    fn offset(&mut self, section: &Section<'_>, name: &str, default: u16) -> u16 {
        match self.integer(section, name, 0..=34, "0 to 34 (pixels)") {
            Some(offset) => offset as u16,
            None => default,
        }
    }

    /// Any clock from 1 to 32 MHz: the BCM2835 SPI block divides its core clock by an even
    /// number, and spidev rounds the requested speed down to what that gives.
    fn spi_hz(&mut self, section: &Section<'_>, default: u32) -> u32 {
        let accepted = "1000000 to 32000000 (Hz); 16000000 is the default, 8000000 and 4000000 are slower fallbacks";
        match self.integer(section, "spi_hz", 1_000_000..=32_000_000, accepted) {
            Some(hz) => hz as u32,
            None => default,
        }
    }

    fn backlight_timeout(
        &mut self,
        section: &Section<'_>,
        default: Option<Duration>,
    ) -> Option<Duration> {
        let accepted = "0 to 86400 (seconds; 0 keeps the backlight on)";
        match self.integer(section, "backlight_timeout_s", 0..=86_400, accepted) {
            Some(0) => None,
            Some(seconds) => Some(Duration::from_secs(seconds as u64)),
            None => default,
        }
    }

    fn buttons(&mut self, section: &Section<'_>) -> ButtonSettings {
        let default = ButtonSettings::default();
        ButtonSettings {
            up: self.pin(section, "up", default.up),
            down: self.pin(section, "down", default.down),
            left: self.pin(section, "left", default.left),
            right: self.pin(section, "right", default.right),
            press: self.pin(section, "press", default.press),
            key1: self.pin(section, "key1", default.key1),
            key2: self.pin(section, "key2", default.key2),
            key3: self.pin(section, "key3", default.key3),
            debounce: self.duration(
                section,
                "debounce_ms",
                0..=500,
                MILLISECONDS,
                default.debounce,
            ),
            repeat_delay: self.duration(
                section,
                "repeat_delay_ms",
                50..=10_000,
                MILLISECONDS,
                default.repeat_delay,
            ),
            repeat_interval: self.duration(
                section,
                "repeat_interval_ms",
                20..=10_000,
                MILLISECONDS,
                default.repeat_interval,
            ),
            long_press: self.duration(
                section,
                "long_press_ms",
                100..=10_000,
                MILLISECONDS,
                default.long_press,
            ),
        }
    }

    fn log(&mut self, section: &Section<'_>) -> LogSettings {
        let levels = [
            ("error", LogLevel::Error),
            ("warn", LogLevel::Warn),
            ("info", LogLevel::Info),
            ("debug", LogLevel::Debug),
            ("trace", LogLevel::Trace),
        ];
        LogSettings {
            level: self.choice(section, "level", &levels, LogLevel::default()),
        }
    }
}

/// Pin assignments in the order they are reported, with the key that sets each.
fn pin_assignments(config: &Config) -> [(&'static str, u8); 11] {
    let (d, b) = (&config.display, &config.buttons);
    [
        ("display.dc_pin", d.dc_pin),
        ("display.rst_pin", d.rst_pin),
        ("display.backlight_pin", d.backlight_pin),
        ("buttons.up", b.up),
        ("buttons.down", b.down),
        ("buttons.left", b.left),
        ("buttons.right", b.right),
        ("buttons.press", b.press),
        ("buttons.key1", b.key1),
        ("buttons.key2", b.key2),
        ("buttons.key3", b.key3),
    ]
}

impl Checker {
    /// Reports pins used twice or taken from SPI0, on the line of a key the file sets.
    fn check_pins(&mut self, root: &RawTable, config: &Config) {
        let assignments = pin_assignments(config);
        for (i, (key, pin)) in assignments.iter().enumerate() {
            let Some(line) = value_line(root, key) else {
                continue;
            };
            if SPI0_PINS.contains(pin) {
                let message = format!(
                    "pin {pin} is one of BCM 7 to 11, which SPI0 needs for the display; choose another pin"
                );
                self.report(line, key.to_string(), message);
            }
            // Report a clash once: on this key when the other one comes earlier in the list or
            // keeps its default value.
            for (j, (other, other_pin)) in assignments.iter().enumerate() {
                let other_set = value_line(root, other).is_some();
                if i != j && pin == other_pin && (j < i || !other_set) {
                    let message = format!(
                        "pin {pin} is also used by `{other}`; each pin can serve one purpose"
                    );
                    self.report(line, key.to_string(), message);
                }
            }
        }
    }
}

/// Returns the line of the value at dotted `key`, when the file sets it.
fn value_line(root: &RawTable, key: &str) -> Option<usize> {
    let (section, name) = key.split_once('.')?;
    match &root.get(section)?.value.kind {
        RawKind::Table(table) => table.get(name).map(|entry| entry.value.line),
        _ => None,
    }
}

fn describe(value: &RawValue) -> String {
    match &value.kind {
        RawKind::String(text) => format!("{text:?}"),
        RawKind::Integer(Ok(number)) => number.to_string(),
        RawKind::Integer(Err(literal)) => format!("{literal} (out of range)"),
        RawKind::Float(number) => format!("{number} (a float)"),
        RawKind::Boolean(flag) => flag.to_string(),
        RawKind::Datetime(text) => format!("{text} (a date-time)"),
        RawKind::Array(_) => "(an array)".to_string(),
        RawKind::Table(_) => "(a table)".to_string(),
    }
}

fn link_name_reason(error: &crate::netlink::Error) -> String {
    match &error.kind {
        crate::netlink::ErrorKind::InvalidArgument(why) => why.clone(),
        _ => error.to_string(),
    }
}

fn parse_cidr(text: &str) -> Option<Cidr> {
    let (address, prefix_len) = text.split_once('/')?;
    let address: IpAddr = address.parse().ok()?;
    let prefix_len: u8 = prefix_len.parse().ok()?;
    let max = if address.is_ipv6() { 128 } else { 32 };
    (1..=max).contains(&prefix_len).then_some(Cidr {
        address,
        prefix_len,
    })
}

/// Rejects addresses that cannot name one host: unspecified, loopback, multicast, broadcast.
fn is_host_address(address: IpAddr) -> bool {
    let broadcast = address == IpAddr::V4(Ipv4Addr::BROADCAST);
    !(address.is_unspecified() || address.is_loopback() || address.is_multicast() || broadcast)
}

/// Returns why the kernel would refuse `gateway` as next hop on `cidr`'s subnet, if it would:
/// the interface's own address, or the IPv4 network or broadcast address of a subnet that has
/// them (prefixes up to /30).
fn unusable_gateway(gateway: IpAddr, cidr: Cidr) -> Option<&'static str> {
    if gateway == cidr.address {
        return Some("the interface's own address");
    }
    let (IpAddr::V4(gateway), IpAddr::V4(address)) = (gateway, cidr.address) else {
        return None;
    };
    if cidr.prefix_len > 30 {
        return None;
    }
    let host_bits = u32::MAX >> cidr.prefix_len;
    let network = u32::from(address) & !host_bits;
    match u32::from(gateway) {
        value if value == network => Some("the network address of the subnet"),
        value if value == network | host_bits => Some("the broadcast address of the subnet"),
        _ => None,
    }
}

/// Returns true when `gateway` is inside the subnet of `cidr`, or IPv6 link-local.
fn is_reachable(gateway: IpAddr, cidr: Cidr) -> bool {
    match (gateway, cidr.address) {
        (IpAddr::V4(gateway), IpAddr::V4(address)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(cidr.prefix_len))
                .unwrap_or(0);
            u32::from(gateway) & mask == u32::from(address) & mask
        }
        (IpAddr::V6(gateway), IpAddr::V6(address)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(cidr.prefix_len))
                .unwrap_or(0);
            is_link_local(gateway) || u128::from(gateway) & mask == u128::from(address) & mask
        }
        _ => false,
    }
}

fn is_link_local(address: Ipv6Addr) -> bool {
    address.segments()[0] & 0xffc0 == 0xfe80
}

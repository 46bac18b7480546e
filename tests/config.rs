//! Black-box tests of the configuration file: defaults, every class of problem, and the shipped
//! example held to the list of accepted keys.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

use rustyjack::config::{Cidr, ColourOrder, Config, ConfigError, LogLevel, Rotation};

const EXAMPLE: &str = include_str!("../deploy/config.example.toml");

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("test.toml"))
}

/// Parses text that must be invalid and returns the displayed lines.
fn problems(text: &str) -> Vec<String> {
    let error = parse(text).expect_err("config should be rejected");
    assert!(error.is_invalid());
    error.to_string().lines().map(str::to_string).collect()
}

fn assert_single(text: &str, expected: &str) {
    assert_eq!(problems(text), vec![expected.to_string()]);
}

#[test]
fn missing_file_gives_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(&dir.path().join("absent.toml")).unwrap();
    assert_eq!(config, Config::default());
}

#[test]
fn empty_file_gives_defaults() {
    assert_eq!(parse("").unwrap(), Config::default());
    assert_eq!(parse("# only a comment\n").unwrap(), Config::default());
}

#[test]
fn unreadable_file_is_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = Config::load(dir.path()).expect_err("a directory is not a file");
    assert!(!error.is_invalid());
    assert!(
        error
            .to_string()
            .starts_with("cannot read configuration file")
    );
}

#[test]
fn load_reads_file_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[display]\nrotation = 45\n").unwrap();
    let error = Config::load(&path).unwrap_err();
    let expected = format!(
        "{}:2: key `display.rotation`: invalid value 45; accepted values: 0, 90, 180, 270",
        path.display()
    );
    assert_eq!(error.to_string(), expected);
}

#[test]
fn defaults_match_hat() {
    let config = Config::default();
    assert_eq!(config.display.rotation, Rotation::Deg0);
    assert_eq!(config.display.colour_order, ColourOrder::Bgr);
    assert_eq!(
        (config.display.col_offset, config.display.row_offset),
        (1, 2)
    );
    assert_eq!(config.display.spi_hz, 16_000_000);
    assert_eq!(
        (
            config.display.dc_pin,
            config.display.rst_pin,
            config.display.backlight_pin
        ),
        (25, 27, 24)
    );
    let b = config.buttons;
    assert_eq!((b.up, b.down, b.left, b.right, b.press), (6, 19, 5, 26, 13));
    assert_eq!((b.key1, b.key2, b.key3), (21, 20, 16));
    assert_eq!(config.isolation.recheck_interval, Duration::from_secs(60));
    assert_eq!(
        config.isolation.request_timeout,
        Duration::from_millis(2000)
    );
    assert_eq!(config.log.level, LogLevel::Info);
}

#[test]
fn every_key_is_applied() {
    let text = r#"
[isolation]
keep = ["wg*", "tun?"]
recheck_interval_s = 30
request_timeout_ms = 500

[uplink.eth0]
address = "192.0.2.10/24"
gateway = "192.0.2.1"
address6 = "2001:db8::10/64"
gateway6 = "fe80::1"

[display]
rotation = 270
col_offset = 2
row_offset = 1
colour_order = "rgb"
invert = true
spi_hz = 8_000_000
backlight_timeout_s = 0
dc_pin = 22
rst_pin = 23
backlight_pin = 12

[buttons]
up = 19
down = 6
left = 26
right = 5
press = 13
key1 = 4
key2 = 17
key3 = 18
debounce_ms = 5
repeat_delay_ms = 400
repeat_interval_ms = 100
long_press_ms = 800

[log]
level = "debug"
"#;
    let config = parse(text).unwrap();

    let keeps = |name: &str| config.isolation.keep.iter().any(|p| p.matches(name));
    assert!(keeps("wg0"));
    assert!(keeps("tun1"));
    assert!(!keeps("eth1"));
    assert_eq!(config.isolation.recheck_interval, Duration::from_secs(30));
    assert_eq!(config.isolation.request_timeout, Duration::from_millis(500));

    let uplink = &config.uplinks["eth0"];
    let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));
    assert_eq!(
        uplink.address,
        Some(Cidr {
            address: v4,
            prefix_len: 24
        })
    );
    assert_eq!(uplink.gateway, Some(Ipv4Addr::new(192, 0, 2, 1)));
    let v6: Ipv6Addr = "2001:db8::10".parse().unwrap();
    assert_eq!(
        uplink.address6,
        Some(Cidr {
            address: IpAddr::V6(v6),
            prefix_len: 64
        })
    );
    assert_eq!(uplink.gateway6, Some("fe80::1".parse().unwrap()));

    let display = config.display;
    assert_eq!(display.rotation, Rotation::Deg270);
    assert_eq!((display.col_offset, display.row_offset), (2, 1));
    assert_eq!(display.colour_order, ColourOrder::Rgb);
    assert!(display.invert);
    assert_eq!(display.spi_hz, 8_000_000);
    assert_eq!(display.backlight_timeout, None);
    assert_eq!(
        (display.dc_pin, display.rst_pin, display.backlight_pin),
        (22, 23, 12)
    );

    let b = config.buttons;
    assert_eq!((b.up, b.down, b.left, b.right, b.press), (19, 6, 26, 5, 13));
    assert_eq!((b.key1, b.key2, b.key3), (4, 17, 18));
    assert_eq!(b.debounce, Duration::from_millis(5));
    assert_eq!(b.repeat_delay, Duration::from_millis(400));
    assert_eq!(b.repeat_interval, Duration::from_millis(100));
    assert_eq!(b.long_press, Duration::from_millis(800));
    assert_eq!(config.log.level, LogLevel::Debug);
}

#[test]
fn rotation_invalid_value() {
    assert_single(
        "[display]\nrotation = 45\n",
        "test.toml:2: key `display.rotation`: invalid value 45; accepted values: 0, 90, 180, 270",
    );
}

#[test]
fn wrong_type_shows_value() {
    assert_single(
        "[isolation]\nrecheck_interval_s = \"60\"\n",
        "test.toml:2: key `isolation.recheck_interval_s`: invalid value \"60\"; accepted values: 1 to 86400 (seconds)",
    );
    assert_single(
        "[display]\ninvert = 1\n",
        "test.toml:2: key `display.invert`: invalid value 1; accepted values: true, false",
    );
}

#[test]
fn out_of_range_integer() {
    assert_single(
        "[isolation]\nrequest_timeout_ms = 99999999999999999999\n",
        "test.toml:2: key `isolation.request_timeout_ms`: invalid value 99999999999999999999 (out of range); accepted values: 100 to 60000 (milliseconds)",
    );
    assert_single(
        "[display]\nspi_hz = 40_000_000\n",
        "test.toml:2: key `display.spi_hz`: invalid value 40000000; accepted values: 1000000 to 32000000 (Hz); 16000000 is the default, 8000000 and 4000000 are slower fallbacks",
    );
}

#[test]
fn unknown_key_lists_accepted_keys() {
    let lines = problems("[log]\nlevel = \"info\"\nverbosity = 3\n");
    assert_eq!(
        lines,
        vec!["test.toml:3: key `log.verbosity`: unknown key; accepted keys in [log]: level"]
    );
}

#[test]
fn unknown_section_is_rejected() {
    let lines = problems("\n[screen]\nrotation = 90\n");
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with(
        "test.toml:2: key `screen`: unknown section; accepted sections: isolation, uplink"
    ));
}

#[test]
fn section_must_be_table() {
    assert_single(
        "display = 3\n",
        "test.toml:1: key `display`: expected a table, found an integer",
    );
}

#[test]
fn choice_lists_words() {
    assert_single(
        "[log]\nlevel = \"verbose\"\n",
        "test.toml:2: key `log.level`: invalid value \"verbose\"; accepted values: \"error\", \"warn\", \"info\", \"debug\", \"trace\"",
    );
    assert_single(
        "[display]\ncolour_order = \"BGR\"\n",
        "test.toml:2: key `display.colour_order`: invalid value \"BGR\"; accepted values: \"bgr\", \"rgb\"",
    );
}

#[test]
fn several_problems_reported_at_once() {
    let text = "\
[display]
rotation = 45
colour_order = \"grb\"

[buttons]
up = 40
jump = 3

[log]
level = 2
";
    let lines = problems(text);
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert!(lines[0].starts_with("test.toml:2: key `display.rotation`: "));
    assert!(lines[1].starts_with("test.toml:3: key `display.colour_order`: "));
    assert!(
        lines[2].starts_with(
            "test.toml:6: key `buttons.up`: invalid value 40; accepted values: 0 to 27"
        )
    );
    assert!(lines[3].starts_with("test.toml:7: key `buttons.jump`: unknown key"));
    assert!(lines[4].starts_with("test.toml:10: key `log.level`: invalid value 2"));
}

#[test]
fn syntax_error_has_line() {
    let lines = problems("[display]\nrotation = 90\ninvert = tru\n");
    assert!(!lines.is_empty());
    assert!(
        lines[0].starts_with("test.toml:3: invalid TOML: "),
        "{lines:#?}"
    );
}

#[test]
fn keep_pattern_rules() {
    let config = parse("[isolation]\nkeep = [\"wg*\", \"tun0\"]\n").unwrap();
    let patterns: Vec<&str> = config.isolation.keep.iter().map(|p| p.as_str()).collect();
    assert_eq!(patterns, ["wg*", "tun0"]);

    for bad in [
        "\"*\"",
        "\"?*\"",
        "\"\"",
        "\"eth/0\"",
        "\"a b\"",
        "\"abcdefghijklmnop*\"",
        "3",
    ] {
        let text = format!("[isolation]\nkeep = [\"wg0\", {bad}]\n");
        let lines = problems(&text);
        assert_eq!(lines.len(), 1, "{bad}: {lines:#?}");
        assert!(
            lines[0].starts_with("test.toml:2: key `isolation.keep`: invalid value"),
            "{bad}"
        );
    }
    assert_single(
        "[isolation]\nkeep = \"wg*\"\n",
        "test.toml:2: key `isolation.keep`: invalid value \"wg*\"; accepted values: an array of interface name patterns such as [\"wg*\", \"tun0\"]",
    );
}

#[test]
fn uplink_name_must_be_interface_name() {
    let lines = problems("[uplink.\"eth:0\"]\naddress = \"192.0.2.10/24\"\n");
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("test.toml:1: key `uplink.eth:0`: invalid interface name: "));

    let lines = problems("[uplink.abcdefghijklmnop]\n");
    assert!(lines[0].contains("16 bytes long"), "{lines:#?}");
}

#[test]
fn uplink_address_family_checked() {
    let lines =
        problems("[uplink.eth0]\naddress = \"2001:db8::1/64\"\naddress6 = \"192.0.2.1/24\"\n");
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("test.toml:2: key `uplink.eth0.address`: invalid value \"2001:db8::1/64\"; accepted values: an IPv4 address"));
    assert!(lines[1].starts_with("test.toml:3: key `uplink.eth0.address6`: invalid value \"192.0.2.1/24\"; accepted values: an IPv6 address"));
}

#[test]
fn uplink_address_needs_prefix() {
    for bad in [
        "192.0.2.10",
        "192.0.2.10/33",
        "192.0.2.10/0",
        "192.0.2/24",
        "224.0.0.1/4",
        "0.0.0.0/8",
    ] {
        let text = format!("[uplink.eth0]\naddress = \"{bad}\"\n");
        let lines = problems(&text);
        assert_eq!(lines.len(), 1, "{bad}");
        assert!(
            lines[0].contains("key `uplink.eth0.address`: invalid value"),
            "{bad}"
        );
    }
}

#[test]
fn uplink_gateway_checked() {
    let lines = problems("[uplink.eth0]\ngateway = \"192.0.2.1\"\n");
    assert_eq!(
        lines,
        vec![
            "test.toml:2: key `uplink.eth0.gateway`: a static gateway needs a static address; set `uplink.eth0.address` too or remove this key"
        ]
    );

    let lines =
        problems("[uplink.eth0]\naddress = \"192.0.2.10/24\"\ngateway = \"198.51.100.1\"\n");
    assert!(lines[0].starts_with("test.toml:3: key `uplink.eth0.gateway`: invalid value \"198.51.100.1\"; accepted values: an IPv4 address inside"));

    let lines = problems("[uplink.eth0]\naddress = \"192.0.2.10/24\"\ngateway = \"fe80::1\"\n");
    assert!(
        lines[0].starts_with("test.toml:3: key `uplink.eth0.gateway`: invalid value \"fe80::1\"")
    );

    let lines =
        problems("[uplink.eth0]\naddress6 = \"2001:db8::10/64\"\ngateway6 = \"2001:db9::1\"\n");
    assert!(lines[0].starts_with("test.toml:3: key `uplink.eth0.gateway6`: invalid value"));

    let config =
        parse("[uplink.eth0]\naddress6 = \"2001:db8::10/64\"\ngateway6 = \"2001:db8::1\"\n")
            .unwrap();
    assert_eq!(
        config.uplinks["eth0"].gateway6,
        Some("2001:db8::1".parse().unwrap())
    );
}

#[test]
fn uplink_unknown_key() {
    let lines = problems("[uplink.eth0]\nnetmask = \"255.255.255.0\"\n");
    assert_eq!(
        lines,
        vec![
            "test.toml:2: key `uplink.eth0.netmask`: unknown key; accepted keys in [uplink.<name>]: address, gateway, address6, gateway6"
        ]
    );
}

#[test]
fn pin_used_twice() {
    assert_single(
        "[buttons]\nkey1 = 6\n",
        "test.toml:2: key `buttons.key1`: pin 6 is also used by `buttons.up`; each pin can serve one purpose",
    );
    let lines = problems("[display]\ndc_pin = 4\n[buttons]\nkey1 = 4\n");
    assert_eq!(
        lines,
        vec![
            "test.toml:4: key `buttons.key1`: pin 4 is also used by `display.dc_pin`; each pin can serve one purpose"
        ]
    );
    // Swapping two defaults is fine: no pin ends up used twice.
    assert!(parse("[buttons]\nup = 19\ndown = 6\n").is_ok());
}

#[test]
fn pin_on_spi0_rejected() {
    assert_single(
        "[display]\nbacklight_pin = 8\n",
        "test.toml:2: key `display.backlight_pin`: pin 8 is one of BCM 7 to 11, which SPI0 needs for the display; choose another pin",
    );
}

#[test]
fn example_parses_to_defaults() {
    let config = parse(EXAMPLE).unwrap();
    assert_eq!(config, Config::default());
}

/// Removes the `# ` from commented-out assignments and table headers, keeping prose comments.
fn uncomment(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("# ")?;
    (is_assignment(rest) || is_header(rest)).then_some(rest)
}

fn is_assignment(line: &str) -> bool {
    line.split_once(" = ").is_some_and(|(key, _)| {
        !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    })
}

fn is_header(line: &str) -> bool {
    line.starts_with('[') && line.ends_with(']')
}

#[test]
fn example_commented_uplink_parses() {
    let text: String = EXAMPLE
        .lines()
        .map(|line| uncomment(line).unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n");
    let config = parse(&text).unwrap();
    let uplink = &config.uplinks["eth0"];
    assert!(uplink.address.is_some());
    assert!(uplink.gateway.is_some());
    assert!(uplink.address6.is_some());
    assert!(uplink.gateway6.is_some());
}

/// Lists `(section.key, documented)` for every assignment in the example, commented out or not.
/// A key is documented when a prose comment sits directly above its group of assignments.
fn example_keys() -> Vec<(String, bool)> {
    let lines: Vec<&str> = EXAMPLE
        .lines()
        .map(|line| uncomment(line).unwrap_or(line))
        .collect();
    let mut section = String::new();
    let mut keys = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if is_header(line) {
            section = line
                .trim_matches(['[', ']'])
                .replace("uplink.eth0", "uplink.<name>");
        } else if is_assignment(line) {
            let key = line.split_once(" = ").unwrap().0;
            let above = lines[..i].iter().rev().find(|line| !is_assignment(line));
            let documented = above.is_some_and(|line| line.starts_with("# "));
            keys.push((format!("{section}.{key}"), documented));
        }
    }
    keys
}

#[test]
fn example_documents_every_known_key() {
    let keys = example_keys();
    for known in Config::KNOWN_KEYS {
        let found = keys.iter().find(|(key, _)| key == known);
        assert!(
            found.is_some(),
            "{known} is missing from deploy/config.example.toml"
        );
        assert!(
            found.unwrap().1,
            "{known} has no comment above it in the example"
        );
    }
    for (key, _) in &keys {
        assert!(
            Config::KNOWN_KEYS.contains(&key.as_str()),
            "example sets unknown key {key}"
        );
    }
}

#[test]
fn fifo_and_device_are_read_errors() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.toml");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads the NUL-terminated path, which outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);

    for path in [fifo.as_path(), Path::new("/dev/zero")] {
        let error = Config::load(path).expect_err("only a regular file is a configuration");
        let cause = std::error::Error::source(&error).unwrap().to_string();
        assert_eq!(cause, "not a regular file", "{}", path.display());
    }
}

#[test]
fn gateway_must_be_usable_host() {
    let cases = [
        ("192.0.2.0", "the network address of the subnet"),
        ("192.0.2.255", "the broadcast address of the subnet"),
        ("192.0.2.10", "the interface's own address"),
    ];
    for (gateway, why) in cases {
        let text = format!("[uplink.eth0]\naddress = \"192.0.2.10/24\"\ngateway = \"{gateway}\"\n");
        let expected = format!(
            "test.toml:3: key `uplink.eth0.gateway`: gateway {gateway} is {why}; use the router's address"
        );
        assert_single(&text, &expected);
    }
    let own6 = "[uplink.eth0]\naddress6 = \"2001:db8::10/64\"\ngateway6 = \"2001:db8::10\"\n";
    assert_eq!(problems(own6).len(), 1);
    let point_to_point = "[uplink.eth0]\naddress = \"192.0.2.1/31\"\ngateway = \"192.0.2.0\"\n";
    assert!(
        parse(point_to_point).is_ok(),
        "a /31 has no network or broadcast address"
    );
}

//! The TOML configuration file, read in two stages: `raw` turns the text into tables that carry
//! line numbers, then `check` validates them into the typed [`Config`], collecting every problem
//! before it returns so that one run reports them all.
//!
//! Every key is optional and a missing file means all defaults. [`Config::KNOWN_KEYS`] lists
//! each accepted key; the checker rejects anything else, and a test checks the shipped example
//! file against the same list.

mod check;
mod error;
mod glob;
mod raw;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

pub use error::{ConfigError, Problem};
pub use glob::Pattern;

/// Configuration file read when `--config` is not given.
pub const DEFAULT_PATH: &str = "/etc/rustyjack/config.toml";

/// The validated configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub isolation: IsolationSettings,
    /// Static addressing per uplink interface name, from `[uplink.<name>]` tables.
    pub uplinks: BTreeMap<String, UplinkSettings>,
    pub display: DisplaySettings,
    pub buttons: ButtonSettings,
    pub log: LogSettings,
}

/// `[isolation]`: what is never isolated and how often the kernel state is re-checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsolationSettings {
    /// Name patterns of interfaces that stay untouched besides the uplink and loopback.
    pub keep: Vec<Pattern>,
    /// Period of the safety re-check that runs even when no kernel event arrives.
    pub recheck_interval: Duration,
    /// Deadline for each netlink request.
    pub request_timeout: Duration,
}

/// `[uplink.<name>]`: static addresses for one uplink; `None` leaves that family alone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UplinkSettings {
    pub address: Option<Cidr>,
    pub gateway: Option<Ipv4Addr>,
    pub address6: Option<Cidr>,
    pub gateway6: Option<Ipv6Addr>,
}

/// An interface address with its prefix length, such as 192.0.2.10/24.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub address: IpAddr,
    pub prefix_len: u8,
}

/// `[display]`: how the ST7735S panel is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisplaySettings {
    pub rotation: Rotation,
    /// Column of the controller's memory where the visible area starts.
    pub col_offset: u16,
    /// Row of the controller's memory where the visible area starts.
    pub row_offset: u16,
    pub colour_order: ColourOrder,
    /// Whether the panel inverts colours (INVON instead of INVOFF).
    pub invert: bool,
    /// SPI clock in Hz; the kernel's spidev driver rounds it down to a divisor of the core clock.
    pub spi_hz: u32,
    /// Idle time before the backlight goes off; `None` keeps it on.
    pub backlight_timeout: Option<Duration>,
    /// BCM pin of the panel's data/command line.
    pub dc_pin: u8,
    /// BCM pin of the panel's reset line (active low).
    pub rst_pin: u8,
    /// BCM pin of the backlight (high = on).
    pub backlight_pin: u8,
}

/// Clockwise rotation of the picture relative to the HAT's usual landscape orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    Deg0,
    Deg90,
    Deg180,
    Deg270,
}

/// Order of the colour channels the panel expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourOrder {
    Bgr,
    Rgb,
}

/// `[buttons]`: BCM pins of the joystick and keys, and input timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ButtonSettings {
    pub up: u8,
    pub down: u8,
    pub left: u8,
    pub right: u8,
    pub press: u8,
    pub key1: u8,
    pub key2: u8,
    pub key3: u8,
    /// Time a level must stay stable before an edge counts.
    pub debounce: Duration,
    /// Hold time before a held up or down starts repeating.
    pub repeat_delay: Duration,
    /// Time between repeats while held.
    pub repeat_interval: Duration,
    /// Hold time after which a press counts as a long press.
    pub long_press: Duration,
}

/// `[log]`: the default log level, overridden by `--log-level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogSettings {
    pub level: LogLevel,
}

/// A `tracing` level, spelled as in `RUST_LOG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

impl Config {
    /// Every key the checker accepts, dotted; `<name>` stands for an uplink interface name.
    pub const KNOWN_KEYS: &'static [&'static str] = &[
        "isolation.keep",
        "isolation.recheck_interval_s",
        "isolation.request_timeout_ms",
        "uplink.<name>.address",
        "uplink.<name>.gateway",
        "uplink.<name>.address6",
        "uplink.<name>.gateway6",
        "display.rotation",
        "display.col_offset",
        "display.row_offset",
        "display.colour_order",
        "display.invert",
        "display.spi_hz",
        "display.backlight_timeout_s",
        "display.dc_pin",
        "display.rst_pin",
        "display.backlight_pin",
        "buttons.up",
        "buttons.down",
        "buttons.left",
        "buttons.right",
        "buttons.press",
        "buttons.key1",
        "buttons.key2",
        "buttons.key3",
        "buttons.debounce_ms",
        "buttons.repeat_delay_ms",
        "buttons.repeat_interval_ms",
        "buttons.long_press_ms",
        "log.level",
    ];

    /// Reads and validates the file at `path`; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match read_regular_file(path) {
            Ok(text) => Config::parse(&text, path),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Validates TOML `text`; `path` only labels the problems.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |problems| ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        };
        let table = raw::parse(text).map_err(|errors| invalid(check::syntax_problems(errors)))?;
        check::check(&table).map_err(invalid)
    }
}

/// Largest configuration file read; the commented example is under 10 KiB.
const MAX_CONFIG_LEN: u64 = 1024 * 1024;

/// Reads a configuration file of at most [`MAX_CONFIG_LEN`] bytes.
///
/// Anything but a regular file is refused before reading: a FIFO would block the read and
/// `/dev/zero` would fill the memory.
fn read_regular_file(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(Error::new(ErrorKind::InvalidInput, "not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_LEN + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CONFIG_LEN {
        let message = format!("larger than {MAX_CONFIG_LEN} bytes");
        return Err(Error::new(ErrorKind::InvalidData, message));
    }
    String::from_utf8(bytes).map_err(|_| Error::new(ErrorKind::InvalidData, "not UTF-8 text"))
}

impl Default for IsolationSettings {
    fn default() -> IsolationSettings {
        IsolationSettings {
            keep: Vec::new(),
            recheck_interval: Duration::from_secs(60),
            request_timeout: Duration::from_millis(2000),
        }
    }
}

/// Defaults for the Waveshare 1.44" LCD HAT: BGR, no inversion, offsets 1 and 2, 16 MHz, DC on
/// BCM 25, reset on BCM 27 and backlight on BCM 24.
impl Default for DisplaySettings {
    fn default() -> DisplaySettings {
        DisplaySettings {
            rotation: Rotation::Deg0,
            col_offset: 1,
            row_offset: 2,
            colour_order: ColourOrder::Bgr,
            invert: false,
            spi_hz: 16_000_000,
            backlight_timeout: Some(Duration::from_secs(120)),
            dc_pin: 25,
            rst_pin: 27,
            backlight_pin: 24,
        }
    }
}

/// Defaults for the Waveshare 1.44" LCD HAT's joystick and three keys.
impl Default for ButtonSettings {
    fn default() -> ButtonSettings {
        ButtonSettings {
            up: 6,
            down: 19,
            left: 5,
            right: 26,
            press: 13,
            key1: 21,
            key2: 20,
            key3: 16,
            debounce: Duration::from_millis(20),
            repeat_delay: Duration::from_millis(500),
            repeat_interval: Duration::from_millis(150),
            long_press: Duration::from_millis(1000),
        }
    }
}

impl Rotation {
    /// Returns the rotation in degrees clockwise.
    pub fn degrees(self) -> u16 {
        match self {
            Rotation::Deg0 => 0,
            Rotation::Deg90 => 90,
            Rotation::Deg180 => 180,
            Rotation::Deg270 => 270,
        }
    }
}

impl LogLevel {
    /// Returns the level as spelled in the file and in `RUST_LOG`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

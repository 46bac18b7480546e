//! Settings for the LCD panel and the buttons, with the Waveshare 1.44" HAT wiring as defaults.
//!
//! The TOML layer fills these structs; nothing here reads files.

use std::time::Duration;

/// Panel orientation, in degrees clockwise from the controller's native portrait scan.
///
/// Each value is one MADCTL setting of the ST7735S (MY, MX and MV bits, datasheet section
/// 10.1.27). Rotating the image moves the visible 128x128 window inside the controller's
/// 132x162 memory, so a new rotation usually needs new offsets as well. For the glass where the
/// default landscape offsets (1, 2) put it, the column and row offsets are (2, 1) at 0, (2, 33)
/// at 180 and (33, 2) at 270 degrees.
///
/// NOTE: these offsets follow from the datasheet's address mapping as modelled in
/// [`fake`](super::fake); only the landscape default comes from the HAT's documentation, and
/// none has been checked on a panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rotation {
    /// MADCTL 0x00.
    Deg0,
    /// MADCTL 0x60 (MV and MX): the HAT's landscape default.
    Deg90,
    /// MADCTL 0xC0 (MY and MX).
    Deg180,
    /// MADCTL 0xA0 (MY and MV).
    Deg270,
}

impl Rotation {
    /// Every rotation, in ascending order.
    pub const ALL: [Rotation; 4] = [
        Rotation::Deg0,
        Rotation::Deg90,
        Rotation::Deg180,
        Rotation::Deg270,
    ];

    /// Parses 0, 90, 180 or 270.
    pub fn from_degrees(degrees: u16) -> Option<Rotation> {
        match degrees {
            0 => Some(Rotation::Deg0),
            90 => Some(Rotation::Deg90),
            180 => Some(Rotation::Deg180),
            270 => Some(Rotation::Deg270),
            _ => None,
        }
    }

    /// Returns the angle in degrees.
    pub fn degrees(self) -> u16 {
        match self {
            Rotation::Deg0 => 0,
            Rotation::Deg90 => 90,
            Rotation::Deg180 => 180,
            Rotation::Deg270 => 270,
        }
    }

    /// Returns the MADCTL value without the colour-order bit.
    pub fn madctl(self) -> u8 {
        match self {
            Rotation::Deg0 => 0x00,
            Rotation::Deg90 => 0x60,
            Rotation::Deg180 => 0xC0,
            Rotation::Deg270 => 0xA0,
        }
    }
}

/// BCM pin numbers of the panel's control lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PanelPins {
    /// Data/command select: low for a command byte, high for parameters and pixel data.
    pub dc: u8,
    /// Reset, active low.
    pub reset: u8,
    /// Backlight, high for on.
    pub backlight: u8,
}

impl Default for PanelPins {
    fn default() -> Self {
        PanelPins {
            dc: 25,
            reset: 27,
            backlight: 24,
        }
    }
}

/// Settings of the ST7735S panel on SPI0 CE0 (`/dev/spidev0.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayConfig {
    pub rotation: Rotation,
    /// Column added to every CASET address, to reach the visible window in controller memory.
    pub col_offset: u16,
    /// Row added to every RASET address.
    pub row_offset: u16,
    /// True for panels wired blue-green-red, which need the MADCTL BGR bit.
    pub bgr: bool,
    /// True for panels that need INVON to show true colours.
    pub invert: bool,
    /// SPI clock in Hz; 8 and 4 MHz are the fallbacks when 16 MHz gives a noisy picture.
    pub spi_hz: u32,
    /// Idle time after which the backlight goes off; zero keeps it on.
    pub backlight_timeout: Duration,
    pub pins: PanelPins,
}

impl Default for DisplayConfig {
    fn default() -> Self {
        DisplayConfig {
            rotation: Rotation::Deg90,
            col_offset: 1,
            row_offset: 2,
            bgr: true,
            invert: false,
            spi_hz: 16_000_000,
            backlight_timeout: Duration::from_secs(60),
            pins: PanelPins::default(),
        }
    }
}

/// BCM pin numbers of the joystick and the three keys; all are active low.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ButtonPins {
    pub up: u8,
    pub down: u8,
    pub left: u8,
    pub right: u8,
    pub press: u8,
    pub key1: u8,
    pub key2: u8,
    pub key3: u8,
}

impl Default for ButtonPins {
    fn default() -> Self {
        ButtonPins {
            up: 6,
            down: 19,
            left: 5,
            right: 26,
            press: 13,
            key1: 21,
            key2: 20,
            key3: 16,
        }
    }
}

/// Timing and wiring of the buttons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonConfig {
    pub pins: ButtonPins,
    /// Time after an accepted edge during which further edges of that button are bounces.
    pub debounce: Duration,
    /// Hold time before up and down start to repeat.
    pub repeat_delay: Duration,
    /// Time between two repeats while up or down stays held.
    pub repeat_interval: Duration,
    /// Hold time after which the other buttons report a long press.
    pub long_press: Duration,
}

impl Default for ButtonConfig {
    fn default() -> Self {
        ButtonConfig {
            pins: ButtonPins::default(),
            debounce: Duration::from_millis(20),
            repeat_delay: Duration::from_millis(400),
            repeat_interval: Duration::from_millis(120),
            long_press: Duration::from_millis(800),
        }
    }
}

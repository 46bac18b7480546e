//! The Waveshare 1.44" LCD HAT through rppal: the panel on SPI0 CE0, its DC, reset and
//! backlight pins, and the eight buttons.

use std::thread;

use rppal::gpio::{Gpio, InputPin, OutputPin, Trigger};
use rppal::hal::Delay;
use rppal::spi::{Bus, Mode, SimpleHalSpiDevice, SlaveSelect, Spi};
use tokio::sync::mpsc;

use super::buttons::Button;
use super::config::{ButtonConfig, DisplayConfig};
use super::frame::Frame;
use super::input::InputEvent;
use super::panel::{Panel, PanelError};

const SPI_DEVICE: &str = "/dev/spidev0.0";
const SPI_FIX: &str = "enable SPI with dtparam=spi=on in /boot/firmware/config.txt and reboot";
const GPIO_FIX: &str = "run on a Raspberry Pi with the LCD HAT, or use --display sim --input keys";

/// A failure to reach the HAT.
#[derive(Debug, thiserror::Error)]
pub enum HatError {
    #[error("cannot open {SPI_DEVICE}: {source}; {SPI_FIX}")]
    Spi { source: rppal::spi::Error },
    #[error("cannot open the GPIO controller (/dev/gpiochip0): {source}; {GPIO_FIX}")]
    Gpio { source: rppal::gpio::Error },
    #[error("cannot claim GPIO {pin} for the {role}: {source}")]
    Pin {
        pin: u8,
        role: &'static str,
        source: rppal::gpio::Error,
    },
    #[error("cannot start the button thread: {0}")]
    Thread(std::io::Error),
    #[error(transparent)]
    Panel(#[from] PanelError),
}

type HatPanel = Panel<SimpleHalSpiDevice, OutputPin, OutputPin>;

/// The panel and backlight of the HAT.
pub struct HatDisplay {
    panel: HatPanel,
    backlight: OutputPin,
}

fn output_pin(gpio: &Gpio, pin: u8, role: &'static str) -> Result<rppal::gpio::Pin, HatError> {
    gpio.get(pin)
        .map_err(|source| HatError::Pin { pin, role, source })
}

impl HatDisplay {
    /// Opens SPI and the control pins, resets and initialises the panel, and lights it.
    pub fn open(config: &DisplayConfig) -> Result<HatDisplay, HatError> {
        let spi = Spi::new(Bus::Spi0, SlaveSelect::Ss0, config.spi_hz, Mode::Mode0)
            .map_err(|source| HatError::Spi { source })?;
        let gpio = Gpio::new().map_err(|source| HatError::Gpio { source })?;
        let pins = config.pins;
        let dc = output_pin(&gpio, pins.dc, "panel DC line")?.into_output_low();
        let reset = output_pin(&gpio, pins.reset, "panel reset line")?.into_output_high();
        let backlight = output_pin(&gpio, pins.backlight, "backlight")?.into_output_low();
        let mut panel = Panel::new(SimpleHalSpiDevice::new(spi), dc, reset, config);
        panel.init(&mut Delay::new())?;
        let mut display = HatDisplay { panel, backlight };
        display.set_backlight(true)?;
        Ok(display)
    }

    /// Sends the regions of `frame` that changed since the last call.
    pub fn show(&mut self, frame: &Frame) -> Result<(), HatError> {
        self.panel.flush(frame)?;
        Ok(())
    }

    /// Switches the backlight pin (high is on).
    pub fn set_backlight(&mut self, on: bool) -> Result<(), HatError> {
        if on {
            self.backlight.set_high();
        } else {
            self.backlight.set_low();
        }
        Ok(())
    }
}

/// Claims the eight button pins with pull-ups and starts the one thread that waits for their
/// edges and forwards them to `events`.
///
/// The thread blocks in `Gpio::poll_interrupts` without a timeout, so it wakes only for edges.
/// It ends at the first edge after the receiver is dropped, or with the process.
pub fn spawn_buttons(
    config: &ButtonConfig,
    events: mpsc::UnboundedSender<InputEvent>,
) -> Result<(), HatError> {
    let gpio = Gpio::new().map_err(|source| HatError::Gpio { source })?;
    let pins = config.pins;
    let wiring = [
        (Button::Up, pins.up),
        (Button::Down, pins.down),
        (Button::Left, pins.left),
        (Button::Right, pins.right),
        (Button::Press, pins.press),
        (Button::Key1, pins.key1),
        (Button::Key2, pins.key2),
        (Button::Key3, pins.key3),
    ];
    let mut inputs: Vec<(Button, InputPin)> = Vec::with_capacity(wiring.len());
    for (button, pin) in wiring {
        let claim = |source| HatError::Pin {
            pin,
            role: "button",
            source,
        };
        let mut input = gpio.get(pin).map_err(claim)?.into_input_pullup();
        input.set_interrupt(Trigger::Both, None).map_err(claim)?;
        inputs.push((button, input));
    }
    thread::Builder::new()
        .name("buttons".to_string())
        .spawn(move || wait_for_edges(gpio, inputs, events))
        .map_err(HatError::Thread)?;
    Ok(())
}

fn wait_for_edges(
    gpio: Gpio,
    inputs: Vec<(Button, InputPin)>,
    events: mpsc::UnboundedSender<InputEvent>,
) {
    let pins: Vec<&InputPin> = inputs.iter().map(|(_, pin)| pin).collect();
    loop {
        let (pin, event) = match gpio.poll_interrupts(&pins, false, None) {
            Ok(Some(found)) => found,
            Ok(None) => continue,
            Err(error) => {
                tracing::error!(cause = %error, "waiting for button edges failed; buttons stop");
                return;
            }
        };
        let Some((button, _)) = inputs.iter().find(|(_, input)| input.pin() == pin.pin()) else {
            continue;
        };
        // Active low: a falling edge is a press.
        let pressed = event.trigger == Trigger::FallingEdge;
        if events
            .send(InputEvent::Edge {
                button: *button,
                pressed,
            })
            .is_err()
        {
            return;
        }
    }
}

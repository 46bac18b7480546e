//! The ST7735S panel: set-up through the st7735-lcd driver, frames sent as changed regions.
//!
//! st7735-lcd 0.10 writes pixel data in 32-byte SPI writes (`write_pixels_buffered`) or, through
//! its `DrawTarget`, with a full address window per pixel. Both are far too many transactions for
//! a frame, and the driver cannot hand its SPI device back. So the SPI device and the DC pin
//! sit in one shared [`Bus`], and the driver gets handles to it. The driver still does the reset,
//! the init sequence, MADCTL, the offsets and CASET/RASET (`set_address_window`). This module
//! then sends RAMWR and the pixel data itself through the same bus, in writes of at most
//! [`MAX_WRITE`] bytes.
//!
//! The panel remembers the frame it last sent, so each flush sends only the regions that changed.

use std::sync::{Arc, Mutex, MutexGuard};

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{self, OutputPin};
use embedded_hal::spi::{self, Operation, SpiDevice};
use st7735_lcd::instruction::Instruction;
use st7735_lcd::{Orientation, ST7735};

use super::config::{DisplayConfig, Rotation};
use super::frame::{Frame, Region, SIZE};

/// Largest SPI write; the spidev driver rejects longer ones unless its `bufsiz` module
/// parameter is raised (default 4096 bytes, drivers/spi/spidev.c).
pub const MAX_WRITE: usize = 4096;

/// A failed panel operation.
#[derive(Debug, thiserror::Error)]
pub enum PanelError {
    #[error("panel {0} failed")]
    Driver(&'static str),
    #[error("SPI write to the panel failed: {0}")]
    Spi(String),
    #[error("setting the panel DC pin failed: {0}")]
    Dc(String),
}

/// The SPI device and DC pin, shared by the driver and the bulk pixel path.
#[derive(Debug)]
pub struct Bus<SPI, DC> {
    spi: SPI,
    dc: DC,
}

type SharedBus<SPI, DC> = Arc<Mutex<Bus<SPI, DC>>>;

fn lock<SPI, DC>(bus: &SharedBus<SPI, DC>) -> MutexGuard<'_, Bus<SPI, DC>> {
    // A panic while the lock was held leaves the bus as usable as before.
    bus.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The driver's view of the shared SPI device.
pub struct BusSpi<SPI, DC>(SharedBus<SPI, DC>);

impl<SPI: SpiDevice, DC> spi::ErrorType for BusSpi<SPI, DC> {
    type Error = SPI::Error;
}

impl<SPI: SpiDevice, DC> SpiDevice for BusSpi<SPI, DC> {
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), Self::Error> {
        lock(&self.0).spi.transaction(operations)
    }
}

/// The driver's view of the shared DC pin.
pub struct BusDc<SPI, DC>(SharedBus<SPI, DC>);

impl<SPI, DC: OutputPin> digital::ErrorType for BusDc<SPI, DC> {
    type Error = DC::Error;
}

impl<SPI, DC: OutputPin> OutputPin for BusDc<SPI, DC> {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        lock(&self.0).dc.set_low()
    }

    fn set_high(&mut self) -> Result<(), Self::Error> {
        lock(&self.0).dc.set_high()
    }
}

/// The panel with the frame it shows.
pub struct Panel<SPI, DC, RST>
where
    SPI: SpiDevice,
    DC: OutputPin,
    RST: OutputPin,
{
    driver: ST7735<BusSpi<SPI, DC>, BusDc<SPI, DC>, RST>,
    bus: SharedBus<SPI, DC>,
    rotation: Rotation,
    offsets: (u16, u16),
    /// The frame on the panel, or `None` when its content is unknown.
    shown: Option<Frame>,
    bytes: Vec<u8>,
}

fn orientation(rotation: Rotation) -> Orientation {
    match rotation {
        Rotation::Deg0 => Orientation::Portrait,
        Rotation::Deg90 => Orientation::Landscape,
        Rotation::Deg180 => Orientation::PortraitSwapped,
        Rotation::Deg270 => Orientation::LandscapeSwapped,
    }
}

impl<SPI, DC, RST> Panel<SPI, DC, RST>
where
    SPI: SpiDevice,
    DC: OutputPin,
    RST: OutputPin,
{
    /// Wraps the SPI device, DC and reset pins; nothing is sent until [`Panel::init`].
    pub fn new(spi: SPI, dc: DC, reset: RST, config: &DisplayConfig) -> Self {
        let bus = Arc::new(Mutex::new(Bus { spi, dc }));
        let size = SIZE as u32;
        let driver = ST7735::new(
            BusSpi(bus.clone()),
            BusDc(bus.clone()),
            reset,
            !config.bgr,
            config.invert,
            size,
            size,
        );
        Panel {
            driver,
            bus,
            rotation: config.rotation,
            offsets: (config.col_offset, config.row_offset),
            shown: None,
            bytes: Vec::with_capacity(SIZE as usize * SIZE as usize * 2),
        }
    }

    /// Resets the controller and sends the init sequence, rotation and offsets.
    ///
    /// Takes about 630 ms, most of it the delays st7735-lcd waits after SWRESET, SLPOUT and
    /// DISPON.
    pub fn init(&mut self, delay: &mut impl DelayNs) -> Result<(), PanelError> {
        self.driver
            .init(delay)
            .map_err(|()| PanelError::Driver("init"))?;
        self.driver
            .set_orientation(&orientation(self.rotation))
            .map_err(|()| PanelError::Driver("orientation (MADCTL)"))?;
        self.driver.set_offset(self.offsets.0, self.offsets.1);
        self.shown = None;
        Ok(())
    }

    /// Forgets what the panel shows, so the next flush sends the whole frame.
    pub fn invalidate(&mut self) {
        self.shown = None;
    }

    /// Sends the regions of `frame` that differ from the last flush; returns how many.
    pub fn flush(&mut self, frame: &Frame) -> Result<usize, PanelError> {
        let regions = match &self.shown {
            Some(shown) => frame.diff(shown),
            None => vec![Region::FULL],
        };
        // Until every region went out, the panel content is unknown.
        self.shown = None;
        for region in &regions {
            self.send_region(frame, *region)?;
        }
        self.shown = Some(frame.clone());
        Ok(regions.len())
    }

    fn send_region(&mut self, frame: &Frame, region: Region) -> Result<(), PanelError> {
        let right = region.x + region.width - 1;
        let bottom = region.y + region.height - 1;
        self.driver
            .set_address_window(region.x, region.y, right, bottom)
            .map_err(|()| PanelError::Driver("address window (CASET/RASET)"))?;
        self.bytes.clear();
        frame.region_bytes(region, &mut self.bytes);
        let mut bus = lock(&self.bus);
        bus.write_command(Instruction::RAMWR as u8)?;
        bus.write_data(&self.bytes)
    }
}

impl<SPI: SpiDevice, DC: OutputPin> Bus<SPI, DC> {
    fn write_command(&mut self, command: u8) -> Result<(), PanelError> {
        self.dc
            .set_low()
            .map_err(|error| PanelError::Dc(format!("{error:?}")))?;
        self.spi
            .write(&[command])
            .map_err(|error| PanelError::Spi(format!("{error:?}")))
    }

    /// Sends `data` with DC high, in writes of at most [`MAX_WRITE`] bytes.
    fn write_data(&mut self, data: &[u8]) -> Result<(), PanelError> {
        self.dc
            .set_high()
            .map_err(|error| PanelError::Dc(format!("{error:?}")))?;
        for chunk in data.chunks(MAX_WRITE) {
            self.spi
                .write(chunk)
                .map_err(|error| PanelError::Spi(format!("{error:?}")))?;
        }
        Ok(())
    }
}

//! A stand-in ST7735S for tests and benches: an SPI device and a DC pin (embedded-hal 1.0) that
//! decode the command stream into a model of the controller's 132x162 memory.
//!
//! The model follows the ST7735S datasheet (v1.1): CASET and RASET set the window, RAMWR writes
//! RGB565 pixels big-endian and wraps inside the window, and MADCTL maps window addresses to
//! memory. MV exchanges rows and columns first, then MX mirrors the memory column (131 - c) and
//! MY the memory row (161 - r); this is the order in which Adafruit's ST77xx driver picks its
//! offsets. The BGR bit swaps red and blue unless the glass itself is BGR. SWRESET, SLPOUT,
//! INVON, INVOFF, DISPON and DISPOFF update state; other commands and their parameters are
//! accepted and ignored. It counts SPI transactions and bytes for the bench.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::pixelcolor::raw::RawU16;
use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{self, OutputPin};
use embedded_hal::spi::{self, Operation, SpiDevice};

/// Columns of controller memory.
pub const MEMORY_COLUMNS: u16 = 132;
/// Rows of controller memory.
pub const MEMORY_ROWS: u16 = 162;

const SWRESET: u8 = 0x01;
const SLPOUT: u8 = 0x11;
const INVOFF: u8 = 0x20;
const INVON: u8 = 0x21;
const DISPOFF: u8 = 0x28;
const DISPON: u8 = 0x29;
const CASET: u8 = 0x2A;
const RASET: u8 = 0x2B;
const RAMWR: u8 = 0x2C;
const MADCTL: u8 = 0x36;
const COLMOD: u8 = 0x3A;

const MADCTL_MY: u8 = 0x80;
const MADCTL_MX: u8 = 0x40;
const MADCTL_MV: u8 = 0x20;
const MADCTL_BGR: u8 = 0x08;

/// Properties of the glass behind the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glass {
    /// Memory column of the glass's left edge.
    pub column: u16,
    /// Memory row of the glass's top edge.
    pub row: u16,
    /// True when the sub-pixels are blue-green-red, so true colours need the MADCTL BGR bit.
    pub bgr: bool,
    /// True when true colours need INVON.
    pub inverted: bool,
}

impl Default for Glass {
    /// The glass where the HAT's default landscape offsets (column 1, row 2 at MADCTL 0x60) put
    /// it: memory columns 2 to 129 and rows 1 to 128, BGR, not inverted.
    fn default() -> Self {
        Glass {
            column: 2,
            row: 1,
            bgr: true,
            inverted: false,
        }
    }
}

/// SPI traffic counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// `SpiDevice::transaction` calls; each is one spidev ioctl on the Pi.
    pub transactions: usize,
    /// Bytes written.
    pub bytes: usize,
    /// The longest single write.
    pub largest_write: usize,
}

/// The controller state and memory.
#[derive(Debug, Clone)]
pub struct Controller {
    pub glass: Glass,
    /// Memory as the glass shows it, RGB565 in glass colour order, row by row.
    memory: Vec<u16>,
    pub madctl: u8,
    pub colmod: u8,
    pub inverted: bool,
    pub sleeping: bool,
    pub display_on: bool,
    pub resets: usize,
    pub traffic: Traffic,
    dc_high: bool,
    command: Option<u8>,
    parameters: Vec<u8>,
    columns: (u16, u16),
    rows: (u16, u16),
    /// Next window address of RAMWR as (column, row).
    cursor: (u16, u16),
    /// First byte of a pixel whose second byte is still to come.
    half_pixel: Option<u8>,
}

impl Controller {
    fn new(glass: Glass) -> Controller {
        Controller {
            glass,
            memory: vec![0; MEMORY_COLUMNS as usize * MEMORY_ROWS as usize],
            madctl: 0,
            colmod: 0x06,
            inverted: false,
            sleeping: true,
            display_on: false,
            resets: 0,
            traffic: Traffic::default(),
            dc_high: false,
            command: None,
            parameters: Vec::new(),
            columns: (0, MEMORY_COLUMNS - 1),
            rows: (0, MEMORY_ROWS - 1),
            cursor: (0, 0),
            half_pixel: None,
        }
    }

    /// Returns the 128x128 image on the glass as the viewer sees it, row by row in memory
    /// orientation, with inversion applied.
    pub fn glass_image(&self) -> Vec<Rgb565> {
        let invert = self.inverted != self.glass.inverted;
        let mut image = Vec::with_capacity(128 * 128);
        for row in self.glass.row..self.glass.row + 128 {
            for column in self.glass.column..self.glass.column + 128 {
                let value = self.memory[memory_index(column, row)];
                let value = if invert { !value } else { value };
                image.push(RawU16::new(value).into());
            }
        }
        image
    }

    fn receive(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if self.dc_high {
                self.parameter(byte);
            } else {
                self.begin(byte);
            }
        }
    }

    fn begin(&mut self, command: u8) {
        self.command = Some(command);
        self.parameters.clear();
        self.half_pixel = None;
        match command {
            SWRESET => self.reset(),
            SLPOUT => self.sleeping = false,
            INVOFF => self.inverted = false,
            INVON => self.inverted = true,
            DISPOFF => self.display_on = false,
            DISPON => self.display_on = true,
            RAMWR => self.cursor = (self.columns.0, self.rows.0),
            _ => {}
        }
    }

    fn reset(&mut self) {
        let glass = self.glass;
        let traffic = self.traffic;
        let resets = self.resets + 1;
        let memory = std::mem::take(&mut self.memory);
        *self = Controller::new(glass);
        self.memory = memory;
        self.traffic = traffic;
        self.resets = resets;
    }

    fn parameter(&mut self, byte: u8) {
        if self.command == Some(RAMWR) {
            match self.half_pixel.take() {
                None => self.half_pixel = Some(byte),
                Some(high) => self.write_pixel(u16::from_be_bytes([high, byte])),
            }
            return;
        }
        self.parameters.push(byte);
        let word = |i: usize, p: &[u8]| u16::from_be_bytes([p[i], p[i + 1]]);
        match (self.command, self.parameters.as_slice()) {
            (Some(CASET), p) if p.len() == 4 => self.columns = (word(0, p), word(2, p)),
            (Some(RASET), p) if p.len() == 4 => self.rows = (word(0, p), word(2, p)),
            (Some(MADCTL), [value]) => self.madctl = *value,
            (Some(COLMOD), [value]) => self.colmod = *value,
            _ => {}
        }
    }

    fn write_pixel(&mut self, value: u16) {
        let (column, row) = self.cursor;
        if let Some(index) = self.memory_position(column, row) {
            let swap = (self.madctl & MADCTL_BGR != 0) != self.glass.bgr;
            self.memory[index] = if swap { swap_red_blue(value) } else { value };
        }
        self.cursor = if column < self.columns.1 {
            (column + 1, row)
        } else if row < self.rows.1 {
            (self.columns.0, row + 1)
        } else {
            (self.columns.0, self.rows.0)
        };
    }

    /// Maps a window address to a memory index through MADCTL; `None` outside memory.
    fn memory_position(&self, column: u16, row: u16) -> Option<usize> {
        let (mut memory_column, mut memory_row) = if self.madctl & MADCTL_MV != 0 {
            (row, column)
        } else {
            (column, row)
        };
        if memory_column >= MEMORY_COLUMNS || memory_row >= MEMORY_ROWS {
            return None;
        }
        if self.madctl & MADCTL_MX != 0 {
            memory_column = MEMORY_COLUMNS - 1 - memory_column;
        }
        if self.madctl & MADCTL_MY != 0 {
            memory_row = MEMORY_ROWS - 1 - memory_row;
        }
        Some(memory_index(memory_column, memory_row))
    }
}

fn memory_index(column: u16, row: u16) -> usize {
    row as usize * MEMORY_COLUMNS as usize + column as usize
}

/// Exchanges the 5-bit red and blue fields of an RGB565 value.
pub fn swap_red_blue(value: u16) -> u16 {
    (value & 0x07E0) | (value >> 11) | ((value & 0x1F) << 11)
}

/// Shared handle to the controller behind a fake SPI device and its pins.
pub type SharedController = Arc<Mutex<Controller>>;

fn lock(controller: &SharedController) -> MutexGuard<'_, Controller> {
    controller
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The fake SPI device.
pub struct FakeSpi(pub SharedController);

impl spi::ErrorType for FakeSpi {
    type Error = Infallible;
}

impl SpiDevice for FakeSpi {
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), Infallible> {
        let mut controller = lock(&self.0);
        controller.traffic.transactions += 1;
        for operation in operations {
            let written: &[u8] = match operation {
                Operation::Write(bytes) => bytes,
                Operation::Transfer(read, write) => {
                    read.fill(0);
                    write
                }
                Operation::Read(read) => {
                    read.fill(0);
                    continue;
                }
                Operation::TransferInPlace(_) | Operation::DelayNs(_) => continue,
            };
            controller.traffic.bytes += written.len();
            controller.traffic.largest_write = controller.traffic.largest_write.max(written.len());
            controller.receive(written);
        }
        Ok(())
    }
}

/// The fake DC pin: low for commands, high for parameters and pixel data.
pub struct FakeDc(pub SharedController);

impl digital::ErrorType for FakeDc {
    type Error = Infallible;
}

impl OutputPin for FakeDc {
    fn set_low(&mut self) -> Result<(), Infallible> {
        lock(&self.0).dc_high = false;
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        lock(&self.0).dc_high = true;
        Ok(())
    }
}

/// A pin that does nothing, for the reset line.
pub struct FakePin;

impl digital::ErrorType for FakePin {
    type Error = Infallible;
}

impl OutputPin for FakePin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// A delay that returns at once, so that the driver's 600 ms of init delays cost nothing.
pub struct NoDelay;

impl DelayNs for NoDelay {
    fn delay_ns(&mut self, _ns: u32) {}
}

/// Creates a controller behind `glass` and the SPI device and DC pin that feed it.
pub fn fake_panel(glass: Glass) -> (FakeSpi, FakeDc, SharedController) {
    let controller = Arc::new(Mutex::new(Controller::new(glass)));
    (
        FakeSpi(controller.clone()),
        FakeDc(controller.clone()),
        controller,
    )
}

/// Returns a copy of the controller state.
pub fn snapshot(controller: &SharedController) -> Controller {
    lock(controller).clone()
}

/// Resets the traffic counters.
pub fn reset_traffic(controller: &SharedController) {
    lock(controller).traffic = Traffic::default();
}

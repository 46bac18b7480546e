//! The in-memory frame that screens draw into, and the regions that changed between two frames.

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::pixelcolor::raw::{RawData, RawU16};
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

/// Width and height of the visible panel in pixels.
pub const SIZE: u16 = 128;

const PIXELS: usize = SIZE as usize * SIZE as usize;

/// Unchanged rows that may sit between two changed row runs and still join one region.
///
/// Each region costs seven small SPI writes of set-up (CASET, RASET and RAMWR with their
/// parameters), so resending a few unchanged rows is cheaper than starting a new region.
const MAX_ROW_GAP: u16 = 3;

/// A rectangle of pixels in frame coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

impl Region {
    /// The whole frame.
    pub const FULL: Region = Region {
        x: 0,
        y: 0,
        width: SIZE,
        height: SIZE,
    };

    /// Returns the number of pixels.
    pub fn area(&self) -> usize {
        self.width as usize * self.height as usize
    }
}

/// A 128x128 RGB565 image that implements `DrawTarget`.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// Raw RGB565 values, row by row.
    pixels: Box<[u16]>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame").finish_non_exhaustive()
    }
}

impl Default for Frame {
    fn default() -> Self {
        Frame::new(Rgb565::BLACK)
    }
}

impl Frame {
    /// Creates a frame filled with `color`.
    pub fn new(color: Rgb565) -> Frame {
        Frame {
            pixels: vec![raw(color); PIXELS].into_boxed_slice(),
        }
    }

    /// Returns the pixel at (x, y); panics outside the frame.
    pub fn pixel(&self, x: u16, y: u16) -> Rgb565 {
        RawU16::new(self.pixels[index(x, y)]).into()
    }

    /// Returns the raw RGB565 value at (x, y); panics outside the frame.
    pub fn raw_pixel(&self, x: u16, y: u16) -> u16 {
        self.pixels[index(x, y)]
    }

    /// Returns the raw RGB565 values of all rows, top to bottom.
    pub fn raw_pixels(&self) -> &[u16] {
        &self.pixels
    }

    /// Appends the pixels of `region` to `out` as big-endian RGB565, the order RAMWR expects.
    pub fn region_bytes(&self, region: Region, out: &mut Vec<u8>) {
        out.reserve(region.area() * 2);
        for y in region.y..region.y + region.height {
            let start = index(region.x, y);
            let row = &self.pixels[start..start + region.width as usize];
            out.extend(row.iter().flat_map(|value| value.to_be_bytes()));
        }
    }

    /// Returns the regions that differ from `previous`, top to bottom, without overlap.
    ///
    /// Changed rows are grouped into runs (joined across gaps of up to three unchanged rows), and
    /// each run becomes one region as wide as the union of its changed columns.
    pub fn diff(&self, previous: &Frame) -> Vec<Region> {
        let mut regions: Vec<Region> = Vec::new();
        let mut last_changed_row: Option<u16> = None;
        for y in 0..SIZE {
            let Some((left, right)) = self.changed_span(previous, y) else {
                continue;
            };
            let joins = last_changed_row.is_some_and(|last| y - last <= MAX_ROW_GAP + 1);
            match regions.last_mut() {
                Some(region) if joins => extend(region, y, left, right),
                _ => regions.push(Region {
                    x: left,
                    y,
                    width: right - left + 1,
                    height: 1,
                }),
            }
            last_changed_row = Some(y);
        }
        regions
    }

    /// Returns the first and last changed column of row `y`.
    fn changed_span(&self, previous: &Frame, y: u16) -> Option<(u16, u16)> {
        let start = index(0, y);
        let row = &self.pixels[start..start + SIZE as usize];
        let old = &previous.pixels[start..start + SIZE as usize];
        let left = row.iter().zip(old).position(|(a, b)| a != b)?;
        let right = row.iter().zip(old).rposition(|(a, b)| a != b)?;
        Some((left as u16, right as u16))
    }
}

/// Grows `region` down to row `y` and sideways to cover columns `left..=right`.
fn extend(region: &mut Region, y: u16, left: u16, right: u16) {
    let x0 = region.x.min(left);
    let x1 = (region.x + region.width - 1).max(right);
    region.x = x0;
    region.width = x1 - x0 + 1;
    region.height = y - region.y + 1;
}

fn index(x: u16, y: u16) -> usize {
    y as usize * SIZE as usize + x as usize
}

fn raw(color: Rgb565) -> u16 {
    RawU16::from(color).into_inner()
}

impl OriginDimensions for Frame {
    fn size(&self) -> Size {
        Size::new(SIZE as u32, SIZE as u32)
    }
}

impl DrawTarget for Frame {
    type Color = Rgb565;
    type Error = std::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(point, color) in pixels {
            if let Some(i) = point_index(point) {
                self.pixels[i] = raw(color);
            }
        }
        Ok(())
    }

    fn fill_solid(&mut self, area: &Rectangle, color: Self::Color) -> Result<(), Self::Error> {
        let area = area.intersection(&self.bounding_box());
        let Some(bottom_right) = area.bottom_right() else {
            return Ok(());
        };
        let value = raw(color);
        for y in area.top_left.y..=bottom_right.y {
            let start = index(area.top_left.x as u16, y as u16);
            self.pixels[start..start + area.size.width as usize].fill(value);
        }
        Ok(())
    }
}

fn point_index(point: Point) -> Option<usize> {
    let inside = (0..SIZE as i32).contains(&point.x) && (0..SIZE as i32).contains(&point.y);
    inside.then(|| index(point.x as u16, point.y as u16))
}

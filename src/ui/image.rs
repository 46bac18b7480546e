//! PNG encoding of frames, for the simulator's frame files and the golden tests.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::pixelcolor::raw::RawU16;
use embedded_graphics::prelude::*;

use super::frame::{Frame, SIZE};

/// Returns the frame as 8-bit RGB triples, each channel widened by bit replication.
///
/// Replication keeps the conversion reversible: dropping the low bits gives back the RGB565 value.
pub fn to_rgb8(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::with_capacity(frame.raw_pixels().len() * 3);
    for &value in frame.raw_pixels() {
        let color: Rgb565 = RawU16::new(value).into();
        out.push(widen(color.r(), 5));
        out.push(widen(color.g(), 6));
        out.push(widen(color.b(), 5));
    }
    out
}

fn widen(channel: u8, bits: u32) -> u8 {
    (channel << (8 - bits)) | (channel >> (2 * bits - 8))
}

/// Writes `frame` as a 128x128 RGB PNG.
pub fn write_png(frame: &Frame, path: &Path) -> io::Result<()> {
    let file = BufWriter::new(File::create(path)?);
    let mut encoder = png::Encoder::new(file, SIZE as u32, SIZE as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(io::Error::other)?;
    writer
        .write_image_data(&to_rgb8(frame))
        .map_err(io::Error::other)?;
    writer.finish().map_err(io::Error::other)
}

/// Reads a 128x128 8-bit RGB PNG back into a frame.
pub fn read_png(path: &Path) -> io::Result<Frame> {
    let decoder = png::Decoder::new(io::BufReader::new(File::open(path)?));
    let mut reader = decoder.read_info().map_err(io::Error::other)?;
    let mut data = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader.next_frame(&mut data).map_err(io::Error::other)?;
    let expected = (
        SIZE as u32,
        SIZE as u32,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
    );
    if (info.width, info.height, info.color_type, info.bit_depth) != expected {
        let message = format!("{}: not a 128x128 8-bit RGB image", path.display());
        return Err(io::Error::new(io::ErrorKind::InvalidData, message));
    }
    let mut frame = Frame::default();
    let pixels = data[..info.buffer_size()].chunks_exact(3).enumerate();
    let points = pixels.map(|(i, rgb)| {
        let point = Point::new((i % SIZE as usize) as i32, (i / SIZE as usize) as i32);
        Pixel(point, Rgb565::new(rgb[0] >> 3, rgb[1] >> 2, rgb[2] >> 3))
    });
    let Ok(()) = frame.draw_iter(points);
    Ok(frame)
}

//! `rustyjack demo` end to end: the built binary, its own namespaces, and the frames it keeps.
//!
//! Each run names its namespaces after the demo's pid, so these tests run in parallel without
//! colliding, and none of them changes the namespace the tests run in.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::rustyjack;
use embedded_graphics::mono_font::MonoTextStyle;
use embedded_graphics::mono_font::ascii::FONT_6X10;
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics::text::{Baseline, Text};

/// Returns the namespaces `ip netns list` shows for the demo with process id `pid`.
fn demo_namespaces(pid: u32) -> Vec<String> {
    let output = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("run ip netns list");
    let prefix = format!("rjdemo-{pid}-");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| name.starts_with(&prefix))
        .map(str::to_string)
        .collect()
}

/// Runs `demo --script` with `script` as the file's text; returns the pid and the output.
fn run_demo(script: &str, frames: Option<&Path>) -> (u32, Output) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.script");
    std::fs::write(&path, script).unwrap();
    let mut command = rustyjack();
    command.arg("demo").arg("--script").arg(&path);
    if let Some(frames) = frames {
        command.arg("--frames").arg(frames);
    }
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    (pid, child.wait_with_output().unwrap())
}

/// A frame as 128x128 RGB pixels.
struct Image {
    width: usize,
    pixels: Vec<[u8; 3]>,
}

fn read_frame(path: &Path) -> Image {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    let pixels = buffer[..info.buffer_size()]
        .chunks(3)
        .map(|rgb| [rgb[0], rgb[1], rgb[2]])
        .collect();
    Image {
        width: info.width as usize,
        pixels,
    }
}

/// The glyph pixels of `text` in the screen's 6x10 font, as a width x height mask.
struct Mask {
    width: usize,
    height: usize,
    on: Vec<bool>,
}

impl Mask {
    fn render(text: &str) -> Mask {
        let width = text.len() * 6;
        let mut mask = Mask {
            width,
            height: 10,
            on: vec![false; width * 10],
        };
        let style = MonoTextStyle::new(&FONT_6X10, BinaryColor::On);
        Text::with_baseline(text, Point::zero(), style, Baseline::Top)
            .draw(&mut mask)
            .unwrap();
        mask
    }
}

impl OriginDimensions for Mask {
    fn size(&self) -> Size {
        Size::new(self.width as u32, self.height as u32)
    }
}

impl DrawTarget for Mask {
    type Color = BinaryColor;
    type Error = std::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        for Pixel(point, color) in pixels {
            let (x, y) = (point.x as usize, point.y as usize);
            if x < self.width && y < self.height {
                self.on[y * self.width + x] = color.is_on();
            }
        }
        Ok(())
    }
}

/// Returns true when `image` shows `text` somewhere: every glyph pixel in one colour and no
/// other pixel of the text's box in that colour.
fn shows_text(image: &Image, text: &str) -> bool {
    let mask = Mask::render(text);
    let height = image.pixels.len() / image.width;
    let first_on = mask.on.iter().position(|on| *on).unwrap();
    for top in 0..=height - mask.height {
        for left in 0..=image.width - mask.width {
            let at = |index: usize| {
                image.pixels[(top + index / mask.width) * image.width + left + index % mask.width]
            };
            let ink = at(first_on);
            if (0..mask.on.len()).all(|index| (at(index) == ink) == mask.on[index]) {
                return true;
            }
        }
    }
    false
}

fn frame_paths(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "png"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn demo_tour_script_passes() {
    let frames = tempfile::tempdir().unwrap();
    let (pid, output) = run_demo(include_str!("../demo/tour.script"), Some(frames.path()));
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(0), "demo failed:\n{stderr}");
    assert!(stderr.contains("steps of"), "no summary line:\n{stderr}");
    assert!(stderr.contains("passed"), "no summary line:\n{stderr}");
    assert_eq!(
        demo_namespaces(pid),
        Vec::<String>::new(),
        "namespaces left behind"
    );

    let paths = frame_paths(frames.path());
    assert!(paths.len() >= 4, "only {} frames written", paths.len());
    assert!(paths.iter().all(|path| {
        path.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("frame-")
    }));
    let images: Vec<Image> = paths.iter().map(|path| read_frame(path)).collect();
    let first_with = |text: &str| images.iter().position(|image| shows_text(image, text));
    let wlan0 = first_with("uplink wlan0, veth").expect("no status frame shows uplink wlan0");
    let eth0 = first_with("uplink eth0, veth").expect("no status frame shows uplink eth0");
    assert!(
        wlan0 < eth0,
        "eth0 was shown as uplink (frame {eth0}) before wlan0 (frame {wlan0})"
    );

    let last_status = images
        .iter()
        .rposition(|image| {
            shows_text(image, "uplink wlan0, veth") || shows_text(image, "uplink eth0, veth")
        })
        .unwrap();
    assert!(
        shows_text(&images[last_status], "uplink eth0, veth"),
        "the last status frame does not show eth0"
    );
}

#[test]
fn frames_without_selection_show_none() {
    let frames = tempfile::tempdir().unwrap();
    let (_, output) = run_demo("wait 2s\n", Some(frames.path()));
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let images: Vec<Image> = frame_paths(frames.path())
        .iter()
        .map(|path| read_frame(path))
        .collect();
    assert!(!images.is_empty());
    assert!(
        images
            .iter()
            .any(|image| shows_text(image, "uplink: none chosen")),
        "status screen not found"
    );
    assert!(
        !images
            .iter()
            .any(|image| shows_text(image, "uplink eth0, veth")),
        "eth0 shown without a selection"
    );
}

#[test]
fn demo_rejects_bad_script_lines() {
    let (pid, output) = run_demo("wait 1s\npress jump\nexpect uplink\n", None);
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("test.script:2: unknown button \"jump\""),
        "{stderr}"
    );
    assert!(stderr.contains("test.script:3:"), "{stderr}");
    assert!(
        stderr.contains("expect uplink IFACE"),
        "accepted forms missing:\n{stderr}"
    );
    assert_eq!(demo_namespaces(pid), Vec::<String>::new());
}

#[test]
fn demo_unmet_expectation_exits_1() {
    let (pid, output) = run_demo("wait 500ms\nexpect uplink usb0\n", None);
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("test.script:2: `expect uplink usb0` failed"),
        "{stderr}"
    );
    assert!(stderr.contains("the saved selection is none"), "{stderr}");
    assert_eq!(
        demo_namespaces(pid),
        Vec::<String>::new(),
        "namespaces left behind"
    );
}

#[test]
fn demo_sigterm_removes_namespaces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.script");
    std::fs::write(&path, "wait 60s\n").unwrap();
    let child = rustyjack()
        .arg("demo")
        .arg("--script")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();

    let deadline = Instant::now() + Duration::from_secs(20);
    while demo_namespaces(pid).len() < 4 {
        assert!(
            Instant::now() < deadline,
            "the demo never created its namespaces"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: kill takes no pointers; the child is not reaped yet, so the pid is still its own.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) }, 0);
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();

    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the demo took {:?} to stop",
        started.elapsed()
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        demo_namespaces(pid),
        Vec::<String>::new(),
        "namespaces left behind"
    );
}

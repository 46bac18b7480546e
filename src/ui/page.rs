//! Text pages: a title, wrapped lines with an optional cursor, a scroll bar and a key hint.
//!
//! The layout uses embedded-graphics' 6x10 font, which gives 21 columns. A page has a header row,
//! ten body rows and a footer row. Lines longer than 21 columns wrap, preferably after a colon, a
//! space, a slash or a comma, with continuation rows indented by two columns. Pages with more
//! rows than fit scroll, and a bar in the two rightmost pixel columns shows where the view is.

use embedded_graphics::mono_font::MonoTextStyle;
use embedded_graphics::mono_font::ascii::FONT_6X10;
use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use embedded_graphics::text::{Baseline, Text};

use super::frame::SIZE;

/// Characters per row with the 6x10 font on 128 pixels (two pixels stay for the scroll bar).
pub const COLUMNS: usize = 21;
/// Body rows between the header and the footer.
pub const BODY_ROWS: usize = 10;
/// Indent of continuation rows of a wrapped line.
const INDENT: usize = 2;

const CHAR_WIDTH: i32 = 6;
const ROW_HEIGHT: i32 = 10;
const HEADER_HEIGHT: i32 = 12;
const BODY_TOP: i32 = 13;
const FOOTER_TOP: i32 = 116;
const SCROLL_BAR_X: i32 = 126;

/// Colours of the UI; chosen for contrast on the ST7735 at full brightness.
pub mod palette {
    use embedded_graphics::pixelcolor::{Rgb565, RgbColor};

    pub const BACKGROUND: Rgb565 = Rgb565::BLACK;
    pub const TEXT: Rgb565 = Rgb565::WHITE;
    pub const DIM: Rgb565 = Rgb565::new(20, 40, 20);
    pub const GOOD: Rgb565 = Rgb565::new(8, 60, 8);
    pub const WARN: Rgb565 = Rgb565::new(31, 52, 0);
    pub const BAD: Rgb565 = Rgb565::new(31, 16, 12);
    pub const HEADER: Rgb565 = Rgb565::new(0, 18, 14);
    pub const SELECTED: Rgb565 = Rgb565::new(4, 22, 26);
    pub const FOOTER: Rgb565 = Rgb565::new(4, 8, 4);
}

/// Colour role of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Normal,
    Dim,
    Good,
    Warn,
    Bad,
}

impl Tone {
    fn color(self) -> Rgb565 {
        match self {
            Tone::Normal => palette::TEXT,
            Tone::Dim => palette::DIM,
            Tone::Good => palette::GOOD,
            Tone::Warn => palette::WARN,
            Tone::Bad => palette::BAD,
        }
    }
}

/// One logical line of a page; it may wrap over several rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub tone: Tone,
    /// Index of the selectable item this line belongs to, on pages with a cursor.
    pub item: Option<usize>,
}

/// One screen row after wrapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub text: String,
    pub tone: Tone,
    pub item: Option<usize>,
}

/// A text page ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub title: String,
    pub lines: Vec<Line>,
    /// Key hint for the footer, at most 21 characters.
    pub hint: &'static str,
    /// Position among the tab pages (index, count), drawn as dots in the header.
    pub tab: Option<(usize, usize)>,
}

impl Page {
    pub fn new(title: impl Into<String>, hint: &'static str) -> Page {
        Page {
            title: title.into(),
            lines: Vec::new(),
            hint,
            tab: None,
        }
    }

    /// Appends a line.
    pub fn push(&mut self, text: impl Into<String>, tone: Tone) {
        self.lines.push(Line {
            text: text.into(),
            tone,
            item: None,
        });
    }

    /// Appends a selectable line; items are numbered in the order they are added.
    pub fn push_item(&mut self, text: impl Into<String>, tone: Tone) {
        let item = self.item_count();
        self.lines.push(Line {
            text: text.into(),
            tone,
            item: Some(item),
        });
    }

    /// Returns the number of selectable lines.
    pub fn item_count(&self) -> usize {
        self.lines.iter().filter(|line| line.item.is_some()).count()
    }

    /// Returns the page as wrapped rows.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        for line in &self.lines {
            for text in wrap(&line.text, COLUMNS) {
                rows.push(Row {
                    text,
                    tone: line.tone,
                    item: line.item,
                });
            }
        }
        rows
    }
}

/// Splits `text` into rows of at most `width` characters without losing any character.
///
/// Continuation rows start with a two-column indent. A row breaks after the last colon, space,
/// slash or comma in its second half; a run without one breaks at the width.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut rest: Vec<char> = text.chars().collect();
    let mut rows = Vec::new();
    let mut prefix = String::new();
    loop {
        let room = width - prefix.len();
        if rest.len() <= room {
            rows.push(format!("{prefix}{}", rest.iter().collect::<String>()));
            return rows;
        }
        let cut = break_point(&rest, room);
        let row: String = rest[..cut].iter().collect();
        rows.push(format!("{prefix}{}", row.trim_end()));
        rest.drain(..cut);
        while rest.first() == Some(&' ') {
            rest.remove(0);
        }
        prefix = " ".repeat(INDENT);
        if rest.is_empty() {
            return rows;
        }
    }
}

/// Returns how many characters of `chars` go on a row with `room` columns.
fn break_point(chars: &[char], room: usize) -> usize {
    (room / 2..=room)
        .rev()
        .find(|&cut| matches!(chars[cut - 1], ':' | ' ' | '/' | ','))
        .unwrap_or(room)
}

/// Returns the scroll offset that keeps `cursor`'s rows in view, starting from `scroll`.
pub fn scroll_for(rows: &[Row], scroll: usize, cursor: Option<usize>) -> usize {
    let max_scroll = rows.len().saturating_sub(BODY_ROWS);
    let mut scroll = scroll.min(max_scroll);
    let Some(cursor) = cursor else {
        return scroll;
    };
    let first = rows.iter().position(|row| row.item == Some(cursor));
    let last = rows.iter().rposition(|row| row.item == Some(cursor));
    if let (Some(first), Some(last)) = (first, last) {
        // The first item also reveals the unselectable lines above it.
        if cursor == 0 || first < scroll {
            scroll = if cursor == 0 { 0 } else { first };
        }
        if last >= scroll + BODY_ROWS {
            scroll = last + 1 - BODY_ROWS;
        }
    }
    scroll.min(max_scroll)
}

/// Draws `page` scrolled by `scroll` rows, with the item `cursor` highlighted.
pub fn draw_page<D>(
    page: &Page,
    scroll: usize,
    cursor: Option<usize>,
    target: &mut D,
) -> Result<(), D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    target.clear(palette::BACKGROUND)?;
    draw_header(page, target)?;
    let rows = page.rows();
    let scroll = scroll_for(&rows, scroll, cursor);
    for (slot, row) in rows.iter().skip(scroll).take(BODY_ROWS).enumerate() {
        let y = BODY_TOP + slot as i32 * ROW_HEIGHT;
        let selected = cursor.is_some() && row.item == cursor;
        draw_row(row, y, selected, target)?;
    }
    draw_scroll_bar(rows.len(), scroll, target)?;
    draw_footer(page.hint, target)
}

fn draw_header<D>(page: &Page, target: &mut D) -> Result<(), D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    fill(
        target,
        0,
        0,
        SIZE as u32,
        HEADER_HEIGHT as u32,
        palette::HEADER,
    )?;
    draw_text(&page.title, 1, 1, palette::TEXT, target)?;
    let Some((index, count)) = page.tab else {
        return Ok(());
    };
    for dot in 0..count {
        let x = SIZE as i32 - 6 * (count - dot) as i32;
        let style = if dot == index {
            PrimitiveStyle::with_fill(palette::TEXT)
        } else {
            PrimitiveStyle::with_stroke(palette::DIM, 1)
        };
        Rectangle::new(Point::new(x, 4), Size::new(4, 4))
            .into_styled(style)
            .draw(target)?;
    }
    Ok(())
}

fn draw_row<D>(row: &Row, y: i32, selected: bool, target: &mut D) -> Result<(), D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    let color = if selected {
        fill(
            target,
            0,
            y - 1,
            SCROLL_BAR_X as u32,
            ROW_HEIGHT as u32,
            palette::SELECTED,
        )?;
        palette::TEXT
    } else {
        row.tone.color()
    };
    draw_text(&row.text, 0, y, color, target)
}

fn draw_scroll_bar<D>(rows: usize, scroll: usize, target: &mut D) -> Result<(), D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    if rows <= BODY_ROWS {
        return Ok(());
    }
    let track = BODY_ROWS as i32 * ROW_HEIGHT;
    let thumb = (track * BODY_ROWS as i32 / rows as i32).max(4);
    let top = BODY_TOP - 1 + (track - thumb) * scroll as i32 / (rows - BODY_ROWS) as i32;
    fill(
        target,
        SCROLL_BAR_X,
        BODY_TOP - 1,
        2,
        track as u32,
        palette::FOOTER,
    )?;
    fill(target, SCROLL_BAR_X, top, 2, thumb as u32, palette::TEXT)
}

fn draw_footer<D>(hint: &str, target: &mut D) -> Result<(), D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    let height = (SIZE as i32 - FOOTER_TOP) as u32;
    fill(target, 0, FOOTER_TOP, SIZE as u32, height, palette::FOOTER)?;
    draw_text(hint, 0, FOOTER_TOP + 1, palette::DIM, target)
}

/// Draws one row of text with its top-left corner at (x, y).
pub fn draw_text<D>(
    text: &str,
    x: i32,
    y: i32,
    color: Rgb565,
    target: &mut D,
) -> Result<(), D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    let style = MonoTextStyle::new(&FONT_6X10, color);
    Text::with_baseline(text, Point::new(x, y), style, Baseline::Top).draw(target)?;
    Ok(())
}

/// Draws `text` centred horizontally on row y.
pub fn draw_centered<D>(text: &str, y: i32, color: Rgb565, target: &mut D) -> Result<(), D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    let width = text.chars().count() as i32 * CHAR_WIDTH;
    draw_text(text, (SIZE as i32 - width) / 2, y, color, target)
}

fn fill<D>(
    target: &mut D,
    x: i32,
    y: i32,
    width: u32,
    height: u32,
    color: Rgb565,
) -> Result<(), D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    Rectangle::new(Point::new(x, y), Size::new(width, height))
        .into_styled(PrimitiveStyle::with_fill(color))
        .draw(target)
}

//! Stage one: the TOML text turned into owned tables whose keys and values carry line numbers.
//!
//! This stage accepts any key, because deciding which keys are valid belongs to the checker,
//! which then reports every problem with its line instead of stopping at the first.

use std::collections::BTreeMap;

use toml::de::{DeTable, DeValue};

/// A value with the 1-based line it starts on.
#[derive(Debug, Clone)]
pub struct RawValue {
    pub line: usize,
    pub kind: RawKind,
}

/// The TOML value types, with integers already converted.
#[derive(Debug, Clone)]
pub enum RawKind {
    String(String),
    /// `Err` contains the literal when it does not fit an `i64`.
    Integer(Result<i64, String>),
    Float(f64),
    Boolean(bool),
    Datetime(String),
    Array(Vec<RawValue>),
    Table(RawTable),
}

/// A table entry: the key's own line and the value.
#[derive(Debug, Clone)]
pub struct RawEntry {
    pub key_line: usize,
    pub value: RawValue,
}

/// The entries of one table, sorted by key.
pub type RawTable = BTreeMap<String, RawEntry>;

/// A syntax error with the line it was found on, when the parser gave a position.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub line: Option<usize>,
    pub message: String,
}

/// Parses `source` into a table of entries, or returns every syntax error the parser found.
pub fn parse(source: &str) -> Result<RawTable, Vec<SyntaxError>> {
    let lines = LineIndex::new(source);
    let (document, errors) = DeTable::parse_recoverable(source);
    if !errors.is_empty() {
        // The recovered document may be missing whole tables, so checking it would add
        // misleading errors on top of the real ones.
        return Err(errors
            .iter()
            .map(|error| syntax_error(&lines, error))
            .collect());
    }
    Ok(convert_table(&lines, document.get_ref()))
}

fn syntax_error(lines: &LineIndex, error: &toml::de::Error) -> SyntaxError {
    SyntaxError {
        line: error.span().map(|span| lines.line_of(span.start)),
        message: error.message().trim_end().to_string(),
    }
}

fn convert_table(lines: &LineIndex, table: &DeTable<'_>) -> RawTable {
    let mut converted = RawTable::new();
    for (key, value) in table.iter() {
        let entry = RawEntry {
            key_line: lines.line_of(key.span().start),
            value: convert_value(lines, value.get_ref(), value.span().start),
        };
        converted.insert(key.get_ref().to_string(), entry);
    }
    converted
}

fn convert_value(lines: &LineIndex, value: &DeValue<'_>, offset: usize) -> RawValue {
    let kind = match value {
        DeValue::String(text) => RawKind::String(text.to_string()),
        DeValue::Integer(integer) => RawKind::Integer(convert_integer(integer)),
        DeValue::Float(float) => RawKind::Float(float.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(flag) => RawKind::Boolean(*flag),
        DeValue::Datetime(datetime) => RawKind::Datetime(datetime.to_string()),
        DeValue::Array(items) => RawKind::Array(
            items
                .iter()
                .map(|item| convert_value(lines, item.get_ref(), item.span().start))
                .collect(),
        ),
        DeValue::Table(table) => RawKind::Table(convert_table(lines, table)),
    };
    RawValue {
        line: lines.line_of(offset),
        kind,
    }
}

fn convert_integer(integer: &toml::de::DeInteger<'_>) -> Result<i64, String> {
    let digits: String = integer.as_str().chars().filter(|c| *c != '_').collect();
    i64::from_str_radix(&digits, integer.radix()).map_err(|_| integer.to_string())
}

/// Byte offsets of line starts, for turning spans into line numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(source: &str) -> LineIndex {
        let newlines = source.match_indices('\n').map(|(at, _)| at + 1);
        LineIndex {
            starts: std::iter::once(0).chain(newlines).collect(),
        }
    }

    /// Returns the 1-based line that contains byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|start| *start <= offset)
    }
}

impl RawKind {
    /// Names the TOML type, for messages such as "found a string".
    pub fn type_name(&self) -> &'static str {
        match self {
            RawKind::String(_) => "a string",
            RawKind::Integer(_) => "an integer",
            RawKind::Float(_) => "a float",
            RawKind::Boolean(_) => "a boolean",
            RawKind::Datetime(_) => "a date-time",
            RawKind::Array(_) => "an array",
            RawKind::Table(_) => "a table",
        }
    }
}

//! Errors from reading and checking the configuration file.

use std::fmt;
use std::path::{Path, PathBuf};

/// One thing wrong with the configuration, located by line and key where it has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the file; `None` when the parser gave no position.
    pub line: Option<usize>,
    /// Dotted key such as `display.rotation`; `None` for syntax errors.
    pub key: Option<String>,
    /// Description of the fault and of the accepted values, as a lowercase fragment.
    pub message: String,
}

/// The configuration could not be used.
#[derive(Debug)]
pub enum ConfigError {
    /// The file exists but could not be read.
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file was read and has problems, all of which are listed.
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

impl ConfigError {
    /// Returns the problems of an invalid file, or nothing for a read error.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Read { .. } => &[],
            ConfigError::Invalid { problems, .. } => problems,
        }
    }

    /// Returns true when the file's content is at fault, which the command line reports as bad
    /// input (exit code 2) rather than as a failed operation.
    pub fn is_invalid(&self) -> bool {
        matches!(self, ConfigError::Invalid { .. })
    }
}

impl fmt::Display for ConfigError {
    /// Writes one line per problem: `PATH:LINE: key `KEY`: MESSAGE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, .. } => {
                write!(f, "cannot read configuration file {}", path.display())
            }
            ConfigError::Invalid { path, problems } => {
                for (i, problem) in problems.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write_problem(f, path, problem)?;
                }
                Ok(())
            }
        }
    }
}

fn write_problem(f: &mut fmt::Formatter<'_>, path: &Path, problem: &Problem) -> fmt::Result {
    write!(f, "{}", path.display())?;
    if let Some(line) = problem.line {
        write!(f, ":{line}")?;
    }
    match &problem.key {
        Some(key) => write!(f, ": key `{key}`: {}", problem.message),
        None => write!(f, ": {}", problem.message),
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            ConfigError::Invalid { .. } => None,
        }
    }
}

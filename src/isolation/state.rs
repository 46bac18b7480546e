//! The saved selection: which interface is the uplink, kept across reboots.
//!
//! The file is small JSON, `{"version":1,"uplink":"eth0"}`. Saving writes a temporary file in the
//! same directory, fsyncs it, renames it over the old file and fsyncs the directory. Because
//! rename(2) is atomic within one filesystem, a power cut leaves either the old selection or the
//! new one, never a mix. A file that cannot be read back is renamed aside, never
//! deleted, so that an operator can inspect it.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::netlink::names::check_link_name;

/// Default state directory, the one systemd's `StateDirectory=rustyjack` creates.
pub const DEFAULT_DIR: &str = "/var/lib/rustyjack";

/// Name of the selection file inside the state directory.
pub const FILE_NAME: &str = "selection.json";

/// Name of the lock file beside the selection.
pub const LOCK_FILE_NAME: &str = "lock";

/// The only format version this build reads and writes.
const VERSION: u64 = 1;

/// Files larger than this are damaged: a valid selection is under 64 bytes.
const MAX_FILE_LEN: u64 = 4096;

/// The saved selection in a state directory.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
}

/// The result of reading the saved selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// No selection has been saved, or it was released.
    None,
    /// The uplink interface name that was saved.
    Selected(String),
    /// The file could not be used. It was renamed to `kept_as`, and the caller should act as if
    /// no selection had been saved.
    Damaged { kept_as: PathBuf, reason: String },
}

/// A failed file operation on the state directory.
#[derive(Debug)]
pub struct StateError {
    /// The step that failed, such as "write" or "rename".
    pub op: &'static str,
    /// The file or directory it acted on.
    pub path: PathBuf,
    pub source: io::Error,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectionFile {
    version: u64,
    uplink: String,
}

/// Only the version, read first so that a newer format is reported as such.
#[derive(Deserialize)]
struct VersionOnly {
    version: u64,
}

impl StateStore {
    /// Uses `dir` as the state directory; nothing is touched until a load or save.
    pub fn new(dir: impl Into<PathBuf>) -> StateStore {
        StateStore { dir: dir.into() }
    }

    /// Returns the path of the selection file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Reads the saved selection, renaming a damaged file aside.
    ///
    /// A missing file or missing directory is `Loaded::None`.
    pub fn load(&self) -> Result<Loaded, StateError> {
        let path = self.path();
        let bytes = match read_limited(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Loaded::None),
            Err(error)
                if error.kind() == io::ErrorKind::InvalidData
                    || error.raw_os_error() == Some(libc::ELOOP) =>
            {
                return self.move_aside(&path, error.to_string());
            }
            Err(source) => return Err(StateError::new("read", &path, source)),
        };
        match decode(&bytes) {
            Ok(uplink) => Ok(Loaded::Selected(uplink)),
            Err(reason) => self.keep_aside(&path, reason),
        }
    }

    /// Saves `uplink` as the selection, atomically, creating the directory (mode 0700) if needed.
    pub fn save(&self, uplink: &str) -> Result<(), StateError> {
        let path = self.path();
        if let Err(error) = check_link_name("save selection", uplink) {
            let source = io::Error::new(io::ErrorKind::InvalidInput, error.to_string());
            return Err(StateError::new("save", &path, source));
        }
        self.create_dir()?;
        let text = serde_json::to_string(&SelectionFile {
            version: VERSION,
            uplink: uplink.to_string(),
        })
        .expect("a struct of a number and a string always serializes");

        let temp = self
            .dir
            .join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
        let written = write_synced(&temp, text.as_bytes()).and_then(|()| {
            fs::rename(&temp, &path).map_err(|e| StateError::new("rename", &temp, e))
        });
        if written.is_err() {
            // Best effort: the temporary file is useless now and the error is what matters.
            let _ = fs::remove_file(&temp);
        }
        written?;
        sync_dir(&self.dir)
    }

    /// Removes the saved selection, which releases it; returns false when none was saved.
    pub fn clear(&self) -> Result<bool, StateError> {
        let path = self.path();
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.dir).map(|()| true),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(StateError::new("remove", &path, source)),
        }
    }

    fn create_dir(&self) -> Result<(), StateError> {
        if self.dir.is_dir() {
            return Ok(());
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|source| StateError::new("create directory", &self.dir, source))?;
        match self.dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
            _ => Ok(()),
        }
    }

    /// Takes the lock that makes one process at a time enforce with this directory, creating the
    /// directory if needed; the lock lasts as long as the returned file stays open.
    ///
    /// Returns `Ok(None)` when another process holds it. The lock is a whole-file lock
    /// (flock(2)), which the kernel drops when its holder exits, SIGKILL included.
    pub fn try_lock(&self) -> Result<Option<File>, StateError> {
        self.create_dir()?;
        let path = self.dir.join(LOCK_FILE_NAME);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|source| StateError::new("open", &path, source))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(source)) => Err(StateError::new("lock", &path, source)),
        }
    }

    /// Renames something that is not a regular file out of the way, under a damaged name.
    fn move_aside(&self, path: &Path, reason: String) -> Result<Loaded, StateError> {
        let kept_as = unique_damaged_name(path);
        fs::rename(path, &kept_as).map_err(|source| StateError::new("move aside", path, source))?;
        sync_dir(&self.dir)?;
        Ok(Loaded::Damaged { kept_as, reason })
    }

    /// Keeps the damaged file under a new name next to it and reports it as damaged.
    fn keep_aside(&self, path: &Path, reason: String) -> Result<Loaded, StateError> {
        let kept_as = link_unique(path)?;
        fs::remove_file(path).map_err(|source| StateError::new("remove", path, source))?;
        sync_dir(&self.dir)?;
        Ok(Loaded::Damaged { kept_as, reason })
    }
}

/// Reads at most `MAX_FILE_LEN + 1` bytes, enough to tell an oversized file from a valid one.
///
/// Anything but a regular file (a directory, a FIFO that would block the read) is InvalidData.
fn read_limited(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a regular file",
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_LEN + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Returns the saved uplink name, or why the bytes are not a valid selection file.
fn decode(bytes: &[u8]) -> Result<String, String> {
    if bytes.is_empty() {
        return Err("file is empty".to_string());
    }
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(format!("file is larger than {MAX_FILE_LEN} bytes"));
    }
    let version: VersionOnly =
        serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
    if version.version != VERSION {
        return Err(format!(
            "unknown format version {}; this build reads version {VERSION}",
            version.version
        ));
    }
    let file: SelectionFile =
        serde_json::from_slice(bytes).map_err(|e| format!("invalid selection: {e}"))?;
    check_link_name("load selection", &file.uplink)
        .map_err(|e| format!("invalid uplink name: {e}"))?;
    Ok(file.uplink)
}

/// Returns a `.damaged-<unix time>[-N]` name next to `path` that does not exist yet.
fn unique_damaged_name(path: &Path) -> PathBuf {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let base = format!("{}.damaged-{seconds}", path.display());
    (0u32..)
        .map(|attempt| match attempt {
            0 => PathBuf::from(&base),
            n => PathBuf::from(format!("{base}-{n}")),
        })
        .find(|candidate| fs::symlink_metadata(candidate).is_err())
        .expect("the attempt counter covers every u32")
}

/// Hard-links `path` to `<path>.damaged-<unix time>`, adding `-1`, `-2`... until the name is
/// new. link(2) fails with EEXIST instead of replacing, so an earlier damaged copy is never lost.
fn link_unique(path: &Path) -> Result<PathBuf, StateError> {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let base = format!("{}.damaged-{seconds}", path.display());
    for attempt in 0u32.. {
        let candidate = match attempt {
            0 => PathBuf::from(&base),
            n => PathBuf::from(format!("{base}-{n}")),
        };
        match fs::hard_link(path, &candidate) {
            Ok(()) => return Ok(candidate),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(StateError::new("keep damaged file as", &candidate, source)),
        }
    }
    unreachable!("the attempt counter covers every u32")
}

/// Creates `path` (mode 0600), writes `bytes` and fsyncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let error = |op| move |source| StateError::new(op, path, source);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(error("create"))?;
    file.write_all(bytes).map_err(error("write"))?;
    file.sync_all().map_err(error("fsync"))
}

/// Fsyncs a directory so that a rename, creation or removal in it survives a power cut.
fn sync_dir(dir: &Path) -> Result<(), StateError> {
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(|source| StateError::new("fsync directory", dir, source))
}

impl StateError {
    fn new(op: &'static str, path: &Path, source: io::Error) -> StateError {
        StateError {
            op,
            path: path.to_path_buf(),
            source,
        }
    }
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot {} {}", self.op, self.path.display())?;
        if matches!(
            self.source.kind(),
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
        ) {
            write!(
                f,
                " (run as root, or point --state-dir at a writable directory; the service gets \
                 /var/lib/rustyjack from StateDirectory=rustyjack)"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

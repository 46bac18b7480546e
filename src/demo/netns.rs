//! Named network namespaces, made the way `ip netns add` makes them: a new namespace is pinned by
//! a bind mount of its `/proc` file onto `/run/netns/NAME`, so `ip netns list` shows it and it
//! outlives the thread that created it. See ip-netns(8).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const NETNS_DIR: &str = "/run/netns";

/// Paths of every namespace this process created and has not removed yet, so that the panic
/// hook can remove them when unwinding is off (the release profile aborts on panic).
static CREATED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Returns the path of the named namespace `name`.
pub fn path(name: &str) -> PathBuf {
    Path::new(NETNS_DIR).join(name)
}

/// Creates the named namespace `name`; fails with `AlreadyExists` when the name is taken.
pub fn create(name: &str) -> io::Result<()> {
    fs::create_dir_all(NETNS_DIR)?;
    let target = path(name);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)?;
    CREATED
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .push(target.clone());

    // unshare moves only the calling thread, so a short-lived thread does it and the caller's
    // namespace never changes.
    let pinned = target.clone();
    let result = std::thread::spawn(move || unshare_and_pin(&pinned))
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("namespace thread panicked")));
    if result.is_err() {
        let _ = remove(name);
    }
    result
}

fn unshare_and_pin(target: &Path) -> io::Result<()> {
    // SAFETY: unshare takes no pointers and only changes this thread's namespace membership.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let source = c_path(Path::new("/proc/thread-self/ns/net"))?;
    let target = c_path(target)?;
    // SAFETY: both strings are NUL-terminated and live across the call; the other arguments may
    // be null for a bind mount (mount(2)).
    let result = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Removes the named namespace `name`, like `ip netns delete`; the kernel frees it once no
/// process and no socket uses it any more. A name that is already gone is not an error.
pub fn remove(name: &str) -> io::Result<()> {
    remove_path(&path(name))
}

fn remove_path(target: &Path) -> io::Result<()> {
    let c_target = c_path(target)?;
    // SAFETY: the string is NUL-terminated; MNT_DETACH fails harmlessly when nothing is mounted.
    unsafe { libc::umount2(c_target.as_ptr(), libc::MNT_DETACH) };
    let result = match fs::remove_file(target) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    };
    let mut created = CREATED.lock().unwrap_or_else(|poison| poison.into_inner());
    created.retain(|path| path != target);
    result
}

/// Removes every namespace this process created and has not removed yet; the panic hook calls it.
pub fn remove_all_created() {
    let paths = CREATED
        .lock()
        .map(|created| created.clone())
        .unwrap_or_default();
    for path in paths.iter().rev() {
        let _ = remove_path(path);
    }
}

fn c_path(path: &Path) -> io::Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(io::Error::other)
}

/// The calling thread moved into a named namespace; dropping it moves the thread back.
///
/// Only synchronous code may run while it is alive: an `.await` would let other tasks of the
/// current-thread runtime run inside the wrong namespace.
pub struct Entered {
    original: File,
}

impl Entered {
    /// Moves the calling thread into the namespace `name`.
    pub fn enter(name: &str) -> io::Result<Entered> {
        let original = File::open("/proc/thread-self/ns/net")?;
        let target = File::open(path(name))?;
        // SAFETY: the descriptor is an open namespace file that lives across the call.
        if unsafe { libc::setns(target.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Entered { original })
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        // SAFETY: the descriptor is the thread's original namespace, opened in `enter`.
        if unsafe { libc::setns(self.original.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            // Going on in the wrong namespace could change the machine's own interfaces later.
            eprintln!(
                "rustyjack: cannot return to the original network namespace: {}",
                io::Error::last_os_error()
            );
            std::process::abort();
        }
    }
}

/// Returns the inode that identifies the namespace behind `file`.
pub fn inode(file: &File) -> io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(file.metadata()?.ino())
}

/// The namespaces of one demo run, removed on drop.
pub struct Namespaces {
    names: Vec<String>,
}

impl Namespaces {
    /// Starts an empty set and installs a panic hook that removes whatever it holds.
    pub fn new() -> Namespaces {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            remove_all_created();
            previous(info);
        }));
        Namespaces { names: Vec::new() }
    }

    /// Creates the named namespace `name` and takes charge of removing it.
    pub fn add(&mut self, name: &str) -> io::Result<()> {
        create(name)?;
        self.names.push(name.to_string());
        Ok(())
    }

    /// Returns the names created so far, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

impl Default for Namespaces {
    fn default() -> Self {
        Namespaces::new()
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for name in self.names.iter().rev() {
            match remove(name) {
                Ok(()) => tracing::debug!(netns = %name, "namespace removed"),
                Err(error) => eprintln!(
                    "rustyjack: cannot remove network namespace {name}: {error}; remove it with `ip netns delete {name}`"
                ),
            }
        }
    }
}

//! Files by path: open, read whole, write whole. No allocation for the
//! path itself (rustix makes the C string on its stack).

use crate::sys::{self, AsFd, Errno, OwnedFd};
use alloc::vec::Vec;
use rustix::fs::{Mode, OFlags};

/// Opens the host's `path` with `flags`, close-on-exec. One call site for
/// the opens by path.
pub fn open_file(path: &[u8], flags: OFlags) -> sys::Result<OwnedFd> {
    // rustix makes the C string on its stack for a short path: nothing is
    // allocated (a start may repeat thousands of times under hull bench).
    rustix::fs::open(path, flags | OFlags::CLOEXEC, Mode::empty())
}

/// Writes all of `data` to the existing file `path` (a cgroup or /proc
/// file: a map or a limit, which the kernel takes in one write).
pub fn write_file(path: &[u8], data: &[u8]) -> sys::Result<()> {
    let fd = open_file(path, OFlags::WRONLY)?;
    sys::write_all(fd.as_fd(), data)
}

/// Why [`read_regular`] could not read a file.
#[derive(Debug, PartialEq, Eq)]
pub enum Unreadable {
    Sys(Errno),
    NotRegular,
    /// Larger than this many bytes.
    TooLarge(u64),
}

impl Unreadable {
    /// Says why, in words: "No such file or directory", "not a regular
    /// file", "larger than 1048576 bytes".
    pub fn say<'b>(&self, b: &'b mut super::out::Buf) -> &'b mut super::out::Buf {
        match self {
            Unreadable::Sys(e) => b.s(super::errno::strerror(*e)),
            Unreadable::NotRegular => b.s("not a regular file"),
            Unreadable::TooLarge(n) => b.s("larger than ").u(*n).s(" bytes"),
        }
    }
}

/// Reads a whole regular file of at most `max` bytes, refusing anything
/// else (a FIFO would block, /dev/zero never end).
pub fn read_regular(path: &[u8], max: u64) -> Result<Vec<u8>, Unreadable> {
    let fd = open_file(path, OFlags::RDONLY | OFlags::NONBLOCK).map_err(Unreadable::Sys)?;
    let st = rustix::fs::fstat(&fd).map_err(Unreadable::Sys)?;
    if !rustix::fs::FileType::from_raw_mode(st.st_mode).is_file() {
        return Err(Unreadable::NotRegular);
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match sys::read_full(fd.as_fd(), &mut buf).map_err(Unreadable::Sys)? {
            0 => return Ok(out),
            // (Checked as it is read: it may grow after the fstat.)
            n if (out.len() + n) as u64 <= max => out.extend_from_slice(&buf[..n]),
            _ => return Err(Unreadable::TooLarge(max)),
        }
    }
}

/// Reads a whole (small) file.
pub fn read_file(path: &[u8]) -> sys::Result<Vec<u8>> {
    read_fd(open_file(path, OFlags::RDONLY)?.as_fd())
}

/// Reads everything from `fd` to its end.
pub fn read_fd(fd: sys::BorrowedFd<'_>) -> sys::Result<Vec<u8>> {
    // Not dropped on a failed read, as the paths: no drop code.
    let mut out = core::mem::ManuallyDrop::new(Vec::new());
    let mut buf = [0u8; 4096];
    loop {
        match sys::read_full(fd, &mut buf)? {
            0 => return Ok(core::mem::ManuallyDrop::into_inner(out)),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

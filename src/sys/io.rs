//! File descriptors: whole reads and writes, the standard ones, dup2,
//! waiting for one to be readable, and getcwd.

use super::{AsRawFd, BorrowedFd, Errno, OwnedFd, Result, raw};
use core::ffi::CStr;

/// Blocks until `fd` is readable (`poll(2)`, POLLIN, retrying EINTR). A
/// pidfd becomes readable when its process exits, before it is reaped.
pub fn wait_readable(fd: BorrowedFd<'_>) -> Result<()> {
    use rustix::event::{PollFd, PollFlags, poll};
    loop {
        match poll(&mut [PollFd::new(&fd, PollFlags::IN)], None) {
            Err(Errno::INTR) | Ok(0) => {}
            r => return r.map(drop),
        }
    }
}

/// `dup2(fd, n)`: `fd` also becomes descriptor `n` (a standard one).
pub fn dup_onto(fd: BorrowedFd<'_>, n: i32) -> Result<()> {
    // SAFETY: dup2 onto a standard descriptor replaces whatever was there,
    // which we own.
    let r = unsafe { raw::syscall2(raw::SYS_DUP2, fd.as_raw_fd() as usize, n as usize) };
    raw::check(r).map(drop)
}

/// `getcwd(2)` into `buf`: the current directory's path, without the NUL.
/// A syscall of its own, so it needs no /proc (rustix's wants alloc).
pub fn getcwd(buf: &mut [u8]) -> Result<&[u8]> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let r = unsafe { raw::syscall2(raw::SYS_GETCWD, buf.as_mut_ptr() as usize, buf.len()) };
    // The length includes the NUL.
    let n = raw::check(r)?;
    Ok(buf.get(..n.saturating_sub(1)).unwrap_or_default())
}

/// `write(2)` until all of `buf` is written (or an error other than EINTR).
pub fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> Result<()> {
    while !buf.is_empty() {
        match rustix::io::write(fd, buf) {
            Ok(0) => return Err(Errno::IO),
            Ok(n) => buf = buf.get(n..).unwrap_or_default(),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `read(2)` until `buf` is full or end of file, retrying EINTR. Returns the
/// number of bytes read.
pub fn read_full(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize> {
    let mut got = 0;
    // `get_mut`, not indexing: no panic path.
    while let Some(rest) = buf.get_mut(got..)
        && !rest.is_empty()
    {
        match rustix::io::read(fd, rest) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Standard error, which hull never closes.
pub fn stderr() -> BorrowedFd<'static> {
    // SAFETY: fd 2 is inherited open for the life of the process; if it was
    // closed, writes fail with EBADF, which callers ignore.
    unsafe { BorrowedFd::borrow_raw(2) }
}

/// Standard output.
pub fn stdout() -> BorrowedFd<'static> {
    // SAFETY: as for `stderr`.
    unsafe { BorrowedFd::borrow_raw(1) }
}

/// Standard input.
pub fn stdin() -> BorrowedFd<'static> {
    // SAFETY: as for `stderr`.
    unsafe { BorrowedFd::borrow_raw(0) }
}

/// Reads one byte from fd number `fd`, blocking: true if one came (false
/// at end of file or on an error).
pub fn read_byte(fd: i32) -> bool {
    // SAFETY: borrowed for the call only; a number that is not open makes
    // read fail with EBADF, nothing worse.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    let mut b = [0u8; 1];
    loop {
        match rustix::io::read(fd, &mut b) {
            Ok(n) => return n == 1,
            Err(Errno::INTR) => {}
            Err(_) => return false,
        }
    }
}

/// `dup2(fd, n)` for n in 0, 1, 2: `fd` becomes stdin, stdout and stderr.
pub fn dup_stdio(fd: BorrowedFd<'_>) -> Result<()> {
    for n in 0..3 {
        // SAFETY: dup2 onto 0..2 replaces whatever was there, which we own.
        raw::check(unsafe { raw::syscall2(raw::SYS_DUP2, fd.as_raw_fd() as usize, n) })?;
    }
    Ok(())
}

/// A file description of our own for our fd `n` (0 or 1), opened again
/// through `/proc/self/fd/N` with `O_NONBLOCK`, when `n` is a pipe or a
/// terminal (a character device); None otherwise (a regular file, which
/// never blocks and whose offset a new open would lose; a socket, which
/// cannot be opened so; or no /proc).
pub fn reopen_nonblocking(n: i32) -> Option<OwnedFd> {
    use rustix::fs::{FileType, Mode, OFlags};
    // SAFETY: fd 0 or 1, borrowed for the fstat only.
    let fd = unsafe { BorrowedFd::borrow_raw(n) };
    let kind = FileType::from_raw_mode(rustix::fs::fstat(fd).ok()?.st_mode);
    if kind != FileType::Fifo && kind != FileType::CharacterDevice {
        return None;
    }
    let path: &CStr = if n == 0 {
        c"/proc/self/fd/0"
    } else {
        c"/proc/self/fd/1"
    };
    let access = if n == 0 {
        OFlags::RDONLY
    } else {
        OFlags::WRONLY
    };
    let flags = access | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::empty()).ok()
}

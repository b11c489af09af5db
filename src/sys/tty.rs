//! Terminals: a pty of the container's own, its size, the controlling
//! terminal, and raw mode for hull's.

use super::{AsFd, AsRawFd, BorrowedFd, Errno, FromRawFd, OwnedFd, Result, raw};
use linux_raw_sys::ioctl as ioc;

/// `ioctl(2)`, out of line: every terminal request goes through it.
///
/// # Safety
/// `arg` is what request `req` takes: a value, or a pointer to a live object
/// of the type it reads or writes.
#[inline(never)]
unsafe fn ioctl(fd: BorrowedFd<'_>, req: u32, arg: usize) -> Result<usize> {
    // SAFETY: per the function's contract.
    raw::check(unsafe { raw::syscall3(raw::SYS_IOCTL, fd.as_raw_fd() as usize, req as usize, arg) })
}

/// `ioctl(TIOCSWINSZ)` with rows, columns, and pixel width and height.
pub fn set_winsize(fd: BorrowedFd<'_>, size: [u16; 4]) -> Result<()> {
    // SAFETY: TIOCSWINSZ reads one `struct winsize` (four u16, the array's
    // layout) from the pointer, which is live.
    unsafe { ioctl(fd, ioc::TIOCSWINSZ, size.as_ptr() as usize) }.map(drop)
}

/// `ioctl(TIOCGWINSZ)`: rows, columns, and pixel width and height.
pub fn winsize(fd: BorrowedFd<'_>) -> Result<[u16; 4]> {
    let mut size = [0u16; 4];
    // SAFETY: TIOCGWINSZ writes one `struct winsize` (four u16) to the
    // pointer, which is live.
    unsafe { ioctl(fd, ioc::TIOCGWINSZ, size.as_mut_ptr() as usize) }?;
    Ok(size)
}

/// A new pty from `/dev/ptmx` (whichever devpts it leads to): unlocked,
/// with its slave opened by `TIOCGPTPEER` (no path); both close-on-exec.
/// Returns (master, slave).
pub fn open_pty() -> Result<(OwnedFd, OwnedFd)> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC;
    let master = rustix::fs::open(c"/dev/ptmx", flags, Mode::empty())?;
    let unlock = 0i32;
    // SAFETY: TIOCSPTLCK reads an int from the pointer, which is live;
    // TIOCGPTPEER takes open flags as a value and returns a new fd, which
    // nothing else owns.
    unsafe {
        ioctl(
            master.as_fd(),
            ioc::TIOCSPTLCK,
            &unlock as *const i32 as usize,
        )?;
        let slave = ioctl(master.as_fd(), ioc::TIOCGPTPEER, flags.bits() as usize)?;
        Ok((master, OwnedFd::from_raw_fd(slave as i32)))
    }
}

/// Makes the terminal `fd` the controlling terminal of this process (a
/// session leader without one): `ioctl(TIOCSCTTY, 0)`.
pub fn set_controlling_terminal(fd: BorrowedFd<'_>) -> Result<()> {
    // SAFETY: TIOCSCTTY takes an int value (0: do not steal it).
    unsafe { ioctl(fd, ioc::TIOCSCTTY, 0) }.map(drop)
}

/// Leaves the controlling terminal without a new session: `open("/dev/tty",
/// O_RDWR|O_NOCTTY|O_NONBLOCK|O_CLOEXEC)`, `ioctl(TIOCNOTTY)`, `close`.
/// Ok when there was none to leave (ENXIO from the open).
///
/// For a process that is not a session leader, the kernel's TIOCNOTTY only
/// clears its `signal->tty` (`no_tty` -> `proc_clear_tty`): no signal is sent
/// and the session keeps its terminal. Children forked later copy the empty
/// `signal->tty`, so no process of the container has the terminal as its
/// controlling one: TIOCSTI on it fails with EPERM (without CAP_SYS_ADMIN),
/// `/dev/tty` fails with ENXIO, and tty_nr in /proc/PID/stat is 0.
pub fn leave_terminal() -> Result<()> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDWR | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    match rustix::fs::open(c"/dev/tty", flags, Mode::empty()) {
        // SAFETY: TIOCNOTTY takes no argument.
        Ok(tty) => unsafe { ioctl(tty.as_fd(), ioc::TIOCNOTTY, 0) }.map(drop),
        Err(Errno::NXIO) => Ok(()),
        Err(e) => Err(e),
    }
}

/// `tcsetpgrp(fd, getpid())`: our process group becomes the terminal's
/// foreground one.
pub fn set_foreground(fd: BorrowedFd<'_>) -> Result<()> {
    let pid = rustix::process::getpid().as_raw_nonzero().get();
    // SAFETY: TIOCSPGRP reads a pid_t from the pointer, which is live.
    unsafe { ioctl(fd, ioc::TIOCSPGRP, &pid as *const i32 as usize) }.map(drop)
}

/// The kernel's `struct termios`, as `ioctl(TCGETS)` fills it.
pub use linux_raw_sys::general::termios as Termios;

/// A `struct termios` of zeros (every flag off), to be filled in.
pub fn blank_termios() -> Termios {
    // SAFETY: all-zero bytes are a valid `struct termios` (integers and
    // an array of them).
    unsafe { core::mem::zeroed() }
}

/// `ioctl(fd, TCGETS)`: the terminal's settings (tcgetattr, without the
/// speed decoding that hull does not need).
pub fn tcgets(fd: BorrowedFd<'_>) -> Result<Termios> {
    let mut t = blank_termios();
    // SAFETY: TCGETS writes one `struct termios` to the pointer, which is live.
    unsafe { ioctl(fd, ioc::TCGETS, &mut t as *mut Termios as usize) }?;
    Ok(t)
}

/// `ioctl(fd, TCSETS)`: tcsetattr(TCSANOW).
pub fn tcsets(fd: BorrowedFd<'_>, t: &Termios) -> Result<()> {
    // SAFETY: TCSETS reads one `struct termios` from the pointer, which is live.
    unsafe { ioctl(fd, ioc::TCSETS, t as *const Termios as usize) }.map(drop)
}

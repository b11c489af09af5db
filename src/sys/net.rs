//! The network namespace's loopback interface.

use super::{AsRawFd, Result, raw};
use linux_raw_sys::net::ifreq;

/// Brings the loopback interface up: `ioctl(SIOCGIFFLAGS)`, then
/// `ioctl(SIOCSIFFLAGS)` with `IFF_UP`, on a throwaway datagram socket.
pub fn loopback_up() -> Result<()> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, socket_with};
    let sock = socket_with(
        AddressFamily::INET,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    // SAFETY: all-zero bytes are a valid struct ifreq (a name, and a
    // union of plain data and pointers, all valid as zero).
    let mut ifr: ifreq = unsafe { core::mem::zeroed() };
    // SAFETY: writing the name member of the union; "lo" and its NUL fit.
    unsafe { ifr.ifr_ifrn.ifrn_name[..2].copy_from_slice(&[b'l' as _, b'o' as _]) };
    let fd = sock.as_raw_fd() as usize;
    let ioctl = |req, ifr: &mut ifreq| {
        // SAFETY: `ifr` is a valid struct ifreq for both requests and
        // outlives the call; `fd` is an open socket.
        raw::check(unsafe { raw::syscall3(raw::SYS_IOCTL, fd, req, ifr as *mut ifreq as usize) })
    };
    ioctl(raw::SIOCGIFFLAGS, &mut ifr)?;
    // SAFETY: SIOCGIFFLAGS filled `ifru_flags`, the member read and written.
    unsafe { ifr.ifr_ifru.ifru_flags |= raw::IFF_UP as i16 };
    ioctl(raw::SIOCSIFFLAGS, &mut ifr).map(drop)
}

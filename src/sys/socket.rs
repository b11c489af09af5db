//! Unix sockets: a message with an fd attached (SCM_RIGHTS), both ways.

use super::{AsRawFd, BorrowedFd, Errno, FromRawFd, OwnedFd, Result, raw};
use linux_raw_sys::general::iovec;
use linux_raw_sys::net::{SCM_RIGHTS, SOL_SOCKET, cmsghdr, msghdr};

/// A control message carrying one fd (SCM_RIGHTS): the header, the fd,
/// and the padding to CMSG_SPACE(4) = 24 bytes (CMSG_LEN(4) = 20).
#[repr(C)]
struct OneFd {
    hdr: cmsghdr,
    fd: i32,
    pad: i32,
}

/// The header of a control message of one fd.
const ONE_FD: cmsghdr = cmsghdr {
    cmsg_len: core::mem::size_of::<cmsghdr>() + 4,
    cmsg_level: SOL_SOCKET as i32,
    cmsg_type: SCM_RIGHTS as i32,
};

/// A struct msghdr for one iovec and one [`OneFd`] control buffer.
fn msghdr(iov: &iovec, ctl: *mut OneFd) -> msghdr {
    msghdr {
        msg_name: core::ptr::null_mut(),
        msg_namelen: 0,
        msg_iov: iov as *const iovec as *mut linux_raw_sys::net::iovec,
        msg_iovlen: 1,
        msg_control: ctl.cast(),
        msg_controllen: core::mem::size_of::<OneFd>(),
        msg_flags: 0,
    }
}

/// `sendmsg(2)` of `data` with `fd` attached (SCM_RIGHTS).
pub fn send_with_fd(sock: BorrowedFd<'_>, data: &[u8], fd: BorrowedFd<'_>) -> Result<()> {
    let mut ctl = OneFd {
        hdr: ONE_FD,
        fd: fd.as_raw_fd(),
        pad: 0,
    };
    let iov = iovec {
        iov_base: data.as_ptr() as *mut _,
        iov_len: data.len() as _,
    };
    let msg = msghdr(&iov, &mut ctl);
    // SAFETY: `msg` is a valid struct msghdr whose pointers (iov, data,
    // ctl) are live for the call; the kernel only reads them.
    let r = unsafe {
        raw::syscall3(
            raw::SYS_SENDMSG,
            sock.as_raw_fd() as usize,
            &msg as *const msghdr as usize,
            linux_raw_sys::net::MSG_NOSIGNAL as usize,
        )
    };
    raw::check(r).map(|_| ())
}

/// `recvmsg(2)` until `buf` is full or end of file (as [`read_full`]);
/// returns the byte count and the fd that came with them (SCM_RIGHTS), if
/// one did, close-on-exec. Without `block`, also stops when nothing more is
/// there to read.
pub fn recv_full(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
    block: bool,
) -> Result<(usize, Option<OwnedFd>)> {
    use linux_raw_sys::net::{MSG_CMSG_CLOEXEC, MSG_DONTWAIT};
    let flags = MSG_CMSG_CLOEXEC | if block { 0 } else { MSG_DONTWAIT };
    let mut got = 0;
    let mut fd = None;
    while got < buf.len() {
        let mut ctl = OneFd {
            hdr: cmsghdr {
                cmsg_len: 0,
                cmsg_level: 0,
                cmsg_type: 0,
            },
            fd: -1,
            pad: 0,
        };
        let iov = iovec {
            iov_base: buf[got..].as_mut_ptr().cast(),
            iov_len: (buf.len() - got) as _,
        };
        let mut msg = msghdr(&iov, &mut ctl);
        // SAFETY: as in `send_with_fd`; the kernel writes at most the rest
        // of `buf` and one OneFd to `ctl`, and updates `msg`.
        let r = unsafe {
            raw::syscall3(
                raw::SYS_RECVMSG,
                sock.as_raw_fd() as usize,
                &mut msg as *mut msghdr as usize,
                flags as usize,
            )
        };
        match raw::check(r) {
            Ok(0) | Err(Errno::AGAIN) => break,
            Ok(n) => got += n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
        // One SCM_RIGHTS message of one fd.
        let h = &ctl.hdr;
        if msg.msg_controllen >= ONE_FD.cmsg_len
            && (h.cmsg_len, h.cmsg_level, h.cmsg_type)
                == (ONE_FD.cmsg_len, ONE_FD.cmsg_level, ONE_FD.cmsg_type)
        {
            // SAFETY: the kernel installed this fd for us; nothing else owns it.
            fd = Some(unsafe { OwnedFd::from_raw_fd(ctl.fd) });
        }
    }
    Ok((got, fd))
}

//! `seccomp(2)`: installing a BPF filter on the calling thread.

use super::{Errno, Result, raw};
use linux_raw_sys::ptrace::{SECCOMP_SET_MODE_FILTER, sock_filter, sock_fprog};

/// `seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog)`
/// ([seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html)):
/// every later syscall of this thread, and of the processes it starts, runs
/// `prog` first. No `SECCOMP_FILTER_FLAG_TSYNC`: hull is single-threaded.
///
/// Without `no_new_privs`, the kernel requires CAP_SYS_ADMIN in the
/// caller's user namespace (EACCES otherwise), so a filter goes in before
/// the capabilities are dropped. EINVAL for an empty program or one the
/// kernel's checker refuses; more than 65535 instructions is EINVAL here.
pub fn set_filter(prog: &[sock_filter]) -> Result<()> {
    let len = u16::try_from(prog.len()).map_err(|_| Errno::INVAL)?;
    let fprog = sock_fprog {
        len,
        filter: prog.as_ptr() as *mut sock_filter,
    };
    // SAFETY: `fprog` points at `len` live instructions, which the kernel
    // only reads (it copies them) during the call.
    let r = unsafe {
        raw::syscall3(
            raw::SYS_SECCOMP,
            SECCOMP_SET_MODE_FILTER as usize,
            0,
            &fprog as *const sock_fprog as usize,
        )
    };
    raw::check(r).map(drop)
}

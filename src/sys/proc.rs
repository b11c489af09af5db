//! Process calls for `hull bench --runtime`: reaping with the resource
//! usage the kernel accounted, and a private mount namespace for hull itself.

use super::{BorrowedFd, Result, raw};
use crate::sys::AsRawFd;
use linux_raw_sys::general as g;

/// `waitid(P_PIDFD, pidfd, &info, WEXITED, &rusage)` (the raw syscall,
/// whose fifth argument the C wrapper hides; retrying EINTR): reaps the
/// child and returns its status (the exit code, or 128+N when signal N
/// killed it) and its `ru_maxrss` in KiB, the largest resident set it or
/// any child it reaped ever had.
///
/// See [waitid(2)](https://man7.org/linux/man-pages/man2/waitid.2.html) and
/// [getrusage(2)](https://man7.org/linux/man-pages/man2/getrusage.2.html).
pub fn wait_rusage(pidfd: BorrowedFd<'_>) -> Result<(i32, u64)> {
    // siginfo_t is 128 bytes: si_code at 8, si_status at 24 (for SIGCHLD).
    // struct rusage: two timevals, then ru_maxrss (a long) at 32.
    let mut info = [0i32; 32];
    let mut usage = [0u64; 18];
    loop {
        // SAFETY: both buffers are live and as large as the kernel's
        // siginfo_t and struct rusage, which it writes.
        let r = unsafe {
            raw::syscall5(
                g::__NR_waitid as usize,
                g::P_PIDFD as usize,
                pidfd.as_raw_fd() as usize,
                info.as_mut_ptr() as usize,
                g::WEXITED as usize,
                usage.as_mut_ptr() as usize,
            )
        };
        match raw::check(r) {
            Err(super::Errno::INTR) => continue,
            Err(e) => return Err(e),
            Ok(_) => break,
        }
    }
    let status = info[6];
    let code = if info[2] == g::CLD_EXITED as i32 {
        status
    } else {
        128 + status
    };
    Ok((code, usage[4]))
}

/// `unshare(CLONE_NEWNS)`: a mount namespace of the caller's own (a copy
/// of its current one).
///
/// See [unshare(2)](https://man7.org/linux/man-pages/man2/unshare.2.html).
pub fn unshare_mountns() -> Result<()> {
    use rustix::thread::{UnshareFlags, unshare_unsafe};
    // SAFETY: only CLONE_NEWNS is unshared; the fd table (the reason
    // rustix marks unshare unsafe) is untouched.
    unsafe { unshare_unsafe(UnshareFlags::NEWNS) }
}

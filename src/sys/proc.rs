//! The process itself: reaping with the resource usage the kernel
//! accounted and a private mount namespace (`hull bench --runtime`), its
//! command line as /proc shows it, and the debug builds' guard against the
//! child allocating.

use super::{BorrowedFd, Result, raw};
use crate::sys::AsRawFd;
use core::ffi::CStr;
use core::sync::atomic::Ordering;
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

/// `unshare(CLONE_NEWTIME)`: the caller's children are born in a new time
/// namespace (the caller stays in its own), whose clock offsets may be
/// written to /proc/self/timens_offsets until a process enters it.
pub fn unshare_timens() -> Result<()> {
    use rustix::thread::{UnshareFlags, unshare_unsafe};
    // SAFETY: only CLONE_NEWTIME is unshared; the fd table (the reason
    // rustix marks unshare unsafe) is untouched.
    unsafe { unshare_unsafe(UnshareFlags::NEWTIME) }
}

/// Set by the child when it starts, in debug builds: the allocator aborts
/// if the child ever allocates (it runs in hull's memory, and anything it
/// allocated there would be hull's bump arena moving under hull's feet).
/// The parent clears it once it runs again (the vfork-style child shares
/// this flag; a fork-style one has its own copy).
#[cfg(debug_assertions)]
pub static IN_CHILD: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Where hull's command line lies in its memory (start, end), as the
/// entry point found it; 0 until noted.
static CMDLINE: [core::sync::atomic::AtomicUsize; 2] = [
    core::sync::atomic::AtomicUsize::new(0),
    core::sync::atomic::AtomicUsize::new(0),
];

/// Notes where the command line lies (the entry point calls it once).
pub fn note_cmdline(start: usize, end: usize) {
    CMDLINE[0].store(start, Ordering::Relaxed);
    CMDLINE[1].store(end, Ordering::Relaxed);
}

/// Makes `/proc/self/cmdline` read `name`, and the process name (comm) too:
/// the bytes of the command line are overwritten (zero-filled past
/// `name`), which is what the kernel shows, and `PR_SET_NAME` renames it.
/// For hull's init, which the container sees as its PID 1: it should not
/// show hull's host path and options.
///
/// Only for a process that never reads its arguments again (the init,
/// which serves until it exits): the `&CStr`s the entry point made of them
/// are never used after this.
pub fn set_cmdline(name: &CStr) {
    let (start, end) = (
        CMDLINE[0].load(Ordering::Relaxed),
        CMDLINE[1].load(Ordering::Relaxed),
    );
    let bytes = name.to_bytes();
    if start != 0 && end > start + bytes.len() {
        // SAFETY: [start, end) is the process's argument strings, which the
        // kernel put in writable memory on the stack and which, per the
        // contract above, nothing reads any more; `name` fits, with room
        // for a NUL.
        unsafe {
            let p = start as *mut u8;
            core::ptr::write_bytes(p, 0, end - start);
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        }
    }
    let _ = rustix::thread::set_name(name);
}

/// SIGKILL to the process of `pidfd`, then a wait of at most `secs` for it
/// to be gone (the pidfd turns readable; it need not be our child).
pub fn kill_and_wait(pidfd: BorrowedFd<'_>, secs: i64) {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let _ = rustix::process::pidfd_send_signal(pidfd, rustix::process::Signal::KILL);
    let mut p = [PollFd::from_borrowed_fd(pidfd, PollFlags::IN)];
    let _ = poll(
        &mut p,
        Some(&Timespec {
            tv_sec: secs,
            tv_nsec: 0,
        }),
    );
}

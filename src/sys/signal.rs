//! Signals: the blocked mask, dispositions, and the signalfd hull waits on.

use super::{BorrowedFd, FromRawFd, OwnedFd, Result, raw};
use linux_raw_sys::general::{kernel_sigaction, kernel_sigset_t};

/// A set of signals as the kernel's 64-bit `sigset_t`: bit N-1 is signal N.
pub type SigSet = u64;

/// The bit of signal `sig` in a [`SigSet`].
pub const fn sig_bit(sig: u32) -> SigSet {
    1 << (sig - 1)
}

/// `rt_sigprocmask(SIG_BLOCK)`: adds `set` to the blocked signals and returns
/// the mask as it was before.
pub fn block_signals(set: SigSet) -> Result<SigSet> {
    sigprocmask(linux_raw_sys::general::SIG_BLOCK, set)
}

/// `rt_sigprocmask(SIG_SETMASK)`: makes `set` the blocked signals.
pub fn set_signal_mask(set: SigSet) -> Result<()> {
    sigprocmask(linux_raw_sys::general::SIG_SETMASK, set).map(|_| ())
}

/// `rt_sigaction(sig, SIG_DFL)` for each signal in `set`: handlers and
/// SIG_IGN both go (an ignored signal stays ignored across execve).
pub fn default_signals(set: SigSet) {
    let act = kernel_sigaction {
        sa_handler_kernel: None, // SIG_DFL
        sa_flags: 0,
        sa_restorer: None,
        sa_mask: kernel_sigset_t { sig: [0] },
    };
    for sig in 1..65 {
        if set & sig_bit(sig) != 0 {
            // SAFETY: `act` is a valid struct sigaction of the size passed
            // (8-byte mask), live for the call; no old action is asked for.
            // SIGKILL and SIGSTOP (never in `set`) would only fail.
            unsafe {
                raw::syscall4(
                    raw::SYS_RT_SIGACTION,
                    sig as usize,
                    &act as *const kernel_sigaction as usize,
                    0,
                    8,
                )
            };
        }
    }
}

/// Whether signal `sig`'s disposition is SIG_IGN (`rt_sigaction` asking
/// only for the old action).
pub fn is_ignored(sig: u32) -> bool {
    let mut old = core::mem::MaybeUninit::<kernel_sigaction>::zeroed();
    // SAFETY: no new action; the kernel writes one struct sigaction (8-byte
    // mask) into `old`, which is live and large enough.
    let r = unsafe {
        raw::syscall4(
            raw::SYS_RT_SIGACTION,
            sig as usize,
            0,
            old.as_mut_ptr() as usize,
            8,
        )
    };
    // SAFETY: zeroed is a valid kernel_sigaction (no handler), and the
    // kernel wrote a whole one if the call succeeded.
    let old = unsafe { old.assume_init() };
    // SIG_IGN is the handler value 1.
    r == 0 && old.sa_handler_kernel.map_or(0, |f| f as usize) == 1
}

fn sigprocmask(how: u32, set: SigSet) -> Result<SigSet> {
    let mut old: SigSet = 0;
    // SAFETY: both pointers are to live 8-byte sigsets, the size passed.
    let r = unsafe {
        raw::syscall4(
            raw::SYS_RT_SIGPROCMASK,
            how as usize,
            &set as *const SigSet as usize,
            &mut old as *mut SigSet as usize,
            8,
        )
    };
    raw::check(r)?;
    Ok(old)
}

/// `signalfd4(-1, set, SFD_CLOEXEC)`: the signals in `set` (which must be
/// blocked) become readable records on a file descriptor.
pub fn signalfd(set: SigSet) -> Result<OwnedFd> {
    // SAFETY: `set` is a live 8-byte sigset, the size passed.
    let r = unsafe {
        raw::syscall4(
            raw::SYS_SIGNALFD4,
            -1isize as usize,
            &set as *const SigSet as usize,
            8,
            linux_raw_sys::general::O_CLOEXEC as usize,
        )
    };
    let fd = raw::check(r)?;
    // SAFETY: the kernel just created this fd for us; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Reads one `struct signalfd_siginfo` and returns its signal. (No EINTR
/// loop: hull installs no handlers, so the kernel restarts the read.)
pub fn read_signal(fd: BorrowedFd<'_>) -> Result<rustix::process::Signal> {
    let mut info = [0u8; 128];
    rustix::io::read(fd, &mut info)?;
    let n = i32::from_ne_bytes([info[0], info[1], info[2], info[3]]);
    // SAFETY: the kernel reports a signal that it queued: a valid, non-zero
    // signal number (a read returns whole records, or fails).
    Ok(unsafe { rustix::process::Signal::from_raw_unchecked(n) })
}

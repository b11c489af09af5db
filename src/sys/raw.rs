//! Raw `syscall` instructions for the few calls rustix does not offer in the
//! form hull needs. x86_64 only, like the entry point.

use super::{Errno, Result};
use linux_raw_sys::general as g;

pub const SYS_CLONE3: usize = g::__NR_clone3 as usize;
pub const SYS_CLONE: usize = g::__NR_clone as usize;
pub const SYS_EXECVE: usize = g::__NR_execve as usize;
pub const SYS_EXIT_GROUP: usize = g::__NR_exit_group as usize;
pub const SYS_DUP2: usize = g::__NR_dup2 as usize;
pub const SYS_SENDMSG: usize = g::__NR_sendmsg as usize;
pub const SYS_RECVMSG: usize = g::__NR_recvmsg as usize;
pub const SYS_IOCTL: usize = g::__NR_ioctl as usize;
pub const SYS_MOUNT_SETATTR: usize = g::__NR_mount_setattr as usize;
pub const SYS_RT_SIGACTION: usize = g::__NR_rt_sigaction as usize;
pub const SYS_RT_SIGPROCMASK: usize = g::__NR_rt_sigprocmask as usize;
pub const SYS_SIGNALFD4: usize = g::__NR_signalfd4 as usize;
pub const SYS_CLOCK_GETTIME: usize = g::__NR_clock_gettime as usize;
pub const SYS_GETCWD: usize = g::__NR_getcwd as usize;
pub const SYS_CLOSE_RANGE: usize = g::__NR_close_range as usize;
pub const SYS_CLOSE: usize = g::__NR_close as usize;
pub const SYS_FCNTL: usize = g::__NR_fcntl as usize;
pub const SYS_KEYCTL: usize = g::__NR_keyctl as usize;
pub const SYS_SECCOMP: usize = g::__NR_seccomp as usize;
pub const SYS_PERSONALITY: usize = g::__NR_personality as usize;
pub const SIOCGIFFLAGS: usize = linux_raw_sys::ioctl::SIOCGIFFLAGS as usize;
pub const SIOCSIFFLAGS: usize = linux_raw_sys::ioctl::SIOCSIFFLAGS as usize;
/// `IFF_UP` from <linux/if.h> (an enum there, so not a constant in linux-raw-sys).
pub const IFF_UP: u16 = 1;

/// Turns a raw return value into a Result: -4095..-1 are errnos.
pub fn check(r: isize) -> Result<usize> {
    if (-4095..0).contains(&r) {
        Err(Errno::from_raw_os_error(-r as i32))
    } else {
        Ok(r as usize)
    }
}

/// # Safety
/// The caller upholds the contract of syscall `n` for these arguments.
#[inline(always)]
pub unsafe fn syscall2(n: usize, a1: usize, a2: usize) -> isize {
    let r;
    // SAFETY: delegated to the caller; the kernel clobbers only rcx and r11.
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") n as isize => r, in("rdi") a1, in("rsi") a2,
            lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    r
}

/// # Safety
/// As `syscall2`.
#[inline(always)]
pub unsafe fn syscall3(n: usize, a1: usize, a2: usize, a3: usize) -> isize {
    let r;
    // SAFETY: delegated to the caller; the kernel clobbers only rcx and r11.
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") n as isize => r, in("rdi") a1, in("rsi") a2,
            in("rdx") a3, lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    r
}

/// # Safety
/// As `syscall2`.
#[inline(always)]
pub unsafe fn syscall4(n: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> isize {
    let r;
    // SAFETY: delegated to the caller; the kernel clobbers only rcx and r11.
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") n as isize => r, in("rdi") a1, in("rsi") a2,
            in("rdx") a3, in("r10") a4, lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    r
}

/// # Safety
/// As `syscall2`.
#[inline(always)]
pub unsafe fn syscall5(n: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize) -> isize {
    let r;
    // SAFETY: delegated to the caller; the kernel clobbers only rcx and r11.
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") n as isize => r, in("rdi") a1, in("rsi") a2,
            in("rdx") a3, in("r10") a4, in("r8") a5, lateout("rcx") _, lateout("r11") _,
            options(nostack));
    }
    r
}

/// A clone whose child calls `entry(arg)` instead of returning here: the
/// syscall `n` with arguments rdi, rsi, rdx (and r10 = r8 = 0), then, in
/// the child only, a call to `entry` with `arg`. The parent gets the
/// syscall's return value.
///
/// # Safety
/// The caller upholds the contract of the clone for these arguments, and
/// `entry` is an `extern "C" fn(usize) -> !` that is sound to call with
/// `arg` on the child's stack.
#[inline(always)]
pub unsafe fn spawn(n: usize, a1: usize, a2: usize, a3: usize, entry: usize, arg: usize) -> isize {
    let r;
    // SAFETY: delegated to the caller. Not `nostack`: the child pushes a
    // return address (and its frames) below our stack pointer.
    unsafe {
        core::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            // The child: a call-aligned stack, its argument, and no return.
            "and rsp, -16",
            "mov rdi, r12",
            "call r13",
            "ud2",
            "2:",
            inlateout("rax") n as isize => r, in("rdi") a1, in("rsi") a2, in("rdx") a3,
            in("r10") 0usize, in("r8") 0usize, in("r12") arg, in("r13") entry,
            lateout("rcx") _, lateout("r11") _,
        );
    }
    r
}

//! Mounts made on file descriptors, and the other calls of a container's
//! setup that rustix keeps out of reach or spells differently: the new
//! mount API (a mount is built detached, then attached onto an fd that was
//! resolved once), `mount_setattr`, `close_range`, `keyctl` and `setns`.

use super::{AsFd, AsRawFd, BorrowedFd, Errno, OwnedFd, Result, raw};
use alloc::ffi::CString;
use core::ffi::CStr;
use linux_raw_sys::general as g;
use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MoveMountFlags, OpenTreeFlags, fsconfig_create,
    fsconfig_set_flag, fsconfig_set_string, fsmount, fsopen, move_mount, open_tree,
};

/// A new, detached filesystem mount: `fsopen(fstype)`, one `fsconfig` per
/// option (`key=value`, or a bare `key` as a flag), `FSCONFIG_CMD_CREATE`,
/// then `fsmount` with the `MOUNT_ATTR_*` bits in `attrs`. Returns the
/// mount's fd and, on failure, which of the calls failed (0 fsopen,
/// 1 fsconfig, 2 fsmount) with its errno.
pub fn new_mount(
    fstype: &CStr,
    opts: &[(CString, Option<CString>)],
    attrs: u32,
) -> core::result::Result<OwnedFd, (u8, Errno)> {
    let fs = fsopen(fstype, FsOpenFlags::FSOPEN_CLOEXEC).map_err(|e| (0, e))?;
    for (k, v) in opts {
        match v {
            Some(v) => fsconfig_set_string(&fs, k.as_c_str(), v.as_c_str()),
            None => fsconfig_set_flag(&fs, k.as_c_str()),
        }
        .map_err(|e| (1, e))?;
    }
    fsconfig_create(&fs).map_err(|e| (1, e))?;
    let attrs = MountAttrFlags::from_bits_retain(attrs);
    fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, attrs).map_err(|e| (2, e))
}

/// `open_tree(fd, "", OPEN_TREE_CLONE|AT_EMPTY_PATH)`: a detached copy of
/// the mount at `fd` (the whole tree below it when `recursive`), which can
/// be changed (read-only, say) before anyone sees it.
pub fn clone_tree(fd: BorrowedFd<'_>, recursive: bool) -> Result<OwnedFd> {
    let mut flags = OpenTreeFlags::OPEN_TREE_CLONE
        | OpenTreeFlags::OPEN_TREE_CLOEXEC
        | OpenTreeFlags::AT_EMPTY_PATH;
    if recursive {
        flags |= OpenTreeFlags::AT_RECURSIVE;
    }
    open_tree(fd, c"", flags)
}

/// `move_mount(tree, "", target, "", F_EMPTY_PATH|T_EMPTY_PATH)`: attaches
/// the detached mount `tree` onto the directory or file `target` is open
/// on. No path is looked up, so nothing can be swapped in between.
pub fn attach(tree: BorrowedFd<'_>, target: BorrowedFd<'_>) -> Result<()> {
    let flags = MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH;
    move_mount(tree, c"", target, c"", flags)
}

/// `mount_setattr(fd, "", AT_EMPTY_PATH, {attr_set, attr_clr})` on the
/// mount `fd` is the root of (and every mount below it when `recursive`).
///
/// Unlike `MS_REMOUNT|MS_BIND`, it changes only the bits asked for: the
/// "locked" flags of a mount from a more privileged namespace (nosuid,
/// nodev...) need not be repeated, and a recursive bind is covered whole.
/// `propagation` (`MS_PRIVATE`, `MS_SLAVE`, `MS_SHARED`, `MS_UNBINDABLE`,
/// or 0) changes the mount's propagation too.
pub fn set_mount_attrs(
    fd: BorrowedFd<'_>,
    (attrs, clear): (u32, u32),
    propagation: u32,
    recursive: bool,
) -> Result<()> {
    let attr = g::mount_attr {
        attr_set: attrs as u64,
        attr_clr: clear as u64,
        propagation: propagation as u64,
        userns_fd: 0,
    };
    let flags = g::AT_EMPTY_PATH | if recursive { g::AT_RECURSIVE } else { 0 };
    // SAFETY: the path is an empty NUL-terminated string, `attr` a valid
    // struct mount_attr of the size given; both outlive the call.
    let r = unsafe {
        raw::syscall5(
            raw::SYS_MOUNT_SETATTR,
            fd.as_fd().as_raw_fd() as usize,
            c"".as_ptr() as usize,
            flags as usize,
            &attr as *const g::mount_attr as usize,
            core::mem::size_of::<g::mount_attr>(),
        )
    };
    raw::check(r).map(drop)
}

/// `CLOSE_RANGE_CLOEXEC` from <linux/close_range.h> (not in linux-raw-sys).
const CLOSE_RANGE_CLOEXEC: usize = 1 << 2;

/// `close_range(first, ~0, CLOSE_RANGE_CLOEXEC)`: every fd from `first` up
/// closes at the next execve (Linux 5.11; ENOSYS or EINVAL before).
pub fn cloexec_from(first: u32) -> Result<()> {
    // SAFETY: close_range only changes flags of this process's own fds;
    // none is closed, so no OwnedFd is left dangling.
    let r = unsafe {
        raw::syscall3(
            raw::SYS_CLOSE_RANGE,
            first as usize,
            u32::MAX as usize,
            CLOSE_RANGE_CLOEXEC,
        )
    };
    raw::check(r).map(drop)
}

/// `close_range(2)` of every fd from `first` up but `keep`: what a
/// forked child that will never return to its parent's frames (hull's
/// init) closes of what it inherited. Falls back to one close per fd up to
/// 65536 where close_range is missing (before Linux 5.9).
///
/// Only for such a child: the fds closed here may belong to `OwnedFd`s in
/// frames it never returns to, which are then never dropped.
pub fn close_inherited_fds(first: u32, keep: BorrowedFd<'_>) {
    let k = keep.as_raw_fd() as u32;
    let close = |a: u32, b: u32| {
        if a > b {
            return;
        }
        // SAFETY: per the function's contract, no live OwnedFd of this
        // process will use these numbers again; `keep` is not among them.
        let r = unsafe { raw::syscall3(raw::SYS_CLOSE_RANGE, a as usize, b as usize, 0) };
        if raw::check(r).is_err() {
            for fd in a..=b.min(65535) {
                // SAFETY: as above.
                unsafe { raw::syscall2(raw::SYS_CLOSE, fd as usize, 0) };
            }
        }
    };
    close(first, k.wrapping_sub(1));
    close(k + 1, u32::MAX);
}

/// `fcntl(fd, F_SETFD, cloexec ? FD_CLOEXEC : 0)`. EBADF for a closed fd.
pub fn set_cloexec(fd: i32, cloexec: bool) -> Result<()> {
    // SAFETY: F_SETFD takes an int and touches only this fd's flags.
    let r = unsafe {
        raw::syscall3(
            raw::SYS_FCNTL,
            fd as u32 as usize,
            g::F_SETFD as usize,
            cloexec as usize,
        )
    };
    raw::check(r).map(drop)
}

/// `keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)`: joins a new anonymous
/// session keyring, so the caller's keys are no longer reachable.
pub fn new_session_keyring() -> Result<()> {
    // SAFETY: KEYCTL_JOIN_SESSION_KEYRING (1) with a NULL name reads no memory.
    let r = unsafe { raw::syscall2(raw::SYS_KEYCTL, 1, 0) };
    raw::check(r).map(drop)
}

/// `personality(persona)`: the execution domain, which execve keeps
/// (`PER_LINUX32`: `uname -m` says i686, as `setarch` makes it).
pub fn set_personality(persona: u32) -> Result<()> {
    // SAFETY: personality takes one integer and reads no memory.
    let r = unsafe { raw::syscall2(raw::SYS_PERSONALITY, persona as usize, 0) };
    raw::check(r).map(drop)
}

/// `setns(fd, CLONE_NEWNET)`: joins the network namespace `fd` is open on
/// (EBADF if it is not open).
pub fn join_netns(fd: i32) -> Result<()> {
    // SAFETY: borrowed for the call only; a number that is not open makes
    // setns fail with EBADF, nothing worse.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    rustix::thread::move_into_link_name_space(fd, Some(rustix::thread::LinkNameSpaceType::Network))
}

/// `setns(fd, flags)`: joins the namespace an nsfs `fd` is open on, which
/// must be of the kind `flags` (one `CLONE_NEW*`) names; or, with a pidfd
/// (Linux 5.8), every namespace of that process that `flags` names, at
/// once and in the order the kernel needs (the user namespace first).
pub fn join_ns(fd: i32, flags: u32) -> Result<()> {
    use rustix::thread::ThreadNameSpaceType as T;
    // SAFETY: borrowed for the call only; a number that is not open makes
    // setns fail with EBADF, nothing worse.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    rustix::thread::move_into_thread_name_spaces(fd, T::from_bits_retain(flags))
}

/// `unshare(CLONE_NEWNET)`: a new network namespace for the caller.
pub fn unshare_netns() -> Result<()> {
    use rustix::thread::{UnshareFlags, unshare_unsafe};
    // SAFETY: only CLONE_NEWNET is unshared; the fd table (the reason
    // rustix marks unshare unsafe) is untouched.
    unsafe { unshare_unsafe(UnshareFlags::NEWNET) }
}

/// Whether `fd` is open on a namespace file (nsfs), as a bind-mounted
/// namespace is; a plain file left where one was expected is not.
pub fn is_namespace(fd: BorrowedFd<'_>) -> bool {
    rustix::fs::fstatfs(fd).is_ok_and(|s| s.f_type as u32 == g::NSFS_MAGIC)
}

/// `unshare(CLONE_NEWCGROUP)`: a new cgroup namespace rooted at the cgroups
/// the calling process is in now.
pub fn unshare_cgroupns() -> Result<()> {
    use rustix::thread::{UnshareFlags, unshare_unsafe};
    // SAFETY: only CLONE_NEWCGROUP is unshared; the fd table (the reason
    // rustix marks unshare unsafe) is untouched.
    unsafe { unshare_unsafe(UnshareFlags::NEWCGROUP) }
}

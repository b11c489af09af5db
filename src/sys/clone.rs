//! Processes: the one clone3 (fork-style, or vfork-style with the child
//! running in our memory), clone(2) as its fallback, fork for the init,
//! execve and exit.

use super::{AsRawFd, BorrowedFd, Errno, FromRawFd, OwnedFd, Result, raw};
use alloc::borrow::Cow;
use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::{CStr, c_char};
use linux_raw_sys::general as g;
use rustix::fs::Mode;

/// `exit_group(2)`: ends the process with `code`. Nothing is unwound or flushed.
pub fn exit(code: i32) -> ! {
    // SAFETY: exit_group takes a plain integer and does not return.
    unsafe {
        raw::syscall2(raw::SYS_EXIT_GROUP, code as usize, 0);
        // SAFETY: the kernel never returns from exit_group.
        core::hint::unreachable_unchecked()
    }
}

/// A NULL-terminated array of C strings, as `execve(2)` takes for argv and envp.
///
/// Built in the parent before the clone, so the child only passes a pointer.
pub struct CStrArray {
    strings: Cow<'static, [CString]>,
    ptrs: Vec<*const c_char>,
}

// SAFETY: the pointers point into the CStrings the array holds (owned,
// or borrowed for the whole process), which are never written after it is
// built: sharing it between threads (or with a
// vfork-style child) is sharing plain immutable data.
unsafe impl Sync for CStrArray {}

impl CStrArray {
    /// Owned strings (`Vec`), or strings that live until hull exits or
    /// execs (`&'static`, leaked as the plan's paths: no copy is made).
    pub fn new(items: impl Into<Cow<'static, [CString]>>) -> CStrArray {
        let strings = items.into();
        let mut ptrs = Vec::with_capacity(strings.len() + 1);
        for s in strings.iter() {
            ptrs.push(s.as_ptr());
        }
        ptrs.push(core::ptr::null());
        CStrArray { strings, ptrs }
    }

    pub fn strings(&self) -> &[CString] {
        &self.strings
    }
}

/// `execve(2)`. Returns only on failure, with the errno.
pub fn execve(path: &CStr, argv: &CStrArray, envp: &CStrArray) -> Errno {
    // SAFETY: both arrays are NULL-terminated and point into CStrings owned by
    // the arrays, which outlive the call (CStrArray's invariant).
    let r = unsafe {
        raw::syscall3(
            raw::SYS_EXECVE,
            path.as_ptr() as usize,
            argv.ptrs.as_ptr() as usize,
            envp.ptrs.as_ptr() as usize,
        )
    };
    Errno::from_raw_os_error(-r as i32)
}

/// Makes sure hull runs from a sealed in-memory copy of its binary, not
/// from the file it was started from: if `/proc/self/exe` is not sealed
/// already, copies it into a memfd, seals it (no write, grow, shrink or
/// new seal) and re-executes from it with `argv` and `envp`, so this call
/// then returns in the copy. A process hull starts in a container begins
/// as a clone of hull, so its `/proc/self/exe` is hull's binary until its
/// `execve`; an image whose command is `#!/proc/self/exe` would run that
/// binary inside, and the container's root could keep it open and write
/// to it once no hull process runs it any more (CVE-2019-5736). A sealed
/// memfd cannot be written through any fd. Returns the error that
/// stopped it.
pub fn run_sealed(argv: &CStrArray, envp: &CStrArray) -> Result<()> {
    use rustix::fs::{MemfdFlags, OFlags, SealFlags};
    let exe = rustix::fs::open(
        c"/proc/self/exe",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let want = SealFlags::SEAL | SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE;
    if rustix::fs::fcntl_get_seals(&exe).is_ok_and(|s| s.contains(want)) {
        return Ok(());
    }
    let copy = rustix::fs::memfd_create(c"hull", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)?;
    let size = rustix::fs::fstat(&exe)?.st_size as usize;
    let mut done = 0;
    while done < size {
        match rustix::fs::sendfile(&copy, &exe, None, size - done)? {
            0 => return Err(Errno::IO),
            n => done += n,
        }
    }
    rustix::fs::fcntl_add_seals(&copy, want)?;
    // SAFETY: both arrays are NULL-terminated and point into CStrings owned
    // by the arrays, which outlive the call (CStrArray's invariant); the
    // path is an empty C string, as AT_EMPTY_PATH asks.
    let r = unsafe {
        raw::syscall5(
            g::__NR_execveat as usize,
            rustix::fd::AsRawFd::as_raw_fd(&copy) as usize,
            c"".as_ptr() as usize,
            argv.ptrs.as_ptr() as usize,
            envp.ptrs.as_ptr() as usize,
            g::AT_EMPTY_PATH as usize,
        )
    };
    Err(Errno::from_raw_os_error(-r as i32))
}

/// Which side of a successful clone we are on.
pub enum Fork {
    /// The new process. It must only make syscalls and leave by `execve` or `exit`.
    Child,
    /// The caller, holding the child's pid and a pidfd for it.
    Parent { pid: i32, pidfd: OwnedFd },
}

/// The clone behind [`clone`] and [`spawn`]: `clone3(2)` with exit signal
/// SIGCHLD and `CLONE_PIDFD` added to `flags`; with `cgroup`, the child is
/// born in that cgroup (`CLONE_INTO_CGROUP`). Falls back to `clone(2)` when
/// clone3 is missing (ENOSYS: kernels before 5.3, or a seccomp filter that
/// does not know it) and no cgroup was asked for.
///
/// `call(n, a1, a2, a3)` makes syscall `n`: clone3 with the clone_args
/// pointer and size, or clone with its flags, no stack and the pidfd
/// pointer (where x86_64's clone returns it: parent_tid). Returns the
/// syscall's result (0 in a child that comes back here) and the pidfd.
///
/// # Safety
/// `call` must make that syscall with those arguments, and the clone it
/// makes must be sound for the caller's flags (see the callers).
unsafe fn clone3_or_clone(
    flags: u64,
    cgroup: Option<BorrowedFd<'_>>,
    call: impl Fn(usize, usize, usize, usize) -> isize,
) -> Result<(usize, i32)> {
    use linux_raw_sys::general::{CLONE_INTO_CGROUP, CLONE_PIDFD, SIGCHLD, clone_args};
    let flags = flags | CLONE_PIDFD as u64;
    let mut pidfd: i32 = -1;
    let mut args = clone_args {
        flags,
        pidfd: &mut pidfd as *mut i32 as u64,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: SIGCHLD as u64,
        stack: 0,
        stack_size: 0,
        tls: 0,
        set_tid: 0,
        set_tid_size: 0,
        cgroup: 0,
    };
    // The first version of the struct (64 bytes, Linux 5.3) is enough unless the
    // cgroup field is used (88 bytes, Linux 5.7).
    let mut size = 64;
    if let Some(fd) = cgroup {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = fd.as_raw_fd() as u64;
        size = core::mem::size_of::<clone_args>();
    }
    let mut ret = call(raw::SYS_CLONE3, &args as *const _ as usize, size, 0);
    if ret == -(Errno::NOSYS.raw_os_error() as isize) && cgroup.is_none() {
        let pidfd = &mut pidfd as *mut i32 as usize;
        ret = call(raw::SYS_CLONE, (flags | SIGCHLD as u64) as usize, 0, pidfd);
    }
    Ok((raw::check(ret)?, pidfd))
}

/// `clone3(2)` with fork semantics (no new stack, no shared memory), as
/// [`clone3_or_clone`] makes it.
///
/// hull is single-threaded, so the child's copy of memory is consistent.
pub fn clone(flags: u64, cgroup: Option<BorrowedFd<'_>>) -> Result<Fork> {
    // SAFETY: the arguments are a valid clone_args (or clone's), whose
    // pidfd pointer outlives the call. Without CLONE_VM and with no stack
    // given, the child runs on a copy of our memory and returns here with
    // 0, like fork.
    let call = |n, a1, a2, a3| unsafe { raw::syscall5(n, a1, a2, a3, 0, 0) };
    // SAFETY: `call` makes the syscall it is given, a fork-style clone.
    match unsafe { clone3_or_clone(flags, cgroup, call) }? {
        (0, _) => Ok(Fork::Child),
        (pid, pidfd) => Ok(Fork::Parent {
            pid: pid as i32,
            // SAFETY: the kernel just created this fd for us; nothing else owns it.
            pidfd: unsafe { OwnedFd::from_raw_fd(pidfd) },
        }),
    }
}

/// What [`spawn`] hands the child, in the caller's frame.
struct SpawnArgs<'a, T> {
    f: fn(&T, OwnedFd) -> !,
    data: &'a T,
    give: i32,
    shut: i32,
}

/// Where a [`spawn`]ed child starts, on the stack below its suspended
/// parent's; a [`spawn_copy`]'d one too, on its copy of our stack.
extern "C" fn spawn_entry<T>(a: &SpawnArgs<'_, T>) -> ! {
    // SAFETY: both numbers are open in the child's own copy of the fd table,
    // and nothing else in the child owns them: `shut` is closed here, `give`
    // goes to `f`.
    let (give, shut) = unsafe { (OwnedFd::from_raw_fd(a.give), OwnedFd::from_raw_fd(a.shut)) };
    drop(shut);
    (a.f)(a.data, give)
}

/// `clone3(2)` the way posix_spawn does it: `CLONE_VM | CLONE_VFORK` added
/// to what [`clone3_or_clone`] makes. The child runs `f(data, give)` in our
/// memory (after closing its copy of `shut`) and must leave by `execve` or
/// `exit`; we are suspended until it has, and then get its pid and pidfd.
///
/// Sharing the memory spares the copy of our page tables at the clone, the
/// copy-on-write faults after it, and tearing the copy down (with a TLB
/// shootdown to every CPU it ran on) at the child's execve.
///
/// `T: Sync`: the child gets `data` by shared reference, in memory it
/// shares with us, so it can read it and nothing else (no interior
/// mutability that is not thread-safe).
pub fn spawn<T: Sync>(
    flags: u64,
    cgroup: Option<BorrowedFd<'_>>,
    f: fn(&T, OwnedFd) -> !,
    data: &T,
    give: BorrowedFd<'_>,
    shut: BorrowedFd<'_>,
) -> Result<(i32, OwnedFd)> {
    use linux_raw_sys::general::{CLONE_VFORK, CLONE_VM};
    let a = SpawnArgs {
        f,
        data,
        give: give.as_raw_fd(),
        shut: shut.as_raw_fd(),
    };
    let entry = spawn_entry::<T> as extern "C" fn(&SpawnArgs<'_, T>) -> ! as usize;
    let arg = &a as *const SpawnArgs<'_, T> as usize;
    // SAFETY: the arguments are a valid clone_args (or clone's), whose
    // pidfd pointer outlives the call. With no stack given, the child starts
    // on our stack pointer; the asm is not `nostack`, so nothing of ours
    // lives below it (no red zone), and the child's frames grow down from
    // there, into stack we are not using: CLONE_VFORK keeps us inside this
    // syscall until the child has exec'd or exited, so `a`, `data` and
    // everything else it reads stay as they are, and none of our frames is
    // touched. The child calls `spawn_entry`, which never returns. The
    // registers r12/r13 survive the syscall in both processes.
    let call = |n, a1, a2, a3| unsafe { raw::spawn(n, a1, a2, a3, entry, arg) };
    let flags = flags | (CLONE_VM | CLONE_VFORK) as u64;
    // SAFETY: `call` makes the syscall it is given, a vfork-style clone.
    let (pid, pidfd) = unsafe { clone3_or_clone(flags, cgroup, call) }?;
    // SAFETY: the kernel just created this fd for us; nothing else owns it.
    Ok((pid as i32, unsafe { OwnedFd::from_raw_fd(pidfd) }))
}

/// As [`spawn`], but fork-style ([`clone`]): the child runs `f(data,
/// give)` on a copy of our memory. For a child whose peak memory is
/// measured: an execve folds the peak of the memory it leaves into the
/// process's `ru_maxrss`, and a vfork-style child leaves ours (our whole
/// resident set), a fork-style one only its copy of our anonymous pages.
pub fn spawn_copy<T>(
    f: fn(&T, OwnedFd) -> !,
    data: &T,
    give: BorrowedFd<'_>,
    shut: BorrowedFd<'_>,
) -> Result<(i32, OwnedFd)> {
    match clone(0, None)? {
        // The same start as a vfork-style child's, in our copy of the fd
        // table: `give` and `shut` are open there and nothing else owns them.
        Fork::Child => spawn_entry(&SpawnArgs {
            f,
            data,
            give: give.as_raw_fd(),
            shut: shut.as_raw_fd(),
        }),
        Fork::Parent { pid, pidfd } => Ok((pid, pidfd)),
    }
}

/// Probes for `clone3(2)` without creating anything: a NULL argument of size
/// 0 is refused with EINVAL by a kernel that has the call (the size check
/// comes first), ENOSYS where it does not (or a seccomp filter says so).
pub fn clone3_probe() -> Errno {
    // SAFETY: with size 0 the kernel reads nothing from the (NULL) pointer.
    let r = unsafe { raw::syscall2(raw::SYS_CLONE3, 0, 0) };
    match raw::check(r) {
        Err(e) => e,
        // Not reachable (nothing can be created from an empty argument); say
        // "yes" rather than guess.
        Ok(_) => Errno::INVAL,
    }
}

/// `fork(2)`, as `clone(SIGCHLD)`: returns 0 in the new process and its pid
/// in the caller. For hull's init, which runs the command as its child.
pub fn fork() -> Result<i32> {
    // SAFETY: fork semantics (no CLONE_VM, no new stack): the child runs on
    // a copy of our memory and returns here with 0. The caller is
    // single-threaded.
    let r = unsafe {
        raw::syscall5(
            raw::SYS_CLONE,
            linux_raw_sys::general::SIGCHLD as usize,
            0,
            0,
            0,
            0,
        )
    };
    raw::check(r).map(|pid| pid as i32)
}

//! The thin syscall layer: every `unsafe` block of the library lives here.
//!
//! Functions take `&CStr`, `BorrowedFd` or `OwnedFd` and return
//! `Result<_, Errno>`, in rustix's style. rustix is used wherever it has the
//! call; raw `syscall` instructions are written only for what it lacks or keeps
//! behind unstable APIs (execve and exit_group (rustix keeps them in its
//! unstable runtime module), clone3 with fork or vfork semantics, clone,
//! clock_gettime without the vDSO's auxv lookup, the SIOCSIFFLAGS ioctl, rt_sigprocmask and
//! signalfd4, fork for the init, dup2, TCGETS/TCSETS without rustix's
//! speed decoding, bpf(2) for device programs in [`bpf`], and seccomp).

use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::{CStr, c_char};
use core::sync::atomic::{AtomicU64, Ordering};

pub use rustix::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
pub use rustix::io::Errno;

pub type Result<T> = core::result::Result<T, Errno>;

pub mod bpf;
mod clock;
mod mount;
pub mod proc;
mod raw;
mod seccomp;
pub use clock::realtime;
use linux_raw_sys::ioctl as ioc;
pub use mount::*;
pub use seccomp::set_filter;

/// `exit_group(2)`: ends the process with `code`. Nothing is unwound or flushed.
pub fn exit(code: i32) -> ! {
    // SAFETY: exit_group takes a plain integer and does not return.
    unsafe {
        raw::syscall2(raw::SYS_EXIT_GROUP, code as usize, 0);
        // SAFETY: the kernel never returns from exit_group.
        core::hint::unreachable_unchecked()
    }
}

/// `mmap(2)` of `len` private anonymous bytes, read-write. For the allocator.
pub fn map_anonymous(len: usize) -> Result<*mut u8> {
    use rustix::mm::{MapFlags, ProtFlags};
    // SAFETY: a fresh anonymous mapping aliases no existing memory.
    let p = unsafe {
        rustix::mm::mmap_anonymous(
            core::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        )?
    };
    Ok(p.cast())
}

/// Timestamp slots shared between hull and the children it clones: one
/// page mapped `MAP_SHARED | MAP_ANONYMOUS` before the clone, so a stamp the
/// child stores is seen by the parent, and storing one allocates nothing.
/// `hull bench` uses it to split each start into phases.
#[derive(Clone, Copy)]
pub struct Trace(&'static [AtomicU64]);

impl Trace {
    /// Maps the page (512 slots, all zero). It is never unmapped.
    pub fn new() -> Result<Trace> {
        use rustix::mm::{MapFlags, ProtFlags};
        const PAGE: usize = 4096;
        // SAFETY: a fresh anonymous mapping aliases no existing memory. It is
        // page-aligned, zero-filled (zero is a valid AtomicU64, which has the
        // size and alignment of u64) and never unmapped, so a 'static slice of
        // PAGE / 8 atomics over it stays valid. Parent and child only touch it
        // through atomics, which is sound for memory shared between processes.
        let slots = unsafe {
            let p = rustix::mm::mmap_anonymous(
                core::ptr::null_mut(),
                PAGE,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
            )?;
            core::slice::from_raw_parts(p as *const AtomicU64, PAGE / 8)
        };
        Ok(Trace(slots))
    }

    /// Stores the monotonic time in slot `i` (nothing if out of range).
    pub fn stamp(&self, i: usize) {
        if let Some(s) = self.0.get(i) {
            s.store(monotonic_ns(), Ordering::Relaxed);
        }
    }

    /// The value of slot `i` (0 if out of range or never stamped).
    pub fn get(&self, i: usize) -> u64 {
        self.0.get(i).map_or(0, |s| s.load(Ordering::Relaxed))
    }
}

/// Stamps slot `i` of `trace` when there is one: the hook `hull run` pays a
/// never-taken branch for.
#[inline(always)]
pub fn stamp(trace: Option<Trace>, i: usize) {
    if let Some(t) = trace {
        t.stamp(i)
    }
}

/// Blocks until `fd` is readable (`poll(2)`, POLLIN, retrying EINTR). A
/// pidfd becomes readable when its process exits, before it is reaped.
pub fn wait_readable(fd: BorrowedFd<'_>) -> Result<()> {
    use rustix::event::{PollFd, PollFlags, poll};
    loop {
        match poll(&mut [PollFd::new(&fd, PollFlags::IN)], None) {
            Err(Errno::INTR) | Ok(0) => {}
            r => return r.map(drop),
        }
    }
}

/// `dup2(fd, n)`: `fd` also becomes descriptor `n` (a standard one).
pub fn dup_onto(fd: BorrowedFd<'_>, n: i32) -> Result<()> {
    // SAFETY: dup2 onto a standard descriptor replaces whatever was there,
    // which we own.
    let r = unsafe { raw::syscall2(raw::SYS_DUP2, fd.as_raw_fd() as usize, n as usize) };
    raw::check(r).map(drop)
}

/// A NULL-terminated array of C strings, as `execve(2)` takes for argv and envp.
///
/// Built in the parent before the clone, so the child only passes a pointer.
pub struct CStrArray {
    strings: Vec<CString>,
    ptrs: Vec<*const c_char>,
}

impl CStrArray {
    pub fn new(items: Vec<CString>) -> CStrArray {
        let mut ptrs = Vec::with_capacity(items.len() + 1);
        for s in &items {
            ptrs.push(s.as_ptr());
        }
        ptrs.push(core::ptr::null());
        CStrArray {
            strings: items,
            ptrs,
        }
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

/// Where a [`spawn`]ed child starts, on the stack below its suspended parent's.
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
pub fn spawn<T>(
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

/// `getcwd(2)` into `buf`: the current directory's path, without the NUL.
/// A syscall of its own, so it needs no /proc (rustix's wants alloc).
pub fn getcwd(buf: &mut [u8]) -> Result<&[u8]> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let r = unsafe { raw::syscall2(raw::SYS_GETCWD, buf.as_mut_ptr() as usize, buf.len()) };
    // The length includes the NUL.
    let n = raw::check(r)?;
    Ok(buf.get(..n.saturating_sub(1)).unwrap_or_default())
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

/// `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds, by direct syscall.
///
/// rustix would go through the vDSO, whose lookup reads the auxiliary vector
/// from /proc, which an early-boot environment may not have mounted.
pub fn monotonic_ns() -> u64 {
    let mut ts = [0i64; 2];
    // SAFETY: `ts` has the layout of a struct timespec and outlives the call.
    unsafe {
        raw::syscall2(
            raw::SYS_CLOCK_GETTIME,
            linux_raw_sys::general::CLOCK_MONOTONIC as usize,
            ts.as_mut_ptr() as usize,
        )
    };
    ts[0] as u64 * 1_000_000_000 + ts[1] as u64
}

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
    // struct ifreq: a 16-byte name, then a union whose first member for these
    // requests is `short ifr_flags`. 40 bytes on x86_64.
    let mut ifr = [0u8; 40];
    ifr[..2].copy_from_slice(b"lo");
    let fd = sock.as_raw_fd() as usize;
    let p = ifr.as_mut_ptr() as usize;
    // SAFETY: `ifr` is a valid, large-enough struct ifreq for both requests and
    // outlives the calls; `fd` is an open socket.
    let r = unsafe { raw::syscall3(raw::SYS_IOCTL, fd, raw::SIOCGIFFLAGS, p) };
    raw::check(r)?;
    let flags = u16::from_ne_bytes([ifr[16], ifr[17]]) | raw::IFF_UP;
    ifr[16..18].copy_from_slice(&flags.to_ne_bytes());
    // SAFETY: as above.
    let r = unsafe { raw::syscall3(raw::SYS_IOCTL, fd, raw::SIOCSIFFLAGS, p) };
    raw::check(r)?;
    Ok(())
}

/// `write(2)` until all of `buf` is written (or an error other than EINTR).
pub fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> Result<()> {
    while !buf.is_empty() {
        match rustix::io::write(fd, buf) {
            Ok(0) => return Err(Errno::IO),
            Ok(n) => buf = buf.get(n..).unwrap_or_default(),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `read(2)` until `buf` is full or end of file, retrying EINTR. Returns the
/// number of bytes read.
pub fn read_full(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize> {
    let mut got = 0;
    // `get_mut`, not indexing: no panic path.
    while let Some(rest) = buf.get_mut(got..)
        && !rest.is_empty()
    {
        match rustix::io::read(fd, rest) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Standard error, which hull never closes.
pub fn stderr() -> BorrowedFd<'static> {
    // SAFETY: fd 2 is inherited open for the life of the process; if it was
    // closed, writes fail with EBADF, which callers ignore.
    unsafe { BorrowedFd::borrow_raw(2) }
}

/// Standard output.
pub fn stdout() -> BorrowedFd<'static> {
    // SAFETY: as for `stderr`.
    unsafe { BorrowedFd::borrow_raw(1) }
}

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
    // struct sigaction: handler (SIG_DFL = 0), flags, restorer, mask.
    let act = [0u64; 4];
    for sig in 1..65 {
        if set & sig_bit(sig) != 0 {
            // SAFETY: `act` is a valid struct sigaction of the size passed
            // (8-byte mask), live for the call; no old action is asked for.
            // SIGKILL and SIGSTOP (never in `set`) would only fail.
            unsafe {
                raw::syscall4(
                    raw::SYS_RT_SIGACTION,
                    sig as usize,
                    act.as_ptr() as usize,
                    0,
                    8,
                )
            };
        }
    }
}

/// A file description of our own for our fd `n` (0 or 1), opened again
/// through `/proc/self/fd/N` with `O_NONBLOCK`, when `n` is a pipe or a
/// terminal (a character device); None otherwise (a regular file, which
/// never blocks and whose offset a new open would lose; a socket, which
/// cannot be opened so; or no /proc).
pub fn reopen_nonblocking(n: i32) -> Option<OwnedFd> {
    use rustix::fs::{FileType, Mode, OFlags};
    // SAFETY: fd 0 or 1, borrowed for the fstat only.
    let fd = unsafe { BorrowedFd::borrow_raw(n) };
    let kind = FileType::from_raw_mode(rustix::fs::fstat(fd).ok()?.st_mode);
    if kind != FileType::Fifo && kind != FileType::CharacterDevice {
        return None;
    }
    let path: &CStr = if n == 0 {
        c"/proc/self/fd/0"
    } else {
        c"/proc/self/fd/1"
    };
    let access = if n == 0 {
        OFlags::RDONLY
    } else {
        OFlags::WRONLY
    };
    let flags = access | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::empty()).ok()
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

/// Whether signal `sig`'s disposition is SIG_IGN (`rt_sigaction` asking
/// only for the old action).
pub fn is_ignored(sig: u32) -> bool {
    // struct sigaction: handler, flags, restorer, mask.
    let mut old = [0u64; 4];
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
    // SIG_IGN is the handler value 1.
    r == 0 && old[0] == 1
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

/// `dup2(fd, n)` for n in 0, 1, 2: `fd` becomes stdin, stdout and stderr.
pub fn dup_stdio(fd: BorrowedFd<'_>) -> Result<()> {
    for n in 0..3 {
        // SAFETY: dup2 onto 0..2 replaces whatever was there, which we own.
        raw::check(unsafe { raw::syscall2(raw::SYS_DUP2, fd.as_raw_fd() as usize, n) })?;
    }
    Ok(())
}

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

/// A struct msghdr (name, namelen, iov, iovlen, control, controllen,
/// flags) for one iovec and a 24-byte control buffer: room for one fd.
fn msghdr(iov: &[usize; 2], cmsg: usize) -> [usize; 7] {
    [0, 0, iov.as_ptr() as usize, 1, cmsg, 24, 0]
}

/// `sendmsg(2)` of `data` with `fd` attached (SCM_RIGHTS).
pub fn send_with_fd(sock: BorrowedFd<'_>, data: &[u8], fd: BorrowedFd<'_>) -> Result<()> {
    // struct cmsghdr (len, level, type) and the fd: CMSG_LEN(4) = 20,
    // CMSG_SPACE(4) = 24.
    let cmsg: [u64; 3] = [20, 1 | (1 << 32), fd.as_raw_fd() as u64];
    let iov = [data.as_ptr() as usize, data.len()];
    let msg = msghdr(&iov, cmsg.as_ptr() as usize);
    // SAFETY: `msg` is a valid struct msghdr whose pointers (iov, data,
    // cmsg) are live for the call; SOL_SOCKET = SCM_RIGHTS = 1.
    let r = unsafe {
        raw::syscall3(
            raw::SYS_SENDMSG,
            sock.as_raw_fd() as usize,
            msg.as_ptr() as usize,
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
        let mut cmsg = [0u64; 3];
        let iov = [buf[got..].as_mut_ptr() as usize, buf.len() - got];
        let mut msg = msghdr(&iov, cmsg.as_mut_ptr() as usize);
        // SAFETY: as in `send_with_fd`; the kernel writes at most the rest
        // of `buf` and 24 bytes to `cmsg`, and updates `msg`.
        let r = unsafe {
            raw::syscall3(
                raw::SYS_RECVMSG,
                sock.as_raw_fd() as usize,
                msg.as_mut_ptr() as usize,
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
        if msg[5] >= 20 && cmsg[0] == 20 && cmsg[1] == 1 | (1 << 32) {
            // SAFETY: the kernel installed this fd for us; nothing else owns it.
            fd = Some(unsafe { OwnedFd::from_raw_fd(cmsg[2] as i32) });
        }
    }
    Ok((got, fd))
}

/// The kernel's `struct termios`, as `ioctl(TCGETS)` fills it.
pub use linux_raw_sys::general::termios as Termios;

/// `ioctl(fd, TCGETS)`: the terminal's settings (tcgetattr, without the
/// speed decoding that hull does not need).
pub fn tcgets(fd: BorrowedFd<'_>) -> Result<Termios> {
    // SAFETY: all-zero bytes are a valid `struct termios`.
    let mut t: Termios = unsafe { core::mem::zeroed() };
    // SAFETY: TCGETS writes one `struct termios` to the pointer, which is live.
    unsafe { ioctl(fd, ioc::TCGETS, &mut t as *mut Termios as usize) }?;
    Ok(t)
}

/// `ioctl(fd, TCSETS)`: tcsetattr(TCSANOW).
pub fn tcsets(fd: BorrowedFd<'_>, t: &Termios) -> Result<()> {
    // SAFETY: TCSETS reads one `struct termios` from the pointer, which is live.
    unsafe { ioctl(fd, ioc::TCSETS, t as *const Termios as usize) }.map(drop)
}

/// Standard input.
pub fn stdin() -> BorrowedFd<'static> {
    // SAFETY: as for `stderr`.
    unsafe { BorrowedFd::borrow_raw(0) }
}

/// `unshare(CLONE_NEWCGROUP)`: a new cgroup namespace rooted at the cgroups
/// the calling process is in now.
pub fn unshare_cgroupns() -> Result<()> {
    use rustix::thread::{UnshareFlags, unshare_unsafe};
    // SAFETY: only CLONE_NEWCGROUP is unshared; the fd table (the reason
    // rustix marks unshare unsafe) is untouched.
    unsafe { unshare_unsafe(UnshareFlags::NEWCGROUP) }
}

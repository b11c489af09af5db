//! The child, between clone3 and execve.
//!
//! It walks the plan's operations in order and then execs. It never
//! allocates and never takes a lock: everything it touches was built by the
//! parent before the clone. It leaves only by `execve` or `exit_group`. A
//! failure is sent to the parent as a fixed-size [`Report`] on the
//! close-on-exec channel; end of file on that channel means execve succeeded.

use crate::error::EXIT_RUNTIME;
use crate::init::{self, RESET};
use crate::plan::{Kind, MAX_SHARED, Mount, Op, Plan, Slot, Source};
use crate::sys::{self, AsFd, BorrowedFd, Errno, OwnedFd};
use core::ffi::CStr;
use linux_raw_sys::general as g;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fd::AsRawFd;
use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};
use rustix::mount::{MountPropagationFlags, UnmountFlags};
use rustix::process::{DumpableBehavior, Signal};
use rustix::thread::{CapabilitySet, CapabilitySets};

/// The step number that stands for execve itself in a [`Report`].
pub const EXEC_STEP: u32 = 0xffff;

/// The "step" of a [`Report`] that is no failure: it carries the master of
/// the pty that [`Op::Terminal`] opened, as SCM_RIGHTS.
pub const PTY_STEP: u32 = 0xfffe;

/// The "step" of a [`Report`] that says the setup is done and the child
/// waits for `start` ([`Op::AwaitStart`]).
pub const READY_STEP: u32 = 0xfffd;

/// The step of the report that says the mounts are made and the child
/// waits for the parent's hooks ([`Op::AwaitHooks`]).
pub const HOOKS_STEP: u32 = 0xfffc;

/// What the child tells the parent when a step fails: which step (an index
/// into `Plan::ops`, or [`EXEC_STEP`]), which of its calls (a [`SUBCALLS`]
/// number; 0: the step's own, single call) and the errno (0: no call
/// failed, a check did; the sub-call then says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub step: u32,
    pub sub: u32,
    pub errno: i32,
}

impl Report {
    pub const SIZE: usize = 8;

    // As one u64 (step, then sub-call, in the low half): no slicing, no
    // bounds checks.
    pub fn to_bytes(self) -> [u8; Report::SIZE] {
        ((self.step & 0xffff) as u64
            | ((self.sub & 0xffff) as u64) << 16
            | (self.errno as u32 as u64) << 32)
            .to_ne_bytes()
    }

    pub fn from_bytes(b: [u8; Report::SIZE]) -> Report {
        let v = u64::from_ne_bytes(b);
        Report {
            step: v as u32 & 0xffff,
            sub: (v >> 16) as u32 & 0xffff,
            errno: (v >> 32) as i32,
        }
    }
}

/// The calls inside a step that a [`Report`] can name, numbered from 1 in
/// this order: the message says which one failed (as crun's do).
pub const SUBCALLS: &str = "openat2 of the mount point|mkdirat of the mount point|\
mknodat|fsopen|fsconfig|fsmount|openat2 of the source|open_tree|mount_setattr|move_mount|\
fchmodat|fchdir|pivot_root|umount2|mount MS_MOVE|chroot|chdir|setgroups|setresgid|setresuid|\
the rootfs is no longer the directory hull examined (replaced meanwhile)|openat2|write|\
mount_setattr of the propagation";

pub const S_TARGET: u32 = 1;
const S_MKDIR: u32 = 2;
const S_MKNOD: u32 = 3;
const S_FSOPEN: u32 = 4;
const S_SOURCE: u32 = 7;
const S_OPEN_TREE: u32 = 8;
const S_SETATTR: u32 = 9;
const S_MOVE: u32 = 10;
const S_CHMOD: u32 = 11;
const S_FCHDIR: u32 = 12;
const S_PIVOT: u32 = 13;
const S_UMOUNT: u32 = 14;
const S_MOVE_ROOT: u32 = 15;
const S_CHROOT: u32 = 16;
const S_CHDIR: u32 = 17;
const S_SETGROUPS: u32 = 18;
const S_SETRESGID: u32 = 19;
const S_SETRESUID: u32 = 20;
/// Not a call: the check that the rootfs is the directory the parent saw.
pub const S_REPLACED: u32 = 21;
const S_OPEN: u32 = 22;
const S_WRITE: u32 = 23;
const S_PROPAGATION: u32 = 24;

/// A failed step: the sub-call (see [`SUBCALLS`]) and its errno.
pub type Fail = (u32, Errno);

/// Tags a syscall's error with the sub-call that made it.
trait On<T> {
    fn on(self, sub: u32) -> Result<T, Fail>;
}

impl<T> On<T> for sys::Result<T> {
    fn on(self, sub: u32) -> Result<T, Fail> {
        self.map_err(|e| (sub, e))
    }
}

/// The fds of the container's root and its /proc, /sys and /dev, in the
/// order of [`Slot`] after `Host`: the paths of later steps are resolved
/// from them. Closed once the root is switched (or at the init's fork).
/// Then the detached trees of shared volumes ([`Op::Detach`]), until they
/// are attached. Then the first mask filesystem, which the others copy.
#[derive(Default)]
struct Slots(
    [Option<OwnedFd>; 4],
    [Option<OwnedFd>; MAX_SHARED],
    Option<OwnedFd>,
);

impl Slots {
    /// The fd a path of `slot` is resolved from (the current directory for
    /// an absolute host path).
    fn fd(&self, slot: Slot) -> Result<BorrowedFd<'_>, Fail> {
        match slot {
            Slot::Host => Ok(rustix::fs::CWD),
            s => self.0[s as usize - 1]
                .as_ref()
                .map(|f| f.as_fd())
                .ok_or((S_TARGET, Errno::BADF)),
        }
    }

    fn set(&mut self, slot: Slot, fd: OwnedFd) {
        if let Some(s) = self.0.get_mut((slot as usize).wrapping_sub(1)) {
            *s = Some(fd);
        }
    }
}

// Slots of a [`sys::Trace`] (`hull bench`): the parent stamps T_CGROUP
// before it makes the container's cgroup, T_CLONE just before clone3,
// T_EXITED when the pidfd turns readable, T_REAPED after waitid and
// T_REMOVED once the cgroup is removed; the child stamps T_CHILD when it
// starts (the end of clone3: the parent's own return from it may come only
// after the child's execve, see `sys::spawn`) and T_CHILD + 1 + i after op
// i, so the last stamp is taken just before execve.
pub const T_CLONE: usize = 0;
pub const T_EXITED: usize = 1;
pub const T_REAPED: usize = 2;
pub const T_CGROUP: usize = 3;
pub const T_REMOVED: usize = 4;
pub const T_CHILD: usize = 5;

/// Runs in the cloned process: every step of the plan, then execve.
pub fn run(plan: &Plan, report: OwnedFd) -> ! {
    #[cfg(debug_assertions)]
    sys::IN_CHILD.store(true, core::sync::atomic::Ordering::Relaxed);
    // Timestamps go to a page shared with the parent: no allocation, one
    // syscall each, and nothing at all but a branch when not benchmarking.
    let trace = plan.trace;
    sys::stamp(trace, T_CHILD);
    let mut slots = Slots::default();
    for (i, op) in plan.ops.iter().enumerate() {
        let r = match op {
            // The init never comes back from here; the command's process does.
            Op::Init => {
                // Neither the init nor the command keeps an fd of hull's or
                // its caller's (the init never execs, so close-on-exec does
                // not apply to it) but the channel and those passed on
                // purpose; none into the container's mounts either.
                slots = Slots::default();
                sys::close_inherited_fds(3 + plan.keep_fds, report.as_fd());
                match init::fork() {
                    Ok(Some((command, signals))) => init::serve(command, signals, report),
                    r => r.map(drop).on(0),
                }
            }
            _ => apply(op, report.as_fd(), &mut slots),
        };
        if let Err((sub, e)) = r {
            fail(report.as_fd(), i as u32, sub, e);
        }
        sys::stamp(trace, T_CHILD + 1 + i);
    }
    // Blocked and ignored signals stay so across execve: the command gets
    // the default actions for those hull handles, whatever hull's own parent
    // left (SIG_IGN for SIGINT in a background job, say), and the mask hull
    // started with.
    sys::default_signals(RESET);
    let _ = sys::set_signal_mask(plan.sigmask);
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(plan.umask));
    let e = sys::execve(plan.exe, &plan.argv, &plan.envp);
    fail(report.as_fd(), EXEC_STEP, 0, e)
}

/// One operation: a few syscalls, nothing else. (Op::Init is `run`'s.)
// Out of line: 40 bytes smaller than inlined into `run`'s loop.
#[inline(never)]
fn apply(op: &Op, channel: BorrowedFd<'_>, slots: &mut Slots) -> Result<(), Fail> {
    match op {
        Op::DieWithParent => {
            rustix::process::set_parent_process_death_signal(Some(Signal::KILL)).on(0)?;
            // If hull died before the prctl, no signal will come: its end of
            // the channel is closed then, which poll reports as a hang-up
            // (a socket) or an error (the write end of a pipe).
            let mut fds = [PollFd::new(&channel, PollFlags::empty())];
            let _ = rustix::event::poll(&mut fds, Some(&Timespec::default()));
            if fds[0].revents().intersects(PollFlags::HUP | PollFlags::ERR) {
                sys::exit(EXIT_RUNTIME);
            }
            Ok(())
        }
        Op::NewSession => rustix::process::setsid().map(drop).on(0),
        Op::LeaveTerminal => match sys::leave_terminal() {
            Ok(()) => rustix::process::setpgid(None, None).on(0),
            // /dev/tty is not what it should be (a volume over /dev, a host
            // without it): a session of its own leaves the terminal too.
            Err(_) => rustix::process::setsid().map(drop).on(0),
        },
        Op::Terminal(size) => {
            let (master, slave) = sys::open_pty().on(0)?;
            // Sized before the command starts, so it never sees 0x0.
            let _ = sys::set_winsize(master.as_fd(), *size);
            let r = Report {
                step: PTY_STEP,
                sub: 0,
                errno: 0,
            };
            sys::send_with_fd(channel, &r.to_bytes(), master.as_fd()).on(0)?;
            // Our copies of both close here; 0, 1 and 2 stay.
            sys::set_controlling_terminal(slave.as_fd()).on(0)?;
            sys::dup_stdio(slave.as_fd()).on(0)
        }
        Op::Init => Ok(()), // see `run`
        Op::OwnGroup { foreground } => {
            rustix::process::setpgid(None, None).on(0)?;
            if *foreground {
                // We are not in the foreground yet, so tcsetpgrp would stop us
                // with SIGTTOU unless it is blocked (the mask is restored
                // before execve).
                sys::block_signals(sys::sig_bit(Signal::TTOU.as_raw() as u32)).on(0)?;
                sys::set_foreground(sys::stdin()).on(0)?;
            }
            Ok(())
        }
        Op::PrivateMounts(flags) | Op::RootPropagation(flags) => {
            rustix::mount::mount_change(c"/", MountPropagationFlags::from_bits_retain(*flags)).on(0)
        }
        Op::Hostname(name) => rustix::system::sethostname(name).on(0),
        Op::Domainname(name) => rustix::system::setdomainname(name).on(0),
        Op::LoopbackUp => sys::loopback_up().on(0),
        Op::JoinNetns(fd) => sys::join_netns(*fd).on(0),
        Op::JoinNs(fd, flag) => sys::join_ns(*fd, *flag).on(0),
        Op::Enter(pidfd, flags, fds) => {
            rustix::process::set_dumpable_behavior(DumpableBehavior::NotDumpable).on(0)?;
            match sys::join_ns(*pidfd, *flags) {
                Err(Errno::INVAL) if !fds.is_empty() => fds
                    .iter()
                    .try_for_each(|&(fd, f)| sys::join_ns(fd, f).on(0)),
                r => r.on(0),
            }
        }
        Op::Personality(p) => sys::set_personality(*p).on(0),
        Op::NewKeyring => match sys::new_session_keyring() {
            // A kernel without keyrings has no keys to share.
            Err(Errno::NOSYS) => Ok(()),
            r => r.on(0),
        },
        Op::Chdir(dir) => rustix::process::chdir(dir.as_c_str()).on(0),
        Op::Root(path, id) => {
            let root = match path {
                None => open(
                    rustix::fs::CWD,
                    c"/",
                    OFlags::DIRECTORY,
                    ResolveFlags::empty(),
                )
                .on(S_OPEN)?,
                Some(p) => {
                    // The canonical path the parent found: no symlink may
                    // appear on it now, and it must be the same directory.
                    let dir = open(rustix::fs::CWD, p, OFlags::DIRECTORY, STRICT).on(S_OPEN)?;
                    let st = rustix::fs::fstat(&dir).on(S_OPEN)?;
                    if (st.st_dev, st.st_ino) != *id {
                        return Err((S_REPLACED, Errno::from_raw_os_error(0)));
                    }
                    // A mount of its own (pivot_root needs one), whose fd is
                    // the root from now on; recursive, to keep the image's
                    // own submounts.
                    let tree = sys::clone_tree(dir.as_fd(), true).on(S_OPEN_TREE)?;
                    sys::attach(tree.as_fd(), dir.as_fd()).on(S_MOVE)?;
                    tree
                }
            };
            slots.set(Slot::Root, root);
            Ok(())
        }
        Op::Mount(m) => mount(m, slots),
        Op::Detach(src, n) => {
            let fd = open(rustix::fs::CWD, src.rel(), OFlags::NOFOLLOW, STRICT).on(S_SOURCE)?;
            let tree = sys::clone_tree(fd.as_fd(), true).on(S_OPEN_TREE)?;
            slots.1[*n as usize % MAX_SHARED] = Some(tree);
            Ok(())
        }
        Op::Node(name, mode, rdev) => {
            let dev = slots.fd(Slot::Dev)?;
            let perm = Mode::from_raw_mode(mode & 0o7777);
            let kind = FileType::from_raw_mode(*mode);
            rustix::fs::mknodat(dev, name.as_c_str(), kind, perm, *rdev).on(S_MKNOD)?;
            // The umask took some bits away.
            rustix::fs::chmodat(dev, name.as_c_str(), perm, AtFlags::empty()).on(S_CHMOD)
        }
        Op::DevDir(name) => {
            match rustix::fs::mkdirat(slots.fd(Slot::Dev)?, name.as_c_str(), DIR_MODE) {
                Err(Errno::EXIST) => Ok(()),
                r => r.on(0),
            }
        }
        Op::Symlink(target, name) => {
            rustix::fs::symlinkat(*target, slots.fd(Slot::Dev)?, name.as_c_str()).on(0)
        }
        Op::Sysctl(at, value) => {
            let f = open(slots.fd(at.slot)?, at.rel(), OFlags::WRONLY, STRICT).on(S_OPEN)?;
            sys::write_all(f.as_fd(), value).on(S_WRITE)
        }
        Op::ReadOnlyRoot => {
            sys::set_mount_attrs(slots.fd(Slot::Root)?, (g::MOUNT_ATTR_RDONLY, 0), 0, false).on(0)
        }
        Op::PivotRoot(_) => {
            rustix::process::fchdir(slots.fd(Slot::Root)?).on(S_FCHDIR)?;
            match rustix::process::pivot_root(c".", c".") {
                // The old root is now stacked under the new one, at "/":
                // detach it, so no path of the host stays reachable.
                Ok(()) => rustix::mount::unmount(c".", UnmountFlags::DETACH).on(S_UMOUNT)?,
                // EINVAL: "/" is the initramfs (rootfs), which cannot be
                // pivoted away nor unmounted. Do what switch_root does: move
                // the new root over "/" and chroot into it. That is safe
                // enough here: the initramfs is covered by the moved mount, a
                // path walk (even `..` from a nested chroot) always steps
                // into the topmost mount, and we keep no fd or cwd below it,
                // so nothing of the old root stays reachable.
                Err(Errno::INVAL) => {
                    rustix::mount::mount_move(c".", c"/").on(S_MOVE_ROOT)?;
                    rustix::process::chroot(c".").on(S_CHROOT)?;
                }
                Err(e) => return Err((S_PIVOT, e)),
            }
            // Nothing later is resolved through them, and no fd into the
            // container's mounts may outlive the setup.
            *slots = Slots::default();
            rustix::process::chdir(c"/").on(S_CHDIR)
        }
        Op::DropBounding(keep) => {
            for cap in 0..64 {
                if keep & (1 << cap) == 0 {
                    match rustix::thread::remove_capability_from_bounding_set(
                        CapabilitySet::from_bits_retain(1 << cap),
                    ) {
                        // Past the last capability this kernel knows.
                        Err(Errno::INVAL) => break,
                        r => r.on(0)?,
                    }
                }
            }
            Ok(())
        }
        Op::User(uid, gid) => set_user(*uid, *gid, &[]),
        Op::UserGroups(uid, gid, groups) => set_user(*uid, *gid, groups),
        Op::KeepCaps => rustix::thread::set_keep_capabilities(true).on(0),
        Op::Caps(sets) => {
            // Only what we hold can be kept: a process cannot raise a
            // capability it lacks (capset fails with EPERM), and hull itself
            // may run without some (a sandbox that dropped CAP_SYS_RESOURCE),
            // so `--cap-add ALL` means every capability we have. Asked as
            // given first: it usually holds, and then capget is not needed.
            let [e, p, i, ambient] = sets.map(CapabilitySet::from_bits_retain);
            let set = |held: CapabilitySet| {
                rustix::thread::set_capabilities(
                    None,
                    CapabilitySets {
                        effective: e & held,
                        permitted: p & held,
                        inheritable: i & held,
                    },
                )
            };
            match set(CapabilitySet::all()) {
                Err(Errno::PERM) => {
                    let held = rustix::thread::capabilities(None).on(0)?.permitted;
                    set(held).on(0)?
                }
                r => r.on(0)?,
            }
            rustix::thread::clear_ambient_capability_set().on(0)?;
            // Each one raised must be permitted and inheritable: as asked.
            for bit in 0..64 {
                let cap = CapabilitySet::from_bits_retain(1 << bit);
                if ambient.contains(cap) {
                    rustix::thread::configure_capability_in_ambient_set(cap, true).on(0)?;
                }
            }
            Ok(())
        }
        Op::NoNewPrivs => rustix::thread::set_no_new_privs(true).on(0),
        Op::Seccomp(prog, _) => sys::set_filter(&prog.0).on(0),
        Op::UnshareCgroupNs => sys::unshare_cgroupns().on(0),
        Op::AwaitStart(fd) => {
            tell(channel, READY_STEP)?;
            // The parent (`hull create`) is gone by the time the byte comes.
            // The gate is open read-write, so it never reads end of file
            // while we wait; close-on-exec drops it at execve.
            wait(*fd)
        }
        // The parent runs the hooks, then sends the byte.
        Op::AwaitHooks => tell(channel, HOOKS_STEP).and_then(|()| wait(channel.as_raw_fd())),
        Op::AwaitParent => wait(channel.as_raw_fd()),
    }
}

/// Tells the parent the setup has come to `step` (a report that is no
/// failure: [`READY_STEP`], [`HOOKS_STEP`]).
fn tell(channel: BorrowedFd<'_>, step: u32) -> Result<(), Fail> {
    let r = Report {
        step,
        sub: 0,
        errno: 0,
    };
    sys::write_all(channel, &r.to_bytes()).on(0)
}

/// Blocks until one byte ("go") can be read from `fd`. End of file means
/// the parent gave up (it reports why itself), so leave without a report.
fn wait(fd: i32) -> Result<(), Fail> {
    if !sys::read_byte(fd) {
        sys::exit(EXIT_RUNTIME);
    }
    Ok(())
}

/// Directories made as mount points: rwxr-xr-x.
const DIR_MODE: Mode = Mode::from_raw_mode(0o755);

/// No symlink anywhere on the way, and no escape from the directory the
/// lookup starts in (absolute paths are the host's, with no root to stay
/// beneath: `strict` drops BENEATH for those).
const STRICT: ResolveFlags = ResolveFlags::NO_SYMLINKS.union(ResolveFlags::NO_MAGICLINKS);

/// `openat2(dir, path, O_PATH|O_CLOEXEC|flags, how)`; BENEATH added for a
/// relative path, so `..` cannot climb out of `dir`.
fn open(
    dir: BorrowedFd<'_>,
    path: &CStr,
    flags: OFlags,
    how: ResolveFlags,
) -> sys::Result<OwnedFd> {
    let mut how = how;
    let mut flags = flags;
    if path.to_bytes().first() != Some(&b'/') && !how.contains(ResolveFlags::IN_ROOT) {
        how |= ResolveFlags::BENEATH;
    }
    if !flags.intersects(OFlags::WRONLY | OFlags::RDWR) {
        flags |= OFlags::PATH;
    }
    rustix::fs::openat2(dir, path, flags | OFlags::CLOEXEC, Mode::empty(), how)
}

/// `setgroups(groups)`, `setresgid(gid)`, `setresuid(uid)`.
fn set_user(uid: u32, gid: u32, groups: &[rustix::process::Gid]) -> Result<(), Fail> {
    use rustix::process::{Gid, Uid};
    let (u, g) = (Uid::from_raw_unchecked(uid), Gid::from_raw_unchecked(gid));
    match rustix::thread::set_thread_groups(groups) {
        // In a user namespace whose setgroups is denied (rootless):
        // the groups stay as the kernel fixed them; dropping them
        // is exactly what the kernel forbids there.
        Err(Errno::PERM) => {}
        r => r.on(S_SETGROUPS)?,
    }
    rustix::thread::set_thread_res_gid(g, g, g).on(S_SETRESGID)?;
    rustix::thread::set_thread_res_uid(u, u, u).on(S_SETRESUID)
}

/// How a mount point of `kind` is looked up: open flags and resolve flags.
fn lookup(kind: Kind) -> (OFlags, ResolveFlags) {
    let inside = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    match kind {
        Kind::System => (OFlags::DIRECTORY | OFlags::NOFOLLOW, STRICT),
        Kind::Mask => (OFlags::NOFOLLOW, STRICT),
        Kind::Dir => (OFlags::DIRECTORY, inside),
        Kind::File => (OFlags::empty(), inside),
    }
}

/// Opens the mount point of `m`, creating what is missing of it when the
/// step may (`m.create`).
fn point(m: &Mount, slots: &Slots) -> Result<OwnedFd, Fail> {
    let base = slots.fd(m.target.slot)?;
    let rel = m.target.rel();
    let (flags, how) = lookup(m.kind);
    match open(base, rel, flags, how) {
        Err(Errno::NOENT) if m.create => create(base, rel.to_bytes(), m.kind),
        r => r.on(S_TARGET),
    }
}

/// Makes the missing part of mount point `rel` under `base`: finds its
/// deepest existing ancestor (looked up as the whole path is), then makes
/// each missing component relative to its parent's fd (a directory, and
/// for `Kind::File` a file last) and opens it with no symlink allowed. A
/// component made meanwhile by someone else (EEXIST) is taken as it is,
/// if it is what it should be.
fn create(base: BorrowedFd<'_>, rel: &[u8], kind: Kind) -> Result<OwnedFd, Fail> {
    let mut buf = [0u8; 4096];
    let n = rel.len();
    let Some(dst) = buf.get_mut(..n) else {
        return Err((S_TARGET, Errno::NAMETOOLONG));
    };
    dst.copy_from_slice(rel);
    let (_, how) = lookup(kind);
    let mut dir: Option<OwnedFd> = None;
    // The deepest ancestor that exists: `start` is where the missing part begins.
    let mut end = n;
    let start = loop {
        end = buf[..end].iter().rposition(|&c| c == b'/').unwrap_or(0);
        if end == 0 {
            break 0;
        }
        buf[end] = 0;
        let r = CStr::from_bytes_with_nul(&buf[..=end]).map_err(|_| (S_TARGET, Errno::INVAL));
        let r = r.and_then(|p| open(base, p, OFlags::DIRECTORY, how).on(S_TARGET));
        buf[end] = b'/';
        match r {
            Ok(fd) => {
                dir = Some(fd);
                break end + 1;
            }
            Err((_, Errno::NOENT)) => {}
            Err(e) => return Err(e),
        }
    };
    let mut at = start;
    loop {
        let stop = buf[at..n]
            .iter()
            .position(|&c| c == b'/')
            .map_or(n, |i| at + i);
        let last = stop == n;
        let file = last && kind == Kind::File;
        buf[stop] = 0;
        let name =
            CStr::from_bytes_with_nul(&buf[at..=stop]).map_err(|_| (S_TARGET, Errno::INVAL))?;
        let d = dir.as_ref().map_or(base, |f| f.as_fd());
        let made = if file {
            let reg = FileType::RegularFile;
            rustix::fs::mknodat(d, name, reg, Mode::from_raw_mode(0o644), 0)
        } else {
            rustix::fs::mkdirat(d, name, DIR_MODE)
        };
        match made {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err((S_MKDIR, e)),
        }
        let flags = if file {
            OFlags::NOFOLLOW
        } else {
            OFlags::DIRECTORY | OFlags::NOFOLLOW
        };
        let fd = open(d, name, flags, STRICT).on(S_TARGET)?;
        if last {
            return Ok(fd);
        }
        dir = Some(fd);
        at = stop + 1;
    }
}

/// One [`Mount`]: the target resolved once, the mount made detached (a new
/// filesystem, or a copy of a tree), its attributes set while nobody can
/// see it, then attached onto the target's fd.
fn mount(m: &Mount, slots: &mut Slots) -> Result<(), Fail> {
    let target = match point(m, slots) {
        // A mask of a path this kernel does not have.
        Err((_, Errno::NOENT)) if m.kind == Kind::Mask => return Ok(()),
        r => r?,
    };
    let tree = match (&m.src, &slots.2) {
        // Every mask filesystem after the first is a copy of the first:
        // the same empty read-only tmpfs (a new one is a superblock of its
        // own, tens of microseconds; a copy, a few).
        (Source::Fs(..), Some(first)) if m.kind == Kind::Mask => {
            let tree = sys::clone_tree(first.as_fd(), false).on(S_OPEN_TREE)?;
            set_attrs(m, tree.as_fd(), false)?;
            tree
        }
        (Source::Fs(fstype, opts), _) => {
            sys::new_mount(fstype, opts, m.attrs).map_err(|(i, e)| (S_FSOPEN + i as u32, e))?
        }
        (Source::Bind(from, recursive), _) => {
            let src = match open(slots.fd(from.slot)?, from.rel(), OFlags::NOFOLLOW, STRICT) {
                Err(Errno::NOENT) if m.optional => return Ok(()),
                r => r.on(S_SOURCE)?,
            };
            let tree = sys::clone_tree(src.as_fd(), *recursive).on(S_OPEN_TREE)?;
            set_attrs(m, tree.as_fd(), *recursive)?;
            tree
        }
        (Source::Tree(n), _) => {
            let tree = slots.1[*n as usize % MAX_SHARED].take();
            let tree = tree.ok_or((S_OPEN_TREE, Errno::BADF))?;
            set_attrs(m, tree.as_fd(), true)?;
            tree
        }
    };
    sys::attach(tree.as_fd(), target.as_fd()).on(S_MOVE)?;
    if m.propagation != 0 {
        // Once attached: a mount that is not yet in the tree has no
        // propagation to change.
        let (mode, rec) = (m.propagation & !g::MS_REC, m.propagation & g::MS_REC != 0);
        sys::set_mount_attrs(tree.as_fd(), (0, 0), mode, rec).on(S_PROPAGATION)?;
    }
    if let Some(s) = m.save {
        slots.set(s, tree);
    } else if m.kind == Kind::Mask && matches!(m.src, Source::Fs(..)) && slots.2.is_none() {
        slots.2 = Some(tree);
    }
    Ok(())
}

/// The attributes of a bound copy `tree` (the mounts below it too when
/// `recursive`), set before it is attached.
fn set_attrs(m: &Mount, tree: BorrowedFd<'_>, recursive: bool) -> Result<(), Fail> {
    if m.attrs | m.clear == 0 {
        return Ok(());
    }
    let set = |attrs| sys::set_mount_attrs(tree, attrs, 0, recursive);
    match set((m.attrs, m.clear)) {
        // A flag a more privileged user namespace locked on the source
        // (nosuid, nodev, ro, its atime) cannot be cleared or changed from a
        // user namespace: it stays, as runc keeps it, and the flags that
        // only restrict still apply.
        Err(Errno::PERM) if m.clear != 0 => set((m.attrs & !g::MOUNT_ATTR__ATIME, 0)),
        r => r,
    }
    .on(S_SETATTR)
}

/// Reports the failed step and exits. The parent formats the message; the
/// status here is only a fallback in case the report cannot be written.
fn fail(report: BorrowedFd<'_>, step: u32, sub: u32, e: Errno) -> ! {
    let r = Report {
        step,
        sub,
        errno: e.raw_os_error(),
    };
    let _ = sys::write_all(report, &r.to_bytes());
    sys::exit(EXIT_RUNTIME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_round_trips() {
        for r in [
            Report {
                step: EXEC_STEP,
                sub: 0,
                errno: 13,
            },
            Report {
                step: 7,
                sub: S_MOVE,
                errno: -1,
            },
        ] {
            assert_eq!(Report::from_bytes(r.to_bytes()), r);
        }
    }
}

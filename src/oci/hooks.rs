//! The config's hooks (runtime-spec, "POSIX-platform Hooks"): a program of
//! the host's, run by hull with the container's state (JSON) on its stdin,
//! within its timeout.
//!
//! `prestart`, `createRuntime` and `createContainer` run during `create`,
//! in that order, once the container's namespaces and mounts are made and
//! before its root is switched (its process waits,
//! [`crate::plan::Op::AwaitHooks`]); a failure fails the create.
//! `startContainer` runs during `start`, before the process may execve; a
//! failure kills the process and fails the start. `poststart` runs once
//! `start` has let the process go, and `poststop` once `delete` has
//! removed the container: a failure there is a warning, and the others
//! still run.
//!
//! `createContainer` and `startContainer` run in the container's
//! namespaces ([`Inside`]): hull enters its PID namespace for its children
//! while it clones the hook, and the hook joins the others (one `setns` on
//! the container's pidfd) before its execve. A createContainer hook's path
//! is looked up in the container's mount namespace before the switch of
//! root, which still shows the runtime's tree; a startContainer hook's
//! after it, in the container's root. The others run in the runtime's
//! namespaces.

use super::config::Hook;
use super::exec::{Namespaces, namespaces};
use crate::error::{EXIT_RUNTIME, Error};
use crate::sys::{self, AsFd, BorrowedFd, CStrArray, Errno, OwnedFd, SigSet};
use crate::util::cstr::{cstr, cstrs};
use crate::util::file::open_file;
use crate::util::out::{Buf, eprint};
use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::CStr;
use linux_raw_sys::general as g;
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fd::AsRawFd;
use rustix::fs::OFlags;
use rustix::pipe::PipeFlags;
use rustix::process::Signal;

/// What the hook's child needs, made before the clone.
struct Cmd<'a> {
    exe: &'a CStr,
    argv: CStrArray,
    envp: CStrArray,
    mask: SigSet,
    /// Close-on-exec: the child writes the step that failed (0 execve, 1
    /// setns) and its errno here; at its execve it closes unwritten.
    report: BorrowedFd<'a>,
}

/// The steps a hook's child can report, as [`Cmd::report`] numbers them.
const STEPS: [&str; 2] = ["execve", "setns into the container's namespaces"];

/// A container's process, for the hooks that run in its namespaces.
pub struct Inside {
    pidfd: OwnedFd,
    ns: Namespaces,
    /// hull's own PID namespace, to return to once a hook is cloned (when
    /// the container's is another).
    own_pid: Option<OwnedFd>,
}

impl Inside {
    /// The namespaces of `pid`, whose process `pidfd` is (the caller knows
    /// it is the container's: its child, or checked by its start time).
    pub fn of(pid: i32, pidfd: OwnedFd) -> Result<Inside, Error> {
        let ns = namespaces(pid)?;
        let own_pid = match ns.pid {
            None => None,
            Some(_) => Some(
                open_file(b"/proc/self/ns/pid", OFlags::RDONLY | OFlags::CLOEXEC)
                    .map_err(|e| Error::sys("open", b"/proc/self/ns/pid", e))?,
            ),
        };
        Ok(Inside { pidfd, ns, own_pid })
    }

    /// Kills the container's process (a hook failed).
    pub fn kill(&self) {
        let _ = rustix::process::pidfd_send_signal(&self.pidfd, Signal::KILL);
    }
}

/// Reports `step` with `e` to the parent and exits (in the child).
fn fail(c: &Cmd<'_>, step: u8, e: Errno) -> ! {
    let mut b = [step, 0, 0, 0, 0];
    b[1..].copy_from_slice(&e.raw_os_error().to_ne_bytes());
    let _ = sys::write_all(c.report, &b);
    sys::exit(127)
}

/// The hook's process, between the clone and execve (syscalls only): the
/// state on stdin, stdout onto stderr (a runtime's stdout is its caller's
/// to read), hull's original signal mask.
fn child(c: &Cmd<'_>, stdin: OwnedFd) -> ! {
    exec(c, stdin.as_fd())
}

/// The end of both kinds of hook process: [`child`]'s steps and execve.
fn exec(c: &Cmd<'_>, stdin: BorrowedFd<'_>) -> ! {
    let _ = sys::dup_onto(stdin, 0);
    let _ = sys::dup_onto(sys::stderr(), 1);
    let _ = sys::set_signal_mask(c.mask);
    let e = sys::execve(c.exe, &c.argv, &c.envp);
    fail(c, 0, e)
}

/// Clones the hook's process into the namespaces of `at`, fork-style: a
/// process that shares its memory cannot join a time namespace (EUSERS).
fn spawn_inside(at: &Inside, c: &Cmd<'_>, stdin: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    // A PID namespace is entered only at birth: hull's children are born
    // in the container's while this lasts (hull itself stays in its own).
    if let Some(pid_ns) = &at.ns.pid {
        sys::join_ns(pid_ns.as_raw_fd(), g::CLONE_NEWPID)?;
    }
    let forked = sys::clone(0, None);
    if let Some(own) = &at.own_pid {
        // Back to hull's own for its later children (poststart's, say).
        let _ = sys::join_ns(own.as_raw_fd(), g::CLONE_NEWPID);
    }
    match forked? {
        sys::Fork::Parent { pidfd, .. } => Ok(pidfd),
        sys::Fork::Child => {
            // One setns for all (Linux 5.8); before, each namespace's
            // file, the user namespace first.
            let joined = match sys::join_ns(at.pidfd.as_raw_fd(), at.ns.flags) {
                Err(Errno::INVAL) => at
                    .ns
                    .fds
                    .iter()
                    .try_for_each(|&(fd, f)| sys::join_ns(fd, f)),
                r => r,
            };
            if let Err(e) = joined {
                fail(c, 1, e)
            }
            exec(c, stdin)
        }
    }
}

/// Runs `hooks` in order, each with `state` on its stdin, in the
/// namespaces of `inside`'s process if given, else in the runtime's. The
/// first that fails (its status is not 0, it cannot be run, or its timeout
/// passes: it is killed then) is the error, named by `kind` and its path.
pub fn run(
    kind: &str,
    hooks: &[Hook],
    state: &[u8],
    mask: SigSet,
    inside: Option<&Inside>,
) -> Result<(), Error> {
    for h in hooks {
        one(h, state, mask, inside).map_err(|why| {
            let mut m = Buf::new();
            m.s(kind).s(" hook ").b(&h.path).s(": ").b(&why.0);
            Error::new(EXIT_RUNTIME, &m)
        })?;
    }
    Ok(())
}

/// [`run`] in the runtime's namespaces, where a failure is a warning on
/// stderr and the others still run (`poststart`, `poststop`).
pub fn run_warn(kind: &str, hooks: &[Hook], state: &[u8], mask: SigSet) {
    for h in hooks {
        if let Err(e) = run(kind, core::slice::from_ref(h), state, mask, None) {
            let mut m = Buf::new();
            m.s("hull: warning: ").b(&e.msg).s("\n");
            eprint(&m.0);
        }
    }
}

/// One hook; Err: why it failed, in words.
fn one(h: &Hook, state: &[u8], mask: SigSet, inside: Option<&Inside>) -> Result<(), Buf> {
    let sys_err = |what: &str, e: Errno| {
        let mut m = Buf::new();
        m.s(what).s(": ").s(crate::util::errno::strerror(e));
        m
    };
    let exe = cstr(&h.path);
    // argv[0] is the config's (`args`), or the path when it gives none.
    let argv: Vec<CString> = match h.args.is_empty() {
        true => alloc::vec![exe.clone()],
        false => cstrs(&h.args),
    };
    let (report, report_wr) =
        rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(|e| sys_err("pipe", e))?;
    let c = Cmd {
        exe: &exe,
        argv: CStrArray::new(argv),
        envp: CStrArray::new(cstrs(&h.env)),
        mask,
        report: report_wr.as_fd(),
    };
    // The state fits the pipe's buffer: written whole before the clone.
    let (rd, wr) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(|e| sys_err("pipe", e))?;
    sys::write_all(wr.as_fd(), state).map_err(|e| sys_err("write its stdin", e))?;
    let pidfd = match inside {
        None => sys::spawn(0, None, child, &c, rd.as_fd(), wr.as_fd()).map(|(_, fd)| fd),
        Some(at) => spawn_inside(at, &c, rd.as_fd()),
    };
    drop((rd, wr, c));
    drop(report_wr);
    let pidfd = pidfd.map_err(|e| sys_err("clone3", e))?;
    if !exited_within(pidfd.as_fd(), h.timeout) {
        let _ = rustix::process::pidfd_send_signal(&pidfd, Signal::KILL);
        let _ = sys::proc::wait_rusage(pidfd.as_fd());
        let mut m = Buf::new();
        m.s("timed out after ")
            .u(h.timeout.unwrap_or(0) as u64)
            .s(" s");
        return Err(m);
    }
    let status = sys::proc::wait_rusage(pidfd.as_fd());
    // Its process is gone, and with it the last writer: no wait here.
    let mut b = [0u8; 5];
    if let Ok(5) = rustix::io::read(&report, &mut b) {
        let errno = i32::from_ne_bytes([b[1], b[2], b[3], b[4]]);
        let step = STEPS[b[0] as usize % 2];
        return Err(sys_err(step, Errno::from_raw_os_error(errno)));
    }
    match status {
        Ok((0, _)) => Ok(()),
        Ok((st, _)) => {
            let mut m = Buf::new();
            m.s("exit status ").u(st as u64);
            Err(m)
        }
        Err(e) => Err(sys_err("waitid", e)),
    }
}

/// Whether the process of `pidfd` ended within `secs` (no limit: None).
fn exited_within(pidfd: BorrowedFd<'_>, secs: Option<u32>) -> bool {
    let limit = secs.map(|s| Timespec {
        tv_sec: s as i64,
        tv_nsec: 0,
    });
    loop {
        let mut p = [PollFd::from_borrowed_fd(pidfd, PollFlags::IN)];
        match poll(&mut p, limit.as_ref()) {
            Ok(0) => return false,
            Ok(_) => return true,
            // A signal meanwhile (none is caught): wait on.
            Err(_) => continue,
        }
    }
}

//! The config's hooks (runtime-spec, "POSIX-platform Hooks"): a program of
//! the host's, run by hull in the runtime's namespaces with the
//! container's state (JSON) on its stdin, within its timeout.
//!
//! `prestart` and `createRuntime` run during `create`, once the container's
//! namespaces and mounts are made and before its root is switched (its
//! process waits, [`crate::plan::Op::AwaitHooks`]); a failure fails the
//! create. `poststart` runs once `start` has let the process go, and
//! `poststop` once `delete` has removed the container: a failure there is
//! a warning, and the others still run. `createContainer` and
//! `startContainer` (run inside the container's namespaces) are refused.

use super::config::Hook;
use crate::error::{EXIT_RUNTIME, Error};
use crate::sys::{self, AsFd, BorrowedFd, CStrArray, OwnedFd, SigSet};
use crate::util::cstr::{cstr, cstrs};
use crate::util::out::{Buf, eprint};
use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::CStr;
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::pipe::PipeFlags;
use rustix::process::Signal;

/// What the hook's child needs, made before the clone.
struct Cmd<'a> {
    exe: &'a CStr,
    argv: CStrArray,
    envp: CStrArray,
    mask: SigSet,
}

/// The hook's process, between the clone and execve (in hull's memory:
/// syscalls only): the state on stdin, stdout onto stderr (a runtime's
/// stdout is its caller's to read), hull's original signal mask.
fn child(c: &Cmd<'_>, stdin: OwnedFd) -> ! {
    let _ = sys::dup_onto(stdin.as_fd(), 0);
    let _ = sys::dup_onto(sys::stderr(), 1);
    let _ = sys::set_signal_mask(c.mask);
    sys::execve(c.exe, &c.argv, &c.envp);
    sys::exit(127)
}

/// Runs `hooks` in order, each with `state` on its stdin. The first that
/// fails (its status is not 0, it cannot be run, or its timeout passes:
/// it is killed then) is the error, named by `kind` and its path.
pub fn run(kind: &str, hooks: &[Hook], state: &[u8], mask: SigSet) -> Result<(), Error> {
    for h in hooks {
        one(h, state, mask).map_err(|why| {
            let mut m = Buf::new();
            m.s(kind).s(" hook ").b(&h.path).s(": ").b(&why.0);
            Error::new(EXIT_RUNTIME, &m)
        })?;
    }
    Ok(())
}

/// [`run`], where a failure is a warning on stderr and the others still
/// run (`poststart`, `poststop`).
pub fn run_warn(kind: &str, hooks: &[Hook], state: &[u8], mask: SigSet) {
    for h in hooks {
        if let Err(e) = run(kind, core::slice::from_ref(h), state, mask) {
            let mut m = Buf::new();
            m.s("hull: warning: ").b(&e.msg).s("\n");
            eprint(&m.0);
        }
    }
}

/// One hook; Err: why it failed, in words.
fn one(h: &Hook, state: &[u8], mask: SigSet) -> Result<(), Buf> {
    let sys_err = |what: &str, e: sys::Errno| {
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
    let c = Cmd {
        exe: &exe,
        argv: CStrArray::new(argv),
        envp: CStrArray::new(cstrs(&h.env)),
        mask,
    };
    // The state fits the pipe's buffer: written whole before the clone.
    let (rd, wr) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(|e| sys_err("pipe", e))?;
    sys::write_all(wr.as_fd(), state).map_err(|e| sys_err("write its stdin", e))?;
    let (_, pidfd) =
        sys::spawn(0, None, child, &c, rd.as_fd(), wr.as_fd()).map_err(|e| sys_err("clone3", e))?;
    drop((rd, wr));
    if !exited_within(pidfd.as_fd(), h.timeout) {
        let _ = rustix::process::pidfd_send_signal(&pidfd, Signal::KILL);
        let _ = sys::proc::wait_rusage(pidfd.as_fd());
        let mut m = Buf::new();
        m.s("timed out after ")
            .u(h.timeout.unwrap_or(0) as u64)
            .s(" s");
        return Err(m);
    }
    match sys::proc::wait_rusage(pidfd.as_fd()) {
        Ok((0, _)) => Ok(()),
        Ok((127, _)) if !exists(&exe) => Err(sys_err("execve", sys::Errno::NOENT)),
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

/// Whether `path` names something (a status of 127 is then the hook's own).
fn exists(path: &CStr) -> bool {
    rustix::fs::access(path, rustix::fs::Access::EXISTS).is_ok()
}

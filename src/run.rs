//! The parent side of `hull run`: clone, learn whether execve happened,
//! wait for the exit, and turn it into hull's exit status.

use crate::child::{self, EXEC_STEP, Report};
use crate::error::{EXIT_CANNOT_EXEC, EXIT_NOT_FOUND, Error, strerror};
use crate::out::{Buf, eprint, print};
use crate::plan::Plan;
use crate::spec::Spec;
use crate::sys::{self, AsFd, Errno, Fork, OwnedFd};
use core::ffi::CStr;
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use rustix::process::{WaitId, WaitIdOptions};

/// `hull run`: the whole life of one container. Returns hull's exit status.
pub fn run(spec: &mut Spec, env: &[&CStr]) -> Result<i32, Error> {
    let plan = Plan::build(spec, env)?;
    if spec.dry_run {
        print(&plan.describe().0);
        return Ok(0);
    }
    if spec.debug {
        debug(Buf::new().s("plan:\n").b(&plan.describe().0));
    }
    let child = start(&plan)?;
    if spec.debug {
        debug(
            Buf::new()
                .s("clone3: child pid ")
                .u(child.pid as u64)
                .s("\n"),
        );
    }
    if plan.awaits_parent() {
        // The parent's side of the setup goes here, before the release.
        child.release()?;
    }
    wait_exec(&plan, &child)?;
    if spec.debug {
        debug(Buf::new().s("execve succeeded (report channel closed)\n"));
    }
    let status = wait_exit(&child)?;
    if spec.debug {
        debug(
            Buf::new()
                .s("container exited: status ")
                .u(status as u64)
                .s("\n"),
        );
    }
    Ok(status)
}

fn debug(b: &Buf) {
    let mut line = Buf::new();
    line.s("hull: debug: ").b(&b.0);
    eprint(&line.0);
}

/// A started container: its pid (in our namespace), a pidfd, and our end of
/// the report channel.
pub struct Child {
    pub pid: i32,
    pub pidfd: OwnedFd,
    report: OwnedFd,
}

impl Child {
    /// Lets a child waiting at [`crate::plan::Op::AwaitParent`] go on.
    pub fn release(&self) -> Result<(), Error> {
        sys::write_all(self.report.as_fd(), b"g")
            .map_err(|e| Error::sys("release the child", b"", e))
    }
}

/// Creates the report channel and makes the one clone3. In the child this
/// never returns.
pub fn start(plan: &Plan) -> Result<Child, Error> {
    // Close-on-exec on both ends: the child's copy closes at a successful
    // execve, which is how the parent learns of it.
    let (ours, theirs) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| Error::sys("socketpair", b"", e))?;
    match sys::clone(plan.clone_flags, None) {
        Ok(Fork::Child) => {
            drop(ours);
            child::run(plan, theirs.as_fd())
        }
        Ok(Fork::Parent { pid, pidfd }) => Ok(Child {
            pid,
            pidfd,
            report: ours,
        }),
        Err(e) => Err(clone_error(e)),
    }
}

fn clone_error(e: Errno) -> Error {
    let mut m = Buf::new();
    m.s("clone3: ").s(strerror(e));
    if e == Errno::PERM {
        m.s(" (creating namespaces needs root, or CAP_SYS_ADMIN)");
    } else if e == Errno::NOSPC || e == Errno::AGAIN {
        m.s(" (a namespace or process limit was reached)");
    }
    Error::new(crate::error::EXIT_RUNTIME, &m)
}

/// Blocks until the child has exec'd (end of file on the channel) or reported
/// a failed step. On failure the child is reaped and the error returned.
pub fn wait_exec(plan: &Plan, child: &Child) -> Result<(), Error> {
    // Our copy of the child's end was dropped in `start`, so EOF comes when the
    // child's copy closes: at execve, or when the child dies.
    let mut buf = [0u8; Report::SIZE];
    let n = sys::read_full(child.report.as_fd(), &mut buf)
        .map_err(|e| Error::sys("read report channel", b"", e))?;
    if n < Report::SIZE {
        return Ok(());
    }
    let _ = wait_exit(child);
    Err(explain(plan, Report::from_bytes(buf)))
}

/// Turns the child's report into the message and status the user sees.
pub fn explain(plan: &Plan, r: Report) -> Error {
    let e = Errno::from_raw_os_error(r.errno);
    if r.step == EXEC_STEP {
        let code = if e == Errno::NOENT {
            EXIT_NOT_FOUND
        } else {
            EXIT_CANNOT_EXEC
        };
        let mut m = Buf::new();
        m.s("execve ").b(plan.exe.to_bytes()).s(": ").s(strerror(e));
        return Error::new(code, &m);
    }
    match plan.ops.get(r.step as usize) {
        Some(op) => {
            let (step, obj) = op.step();
            Error::sys(step, obj, e)
        }
        None => Error::sys("container setup", b"", e),
    }
}

/// Waits on the pidfd for the child to exit and maps its end to hull's
/// status: its exit code, or 128+N when killed by signal N.
pub fn wait_exit(child: &Child) -> Result<i32, Error> {
    loop {
        match rustix::process::waitid(WaitId::PidFd(child.pidfd.as_fd()), WaitIdOptions::EXITED) {
            Ok(Some(st)) => {
                if let Some(code) = st.exit_status() {
                    return Ok(code);
                }
                if let Some(sig) = st.terminating_signal() {
                    return Ok(128 + sig);
                }
            }
            Ok(None) | Err(Errno::INTR) => {}
            Err(e) => return Err(Error::sys("waitid", b"", e)),
        }
    }
}

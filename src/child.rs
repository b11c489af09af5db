//! The child, between clone3 and execve.
//!
//! It walks the plan's operations in order and then execs. It never
//! allocates and never takes a lock: everything it touches was built by the
//! parent before the clone. It leaves only by `execve` or `exit_group`. A
//! failure is sent to the parent as a fixed-size [`Report`] on the
//! close-on-exec channel; end of file on that channel means execve succeeded.

use crate::error::EXIT_RUNTIME;
use crate::init::{self, BLOCKED};
use crate::plan::{Op, Plan};
use crate::sys::{self, AsFd, BorrowedFd, Errno, OwnedFd};
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fs::{Mode, OFlags};
use rustix::mount::{MountFlags, MountPropagationFlags, UnmountFlags};
use rustix::process::Signal;
use rustix::thread::{CapabilitySet, CapabilitySets};

/// The step number that stands for execve itself in a [`Report`].
pub const EXEC_STEP: u32 = u32::MAX;

/// The "step" of a [`Report`] that is no failure: it carries the master of
/// the pty that [`Op::Terminal`] opened, as SCM_RIGHTS.
pub const PTY_STEP: u32 = u32::MAX - 1;

/// What the child tells the parent when a step fails: which step (an index
/// into `Plan::ops`, or [`EXEC_STEP`]) and the errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub step: u32,
    pub errno: i32,
}

impl Report {
    pub const SIZE: usize = 8;

    // As one u64 (step in the low half): no slicing, no bounds checks.
    pub fn to_bytes(self) -> [u8; Report::SIZE] {
        (self.step as u64 | (self.errno as u32 as u64) << 32).to_ne_bytes()
    }

    pub fn from_bytes(b: [u8; Report::SIZE]) -> Report {
        let v = u64::from_ne_bytes(b);
        Report {
            step: v as u32,
            errno: (v >> 32) as i32,
        }
    }
}

// Slots of a [`sys::Trace`] (`hull bench`): the parent stamps T_CLONE just
// before clone3, T_EXITED when the pidfd turns readable and T_REAPED after
// waitid; the child stamps T_CHILD when it starts (the end of clone3: the
// parent's own return from it may come only after the child's execve, see
// `sys::spawn`) and T_CHILD + 1 + i after op i, so the last stamp is taken
// just before execve.
pub const T_CLONE: usize = 0;
pub const T_EXITED: usize = 1;
pub const T_REAPED: usize = 2;
pub const T_CHILD: usize = 3;

/// Runs in the cloned process: every step of the plan, then execve.
pub fn run(plan: &Plan, report: OwnedFd) -> ! {
    // Timestamps go to a page shared with the parent: no allocation, one
    // syscall each, and nothing at all but a branch when not benchmarking.
    let trace = plan.trace;
    sys::stamp(trace, T_CHILD);
    for (i, op) in plan.ops.iter().enumerate() {
        let r = match op {
            // The init never comes back from here; the command's process does.
            Op::Init => match init::fork() {
                Ok(Some((command, signals))) => init::serve(command, signals, report),
                r => r.map(drop),
            },
            _ => apply(op, report.as_fd()),
        };
        match r {
            Err(Errno::NOENT) if op.optional() => {}
            Err(e) => fail(report.as_fd(), i as u32, e),
            Ok(()) => {}
        }
        sys::stamp(trace, T_CHILD + 1 + i);
    }
    // Blocked and ignored signals stay so across execve: the command gets
    // the default actions for those hull handles, whatever hull's own parent
    // left (SIG_IGN for SIGINT in a background job, say), and the mask hull
    // started with.
    sys::default_signals(BLOCKED);
    let _ = sys::set_signal_mask(plan.sigmask);
    let e = sys::execve(&plan.exe, &plan.argv, &plan.envp);
    fail(report.as_fd(), EXEC_STEP, e)
}

/// One operation: a few syscalls, nothing else. (Op::Init is `run`'s.)
// Out of line: 40 bytes smaller than inlined into `run`'s loop.
#[inline(never)]
fn apply(op: &Op, channel: BorrowedFd<'_>) -> sys::Result<()> {
    match op {
        Op::DieWithParent => {
            rustix::process::set_parent_process_death_signal(Some(Signal::KILL))?;
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
        Op::NewSession => rustix::process::setsid().map(drop),
        Op::LeaveTerminal => match sys::leave_terminal() {
            Ok(()) => rustix::process::setpgid(None, None),
            // /dev/tty is not what it should be (a volume over /dev, a host
            // without it): a session of its own leaves the terminal too.
            Err(_) => rustix::process::setsid().map(drop),
        },
        Op::Terminal(size) => {
            let (master, slave) = sys::open_pty()?;
            // Sized before the command starts, so it never sees 0x0.
            let _ = sys::set_winsize(master.as_fd(), *size);
            let r = Report {
                step: PTY_STEP,
                errno: 0,
            };
            sys::send_with_fd(channel, &r.to_bytes(), master.as_fd())?;
            // Our copies of both close here; 0, 1 and 2 stay.
            sys::set_controlling_terminal(slave.as_fd())?;
            sys::dup_stdio(slave.as_fd())
        }
        Op::Init => Ok(()), // see `run`
        Op::OwnGroup { foreground } => {
            rustix::process::setpgid(None, None)?;
            if *foreground {
                // We are not in the foreground yet, so tcsetpgrp would stop us
                // with SIGTTOU unless it is blocked (the mask is restored
                // before execve).
                sys::block_signals(sys::sig_bit(Signal::TTOU.as_raw() as u32))?;
                sys::set_foreground(sys::stdin())?;
            }
            Ok(())
        }
        Op::PrivateMounts => rustix::mount::mount_change(
            c"/",
            MountPropagationFlags::REC | MountPropagationFlags::PRIVATE,
        ),
        Op::Hostname(name) => rustix::system::sethostname(name),
        Op::LoopbackUp => sys::loopback_up(),
        Op::Chdir(dir) => rustix::process::chdir(dir.as_c_str()),
        Op::Mount(m) => rustix::mount::mount(
            m.src.as_c_str(),
            m.target.as_c_str(),
            m.fstype,
            MountFlags::from_bits_retain(m.flags),
            m.data.as_deref(),
        ),
        Op::Mkdir(p) => rustix::fs::mkdir(p.as_c_str(), Mode::from_raw_mode(0o755)),
        Op::Touch(p) => rustix::fs::open(
            p.as_c_str(),
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .map(drop),
        Op::Symlink(target, p) => rustix::fs::symlink(*target, p.as_c_str()),
        Op::ReadOnly {
            path, recursive, ..
        } => sys::make_read_only(path, *recursive),
        Op::PivotRoot(root) => {
            rustix::process::chdir(root.as_c_str())?;
            match rustix::process::pivot_root(c".", c".") {
                // The old root is now stacked under the new one, at "/":
                // detach it, so no path of the host stays reachable.
                Ok(()) => rustix::mount::unmount(c".", UnmountFlags::DETACH)?,
                // EINVAL: "/" is the initramfs (rootfs), which cannot be
                // pivoted away nor unmounted. Do what switch_root does: move
                // the new root over "/" and chroot into it. That is safe
                // enough here: the initramfs is covered by the moved mount, a
                // path walk (even `..` from a nested chroot) always steps
                // into the topmost mount, and we keep no fd or cwd below it,
                // so nothing of the old root stays reachable.
                Err(Errno::INVAL) => {
                    rustix::mount::mount_move(c".", c"/")?;
                    rustix::process::chroot(c".")?;
                }
                Err(e) => return Err(e),
            }
            rustix::process::chdir(c"/")
        }
        Op::DropBounding(keep) => {
            for cap in 0..64 {
                if keep & (1 << cap) == 0 {
                    match rustix::thread::remove_capability_from_bounding_set(
                        CapabilitySet::from_bits_retain(1 << cap),
                    ) {
                        // Past the last capability this kernel knows.
                        Err(Errno::INVAL) => break,
                        r => r?,
                    }
                }
            }
            Ok(())
        }
        Op::User(uid, gid) => {
            use rustix::process::{Gid, Uid};
            let (u, g) = (Uid::from_raw_unchecked(*uid), Gid::from_raw_unchecked(*gid));
            match rustix::thread::set_thread_groups(&[]) {
                // In a user namespace whose setgroups is denied (rootless):
                // the groups stay as the kernel fixed them; dropping them
                // is exactly what the kernel forbids there.
                Err(Errno::PERM) => {}
                r => r?,
            }
            rustix::thread::set_thread_res_gid(g, g, g)?;
            rustix::thread::set_thread_res_uid(u, u, u)
        }
        Op::Caps(mask) => {
            // Only what we hold can be kept: a process cannot raise a
            // capability it lacks (capset fails with EPERM), and hull itself
            // may run without some (a sandbox that dropped CAP_SYS_RESOURCE),
            // so `--cap-add ALL` means every capability we have. Asked as
            // given first: it usually holds, and then capget is not needed.
            let set = |m| {
                rustix::thread::set_capabilities(
                    None,
                    CapabilitySets {
                        effective: m,
                        permitted: m,
                        inheritable: m,
                    },
                )
            };
            let m = CapabilitySet::from_bits_retain(*mask);
            match set(m) {
                Err(Errno::PERM) => set(m & rustix::thread::capabilities(None)?.permitted)?,
                r => r?,
            }
            rustix::thread::clear_ambient_capability_set()
        }
        Op::NoNewPrivs => rustix::thread::set_no_new_privs(true),
        Op::UnshareCgroupNs => sys::unshare_cgroupns(),
        Op::AwaitParent => {
            // One byte means "go". End of file means the parent gave up (it
            // has already reported why), so leave without a report.
            // (No EINTR: the child has no signal handlers.)
            let mut go = [0u8; 1];
            match rustix::io::read(channel, &mut go) {
                Ok(1) => Ok(()),
                _ => sys::exit(EXIT_RUNTIME),
            }
        }
    }
}

/// Reports the failed step and exits. The parent formats the message; the
/// status here is only a fallback in case the report cannot be written.
fn fail(report: BorrowedFd<'_>, step: u32, e: Errno) -> ! {
    let r = Report {
        step,
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
        let r = Report {
            step: EXEC_STEP,
            errno: 13,
        };
        assert_eq!(Report::from_bytes(r.to_bytes()), r);
    }
}

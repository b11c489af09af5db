//! `--init`: hull's own tiny init, PID 1 of the container.
//!
//! Without it the command is PID 1, and the kernel drops every signal that
//! PID 1 has no handler for, even from the host (so SIGTERM does nothing to
//! `sleep`), and nobody but the command reaps orphaned zombies. With it, the
//! cloned child stays PID 1 (no re-exec: this is the same process, after the
//! plan's steps), forks the command as PID 2 in its own process group, and
//! then only waits: on a signalfd, for the signals it passes on to that group
//! and for SIGCHLD, which it answers by reaping every zombie. It exits with
//! the command's status, and the kernel then kills what is left.
//!
//! Like the child, it never allocates: it lives on what the plan prepared.

use crate::error::EXIT_RUNTIME;
use crate::sys::{self, AsFd, OwnedFd, SigSet, sig_bit};
use linux_raw_sys::general as g;
use rustix::process::{DumpableBehavior, Pid, Signal, WaitOptions};

/// The signals hull passes on to the container, and the init to the command:
/// every signal a process can catch, real-time ones included, but for
///
/// - SIGCHLD and SIGPIPE, which are hull's own business (its children, its
///   writes), and which it blocks too;
/// - SIGTSTP, SIGTTIN and SIGTTOU, which are about hull's own terminal:
///   Ctrl-Z on it stops hull, as it stops `docker run` (without `-t` the
///   container is not in the terminal's foreground group; with `-t` the
///   terminal is raw and Ctrl-Z reaches the container as a byte);
/// - the faults (SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGSYS), which
///   end hull itself (and with it the container) rather than be passed on;
/// - SIGKILL and SIGSTOP, which no process can catch.
pub const FORWARDED: SigSet = !(sig_bit(g::SIGCHLD)
    | sig_bit(g::SIGPIPE)
    | sig_bit(g::SIGTSTP)
    | sig_bit(g::SIGTTIN)
    | sig_bit(g::SIGTTOU)
    | sig_bit(g::SIGILL)
    | sig_bit(g::SIGTRAP)
    | sig_bit(g::SIGBUS)
    | sig_bit(g::SIGFPE)
    | sig_bit(g::SIGSEGV)
    | sig_bit(g::SIGSYS)
    | sig_bit(g::SIGKILL)
    | sig_bit(g::SIGSTOP));

/// What hull blocks before the clone, so that none is lost and none kills
/// hull with the terminal still raw: the forwarded ones, SIGCHLD (which the
/// init waits for) and SIGPIPE (a closed stdout becomes an EPIPE).
pub const BLOCKED: SigSet = FORWARDED | sig_bit(g::SIGCHLD) | sig_bit(g::SIGPIPE);

/// The signals whose disposition the child resets to the default right
/// before execve: a caller's SIG_IGN survives execve, and these are the
/// ones callers ignore (a shell's background job, `nohup`, a supervisor
/// ignoring SIGPIPE or SIGCHLD). One rt_sigaction each: all 64 would cost
/// a syscall per signal per start.
pub const RESET: SigSet = sig_bit(g::SIGHUP)
    | sig_bit(g::SIGINT)
    | sig_bit(g::SIGQUIT)
    | sig_bit(g::SIGUSR1)
    | sig_bit(g::SIGUSR2)
    | sig_bit(g::SIGPIPE)
    | sig_bit(g::SIGTERM)
    | sig_bit(g::SIGCHLD)
    | sig_bit(g::SIGWINCH);

/// At `Op::Init`, in PID 1: forks the command. Returns None in the command's
/// process (which goes on with the plan), and in the init the command's pid
/// and the signalfd to serve.
pub fn fork() -> sys::Result<Option<(Pid, OwnedFd)>> {
    // The init is the host's hull binary living inside the container: no
    // container process may open its /proc/1/exe or its memory
    // (CVE-2019-5736). The command becomes dumpable again at its execve.
    rustix::process::set_dumpable_behavior(DumpableBehavior::NotDumpable)?;
    // Before the fork, so a failure is still reported as this step. The
    // signals have been blocked since before the clone, so none is lost.
    let signals = sys::signalfd(FORWARDED | sig_bit(g::SIGCHLD))?;
    // 0 (no Pid) in the new process.
    Ok(Pid::from_raw(sys::fork()?).map(|pid| (pid, signals)))
}

/// The init's life: pass signals on, reap zombies, exit with the command.
pub fn serve(pid: Pid, signals: OwnedFd, report: OwnedFd) -> ! {
    // Only the command's copy of the channel is left open: end of file there
    // now means that its execve succeeded.
    drop(report);
    // The container sees this process as its PID 1: not hull's host path
    // and options in /proc/1/cmdline, but what it is.
    sys::set_cmdline(c"hull-init");
    loop {
        // Blocks: the init uses no CPU until a signal comes.
        let Ok(sig) = sys::read_signal(signals.as_fd()) else {
            sys::exit(EXIT_RUNTIME)
        };
        if sig == Signal::CHILD {
            // One SIGCHLD may stand for several exits: reap until none is left.
            while let Ok(Some((p, st))) = rustix::process::wait(WaitOptions::NOHANG) {
                if p == pid {
                    sys::exit(exit_code(st.exit_status(), st.terminating_signal()));
                }
            }
        } else {
            // To the command's whole process group (a shell's pipeline, say);
            // to the command alone if it has left that group.
            if rustix::process::kill_process_group(pid, sig).is_err() {
                let _ = rustix::process::kill_process(pid, sig);
            }
        }
    }
}

/// A wait status as an exit code: the code itself, or 128+N for signal N.
pub fn exit_code(code: Option<i32>, signal: Option<i32>) -> i32 {
    match (code, signal) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        _ => EXIT_RUNTIME,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code(Some(3), None), 3);
        assert_eq!(exit_code(None, Some(15)), 143);
        assert_eq!(exit_code(None, None), 125);
    }

    #[test]
    fn signal_sets() {
        assert_eq!(sig_bit(1), 1);
        assert_eq!(sig_bit(64), 1 << 63);
        for sig in [g::SIGKILL, g::SIGSTOP, g::SIGCHLD, g::SIGTSTP, g::SIGSEGV] {
            assert_eq!(FORWARDED & sig_bit(sig), 0, "{sig}");
        }
        // The ones a review found killing hull, and the real-time ones.
        for sig in [
            g::SIGALRM,
            g::SIGPWR,
            g::SIGIO,
            g::SIGVTALRM,
            g::SIGWINCH,
            34,
            64,
        ] {
            assert_ne!(FORWARDED & sig_bit(sig), 0, "{sig}");
        }
        assert_eq!(FORWARDED.count_ones(), 64 - 13);
        assert_eq!(
            BLOCKED & !FORWARDED,
            sig_bit(g::SIGCHLD) | sig_bit(g::SIGPIPE)
        );
        assert_eq!(RESET & !BLOCKED, 0);
    }
}

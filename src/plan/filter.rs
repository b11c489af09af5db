//! The container's seccomp profile, chosen and checked in the parent: the
//! child only installs the program compiled from it.

use super::Op;
use crate::error::{EXIT_RUNTIME, Error};
use crate::seccomp::{self, Action, Profile};
use crate::spec::{Seccomp, Spec};
use crate::util::out::Buf;
use alloc::vec::Vec;
use linux_raw_sys::general as g;

/// The profile for `spec` and what to call it; None for no filter
/// (`--privileged`, as docker; `seccomp=unconfined`).
pub fn profile(spec: &Spec) -> Result<Option<(Profile, Vec<u8>)>, Error> {
    if spec.privileged {
        return Ok(None);
    }
    // What the profile's conditions test: the capabilities kept, and the
    // running kernel (docker's `minKernel`).
    let caps = spec.caps;
    let kernel = kernel();
    match &spec.seccomp {
        Seccomp::Unconfined => Ok(None),
        Seccomp::Default => Ok(Some((
            seccomp::default_profile(caps, kernel),
            b"docker's default profile".to_vec(),
        ))),
        Seccomp::File(path) => Ok(Some((file(path, caps, kernel)?, path.clone()))),
    }
}

/// The running kernel's (major, minor), from uname's release
/// ("6.18.44-..."); (0, 0) if it cannot be read, which only makes
/// `minKernel` groups not apply.
fn kernel() -> (u32, u32) {
    let u = rustix::system::uname();
    let mut rel = u.release().to_bytes();
    let mut part =
        || crate::util::out::parse_u64(crate::util::text::tok(&mut rel, b'.')).unwrap_or(0) as u32;
    (part(), part())
}

/// A profile file in docker's JSON format. Every problem is one line
/// naming the file.
#[cfg(feature = "profiles")]
fn file(path: &[u8], caps: u64, kernel: (u32, u32)) -> Result<Profile, Error> {
    let named = |e: Error| {
        let mut m = Buf::new();
        // (The reader's own errors say "seccomp profile: " already.)
        let skip = if e.msg.starts_with(b"seccomp profile: ") {
            17
        } else {
            0
        };
        m.s("seccomp profile ").b(path).s(": ").b(&e.msg[skip..]);
        Error::new(EXIT_RUNTIME, &m)
    };
    let text = crate::util::file::read_regular(path, PROFILE_MAX).map_err(|e| {
        let mut m = Buf::new();
        e.say(&mut m);
        named(Error::new(EXIT_RUNTIME, &m))
    })?;
    let v = crate::util::json::parse(&text).map_err(|e| {
        let mut m = Buf::new();
        m.s("not JSON: ")
            .s(e.what)
            .s(" at byte ")
            .u(e.offset as u64);
        named(Error::new(EXIT_RUNTIME, &m))
    })?;
    seccomp::from_json(&v, caps, kernel).map_err(named)
}

/// Without the `profiles` feature, a profile file is a clear refusal.
#[cfg(not(feature = "profiles"))]
fn file(path: &[u8], _: u64, _: (u32, u32)) -> Result<Profile, Error> {
    let mut m = Buf::new();
    m.s("seccomp profile ").b(path);
    m.s(": profile files are not built in (cargo build --features profiles)");
    Err(Error::new(EXIT_RUNTIME, &m))
}

/// The largest profile file read: docker's default profile is 20 KiB.
#[cfg(feature = "profiles")]
const PROFILE_MAX: u64 = 1 << 20;

/// The calls each step of the child makes (besides those failing steps
/// make to report: write and exit_group, always checked).
fn calls(op: &Op) -> &'static [u32] {
    match op {
        Op::DropBounding(_) | Op::NoNewPrivs | Op::KeepCaps => &[g::__NR_prctl],
        Op::User(..) | Op::UserGroups(..) => {
            &[g::__NR_setgroups, g::__NR_setresgid, g::__NR_setresuid]
        }
        Op::Caps(_) => &[g::__NR_capset, g::__NR_capget, g::__NR_prctl],
        Op::DieWithParent => &[g::__NR_prctl, g::__NR_ppoll],
        Op::Init => &[
            g::__NR_prctl,
            g::__NR_signalfd4,
            g::__NR_clone,
            g::__NR_close_range,
            g::__NR_read,
            g::__NR_wait4,
            g::__NR_kill,
        ],
        Op::OwnGroup { .. } => &[
            g::__NR_setpgid,
            g::__NR_rt_sigprocmask,
            g::__NR_ioctl,
            g::__NR_getpid,
        ],
        _ => &[],
    }
}

/// The last calls of every child: the signal state for the command,
/// execve, and a failure's report and exit.
const LAST: &[u32] = &[
    g::__NR_rt_sigaction,
    g::__NR_rt_sigprocmask,
    g::__NR_execve,
    g::__NR_write,
    g::__NR_exit_group,
];

/// Refuses a profile under which hull could not finish the setup: every
/// call of hull's after the filter's step, up to and including execve,
/// must be allowed (the init's fork as a plain `clone(SIGCHLD)`).
pub fn check(p: &Profile, what: &[u8], ops: &[Op]) -> Result<(), Error> {
    let at = ops.iter().position(|o| matches!(o, Op::Seccomp(..)));
    let after = ops
        .get(at.map_or(ops.len(), |i| i + 1)..)
        .unwrap_or_default();
    for &nr in after.iter().flat_map(calls).chain(LAST) {
        let mut args = [0u64; 6];
        args[0] = if nr == g::__NR_clone {
            g::SIGCHLD as u64
        } else {
            0
        };
        if !matches!(p.verdict(nr, &args), Action::Allow | Action::Log) {
            let mut m = Buf::new();
            m.s("seccomp profile ").b(what).s(" refuses ");
            m.b(&seccomp::syscall_name(nr).unwrap_or_default());
            m.s(", which hull needs after installing it, before the command starts");
            return Err(Error::new(EXIT_RUNTIME, &m));
        }
    }
    Ok(())
}

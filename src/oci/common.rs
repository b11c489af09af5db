//! What the OCI commands share (`cmd`, `exec`, `update`): their flags,
//! runc's exit status, and the steps more than one of them takes.

use super::config;
use super::state::{self, Record, Status};
use crate::error::Error;
use crate::sys::{self, AsFd, OwnedFd};
use crate::util::out::Buf;
use alloc::vec::Vec;
use rustix::fs::{Mode, OFlags};

/// The exit status of a failed command, as runc's.
pub const FAILED: i32 = 1;

/// A command's flags and operands.
#[derive(Default)]
pub struct Opts<'a> {
    pub bundle: Option<&'a [u8]>,
    pub pid_file: Option<&'a [u8]>,
    pub console_socket: Option<&'a [u8]>,
    pub preserve_fds: u32,
    pub no_new_keyring: bool,
    pub force: bool,
    pub all: bool,
    pub json: bool,
    pub rootless: bool,
    /// `--help`: the command's usage, and nothing done.
    pub help: bool,
    // `exec`'s.
    pub process: Option<&'a [u8]>,
    pub detach: bool,
    pub tty: bool,
    pub cwd: Option<&'a [u8]>,
    pub env: Vec<&'a [u8]>,
    pub user: Option<&'a [u8]>,
    pub groups: Vec<&'a [u8]>,
    pub caps: Vec<&'a [u8]>,
    pub no_new_privs: bool,
    // `update`'s: the file, and each limit flag with its value.
    pub resources: Option<&'a [u8]>,
    pub limits: Vec<(&'a [u8], &'a [u8])>,
    /// The id, then (for `kill`) the signal, or (for `exec`) the command.
    pub args: Vec<&'a [u8]>,
}

/// The process of a container, if it is still the one `create` started:
/// a pidfd opened first, then the start time checked, so the pid cannot be
/// recycled between the check and a signal.
pub fn process(rec: &Record) -> Option<OwnedFd> {
    let pid = rustix::process::Pid::from_raw(rec.pid)?;
    let fd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok()?;
    (state::start_time(rec.pid) == Some(rec.start_time)).then_some(fd)
}

pub fn not(id: &[u8], status: Status, what: &str) -> Error {
    let mut m = Buf::new();
    m.s("container '").b(id).s("' is ").s(status.name()).s(what);
    Error::new(FAILED, &m)
}

/// The pid file, as runc writes it: the number alone, written beside it
/// and renamed, so a reader never sees it half written.
pub fn write_pid_file(path: &[u8], pid: i32) -> Result<(), Error> {
    let mut tmp = path.to_vec();
    tmp.extend_from_slice(b".hull-tmp");
    let mut b = Buf::new();
    b.u(pid as u64);
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC;
    rustix::fs::open(&tmp[..], flags, Mode::from_raw_mode(0o644))
        .and_then(|fd| sys::write_all(fd.as_fd(), &b.0))
        .and_then(|()| rustix::fs::rename(&tmp[..], path))
        .map_err(|e| Error::sys("write pid file", path, e))
}

/// A connected stream socket to the unix socket at `path`.
pub fn connect(path: &[u8]) -> Result<OwnedFd, Error> {
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let fail = |e| Error::sys("connect to console socket", path, e);
    let addr = SocketAddrUnix::new(path).map_err(fail)?;
    let s = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(fail)?;
    rustix::net::connect(&s, &addr).map_err(fail)?;
    Ok(s)
}

/// The (device, inode) of the namespace at `path` (an ns file, or an fd's
/// /proc link to one), which tells two namespaces apart.
pub fn ns_at(path: &[u8]) -> Option<(u64, u64)> {
    rustix::fs::stat(path).map(|s| (s.st_dev, s.st_ino)).ok()
}

/// The (device, inode) of hull's own namespace `name` ("net", "pid"...).
pub fn own_ns(name: &str) -> Option<(u64, u64)> {
    ns_at(&[b"/proc/self/ns/", name.as_bytes()].concat())
}

/// A config process's effective, permitted, inheritable and ambient
/// sets, in [`crate::spec::Spec::cap_sets`]' order.
pub fn cap_sets(p: &config::Process) -> [u64; 4] {
    use config::{AMBIENT, EFFECTIVE, INHERITABLE, PERMITTED};
    [EFFECTIVE, PERMITTED, INHERITABLE, AMBIENT].map(|i| p.caps[i])
}

/// The process's rlimits and OOM score adjustment, set on hull itself:
/// the clone passes them on.
pub fn set_limits(p: &config::Process) -> Result<(), Error> {
    for r in &p.rlimits {
        set_rlimit(r)?;
    }
    if let Some(adj) = p.oom_score_adj {
        let mut b = Buf::new();
        b.i(adj as i64);
        crate::util::file::write_file(b"/proc/self/oom_score_adj", &b.0)
            .map_err(|e| Error::sys("write", b"/proc/self/oom_score_adj", e))?;
    }
    Ok(())
}

fn set_rlimit(r: &config::Rlimit) -> Result<(), Error> {
    use rustix::process::Resource as R;
    const ORDER: [R; 16] = [
        R::Cpu,
        R::Fsize,
        R::Data,
        R::Stack,
        R::Core,
        R::Rss,
        R::Nproc,
        R::Nofile,
        R::Memlock,
        R::As,
        R::Locks,
        R::Sigpending,
        R::Msgqueue,
        R::Nice,
        R::Rtprio,
        R::Rttime,
    ];
    let Some(&res) = ORDER.get(r.resource as usize) else {
        return Ok(());
    };
    let v = |n: u64| (n != u64::MAX).then_some(n);
    let lim = rustix::process::Rlimit {
        current: v(r.soft),
        maximum: v(r.hard),
    };
    rustix::process::setrlimit(res, lim).map_err(|e| {
        Error::sys(
            "setrlimit",
            config::RLIMITS
                .split(' ')
                .nth(r.resource as usize)
                .unwrap_or("")
                .as_bytes(),
            e,
        )
    })
}

/// "config.json: WHAT is not supported".
pub fn unsupported(what: &[u8]) -> Error {
    let mut m = Buf::new();
    m.s("config.json: ").b(what).s(" is not supported by hull");
    Error::new(FAILED, &m)
}

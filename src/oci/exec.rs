//! `exec`: a new process in a running container, as runc's (`--process`
//! FILE or ARGS, `--tty`, `--console-socket`, `--detach`, `--pid-file`,
//! `--cwd`, `--env`, `--user`, `--additional-gids`, `--cap`,
//! `--no-new-privs`, `--preserve-fds`).
//!
//! The process tree is the caller (conmon, containerd's shim, a shell),
//! then hull, then the process: one clone, no re-exec, no helper left.
//! A PID namespace is entered only at birth, so hull first puts itself in
//! the container's for its children (`setns(CLONE_NEWPID)` changes nothing
//! of hull's own), then clones once, into the container's cgroup2 group
//! (`CLONE_INTO_CGROUP`; v1 groups are joined from outside while the child
//! waits). The child makes itself undumpable, joins the other namespaces
//! with one `setns` on the container's pidfd ([`Op::Enter`]), which puts it
//! at the container's root, and is then confined as the container's own
//! process was: capabilities, user and groups, `no_new_privs` and the
//! container's seccomp filter, from config.json's `process` or
//! `--process`. With `--detach` hull exits once the command has exec'd,
//! and the process is the caller's (a subreaper) to wait for; without, hull
//! waits, passes signals on, relays the terminal, and exits with the
//! process's status.
//!
//! runc and crun both fork once more (and runc re-execs itself): their
//! `exec` leaves a tree of the same shape only after an intermediate
//! process has exited.

use super::common::{FAILED, Opts, connect, not, process, set_limits, write_pid_file};
use super::config::{self, Config, Process};
use super::state::{Root, Status};
use crate::cgroup::Cgroup;
use crate::error::{EXIT_NOT_FOUND, EXIT_RUNTIME, Error};
use crate::plan::{Facts, Join, Plan, filter};
use crate::run;
use crate::spec::{self, Spec};
use crate::sys::{self, AsFd, OwnedFd};
use crate::util::cstr::cstrs;
use crate::util::file::{open_file, read_file};
use crate::util::out::{Buf, eprint};
use alloc::vec::Vec;
use core::mem::ManuallyDrop;
use linux_raw_sys::general as g;
use rustix::fs::OFlags;

/// The namespaces a process joins, in the order the fallback joins their
/// files: the user namespace first (it gives the rights the others need).
const JOIN: [(&str, u32); 7] = [
    ("user", g::CLONE_NEWUSER),
    ("mnt", g::CLONE_NEWNS),
    ("uts", g::CLONE_NEWUTS),
    ("ipc", g::CLONE_NEWIPC),
    ("net", g::CLONE_NEWNET),
    ("cgroup", g::CLONE_NEWCGROUP),
    ("time", g::CLONE_NEWTIME),
];

/// `exec ID [COMMAND ARG…]`. Returns the process's status (0 with
/// `--detach`); a command that is missing exits 127, one that cannot be
/// run 126, as for `hull run`.
/// hull's own failures exit 1 (runc's status), or 125 for a `hull run
/// --name` container (`hull run`'s).
pub fn exec(o: &Opts, root_dir: &[u8], root: &Root, id: &[u8], debug: bool) -> Result<i32, Error> {
    let mut named = false;
    enter(o, root_dir, root, id, debug, &mut named).map_err(|mut e| {
        if !matches!(e.code, 126 | 127) {
            e.code = if named { EXIT_RUNTIME } else { FAILED };
        }
        e
    })
}

#[inline(never)]
fn enter(
    o: &Opts,
    root_dir: &[u8],
    root: &Root,
    id: &[u8],
    debug: bool,
    named: &mut bool,
) -> Result<i32, Error> {
    let c = root.container(id)?;
    // Nothing here is dropped (hull exits soon): no drop code.
    let rec = ManuallyDrop::new(c.load()?);
    *named = rec.bundle.is_empty();
    let status = rec.status();
    if !matches!(status, Status::Created | Status::Running) {
        return Err(not(id, status, ": cannot exec in it"));
    }
    let pidfd = process(&rec).ok_or_else(|| not(id, Status::Stopped, ": cannot exec in it"))?;
    let p = ManuallyDrop::new(match o.process {
        Some(file) => {
            let text = read_file(file).map_err(|e| Error::sys("read", file, e))?;
            Process::parse(&text, &[b"--process ", file].concat())?
        }
        // A `hull run --name` container's, kept beside its record.
        None if rec.bundle.is_empty() => {
            let text = c.read(c"process.json")?.unwrap_or_default();
            let mut p = Process::parse(&text, b"process.json")?;
            from_flags(&mut p, o)?;
            p
        }
        // The config `create` kept (see there).
        None => {
            let text = c.read(c"config.json")?.unwrap_or_default();
            let mut cfg = ManuallyDrop::new(Config::parse(&text, &rec.bundle)?);
            let mut p = cfg.process.take().unwrap_or_default();
            from_flags(&mut p, o)?;
            p
        }
    });
    let mut spec = ManuallyDrop::new(Spec::default());
    spec.command = p.args.clone();
    spec.env_host = true;
    spec.workdir = Some(p.cwd.clone());
    spec.user = Some((p.uid, p.gid));
    spec.groups = p.groups.clone();
    spec.caps = p.caps[config::BOUNDING];
    // A `hull run --name` container's process.json lists one set for all
    // (as `hull run` keeps it): docker's rule then, as for its PID 1 (a
    // non-root user keeps none); an OCI config's sets as given.
    spec.cap_sets = (!rec.bundle.is_empty()).then(|| super::common::cap_sets(&p));
    spec.no_new_privs = p.no_new_privs;
    spec.umask = p.umask;
    spec.tty = p.terminal;
    // A person at our terminal types into the process's (without a
    // console socket, hull relays it).
    spec.interactive = p.terminal;
    spec.preserve_fds = o.preserve_fds;
    spec.new_keyring = true;
    spec.die_with_parent = false;
    spec.seccomp = spec::Seccomp::Unconfined;
    if c.read(c"seccomp.default")?.is_some() {
        spec.seccomp = spec::Seccomp::Default;
    } else if c.read(c"seccomp.json")?.is_some() {
        // The container's filter, from the profile `create` kept.
        let mut path = root_dir.to_vec();
        path.push(b'/');
        path.extend_from_slice(&c.id);
        path.extend_from_slice(b"/seccomp.json");
        spec.seccomp = spec::Seccomp::File(path);
    }
    if spec.tty && o.detach && o.console_socket.is_none() {
        return Err(Error::usage_text(
            "a terminal (--tty) with --detach needs --console-socket",
        ));
    }

    // What the process joins, opened while the pid is known to be the
    // container's: it is checked again (the pidfd) once they are open.
    let ns = ManuallyDrop::new(namespaces(rec.pid)?);
    let (flags, fds) = (ns.flags, &ns.fds);
    let root_fd = {
        let mut path = Buf::new();
        path.s("/proc/").u(rec.pid as u64).s("/root");
        open_file(&path.0, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC)
            .map_err(|e| Error::sys("open", &path.0, e))?
    };
    // Still the container's process (its number may be another's by now,
    // which has another start time): then so were the files.
    if super::state::start_time(rec.pid) != Some(rec.start_time) {
        return Err(not(id, Status::Stopped, ": cannot exec in it"));
    }

    // The command, looked up as execvp would in the container's tree.
    let croot = crate::rootfs::Root {
        fd: root_fd,
        path: b"/",
        dir: true,
        id: (0, 0),
    };
    let envv = ManuallyDrop::new(p.env.clone());
    let path_var = crate::env::lookup(envv.iter().map(|e| &e[..]), b"PATH");
    let exe = crate::resolve::command(
        Some(&croot),
        spec.command.first().map_or(&[][..], |c| c),
        path_var,
        spec.workdir.as_deref(),
    )
    .map_err(|mut e| {
        if e.code == EXIT_NOT_FOUND && e.msg.ends_with(b"command not found") {
            // The words podman reads an exit status of 127 from.
            let name = spec.command.first().cloned().unwrap_or_default();
            e.msg = [&name[..], b": executable file not found in $PATH"].concat();
        }
        e
    })?;
    let dirs: Vec<Vec<u8>> = rec.groups().map(<[u8]>::to_vec).collect();
    let cgroup = ManuallyDrop::new(match dirs.is_empty() {
        true => None,
        false => Some(Cgroup::existing(dirs)?),
    });
    // What `Facts::gather` would have found, looked up in the container.
    let mut facts = ManuallyDrop::new(Facts {
        keep_fds: spec.preserve_fds,
        profile: filter::profile(&spec)?,
        exe: crate::plan::leak(exe),
        env: cstrs(&envv).leak(),
        join: Join::of(cgroup.as_ref()),
        ..Facts::default()
    });
    // Inherited across the clone: set on hull itself, which is done soon.
    set_limits(&p)?;
    let foreground = match o.detach {
        true => {
            facts.sigmask = sys::block_signals(0).unwrap_or(0);
            None
        }
        false => {
            let (mask, signals, forwarded) = run::block()?;
            facts.sigmask = mask;
            // runc's exec passes signals on and nothing more: no stop
            // timeout.
            spec.stop_timeout = u32::MAX;
            Some((signals, forwarded))
        }
    };
    if spec.tty {
        facts.terminal = match p.console_size {
            Some((r, c)) => [r, c, 0, 0],
            None => run::size(),
        };
    }
    let pidfd_raw = rustix::fd::AsRawFd::as_raw_fd(&pidfd);
    let mut plan = ManuallyDrop::new(Plan::for_exec(&spec, &facts, pidfd_raw, flags, fds)?);
    if debug {
        eprint(&plan.describe().0);
    }
    let console = match (spec.tty, o.console_socket) {
        (true, Some(path)) => Some(connect(path)?),
        _ => None,
    };
    if let Some(pid_ns) = &ns.pid {
        sys::join_ns(rustix::fd::AsRawFd::as_raw_fd(pid_ns), g::CLONE_NEWPID)
            .map_err(|e| Error::sys("setns", b"pid namespace", e))?;
    }
    let replan = &mut || {
        facts.join = Join::Outside;
        Plan::for_exec(&spec, &facts, pidfd_raw, flags, fds)
    };
    let (child, master) =
        run::launch(
            &mut plan,
            (*cgroup).as_ref(),
            debug,
            replan,
            &mut |_| Ok(()),
        )?;
    let mut master = master;
    let handed = (|| {
        if let (Some(sock), Some(m)) = (&console, &master) {
            sys::send_with_fd(sock.as_fd(), b"/dev/ptmx", m.as_fd()).map_err(|e| {
                Error::sys("send the pty to", o.console_socket.unwrap_or_default(), e)
            })?;
        }
        match o.pid_file {
            Some(f) => write_pid_file(f, child.pid),
            None => Ok(()),
        }
    })();
    if let Err(e) = handed {
        // The caller takes the exec as failed: it must not run on unseen.
        let _ = rustix::process::pidfd_send_signal(&child.pidfd, rustix::process::Signal::KILL);
        let _ = run::wait_exit(&child);
        return Err(e);
    }
    if console.is_some() {
        master = None;
    }
    let status = match &foreground {
        None => Ok(0),
        Some((signals, forwarded)) => {
            run::attend(&spec, &child, signals.as_fd(), *forwarded, master)
        }
    };
    // hull exits next: the kernel closes the rest.
    core::mem::forget((child, pidfd, croot, foreground));
    status
}

/// The namespaces of process `pid` that are not hull's own, which a
/// process entering it joins.
pub(super) struct Namespaces {
    /// Their `CLONE_NEW*` flags, for one `setns` on a pidfd.
    pub flags: u32,
    /// Each as an fd with its flag, in [`JOIN`]'s order, for a kernel
    /// whose `setns` takes no pidfd (before 5.8). Never closed: they live
    /// until hull exits or execs.
    pub fds: Vec<(i32, u32)>,
    /// Its PID namespace, if not hull's: entered at birth only, so joined
    /// by hull itself before the clone.
    pub pid: Option<OwnedFd>,
}

/// [`Namespaces`] of `pid`, from /proc/PID/ns. The caller checks that the
/// pid was still its process's once they are open.
pub(super) fn namespaces(pid: i32) -> Result<Namespaces, Error> {
    let open_at = |name: &str| {
        let mut path = Buf::new();
        path.s("/proc/").u(pid as u64).s("/ns/").s(name);
        open_file(&path.0, OFlags::RDONLY | OFlags::CLOEXEC)
            .map_err(|e| Error::sys("open", &path.0, e))
    };
    let ns_id = |fd: &OwnedFd| rustix::fs::fstat(fd).map(|s| (s.st_dev, s.st_ino)).ok();
    let own_id = super::common::own_ns;
    let mut ns = Namespaces {
        flags: 0,
        fds: Vec::new(),
        pid: None,
    };
    for (name, flag) in JOIN {
        if flag == g::CLONE_NEWTIME && own_id(name).is_none() {
            // A kernel before 5.6 has no time namespaces.
            continue;
        }
        let fd = open_at(name)?;
        // Joining its own user namespace is refused (EINVAL): only those
        // that are not hull's.
        if ns_id(&fd) != own_id(name) {
            ns.flags |= flag;
            ns.fds.push((rustix::fd::IntoRawFd::into_raw_fd(fd), flag));
        }
    }
    let pid_ns = open_at("pid")?;
    if ns_id(&pid_ns) != own_id("pid") {
        ns.pid = Some(pid_ns);
    }
    Ok(ns)
}

/// Runs `exec`'s flags over the container's `process`: the command, and
/// what `--cwd`, `--env`, `--user`, `--additional-gids`, `--cap`,
/// `--no-new-privs` and `--tty` change. (runc reads none of them with
/// `--process`.)
#[inline(never)]
pub(super) fn from_flags(p: &mut Process, o: &Opts) -> Result<(), Error> {
    p.args = o.args.iter().skip(1).map(|a| a.to_vec()).collect();
    if p.args.is_empty() {
        return Err(Error::usage_text(
            "exec: a command is needed (or --process)",
        ));
    }
    p.terminal = o.tty;
    p.console_size = None;
    if let Some(d) = o.cwd {
        p.cwd = d.to_vec();
    }
    for e in &o.env {
        if !e.contains(&b'=') {
            return Err(Error::usage_of("--env: '", e, "' is not KEY=VALUE"));
        }
        // A variable given again replaces the config's.
        let key = &e[..e.iter().position(|&c| c == b'=').unwrap_or(0) + 1];
        p.env.retain(|x| !x.starts_with(key));
        p.env.push(e.to_vec());
    }
    if let Some(u) = o.user {
        let mut parts = u.splitn(2, |&c| c == b':');
        let num = |s: Option<&[u8]>| {
            s.and_then(crate::util::out::parse_u64)
                .filter(|&n| n < 1 << 32)
        };
        let uid = num(parts.next())
            .ok_or_else(|| Error::usage_of("--user: '", u, "' is not UID[:GID]"))?;
        let gid = match parts.next() {
            Some(g) => {
                num(Some(g)).ok_or_else(|| Error::usage_of("--user: '", u, "' is not UID[:GID]"))?
            }
            None => 0,
        };
        (p.uid, p.gid) = (uid as u32, gid as u32);
    }
    for gid in &o.groups {
        let n = crate::util::out::parse_u64(gid)
            .filter(|&n| n < 1 << 32)
            .ok_or_else(|| Error::usage_of("--additional-gids: '", gid, "' is not a number"))?;
        p.groups.push(n as u32);
    }
    for cap in &o.caps {
        let name = cap.strip_prefix(b"CAP_").unwrap_or(cap);
        let bit = super::find(crate::spec::CAP_NAMES, name)
            .ok_or_else(|| Error::usage_of("--cap: unknown capability '", cap, "'"))?;
        for (i, set) in p.caps.iter_mut().enumerate() {
            if i != config::AMBIENT {
                *set |= 1 << bit;
            }
        }
    }
    p.no_new_privs |= o.no_new_privs;
    Ok(())
}

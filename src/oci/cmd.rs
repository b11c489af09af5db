//! The OCI runtime commands, as podman's conmon and containerd's shim call
//! runc: `[GLOBAL…] create|start|state|kill|delete|list|spec|features|exec|ps|pause|resume|update`
//! (`exec` is [`super::exec`], `update` [`super::update`]).
//!
//! `create` reads the bundle's config.json into the same [`Spec`] that
//! `hull run` builds from its flags ([`to_spec`]), and launches it through
//! the same plan, clone and child. Two things differ, both choices of the
//! spec: the container does not die with hull (`create` exits, the caller
//! is a subreaper and adopts it), and its process waits at
//! [`crate::plan::Op::AwaitStart`] on a FIFO in its state directory,
//! `exec.fifo`, until `start` writes a byte to it. The record
//! ([`super::state`]) keeps the pid with its start time (a recycled pid is
//! never signalled) and the cgroups `create` made, which `delete` removes.
//!
//! Every error is one line on stderr (and in `--log`, as runc writes it)
//! and exit status 1, as runc's and crun's.

use super::common::{FAILED, Opts, connect, not, process, set_limits, unsupported, write_pid_file};
use super::config::{self, Config};
use super::state::{self, Container, Record, Root, Status};
use crate::cgroup::Cgroup;
use crate::error::Error;
use crate::plan::{Facts, Join, Plan};
use crate::run;
use crate::spec::{self, Share, Spec, Volume};
use crate::sys::{self, AsFd};
use crate::util::cstr::cstr;
use crate::util::out::{Buf, eprint, parse_u64, print};
use crate::util::text::tok;
use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::CStr;
use core::mem::ManuallyDrop;
use linux_raw_sys::general as g;
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::process::Signal;

/// The commands, in the order `main` dispatches them.
const COMMANDS: &str =
    "create start state kill delete list spec features exec ps pause resume update run";

/// `run`'s index in [`COMMANDS`].
const RUN: usize = 13;

/// The flags that make `hull run` runc's `run` when one comes first (and
/// no global flag does): without, it is hull's own `run COMMAND`.
const RUN_FLAGS: &str = "--bundle -b --detach -d --pid-file --console-socket --no-pivot";

/// Each command's `--help`, in [`COMMANDS`]' order and NUL-separated (an
/// array of `&str` costs a pointer and a relocation each): its flags, no
/// more (docs/usage.md and the man page say what each does).
const HELP: &str = "\
create [--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N]\n\
     \x20 [--no-new-keyring] ID\0\
start ID\0\
state ID\0\
kill [--all] ID [SIGNAL]\0\
delete [--force] ID\0\
list [--format table|json]\0\
spec [--rootless] [--bundle DIR]\0\
features\0\
exec [--process F] [--tty] [--console-socket S] [--detach] [--pid-file F]\n\
     \x20 [--cwd DIR] [--env K=V]... [--user UID[:GID]] [--additional-gids G]...\n\
     \x20 [--cap CAP]... [--no-new-privs] [--preserve-fds N] ID [COMMAND [ARG...]]\n\
     usage: hull exec [-t] [-i] [-e K=V]... [-u UID[:GID]] [-w DIR] NAME COMMAND [ARG...]\0\
ps [--format table|json] ID\0\
pause ID\0\
resume ID\0\
update [--memory S] [--memory-swap S] [--memory-reservation S]\n\
     \x20 [--pids-limit N] [--cpu-quota N] [--cpu-period N] [--cpu-share N]\n\
     \x20 [--cpuset-cpus L] [--cpuset-mems L] [--resources FILE|-] ID\0\
run --bundle DIR [--pid-file F] [--console-socket S] [--detach]\n\
     \x20 [--preserve-fds N] [--no-new-keyring] ID\n\
     (without --bundle, --detach, --pid-file or --console-socket first and no\n\
     global flag, hull run is hull's own)";

/// The global flags.
struct Global<'a> {
    root: &'a [u8],
    log: Option<&'a [u8]>,
    pub json: bool,
    debug: bool,
}

/// The flags that take a value (a `|` between a name's spellings). (runc's
/// `list -f` is `--format` only here: `-f` is `delete`'s `--force`.)
const VALUED: &str = "--bundle|-b --pid-file --console-socket --preserve-fds --format \
    --process|-p --cwd|--workdir|-w --env|-e --user|-u --additional-gids|-g --cap|-c --apparmor --process-label \
    --resources|-r --memory|-m --memory-swap --memory-reservation --pids-limit --cpu-quota \
    --cpu-period --cpu-share|--cpu-shares --cpuset-cpus --cpuset-mems";

/// Runs an OCI command if `argv` (without argv[0]) is one; None if it is
/// not (hull's own command line then reads it).
pub fn main(argv: &[&[u8]], env: &[&CStr]) -> Option<i32> {
    let mut g = Global {
        root: state::DEFAULT_ROOT,
        log: None,
        json: false,
        debug: false,
    };
    let mut i = 0;
    let mut systemd = false;
    while let Some(&a) = argv.get(i) {
        let (name, inline) = split(a);
        let takes = matches!(
            name,
            b"--root" | b"--log" | b"--log-format" | b"--criu" | b"--rootless"
        );
        let value = if takes {
            match inline {
                Some(v) => Some(v),
                None => {
                    i += 1;
                    argv.get(i).copied()
                }
            }
        } else {
            None
        };
        match name {
            b"--root" => g.root = value.unwrap_or_default(),
            b"--log" => g.log = value,
            b"--log-format" => g.json = value == Some(b"json"),
            b"--debug" => g.debug = true,
            b"--systemd-cgroup" => systemd = true,
            b"--criu" | b"--rootless" => {}
            _ => break,
        }
        i += 1;
    }
    let cmd = argv.get(i).copied().unwrap_or_default();
    let known = super::find(COMMANDS, cmd);
    let oci_run = argv
        .get(i + 1)
        .is_some_and(|a| super::find(RUN_FLAGS, split(a).0).is_some());
    if i == 0 && (known.is_none() || known == Some(RUN) && !oci_run) {
        return None;
    }
    let r = match known {
        None => Err(Error::usage_of("unknown command '", cmd, "'")),
        Some(_) if systemd => Err(Error::usage_text(
            "--systemd-cgroup: systemd cgroup paths are not supported; use the cgroupfs manager",
        )),
        Some(n) => parse(&argv[i + 1..], n == EXEC)
            .map_err(failed)
            .and_then(|o| match o.help {
                true => {
                    let mut b = Buf::new();
                    let mut rest = HELP.as_bytes();
                    for _ in 0..n {
                        tok(&mut rest, 0);
                    }
                    b.s("usage: hull [GLOBAL] ").b(tok(&mut rest, 0)).s(
                        "\nGLOBAL: [--root DIR] [--log FILE] [--log-format text|json] [--debug]\n\
                         Every flag is in man hull (docs/hull.1).\n",
                    );
                    print(&b.0);
                    Ok(0)
                }
                false => dispatch(n, &g, &o, argv, env),
            }),
    };
    Some(r.unwrap_or_else(|e| {
        // exec's command that is missing, or cannot be run: as `hull run`.
        // (exec into a `hull run --name` container: 125 for its own
        // failures too, see `exec::exec`.)
        let code = match (known, e.code) {
            (Some(EXEC), c @ (125..=127)) => c,
            _ => FAILED,
        };
        let msg = ManuallyDrop::new(e.render(""));
        let line = msg.strip_prefix(b"hull: ").unwrap_or(&msg);
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        if let Some(path) = g.log
            && let Ok(log) = super::log::Log::open(path, g.json)
        {
            log.write("error", line);
        }
        eprint(&msg);
        code
    }))
}

/// `--name=value` as (name, Some(value)); anything else as (it, None).
fn split(a: &[u8]) -> (&[u8], Option<&[u8]>) {
    match a.iter().position(|&c| c == b'=') {
        Some(at) if a.starts_with(b"--") => (&a[..at], Some(&a[at + 1..])),
        _ => (a, None),
    }
}

/// Re-executes hull from a sealed copy of its binary unless it runs from
/// one (see [`sys::run_sealed`]), with the same arguments.
fn sealed(argv: &[&[u8]], env: &[&CStr]) -> Result<(), Error> {
    let mut args = alloc::vec![CString::from(c"hull")];
    args.extend(argv.iter().map(|a| cstr(a)));
    let args = ManuallyDrop::new(sys::CStrArray::new(args));
    let envp: Vec<CString> = env.iter().map(|&e| e.into()).collect();
    let envp = ManuallyDrop::new(sys::CStrArray::new(envp));
    sys::run_sealed(&args, &envp).map_err(|e| {
        Error::sys(
            "run from a sealed copy of the binary: /proc/self/exe",
            b"",
            e,
        )
    })
}

/// `exec`'s index in [`COMMANDS`].
const EXEC: usize = 8;

/// A command's arguments. With `command` (exec's), everything after the
/// first operand (the id) is the command, flags or not (a `--` before the
/// id or right after it is dropped).
fn parse<'a>(argv: &[&'a [u8]], command: bool) -> Result<Opts<'a>, Error> {
    let mut o = Opts::default();
    let mut i = 0;
    while let Some(&a) = argv.get(i) {
        i += 1;
        if command && (!o.args.is_empty() || a == b"--") {
            let rest = &argv[i - 1..];
            let rest = match rest.first() {
                Some(&b"--") => &rest[1..],
                _ => rest,
            };
            o.args.extend_from_slice(rest);
            break;
        }
        if a.len() < 2 || a[0] != b'-' || !o.args.is_empty() && a[1].is_ascii_digit() {
            o.args.push(a);
            continue;
        }
        let (name, inline) = split(a);
        let value = match (super::find(VALUED, name), inline) {
            (None, None) => None,
            (None, Some(_)) => return Err(Error::usage_of("option ", name, " takes no value")),
            (Some(_), Some(v)) => Some(v),
            (Some(_), None) => {
                i += 1;
                Some(
                    *argv
                        .get(i - 1)
                        .ok_or_else(|| Error::usage_of("option ", name, " needs a value"))?,
                )
            }
        };
        match name {
            b"--bundle" | b"-b" => o.bundle = value,
            b"--pid-file" => o.pid_file = value,
            b"--console-socket" => o.console_socket = value,
            b"--preserve-fds" => {
                o.preserve_fds = value
                    .and_then(parse_u64)
                    .filter(|&n| n < 1 << 20)
                    .ok_or_else(|| Error::usage_text("--preserve-fds: not a number"))?
                    as u32
            }
            b"--no-new-keyring" => o.no_new_keyring = true,
            b"--help" | b"-h" => o.help = true,
            b"--force" | b"-f" => o.force = true,
            b"--format" => o.json = value == Some(b"json"),
            b"--all" | b"-a" => o.all = true,
            b"--rootless" => o.rootless = true,
            b"--process" | b"-p" => o.process = value,
            b"--detach" | b"-d" => o.detach = true,
            b"--tty" | b"-t" => o.tty = true,
            b"--cwd" | b"--workdir" | b"-w" => o.cwd = value,
            // docker exec's: stdin always passes on (and with -t, is relayed).
            b"--interactive" | b"-i" => {}
            b"--env" | b"-e" => o.env.extend(value),
            b"--user" | b"-u" => o.user = value,
            b"--additional-gids" | b"-g" => o.groups.extend(value),
            b"--cap" | b"-c" => o.caps.extend(value),
            b"--no-new-privs" => o.no_new_privs = true,
            b"--resources" | b"-r" => o.resources = value,
            b"--memory"
            | b"-m"
            | b"--memory-swap"
            | b"--memory-reservation"
            | b"--pids-limit"
            | b"--cpu-quota"
            | b"--cpu-period"
            | b"--cpu-share"
            | b"--cpu-shares"
            | b"--cpuset-cpus"
            | b"--cpuset-mems" => o.limits.extend(value.map(|v| (name, v))),
            // runc's: hull always pivots (or moves, in an initramfs), and
            // create has no detached mode of its own to skip; no AppArmor
            // or SELinux labels.
            b"--no-pivot" | b"--quiet" | b"-q" | b"--apparmor" | b"--process-label"
            | b"--ignore-paused" => {}
            // Bundled one-letter flags, as docker's `exec -it`.
            _ if name[1] != b'-' && name[1..].iter().all(|c| b"tidafq".contains(c)) => {
                for c in &name[1..] {
                    match c {
                        b't' => o.tty = true,
                        b'd' => o.detach = true,
                        b'a' => o.all = true,
                        b'f' => o.force = true,
                        _ => {}
                    }
                }
            }
            _ => return Err(Error::usage_of("unknown option '", name, "'")),
        }
    }
    Ok(o)
}

// Out of line: measured 320 bytes smaller than inlined into main.
#[inline(never)]
fn dispatch(n: usize, g: &Global, o: &Opts, argv: &[&[u8]], env: &[&CStr]) -> Result<i32, Error> {
    // `list`, `spec` and `features` take no id.
    match n {
        5 => {
            let root = Root::open(g.root)?;
            for id in root.ids()? {
                super::named::reap(&root, &id);
            }
            print(&root.list(o.json)?);
            return Ok(0);
        }
        6 => {
            let dir = o.bundle.unwrap_or(b".");
            let rootless = o.rootless.then(|| {
                (
                    rustix::process::geteuid().as_raw(),
                    rustix::process::getegid().as_raw(),
                )
            });
            super::spec::write_config(dir, &super::spec::default_config(rootless))?;
            return Ok(0);
        }
        7 => {
            print(&super::spec::features());
            return Ok(0);
        }
        _ => {}
    }
    let Some(&id) = o.args.first() else {
        return Err(failed(Error::usage_text("a container id is needed")));
    };
    if n == 0 || n == EXEC || n == RUN {
        // First, before hull opens anything of its own (the state
        // directory, the pidfd): fds 3..3+N that --preserve-fds passes on
        // must be the caller's, never one of hull's that took a free number.
        run::close_inherited(o.preserve_fds, env);
        // No hull process stays beside these containers to keep its binary
        // busy (ETXTBSY), as `hull run` does: they start from a sealed copy.
        sealed(argv, env).map_err(failed)?;
    }
    let root = Root::open(g.root).map_err(failed)?;
    // A `hull run --name` container whose hull was killed is gone.
    super::named::reap(&root, id);
    match n {
        0 => create(g, o, &root, id, false),
        RUN => match create(g, o, &root, id, true)? {
            // Detached: the container is the caller's now, as runc's.
            _ if o.detach => Ok(0),
            code => delete(&root, id, true).map(|_| code),
        },
        1 => start(&root, id),
        2 => {
            let c = root.container(id)?;
            let rec = c.load()?;
            let mut b = Buf::new();
            rec.json(&mut b, rec.status(), &state::owner_name(0), true);
            b.s("\n");
            print(&b.0);
            Ok(0)
        }
        3 => kill(&root, id, o),
        EXEC => super::exec::exec(o, g.root, &root, id, g.debug),
        9 => ps(&root, id, o),
        10 | 11 => pause(&root, id, n == 10),
        12 => super::update::update(o, &root, id),
        _ => delete(&root, id, o.force),
    }
}

/// The config's `maskedPaths` and `readonlyPaths`, in the form of
/// [`crate::spec::MASKS`] (which hull run uses): each is looked up in the
/// container's fresh proc or sysfs, so only paths in them are taken. A
/// masked directory (as the host's proc or sysfs has it: the same kernel's)
/// is covered with an empty tmpfs, anything else with /dev/null, as runc
/// does; one the container's proc or sysfs lacks is skipped.
fn masks(cfg: &Config) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for (ro, list) in [(false, &cfg.masked_paths), (true, &cfg.readonly_paths)] {
        for p in list {
            if !(p.starts_with(b"/proc/") || p.starts_with(b"/sys/")) || p.contains(&b' ') {
                let what = [b"a masked path outside /proc and /sys: ", &p[..]];
                return Err(unsupported(&what.concat()));
            }
            let dir = rustix::fs::lstat(&p[..]).is_ok_and(|st| st.st_mode & 0o170000 == 0o040000);
            out.push(match (ro, dir) {
                (true, _) => b'R',
                (false, true) => b'D',
                (false, false) => b'N',
            });
            out.extend_from_slice(p);
            out.push(b' ');
        }
    }
    Ok(out)
}

/// An error with runc's status. exec's own keep theirs (see the caller of
/// `dispatch`): these come before it knows whether the container is a
/// `hull run --name` one, whose status is 125.
fn failed(e: Error) -> Error {
    Error { code: FAILED, ..e }
}

fn start(root: &Root, id: &[u8]) -> Result<i32, Error> {
    let c = root.container(id)?;
    c.lock()?;
    let mut rec = c.load()?;
    let status = rec.status();
    if status != Status::Created {
        return Err(not(id, status, ": only a created container can be started"));
    }
    // The process holds the FIFO open read-write: the open does not block,
    // and fails (ENXIO) only if it is gone meanwhile.
    let fifo = rustix::fs::openat(
        c.dir(),
        FIFO,
        OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("start: open", b"exec.fifo", e))?;
    release(
        &c,
        &mut rec,
        fifo.as_fd(),
        sys::block_signals(0).unwrap_or(0),
    )?;
    Ok(0)
}

/// Starts a created container: its `startContainer` hooks (one that
/// fails kills the process and fails the start), then recorded as started,
/// then the byte on its FIFO (`fifo`, open for writing) that lets its
/// process execve. Then the config's `poststart` hooks. The hooks'
/// processes get signal mask `mask`.
fn release(
    c: &Container,
    rec: &mut Record,
    fifo: sys::BorrowedFd<'_>,
    mask: sys::SigSet,
) -> Result<(), Error> {
    let hooks = kept_hooks(c, config::START_CONTAINER, mask);
    if !hooks.hooks.is_empty() {
        let id = id_of(c);
        let pidfd = process(rec).ok_or_else(|| not(id, Status::Stopped, ": cannot be started"))?;
        let inside = super::hooks::Inside::of(rec.pid, pidfd)?;
        let mut b = Buf::new();
        rec.json(&mut b, Status::Created, b"", false);
        let run = super::hooks::run(hooks.kind, &hooks.hooks, &b.0, mask, Some(&inside));
        if run.is_err() {
            // The runtime spec: an error, and the container stopped.
            inside.kill();
        }
        run?;
    }
    rec.started = true;
    c.save(rec)?;
    sys::write_all(fifo, b"0").map_err(|e| Error::sys("start: write", b"exec.fifo", e))?;
    let _ = rustix::fs::unlinkat(c.dir(), FIFO, AtFlags::empty());
    kept_hooks(c, config::POSTSTART, mask).run(rec, Status::Running);
    Ok(())
}

/// The file beside a container's record that says its config (the copy
/// kept there) has `poststart` or `poststop` hooks.
const HOOKS_FILE: &CStr = c"hooks";

/// A kept list of hooks, to run once the container is in its new state.
struct Kept {
    hooks: Vec<config::Hook>,
    kind: &'static str,
    mask: sys::SigSet,
}

/// The kept hooks of list `which` (poststart or poststop).
fn kept_hooks(c: &Container, which: usize, mask: sys::SigSet) -> Kept {
    let mut hooks = Vec::new();
    if let Ok(Some(_)) = c.read(HOOKS_FILE)
        && let Ok(Some(text)) = c.read(c"config.json")
    {
        match config::parse_hooks(&text, b"config.json") {
            Ok(mut lists) => hooks = core::mem::take(&mut lists[which]),
            Err(e) => eprint(&[&b"hull: warning: "[..], &e.msg, b"\n"].concat()),
        }
    }
    let kind = config::HOOKS.split(' ').nth(which).unwrap_or("");
    Kept { hooks, kind, mask }
}

impl Kept {
    /// Runs them with the container's state (`status`); a failure is a
    /// warning, and the others still run.
    fn run(&self, rec: &Record, status: Status) {
        if self.hooks.is_empty() {
            return;
        }
        let mut b = Buf::new();
        rec.json(&mut b, status, b"", false);
        super::hooks::run_warn(self.kind, &self.hooks, &b.0, self.mask);
    }
}

/// A signal by number or name, with or without `SIG`.
fn signal(s: &[u8]) -> Option<Signal> {
    const NAMES: &str = "HUP INT QUIT ILL TRAP ABRT|IOT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD|CLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO|POLL PWR SYS";
    let n = match parse_u64(s) {
        Some(n) => n as i32,
        None => {
            let name = s.strip_prefix(b"SIG").unwrap_or(s);
            super::find(NAMES, name)? as i32 + 1
        }
    };
    // (Real-time signals have no name in rustix: not taken yet.)
    Signal::from_named_raw(n)
}

fn kill(root: &Root, id: &[u8], o: &Opts) -> Result<i32, Error> {
    let name = o.args.get(1).copied().unwrap_or(b"TERM");
    let sig = signal(name).ok_or_else(|| Error::usage_of("unknown signal '", name, "'"))?;
    let c = root.container(id)?;
    let rec = c.load()?;
    let status = rec.status();
    if o.all {
        for dir in rec.groups() {
            crate::cgroup::signal_all(dir, sig);
        }
        // A stopped container's cgroups may still hold processes (its
        // others, when it shares the host's PID namespace): what is left
        // of it, which runc's `kill --all` signals too (podman's stop of
        // such a container asks for it).
        if status == Status::Stopped {
            return Ok(0);
        }
    }
    if !matches!(status, Status::Created | Status::Running | Status::Paused) {
        return Err(not(id, status, ": nothing to signal"));
    }
    let fd = process(&rec).ok_or_else(|| not(id, Status::Stopped, ": nothing to signal"))?;
    rustix::process::pidfd_send_signal(&fd, sig).map_err(|e| Error::sys("kill", id, e))?;
    if status == Status::Paused && sig == Signal::KILL {
        // As runc: thawed, so that it can die (a v1 freezer holds even a
        // SIGKILL until then).
        thaw(&c, rec)?;
    }
    Ok(0)
}

/// Thaws a paused container and records it.
fn thaw(c: &Container, mut rec: Record) -> Result<(), Error> {
    crate::cgroup::freeze(&rec.cgroup, false)?;
    rec.paused = false;
    c.save(&rec)
}

/// `pause` (`on`) and `resume`: the cgroup freezer, waited for.
fn pause(root: &Root, id: &[u8], on: bool) -> Result<i32, Error> {
    let c = root.container(id)?;
    c.lock()?;
    let mut rec = c.load()?;
    let status = rec.status();
    match (on, status) {
        (true, Status::Running) => {
            crate::cgroup::freeze(&rec.cgroup, true)?;
            rec.paused = true;
            c.save(&rec)?;
        }
        (false, Status::Paused) => thaw(&c, rec)?,
        (true, _) => return Err(not(id, status, ": only a running container can be paused")),
        (false, _) => return Err(not(id, status, ": only a paused container can be resumed")),
    }
    Ok(0)
}

/// `ps [--format json] ID`: the host pids of the container's processes,
/// as a JSON array (containerd reads it) or a table with their command
/// lines. (runc runs ps(1) for the table; hull reads /proc itself.)
fn ps(root: &Root, id: &[u8], o: &Opts) -> Result<i32, Error> {
    if o.args.len() > 1 {
        return Err(Error::usage_text("ps: options for ps(1) are not supported"));
    }
    let rec = root.container(id)?.load()?;
    let status = rec.status();
    if matches!(status, Status::Creating | Status::Stopped) {
        return Err(not(id, status, ": no processes"));
    }
    let pids = crate::cgroup::pids(&rec.cgroup);
    let mut b = Buf::new();
    if o.json {
        for (i, p) in pids.iter().enumerate() {
            b.s(if i == 0 { "[" } else { "," }).u(*p as u64);
        }
        b.s(if pids.is_empty() { "[]\n" } else { "]\n" });
    } else {
        b.s("PID\tCMD\n");
        for p in pids {
            let mut path = Buf::new();
            path.s("/proc/").u(p as u64).s("/cmdline");
            let cmd = crate::util::file::read_file(&path.0).unwrap_or_default();
            let cmd = cmd.strip_suffix(b"\0").unwrap_or(&cmd);
            b.u(p as u64).s("\t");
            // The container writes these bytes: no control character of
            // theirs reaches the caller's terminal (ps(1) shows '?' too).
            for &ch in cmd {
                b.0.push(match ch {
                    0 => b' ',
                    ..b' ' | 0x7f => b'?',
                    _ => ch,
                });
            }
            b.s("\n");
        }
    }
    print(&b.0);
    Ok(0)
}

fn delete(root: &Root, id: &[u8], force: bool) -> Result<i32, Error> {
    let c = match root.container(id) {
        Ok(c) => c,
        // runc's: a forced delete of what is not there is done.
        Err(_) if force => return Ok(0),
        Err(e) => return Err(e),
    };
    c.lock()?;
    let rec = c.load()?;
    let status = rec.status();
    if matches!(status, Status::Running | Status::Paused) && !force {
        return Err(not(id, status, ": stop it first, or use --force"));
    }
    if status == Status::Paused {
        // Killed below: thawed first, so that it can die.
        let _ = crate::cgroup::freeze(&rec.cgroup, false);
    }
    if let Some(fd) = process(&rec) {
        // Killed and gone before its cgroups are removed (they would be
        // busy); a created one is only hull's code, waiting.
        sys::proc::kill_and_wait(fd.as_fd(), 10);
    }
    let dirs: Vec<Vec<u8>> = rec.groups().map(<[u8]>::to_vec).collect();
    // Read before the state goes, run once it has.
    let poststop = kept_hooks(&c, config::POSTSTOP, sys::block_signals(0).unwrap_or(0));
    // Dropped here: what is left in them is killed, and they are removed.
    drop(Cgroup::adopt(dirs));
    c.remove(root)?;
    poststop.run(&rec, Status::Stopped);
    Ok(0)
}

/// The FIFO `create` leaves for `start`, in the container's directory.
const FIFO: &CStr = c"exec.fifo";

/// `create`, or with `run` also `start`: then, unless `--detach`, hull
/// waits for the container's process (its child), passes signals on,
/// relays a terminal it made itself, and returns its status.
fn create(g: &Global, o: &Opts, root: &Root, id: &[u8], run: bool) -> Result<i32, Error> {
    let bundle = absolute(o.bundle.unwrap_or(b"."))?;
    let mut path = bundle.clone();
    path.extend_from_slice(b"/config.json");
    let text = crate::util::file::read_file(&path).map_err(|e| Error::sys("read", &path, e))?;
    let cfg = ManuallyDrop::new(Config::parse(&text, &bundle)?);
    let c = root.create(id)?;
    // Kept: `exec` gives a new process the container's `process` as it was
    // at create, not as the bundle's file may have been edited since.
    match (c.write(c"config.json", &text)).and_then(|()| launch(g, o, &c, &cfg, &bundle, run)) {
        Ok(code) => Ok(code),
        Err(e) => {
            // Nothing is left behind: the process (killed by `launch`) and
            // the cgroups went with it; the state goes now.
            let _ = c.remove(root);
            Err(e)
        }
    }
}

fn launch(
    g: &Global,
    o: &Opts,
    c: &Container,
    cfg: &Config,
    bundle: &[u8],
    run: bool,
) -> Result<i32, Error> {
    let mut spec = ManuallyDrop::new(to_spec(cfg, o)?);
    if let Some(s) = &cfg.seccomp {
        // The profile is read by the same code as a `--security-opt` file:
        // kept beside the record.
        let mut b = Buf::new();
        crate::util::json::write(&mut b, s);
        c.write(c"seccomp.json", &b.0)?;
        let mut p = g.root.to_vec();
        p.push(b'/');
        p.extend_from_slice(id_of(c));
        p.extend_from_slice(b"/seccomp.json");
        spec.seccomp = spec::Seccomp::File(p);
    }
    // The start gate: read-write, so that `start`'s open never blocks and
    // the waiting process never sees end of file.
    rustix::fs::mknodat(
        c.dir(),
        FIFO,
        rustix::fs::FileType::Fifo,
        Mode::from_raw_mode(0o600),
        0,
    )
    .map_err(|e| Error::sys("mknod", b"exec.fifo", e))?;
    let gate = rustix::fs::openat(c.dir(), FIFO, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| Error::sys("open", b"exec.fifo", e))?;
    spec.start_gate = Some(rustix::fd::AsRawFd::as_raw_fd(&gate));
    if let Some(p) = &cfg.process {
        // Inherited across the clone: set on hull itself, which exits.
        set_limits(p)?;
    }
    // The config's environment, exactly: no docker defaults.
    let envv: Vec<CString> = cfg
        .process
        .as_ref()
        .map(|p| p.env.iter().map(|e| cstr(e)).collect())
        .unwrap_or_default();
    let envv = ManuallyDrop::new(envv);
    let envs: Vec<&CStr> = envv.iter().map(|e| e.as_c_str()).collect();
    let mut facts = Facts::gather(&spec, &envs)?;
    let mut cgroup = run::find_cgroup(&spec, &facts)?;
    facts.join = Join::of(cgroup.as_ref());
    // `run` in the foreground: hull's signals blocked and read from a
    // signalfd, to be passed on, as `hull run` does.
    let foreground = match run && !o.detach {
        true => {
            let (mask, signals, forwarded) = run::block()?;
            facts.sigmask = mask;
            // runc's run passes signals on and nothing more: no stop
            // timeout that would SIGKILL a container slow to stop.
            spec.stop_timeout = u32::MAX;
            Some((signals, forwarded))
        }
        false => {
            facts.sigmask = sys::block_signals(0).unwrap_or(0);
            None
        }
    };
    // A terminal `run` relays is sized as the caller's, unless the config
    // says.
    let relay = foreground.is_some() && o.console_socket.is_none();
    if spec.tty {
        facts.terminal = cfg.process.as_ref().and_then(|p| p.console_size).map_or(
            if relay { run::size() } else { [24, 80, 0, 0] },
            |(r, c)| [r, c, 0, 0],
        );
    }
    let mut plan = Plan::build(&spec, &facts)?;
    if g.debug {
        eprint(&plan.describe().0);
    }
    let console = match (spec.tty, o.console_socket) {
        (true, Some(path)) => Some(connect(path)?),
        // `run` relays the terminal it made itself, as runc's.
        (true, None) if foreground.is_some() => {
            spec.interactive = true;
            None
        }
        (true, None) => return Err(Error::usage_text("process.terminal needs --console-socket")),
        _ => None,
    };
    run::create_cgroup(&mut cgroup, &spec, &plan)?;
    // A PID namespace applies to children: joined here, the container's
    // process is born in it; hull goes back to its own (its active one,
    // which /proc/self/ns/pid names) once that clone is made, so that the
    // hooks it runs are born in the runtime's, as the runtime spec says.
    let mut own_pid = None;
    for &(fd, _) in spec.join.iter().filter(|j| j.1 == g::CLONE_NEWPID) {
        let own = b"/proc/self/ns/pid";
        own_pid = Some(
            crate::util::file::open_file(own, OFlags::RDONLY | OFlags::CLOEXEC)
                .map_err(|e| Error::sys("open", own, e))?,
        );
        sys::join_ns(fd, g::CLONE_NEWPID).map_err(|e| Error::sys("setns", b"pid namespace", e))?;
    }
    let own_pid_back = || match &own_pid {
        Some(fd) => sys::join_ns(rustix::fd::AsRawFd::as_raw_fd(fd), g::CLONE_NEWPID)
            .map_err(|e| Error::sys("setns", b"hull's own pid namespace", e)),
        None => Ok(()),
    };
    if [config::START_CONTAINER, config::POSTSTART, config::POSTSTOP]
        .iter()
        .any(|&i| !cfg.hooks[i].is_empty())
    {
        // For `start` and `delete`: they read the kept config.json only
        // when this says it has hooks for them.
        c.write(HOOKS_FILE, b"")?;
    }
    let mask = facts.sigmask;
    // prestart and createRuntime: once the mounts are made, before the
    // root is switched, with the state a `creating` container has.
    let hooks = &mut |pid: i32| {
        own_pid_back()?;
        let mut b = Buf::new();
        record(c, cfg, bundle, pid).json(&mut b, Status::Creating, b"", false);
        let run = |kind, which: usize, inside| {
            super::hooks::run(kind, &cfg.hooks[which], &b.0, mask, inside)
        };
        run("prestart", config::PRESTART, None)?;
        run("createRuntime", config::CREATE_RUNTIME, None)?;
        if cfg.hooks[config::CREATE_CONTAINER].is_empty() {
            return Ok(());
        }
        // Our child, waiting: its pid is not another's.
        let pidfd = rustix::process::Pid::from_raw(pid)
            .ok_or(sys::Errno::SRCH)
            .and_then(|p| rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()))
            .map_err(|e| Error::sys("pidfd_open", b"the container's process", e))?;
        let inside = super::hooks::Inside::of(pid, pidfd)?;
        run("createContainer", config::CREATE_CONTAINER, Some(&inside))
    };
    let replan = &mut || {
        facts.join = Join::Outside;
        Plan::build(&spec, &facts)
    };
    let (child, master) = match run::launch(&mut plan, cgroup.as_ref(), g.debug, replan, hooks) {
        Ok(r) => r,
        Err(e) => {
            plan.unmake();
            return Err(e);
        }
    };
    let done = (|| {
        own_pid_back()?;
        if let (Some(sock), Some(m)) = (&console, &master) {
            sys::send_with_fd(sock.as_fd(), b"/dev/ptmx", m.as_fd()).map_err(|e| {
                Error::sys("send the pty to", o.console_socket.unwrap_or_default(), e)
            })?;
        }
        let start_time = state::start_time(child.pid).unwrap_or(0);
        let mut cg = Vec::new();
        for d in cgroup.as_ref().map(Cgroup::made_dirs).unwrap_or_default() {
            cg.extend_from_slice(d);
            cg.push(b'\n');
        }
        let mut created = Buf::new();
        let (s, ns) = sys::realtime();
        super::log::rfc3339(&mut created, s, ns);
        let rec = Record {
            start_time,
            created: created.0,
            cgroup: cg,
            ..record(c, cfg, bundle, child.pid)
        };
        c.save(&rec)?;
        if let Some(p) = o.pid_file {
            write_pid_file(p, child.pid)?;
        }
        Ok(())
    })();
    let done = done.and_then(|()| match run {
        // start, as `start` does it: recorded, then released.
        true => c
            .load()
            .and_then(|mut rec| release(c, &mut rec, gate.as_fd(), facts.sigmask)),
        false => Ok(()),
    });
    if let Err(e) = done {
        let _ = rustix::process::pidfd_send_signal(&child.pidfd, Signal::KILL);
        let _ = run::wait_exit(&child);
        return Err(e);
    }
    let status = match &foreground {
        Some((signals, forwarded)) => {
            let relay = if console.is_some() { None } else { master };
            let st = run::attend(&spec, &child, signals.as_fd(), *forwarded, relay);
            if st.is_err() {
                // Nothing is left: the container is killed, and its
                // cgroups go with `cgroup` (create removes the state).
                let _ = rustix::process::pidfd_send_signal(&child.pidfd, Signal::KILL);
                let _ = run::wait_exit(&child);
                return st;
            }
            st
        }
        None => {
            core::mem::forget(master);
            Ok(0)
        }
    };
    // The container outlives us (or `run` deletes it by its record): its
    // cgroups are its record's now.
    core::mem::forget(cgroup);
    core::mem::forget((child, gate, foreground));
    status
}

/// The record of container `c`, made from `cfg` for its process `pid`:
/// what `state` shows and the hooks get, before what only a created
/// container has (its start time, groups and creation time).
fn record(c: &Container, cfg: &Config, bundle: &[u8], pid: i32) -> Record {
    Record {
        oci_version: cfg.oci_version.clone(),
        id: id_of(c).to_vec(),
        pid,
        start_time: 0,
        started: false,
        paused: false,
        bundle: bundle.to_vec(),
        rootfs: cfg.root.clone(),
        created: Vec::new(),
        cgroup: Vec::new(),
        annotations: cfg.annotations.clone(),
        owner: (0, 0),
    }
}

fn id_of(c: &Container) -> &[u8] {
    &c.id
}

/// `dir` made absolute with the working directory.
fn absolute(dir: &[u8]) -> Result<Vec<u8>, Error> {
    if dir.starts_with(b"/") {
        return Ok(dir.to_vec());
    }
    let mut buf = [0u8; 4096];
    let cwd = sys::getcwd(&mut buf).map_err(|e| Error::sys("getcwd", b"", e))?;
    let mut p = cwd.to_vec();
    if dir != b"." {
        p.push(b'/');
        p.extend_from_slice(dir);
    }
    Ok(p)
}

/// The mount destinations whose filesystems hull makes itself in every
/// container with a root of its own: /proc, a /dev tmpfs with the usual
/// nodes, its devpts and shm, a read-only /sys, and (in an IPC namespace
/// of its own) /dev/mqueue. A config's own entry for one of them, of the
/// type in [`SYSTEM_TYPES`], gives that mount its options.
const SYSTEM: &str = "/proc /dev /dev/pts /dev/shm /sys /dev/mqueue";
const SYSTEM_TYPES: &str = "proc tmpfs devpts tmpfs sysfs mqueue";

/// A config's options for a mount hull makes itself ([`Spec::system`]).
/// In a user namespace, devpts' `gid=` is left out where that group has no
/// id in it (the kernel would refuse the mount: EINVAL), as runc's
/// rootless configs leave it out.
fn system_words(cfg: &Config, m: &config::Mount) -> Vec<u8> {
    let mut data = m.opts.data.clone();
    if m.fstype == b"devpts" && cfg.namespace(g::CLONE_NEWUSER).is_some() {
        data.retain(|w| {
            let Some(n) = w.strip_prefix(b"gid=") else {
                return true;
            };
            let n = parse_u64(n).unwrap_or(u64::MAX);
            cfg.gid_maps.iter().any(|r| {
                let inside = r.inside as u64;
                n >= inside && n < inside + r.count as u64
            })
        });
    }
    flag_words(m, data.join(&b','))
}

/// The config's device nodes (`linux.devices`) and its allow list
/// (`linux.resources.devices`), as runc reads them: each node is made as
/// the host's node at the same path, which must be that device (its
/// type and numbers); the rules come first, then docker's default list
/// (runc appends its own the same way), and a node is allowed only by a
/// rule. The device program is an allow list: a deny of every device
/// clears the rules before it (of whatever access it names: stricter than
/// asked, never looser), any other deny is refused.
fn devices(cfg: &Config, s: &mut Spec) -> Result<(), Error> {
    for d in &cfg.devices {
        let kind = if d.kind == b'u' { b'c' } else { d.kind };
        // A plain path first: the child makes it from the container's
        // /dev before the switch of root, where a `..` reaches the host.
        let host = spec::dev_path_ok(&d.path)
            .then(|| crate::rootfs::device(&d.path).ok())
            .flatten();
        let want = rustix::fs::makedev(d.major, d.minor);
        let fits = host.is_some_and(|(mode, rdev)| {
            let block = mode & g::S_IFMT == g::S_IFBLK;
            // Made with the host node's mode: never looser than asked.
            let looser = d.mode.is_some_and(|m| mode & 0o777 & !m != 0);
            rdev == want && (if block { b'b' } else { b'c' }) == kind && !looser
        });
        if !fits {
            let mut m = Buf::new();
            m.s("linux.devices ").b(&d.path);
            m.s(" unlike the host's node at that plain path under /dev (type, numbers or a stricter fileMode)");
            return Err(unsupported(&m.0));
        }
        s.devices.push(spec::Device {
            host: d.path.clone(),
            path: d.path.clone(),
            access: 0,
        });
    }
    for r in &cfg.resources.devices {
        match (r.allow, r.kind, r.major, r.minor) {
            (true, ..) => s.device_rules.push(spec::DeviceRule {
                kind: r.kind,
                major: r.major,
                minor: r.minor,
                access: r.access,
            }),
            (false, b'a', None, None) => s.device_rules.clear(),
            _ => {
                return Err(unsupported(
                    b"a linux.resources.devices deny rule other than one of every device",
                ));
            }
        }
    }
    Ok(())
}

/// Whether the container's network (`n` 0) or IPC (1) namespace is hull's
/// own, the host's: shared, or joined by a path that names it (runc's
/// `isHostNetNS`: `/proc/self/ns/net` is a path too).
// Out of line: measured 96 bytes smaller.
#[inline(never)]
fn shares_host(s: &Spec, n: usize) -> bool {
    let (share, flag, name) = [
        (s.net, g::CLONE_NEWNET, "net"),
        (s.ipc, g::CLONE_NEWIPC, "ipc"),
    ][n];
    match share {
        Share::Host => true,
        Share::Joined => s.join.iter().filter(|j| j.1 == flag).any(|&(fd, _)| {
            let mut p = Buf::new();
            p.s("/proc/self/fd/").u(fd as u64);
            super::common::ns_at(&p.0) == super::common::own_ns(name)
        }),
        _ => false,
    }
}

/// A config mount's flags (plain or recursive: hull's binds are
/// recursive, its tmpfs mounts have nothing below them) as the words the
/// plan reads, after `opts`: those that clear first, then those that set,
/// which win (see [`spec::mount_attr`]). (A tmpfs is nosuid and nodev
/// unless told otherwise.)
fn flag_words(m: &config::Mount, mut opts: Vec<u8>) -> Vec<u8> {
    let bits = [m.opts.set | m.opts.rset, m.opts.clear | m.opts.rclear];
    let mut word = |w: &str| {
        if !opts.is_empty() {
            opts.push(b',');
        }
        opts.extend_from_slice(w.as_bytes());
    };
    for pass in [1, 0] {
        for (i, w) in spec::ATTR_WORDS.split(' ').enumerate() {
            if i % 2 == pass && bits[pass] & spec::ATTR_BITS[i / 2 % 6] != 0 {
                word(w);
            }
        }
    }
    if bits[1] & g::MOUNT_ATTR__ATIME != 0 {
        // The mode (RELATIME 0, NOATIME 0x10, STRICTATIME 0x20).
        let mode = (bits[0] & g::MOUNT_ATTR__ATIME) as usize >> 4;
        word(["relatime", "noatime", "strictatime"][mode.min(2)]);
    }
    opts
}

/// What config.json asks, as the container spec `hull run` also builds.
/// Whatever hull cannot honour is refused by name, never dropped.
fn to_spec(cfg: &Config, o: &Opts) -> Result<Spec, Error> {
    let mut s = Spec::default();
    let Some(p) = &cfg.process else {
        return Err(unsupported(b"a config without process"));
    };
    s.command = p.args.clone();
    s.env_host = true;
    s.workdir = Some(p.cwd.clone());
    s.user = Some((p.uid, p.gid));
    // The five sets as given (podman's configs give one set to all but
    // ambient; containerd's leave inheritable empty).
    s.caps = p.caps[config::BOUNDING];
    s.cap_sets = Some(super::common::cap_sets(p));
    s.no_new_privs = p.no_new_privs;
    s.umask = p.umask;
    s.tty = p.terminal;
    s.preserve_fds = o.preserve_fds;
    s.new_keyring = !o.no_new_keyring;
    s.die_with_parent = false;
    s.make_points = true;
    s.groups = p.groups.clone();
    s.seccomp = spec::Seccomp::Unconfined;
    // None: the name the UTS namespace has (a new one: the host's).
    s.hostname = cfg.hostname.clone().unwrap_or_default();
    s.domainname = cfg.domainname.clone().unwrap_or_default();
    s.rootfs = Some(cfg.root.clone());
    s.read_only = cfg.root_readonly;
    for (name, flag) in config::NAMESPACES.split(' ').zip(config::NS_FLAGS) {
        let ns = cfg.namespace(flag);
        let mut share = if ns.is_some() {
            Share::Private
        } else {
            Share::Host
        };
        if let Some(path) = ns.and_then(|n| n.path.as_ref()) {
            // (A Kubernetes pod's containers join its sandbox's; podman
            // and CNI hand over the network this way.)
            if matches!(flag, g::CLONE_NEWNS | g::CLONE_NEWUSER | g::CLONE_NEWTIME) {
                let mut m = Buf::new();
                m.s("joining an existing ").s(name).s(" namespace (a path)");
                return Err(unsupported(&m.0));
            }
            let fd = crate::util::file::open_file(path, OFlags::RDONLY)
                .map_err(|e| Error::sys("open namespace", path, e))?;
            s.join.push((rustix::fd::IntoRawFd::into_raw_fd(fd), flag));
            share = Share::Joined;
        }
        match flag {
            g::CLONE_NEWNET => s.net = share,
            g::CLONE_NEWIPC => s.ipc = share,
            g::CLONE_NEWCGROUP => s.cgroupns = share,
            g::CLONE_NEWUTS => s.uts = share,
            // The host's: its /proc is a new one of the host's namespace,
            // which a user namespace may not mount (runc binds the host's
            // instead), so not in one. The container's other processes do
            // not die with its process then: delete kills what is left in
            // its cgroups, as runc does.
            g::CLONE_NEWPID if ns.is_none() && cfg.namespace(g::CLONE_NEWUSER).is_some() => {
                return Err(unsupported(
                    b"sharing the host's pid namespace in a user namespace",
                ));
            }
            g::CLONE_NEWPID => s.pid = share,
            g::CLONE_NEWUSER => s.userns = ns.is_some(),
            // A new one, with the config's offsets (joining one by path
            // is refused above).
            g::CLONE_NEWTIME => s.time_offsets = ns.map(|_| cfg.time_offsets.clone()),
            // hull always makes a mount namespace.
            _ if ns.is_none() => {
                let mut m = Buf::new();
                m.s("sharing the host's ").s(name).s(" namespace");
                return Err(unsupported(&m.0));
            }
            _ => {}
        }
    }
    s.masks = Some(masks(cfg)?);
    s.id_maps = [cfg.gid_maps.clone(), cfg.uid_maps.clone()];
    // Private, slave, shared and unbindable propagation are honoured: a
    // shared bind is a peer of the host's source (Kubernetes'
    // Bidirectional), a shared root a peer group of the container's own.
    s.root_propagation = cfg.rootfs_propagation;
    for m in &cfg.mounts {
        let ro = (m.opts.set | m.opts.rset) & g::MOUNT_ATTR_RDONLY != 0;
        let propagation = m.opts.propagation;
        match (m.bind, &m.fstype[..]) {
            (Some(_), _) => s.volumes.push(Volume {
                src: Some(m.src.clone()),
                dst: m.dst.clone(),
                ro,
                opts: flag_words(m, Vec::new()),
                propagation,
            }),
            (None, b"tmpfs") if super::find(SYSTEM, &m.dst).is_none() => s.volumes.push(Volume {
                src: None,
                dst: m.dst.clone(),
                ro,
                opts: flag_words(m, m.opts.data.join(&b',')),
                propagation,
            }),
            (None, t)
                if super::find(SYSTEM, &m.dst)
                    .and_then(|i| SYSTEM_TYPES.split(' ').nth(i))
                    .is_some_and(|w| w.as_bytes() == t) =>
            {
                s.system.push((m.dst.clone(), system_words(cfg, m)));
            }
            (None, b"cgroup" | b"cgroup2") if m.dst == b"/sys/fs/cgroup" => {
                // Its own groups, each shown as the root: in a cgroup
                // namespace of its own even when the config shares the
                // host's (runc binds each group instead; podman asks for
                // the host's on a cgroup v1 host).
                s.cgroup_mount = true;
                if s.cgroupns == Share::Host {
                    s.cgroupns = Share::Private;
                }
            }
            _ => {
                let mut w = Buf::new();
                w.s("mount of type '").b(&m.fstype).s("' on ").b(&m.dst);
                return Err(unsupported(&w.0));
            }
        }
    }
    devices(cfg, &mut s)?;
    let r = &cfg.resources;
    // (-1 and 0 are runc's "no limit".)
    let pos = |v: Option<i64>| v.filter(|&n| n > 0).map(|n| n as u64);
    s.limits.memory = pos(r.memory_limit);
    s.limits.memory_swap = pos(r.memory_swap);
    s.limits.pids = pos(r.pids_limit);
    s.limits.memory_low = pos(r.memory_reservation);
    s.limits.cpu_shares = r.cpu_shares.filter(|&n| n > 0);
    s.limits.cpuset_cpus = r.cpus.clone().filter(|v| !v.is_empty());
    s.limits.cpuset_mems = r.mems.clone().filter(|v| !v.is_empty());
    if let (Some(q), Some(per)) = (r.cpu_quota.filter(|&q| q > 0), r.cpu_period) {
        s.limits.cpu_quota = Some(q as u64 * spec::CPU_PERIOD / per.max(1));
    }
    if let Some(path) = &cfg.cgroups_path {
        // The container's group is made under the path's parent.
        let end = path.iter().rposition(|&c| c == b'/').unwrap_or(0);
        s.limits.parent = path[..end].to_vec();
    }
    for (k, v) in &cfg.sysctl {
        // As runc: only a namespaced key, of a namespace not the host's
        // (the child writes it through its own /proc/sys, still root).
        let ns = spec::sysctl_ns(k);
        if ns.is_none_or(|n| shares_host(&s, n)) {
            let what = [
                b"linux.sysctl ",
                &k[..],
                b" (host-wide, or of a namespace shared with the host)",
            ];
            return Err(unsupported(&what.concat()));
        }
        let mut kv = k.clone();
        kv.push(b'=');
        kv.extend_from_slice(v);
        s.sysctls.push(kv);
    }
    s.await_hooks = [
        config::PRESTART,
        config::CREATE_RUNTIME,
        config::CREATE_CONTAINER,
    ]
    .iter()
    .any(|&i| !cfg.hooks[i].is_empty());
    s.personality = cfg.personality;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args<'a>(v: &[&'a str]) -> Vec<&'a [u8]> {
        v.iter().map(|a| a.as_bytes()).collect()
    }

    #[test]
    fn exec_takes_everything_after_the_id_as_the_command() {
        let o = parse(
            &args(&[
                "-t",
                "--env",
                "A=1",
                "-e",
                "B=2",
                "--user=5:6",
                "c1",
                "sh",
                "-c",
                "-x",
            ]),
            true,
        )
        .unwrap();
        assert!(o.tty);
        assert_eq!(o.env, args(&["A=1", "B=2"]));
        assert_eq!(o.user, Some(&b"5:6"[..]));
        assert_eq!(o.args, args(&["c1", "sh", "-c", "-x"]));
        // Bundled letters, as docker's `exec -it`; not the command's.
        let o = parse(&args(&["-it", "-e", "-it", "c1", "ls", "-la"]), true).unwrap();
        assert!(o.tty);
        assert_eq!(o.env, args(&["-it"]));
        assert_eq!(o.args, args(&["c1", "ls", "-la"]));
        let o = parse(&args(&["c1", "-af"]), false).unwrap();
        assert!(o.all && o.force);
        let o = parse(&args(&["--detach", "c1", "--", "ls", "-l"]), true).unwrap();
        assert!(o.detach);
        assert_eq!(o.args, args(&["c1", "ls", "-l"]));
        let o = parse(&args(&["-d", "--", "c1", "ls"]), true).unwrap();
        assert_eq!(o.args, args(&["c1", "ls"]));
        // Other commands take flags after the id.
        let o = parse(&args(&["c1", "--force"]), false).unwrap();
        assert!(o.force);
        assert_eq!(
            parse(&args(&["--cwd"]), true).err().unwrap().msg,
            b"option --cwd needs a value"
        );
    }

    #[test]
    fn exec_flags_change_the_process() {
        let mut p = config::Process {
            env: vec![b"PATH=/bin".to_vec(), b"A=0".to_vec()],
            cwd: b"/".to_vec(),
            ..config::Process::default()
        };
        let o = parse(
            &args(&[
                "-e",
                "A=1",
                "--cwd",
                "/tmp",
                "-u",
                "7",
                "-g",
                "10",
                "--cap",
                "CAP_NET_RAW",
                "--no-new-privs",
                "c1",
                "id",
            ]),
            true,
        )
        .unwrap();
        super::super::exec::from_flags(&mut p, &o).unwrap();
        assert_eq!(p.args, [b"id".to_vec()]);
        assert_eq!(p.env, [b"PATH=/bin".to_vec(), b"A=1".to_vec()]);
        assert_eq!((p.uid, p.gid, &p.cwd[..]), (7, 0, &b"/tmp"[..]));
        assert_eq!(p.groups, [10]);
        assert_eq!(p.caps[config::BOUNDING], 1 << 13);
        assert_eq!(p.caps[config::AMBIENT], 0);
        assert!(p.no_new_privs);
        let o = parse(&args(&["c1"]), true).unwrap();
        assert_eq!(
            super::super::exec::from_flags(&mut p, &o).unwrap_err().msg,
            b"exec: a command is needed (or --process)"
        );
        let o = parse(&args(&["--cap", "NOPE", "c1", "id"]), true).unwrap();
        assert!(super::super::exec::from_flags(&mut p, &o).is_err());
    }

    #[test]
    fn update_flags_are_sizes_numbers_or_minus_one() {
        let o = parse(
            &args(&[
                "-m",
                "16m",
                "--memory-swap=-1",
                "--pids-limit",
                "20",
                "--cpu-quota",
                "-1",
                "--cpu-period",
                "50000",
                "--cpu-share",
                "512",
                "--cpuset-cpus",
                "0-1",
                "c1",
            ]),
            false,
        )
        .unwrap();
        let mut r = config::Resources::default();
        super::super::update::from_flags(&mut r, &o).unwrap();
        assert_eq!(r.memory_limit, Some(16 << 20));
        assert_eq!(r.memory_swap, Some(-1));
        assert_eq!(r.pids_limit, Some(20));
        assert_eq!(
            (r.cpu_quota, r.cpu_period, r.cpu_shares),
            (Some(-1), Some(50000), Some(512))
        );
        assert_eq!(r.cpus.as_deref(), Some(&b"0-1"[..]));
        assert_eq!(r.mems, None);
        let o = parse(&args(&["--pids-limit", "2k", "c1"]), false).unwrap();
        let e = super::super::update::from_flags(&mut r, &o).unwrap_err();
        assert_eq!(e.msg, b"--pids-limit: '2k' is not a number nor -1");
    }
}

//! `hull bench --runtime PATH... --bundle DIR`: the OCI lifecycle of other
//! runtimes (crun, runc, youki...), phase by phase, side by side.
//!
//! Each round runs every runtime once, interleaved and rotating who goes
//! first (as `hull bench` does), so drift in the machine's speed hits all
//! alike: `RUNTIME create --bundle COPY --pid-file COPY/pid ID`, `RUNTIME
//! start ID`, the container's exit, `RUNTIME delete ID`, with a fresh ID
//! each time. Each runtime command is a direct child (a vfork-style clone
//! and execve, no shell), timed with CLOCK_MONOTONIC and reaped with the
//! resource usage the kernel accounted.
//!
//! COPY is a directory of hull's own holding the bundle's `config.json`,
//! rewritten (the user's bundle is never touched): the rootfs by its
//! absolute path (not copied), no terminal, and `process.args` behind `/bin/sh -c 'echo;exec "$0"
//! "$@"'`: the shell writes a newline to its stdout, then execs the
//! bundle's own command. That stdout is a pipe hull holds (a runtime that
//! detaches passes the stdio of `create` on to the container, which is how
//! containerd's shim gets a container's output), so the newline says the
//! container's command is running, with no mount and nothing written into
//! the rootfs.
//!
//! A Ctrl-C (SIGINT, SIGTERM or SIGHUP) stops the run at the end of the
//! runtime command in flight (killed half-way, a runtime could leave state
//! that no delete finds; its own process group keeps the terminal's
//! signal from it); then the container of the round is deleted with
//! `delete --force` and the copy removed, as after a failed command.

use super::{
    Figures, JSON_OBJECT, Options, Progress, SVG_HEAD, figures, hist, sat, sep, tpl, vm_hwm,
    xml_text,
};
use crate::error::{EXIT_RUNTIME, Error};
use crate::resolve;
use crate::rootfs;
use crate::sys::{self, AsFd, BorrowedFd, CStrArray, Errno, OwnedFd, SigSet};
use crate::util::cstr::{cstr, join};
use crate::util::json::{self, Value};
use crate::util::out::{Buf, parse_u64, print};
use alloc::ffi::CString;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::Cell;
use core::ffi::CStr;
use rustix::event::{PollFd, PollFlags, poll};
use rustix::fs::{Mode, OFlags};
use rustix::process::Signal;

/// The phases of a round, in the order they start, and the total.
const PHASES: [&str; 6] = ["create", "start", "exec", "exit", "delete", "total"];
const P: usize = PHASES.len();

/// What the container runs first: a newline on its stdout (the signal),
/// then the bundle's command in the shell's place.
const SIGNAL: &str = "echo;exec \"$0\" \"$@\"";

/// The signals that stop a run (blocked, read from a signalfd).
const STOP: SigSet = sys::sig_bit(1) | sys::sig_bit(2) | sys::sig_bit(15);

/// A runtime under test.
struct Runtime<'a> {
    /// As given to `--runtime`.
    name: &'a [u8],
    /// Its executable, found in PATH.
    exe: CString,
    /// The largest resident set of any of its processes so far, in KiB.
    peak: Cell<u64>,
}

impl Runtime<'_> {
    /// Counts a process's peak memory.
    // Out of line: measured 64 bytes smaller.
    #[inline(never)]
    fn more(&self, kib: u64) {
        self.peak.set(self.peak.get().max(kib));
    }
}

/// `hull bench --runtime`. Returns 0, or the error that stopped it.
#[inline(never)]
pub fn bench(o: &Options, env: &[&CStr]) -> Result<i32, Error> {
    if o.bundle.is_empty() {
        return Err(Error::usage_text("--runtime: needs --bundle DIR"));
    }
    let var = |k: &[u8]| {
        env.iter()
            .find_map(|e| e.to_bytes().strip_prefix(k))
            .filter(|v| !v.is_empty())
    };
    let mut rts = Vec::new();
    for name in &o.runtimes {
        // `hull` is the running binary (its OCI front-end), not whichever
        // hull PATH finds first: each round execs /proc/self/exe.
        let exe = match &name[..] {
            b"hull" => Ok(CString::from(c"/proc/self/exe")),
            _ => resolve::command(None, name, var(b"PATH="), None),
        };
        rts.push(Runtime {
            name,
            exe: exe.map_err(|e| refuse(b"--runtime ", &e.msg))?,
            peak: Cell::new(0),
        });
    }
    let bundle = rootfs::open(&o.bundle, "bench: --bundle", true)?.path;
    let config = rewrite(bundle)?;
    if o.umount_unified {
        // As `unshare --mount --propagation private` and `umount`: in a
        // mount namespace of hull's own (which the runtimes inherit), so
        // the host keeps its mount; not mounted there, nothing to do.
        sys::proc::unshare_mountns()
            .and_then(|_| {
                use rustix::mount::MountPropagationFlags as M;
                rustix::mount::mount_change(c"/", M::PRIVATE | M::REC)
            })
            .map_err(|e| Error::sys("bench: --umount-unified: unshare", b"", e))?;
        let _ = rustix::mount::unmount(UNIFIED, rustix::mount::UnmountFlags::DETACH);
    }
    // Open the chart's file now, so a bad path fails before the long part.
    let svg = match &o.svg {
        Some(p) => Some(create(p, OFlags::WRONLY | OFlags::TRUNC)?),
        None => None,
    };
    // Before anything is made: from here on, a signal waits on the
    // signalfd until the loop reads it. The runtimes get the mask back.
    let (mask, signals) = sys::block_signals(STOP)
        .and_then(|m| Ok((m, sys::signalfd(STOP)?)))
        .map_err(|e| Error::sys("bench: signalfd", b"", e))?;
    let mut d = Buf::new();
    d.b(var(b"TMPDIR=").unwrap_or(b"/tmp")).s("/hullbench-");
    d.u(pid());
    let dir: &'static [u8] = d.0.leak();
    rustix::fs::mkdir(dir, Mode::from(0o700)).map_err(|e| Error::sys("bench: mkdir", dir, e))?;
    let null = crate::util::file::open_file(b"/dev/null", OFlags::RDWR);
    let null = null.map_err(|e| Error::sys("bench: open", b"/dev/null", e))?;
    // The runtimes' stderr: appended to (the container's writes too),
    // emptied before each command, read when one fails. A memfd: no file
    // to remove.
    let err = rustix::fs::memfd_create(c"hullbench-stderr", rustix::fs::MemfdFlags::CLOEXEC)
        .and_then(|fd| rustix::fs::fcntl_setfl(&fd, OFlags::APPEND).map(|_| fd))
        .map_err(|e| Error::sys("bench: memfd_create", b"", e))?;
    // The lab removes the copy when dropped: made right after it.
    let mut lab = Lab {
        envp: CStrArray::new(env.iter().map(|&e| CString::from(e)).collect::<Vec<_>>()),
        pid_file: join(dir, "pid"),
        config: join(dir, "config.json"),
        dir,
        rts,
        err,
        null,
        signals,
        mask,
        live: None,
        stop: 0,
        seq: 0,
        peaks: false,
    };
    let fd = create(lab.config, OFlags::WRONLY | OFlags::EXCL)?;
    sys::write_all(fd.as_fd(), &config.0).map_err(|e| Error::sys("bench: write", lab.config, e))?;

    let (n, w, k) = (o.n as usize, o.warmup as usize, lab.rts.len());
    // Leaked, as `hull bench`'s: made once, used until hull exits.
    let data = vec![0u32; k * P * n].leak();
    let mut progress = Progress::start();
    let done = rounds(&mut lab, data, n, w, &mut progress);
    progress.clear();
    done?;
    let mut firsts = [0; P];
    let mut figs = Vec::new();
    for (c, col) in data.chunks_mut(n).enumerate() {
        let peak = lab.rts[c / P].peak.get();
        figs.push(figures(col, o.n, o.warmup, peak, &mut firsts[c % P]));
    }
    let r = Report {
        bundle: &o.bundle,
        rts: &lab.rts,
        figs: &figs,
        data,
        n,
    };
    if let Some(fd) = svg {
        sys::write_all(fd.as_fd(), &r.svg().0).map_err(|e| Error::sys("write", b"svg", e))?;
    }
    print(
        &if o.markdown && !o.json {
            r.markdown()
        } else {
            r.report(o.json)
        }
        .0,
    );
    Ok(0)
}

/// Where a hybrid host mounts its cgroup2 tree.
const UNIFIED: &CStr = c"/sys/fs/cgroup/unified";

/// The rounds: `w` untimed, then `n` timed, each of every runtime.
fn rounds(
    lab: &mut Lab<'_>,
    data: &mut [u32],
    n: usize,
    w: usize,
    progress: &mut Progress,
) -> Result<(), Error> {
    let k = lab.rts.len();
    // First, untimed: a round of each runtime that measures its peak
    // memory, while hull's own anonymous memory (which a fork-style child
    // starts with a copy of) is least.
    lab.peaks = true;
    for v in 0..k {
        lab.round(v, &mut [0; P])?;
    }
    lab.peaks = false;
    for r in 0..w + n {
        let have = r.saturating_sub(w);
        let d = &*data;
        progress.show(r, w + n, k, &|v| {
            (lab.rts[v].name, &d[(v * P + P - 1) * n..][..have])
        });
        for j in 0..k {
            // Rotating who goes first.
            let v = (r + j) % k;
            let mut t = [0; P];
            lab.round(v, &mut t)?;
            if let Some(i) = r.checked_sub(w) {
                for (p, &t) in t.iter().enumerate() {
                    data[(v * P + p) * n + i] = sat(t);
                }
            }
        }
    }
    Ok(())
}

/// `msg` after `bench: ` and `what`, as an error of hull's (status 125).
fn refuse(what: &[u8], msg: &[u8]) -> Error {
    Error::new(EXIT_RUNTIME, Buf::new().s("bench: ").b(what).b(msg))
}

/// Creates `path` (mode 0644) with `flags` (write-only without RDWR).
fn create(path: &[u8], flags: OFlags) -> Result<OwnedFd, Error> {
    let flags = flags | OFlags::CREATE | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::from(0o644)).map_err(|e| Error::sys("open", path, e))
}

fn pid() -> u64 {
    rustix::process::getpid().as_raw_nonzero().get() as u64
}

fn now() -> u64 {
    sys::monotonic_ns()
}

/// The member `key` of an object, to change it.
fn member<'v>(v: &'v mut Value, key: &[u8]) -> Option<&'v mut Value> {
    match v {
        Value::Obj(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// The bundle's `config.json` as the copy's (see the module's comment),
/// once the rootfs is found to hold `/bin/sh` and the command. (Floats
/// would be lost, but OCI's config has none; a relative bind-mount source
/// would not be found from the copy.)
// Out of line: measured 48 bytes smaller.
#[inline(never)]
fn rewrite(bundle: &'static [u8]) -> Result<Buf, Error> {
    let file = join(bundle, "config.json");
    let text =
        crate::util::file::read_file(file).map_err(|e| Error::sys("bench: read", file, e))?;
    let bad = |what: &str| refuse(file, Buf::new().s(": ").s(what).as_bytes());
    let mut cfg = json::parse(&text).map_err(|e| bad(e.what))?;
    let Some(Value::Str(path)) = member(&mut cfg, b"root").and_then(|r| member(r, b"path")) else {
        return Err(bad("no root.path"));
    };
    if !path.starts_with(b"/") {
        *path = [bundle, b"/", path].concat();
    }
    let root = rootfs::open(path, "bench: rootfs", true)?;
    *path = root.path.to_vec();
    let Some(process) = member(&mut cfg, b"process") else {
        return Err(bad("no process"));
    };
    let env = process.get(b"env").and_then(Value::arr).unwrap_or_default();
    let var = env.iter().find_map(|e| e.str()?.strip_prefix(b"PATH="));
    let cwd = process.get(b"cwd").and_then(Value::str);
    let args = process
        .get(b"args")
        .and_then(Value::arr)
        .unwrap_or_default();
    let Some(cmd) = args.first().and_then(Value::str) else {
        return Err(bad("no process.args"));
    };
    for (name, var) in [(&b"/bin/sh"[..], None), (cmd, var)] {
        resolve::command(Some(&root), name, var, cwd).map_err(|e| {
            refuse(
                Buf::new().s("rootfs ").b(root.path).s(": ").as_bytes(),
                &e.msg,
            )
        })?;
    }
    if let Some(Value::Arr(args)) = member(process, b"args") {
        for (i, a) in ["/bin/sh", "-c", SIGNAL].iter().enumerate() {
            args.insert(i, Value::Str(a.as_bytes().to_vec()));
        }
    }
    // hull holds no console socket to give: the stdio is passed on.
    if let Some(t) = member(process, b"terminal") {
        *t = Value::Bool(false);
    }
    let mut b = Buf::new();
    json::write(&mut b, &cfg);
    Ok(b)
}

/// A benchmark under way: what every round needs. Dropped, it deletes the
/// container a round may have left and removes the copy of the bundle.
struct Lab<'a> {
    rts: Vec<Runtime<'a>>,
    /// The copy of the bundle, its config and the runtimes' pid file.
    dir: &'static [u8],
    config: &'static [u8],
    pid_file: &'static [u8],
    /// hull's environment, the runtimes'.
    envp: CStrArray,
    null: OwnedFd,
    err: OwnedFd,
    signals: OwnedFd,
    /// The signal mask hull had, the runtimes'.
    mask: SigSet,
    /// The runtime and id of a container that may exist, and a pidfd of
    /// its process once known.
    live: Option<(usize, Vec<u8>, Option<OwnedFd>)>,
    /// The signal that asked to stop (0: none): the run stops at the end
    /// of the runtime command in flight.
    stop: i32,
    /// Rounds started: the ids' serial number.
    seq: u64,
    /// This round measures the runtime's peak memory: its commands are
    /// cloned fork-style (see [`sys::spawn_copy`]; a vfork-style child's
    /// `ru_maxrss` would be hull's own peak, which grows as the run goes).
    peaks: bool,
}

/// What a runtime command's child needs, made before the clone.
struct Cmd<'a> {
    exe: &'a CStr,
    argv: CStrArray,
    envp: &'a CStrArray,
    stdin: BorrowedFd<'a>,
    stdout: BorrowedFd<'a>,
    mask: SigSet,
}

/// The child, between the clone and execve (in hull's memory: syscalls
/// only): its stdio, a process group of its own (a Ctrl-C on the terminal
/// is hull's to handle), hull's original signal mask, execve.
fn child(c: &Cmd<'_>, err: OwnedFd) -> ! {
    let _ = sys::dup_onto(c.stdin, 0);
    let _ = sys::dup_onto(c.stdout, 1);
    let _ = sys::dup_onto(err.as_fd(), 2);
    let _ = rustix::process::setpgid(None, None);
    let _ = sys::set_signal_mask(c.mask);
    sys::execve(c.exe, &c.argv, c.envp);
    sys::exit(127)
}

/// Waits until the command of `pidfd` ends and reaps it: its status and
/// peak memory. A signal meanwhile only sets `stop`: the command finishes
/// (a second one kills it, if it hangs).
fn reap(
    pidfd: BorrowedFd<'_>,
    signals: BorrowedFd<'_>,
    stop: &mut i32,
) -> Result<(i32, u64), Error> {
    loop {
        let mut p = [
            PollFd::from_borrowed_fd(pidfd, PollFlags::IN),
            PollFd::from_borrowed_fd(signals, PollFlags::IN),
        ];
        let _ = poll(&mut p, None);
        if !p[1].revents().is_empty()
            && let Ok(s) = sys::read_signal(signals)
        {
            if *stop != 0 {
                let _ = rustix::process::pidfd_send_signal(pidfd, Signal::KILL);
            }
            *stop = s.as_raw();
        }
        if !p[0].revents().is_empty() {
            return sys::proc::wait_rusage(pidfd).map_err(|e| Error::sys("bench: waitid", b"", e));
        }
    }
}

impl Lab<'_> {
    /// Starts runtime `r` with `args`, its stdout to `out` (else
    /// /dev/null), its stderr to the err file. Returns its pidfd.
    fn spawn(
        &self,
        r: usize,
        args: &[&[u8]],
        out: Option<BorrowedFd<'_>>,
    ) -> Result<OwnedFd, Error> {
        let rt = &self.rts[r];
        let mut argv = vec![rt.exe.clone()];
        for a in args {
            argv.push(cstr(a));
        }
        let c = Cmd {
            exe: &rt.exe,
            argv: CStrArray::new(argv),
            envp: &self.envp,
            stdin: self.null.as_fd(),
            stdout: out.unwrap_or(self.null.as_fd()),
            mask: self.mask,
        };
        let (give, shut) = (self.err.as_fd(), self.signals.as_fd());
        let spawned = match self.peaks {
            true => sys::spawn_copy(child, &c, give, shut),
            false => sys::spawn(0, None, child, &c, give, shut),
        };
        match spawned {
            Ok((_, pidfd)) => Ok(pidfd),
            Err(e) => Err(Error::sys("bench: clone3 for", rt.name, e)),
        }
    }

    /// Runs runtime `r`'s command `args` (the `phase` of the round) to its
    /// end; Err if it failed or a signal came meanwhile.
    fn run(
        &mut self,
        r: usize,
        phase: &str,
        args: &[&[u8]],
        out: Option<BorrowedFd<'_>>,
    ) -> Result<(), Error> {
        let fd = self.spawn(r, args, out)?;
        let st = reap(fd.as_fd(), self.signals.as_fd(), &mut self.stop)?;
        self.check(r, phase, st)
    }

    /// Notes a reaped command's peak memory; Err if its status is not 0
    /// (naming the runtime and the phase, with the first line of its
    /// stderr), or if a signal asked to stop.
    fn check(&self, r: usize, phase: &str, (st, rss): (i32, u64)) -> Result<(), Error> {
        let rt = &self.rts[r];
        if self.peaks {
            rt.more(rss);
        }
        if st != 0 {
            let mut text = [0u8; 400];
            let n = rustix::io::pread(&self.err, &mut text, 0).unwrap_or(0);
            let line = text[..n].split(|&c| c == b'\n').next().unwrap_or_default();
            let mut m = Buf::new();
            m.b(rt.name).s(" ").s(phase);
            tpl(&mut m, " failed (exit status \x01): ", &[st as u64]);
            return Err(refuse(&m.0, line));
        }
        if self.stop != 0 {
            return Err(self.interrupted());
        }
        Ok(())
    }

    fn interrupted(&self) -> Error {
        let mut m = Buf::new();
        m.s("bench: interrupted by signal ").u(self.stop as u64);
        Error::new(128 + self.stop, m.s("; its containers are deleted"))
    }

    /// One lifecycle of runtime `r`, its phases' times into `t`.
    // Out of line: 176 bytes smaller.
    #[inline(never)]
    fn round(&mut self, r: usize, t: &mut [u64; P]) -> Result<(), Error> {
        self.seq += 1;
        let mut id = Buf::new();
        id.s("hullbench-").u(pid()).s("-").u(self.seq);
        let id = id.0;
        // The container's stdout: its newline says it runs. Our end does
        // not block: it is drained while we wait.
        let (rd, wr) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .map_err(|e| Error::sys("bench: pipe", b"", e))?;
        let _ = rustix::io::ioctl_fionbio(&rd, true);
        let _ = rustix::fs::ftruncate(&self.err, 0);
        self.live = Some((r, id.clone(), None));
        let t0 = now();
        let create: [&[u8]; 6] = [
            b"create",
            b"--bundle",
            self.dir,
            b"--pid-file",
            self.pid_file,
            &id,
        ];
        self.run(r, "create", &create, Some(wr.as_fd()))?;
        let t1 = now();
        drop(wr);
        // The container's process: until start, the runtime's own code
        // (its peak memory counts), then the command (a pidfd sees it go).
        let text = crate::util::file::read_file(self.pid_file).unwrap_or_default();
        let pid = parse_u64(
            text.split(|c| !c.is_ascii_digit())
                .next()
                .unwrap_or_default(),
        );
        let pidfd = pid
            .and_then(|p| rustix::process::Pid::from_raw(p as i32))
            .ok_or(Errno::SRCH)
            .and_then(|p| rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()))
            .map_err(|e| Error::sys("bench: the container's pid in", self.pid_file, e))?;
        if let Some(l) = &mut self.live {
            l.2 = rustix::io::fcntl_dupfd_cloexec(&pidfd, 3).ok();
        }
        let mut status = Buf::new();
        status.s("/proc/").u(pid.unwrap_or(0)).s("/status");
        let hwm = vm_hwm(&status.0);
        if hwm != u64::MAX && self.peaks {
            self.rts[r].more(hwm);
        }
        let mut buf = [0u8; 512];
        let _ = rustix::io::read(&rd, &mut buf);
        let t2 = now();
        let start = self.spawn(r, &[b"start", &id], None)?;
        // Until start is reaped and the container gone: the signal
        // handler's fd stands in for each one done with.
        let sig = self.signals.as_fd();
        let mut fds = [sig, start.as_fd(), rd.as_fd(), pidfd.as_fd()];
        // Bits of the ones still watched: start, the pipe, the container.
        let mut on = 0b1110;
        let (mut ran, mut t3, mut t4) = (0, 0, 0);
        while on & 0b1010 != 0 {
            let mut p = fds.map(|f| PollFd::from_borrowed_fd(f, PollFlags::IN));
            let _ = poll(&mut p, None);
            let at = now();
            let mut ready = 0u8;
            for (i, p) in p.iter().enumerate() {
                ready |= (!p.revents().is_empty() as u8) << i;
            }
            ready &= on | 1;
            if ready & 1 != 0
                && let Ok(s) = sys::read_signal(sig)
            {
                self.stop = s.as_raw();
                return Err(self.interrupted());
            }
            // Start and the container are done with once ready; the pipe
            // at its end (every copy of the container's stdout closed).
            let mut done = ready & 0b1010;
            if ready & 4 != 0 {
                match rustix::io::read(&rd, &mut buf) {
                    Ok(0) => done |= 4,
                    Ok(_) if ran == 0 => ran = at,
                    Ok(_) | Err(Errno::AGAIN) => {}
                    Err(_) => done |= 4,
                }
            }
            if ready & 8 != 0 {
                t4 = at;
            }
            if ready & 2 != 0 {
                t3 = at;
                let st = reap(start.as_fd(), sig, &mut self.stop)?;
                self.check(r, "start", st)?;
            }
            on &= !done;
            for (i, f) in fds.iter_mut().enumerate() {
                if on & 1 << i == 0 {
                    *f = sig;
                }
            }
        }
        if ran == 0 {
            return Err(refuse(
                self.rts[r].name,
                b": the container exited without writing to its stdout (is it /bin/sh?)",
            ));
        }
        let t5 = now();
        self.run(r, "delete", &[b"delete", &id], None)?;
        let t6 = now();
        self.live = None;
        *t = [
            t1 - t0,
            t3 - t2,
            ran - t2,
            t4 - ran,
            t6 - t5,
            t1 - t0 + t6 - t2,
        ];
        Ok(())
    }
}

impl Drop for Lab<'_> {
    fn drop(&mut self) {
        if let Some((r, id, pidfd)) = self.live.take() {
            // Its process is killed and gone first: a `delete --force`
            // that kills it itself removes the cgroups at once and, on a
            // cgroup v1 host, may find them still busy with the dying
            // process (crun then leaves them behind).
            if let Some(fd) = pidfd {
                sys::proc::kill_and_wait(fd.as_fd(), 5);
            }
            // Whatever state it reached: --force stops a running one too.
            if let Ok(fd) = self.spawn(r, &[b"delete", b"--force", &id], None) {
                let _ = reap(fd.as_fd(), self.signals.as_fd(), &mut 0);
            }
        }
        let _ = rustix::fs::unlink(self.pid_file);
        let _ = rustix::fs::unlink(self.config);
        let _ = rustix::fs::rmdir(self.dir);
    }
}

/// Everything measured, ready to print.
struct Report<'a> {
    bundle: &'a [u8],
    rts: &'a [Runtime<'a>],
    /// The figures of each (runtime, phase), runtime after runtime.
    figs: &'a [Figures],
    /// The sorted samples, in the same order.
    data: &'a [u32],
    n: usize,
}

impl Report<'_> {
    fn fig(&self, r: usize, p: usize) -> &Figures {
        &self.figs[r * P + p]
    }

    /// The total's samples of runtime `r`.
    fn total(&self, r: usize) -> &[u32] {
        &self.data[(r * P + P - 1) * self.n..][..self.n]
    }

    /// The terminal report (for each runtime, a row of figures per phase
    /// and a histogram of the total), or (`json`) the same figures as one
    /// JSON object, each phase's in the fields of `hull bench`'s (schema in
    /// docs/performance.md). One walk for both, as `hull bench`'s.
    fn report(&self, json: bool) -> Buf {
        let j = json as usize;
        let mut b = Buf::new();
        b.s(["hull bench: ", "{\"bundle\":"][j]);
        string(&mut b, json, self.bundle);
        if json {
            b.s(",\"unit\":\"ns\",\"runtimes\":[");
        } else {
            tpl(
                &mut b,
                "\n  \x01 rounds after \x01 warm-up, runtimes interleaved; in ms; ratio: ",
                &[self.figs[0].n, self.figs[0].warmup],
            );
            b.b(self.rts[0].name).s("'s median over this one's\n");
        }
        for (r, rt) in self.rts.iter().enumerate() {
            if json {
                sep(&mut b, r);
                b.s("{\"runtime\":");
            }
            string(&mut b, json, rt.name);
            b.s([": ", ",\"path\":"][j]);
            string(&mut b, json, rt.exe.to_bytes());
            tpl(
                &mut b,
                [
                    ", peak memory \x01 KiB\n                min      p50      p90      p99      max   ratio\n",
                    ",\"peak_kib\":\x01,\"phases\":{",
                ][j],
                &[rt.peak.get()],
            );
            for (p, name) in PHASES.iter().enumerate() {
                let f = self.fig(r, p);
                if json {
                    sep(&mut b, p);
                    b.s("\"").s(name).s("\":");
                    tpl(&mut b, JSON_OBJECT, &f.row());
                    continue;
                }
                b.s("  ").s(name).s(&"        "[name.len()..]);
                for x in [f.min, f.p50, f.p90, f.p99, f.max] {
                    // Right-aligned in 9 columns (up to 999.999 ms).
                    let mut pad = 3;
                    let mut at = 10_000_000;
                    while x >= at && pad > 0 {
                        pad -= 1;
                        at *= 10;
                    }
                    b.s(&"   "[..pad]);
                    tpl(&mut b, " \x02", &[x]);
                }
                tpl(&mut b, "  \x03x\n", &[f.ratio]);
            }
            b.s(["  histogram of the total:\n", "},\"histogram\":"][j]);
            hist(&mut b, json, self.total(r), self.fig(r, P - 1));
            b.s(["", "}"][j]);
        }
        b.s(["", "]}\n"][j]);
        b
    }

    /// A Markdown table of the medians, one row per runtime.
    fn markdown(&self) -> Buf {
        let mut b = Buf::new();
        tpl(
            &mut b,
            "Medians in ms of \x01 rounds (hull bench, ",
            &[self.figs[0].n],
        );
        b.b(self.bundle).s("); ratio: ").b(self.rts[0].name);
        b.s("'s median total over each.\n\n| runtime |");
        for name in PHASES {
            b.s(" ").s(name).s(" |");
        }
        b.s(" total p99 | ratio | peak KiB |\n|---|");
        for _ in 0..P + 3 {
            b.s("---:|");
        }
        for (r, rt) in self.rts.iter().enumerate() {
            b.s("\n| ").b(rt.name).s(" |");
            for p in 0..P {
                tpl(&mut b, " \x02 |", &[self.fig(r, p).p50]);
            }
            let f = self.fig(r, P - 1);
            tpl(
                &mut b,
                " \x02 | \x03x | \x01 |",
                &[f.p99, f.ratio, rt.peak.get()],
            );
        }
        b.s("\n");
        b
    }

    /// A self-contained SVG chart: a group of bars per phase, a bar per
    /// runtime (its median, with a line up to its p90).
    fn svg(&self) -> Buf {
        let k = self.rts.len() as u64;
        let hi = self.figs.iter().map(|f| f.p90).max().unwrap_or(0).max(1);
        let mut b = Buf::new();
        xml_text(b.s(SVG_HEAD).s(" "), self.bundle);
        tpl(
            &mut b,
            " (n=\x01)</text>\n<text x=\"340\" y=\"392\">each phase, ms: median (bar) and p90 (line)</text>\n",
            &[self.figs[0].n],
        );
        for i in 0..5 {
            let y = 340 - i * 75;
            tpl(
                &mut b,
                "<path stroke=\"#ccc\" d=\"M60 \x01H620\"/>\n<text x=\"54\" y=\"\x01\" text-anchor=\"end\">\x02</text>\n",
                &[y, y + 4, hi * i / 4],
            );
        }
        let bw = 72 / k;
        for (p, name) in PHASES.iter().enumerate() {
            let x0 = 60 + p as u64 * 560 / P as u64;
            tpl(&mut b, "<text x=\"\x01\" y=\"358\">", &[x0 + 46]);
            b.s(name).s("</text>\n");
            for r in 0..k {
                let f = self.fig(r as usize, p);
                let (h, h90) = (f.p50 * 300 / hi, f.p90 * 300 / hi);
                let x = x0 + 10 + r * bw;
                tpl(
                    &mut b,
                    "<rect x=\"\x01\" y=\"\x01\" width=\"\x01\" height=\"\x01\" fill=\"hsl(\x01,70%,45%)\"/>\n<path stroke=\"#333\" d=\"M\x01 \x01V\x01\"/>\n",
                    &[
                        x,
                        340 - h,
                        bw - 2,
                        h,
                        hue(r),
                        x + bw / 2 - 1,
                        340 - h,
                        340 - h90,
                    ],
                );
            }
        }
        for (r, rt) in self.rts.iter().enumerate() {
            tpl(
                &mut b,
                "<text x=\"70\" y=\"\x01\" fill=\"hsl(\x01,70%,45%)\" text-anchor=\"start\">",
                &[60 + 16 * r as u64, hue(r as u64)],
            );
            xml_text(&mut b, rt.name);
            b.s("</text>\n");
        }
        b.s("</svg>\n");
        b
    }
}

/// `s` as it is, or (`json`) as a JSON string.
fn string(b: &mut Buf, json: bool, s: &[u8]) {
    if json {
        json::write_str(b, s);
    } else {
        b.b(s);
    }
}

/// Blue, red, green...: a hue per runtime, as in `hull bench`'s chart.
fn hue(r: u64) -> u64 {
    (210 + 150 * r) % 360
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two runtimes of 4 rounds: every phase of the first takes 1..4 ms
    /// (times the phase's number), the second twice that.
    fn report(f: impl FnOnce(&Report)) {
        let mut data = Vec::new();
        for r in 1..=2u32 {
            for p in 1..=P as u32 {
                data.extend((1..=4).map(|i| r * p * i * 1_000_000));
            }
        }
        let mut firsts = [0; P];
        let figs: Vec<Figures> = data
            .chunks_mut(4)
            .enumerate()
            .map(|(c, col)| figures(col, 4, 1, 1000 + c as u64 / P as u64, &mut firsts[c % P]))
            .collect();
        let rts = [&b"crun"[..], b"/opt/run<c>"].map(|name| Runtime {
            name,
            exe: CString::from(c"/usr/bin/x"),
            peak: Cell::new(2048),
        });
        f(&Report {
            bundle: b"/b\"x",
            rts: &rts,
            figs: &figs,
            data: &data,
            n: 4,
        });
    }

    #[test]
    fn json_report() {
        report(|r| {
            let text = String::from_utf8(r.report(true).0).unwrap();
            assert!(text.ends_with("]}\n"));
            let j: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(j["bundle"], "/b\"x");
            assert_eq!(j["unit"], "ns");
            let rt = &j["runtimes"][1];
            assert_eq!(rt["runtime"], "/opt/run<c>");
            assert_eq!(rt["path"], "/usr/bin/x");
            assert_eq!(rt["peak_kib"], 2048);
            let exec = &rt["phases"]["exec"];
            // 2 x 3 x (1..4) ms: nearest-rank percentiles, crun's median
            // over this one's.
            assert_eq!(exec["min"], 6_000_000);
            assert_eq!(exec["p50"], 12_000_000);
            assert_eq!(exec["max"], 24_000_000);
            assert_eq!(exec["ratio"], 0.5);
            assert_eq!(exec["n"], 4);
            assert_eq!(exec["warmup"], 1);
            assert_eq!(j["runtimes"][0]["phases"]["total"]["ratio"], 1.0);
            let h = &rt["histogram"];
            assert_eq!(h["from"], 12_000_000);
            assert_eq!(h["counts"].as_array().unwrap().len(), 12);
            // The phases in the order they run (serde_json sorts its map).
            let at: Vec<usize> = PHASES
                .iter()
                .map(|p| text.find(&format!("\"{p}\":{{")).unwrap())
                .collect();
            assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
        });
    }

    #[test]
    fn text_report() {
        report(|r| {
            let t = String::from_utf8(r.report(false).0).unwrap();
            assert!(t.starts_with("hull bench: /b\"x\n  4 rounds after 1 warm-up, runtimes interleaved; in ms; ratio: crun's median over this one's\ncrun: /usr/bin/x, peak memory 2048 KiB\n                min      p50      p90      p99      max   ratio\n  create      1.000    2.000    4.000    4.000    4.000  1.000x\n"), "{t}");
            assert!(t.contains("\n  total       6.000   12.000   24.000   24.000   24.000  1.000x\n  histogram of the total:\n  6.000 ####"), "{t}");
            assert!(
                t.contains("\n  exec        6.000   12.000   24.000   24.000   24.000  0.500x\n"),
                "{t}"
            );
            assert!(
                t.contains("\n  total      12.000   24.000   48.000   48.000   48.000  0.500x\n"),
                "{t}"
            );
        });
    }

    #[test]
    fn markdown_report() {
        report(|r| {
            let t = String::from_utf8(r.markdown().0).unwrap();
            assert_eq!(
                t,
                "Medians in ms of 4 rounds (hull bench, /b\"x); ratio: crun's median total over each.\n\n| runtime | create | start | exec | exit | delete | total | total p99 | ratio | peak KiB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n| crun | 2.000 | 4.000 | 6.000 | 8.000 | 10.000 | 12.000 | 24.000 | 1.000x | 2048 |\n| /opt/run<c> | 4.000 | 8.000 | 12.000 | 16.000 | 20.000 | 24.000 | 48.000 | 0.500x | 2048 |\n"
            );
        });
    }

    #[test]
    fn svg_report() {
        report(|r| {
            let s = String::from_utf8(r.svg().0).unwrap();
            assert!(s.starts_with(SVG_HEAD), "{s}");
            assert!(s.contains("hull bench: /b\"x (n=4)</text>"), "{s}");
            assert_eq!(s.matches("<rect ").count(), 1 + 2 * P);
            // The tallest p90 line reaches the top of the plot.
            assert!(s.contains("V40\"/>"), "{s}");
            assert!(s.contains(">/opt/run&lt;c&gt;</text>"), "{s}");
            assert!(s.ends_with("</svg>\n"));
        });
    }

    fn refused(r: Result<Buf, Error>) -> Error {
        match r {
            Err(e) => e,
            Ok(b) => panic!("accepted: {}", String::from_utf8_lossy(&b.0)),
        }
    }

    #[test]
    fn rewrites_a_copy_of_the_config() {
        let d = std::env::temp_dir().join(format!("hull-oci-rewrite-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("rootfs/bin")).unwrap();
        for f in ["sh", "true"] {
            std::fs::copy("/bin/sh", d.join("rootfs/bin").join(f)).unwrap();
        }
        let config = r#"{"ociVersion":"1.0.2","process":{"terminal":true,"args":["true","-x"],"env":["A=1","PATH=/bin"],"cwd":"/"},"root":{"path":"rootfs","readonly":true},"linux":{"uidMappings":[{"containerID":0,"hostID":-1,"size":1}]}}"#;
        std::fs::write(d.join("config.json"), config).unwrap();
        let dir: &'static [u8] = d.to_str().unwrap().as_bytes().to_vec().leak();
        let Ok(got) = rewrite(dir) else {
            panic!("refused")
        };
        let got = String::from_utf8(got.0).unwrap();
        let root = std::fs::canonicalize(d.join("rootfs")).unwrap();
        let want = format!(
            r#"{{"ociVersion":"1.0.2","process":{{"terminal":false,"args":["/bin/sh","-c","echo;exec \"$0\" \"$@\"","true","-x"],"env":["A=1","PATH=/bin"],"cwd":"/"}},"root":{{"path":"{}","readonly":true}},"linux":{{"uidMappings":[{{"containerID":0,"hostID":-1,"size":1}}]}}}}"#,
            root.display()
        );
        assert_eq!(got, want);
        // The command must be there, found in the config's PATH.
        std::fs::write(
            d.join("config.json"),
            config.replace("PATH=/bin", "PATH=/usr"),
        )
        .unwrap();
        let e = refused(rewrite(dir));
        assert_eq!(
            String::from_utf8(e.msg).unwrap(),
            format!("bench: rootfs {}: true: command not found", root.display())
        );
        for (bad, what) in [
            ("{", "unexpected end of input"),
            (r#"{"root":{}}"#, "no root.path"),
            (r#"{"root":{"path":"rootfs"}}"#, "no process"),
            (
                r#"{"root":{"path":"rootfs"},"process":{"args":[]}}"#,
                "no process.args",
            ),
        ] {
            std::fs::write(d.join("config.json"), bad).unwrap();
            let e = refused(rewrite(dir));
            assert_eq!(
                String::from_utf8(e.msg).unwrap(),
                format!("bench: {}/config.json: {what}", d.display()),
                "{bad}"
            );
            assert_eq!(e.code, 125);
        }
        std::fs::remove_dir_all(&d).unwrap();
    }
}

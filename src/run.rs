//! The parent side of `hull run`: clone, learn whether execve happened,
//! wait for the exit, and turn it into hull's exit status.

use crate::cgroup::Cgroup;
use crate::child::{self, EXEC_STEP, PTY_STEP, Report};
use crate::error::{EXIT_CANNOT_EXEC, EXIT_NOT_FOUND, Error};
use crate::init::{BLOCKED, FORWARDED};
use crate::plan::{Facts, Join, Op, Plan, Slot};
use crate::spec::Spec;
use crate::sys::{self, AsFd, BorrowedFd, Errno, Fork, OwnedFd, Termios};
use crate::userns;
use crate::util::log::note;
use crate::util::out::{Buf, eprint, print};
use core::ffi::CStr;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use rustix::pipe::PipeFlags;
use rustix::process::Signal;
use rustix::process::{WaitId, WaitIdOptions};

/// `hull run`: the whole life of one container. Returns hull's exit status.
#[inline(never)]
pub fn run(spec: &mut Spec, env: &[&CStr]) -> Result<i32, Error> {
    // First, before hull opens anything of its own.
    close_inherited(spec.preserve_fds, env);
    let mut facts = Facts::gather(spec, env)?;
    let mut cgroup = find_cgroup(spec, &facts)?;
    facts.join = Join::of(cgroup.as_ref());
    // Before the clone, so that no signal is lost between now and the wait
    // loop: they queue on the signalfd. The child inherits the blocked mask
    // and restores this original one just before execve. (With --dry-run
    // too, for one plan: blocking our own signals is seen by nobody.)
    let (mask, signals, forwarded) = block()?;
    facts.sigmask = mask;
    // The child opens the pty (in the container's devpts, with a rootfs)
    // and sends us the master; it sizes it like our terminal.
    if spec.tty {
        facts.terminal = size();
    }
    let mut plan = Plan::build(spec, &facts)?;
    if spec.dry_run {
        print(&plan.describe().0);
        return Ok(0);
    }
    if spec.debug {
        if !spec.userns && facts.userns {
            note(b"not root: adding --userns", None);
        }
        note(b"plan:\n", None);
        eprint(&plan.describe().0);
    }
    // The name, taken before anything starts: one in use is refused.
    let named = name(spec)?;
    // Created once everything checkable without it passed (the command
    // lookup, the layout); from here on, its drop removes it, on every path.
    let launched = create_cgroup(&mut cgroup, spec, &plan).and_then(|()| {
        let replan = &mut || {
            facts.join = Join::Outside;
            Plan::build(spec, &facts)
        };
        launch(&mut plan, cgroup.as_ref(), spec.debug, replan, &mut |_| {
            Ok(())
        })
    });
    let (child, master) = match launched {
        Ok(r) => r,
        Err(e) => {
            // A failure leaves the image as it was, and the name free.
            plan.unmake();
            unname(named);
            return Err(e);
        }
    };
    #[cfg(feature = "oci")]
    if let Some(n) = &named {
        n.started(spec, plan.envp.strings(), child.pid, cgroup.as_ref());
    }
    let status = attend(spec, &child, signals.as_fd(), forwarded, master);
    unname(named);
    // hull exits right after: the kernel closes these with the rest, one
    // close(2) each saved.
    core::mem::forget((child, signals));
    // One way out, for errors too: one copy of the drops (112 bytes smaller).
    if let Ok(status) = status {
        if let Some(cg) = &cgroup {
            cg.outcome(status);
        }
        if spec.debug {
            note(b"container exited: status ", Some(status as u64));
        }
    }
    status
}

/// `--name`: the name taken in the OCI state directory (see
/// [`crate::oci::named`]).
#[cfg(feature = "oci")]
type Named = Option<crate::oci::named::Named>;
#[cfg(not(feature = "oci"))]
type Named = Option<()>;

fn name(spec: &Spec) -> Result<Named, Error> {
    let Some(n) = &spec.name else {
        return Ok(None);
    };
    #[cfg(feature = "oci")]
    return crate::oci::named::register(n).map(Some);
    #[cfg(not(feature = "oci"))]
    {
        let _ = n;
        Err(Error::usage_text(
            "--name: not built in (cargo build --features oci)",
        ))
    }
}

/// Gives the name back: the container has ended (or never started).
fn unname(named: Named) {
    #[cfg(feature = "oci")]
    if let Some(n) = named {
        n.remove();
    }
    #[cfg(not(feature = "oci"))]
    let _ = named;
}

/// The wait for a container's process that hull sees through (`hull run`,
/// and OCI `exec` without `--detach`): see [`supervise`].
#[inline(never)]
pub fn attend(
    spec: &Spec,
    child: &Child,
    signals: BorrowedFd<'_>,
    forwarded: sys::SigSet,
    master: Option<OwnedFd>,
) -> Result<i32, Error> {
    // Raw only when a person types into the container through it: then every
    // key, Ctrl-C included, goes to the container's terminal as a byte.
    let saved = raw_mode(master.is_some() && spec.interactive);
    let status = supervise(spec, child, signals, forwarded, master);
    // Every way out of the loop comes through here, errors included.
    if let Some(t) = saved {
        let _ = sys::tcsets(sys::stdin(), &t);
    }
    status
}

/// Sets up hull's signals before the clone: SIGCHLD back to its default
/// action (a caller that ignores it would have hull's children reaped by
/// the kernel: waitid fails, and an init never hears of its command's
/// exit), then every signal hull handles blocked and queued on a signalfd.
/// A signal the caller ignores (`nohup`: SIGHUP; a shell's background job:
/// SIGINT, SIGQUIT) is not passed on: it stays ignored. Returns the mask
/// hull started with, the signalfd and the signals to pass on.
pub fn block() -> Result<(sys::SigSet, OwnedFd, sys::SigSet), Error> {
    use linux_raw_sys::general as g;
    sys::default_signals(sys::sig_bit(g::SIGCHLD));
    let mut forwarded = FORWARDED;
    for sig in [g::SIGHUP, g::SIGINT, g::SIGQUIT] {
        if sys::is_ignored(sig) {
            forwarded &= !sys::sig_bit(sig);
        }
    }
    let set = BLOCKED & (forwarded | !FORWARDED);
    let mask = sys::block_signals(set).map_err(|e| Error::sys("rt_sigprocmask", b"", e))?;
    let fd = sys::signalfd(set).map_err(|e| Error::sys("signalfd", b"", e))?;
    Ok((mask, fd, forwarded))
}

/// Every fd above 2 that hull's caller left open closes at the container's
/// execve (close-on-exec, set now, before hull opens any of its own: those
/// are close-on-exec already), but for the first N: `--preserve-fds N`,
/// or the sockets of systemd socket activation (`LISTEN_FDS`, when
/// `LISTEN_PID` is hull's pid), which stay open across it.
pub fn close_inherited(preserve_fds: u32, env: &[&CStr]) {
    // (The same count as the plan's `keep_fds`.)
    let keep = preserve_fds.max(crate::env::listen_fds(env));
    for fd in 3..3 + keep {
        // (EBADF for a number that is not open: nothing to pass.)
        let _ = sys::set_cloexec(fd as i32, false);
    }
    if sys::cloexec_from(3 + keep).is_ok() {
        return;
    }
    // Before Linux 5.11: each fd /proc lists, or else every number up to
    // the limit on open files.
    let mut done = false;
    if let Ok(dir) = crate::util::file::open_file(b"/proc/self/fd", rustix::fs::OFlags::DIRECTORY) {
        let mut buf = [core::mem::MaybeUninit::uninit(); 2048];
        let mut d = rustix::fs::RawDir::new(&dir, &mut buf);
        while let Some(Ok(e)) = d.next() {
            if let Some(n) = crate::util::out::parse_u64(e.file_name().to_bytes())
                && n >= 3 + keep as u64
            {
                let _ = sys::set_cloexec(n as i32, true);
            }
        }
        done = true;
    }
    if !done {
        let max = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .unwrap_or(1 << 20)
            .min(1 << 20);
        for fd in 3 + keep as u64..max {
            let _ = sys::set_cloexec(fd as i32, true);
        }
    }
}

/// The container's own cgroup (found, nothing made yet): every container
/// gets one, for its device policy, its cgroup namespace and its limits.
/// With a limit asked for, not finding one is an error; without, a host
/// with no cgroup filesystem (early boot) runs it without one.
pub fn find_cgroup(spec: &Spec, facts: &Facts) -> Result<Option<Cgroup>, Error> {
    let rules = crate::plan::device_rules(spec, facts);
    match Cgroup::find(&spec.limits, rules.as_deref(), spec.debug) {
        Ok(cg) if cg.dirs.is_empty() => Ok(None),
        Ok(cg) => Ok(Some(cg)),
        Err(e) if spec.limits.any() => Err(e),
        Err(e) => {
            if spec.debug {
                note(&e.msg, None);
            }
            Ok(None)
        }
    }
}

/// Creates the container's groups. Without a limit asked for, a refusal
/// (rootless hull, which may not write the cgroup tree) leaves the
/// container in hull's own group, said with `--debug`.
pub fn create_cgroup(cgroup: &mut Option<Cgroup>, spec: &Spec, plan: &Plan) -> Result<(), Error> {
    let Some(cg) = cgroup else {
        no_device_list(spec, plan, b"no cgroup filesystem");
        return Ok(());
    };
    if let Err(e) = cg.create(&spec.limits, plan.devices.as_deref()) {
        if spec.limits.any() {
            return Err(e);
        }
        if spec.debug {
            note(&e.msg, None);
            note(b"no cgroup of its own: the container stays in hull's", None);
        }
        no_device_list(spec, plan, &e.msg);
        *cgroup = None;
    }
    Ok(())
}

/// Says so when a container that keeps CAP_MKNOD gets no device allow list
/// (no cgroup could be had): it could then make and open any device node.
/// Without MKNOD (the default) it can make none, and its /dev holds only
/// the harmless nodes.
fn no_device_list(spec: &Spec, plan: &Plan, why: &[u8]) {
    if plan.devices.is_some() && spec.caps & 1 << 27 != 0 {
        let mut m = Buf::new();
        m.s("hull: warning: no device allow list (").b(why);
        m.s("): with CAP_MKNOD the container can use any device node it makes\n");
        eprint(&m.0);
    }
}

/// Starts the container and sees it through to execve: the clone (into the
/// cgroup, when there is one), the parent's part of the setup, the release,
/// and the child's report. Returns the child and the pty master it sent, if
/// any. `hull run` and `hull bench` share it, so a benchmark times what run
/// does. `hooks` runs what the child waits for at [`Op::AwaitHooks`]
/// (given its pid). `replan` gives the plan again for a join of the cgroup from
/// outside ([`Join::Outside`]), where the kernel refuses the clone
/// into it.
pub fn launch(
    plan: &mut Plan,
    cgroup: Option<&Cgroup>,
    debug_on: bool,
    replan: &mut dyn FnMut() -> Result<Plan, Error>,
    hooks: &mut dyn FnMut(i32) -> Result<(), Error>,
) -> Result<(Child, Option<OwnedFd>), Error> {
    let mut fd = cgroup
        .and_then(|c| c.fd.as_ref())
        .map(|f| f.as_fd())
        .filter(|_| plan.join != Join::Outside);
    if let Some(offsets) = &plan.timens {
        // Before the clone, which gives the child this new namespace: its
        // offsets can be set only while no process is in it. hull stays in
        // its own.
        sys::unshare_timens().map_err(|e| Error::sys("unshare", b"CLONE_NEWTIME", e))?;
        let file = b"/proc/self/timens_offsets";
        crate::util::file::write_file(file, offsets).map_err(|e| Error::sys("write", file, e))?;
    }
    let child = loop {
        match start(plan, fd) {
            Err(mut e) if fd.is_some() && e.msg.starts_with(b"clone3") => {
                // A kernel before 5.7 (or a seccomp filter) refuses
                // CLONE_INTO_CGROUP: the parent joins the child instead,
                // while it waits at its first step.
                if debug_on {
                    e.msg.extend_from_slice(b": joining through cgroup.procs");
                    note(&e.msg, None);
                }
                // The old plan's memory is left: once per process, as the
                // new plan clones with no cgroup fd.
                core::mem::forget(core::mem::replace(plan, replan()?));
                fd = None;
            }
            r => break r?,
        }
    };
    if debug_on {
        note(b"clone3: child pid ", Some(child.pid as u64));
    }
    if plan.awaits_parent() {
        // The parent's side of the setup goes here, before the release.
        if let Some(m) = &plan.userns {
            // On failure hull ends here, and the waiting child with it (end
            // of file on the channel, and its parent-death signal).
            userns::write(m, child.pid)?;
        }
        if let Some(cg) = cgroup {
            cg.join(child.pid, fd.is_none())?;
        }
        child.release()?;
    }
    let master = wait_exec(plan, &child, hooks)?;
    if debug_on {
        note(b"execve succeeded (report channel closed)", None);
    }
    Ok((child, master))
}

/// Gives the pty the size of our terminal (stdin's, or else stdout's); the
/// kernel then sends SIGWINCH to the pty's foreground process group.
fn copy_size(master: BorrowedFd<'_>) {
    let _ = sys::set_winsize(master, size());
}

/// Our terminal's size (stdin's, or else stdout's); zero when neither is one.
pub fn size() -> [u16; 4] {
    sys::winsize(sys::stdin())
        .or_else(|_| sys::winsize(sys::stdout()))
        .unwrap_or_default()
}

/// Puts our terminal (stdin) in raw mode if `on`; returns the settings to
/// restore. (The condition is tested here: one call site, not two paths.)
#[inline(never)]
fn raw_mode(on: bool) -> Option<Termios> {
    if !on {
        return None;
    }
    let saved = sys::tcgets(sys::stdin()).ok()?;
    let mut raw = saved;
    make_raw(&mut raw);
    sys::tcsets(sys::stdin(), &raw).ok()?;
    Some(saved)
}

/// cfmakeraw(3): no echo, no line editing, no signals from keys, no output
/// processing; bytes pass through one at a time.
pub fn make_raw(t: &mut Termios) {
    use linux_raw_sys::general as g;
    t.c_iflag &=
        !(g::IGNBRK | g::BRKINT | g::PARMRK | g::ISTRIP | g::INLCR | g::IGNCR | g::ICRNL | g::IXON);
    t.c_oflag &= !g::OPOST;
    t.c_lflag &= !(g::ECHO | g::ECHONL | g::ICANON | g::ISIG | g::IEXTEN);
    t.c_cflag = t.c_cflag & !(g::CSIZE | g::PARENB) | g::CS8;
    t.c_cc[g::VMIN as usize] = 1;
    t.c_cc[g::VTIME as usize] = 0;
}

/// The parent's wait, once the command runs: until the container exits, pass
/// signals on, relay the pty both ways, and enforce `--stop-timeout`.
/// Blocks in poll; wakes only for signals, bytes, the exit or the deadline.
///
/// The relay never blocks: the pty master and (reopened, see [`Pipe::new`])
/// hull's stdin and stdout are non-blocking, each direction has a bounded
/// buffer, and a side is polled for reading only while its buffer has
/// room. So a container that does not read its terminal, or a reader of
/// hull's output that does not read, stalls only that direction: signals,
/// the stop timeout and the exit are still seen. When hull's stdout goes
/// away (EPIPE: `hull run -t yes | head`), hull hangs the terminal up, as a
/// closed terminal would: the container gets SIGHUP (and EIO), and the stop
/// timeout runs. Once the container has exited, its last output is passed
/// on, for as long as the reader takes; a SIGINT or SIGTERM ends that.
#[inline(never)]
fn supervise(
    spec: &Spec,
    child: &Child,
    signals: BorrowedFd<'_>,
    forwarded: sys::SigSet,
    pty: Option<OwnedFd>,
) -> Result<i32, Error> {
    // When the stop timeout runs out, in monotonic ns; 0 while none runs.
    let mut deadline = 0u64;
    let mut pty = pty;
    if let Some(m) = &pty {
        let _ = rustix::io::ioctl_fionbio(m, true);
    }
    // The container's output to our stdout; our stdin (with -i) to it.
    let mut out = Pipe::new(pty.is_some(), 1, PIPE_OUT);
    let mut inp = Pipe::new(pty.is_some() && spec.interactive, 0, PIPE_IN);
    let mut status = None;
    let stop_in = spec.stop_timeout as u64 * 1_000_000_000;
    let when = |on: bool, f: PollFlags| if on { f } else { PollFlags::empty() };
    let mut stopping = false;
    loop {
        let master = pty.as_ref().map(|m| m.as_fd());
        // Done: the container is gone and its last output is out (or can
        // never be: the pty is drained, or our stdout is gone).
        // (After a stop was asked for, the container's last output is not
        // waited for: whoever asked is not reading it.)
        if let Some(st) = status
            && (master.is_none() || out.len == 0 && out.eof || stopping)
        {
            return Ok(st);
        }
        let mut timeout = None;
        if deadline != 0 && status.is_none() {
            let left = deadline.saturating_sub(sys::monotonic_ns());
            if left == 0 {
                // docker stop: the container had its chance. Killing PID 1
                // takes down the whole namespace; the status will be 137.
                let _ = rustix::process::pidfd_send_signal(&child.pidfd, Signal::KILL);
                deadline = 0;
                continue;
            }
            timeout = Some(Timespec {
                tv_sec: (left / 1_000_000_000) as i64,
                tv_nsec: (left % 1_000_000_000) as i64,
            });
        }
        // The pty: readable while our output buffer has room, writable
        // while our input buffer holds something. A side with nothing to
        // do is not polled at all (the signalfd stands in, asking for
        // nothing): a hung-up pipe or pty would report POLLHUP for ever.
        let m_flags = when(!out.eof && out.len < out.buf.len(), PollFlags::IN)
            | when(inp.len > 0, PollFlags::OUT);
        let mut fds = [
            PollFd::new(&child.pidfd, when(status.is_none(), PollFlags::IN)),
            PollFd::from_borrowed_fd(signals, PollFlags::IN),
            entry(master, m_flags, signals),
            entry(
                Some(out.fd()),
                when(master.is_some() && out.len > 0, PollFlags::OUT),
                signals,
            ),
            entry(
                Some(inp.fd()),
                when(inp.on && inp.len == 0, PollFlags::IN),
                signals,
            ),
        ];
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(Error::sys("poll", b"", e)),
        }
        let r: [bool; 5] = core::array::from_fn(|i| !fds[i].revents().is_empty());
        let ready = |i: usize| r[i];
        if ready(0) && status.is_none() {
            // The container's PID 1 exited: the whole container is gone
            // (its other processes died with it), but its last output may
            // still sit in the pty, to be passed on below.
            status = Some(wait_exit(child)?);
        }
        // (A signalfd read that fails, which it cannot here, is no signal.)
        if ready(1)
            && let Ok(sig) = sys::read_signal(signals)
        {
            let stop = sig == Signal::TERM
                || sig == Signal::INT
                || (sig == Signal::HUP && master.is_some());
            if let Some(st) = status {
                // Passing the last output on, and told to stop: stop.
                if stop {
                    return Ok(st);
                }
            } else if let (Signal::WINCH, Some(m)) = (sig, master) {
                // The kernel signals the pty's foreground group itself.
                copy_size(m);
            } else if forwarded & sys::sig_bit(sig.as_raw() as u32) != 0 {
                let _ = rustix::process::pidfd_send_signal(&child.pidfd, sig);
                // A stop request; so is a hang-up of the terminal of an
                // interactive container (without -t, SIGHUP may mean "reload").
                if stop && deadline == 0 {
                    deadline = sys::monotonic_ns() + stop_in;
                    stopping = true;
                }
            }
        }
        let Some(ptm) = master else { continue };
        if ready(2) {
            // No one has the pty's other side open any more (EIO): nothing
            // more to relay to it either.
            if !out.eof && !out.fill(Some(ptm)) {
                inp.on = false;
                inp.len = 0;
            }
            if inp.len > 0 && !inp.flush(Some(ptm)) {
                inp.on = false;
                inp.len = 0;
            }
        }
        if ready(3) && !out.flush(None) {
            // Our stdout is gone (EPIPE): hang the terminal up, as a closed
            // terminal would, and give the container the stop timeout.
            pty = None;
            if status.is_none() && deadline == 0 {
                deadline = sys::monotonic_ns() + stop_in;
            }
            continue;
        }
        if ready(4) && !inp.fill(None) {
            // End of our input: an end-of-file for a reader in the
            // container too (^D, for a terminal in canonical mode).
            inp.on = false;
            inp.buf[0] = 4;
            inp.at = 0;
            inp.len = 1;
        }
    }
}

/// A poll entry for `fd` asking for `f`; with nothing to ask, `idle`
/// asking for nothing, which reports nothing.
fn entry<'a>(fd: Option<BorrowedFd<'a>>, f: PollFlags, idle: BorrowedFd<'a>) -> PollFd<'a> {
    match fd {
        Some(fd) if !f.is_empty() => PollFd::from_borrowed_fd(fd, f),
        _ => PollFd::from_borrowed_fd(idle, PollFlags::empty()),
    }
}

/// Room for the container's output on its way to our stdout, and for our
/// input on its way to the container: bounded, so a side that does not
/// read stalls its direction, not hull.
const PIPE_OUT: usize = 16384;
const PIPE_IN: usize = 4096;

/// One direction of the relay: a buffer of pending bytes and the fd of
/// ours it is read from or written to (0 or 1), reopened non-blocking.
struct Pipe {
    /// Whether this direction is still relayed.
    on: bool,
    /// End of file (or EIO) from the source: nothing more will come.
    eof: bool,
    /// Its buffer, `cap` bytes; empty for a direction not relayed. On the
    /// heap: two on the stack (of the larger size, as a struct has one) were
    /// 32 KiB of hull's peak memory in every `hull run`, a terminal or not.
    buf: alloc::vec::Vec<u8>,
    /// Bytes pending: `buf[at..at + len]`.
    at: usize,
    len: usize,
    /// Our own non-blocking open of fd `std`, when it could be had.
    own: Option<OwnedFd>,
    std: i32,
}

impl Pipe {
    /// A direction for our fd `std` (0 or 1), with `cap` bytes of buffer.
    /// A pipe or a terminal is reopened through /proc/self/fd, which gives
    /// hull a file description of its own that can be non-blocking without
    /// changing the one it shares with its caller (a shell's terminal must
    /// not be left non-blocking). A regular file never blocks and is used
    /// as it is (reopening would lose its offset); so is anything that
    /// cannot be reopened (a socket, no /proc), with short writes only.
    fn new(on: bool, std: i32, cap: usize) -> Pipe {
        let own = if on {
            sys::reopen_nonblocking(std)
        } else {
            None
        };
        Pipe {
            on,
            eof: !on,
            buf: if on {
                alloc::vec![0; cap]
            } else {
                alloc::vec::Vec::new()
            },
            at: 0,
            len: 0,
            own,
            std,
        }
    }

    fn fd(&self) -> BorrowedFd<'_> {
        match &self.own {
            Some(f) => f.as_fd(),
            None if self.std == 0 => sys::stdin(),
            None => sys::stdout(),
        }
    }

    /// Reads what `from` (or, without one, our own fd) has, as much as
    /// fits. False at end of file or on an error (EIO: the pty's other side
    /// is closed), which ends it.
    fn fill(&mut self, from: Option<BorrowedFd<'_>>) -> bool {
        // The pending bytes to the front: the room is all after them (an
        // empty read would look like the end of the file).
        self.buf.copy_within(self.at..self.at + self.len, 0);
        self.at = 0;
        let from = match (from, &self.own) {
            (Some(f), _) => f,
            (None, Some(o)) => o.as_fd(),
            (None, None) => sys::stdin(),
        };
        let end = self.at + self.len;
        let room = self.buf.get_mut(end..).unwrap_or_default();
        // Full: nothing to read into. (A read of 0 bytes returns 0, which
        // is end of file: the pty may be ready only to be written to,
        // while our buffer waits for a slow reader of our stdout.)
        if room.is_empty() {
            return true;
        }
        match rustix::io::read(from, room) {
            Ok(0) => {
                self.eof = true;
                false
            }
            Ok(n) => {
                self.len += n;
                true
            }
            Err(Errno::INTR | Errno::AGAIN) => true,
            Err(_) => {
                self.eof = true;
                false
            }
        }
    }

    /// Writes what it can of the pending bytes to `to` (or, without one,
    /// our own fd). False when that is gone (EPIPE, or any error but EAGAIN).
    fn flush(&mut self, to: Option<BorrowedFd<'_>>) -> bool {
        let to = match (to, &self.own) {
            (Some(t), _) => t,
            (None, Some(o)) => o.as_fd(),
            (None, None) => sys::stdout(),
        };
        // Where `to` might block (our stdout, not reopened), short writes:
        // a pipe that polled writable takes that much at once.
        let n = if self.own.is_none() && self.std == 1 {
            self.len.min(512)
        } else {
            self.len
        };
        match rustix::io::write(to, &self.buf[self.at..self.at + n]) {
            Ok(n) => {
                self.at += n;
                self.len -= n;
                true
            }
            Err(Errno::INTR | Errno::AGAIN) => true,
            Err(_) => false,
        }
    }
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
/// With `cgroup`, the child is born in that cgroup2 group.
pub fn start(plan: &Plan, cgroup: Option<BorrowedFd<'_>>) -> Result<Child, Error> {
    // Close-on-exec on both ends: the child's copy closes at a successful
    // execve, which is how the parent learns of it. A pipe when it only
    // carries a failure report from the child (a third of a socket pair's
    // cost); a socket pair when the parent also releases the child, or the
    // child sends a pty's master (SCM_RIGHTS).
    let (ours, theirs) = if plan.pipe_channel() {
        rustix::pipe::pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK)
            .map_err(|e| Error::sys("pipe", b"", e))?
    } else {
        rustix::net::socketpair(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            None,
        )
        .map_err(|e| Error::sys("socketpair", b"", e))?
    };
    sys::stamp(plan.trace, child::T_CLONE);
    let r = if plan.shares_memory() {
        sys::spawn(
            plan.clone_flags,
            cgroup,
            child::run,
            plan,
            theirs.as_fd(),
            ours.as_fd(),
        )
    } else {
        match sys::clone(plan.clone_flags, cgroup) {
            Ok(Fork::Child) => {
                drop(ours);
                child::run(plan, theirs)
            }
            Ok(Fork::Parent { pid, pidfd }) => Ok((pid, pidfd)),
            Err(e) => Err(e),
        }
    };
    // Back in the parent (a vfork-style child has exec'd or died by now).
    #[cfg(debug_assertions)]
    sys::IN_CHILD.store(false, core::sync::atomic::Ordering::Relaxed);
    match r {
        Ok((pid, pidfd)) => Ok(Child {
            pid,
            pidfd,
            report: ours,
        }),
        Err(e) => Err(clone_error(plan, e)),
    }
}

fn clone_error(plan: &Plan, e: Errno) -> Error {
    let userns = plan.userns.is_some();
    let max = || crate::util::file::read_file(userns::MAX_USER_NAMESPACES).unwrap_or_default();
    if userns && userns::disabled(e, &max()) {
        return Error::new(crate::error::EXIT_RUNTIME, Buf::new().s(userns::DISABLED));
    }
    let mut m = Buf::new();
    m.s("clone3: ").s(crate::error::strerror(e));
    if e == Errno::PERM {
        m.s(" (namespaces need root, or user namespaces the kernel allows)");
    } else if e == Errno::NOSPC || e == Errno::AGAIN {
        m.s(" (a namespace or process limit was reached)");
    }
    Error::new(crate::error::EXIT_RUNTIME, &m)
}

/// Blocks until the child has exec'd (end of file on the channel) or reported
/// a failed step. On failure the child is reaped and the error returned.
/// Returns the pty master the child sent on the way, if it opened one.
#[inline(never)]
pub fn wait_exec(
    plan: &Plan,
    child: &Child,
    hooks: &mut dyn FnMut(i32) -> Result<(), Error>,
) -> Result<Option<OwnedFd>, Error> {
    // Our copy of the child's end was dropped in `start`, so EOF comes when the
    // child's copy closes: at execve, or when the child dies.
    // A child that shared our memory has already exec'd or died by now (we
    // were suspended until then), and whatever it had to report is in the
    // channel. Waiting for the end of file would only wait for the new
    // program to close the channel, a little after it stopped using our
    // memory: so nothing more to read means the execve succeeded.
    // (The pipe is non-blocking, and a report is one atomic write.)
    let block = !plan.shares_memory();
    let mut master = None;
    loop {
        let mut buf = [0u8; Report::SIZE];
        let ch = child.report.as_fd();
        let got = match plan.pipe_channel() {
            true => match rustix::io::read(ch, &mut buf) {
                Err(Errno::AGAIN) => Ok((0, None)),
                r => r.map(|n| (n, None)),
            },
            false => sys::recv_full(ch, &mut buf, block),
        };
        let (n, fd) = got.map_err(|e| Error::sys("read report channel", b"", e))?;
        if n < Report::SIZE {
            return Ok(master);
        }
        let r = Report::from_bytes(buf);
        if r.step == child::READY_STEP {
            // Set up, waiting for `hull start` (an OCI create).
            return Ok(master);
        }
        if r.step == child::HOOKS_STEP {
            // Mounts made, root not switched: the config's hooks, then go.
            if let Err(e) = hooks(child.pid) {
                let _ = rustix::process::pidfd_send_signal(&child.pidfd, Signal::KILL);
                let _ = wait_exit(child);
                return Err(e);
            }
            child.release()?;
            continue;
        }
        if r.step != PTY_STEP {
            let _ = wait_exit(child);
            return Err(explain(plan, r));
        }
        // Not a failure: the pty's master, on the way to execve.
        master = fd;
    }
}

/// Turns the child's report into the message and status the user sees:
/// the step, its object, the call inside it that failed, and the errno.
pub fn explain(plan: &Plan, r: Report) -> Error {
    let e = Errno::from_raw_os_error(r.errno);
    if r.step == EXEC_STEP {
        let mut err = Error::sys("execve", plan.exe.to_bytes(), e);
        err.code = if e == Errno::NOENT {
            EXIT_NOT_FOUND
        } else {
            EXIT_CANNOT_EXEC
        };
        return err;
    }
    let op = plan.ops.get(r.step as usize);
    let (step, obj) = op.map_or(("container setup", &b""[..]), Op::step);
    let mut m = Buf::new();
    m.step(step, obj);
    let sub = (r.sub as usize).checked_sub(1);
    let sub = sub.and_then(|i| crate::child::SUBCALLS.split('|').nth(i));
    let mount = match op {
        Some(Op::Mount(m)) if r.sub == crate::child::S_TARGET => Some(m),
        _ => None,
    };
    if let Some(mt) =
        mount.filter(|m| e == Errno::NOENT && !m.create && m.target.slot == Slot::Root)
    {
        // Not made: hull creates no mount point in the host's tree, nor in
        // a read-only root.
        m = Buf::new();
        m.s("mount point ").b(mt.target.path.to_bytes());
        m.s(if plan.ops.iter().any(|o| matches!(o, Op::PivotRoot(_))) {
            " is missing, and the root is read-only (--read-only)"
        } else {
            ": No such file or directory (hull makes no mount point in the host's tree)"
        });
    } else if mount.is_some() && (e == Errno::LOOP || e == Errno::NOTDIR || e == Errno::XDEV) {
        // A symlink, or not a directory, where a mount point must be a
        // plain one: an image may not redirect its mounts (runc and crun
        // refuse it too).
        m.s(": not a plain directory inside the container (a symbolic link, or not a directory): refused");
    } else {
        if let Some(sub) = sub {
            m.s(": ").s(sub);
        }
        if r.errno != 0 {
            m.s(": ").s(crate::error::strerror(e));
        }
        if let Some(op) = op
            && plan.userns.is_some()
        {
            m.s(hint(op, e));
        }
    }
    Error::new(crate::error::EXIT_RUNTIME, &m)
}

/// Why a step failed in a user namespace, as a suffix to its error: the
/// kernel refuses a namespace's root some things the host's root may do
/// (mknod, mounting most filesystems, writing what the host's root owns,
/// proc where the host's /proc is partly hidden).
pub fn hint(op: &Op, e: Errno) -> &'static str {
    if e == Errno::PERM || e == Errno::ACCESS {
        " (in a user namespace: not the host's root)"
    } else if e == Errno::INVAL && matches!(op, Op::User(..)) {
        " (an id not in the user namespace's maps)"
    } else {
        ""
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

#[cfg(test)]
mod tests {
    use super::*;
    use linux_raw_sys::general as g;

    #[test]
    fn a_user_namespace_hints_why_a_step_failed() {
        let op = Op::Hostname(vec![]);
        assert_eq!(
            hint(&op, Errno::PERM),
            " (in a user namespace: not the host's root)"
        );
        assert_eq!(hint(&op, Errno::NOENT), "");
        assert_eq!(hint(&op, Errno::INVAL), "");
        let user = Op::User(1000, 0);
        assert_eq!(
            hint(&user, Errno::INVAL),
            " (an id not in the user namespace's maps)"
        );
    }

    #[test]
    fn raw_mode_is_cfmakeraw() {
        let mut t: Termios = sys::blank_termios();
        t.c_iflag = g::ICRNL | g::IXON | g::IUTF8;
        t.c_oflag = g::OPOST | g::ONLCR;
        t.c_lflag = g::ECHO | g::ICANON | g::ISIG | g::IEXTEN | g::ECHOE;
        t.c_cflag = g::CS7 | g::PARENB | g::CREAD;
        make_raw(&mut t);
        assert_eq!(t.c_iflag, g::IUTF8);
        assert_eq!(t.c_oflag, g::ONLCR);
        assert_eq!(t.c_lflag, g::ECHOE);
        assert_eq!(t.c_cflag, g::CS8 | g::CREAD);
        assert_eq!(
            (t.c_cc[g::VMIN as usize], t.c_cc[g::VTIME as usize]),
            (1, 0)
        );
    }
}

//! Shared helpers for the integration tests: they run the real `hull` binary
//! on the real kernel.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

pub mod clients;

/// The hull binary cargo built for these tests.
pub fn hull() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hull"))
}

/// Runs hull with `args`, stdin closed; returns the output (bounded: see
/// [`Bounded`]).
pub fn run(args: &[&str]) -> Output {
    hull().args(args).output_bounded()
}

/// How long any process a test starts may take: generous, because a loaded
/// 2-core machine can stall a start for seconds. A guard against a hang
/// (which would stall CI with no message), not a timing assertion.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Every process a test starts goes through these instead of
/// `output`/`status`/`spawn`: past its deadline it is killed (with its
/// whole process group: strace's tracees, a hull and what it started) and
/// the test fails with the command line and what it printed so far.
pub trait Bounded {
    /// As `Command::output` (stdin `/dev/null`), within [`DEADLINE`].
    fn output_bounded(&mut self) -> Output {
        self.output_within(DEADLINE)
    }
    /// As `Command::output` (stdin `/dev/null`), within `limit`.
    fn output_within(&mut self, limit: Duration) -> Output;
    /// As `Command::spawn` (stdin as configured, inherited by default), with
    /// stdout and stderr captured; the deadline is [`DEADLINE`] from now.
    fn spawn_bounded(&mut self) -> Proc;
}

impl Bounded for Command {
    fn output_within(&mut self, limit: Duration) -> Output {
        self.stdin(Stdio::null());
        Proc::start(self, limit).wait_with_output()
    }

    fn spawn_bounded(&mut self) -> Proc {
        Proc::start(self, DEADLINE)
    }
}

/// A running child with a deadline, in a process group of its own; its
/// stdout and stderr are read by threads as they come. Dropped unfinished
/// (a test failed), its group is killed: nothing is left running.
pub struct Proc {
    child: Child,
    what: String,
    limit: Duration,
    deadline: Instant,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    /// One message per output stream at its end of file.
    eof: mpsc::Receiver<()>,
    status: Option<ExitStatus>,
}

impl Proc {
    fn start(cmd: &mut Command, limit: Duration) -> Proc {
        let what = format!("{cmd:?}");
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        let (tx, eof) = mpsc::channel();
        let out = Self::reader(child.stdout.take().unwrap(), tx.clone());
        let err = Self::reader(child.stderr.take().unwrap(), tx);
        Proc {
            child,
            what,
            limit,
            deadline: Instant::now() + limit,
            out,
            err,
            eof,
            status: None,
        }
    }

    fn reader(mut r: impl Read + Send + 'static, tx: mpsc::Sender<()>) -> Arc<Mutex<Vec<u8>>> {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let b = buf.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            loop {
                match r.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => b.lock().unwrap().extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = tx.send(());
        });
        buf
    }

    /// The process id (also its process group's).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its stdin, when it was configured `Stdio::piped()`.
    pub fn stdin(&mut self) -> ChildStdin {
        self.child.stdin.take().expect("stdin was not piped")
    }

    /// What it wrote to stdout so far.
    pub fn stdout_now(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    /// What it wrote to stderr so far.
    pub fn stderr_now(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }

    /// Waits (bounded) until its stdout so far satisfies `done`; returns it.
    pub fn wait_stdout(&mut self, done: impl Fn(&str) -> bool) -> String {
        loop {
            let s = self.stdout_now();
            if done(&s) {
                return s;
            }
            if Instant::now() >= self.deadline {
                self.fail("never printed what the test waits for");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Its exit status if it has exited (reaped), else None.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("waitpid");
        }
        self.status
    }

    /// Waits until it exits, at most `secs` seconds (and never past the
    /// deadline); None if it is still running then (it is left running).
    pub fn wait_within(&mut self, secs: u64) -> Option<ExitStatus> {
        let end = (Instant::now() + Duration::from_secs(secs)).min(self.deadline);
        loop {
            if let Some(st) = self.try_wait() {
                return Some(st);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits (bounded) until it exits; fails the test past the deadline.
    pub fn wait(&mut self) -> ExitStatus {
        let secs = self.deadline.saturating_duration_since(Instant::now());
        match self.wait_within(secs.as_secs() + 1) {
            Some(st) => st,
            None => self.fail("did not exit"),
        }
    }

    /// Waits (bounded) until it exits and its output ends.
    pub fn wait_with_output(mut self) -> Output {
        let status = self.wait();
        for _ in 0..2 {
            // A process it started may hold the pipes open after it exits;
            // a little grace past the deadline, then that is a failure too.
            let left = self.deadline.saturating_duration_since(Instant::now());
            if self
                .eof
                .recv_timeout(left.max(Duration::from_secs(5)))
                .is_err()
            {
                self.fail("exited, but a process it started still holds its output open");
            }
        }
        Output {
            status,
            stdout: std::mem::take(&mut *self.out.lock().unwrap()),
            stderr: std::mem::take(&mut *self.err.lock().unwrap()),
        }
    }

    /// SIGKILL to this process alone, not its group (a supervisor's kill;
    /// what it started must go down by itself).
    pub fn sigkill(&mut self) {
        self.child.kill().expect("kill");
    }

    /// Kills its whole process group if it has not been reaped yet (after
    /// that its pid, hence the group's id, could be reused).
    fn kill_group(&mut self) {
        if self.try_wait().is_none() {
            if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
                let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            }
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
    }

    /// Kills it (and its group) and fails the test, saying what it printed.
    fn fail(&mut self, what: &str) -> ! {
        self.kill_group();
        panic!(
            "{} {what} within {} s (killed).\n--- its stdout so far:\n{}\n--- its stderr so far:\n{}",
            self.what,
            self.limit.as_secs(),
            self.stdout_now(),
            self.stderr_now()
        );
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill_group();
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// The one way a test skips: under `CI` (set by CI systems and by
/// `CI=true bash .ci/run`) a skip is a failure, since CI provides every
/// condition the tests need; elsewhere a `SKIPPED <test>: <reason>` line
/// goes straight to stderr (past the harness's capture, so it is seen).
/// Returns false, so that a check reads `cond || skip(test, why)`.
pub fn skip(test: &str, reason: &str) -> bool {
    if std::env::var_os("CI").is_some() {
        panic!("{test} cannot run here ({reason}), and skips are failures under CI");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
    false
}

/// Tests that need root: without root the test fails, unless
/// HULL_SKIP_ROOT_TESTS=1 says skipping is intended (a loud [`skip`], which
/// still fails under CI).
pub fn need_root(test: &str) -> bool {
    if is_root() {
        return true;
    }
    if std::env::var_os("HULL_SKIP_ROOT_TESTS").is_some() {
        return skip(test, "needs root (namespaces, mounts)");
    }
    panic!(
        "{test} needs root; run the tests as root, or set HULL_SKIP_ROOT_TESTS=1 to skip them loudly"
    );
}

/// A host tool the test drives (.ci/run installs them): a [`skip`] if missing.
pub fn need_tool(test: &str, tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    found
        || skip(
            test,
            &format!("'{tool}' is not installed (.ci/run installs it)"),
        )
}

/// kill(1) (the tests use no libc crate): sends `sig` (a name) to `pid`,
/// and fails the test if it could not be sent.
pub fn kill(pid: u32, sig: &str) {
    let o = Command::new("kill")
        .args(["-s", sig, &pid.to_string()])
        .output_bounded();
    assert!(o.status.success(), "kill -s {sig} {pid}: {}", stderr(&o));
}

/// The host's mount table, for before/after comparisons.
pub fn host_mountinfo() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").expect("read mountinfo")
}

/// Pids of the direct children of `pid`.
pub fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// How many 10 ms polls a wait for an event may take before the test gives
/// up: a guard against hanging, not a timing assertion. Generous, because
/// a loaded 2-core machine can stall a fork and exec for seconds.
pub const POLLS: u32 = 3000;

/// Waits (bounded) until `pid` has a child, and returns it.
pub fn wait_for_child(pid: u32) -> u32 {
    for _ in 0..POLLS {
        if let Some(&c) = children(pid).first() {
            return c;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let alive = std::path::Path::new(&format!("/proc/{pid}")).exists();
    panic!("process {pid} never got a child (still alive: {alive})");
}

/// Waits (bounded) until `/proc/<pid>/cmdline` starts with `argv0`, i.e. the
/// child has exec'd.
pub fn wait_for_exec(pid: u32, argv0: &str) {
    for _ in 0..POLLS {
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if cmd.split(|&b| b == 0).next() == Some(argv0.as_bytes()) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("process {pid} never exec'd {argv0}");
}

/// A busybox root filesystem (from Debian's busybox-static, which .ci/run
/// installs) in a fresh directory under cargo's target tmpdir; removed on
/// drop. Applets are absolute symlinks (`/bin/sh -> /bin/busybox`), which
/// only resolve correctly inside the rootfs.
pub struct Rootfs(pub std::path::PathBuf);

impl Rootfs {
    pub fn new(tag: &str) -> Option<Rootfs> {
        let bb = std::path::Path::new("/bin/busybox");
        let bb = if bb.exists() {
            bb.to_path_buf()
        } else {
            std::path::PathBuf::from("/usr/bin/busybox")
        };
        if !bb.exists() {
            skip(
                tag,
                "busybox is not installed (.ci/run installs busybox-static)",
            );
            return None;
        }
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("rootfs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for d in ["bin", "proc", "dev", "sys", "tmp", "etc", "root", "mnt"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        if std::fs::hard_link(&bb, dir.join("bin/busybox")).is_err() {
            std::fs::copy(&bb, dir.join("bin/busybox")).unwrap();
        }
        let list = Command::new(&bb).arg("--list").output_bounded();
        for applet in String::from_utf8_lossy(&list.stdout).lines() {
            if applet != "busybox" {
                std::os::unix::fs::symlink("/bin/busybox", dir.join("bin").join(applet)).unwrap();
            }
        }
        std::fs::write(dir.join("ROOTFS_MARKER"), "rootfs\n").unwrap();
        Some(Rootfs(dir))
    }

    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// `hull run --rootfs DIR <args>`, stdin closed.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut a = vec!["run", "--rootfs", self.path()];
        a.extend_from_slice(args);
        run(&a)
    }
}

impl Drop for Rootfs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh, empty temporary directory, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("hull-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where cargo builds: `CARGO_TARGET_DIR`, or `target/` in the package.
pub fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Builds the binary that ships (the release build) and returns its path.
/// The size test measures it and the VM test boots it.
pub fn release_hull() -> std::path::PathBuf {
    // A cold release build (LTO) takes a while on a busy machine.
    let o = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "hull"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output_within(Duration::from_secs(900));
    assert!(
        o.status.success(),
        "cargo build --release failed: {}",
        stderr(&o)
    );
    target_dir().join("release/hull")
}

/// The calls a start makes: processes, files and directories, mounts,
/// namespaces. A refused start, or a dry run, must make none of them.
pub const STARTING_CALLS: &str = "clone,clone3,fork,vfork,execve,execveat,mkdir,mkdirat,mknodat,\
symlinkat,mount,fsopen,fsmount,move_mount,open_tree,mount_setattr,pivot_root,unshare,setns";

/// Runs `hull ARGS` under `strace -f -qq STRACE_ARGS`; returns hull's
/// output and strace's log ("PID name(args) = ret" lines; hull's pid, which
/// names its groups, leads the first).
pub fn strace_log(strace_args: &[&str], args: &[&str]) -> (Output, String) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let log = std::env::temp_dir().join(format!("hull-trace-{}-{n}", std::process::id()));
    let o = Command::new("strace")
        .args(["-f", "-qq"])
        .args(strace_args)
        .arg("-o")
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_hull"))
        .args(args)
        .output_bounded();
    let trace = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    (o, trace)
}

/// The names of the calls in a strace log, in order. A call strace split
/// in two ("<unfinished ...>", then "<... name resumed>") counts once.
pub fn call_names(trace: &str) -> Vec<String> {
    trace
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1)?.split_once('('))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Runs `hull ARGS` under `strace -f`, tracing `calls` (a `-e trace=`
/// list); returns hull's output and the names of the calls strace saw, in
/// every process, in order (strace's own execve of hull first).
pub fn strace_hull(args: &[&str], calls: &str) -> (Output, Vec<String>) {
    let (o, trace) = strace_log(&["-e", &format!("trace={calls}")], args);
    (o, call_names(&trace))
}

/// The control for [`STARTING_CALLS`]: strace does see a real start's
/// clone3, mounts and cgroup directory (so their absence elsewhere means
/// something). Needs root.
pub fn assert_strace_sees_a_start() {
    let (o, calls) = strace_hull(&["run", "true"], STARTING_CALLS);
    assert!(o.status.success(), "{}", stderr(&o));
    for call in [
        "execve",
        "clone3",
        "mkdirat",
        "fsmount",
        "move_mount",
        "setns",
    ] {
        assert!(calls.iter().any(|c| c == call), "no {call} in {calls:?}");
    }
}

/// `sh -ec cmd`, which must succeed (its stderr in the failure).
pub fn sh_ok(cmd: &str) {
    let o = Command::new("sh").args(["-ec", cmd]).output().unwrap();
    assert!(o.status.success(), "{cmd}: {}", stderr(&o));
}

/// Held by a test while it changes the host's mount table, and by one
/// that checks the table is unchanged: tests of one binary run in
/// parallel threads.
pub fn host_mounts_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A tmpfs of the test's own on `dir`, made shared (what is mounted below
/// it then propagates to its slaves) with an empty `sub` directory in it;
/// unmounted, with everything below it, when dropped. It holds
/// [`host_mounts_lock`] meanwhile.
pub struct SharedTmpfs(pub String, std::sync::MutexGuard<'static, ()>);

impl SharedTmpfs {
    pub fn new(dir: &str) -> SharedTmpfs {
        let lock = host_mounts_lock();
        sh_ok(&format!(
            "mount -t tmpfs tmpfs {dir} && mount --make-shared {dir} && mkdir {dir}/sub"
        ));
        SharedTmpfs(dir.to_string(), lock)
    }
}

impl Drop for SharedTmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").args(["-R", &self.0]).status();
    }
}

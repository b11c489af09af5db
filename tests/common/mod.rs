//! Shared helpers for the integration tests: they run the real `hull` binary
//! on the real kernel.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

pub mod clients;

/// The hull binary cargo built for these tests.
pub fn hull() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hull"))
}

/// Runs hull with `args`, stdin closed; returns the output.
pub fn run(args: &[&str]) -> Output {
    hull()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("spawn hull")
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

/// Loud skip for tests that need root. Without root the test fails, unless
/// HULL_SKIP_ROOT_TESTS=1 says skipping is intended; then a SKIPPED line goes
/// straight to the terminal (past the test harness's capture).
pub fn need_root(test: &str) -> bool {
    if is_root() {
        return true;
    }
    if std::env::var_os("HULL_SKIP_ROOT_TESTS").is_some() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: needs root (namespaces, mounts)"
        );
        return false;
    }
    panic!(
        "{test} needs root; run the tests as root, or set HULL_SKIP_ROOT_TESTS=1 to skip them loudly"
    );
}

/// Skips (loudly) when a host tool the test drives is missing; .ci/run installs them.
pub fn need_tool(test: &str, tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("{test}: '{tool}' is not installed; .ci/run should have installed it");
        }
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: '{tool}' is not installed"
        );
    }
    found
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
            if std::env::var_os("CI").is_some() {
                panic!(
                    "{tag}: busybox is not installed; .ci/run should have installed busybox-static"
                );
            }
            let _ = writeln!(std::io::stderr(), "SKIPPED {tag}: busybox is not installed");
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
        let list = Command::new(&bb).arg("--list").output().unwrap();
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
    let st = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "hull"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build --release");
    assert!(st.success(), "cargo build --release failed");
    target_dir().join("release/hull")
}

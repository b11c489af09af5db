//! The acceptance harness of issue 16: real clients (podman, and containerd
//! through `ctr`) driving an OCI runtime given by its path. Every scenario is
//! a `pub fn NAME(runtime: &Path)`; `client_scenarios!` turns the whole list
//! into one `#[test]` per scenario for a runtime (tests/clients_runc.rs runs
//! them with runc, so the harness is proven before hull speaks the OCI
//! command line).
//!
//! Each client gets an environment of its own in a fresh temporary
//! directory, fully offline: podman with a `containers.conf` and a
//! `storage.conf` there (given through `CONTAINERS_CONF` and
//! `CONTAINERS_STORAGE_CONF` on each command it runs, never the machine's
//! files), containerd started by the test with its root, state and socket
//! there. The image is a busybox root filesystem the harness builds
//! (`common::Rootfs`): `podman import` of its tar, and an OCI archive written
//! by hand for `ctr images import`.
//!
//! Every client command runs under a deadline (`TIMEOUT`): past it the
//! command is killed and the test fails, so no scenario can hang. A scenario
//! ends with `finish()`, which fails the test if anything is left behind
//! (containers, the runtime's state, cgroups, mounts, processes); the
//! environments' `Drop` then removes what is left even after a failure.
//! The environments run one at a time (a lock): podman and containerd use a
//! few machine-wide places (podman's `libpod_parent` cgroups, containerd's
//! `/run/containerd/s`) that one environment removes at its end.

use super::{Rootfs, need_root, need_tool};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long one client command (or one wait for a state) may take before
/// it is killed and the test fails: a guard against hanging, not a timing
/// assertion. A run takes well under a second, and a loaded 2-core machine
/// can stall one for seconds; a runtime that hangs costs each scenario
/// about this long, so all of them about 10 minutes.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// How long, after a scenario, what it started may take to go away (conmon
/// and containerd's shim exit just after the client returns).
const SETTLE: Duration = Duration::from_secs(15);

/// The image both clients run.
pub const IMAGE: &str = "localhost/hull-bb:latest";

/// One environment at a time, for the whole test binary.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    // A scenario that failed poisons the lock; its environment was still
    // cleaned up by Drop, so the next one may go on.
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The path of `tool` found on PATH; a missing one is a loud skip (None),
/// or a failure under CI (`need_tool`).
pub fn find_tool(test: &str, tool: &str) -> Option<PathBuf> {
    if !need_tool(test, tool) {
        return None;
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// The exit status as a shell shows it: the code, or 128 + the signal.
pub fn code(o: &Output) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    o.status
        .code()
        .or_else(|| o.status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

/// Everything about a finished command, for failure messages.
pub fn show(o: &Output) -> String {
    format!(
        "status {}, stdout {:?}, stderr {:?}",
        code(o),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Asserts the exit status and the exact stdout of `o`.
#[track_caller]
pub fn expect(o: &Output, status: i32, stdout: &str) {
    assert!(
        code(o) == status && o.stdout == stdout.as_bytes(),
        "expected status {status} and stdout {stdout:?}; got {}",
        show(o)
    );
}

/// Waits (bounded by `limit`) for `child`; past it, kills it and fails.
/// Its stdout and stderr are the files `out` and `err`.
fn wait_within(mut child: Child, what: &str, out: &Path, err: &Path, limit: Duration) -> Output {
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} did not finish within {limit:?} (killed); stdout {:?}, stderr {:?}",
                std::fs::read_to_string(out).unwrap_or_default(),
                std::fs::read_to_string(err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let o = Output {
        status,
        stdout: std::fs::read(out).unwrap_or_default(),
        stderr: std::fs::read(err).unwrap_or_default(),
    };
    let _ = std::fs::remove_file(out);
    let _ = std::fs::remove_file(err);
    o
}

/// A command started with stdin closed and its output going to two files
/// in `scratch` (files, not pipes: a daemon a client leaves behind could
/// hold a pipe open forever). Collect it with `Started::wait`.
pub struct Started {
    child: Child,
    what: String,
    out: PathBuf,
    err: PathBuf,
}

impl Started {
    pub fn new(mut cmd: Command, scratch: &Path) -> Started {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let out = scratch.join(format!("cmd-{n}.out"));
        let err = scratch.join(format!("cmd-{n}.err"));
        let what = format!("{cmd:?}");
        // In the scratch directory: conmon, which podman starts, inherits
        // the working directory and writes its `oom` file there when the
        // container is OOM-killed.
        cmd.current_dir(scratch)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("create stdout file"))
            .stderr(std::fs::File::create(&err).expect("create stderr file"));
        let child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        Started {
            child,
            what,
            out,
            err,
        }
    }

    /// Waits (bounded by `TIMEOUT`) and returns the output.
    pub fn wait(self) -> Output {
        wait_within(self.child, &self.what, &self.out, &self.err, TIMEOUT)
    }
}

/// Runs `cmd` to completion, bounded by `TIMEOUT`.
pub fn output_within(cmd: Command, scratch: &Path) -> Output {
    Started::new(cmd, scratch).wait()
}

/// Polls `f` (every 20 ms, bounded by `limit`) until it returns Some.
pub fn poll<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A fresh directory under the system's temporary directory, named after
/// the client and this process. Kept short: podman's attach socket is
/// `GRAPHROOT/vfs-containers/ID/userdata/attach`, and when that path was
/// 153 bytes long (a directory named after the test) every foreground
/// `podman run` took 20 s more; it is about 130 bytes now.
fn fresh_dir(client: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("hull-{client}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `dir`/rootfs.tar: the busybox root filesystem of
/// `common::Rootfs` (busybox-static and its applets' symlinks), owned by
/// root. None when busybox is missing (a loud skip; a failure under CI).
fn rootfs_tar(tag: &str, dir: &Path) -> Option<PathBuf> {
    let rootfs = Rootfs::new(tag)?;
    let tar = dir.join("rootfs.tar");
    let mut c = Command::new("tar");
    c.arg("--numeric-owner")
        .arg("--owner=0")
        .arg("--group=0")
        .arg("-C")
        .arg(&rootfs.0)
        .arg("-cf")
        .arg(&tar)
        .arg(".");
    let o = output_within(c, dir);
    assert!(o.status.success(), "tar the rootfs: {}", show(&o));
    Some(tar)
}

/// `sha256sum` of a file, as "sha256:HEX".
fn sha256(file: &Path, scratch: &Path) -> String {
    let mut c = Command::new("sha256sum");
    c.arg(file);
    let o = output_within(c, scratch);
    assert!(o.status.success(), "sha256sum: {}", show(&o));
    let hex = String::from_utf8_lossy(&o.stdout);
    format!("sha256:{}", hex.split_whitespace().next().unwrap())
}

/// Stores `file` as a blob of the OCI layout `blobs`; returns its digest
/// and size.
fn add_blob(blobs: &Path, file: &Path, scratch: &Path) -> (String, u64) {
    let digest = sha256(file, scratch);
    let size = std::fs::metadata(file).unwrap().len();
    std::fs::rename(file, blobs.join(&digest["sha256:".len()..])).unwrap();
    (digest, size)
}

/// Writes an OCI image archive (an OCI image layout in a tar, as
/// `podman save --format oci-archive` writes it) of the root filesystem
/// tar `layer`, with one uncompressed layer and the tag `latest`; returns
/// its path. Built by hand, so containerd's scenarios need no podman.
pub fn oci_archive(layer: &Path, dir: &Path) -> PathBuf {
    let layout = dir.join("oci-layout-dir");
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let copy = dir.join("layer-blob");
    std::fs::copy(layer, &copy).unwrap();
    // Uncompressed: the layer's digest is also its diff id.
    let (layer_digest, layer_size) = add_blob(&blobs, &copy, dir);
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["sh"]
        },
        "rootfs": { "type": "layers", "diff_ids": [layer_digest] }
    });
    let f = dir.join("config-blob");
    std::fs::write(&f, config.to_string()).unwrap();
    let (config_digest, config_size) = add_blob(&blobs, &f, dir);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config_size
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": layer_digest,
            "size": layer_size
        }]
    });
    let f = dir.join("manifest-blob");
    std::fs::write(&f, manifest.to_string()).unwrap();
    let (manifest_digest, manifest_size) = add_blob(&blobs, &f, dir);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest_size,
            "platform": { "architecture": "amd64", "os": "linux" },
            "annotations": { "org.opencontainers.image.ref.name": "latest" }
        }]
    });
    std::fs::write(layout.join("index.json"), index.to_string()).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let archive = dir.join("image-oci.tar");
    let mut c = Command::new("tar");
    c.arg("-C")
        .arg(&layout)
        .arg("-cf")
        .arg(&archive)
        .args(["oci-layout", "index.json", "blobs"]);
    let o = output_within(c, dir);
    assert!(o.status.success(), "tar the OCI layout: {}", show(&o));
    std::fs::remove_dir_all(&layout).unwrap();
    archive
}

/// A script that appends its arguments (one call a line) to `log` and then
/// execs `runtime` with them: it shows how a client calls the runtime. It
/// has the runtime's file name (in a directory of its own), since podman
/// decides by that name how to call it (`runtime_supports_json`).
pub fn logging_wrapper(dir: &Path, runtime: &Path, log: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let w = dir.join("wrapper");
    std::fs::create_dir_all(&w).unwrap();
    let w = w.join(runtime.file_name().unwrap());
    std::fs::write(
        &w,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            runtime.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&w, std::fs::Permissions::from_mode(0o755)).unwrap();
    w
}

/// The hard limit of `name` ("Max open files") in /proc/self/limits,
/// capped at `cap` (and `cap` for "unlimited").
fn hard_limit(name: &str, cap: u64) -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    limits
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l[name.len()..].split_whitespace().nth(1)?.parse().ok())
        .map_or(cap, |h: u64| h.min(cap))
}

/// The mount point of each cgroup hierarchy (v1 or v2) of this machine.
fn cgroup_mounts() -> Vec<PathBuf> {
    super::host_mountinfo()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let sep = f.iter().position(|x| *x == "-")?;
            let fstype = *f.get(sep + 1)?;
            (fstype == "cgroup" || fstype == "cgroup2").then(|| PathBuf::from(f[4]))
        })
        .collect()
}

/// Directories up to `depth` levels under `dir` named one of `names`, or
/// ending with `-NAME` (podman's `libpod-ID`).
fn dirs_named(dir: &Path, names: &[String], depth: u32, found: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        if !e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        if names.iter().any(|n| {
            name == *n
                || name
                    .strip_suffix(n.as_str())
                    .is_some_and(|p| p.ends_with('-'))
        }) {
            found.push(e.path());
        } else if depth > 1 {
            dirs_named(&e.path(), names, depth - 1, found);
        }
    }
}

/// Pids (other than `except`) whose command line mentions `needle`.
fn processes_mentioning(needle: &str, except: &[u32]) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() || except.contains(&pid) {
            continue;
        }
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(needle) {
            found.push((pid, cmd));
        }
    }
    found
}

/// What a scenario left behind on the machine: processes (but `except`) and
/// mounts that mention `dir`; cgroups and runtime state directories under
/// /run (`/run/runc/ID`, `/run/hull/ID`, ...) named after one of `ids`.
fn leftovers(dir: &Path, ids: &[String], except: &[u32]) -> Vec<String> {
    let d = dir.to_str().unwrap();
    let mut left: Vec<String> = processes_mentioning(d, except)
        .into_iter()
        .map(|(pid, cmd)| format!("process {pid}: {cmd}"))
        .collect();
    left.extend(
        super::host_mountinfo()
            .lines()
            .filter(|l| l.contains(d))
            .map(|l| format!("mount: {l}")),
    );
    if !ids.is_empty() {
        let mut found = Vec::new();
        for m in cgroup_mounts() {
            dirs_named(&m, ids, 3, &mut found);
        }
        dirs_named(Path::new("/run"), ids, 3, &mut found);
        left.extend(found.iter().map(|p| format!("directory: {}", p.display())));
    }
    left
}

/// Waits (bounded by `SETTLE`) until nothing is left behind, else fails.
fn assert_clean(what: &str, dir: &Path, ids: &[String], except: &[u32]) {
    let mut last = Vec::new();
    let clean = poll(SETTLE, || {
        last = leftovers(dir, ids, except);
        last.is_empty().then_some(())
    });
    assert!(clean.is_some(), "{what} left behind:\n{}", last.join("\n"));
}

/// Kills (SIGKILL, by pid) the processes that mention `dir`, but `except`.
fn kill_mentioning(dir: &Path, except: &[u32]) {
    for (pid, _) in processes_mentioning(dir.to_str().unwrap(), except) {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .stderr(Stdio::null())
            .status();
    }
}

/// Unmounts (lazily, deepest first) whatever is mounted under `dir`.
fn unmount_under(dir: &Path) {
    let d = dir.to_str().unwrap();
    let mut points: Vec<String> = super::host_mountinfo()
        .lines()
        .filter_map(|l| l.split(' ').nth(4).map(str::to_string))
        .filter(|p| p.starts_with(d))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in points {
        let _ = Command::new("umount").args(["-l", &p]).status();
    }
}

/// Machine-wide files and directories a client creates when they are
/// missing (listed deepest first); the environment removes those that did
/// not exist when it started: files, and directories once empty (another
/// user of the machine may have come meanwhile).
struct Created(Vec<PathBuf>);

impl Created {
    fn note(paths: &[&str]) -> Created {
        Created(
            paths
                .iter()
                .map(PathBuf::from)
                .filter(|p| !p.exists())
                .collect(),
        )
    }

    fn remove(&self) {
        for p in &self.0 {
            if p.is_dir() {
                let _ = std::fs::remove_dir(p);
            } else {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// Removes the cgroup directory `rel` (and its subdirectories, which must
/// be empty of processes) in every hierarchy.
fn remove_cgroup_tree(rel: &str) {
    fn rm(d: &Path) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    rm(&e.path());
                }
            }
        }
        let _ = std::fs::remove_dir(d);
    }
    for m in cgroup_mounts() {
        let d = m.join(rel);
        if d.exists() {
            rm(&d);
        }
    }
}

// ---------------------------------------------------------------- podman

/// A podman of its own: configuration, storage, events and temporary files
/// in a fresh directory, the image `IMAGE` imported, the runtime under test
/// given with `--runtime` on every command.
pub struct Podman {
    pub dir: PathBuf,
    runtime: PathBuf,
    conf: PathBuf,
    storage_conf: PathBuf,
    created: Created,
    _serial: MutexGuard<'static, ()>,
}

impl Podman {
    /// None (a loud skip, or a failure under CI) when podman, conmon or
    /// busybox is missing.
    pub fn new(test: &str, runtime: &Path) -> Option<Podman> {
        if !need_root(test) || !need_tool(test, "podman") || !need_tool(test, "conmon") {
            return None;
        }
        let serial = serial();
        // podman writes its blob cache under /var/lib/containers whatever
        // the storage says.
        let created = Created::note(&[
            "/var/lib/containers/cache/blob-info-cache-v1.boltdb",
            "/var/lib/containers/cache",
            "/var/lib/containers",
        ]);
        let dir = fresh_dir("podman");
        let p = Podman {
            conf: dir.join("containers.conf"),
            storage_conf: dir.join("storage.conf"),
            dir,
            runtime: runtime.to_path_buf(),
            created,
            _serial: serial,
        };
        let tar = rootfs_tar(&format!("podman-{test}"), &p.dir)?;
        let d = p.dir.display();
        // Within the machine's hard limits (raising one needs
        // CAP_SYS_RESOURCE, which root may lack, as on this machine kind).
        // Rootful podman also lowers its own RLIMIT_NPROC to 32768 before it
        // starts conmon, so the runtime cannot set more than that.
        let nofile = hard_limit("Max open files", 1 << 20);
        let nproc = hard_limit("Max processes", 32768);
        let name = runtime.file_name().unwrap().to_str().unwrap();
        std::fs::write(
            &p.conf,
            format!(
                r#"[containers]
# Offline: no network namespace setup (private needs slirp4netns or CNI).
netns = "none"
default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]

[network]
network_config_dir = "{d}/networks"

[engine]
# podman passes `--log-format=json --log FILE` (and reads its errors from
# FILE) only to the runtimes named here; runc and crun are by default.
runtime_supports_json = ["{name}"]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{d}/events.log"
tmp_dir = "{d}/libpod-tmp"
image_copy_tmp_dir = "{d}/tmp"
static_dir = "{d}/storage/libpod"
volume_path = "{d}/storage/volumes"
"#
            ),
        )
        .unwrap();
        std::fs::write(
            &p.storage_conf,
            format!(
                r#"[storage]
driver = "vfs"
graphroot = "{d}/storage"
runroot = "{d}/run"
"#
            ),
        )
        .unwrap();
        for sub in ["networks", "tmp", "libpod-tmp"] {
            std::fs::create_dir_all(p.dir.join(sub)).unwrap();
        }
        let o = p.podman(&["import", tar.to_str().unwrap(), IMAGE]);
        assert!(o.status.success(), "podman import: {}", show(&o));
        std::fs::remove_file(&tar).unwrap();
        Some(p)
    }

    /// `podman --runtime RUNTIME`, with this environment's configuration.
    pub fn command(&self) -> Command {
        let mut c = Command::new("podman");
        c.env("CONTAINERS_CONF", &self.conf)
            .env("CONTAINERS_STORAGE_CONF", &self.storage_conf)
            .arg("--runtime")
            .arg(&self.runtime);
        c
    }

    /// `podman --runtime RUNTIME ARGS...`, bounded.
    pub fn podman(&self, args: &[&str]) -> Output {
        let mut c = self.command();
        c.args(args);
        output_within(c, &self.dir)
    }

    /// `podman --runtime RUNTIME run ARGS...`, started (collect it with
    /// `Started::wait`).
    pub fn start_run(&self, args: &[&str]) -> Started {
        let mut c = self.command();
        c.arg("run").args(args);
        Started::new(c, &self.dir)
    }

    /// `podman --runtime RUNTIME run ARGS...`, bounded.
    pub fn run(&self, args: &[&str]) -> Output {
        self.start_run(args).wait()
    }

    /// `podman run --rm IMAGE CMD...`, bounded.
    pub fn run_rm(&self, opts: &[&str], cmd: &[&str]) -> Output {
        let mut a = vec!["--rm"];
        a.extend_from_slice(opts);
        a.push(IMAGE);
        a.extend_from_slice(cmd);
        self.run(&a)
    }

    /// The ids of every container this podman created (its events log).
    pub fn container_ids(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.dir.join("events.log")).unwrap_or_default();
        let mut ids: Vec<String> = log
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|e| e["Type"] == "container")
            .filter_map(|e| e["ID"].as_str().map(str::to_string))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// `podman inspect -f FORMAT NAME`, trimmed.
    pub fn inspect(&self, name: &str, format: &str) -> String {
        let o = self.podman(&["inspect", "-f", format, name]);
        assert!(o.status.success(), "podman inspect: {}", show(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    /// Waits (bounded) until container `name` is running.
    pub fn wait_running(&self, name: &str) {
        let ok = poll(TIMEOUT, || {
            let o = self.podman(&["inspect", "-f", "{{.State.Status}}", name]);
            (o.stdout == b"running\n").then_some(())
        });
        assert!(ok.is_some(), "container {name} never ran");
    }

    /// Waits (bounded) until `podman logs NAME` shows `text`.
    pub fn wait_logs(&self, name: &str, text: &str) -> String {
        let mut last = String::new();
        let seen = poll(TIMEOUT, || {
            let o = self.podman(&["logs", name]);
            last = String::from_utf8_lossy(&o.stdout).into_owned();
            last.contains(text).then_some(())
        });
        assert!(
            seen.is_some(),
            "logs of {name} never showed {text:?}: {last:?}"
        );
        last
    }

    /// Fails unless the scenario left nothing behind: no container, and for
    /// each container it ran no runtime state, cgroup, mount or process.
    pub fn finish(self) {
        let o = self.podman(&["ps", "-aq"]);
        expect(&o, 0, "");
        let ids = self.container_ids();
        assert!(!ids.is_empty(), "the events log names no container");
        assert_clean("podman", &self.dir, &ids, &[]);
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        // Even after a failure: no container goes on running.
        let mut c = self.command();
        c.args(["rm", "-af", "-t", "0"]);
        let _ =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| output_within(c, &self.dir)));
        kill_mentioning(&self.dir, &[]);
        unmount_under(&self.dir);
        let _ = std::fs::remove_dir_all(&self.dir);
        // conmon's cgroups (libpod_parent/conmon) and the containers'
        // parent: podman never removes them. Only empty ones go.
        remove_cgroup_tree("libpod_parent");
        self.created.remove();
    }
}

// ------------------------------------------------------------ containerd

/// A containerd of its own, started by the test: root, state, sockets and
/// FIFOs in a fresh directory, the image `IMAGE` imported from an OCI
/// archive, a namespace (and so a cgroup parent) of its own. `ctr run`
/// gets the runtime under test with `--runc-binary` and its state directory
/// with `--runc-root`, in the same directory.
pub struct Containerd {
    pub dir: PathBuf,
    runtime: PathBuf,
    daemon: Option<Child>,
    /// The containerd namespace: also the cgroup parent of the tasks.
    pub ns: String,
    /// Where the runtime keeps its state (the shim passes `--root
    /// RUNC_ROOT/NS`).
    pub runc_root: PathBuf,
    ids: std::cell::RefCell<Vec<String>>,
    created: Created,
    _serial: MutexGuard<'static, ()>,
}

impl Containerd {
    /// None (a loud skip, or a failure under CI) when containerd, ctr, its
    /// runc shim or busybox is missing.
    pub fn new(test: &str, runtime: &Path) -> Option<Containerd> {
        if !need_root(test)
            || !need_tool(test, "containerd")
            || !need_tool(test, "ctr")
            || !need_tool(test, "containerd-shim-runc-v2")
        {
            return None;
        }
        let serial = serial();
        // The shims' sockets: containerd 1.6 puts them in
        // /run/containerd/s whatever its configuration says.
        let created = Created::note(&["/run/containerd/s", "/run/containerd"]);
        let dir = fresh_dir("containerd");
        let mut c = Containerd {
            runc_root: dir.join("runc"),
            dir,
            runtime: runtime.to_path_buf(),
            daemon: None,
            ns: format!("hull-test-{}", std::process::id()),
            ids: Default::default(),
            created,
            _serial: serial,
        };
        let tar = rootfs_tar(&format!("containerd-{test}"), &c.dir)?;
        let archive = oci_archive(&tar, &c.dir);
        std::fs::remove_file(&tar).unwrap();
        let d = c.dir.display();
        let config = c.dir.join("config.toml");
        std::fs::write(
            &config,
            format!(
                r#"version = 2
root = "{d}/root"
state = "{d}/state"
# Kubernetes' plugin is not needed to run ctr, and wants a network.
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{d}/containerd.sock"

[ttrpc]
  address = "{d}/containerd.sock.ttrpc"

[debug]
  address = "{d}/debug.sock"

[metrics]
  address = ""
"#
            ),
        )
        .unwrap();
        std::fs::create_dir_all(c.dir.join("fifo")).unwrap();
        let log = std::fs::File::create(c.dir.join("containerd.log")).unwrap();
        c.daemon = Some(
            Command::new("containerd")
                .current_dir(&c.dir)
                .arg("--config")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("start containerd"),
        );
        let up = poll(TIMEOUT, || {
            c.dir.join("containerd.sock").exists().then_some(())?;
            c.ctr(&["version"]).status.success().then_some(())
        });
        assert!(
            up.is_some(),
            "containerd did not start: {}",
            std::fs::read_to_string(c.dir.join("containerd.log")).unwrap_or_default()
        );
        let base = IMAGE.strip_suffix(":latest").unwrap();
        let o = c.ctr(&[
            "images",
            "import",
            "--base-name",
            base,
            archive.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "ctr images import: {}", show(&o));
        std::fs::remove_file(&archive).unwrap();
        Some(c)
    }

    /// The path of containerd's socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("containerd.sock")
    }

    /// `ctr -a SOCKET -n NS`.
    pub fn command(&self) -> Command {
        let mut c = Command::new("ctr");
        c.arg("-a").arg(self.socket()).args(["-n", &self.ns]);
        c
    }

    /// `ctr -a SOCKET -n NS ARGS...`, bounded.
    pub fn ctr(&self, args: &[&str]) -> Output {
        let mut c = self.command();
        c.args(args);
        output_within(c, &self.dir)
    }

    /// `ctr run --runc-binary RUNTIME --runc-root R --fifo-dir F OPTS...
    /// IMAGE ID CMD...`, bounded, with `runtime` instead of the one under
    /// test if given (a logging wrapper).
    pub fn run_with(&self, runtime: &Path, opts: &[&str], id: &str, cmd: &[&str]) -> Output {
        self.ids.borrow_mut().push(id.to_string());
        let mut c = self.command();
        c.arg("run")
            .arg("--runc-binary")
            .arg(runtime)
            .arg("--runc-root")
            .arg(&self.runc_root)
            .arg("--fifo-dir")
            .arg(self.dir.join("fifo"))
            .args(opts)
            .arg(IMAGE)
            .arg(id)
            .args(cmd);
        output_within(c, &self.dir)
    }

    /// `ctr run` with the runtime under test.
    pub fn run(&self, opts: &[&str], id: &str, cmd: &[&str]) -> Output {
        self.run_with(&self.runtime.clone(), opts, id, cmd)
    }

    /// The task's status in `ctr task ls` (RUNNING, STOPPED, ...), if any.
    pub fn task_status(&self, id: &str) -> Option<String> {
        let o = self.ctr(&["task", "ls"]);
        String::from_utf8_lossy(&o.stdout).lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.first() == Some(&id)).then(|| f.get(2).unwrap_or(&"").to_string())
        })
    }

    /// Waits (bounded) until the task's status is `status`.
    pub fn wait_status(&self, id: &str, status: &str) {
        let mut last = None;
        let ok = poll(TIMEOUT, || {
            last = self.task_status(id);
            (last.as_deref() == Some(status)).then_some(())
        });
        assert!(ok.is_some(), "task {id} never {status} (last: {last:?})");
    }

    /// The socket of the shim of container `id`: containerd 1.6 names it
    /// after the SHA-256 of "ADDRESS/NAMESPACE/ID", in /run/containerd/s
    /// whatever its configuration says. A shim that exits removes it; one
    /// that is killed leaves it.
    fn shim_socket(&self, id: &str) -> PathBuf {
        let f = self.dir.join("shim-socket-name");
        let name = format!("{}/{}/{id}", self.socket().display(), self.ns);
        std::fs::write(&f, name).unwrap();
        let hash = sha256(&f, &self.dir);
        let _ = std::fs::remove_file(&f);
        Path::new("/run/containerd/s").join(&hash["sha256:".len()..])
    }

    /// Fails unless the scenario left nothing behind: no task, no
    /// container, and for each container it ran no runtime state, shim
    /// socket, cgroup, mount or process (containerd itself aside).
    pub fn finish(self) {
        expect(&self.ctr(&["task", "ls", "-q"]), 0, "");
        expect(&self.ctr(&["containers", "ls", "-q"]), 0, "");
        let ids = self.ids.borrow().clone();
        for id in &ids {
            let state = self.runc_root.join(&self.ns).join(id);
            assert!(!state.exists(), "the runtime's state {state:?} is left");
            let socket = self.shim_socket(id);
            let gone = poll(SETTLE, || (!socket.exists()).then_some(()));
            assert!(gone.is_some(), "the shim's socket {socket:?} is left");
        }
        let daemon = self.daemon.as_ref().map(|d| d.id());
        assert_clean("containerd", &self.dir, &ids, daemon.as_slice());
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        // Even after a failure: kill and delete every task and container,
        // then stop containerd and whatever shim is left.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for id in self.ids.borrow().iter() {
                self.ctr(&["task", "kill", "-s", "SIGKILL", id]);
                self.ctr(&["task", "delete", "--force", id]);
                self.ctr(&["containers", "rm", id]);
            }
        }));
        if let Some(mut d) = self.daemon.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &d.id().to_string()])
                .status();
            let stopped = poll(Duration::from_secs(10), || d.try_wait().ok().flatten());
            if stopped.is_none() {
                let _ = d.kill();
                let _ = d.wait();
            }
        }
        kill_mentioning(&self.dir, &[]);
        for id in self.ids.borrow().iter() {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _ = std::fs::remove_file(self.shim_socket(id));
            }));
        }
        unmount_under(&self.dir);
        let _ = std::fs::remove_dir_all(&self.dir);
        remove_cgroup_tree(&self.ns);
        self.created.remove();
    }
}

// ------------------------------------------------------------------ tmux

/// A tmux server of its own (its socket in the temporary directory) with
/// one session "t" running the host's `sh`, of `width`x`height`.
pub struct Tmux(PathBuf);

impl Tmux {
    pub fn new(width: u32, height: u32) -> Tmux {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let t = Tmux(
            std::env::temp_dir().join(format!("hull-clients-tmux-{}-{n}", std::process::id())),
        );
        let st = Command::new("tmux")
            .arg("-S")
            .arg(&t.0)
            .args(["-f", "/dev/null", "new-session", "-d", "-s", "t"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg("sh")
            .env("PS1", "$ ")
            .status()
            .unwrap();
        assert!(st.success(), "tmux new-session");
        t
    }

    pub fn cmd(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .arg("-S")
            .arg(&self.0)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Types `keys` (tmux send-keys names: "Enter", "C-c", or text).
    pub fn keys(&self, keys: &[&str]) {
        let mut a = vec!["send-keys", "-t", "t"];
        a.extend_from_slice(keys);
        self.cmd(&a);
    }

    pub fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "t"])
    }

    /// Types `line` and Enter, then looks at the screen `pause_ms` later,
    /// at most `tries` times, until a line of it (trailing blanks cut)
    /// passes `done`: for an answer that races a start or a resize.
    /// Whether one did.
    pub fn ask(&self, line: &str, tries: u32, pause_ms: u64, done: impl Fn(&str) -> bool) -> bool {
        (0..tries).any(|_| {
            self.keys(&[line, "Enter"]);
            std::thread::sleep(Duration::from_millis(pause_ms));
            self.screen().lines().any(|l| done(l.trim_end()))
        })
    }

    /// Waits (bounded) until a line of the screen ends with `line`.
    #[track_caller]
    pub fn wait_line(&self, line: &str) {
        let seen = poll(TIMEOUT, || {
            self.screen()
                .lines()
                .any(|l| l.trim_end().ends_with(line))
                .then_some(())
        });
        assert!(
            seen.is_some(),
            "never saw the line {line:?}:\n{}",
            self.screen()
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
        let _ = std::fs::remove_file(&self.0);
    }
}

// ------------------------------------------------------ podman scenarios

/// `podman run --rm IMG echo hi`: the output, status 0, nothing on stderr.
pub fn podman_echo_hi(runtime: &Path) {
    let Some(p) = Podman::new("podman_echo_hi", runtime) else {
        return;
    };
    let o = p.run_rm(&[], &["echo", "hi"]);
    expect(&o, 0, "hi\n");
    assert!(o.stderr.is_empty(), "{}", show(&o));
    p.finish();
}

/// How podman calls the runtime (seen through `logging_wrapper`): `run
/// --rm` is `create` (from conmon, with `--log-format=json --log FILE`
/// before it), `start`, `delete --force`; `kill -s USR1` and `stop` are
/// `kill ID 10` and `kill ID 15` (signal numbers). Nothing else: no
/// `state`, no `--root`.
pub fn podman_runtime_calls(runtime: &Path) {
    let Some(mut p) = Podman::new("podman_runtime_calls", runtime) else {
        return;
    };
    let log = p.dir.join("runtime-calls");
    p.runtime = logging_wrapper(&p.dir, runtime, &log);
    expect(&p.run_rm(&[], &["echo", "hi"]), 0, "hi\n");
    let script = "trap 'exit 4' TERM; while true; do sleep 0.1; done";
    let o = p.run(&["-d", "--name", "calls", IMAGE, "sh", "-c", script]);
    assert!(o.status.success(), "podman run -d: {}", show(&o));
    p.wait_running("calls");
    expect(&p.podman(&["kill", "-s", "USR1", "calls"]), 0, "calls\n");
    expect(&p.podman(&["stop", "calls"]), 0, "calls\n");
    assert_eq!(p.inspect("calls", "{{.State.ExitCode}}"), "4");
    expect(&p.podman(&["rm", "calls"]), 0, "calls\n");
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let calls: Vec<&str> = calls.lines().collect();
    let id = |i: usize| {
        calls
            .get(i)
            .and_then(|l| l.split(' ').next_back())
            .unwrap_or("")
    };
    let create = |id: &str| {
        let (d, u) = (p.dir.display(), format!("vfs-containers/{id}/userdata"));
        format!(
            "--log-format=json --log {d}/run/{u}/oci-log create --bundle {d}/storage/{u} \
             --pid-file {d}/run/{u}/pidfile {id}"
        )
    };
    let (a, b) = (id(0), id(3));
    let expected = [
        create(a),
        format!("start {a}"),
        format!("delete --force {a}"),
        create(b),
        format!("start {b}"),
        format!("kill {b} 10"),
        format!("kill {b} 15"),
        format!("delete --force {b}"),
    ];
    assert_eq!(calls, expected, "podman's calls of the runtime");
    assert_eq!(p.container_ids().len(), 2);
    p.finish();
}

/// Exit statuses pass through podman: 0, 7, and 137 for a container that
/// `podman kill` (SIGKILL) ends while `podman run` waits in the
/// foreground. (`kill -9 $$` from inside cannot make 137: PID 1 of a PID
/// namespace ignores signals it has no handler for, SIGKILL from inside
/// included.)
pub fn podman_exit_codes(runtime: &Path) {
    let Some(p) = Podman::new("podman_exit_codes", runtime) else {
        return;
    };
    expect(&p.run_rm(&[], &["sh", "-c", "exit 0"]), 0, "");
    expect(&p.run_rm(&[], &["sh", "-c", "exit 7"]), 7, "");
    let fg = p.start_run(&["--rm", "--name", "killed", IMAGE, "sleep", "1000"]);
    p.wait_running("killed");
    let k = p.podman(&["kill", "killed"]);
    assert!(k.status.success(), "podman kill: {}", show(&k));
    expect(&fg.wait(), 137, "");
    p.finish();
}

/// `run -d`, `logs`, `stop` and `rm`: the shell traps SIGTERM and exits 5,
/// so `stop` must deliver SIGTERM (not the SIGKILL of its timeout, which
/// would make 137, and come 10 s later).
pub fn podman_detached_logs_stop_rm(runtime: &Path) {
    let Some(p) = Podman::new("podman_detached_logs_stop_rm", runtime) else {
        return;
    };
    let script = "trap 'echo got-term; exit 5' TERM; echo ready; \
                  while true; do sleep 0.1; done";
    let o = p.run(&["-d", "--name", "daemon", IMAGE, "sh", "-c", script]);
    assert!(o.status.success(), "podman run -d: {}", show(&o));
    let id = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert_eq!(id.len(), 64, "run -d prints the id: {}", show(&o));
    assert_eq!(p.wait_logs("daemon", "ready"), "ready\n");
    assert_eq!(p.inspect("daemon", "{{.State.Status}}"), "running");
    let start = Instant::now();
    let o = p.podman(&["stop", "-t", "10", "daemon"]);
    expect(&o, 0, "daemon\n");
    assert!(
        start.elapsed() < Duration::from_secs(9),
        "stop took {:?}: SIGTERM never arrived",
        start.elapsed()
    );
    assert_eq!(
        p.inspect("daemon", "{{.State.Status}} {{.State.ExitCode}}"),
        "exited 5"
    );
    expect(&p.podman(&["logs", "daemon"]), 0, "ready\ngot-term\n");
    expect(&p.podman(&["rm", "daemon"]), 0, "daemon\n");
    p.finish();
}

/// `podman exec` into a running container (conmon calls the runtime's
/// `exec --detach --process FILE`): the process is in the container (its
/// hostname, its PID namespace, its root), confined as its PID 1 is (the
/// same capabilities, seccomp mode 2 from podman's profile), as the user
/// asked; its status is the command's, 127 and 126 for a command that is
/// missing or cannot be run; and into a stopped container it fails.
pub fn podman_exec(runtime: &Path) {
    let Some(p) = Podman::new("podman_exec", runtime) else {
        return;
    };
    let o = p.run(&[
        "-d",
        "--name",
        "box",
        "--hostname",
        "boxhost",
        IMAGE,
        "sleep",
        "1000",
    ]);
    assert!(o.status.success(), "podman run -d: {}", show(&o));
    p.wait_running("box");
    expect(&p.podman(&["exec", "box", "echo", "hi"]), 0, "hi\n");
    let inside = "hostname; cat /proc/1/comm; ls /; \
                  grep -E '^(CapEff|CapBnd|Seccomp):' /proc/1/status > /tmp/one; \
                  grep -E '^(CapEff|CapBnd|Seccomp):' /proc/self/status > /tmp/me; \
                  cmp /tmp/one /tmp/me && grep Seccomp: /tmp/me";
    let o = p.podman(&["exec", "box", "sh", "-c", inside]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(code(&o), 0, "{}", show(&o));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(&lines[..2], ["boxhost", "sleep"], "{}", show(&o));
    assert!(lines.contains(&"bin"), "not the image's root: {}", show(&o));
    assert_eq!(lines.last(), Some(&"Seccomp:\t2"), "{}", show(&o));
    expect(&p.podman(&["exec", "box", "sh", "-c", "exit 3"]), 3, "");
    expect(&p.podman(&["exec", "box", "no-such-command"]), 127, "");
    expect(&p.podman(&["exec", "box", "touch", "/plain"]), 0, "");
    expect(&p.podman(&["exec", "box", "/plain"]), 126, "");
    expect(
        &p.podman(&["exec", "-u", "1000:1000", "box", "id"]),
        0,
        "uid=1000 gid=1000\n",
    );
    expect(
        &p.podman(&[
            "exec",
            "-e",
            "HULL_X=42",
            "-w",
            "/bin",
            "box",
            "sh",
            "-c",
            "echo $HULL_X $PWD",
        ]),
        0,
        "42 /bin\n",
    );
    expect(&p.podman(&["stop", "-t", "0", "box"]), 0, "box\n");
    let o = p.podman(&["exec", "box", "true"]);
    assert_ne!(code(&o), 0, "exec into a stopped container: {}", show(&o));
    expect(&p.podman(&["rm", "box"]), 0, "box\n");
    p.finish();
}

/// `podman exec -it`: a shell in a running container, on a terminal of
/// the pane's size, typed into (tmux).
pub fn podman_exec_tty(runtime: &Path) {
    let t = "podman_exec_tty";
    if !need_tool(t, "tmux") {
        return;
    }
    let Some(p) = Podman::new(t, runtime) else {
        return;
    };
    let o = p.run(&["-d", "--name", "tbox", IMAGE, "sleep", "1000"]);
    assert!(o.status.success(), "podman run -d: {}", show(&o));
    p.wait_running("tbox");
    let tm = Tmux::new(100, 30);
    let line = format!(
        "CONTAINERS_CONF={} CONTAINERS_STORAGE_CONF={} podman --runtime {} exec -it tbox sh; \
         echo rc=$?",
        p.conf.display(),
        p.storage_conf.display(),
        p.runtime.display()
    );
    tm.keys(&[&line, "Enter"]);
    let answered = tm.ask("tty | sed s/^/tty=/", 100, 300, |l| {
        l.starts_with("tty=/dev/pts/")
    });
    assert!(answered, "no shell on a pty:\n{}", tm.screen());
    tm.keys(&["stty size | sed s/^/size=/", "Enter"]);
    tm.wait_line("size=30 100");
    tm.keys(&["echo pid1=$(cat /proc/1/comm)", "Enter"]);
    tm.wait_line("pid1=sleep");
    tm.keys(&["exit 4", "Enter"]);
    tm.wait_line("rc=4");
    drop(tm);
    expect(&p.podman(&["rm", "-f", "-t", "0", "tbox"]), 0, "tbox\n");
    p.finish();
}

/// `podman pause` and `unpause` (the runtime's `pause` and `resume`): a
/// counter in the container stops while it is paused and goes on after;
/// podman sees it paused; `podman top` lists its processes.
pub fn podman_pause_unpause(runtime: &Path) {
    let Some(p) = Podman::new("podman_pause_unpause", runtime) else {
        return;
    };
    let script = "i=0; while true; do i=$((i+1)); echo $i > /count; sleep 0.05; done";
    let o = p.run(&["-d", "--name", "ticker", IMAGE, "sh", "-c", script]);
    assert!(o.status.success(), "podman run -d: {}", show(&o));
    p.wait_running("ticker");
    let count = || {
        let o = p.podman(&["exec", "ticker", "cat", "/count"]);
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse::<u64>()
            .unwrap_or(0)
    };
    assert!(
        poll(TIMEOUT, || (count() > 2).then_some(())).is_some(),
        "never counted"
    );
    expect(&p.podman(&["pause", "ticker"]), 0, "ticker\n");
    assert_eq!(p.inspect("ticker", "{{.State.Status}}"), "paused");
    // (exec into a paused container is refused: the count is read from
    // the host's side, through its merged root.)
    let root = p.inspect("ticker", "{{.GraphDriver.Data.UpperDir}}");
    let merged = p.inspect("ticker", "{{.GraphDriver.Data.MergedDir}}");
    let file = [root.as_str(), merged.as_str()]
        .iter()
        .map(|d| Path::new(d).join("count"))
        .find(|f| f.exists());
    let read = || {
        let f = file.clone().or_else(|| {
            let o = p.podman(&["mount", "ticker"]);
            Some(Path::new(String::from_utf8_lossy(&o.stdout).trim()).join("count"))
        });
        std::fs::read_to_string(f.unwrap()).unwrap_or_default()
    };
    let before = read();
    assert!(before.trim().parse::<u64>().is_ok(), "no count: {before:?}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(read(), before, "it counted while paused");
    expect(&p.podman(&["unpause", "ticker"]), 0, "ticker\n");
    assert_eq!(p.inspect("ticker", "{{.State.Status}}"), "running");
    let after = before.trim().parse::<u64>().unwrap_or(0);
    assert!(
        poll(TIMEOUT, || (count() > after + 2).then_some(())).is_some(),
        "it did not count on after unpause"
    );
    let o = p.podman(&["top", "ticker", "pid", "args"]);
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("sh -c"),
        "podman top: {}",
        show(&o)
    );
    expect(&p.podman(&["rm", "-f", "-t", "0", "ticker"]), 0, "ticker\n");
    p.finish();
}

/// `podman update` (the runtime's `update --resources FILE`): a lower
/// memory limit reaches the running container's cgroup, and an
/// allocation over it is then OOM-killed (137).
pub fn podman_update(runtime: &Path) {
    let Some(p) = Podman::new("podman_update", runtime) else {
        return;
    };
    let o = p.run(&[
        "-d", "--name", "upd", "--memory", "256m", IMAGE, "sleep", "1000",
    ]);
    assert!(o.status.success(), "podman run -d: {}", show(&o));
    p.wait_running("upd");
    let limit = "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || \
                 cat /sys/fs/cgroup/memory.max";
    expect(
        &p.podman(&["exec", "upd", "sh", "-c", limit]),
        0,
        "268435456\n",
    );
    let hog = "a=$(head -c 40000000 /dev/zero | tr '\\0' a); echo survived";
    expect(
        &p.podman(&["exec", "upd", "sh", "-c", hog]),
        0,
        "survived\n",
    );
    expect(
        &p.podman(&["update", "--memory", "16m", "upd"]),
        0,
        &format!("{}\n", p.inspect("upd", "{{.Id}}")),
    );
    expect(
        &p.podman(&["exec", "upd", "sh", "-c", limit]),
        0,
        "16777216\n",
    );
    expect(&p.podman(&["exec", "upd", "sh", "-c", hog]), 137, "");
    expect(&p.podman(&["rm", "-f", "-t", "0", "upd"]), 0, "upd\n");
    p.finish();
}

/// `podman kill`: a given signal reaches the container's process (which
/// traps it and goes on), then the default SIGKILL ends it with 137.
pub fn podman_kill(runtime: &Path) {
    let Some(p) = Podman::new("podman_kill", runtime) else {
        return;
    };
    let script = "trap 'echo got-usr1' USR1; echo ready; while true; do sleep 0.1; done";
    let o = p.run(&["-d", "--name", "victim", IMAGE, "sh", "-c", script]);
    assert!(o.status.success(), "podman run -d: {}", show(&o));
    p.wait_logs("victim", "ready");
    expect(&p.podman(&["kill", "-s", "USR1", "victim"]), 0, "victim\n");
    assert_eq!(p.wait_logs("victim", "got-usr1"), "ready\ngot-usr1\n");
    assert_eq!(p.inspect("victim", "{{.State.Status}}"), "running");
    expect(&p.podman(&["kill", "victim"]), 0, "victim\n");
    expect(&p.podman(&["wait", "victim"]), 0, "137\n");
    expect(&p.podman(&["rm", "victim"]), 0, "victim\n");
    p.finish();
}

/// `podman run -it` in a real terminal (tmux): the container's shell has a
/// pty of the terminal's size, runs what is typed, and its exit status
/// comes back.
pub fn podman_interactive_tty(runtime: &Path) {
    let t = "podman_interactive_tty";
    if !need_tool(t, "tmux") {
        return;
    }
    let Some(p) = Podman::new(t, runtime) else {
        return;
    };
    let tm = Tmux::new(80, 24);
    // The environment goes on the typed command line only.
    let line = format!(
        "CONTAINERS_CONF={} CONTAINERS_STORAGE_CONF={} podman --runtime {} run -it --rm {IMAGE} sh; \
         echo rc=$?",
        p.conf.display(),
        p.storage_conf.display(),
        p.runtime.display()
    );
    tm.keys(&[&line, "Enter"]);
    // Ask until the container's shell answers (typing races its start).
    let answered = tm.ask("tty | sed s/^/tty=/", 100, 300, |l| l == "tty=/dev/pts/0");
    assert!(answered, "no shell on /dev/pts/0:\n{}", tm.screen());
    tm.keys(&["stty size | sed s/^/size=/", "Enter"]);
    tm.wait_line("size=24 80");
    tm.keys(&["echo sum=$((6*7))", "Enter"]);
    tm.wait_line("sum=42");
    tm.keys(&["exit 3", "Enter"]);
    tm.wait_line("rc=3");
    drop(tm);
    p.finish();
}

/// `--user UID:GID`: the process's ids.
pub fn podman_user(runtime: &Path) {
    let Some(p) = Podman::new("podman_user", runtime) else {
        return;
    };
    let o = p.run_rm(&["--user", "1234:5678"], &["id"]);
    expect(&o, 0, "uid=1234 gid=5678 groups=5678\n");
    p.finish();
}

/// `--privileged`: podman lists every host device, /dev/ptmx among them,
/// and asks for a writable /sys. /dev/ptmx is still the link to the
/// container's own devpts, as runc makes it, and /sys is writable.
pub fn podman_privileged(runtime: &Path) {
    let Some(p) = Podman::new("podman_privileged", runtime) else {
        return;
    };
    let script = "readlink /dev/ptmx; grep ' /sys ' /proc/self/mountinfo | cut -d' ' -f6 | cut -d, -f1; \
                  test -c /dev/null && echo null";
    let o = p.run_rm(&["--privileged"], &["sh", "-c", script]);
    expect(&o, 0, "pts/ptmx\nrw\nnull\n");
    p.finish();
}

/// `--read-only`: the root is read-only, /tmp (podman's tmpfs) is not.
pub fn podman_read_only(runtime: &Path) {
    let Some(p) = Podman::new("podman_read_only", runtime) else {
        return;
    };
    let script = "touch /x 2>/dev/null; echo root=$?; touch /tmp/x; echo tmp=$?";
    let o = p.run_rm(&["--read-only"], &["sh", "-c", script]);
    expect(&o, 0, "root=1\ntmp=0\n");
    let o = p.run_rm(&[], &["sh", "-c", script]);
    expect(&o, 0, "root=0\ntmp=0\n");
    p.finish();
}

/// `-v HOST:CTR` (read-write, then `:ro`): the host's files are seen and,
/// when writable, written through.
pub fn podman_volume(runtime: &Path) {
    let Some(p) = Podman::new("podman_volume", runtime) else {
        return;
    };
    let host = p.dir.join("shared");
    std::fs::create_dir(&host).unwrap();
    std::fs::write(host.join("from-host"), "host data\n").unwrap();
    let rw = format!("{}:/data", host.display());
    let o = p.run_rm(
        &["-v", &rw],
        &[
            "sh",
            "-c",
            "cat /data/from-host; echo ctr data > /data/from-ctr",
        ],
    );
    expect(&o, 0, "host data\n");
    assert_eq!(
        std::fs::read_to_string(host.join("from-ctr")).unwrap(),
        "ctr data\n"
    );
    let ro = format!("{}:/data:ro", host.display());
    let o = p.run_rm(
        &["-v", &ro],
        &[
            "sh",
            "-c",
            "cat /data/from-host; touch /data/x 2>/dev/null; echo rc=$?",
        ],
    );
    expect(&o, 0, "host data\nrc=1\n");
    assert!(!host.join("x").exists());
    p.finish();
}

/// `--tmpfs PATH:size=1m`: a tmpfs of that size there, writable.
pub fn podman_tmpfs(runtime: &Path) {
    let Some(p) = Podman::new("podman_tmpfs", runtime) else {
        return;
    };
    let o = p.run_rm(
        &["--tmpfs", "/scratch:size=1m"],
        &[
            "sh",
            "-c",
            "grep ' /scratch ' /proc/mounts; echo x > /scratch/f && cat /scratch/f",
        ],
    );
    expect(
        &o,
        0,
        "tmpfs /scratch tmpfs rw,nosuid,nodev,relatime,size=1024k 0 0\nx\n",
    );
    p.finish();
}

/// `--memory`: the limit is in the container's cgroup (v1 or v2 file), and
/// enforced: filling 200 MB under a 32 MiB limit is an OOM kill (137).
pub fn podman_memory(runtime: &Path) {
    let Some(p) = Podman::new("podman_memory", runtime) else {
        return;
    };
    let show_limit = "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null \
                      || cat /sys/fs/cgroup/memory.max";
    let o = p.run_rm(&["--memory", "64m"], &["sh", "-c", show_limit]);
    expect(&o, 0, "67108864\n");
    let hog = "a=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived";
    let o = p.run_rm(&["--memory", "32m"], &["sh", "-c", hog]);
    expect(&o, 137, "");
    p.finish();
}

/// `--pids-limit`: the limit is in the container's cgroup, and enforced:
/// with 16, the seventeenth process cannot be forked.
pub fn podman_pids_limit(runtime: &Path) {
    let Some(p) = Podman::new("podman_pids_limit", runtime) else {
        return;
    };
    let show_limit = "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max";
    let o = p.run_rm(&["--pids-limit", "33"], &["sh", "-c", show_limit]);
    expect(&o, 0, "33\n");
    // The limit leaves room for the runtime's own start: runc's `runc init`
    // is a Go program whose threads count against pids.max until it execs,
    // and with a limit of 5 it sometimes died before `start` ("cannot start
    // a container that has stopped"). Twenty forks still overrun 16.
    let forks = "i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done; echo all-forked";
    let o = p.run_rm(&["--pids-limit", "16"], &["sh", "-c", forks]);
    expect(&o, 2, "");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("can't fork"),
        "{}",
        show(&o)
    );
    p.finish();
}

/// `--cap-drop ALL`: every capability set is empty.
pub fn podman_cap_drop_all(runtime: &Path) {
    let Some(p) = Podman::new("podman_cap_drop_all", runtime) else {
        return;
    };
    let o = p.run_rm(
        &["--cap-drop", "ALL"],
        &["grep", "^Cap", "/proc/self/status"],
    );
    expect(
        &o,
        0,
        "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n\
         CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n\
         CapAmb:\t0000000000000000\n",
    );
    p.finish();
}

/// podman's default capabilities (CHOWN, DAC_OVERRIDE, FOWNER, FSETID,
/// KILL, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT)
/// and no `no_new_privs`.
pub fn podman_default_capabilities(runtime: &Path) {
    let Some(p) = Podman::new("podman_default_capabilities", runtime) else {
        return;
    };
    let o = p.run_rm(
        &[],
        &[
            "grep",
            "-E",
            "^(CapEff|CapBnd|NoNewPrivs):",
            "/proc/self/status",
        ],
    );
    expect(
        &o,
        0,
        "CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nNoNewPrivs:\t0\n",
    );
    p.finish();
}

/// podman's own seccomp profile, sent in config.json, is installed (mode
/// 2, a filter); `--security-opt seccomp=unconfined` installs none.
pub fn podman_seccomp(runtime: &Path) {
    let Some(p) = Podman::new("podman_seccomp", runtime) else {
        return;
    };
    let o = p.run_rm(&[], &["grep", "^Seccomp:", "/proc/self/status"]);
    expect(&o, 0, "Seccomp:\t2\n");
    let o = p.run_rm(
        &["--security-opt", "seccomp=unconfined"],
        &["grep", "^Seccomp:", "/proc/self/status"],
    );
    expect(&o, 0, "Seccomp:\t0\n");
    p.finish();
}

// -------------------------------------------------- containerd scenarios

/// `ctr run --rm --runc-binary RUNTIME IMG ID echo hi`, and how the shim
/// calls the runtime: `--root R --log L --log-format json create --bundle
/// B --pid-file P ID`, then `start ID`, then `delete ID` (and maybe
/// `delete --force ID`), all with the same global flags.
pub fn ctr_run_rm_echo_hi(runtime: &Path) {
    let Some(c) = Containerd::new("ctr_run_rm_echo_hi", runtime) else {
        return;
    };
    let log = c.dir.join("runtime-calls");
    let wrapper = logging_wrapper(&c.dir, runtime, &log);
    let o = c.run_with(&wrapper, &["--rm"], "hi", &["echo", "hi"]);
    expect(&o, 0, "hi\n");
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let calls: Vec<&str> = calls.lines().collect();
    let bundle = c
        .dir
        .join("state/io.containerd.runtime.v2.task")
        .join(&c.ns)
        .join("hi");
    let global = format!(
        "--root {} --log {}/log.json --log-format json",
        c.runc_root.join(&c.ns).display(),
        bundle.display()
    );
    let create = format!(
        "{global} create --bundle {b} --pid-file {b}/init.pid hi",
        b = bundle.display()
    );
    assert!(calls.len() >= 3, "the shim's calls: {calls:#?}");
    assert_eq!(calls[0], create, "the shim's calls: {calls:#?}");
    assert_eq!(calls[1], format!("{global} start hi"), "{calls:#?}");
    assert_eq!(calls[2], format!("{global} delete hi"), "{calls:#?}");
    for call in &calls[3..] {
        assert_eq!(*call, format!("{global} delete --force hi"), "{calls:#?}");
    }
    c.finish();
}

/// `ctr run --rm`: the container's exit status is ctr's.
pub fn ctr_exit_code(runtime: &Path) {
    let Some(c) = Containerd::new("ctr_exit_code", runtime) else {
        return;
    };
    expect(&c.run(&["--rm"], "seven", &["sh", "-c", "exit 7"]), 7, "");
    c.finish();
}

/// `ctr run -d`, `ctr task kill` (SIGTERM, which the shell traps: exit 3),
/// `ctr task delete` (which reports the status), `ctr containers rm`.
pub fn ctr_detached_kill_delete(runtime: &Path) {
    let Some(c) = Containerd::new("ctr_detached_kill_delete", runtime) else {
        return;
    };
    let out = c.dir.join("task.log");
    let uri = format!("file://{}", out.display());
    let script = "trap 'echo got-term; exit 3' TERM; echo ready; while true; do sleep 0.1; done";
    let o = c.run(&["-d", "--log-uri", &uri], "bg", &["sh", "-c", script]);
    expect(&o, 0, "");
    c.wait_status("bg", "RUNNING");
    let read = || std::fs::read_to_string(&out).unwrap_or_default();
    let ready = poll(TIMEOUT, || read().contains("ready").then_some(()));
    assert!(ready.is_some(), "the task never said ready: {:?}", read());
    expect(&c.ctr(&["task", "kill", "bg"]), 0, "");
    c.wait_status("bg", "STOPPED");
    assert_eq!(read(), "ready\ngot-term\n");
    let o = c.ctr(&["task", "delete", "bg"]);
    expect(&o, 0, "");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("exit code 3"),
        "{}",
        show(&o)
    );
    expect(&c.ctr(&["containers", "rm", "bg"]), 0, "");
    c.finish();
}

/// `ctr task exec`: a process in a running task (the shim calls the
/// runtime's `exec --detach --process FILE --pid-file F`), with the task's
/// hostname and PID namespace; its exit status comes back.
pub fn ctr_task_exec(runtime: &Path) {
    let Some(c) = Containerd::new("ctr_task_exec", runtime) else {
        return;
    };
    expect(&c.run(&["-d"], "host1", &["sleep", "1000"]), 0, "");
    c.wait_status("host1", "RUNNING");
    let o = c.ctr(&[
        "task",
        "exec",
        "--exec-id",
        "e1",
        "host1",
        "sh",
        "-c",
        "echo hi; cat /proc/1/comm",
    ]);
    expect(&o, 0, "hi\nsleep\n");
    let o = c.ctr(&[
        "task",
        "exec",
        "--exec-id",
        "e2",
        "host1",
        "sh",
        "-c",
        "exit 6",
    ]);
    assert_eq!(code(&o), 6, "{}", show(&o));
    expect(&c.ctr(&["task", "kill", "-s", "SIGKILL", "host1"]), 0, "");
    c.wait_status("host1", "STOPPED");
    expect(&c.ctr(&["task", "delete", "host1"]), 0, "");
    expect(&c.ctr(&["containers", "rm", "host1"]), 0, "");
    c.finish();
}

/// `ctr task ps` (the runtime's `ps --format json`), `ctr task pause` and
/// `resume`: the task's processes are listed, and it is PAUSED, then
/// RUNNING again.
pub fn ctr_task_ps_pause(runtime: &Path) {
    let Some(c) = Containerd::new("ctr_task_ps_pause", runtime) else {
        return;
    };
    expect(&c.run(&["-d"], "pp", &["sleep", "1000"]), 0, "");
    c.wait_status("pp", "RUNNING");
    let o = c.ctr(&["task", "ps", "pp"]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    let pid = c.ctr(&["task", "ls"]);
    let pid = String::from_utf8_lossy(&pid.stdout)
        .lines()
        .find(|l| l.starts_with("pp "))
        .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_default();
    assert!(
        o.status.success() && !pid.is_empty() && text.lines().skip(1).any(|l| l.starts_with(&pid)),
        "task ps does not list the task's pid {pid}: {}",
        show(&o)
    );
    expect(&c.ctr(&["task", "pause", "pp"]), 0, "");
    c.wait_status("pp", "PAUSED");
    expect(&c.ctr(&["task", "resume", "pp"]), 0, "");
    c.wait_status("pp", "RUNNING");
    expect(&c.ctr(&["task", "kill", "-s", "SIGKILL", "pp"]), 0, "");
    c.wait_status("pp", "STOPPED");
    expect(&c.ctr(&["task", "delete", "pp"]), 0, "");
    expect(&c.ctr(&["containers", "rm", "pp"]), 0, "");
    c.finish();
}

/// `ctr task kill -s SIGKILL`: the task stops, its status is 137.
pub fn ctr_task_kill_sigkill(runtime: &Path) {
    let Some(c) = Containerd::new("ctr_task_kill_sigkill", runtime) else {
        return;
    };
    expect(&c.run(&["-d"], "sleeper", &["sleep", "1000"]), 0, "");
    c.wait_status("sleeper", "RUNNING");
    expect(&c.ctr(&["task", "kill", "-s", "SIGKILL", "sleeper"]), 0, "");
    c.wait_status("sleeper", "STOPPED");
    let o = c.ctr(&["task", "delete", "sleeper"]);
    expect(&o, 0, "");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("exit code 137"),
        "{}",
        show(&o)
    );
    expect(&c.ctr(&["containers", "rm", "sleeper"]), 0, "");
    c.finish();
}

/// One `#[test]` per scenario above, for the runtime that `$runtime` (a
/// `fn(test_name: &str) -> Option<PathBuf>`; None skips) gives. Use it at
/// the root of a test crate that has `mod common;`.
#[allow(unused_macros)]
macro_rules! client_scenarios {
    ($runtime:path) => {
        $crate::common::clients::client_scenarios!(@each $runtime;
            podman_echo_hi,
            podman_runtime_calls,
            podman_exit_codes,
            podman_detached_logs_stop_rm,
            podman_kill,
            podman_interactive_tty,
            podman_user,
            podman_privileged,
            podman_read_only,
            podman_volume,
            podman_tmpfs,
            podman_memory,
            podman_pids_limit,
            podman_cap_drop_all,
            podman_default_capabilities,
            podman_seccomp,
            ctr_run_rm_echo_hi,
            ctr_exit_code,
            ctr_detached_kill_delete,
            ctr_task_kill_sigkill,
            podman_exec,
            podman_exec_tty,
            ctr_task_exec,
            podman_pause_unpause,
            ctr_task_ps_pause,
            podman_update
        );
    };
    (@each $runtime:path; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                if let Some(rt) = $runtime(stringify!($name)) {
                    $crate::common::clients::$name(&rt);
                }
            }
        )*
    };
}
#[allow(unused_imports)]
pub(crate) use client_scenarios;

//! The OCI runtime command line on its own (issue 16): the lifecycle of a
//! busybox bundle through `create`, `start`, `state`, `kill` and `delete`,
//! and each lifecycle error with its exact status and message. The real
//! clients (podman, containerd) are tests/clients_hull.rs.
//!
//! Needs root and busybox-static (.ci/run installs it); skips loudly
//! without them, and fails under CI.

#![cfg(feature = "oci")]

mod common;

use common::{Bounded, Rootfs, SharedTmpfs, TempDir, hull, need_root, sh_ok, stderr, stdout};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// A bundle in a fresh directory: `hull spec`'s config, run by `args`, on
/// a busybox rootfs (outside the bundle: `root.path` is absolute).
struct Bundle {
    dir: TempDir,
    rootfs: Rootfs,
    /// The state root (`--root`) the test uses, of its own.
    root: TempDir,
    /// One test at a time: one checks that no cgroup is left, which
    /// another's live container would spoil.
    _serial: std::sync::MutexGuard<'static, ()>,
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Drop for Bundle {
    /// After a failure too: the containers do not die with hull.
    fn drop(&mut self) {
        for e in std::fs::read_dir(&self.root.0).into_iter().flatten() {
            let id = e.unwrap().file_name();
            let _ = self.hull(&["delete", "--force", id.to_str().unwrap()]);
        }
    }
}

impl Bundle {
    fn new(tag: &str, args: &[&str]) -> Option<Bundle> {
        if !need_root(tag) {
            return None;
        }
        let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let rootfs = Rootfs::new(tag)?;
        let dir = TempDir::new(&format!("{tag}-bundle"));
        let root = TempDir::new(&format!("{tag}-root"));
        let o = hull()
            .args(["spec", "--bundle", dir.path()])
            .output()
            .unwrap();
        assert!(o.status.success(), "hull spec: {}", stderr(&o));
        let path = dir.0.join("config.json");
        let mut cfg: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        cfg["process"]["terminal"] = false.into();
        cfg["process"]["args"] = serde_json::json!(args);
        cfg["root"]["path"] = rootfs.path().into();
        // (`hull spec`'s default, as runc's, is a read-only root.)
        cfg["root"]["readonly"] = false.into();
        std::fs::write(&path, cfg.to_string()).unwrap();
        Some(Bundle {
            dir,
            rootfs,
            root,
            _serial: serial,
        })
    }

    /// `hull --root ROOT ARGS…`, its stdio not kept by a container.
    fn hull(&self, args: &[&str]) -> Output {
        let mut c = hull();
        c.args(["--root", self.root.path()]).args(args);
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if args.first() != Some(&"create") {
            return c.output().unwrap();
        }
        // The container inherits create's stdout and stderr: a pipe would
        // stay open as long as it runs. A file is read once create is done.
        let err = self.dir.0.join("create.err");
        c.stdout(Stdio::null())
            .stderr(std::fs::File::create(&err).unwrap());
        let mut o = c.output().unwrap();
        o.stderr = std::fs::read(&err).unwrap();
        o
    }

    fn create(&self, id: &str) -> Output {
        let pid = self.dir.0.join(format!("{id}.pid"));
        self.hull(&[
            "create",
            "--bundle",
            self.dir.path(),
            "--pid-file",
            pid.to_str().unwrap(),
            id,
        ])
    }

    /// `hull --root ROOT ARGS…` with no stdio of ours (a detached process
    /// keeps what it is given), checked.
    fn detached(&self, args: &[&str]) {
        let st = hull()
            .args(["--root", self.root.path()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "hull {args:?}");
    }

    /// `create` then `start`, each checked.
    fn run(&self, id: &str) {
        ok(&self.create(id));
        ok(&self.hull(&["start", id]));
    }

    /// The config without a namespace of type `kind` (the host's is
    /// shared).
    fn without_namespace(&self, kind: &str) {
        self.edit(|cfg| {
            let ns = cfg["linux"]["namespaces"].as_array_mut().unwrap();
            ns.retain(|n| n["type"] != kind);
        });
    }

    /// The config with a user namespace in which the host's root is root,
    /// and no other id is mapped.
    fn with_root_only_user_namespace(&self) {
        self.edit(|cfg| {
            let ns = cfg["linux"]["namespaces"].as_array_mut().unwrap();
            ns.push(serde_json::json!({"type": "user"}));
            let map = serde_json::json!([{"containerID": 0, "hostID": 0, "size": 1}]);
            cfg["linux"]["uidMappings"] = map.clone();
            cfg["linux"]["gidMappings"] = map;
        });
    }

    /// The bundle's config.json, changed by `edit`.
    fn edit(&self, edit: impl FnOnce(&mut serde_json::Value)) {
        let path = self.dir.0.join("config.json");
        let mut cfg: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        edit(&mut cfg);
        std::fs::write(&path, cfg.to_string()).unwrap();
    }

    /// The rootfs file `name` once the container has written `done`
    /// beside it (or, if `done` is None, once `name` is not empty), within
    /// 20 s.
    fn wait_file(&self, name: &str, done: Option<&str>) -> String {
        let flag = self.rootfs.0.join(done.unwrap_or(name));
        let t = Instant::now();
        while std::fs::read(&flag).map_or(true, |b| b.is_empty() && done.is_none()) {
            assert!(t.elapsed() < Duration::from_secs(20), "no {flag:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::fs::read_to_string(self.rootfs.0.join(name)).unwrap()
    }

    fn state(&self, id: &str) -> serde_json::Value {
        let o = self.hull(&["state", id]);
        assert!(o.status.success(), "state {id}: {}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    }

    fn wait_status(&self, id: &str, status: &str) {
        let t = Instant::now();
        while self.state(id)["status"] != status {
            assert!(t.elapsed() < Duration::from_secs(20), "{id} never {status}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The first of the files `names` that one of `id`'s cgroups has
    /// (cgroup2's name or v1's): (its name, its text).
    fn cgroup_file(&self, id: &str, names: &[&str]) -> Option<(String, String)> {
        self.cgroups(id).iter().find_map(|g| {
            names.iter().find_map(|n| {
                let f = Path::new(g).join(n);
                Some((n.to_string(), std::fs::read_to_string(f).ok()?))
            })
        })
    }

    /// The cgroups `create` recorded for `id`.
    fn cgroups(&self, id: &str) -> Vec<String> {
        let rec = std::fs::read_to_string(self.root.0.join(id).join("state.json")).unwrap();
        let rec: serde_json::Value = serde_json::from_str(&rec).unwrap();
        rec["cgroup"]
            .as_str()
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Exit status 1 and exactly this line on stderr (runc's status).
fn fails(o: &Output, line: &str) {
    assert_eq!(
        (o.status.code(), stderr(o)),
        (Some(1), format!("hull: {line}\n")),
        "stdout {:?}",
        stdout(o)
    );
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", stderr(o));
}

#[test]
fn lifecycle_and_its_errors() {
    let script = "echo started > /started; exec sleep 60";
    let Some(b) = Bundle::new("oci-life", &["sh", "-c", script]) else {
        return;
    };
    ok(&b.create("c1"));
    let pid: i32 = std::fs::read_to_string(b.dir.0.join("c1.pid"))
        .unwrap()
        .parse()
        .unwrap();
    let st = b.state("c1");
    assert_eq!(st["status"], "created");
    assert_eq!(st["pid"], pid);
    assert_eq!(st["bundle"], b.dir.path());
    assert_eq!(st["ociVersion"], "1.1.0");
    // It waits before execve: the command has not run.
    assert!(!b.rootfs.0.join("started").exists());
    let groups = b.cgroups("c1");
    assert!(!groups.is_empty(), "no cgroup recorded");
    for g in &groups {
        let procs = std::fs::read_to_string(Path::new(g).join("cgroup.procs")).unwrap();
        assert!(procs.lines().any(|l| l == pid.to_string()), "{g}: {procs}");
    }
    fails(&b.create("c1"), "container 'c1' already exists");
    // Usage errors are runc's status 1 for exec too.
    fails(&b.hull(&["exec"]), "a container id is needed");
    fails(
        &b.hull(&["exec", "--bogus", "c1", "true"]),
        "unknown option '--bogus'",
    );
    ok(&b.hull(&["start", "c1"]));
    let t = Instant::now();
    while !b.rootfs.0.join("started").exists() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the command never ran"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(b.state("c1")["status"], "running");
    fails(
        &b.hull(&["start", "c1"]),
        "container 'c1' is running: only a created container can be started",
    );
    fails(
        &b.hull(&["delete", "c1"]),
        "container 'c1' is running: stop it first, or use --force",
    );
    fails(
        &b.hull(&["kill", "c1", "NOSUCH"]),
        "unknown signal 'NOSUCH'",
    );
    // PID 1 of its namespace ignores SIGTERM without a handler: KILL, by
    // name with SIG and by number.
    ok(&b.hull(&["kill", "c1", "SIGKILL"]));
    b.wait_status("c1", "stopped");
    assert_eq!(b.state("c1")["pid"], 0);
    fails(
        &b.hull(&["kill", "c1", "9"]),
        "container 'c1' is stopped: nothing to signal",
    );
    ok(&b.hull(&["delete", "c1"]));
    for g in &groups {
        assert!(!Path::new(g).exists(), "{g} left behind");
    }
    fails(&b.hull(&["state", "c1"]), "container 'c1' does not exist");
    fails(&b.hull(&["delete", "c1"]), "container 'c1' does not exist");
    // runc's: a forced delete of what is not there is done.
    ok(&b.hull(&["delete", "--force", "c1"]));
    assert_eq!(std::fs::read_dir(&b.root.0).unwrap().count(), 0);
}

#[test]
fn delete_force_stops_a_running_container_and_its_cgroups() {
    let Some(b) = Bundle::new("oci-force", &["sleep", "60"]) else {
        return;
    };
    b.run("f1");
    let pid = b.state("f1")["pid"].as_i64().unwrap();
    let groups = b.cgroups("f1");
    ok(&b.hull(&["delete", "-f", "f1"]));
    assert!(
        !Path::new(&format!("/proc/{pid}/cmdline")).exists() || {
            // Reparented to init and not yet reaped: a zombie has no cmdline.
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .unwrap()
                .is_empty()
        }
    );
    for g in &groups {
        assert!(!Path::new(g).exists(), "{g} left behind");
    }
    assert_eq!(std::fs::read_dir(&b.root.0).unwrap().count(), 0);
    // A created one too: it never runs its command.
    ok(&b.create("f2"));
    ok(&b.hull(&["delete", "f2"]));
    assert_eq!(std::fs::read_dir(&b.root.0).unwrap().count(), 0);
}

#[test]
fn a_failed_create_leaves_nothing_behind() {
    let Some(b) = Bundle::new("oci-fail", &["/no/such/command"]) else {
        return;
    };
    let before = hull_groups();
    fails(
        &b.create("bad"),
        "/no/such/command: No such file or directory",
    );
    assert_eq!(std::fs::read_dir(&b.root.0).unwrap().count(), 0);
    assert_eq!(hull_groups(), before);
    // A config hull cannot honour is refused by name.
    let path = b.dir.0.join("config.json");
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    cfg["process"]["args"] = serde_json::json!(["true"]);
    cfg["linux"]["intelRdt"] = serde_json::json!({"closID": "x"});
    std::fs::write(&path, cfg.to_string()).unwrap();
    fails(
        &b.create("rdt"),
        "config.json: linux.intelRdt: not supported by hull",
    );
    assert_eq!(std::fs::read_dir(&b.root.0).unwrap().count(), 0);
}

/// Every `hull-*` cgroup directory on the host.
fn hull_groups() -> Vec<String> {
    let o = std::process::Command::new("find")
        .args(["/sys/fs/cgroup", "-name", "hull-*"])
        .output()
        .unwrap();
    let mut v: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn errors_go_to_the_log_as_runc_writes_them() {
    let Some(b) = Bundle::new("oci-log", &["true"]) else {
        return;
    };
    let log = b.dir.0.join("log.json");
    let o = b.hull(&[
        "--log",
        log.to_str().unwrap(),
        "--log-format",
        "json",
        "start",
        "nope",
    ]);
    fails(&o, "container 'nope' does not exist");
    let text = std::fs::read_to_string(&log).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(line["level"], "error");
    assert_eq!(line["msg"], "container 'nope' does not exist");
    assert!(line["time"].as_str().unwrap().ends_with('Z'), "{text}");
    fails(
        &b.hull(&["--systemd-cgroup", "create", "x"]),
        "--systemd-cgroup: systemd cgroup paths are not supported; use the cgroupfs manager",
    );
    fails(
        &b.hull(&["state", "../x"]),
        "invalid container id '../x': 1 to 255 letters, digits, '_', '+', '-' or '.'",
    );
    fails(&b.hull(&["start"]), "a container id is needed");
}

#[test]
fn version_is_in_runcs_shape() {
    let o = hull().arg("--version").output().unwrap();
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(concat!("hull version ", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(lines.next(), Some("spec: 1.1.0"));
}

#[test]
fn namespaces_given_by_path_are_joined() {
    // A pod's sandbox, then a container that joins its namespaces by path,
    // as Kubernetes (through containerd) and podman's pods ask.
    let Some(b) = Bundle::new("oci-join", &["sleep", "60"]) else {
        return;
    };
    let path = b.dir.0.join("config.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut cfg: serde_json::Value = serde_json::from_str(&text).unwrap();
    cfg["hostname"] = "sandbox".into();
    std::fs::write(&path, cfg.to_string()).unwrap();
    ok(&b.create("sandbox"));
    ok(&b.hull(&["start", "sandbox"]));
    let pid = b.state("sandbox")["pid"].as_i64().unwrap();
    let script = "{ hostname; cat /proc/1/cmdline; echo; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; } > /joined";
    cfg["process"]["args"] = serde_json::json!(["sh", "-c", script]);
    cfg.as_object_mut().unwrap().remove("hostname");
    let kinds = ["network", "ipc", "uts", "pid", "mount"];
    cfg["linux"]["namespaces"] = kinds
        .iter()
        .map(|k| match *k {
            "mount" => serde_json::json!({"type": k}),
            _ => {
                let file = if *k == "network" { "net" } else { k };
                serde_json::json!({"type": k, "path": format!("/proc/{pid}/ns/{file}")})
            }
        })
        .collect();
    // The runtime's hooks are born in the runtime's PID namespace, not the
    // one the container joins: those `create` runs, and `run`'s poststart.
    let out = TempDir::new("oci-join-hooks");
    let d = out.path().to_string();
    let hook = |name: &str| {
        let script = format!("readlink /proc/self/ns/pid > {d}/{name}");
        serde_json::json!([{"path": "/bin/sh", "args": ["sh", "-c", script]}])
    };
    cfg["hooks"] = serde_json::json!({
        "prestart": hook("prestart"),
        "createRuntime": hook("createRuntime"),
        "poststart": hook("poststart"),
    });
    std::fs::write(&path, cfg.to_string()).unwrap();
    ok(&b.create("member"));
    ok(&b.hull(&["start", "member"]));
    b.wait_status("member", "stopped");
    ok(&b.hull(&["run", "--bundle", b.dir.path(), "member2"]));
    let own = std::fs::read_link("/proc/self/ns/pid").unwrap();
    for name in ["prestart", "createRuntime", "poststart"] {
        let ns = std::fs::read_to_string(format!("{d}/{name}")).unwrap();
        assert_eq!(ns.trim(), own.to_str().unwrap(), "{name}");
    }
    let ns = |k: &str| std::fs::read_link(format!("/proc/{pid}/ns/{k}")).unwrap();
    let want = format!(
        "sandbox\nsleep\u{0}60\u{0}\n{}\n{}\n",
        ns("net").display(),
        ns("ipc").display()
    );
    assert_eq!(
        std::fs::read_to_string(b.rootfs.0.join("joined")).unwrap(),
        want
    );
    ok(&b.hull(&["delete", "member"]));
    ok(&b.hull(&["delete", "--force", "sandbox"]));
}

/// `exec` (issue 17): the new process is in the container, every namespace
/// and cgroup of its PID 1's, confined as PID 1 is; no fd of the caller's
/// crosses in; its status is the command's (126 and 127 as for `hull
/// run`); `--detach` returns once it runs and writes its host pid; a
/// stopped or unknown container is a one-line error.
#[test]
fn exec_joins_the_container_and_nothing_of_the_callers_crosses() {
    let Some(b) = Bundle::new("oci-exec", &["sleep", "60"]) else {
        return;
    };
    ok(&b.create("c1"));
    // An edit of the bundle after create is not the container's: exec
    // gives the process as it was at create (runc's too).
    b.edit(|cfg| cfg["process"]["env"] = serde_json::json!(["EDITED=after create"]));
    ok(&b.hull(&["start", "c1"]));
    let o = b.hull(&["exec", "c1", "sh", "-c", "echo ${EDITED:-as created}"]);
    assert_eq!(stdout(&o), "as created\n", "{}", stderr(&o));
    let init = b.state("c1")["pid"].as_i64().unwrap();
    let ns = |pid: &str| -> Vec<String> {
        ["mnt", "uts", "ipc", "net", "pid", "cgroup", "user"]
            .iter()
            .map(|n| {
                let l = std::fs::read_link(format!("/proc/{pid}/ns/{n}")).unwrap();
                l.to_str().unwrap().to_string()
            })
            .collect()
    };
    // Run from a shell that leaves fd 7 open on the host's root.
    let hull_path = hull().get_program().to_str().unwrap().to_string();
    let inside = "ls /proc/self/fd | tr '\\n' ' '; echo; cat /proc/1/comm; \
                  set -- /proc/[0-9]*; echo $#; \
                  for n in mnt uts ipc net pid cgroup user; do readlink /proc/self/ns/$n; done; \
                  grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/1/status > /tmp/one; \
                  grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status > /tmp/me; \
                  cmp /tmp/one /tmp/me && echo confined; exit 7";
    let o = std::process::Command::new("sh")
        .args([
            "-c",
            "exec 7</; exec \"$@\"",
            "sh",
            &hull_path,
            "--root",
            b.root.path(),
            "exec",
            "c1",
            "sh",
            "-c",
            inside,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    // 0, 1, 2 and ls's own directory: not the caller's 7.
    assert_eq!(lines[0], "0 1 2 3 ", "{out}");
    assert_eq!(lines[1], "sleep");
    // PID 1 and the shell: its PID namespace is the container's.
    assert_eq!(lines[2], "2", "{out}");
    assert_eq!(lines[3..10], ns(&init.to_string()), "{out}");
    assert_eq!(lines[10], "confined", "{out}");

    // Exit statuses, and the messages podman reads them from.
    let o = b.hull(&["exec", "c1", "no-such-command"]);
    assert_eq!(o.status.code(), Some(127), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "hull: no-such-command: executable file not found in $PATH\n"
    );
    std::fs::write(b.rootfs.0.join("plain"), "").unwrap();
    let o = b.hull(&["exec", "c1", "/plain"]);
    assert_eq!(o.status.code(), Some(126), "{}", stderr(&o));
    assert_eq!(stderr(&o), "hull: /plain: Permission denied\n");
    // Flags after the id are the command's.
    let o = b.hull(&[
        "exec",
        "--user",
        "1000:1000",
        "-e",
        "X=1",
        "c1",
        "sh",
        "-c",
        "echo $(id -u) $X",
    ]);
    assert_eq!(stdout(&o), "1000 1\n", "{}", stderr(&o));

    // --detach: back once it runs, its host pid in the file, in the
    // container's cgroups and PID namespace.
    let pid_file = b.dir.0.join("exec.pid");
    // (Its stdio not a pipe of ours, which it would hold open.)
    let st = hull()
        .args(["--root", b.root.path(), "exec", "--detach", "--pid-file"])
        .args([pid_file.to_str().unwrap(), "c1", "sleep", "30"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let cgroup = |p: &str| std::fs::read_to_string(format!("/proc/{p}/cgroup")).unwrap();
    assert_eq!(cgroup(&pid), cgroup(&init.to_string()));
    assert_eq!(ns(&pid), ns(&init.to_string()));
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
    assert_eq!(comm, "sleep\n");

    fails(
        &b.hull(&["exec", "nope", "true"]),
        "container 'nope' does not exist",
    );
    ok(&b.hull(&["kill", "c1", "KILL"]));
    b.wait_status("c1", "stopped");
    fails(
        &b.hull(&["exec", "c1", "true"]),
        "container 'c1' is stopped: cannot exec in it",
    );
    ok(&b.hull(&["delete", "c1"]));
    // The detached process was in the container's cgroup: gone with it.
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "{pid} outlived its container"
    );
}

/// `pause` and `resume` (issue 17): a counter stops while the container is
/// paused and goes on after; `state` says paused; `ps` lists its
/// processes (JSON, as containerd reads them); exec into a paused
/// container is refused; `kill` of a paused container still ends it.
#[test]
fn pause_resume_ps_and_kill_of_a_paused_container() {
    let script = "i=0; while true; do i=$((i+1)); echo $i > /count; sleep 0.02; done";
    let Some(b) = Bundle::new("oci-pause", &["sh", "-c", script]) else {
        return;
    };
    ok(&b.create("c1"));
    ok(&b.hull(&["start", "c1"]));
    let count = || {
        std::fs::read_to_string(b.rootfs.0.join("count"))
            .unwrap_or_default()
            .trim()
            .parse::<u64>()
            .unwrap_or(0)
    };
    let t = Instant::now();
    while count() < 3 {
        assert!(t.elapsed() < Duration::from_secs(20), "never counted");
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = b.hull(&["ps", "--format", "json", "c1"]);
    ok(&o);
    let pids: Vec<u64> = serde_json::from_str(&stdout(&o)).unwrap();
    let init = b.state("c1")["pid"].as_u64().unwrap();
    assert!(pids.contains(&init), "{pids:?} lacks {init}");
    fails(
        &b.hull(&["resume", "c1"]),
        "container 'c1' is running: only a paused container can be resumed",
    );
    ok(&b.hull(&["pause", "c1"]));
    assert_eq!(b.state("c1")["status"], "paused");
    let frozen = count();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(count(), frozen, "it counted while paused");
    fails(
        &b.hull(&["exec", "c1", "true"]),
        "container 'c1' is paused: cannot exec in it",
    );
    fails(
        &b.hull(&["pause", "c1"]),
        "container 'c1' is paused: only a running container can be paused",
    );
    ok(&b.hull(&["resume", "c1"]));
    assert_eq!(b.state("c1")["status"], "running");
    let t = Instant::now();
    while count() < frozen + 3 {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no count after resume"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    ok(&b.hull(&["pause", "c1"]));
    ok(&b.hull(&["kill", "c1", "KILL"]));
    b.wait_status("c1", "stopped");
    ok(&b.hull(&["delete", "c1"]));
}

/// `process.user.umask` holds for the container's process and for exec's;
/// without one, runc's 0022 (never the caller's).
#[test]
fn the_configs_umask_holds_in_the_container_and_exec() {
    let script = "umask > /umask; exec sleep 60";
    let Some(b) = Bundle::new("oci-umask", &["sh", "-c", script]) else {
        return;
    };
    b.edit(|cfg| cfg["process"]["user"]["umask"] = 0o27.into());
    b.run("c1");
    assert_eq!(b.wait_file("umask", None), "0027\n");
    let o = b.hull(&["exec", "c1", "sh", "-c", "umask"]);
    assert_eq!(stdout(&o), "0027\n", "{}", stderr(&o));
    ok(&b.hull(&["delete", "--force", "c1"]));
}

/// `linux.maskedPaths` and `linux.readonlyPaths` are the config's, not
/// hull run's defaults: podman's and Kubernetes' lists differ from docker's
/// (an extra path masked, or none for a privileged container).
#[test]
fn masked_and_read_only_paths_are_the_configs() {
    let script = "exec > /out 2>&1; wc -c < /proc/cmdline; ls /sys/kernel | wc -l; \
                  head -c 1 /proc/timer_list | wc -c; \
                  echo 1 > /proc/sys/kernel/ns_last_pid || echo sys read-only; \
                  touch /done";
    let Some(b) = Bundle::new("oci-masks", &["sh", "-c", script]) else {
        return;
    };
    b.edit(|cfg| {
        cfg["linux"]["maskedPaths"] = serde_json::json!(["/proc/cmdline", "/sys/kernel"]);
        cfg["linux"]["readonlyPaths"] = serde_json::json!(["/proc/sys"]);
    });
    b.run("c1");
    let out = b.wait_file("out", Some("done"));
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    // /proc/cmdline and /sys/kernel masked; /proc/timer_list, which hull
    // run masks, shown.
    assert_eq!(lines[..3], ["0", "0", "1"], "{out}");
    assert_eq!(lines.last(), Some(&"sys read-only"), "{out}");
    ok(&b.hull(&["delete", "--force", "c1"]));

    b.edit(|cfg| cfg["linux"]["maskedPaths"] = serde_json::json!(["/etc/passwd"]));
    fails(
        &b.create("c2"),
        "config.json: a masked path outside /proc and /sys: /etc/passwd is not supported by hull",
    );
}

/// A container may make groups below its own (runc's `ps` and `delete`
/// walk them): `ps` lists their processes, `delete --force` kills them and
/// removes the groups; and `ps`'s table never passes a control character
/// of a container's command line to the caller's terminal.
#[test]
fn ps_and_delete_reach_the_groups_below_the_containers() {
    let Some(b) = Bundle::new("oci-subgroup", &["sleep", "60"]) else {
        return;
    };
    b.run("c1");
    let pid_file = b.dir.0.join("exec.pid");
    let script = "sleep 61; true";
    let pid_path = pid_file.to_str().unwrap();
    let argv = [
        "exec",
        "--detach",
        "--pid-file",
        pid_path,
        "c1",
        "sh",
        "-c",
        script,
        "x\x1b[2Jy",
    ];
    b.detached(&argv);
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let groups = b.cgroups("c1");
    let sub = Path::new(&groups[0]).join("made-inside");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("cgroup.procs"), pid.to_string()).unwrap();
    let o = b.hull(&["ps", "--format", "json", "c1"]);
    let pids: Vec<u32> = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(pids.contains(&pid), "{pids:?} lacks {pid}, in {sub:?}");
    let o = b.hull(&["ps", "c1"]);
    let line = format!("{pid}\tsh -c {script} x?[2Jy\n");
    assert!(stdout(&o).contains(&line), "{:?}", stdout(&o));
    ok(&b.hull(&["delete", "--force", "c1"]));
    for g in &groups {
        assert!(!Path::new(g).exists(), "{g} left behind");
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z "),
        "{pid} lives: {stat}"
    );
}

/// The config's five capability sets hold as given (they were once the
/// bounding set in four and ambient refused): a non-root user with
/// NET_BIND_SERVICE in every set, ambient included (podman's `--user 1000
/// --cap-add`), keeps it across the execve; `exec --process` gets its own
/// file's sets; and root with an empty inheritable set (containerd's,
/// since CVE-2022-24769) has none inheritable.
#[test]
fn the_configs_five_capability_sets_hold() {
    let script = "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status > /w/out; exec sleep 60";
    let Some(b) = Bundle::new("oci-caps", &["sh", "-c", script]) else {
        return;
    };
    // Where user 1000 may write.
    let w = b.rootfs.0.join("w");
    std::fs::create_dir_all(&w).unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&w).unwrap().permissions(),
        0o777,
    );
    std::fs::set_permissions(&w, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let nbs = serde_json::json!(["CAP_NET_BIND_SERVICE"]);
    let caps = |e: &serde_json::Value, a: &serde_json::Value| {
        serde_json::json!({"bounding": ["CAP_NET_BIND_SERVICE", "CAP_CHOWN"], "effective": e,
                           "permitted": e, "inheritable": e, "ambient": a})
    };
    let sets = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.split_whitespace().last().unwrap_or("").to_string())
            .collect()
    };
    b.edit(|cfg| {
        cfg["process"]["user"] = serde_json::json!({"uid": 1000, "gid": 1000});
        cfg["process"]["capabilities"] = caps(&nbs, &nbs);
    });
    b.run("c1");
    // Inh, Prm, Eff, Bnd, Amb.
    let want = [
        "0000000000000400",
        "0000000000000400",
        "0000000000000400",
        "0000000000000401",
        "0000000000000400",
    ];
    assert_eq!(sets(&b.wait_file("w/out", None)), want);
    // exec with a process file of its own: its sets, not the config's.
    let proc_file = b.dir.0.join("process.json");
    let process = serde_json::json!({"args": ["grep", "-E", "^Cap(Eff|Amb)", "/proc/self/status"],
        "cwd": "/", "user": {"uid": 1000, "gid": 1000}, "env": ["PATH=/bin"],
        "capabilities": caps(&serde_json::json!([]), &serde_json::json!([]))});
    std::fs::write(&proc_file, process.to_string()).unwrap();
    let o = b.hull(&["exec", "--process", proc_file.to_str().unwrap(), "c1"]);
    assert_eq!(
        sets(&stdout(&o)),
        ["0000000000000000", "0000000000000000"],
        "{}",
        stderr(&o)
    );
    ok(&b.hull(&["delete", "--force", "c1"]));

    // Root with an empty inheritable set: none inheritable.
    std::fs::remove_file(w.join("out")).unwrap();
    b.edit(|cfg| {
        cfg["process"]["user"] = serde_json::json!({"uid": 0, "gid": 0});
        let mut c = caps(&nbs, &serde_json::json!([]));
        c["inheritable"] = serde_json::json!([]);
        cfg["process"]["capabilities"] = c;
    });
    b.run("c2");
    // (hull spec's config sets noNewPrivileges: execve then grants root
    // no more than the permitted set it had.)
    let want = [
        "0000000000000000",
        "0000000000000400",
        "0000000000000400",
        "0000000000000401",
        "0000000000000000",
    ];
    assert_eq!(sets(&b.wait_file("w/out", None)), want);
    ok(&b.hull(&["delete", "--force", "c2"]));
}

/// runc's `run`: create and start; in the foreground hull waits, passes
/// signals on, deletes the container and exits with its status; with
/// `--detach` it returns at once. `hull run` without one of runc's flags
/// first (or a global flag before it) stays hull's own `run COMMAND`.
#[test]
fn oci_run_waits_passes_signals_on_and_deletes() {
    let script = "echo hello from $(hostname); exit 7";
    let Some(b) = Bundle::new("oci-run", &["sh", "-c", script]) else {
        return;
    };
    let o = b.hull(&["run", "--bundle", b.dir.path(), "r1"]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert_eq!(stdout(&o), "hello from hull\n", "hull spec's hostname");
    assert_eq!(
        std::fs::read_dir(&b.root.0).unwrap().count(),
        0,
        "state left"
    );

    // A signal to hull reaches the container, which ends on it.
    b.edit(|cfg| {
        cfg["process"]["args"] = serde_json::json!([
            "sh",
            "-c",
            "trap 'exit 3' TERM; touch /ready; sleep 60 & wait"
        ])
    });
    let mut c = hull();
    c.args([
        "--root",
        b.root.path(),
        "run",
        "--bundle",
        b.dir.path(),
        "r2",
    ]);
    let mut p = c.stdout(Stdio::null()).spawn_bounded();
    b.wait_file("ready", Some("ready"));
    common::kill(p.id(), "TERM");
    assert_eq!(p.wait().code(), Some(3));
    assert_eq!(
        std::fs::read_dir(&b.root.0).unwrap().count(),
        0,
        "state left"
    );

    // No stop timeout, as runc's: a container that ignores SIGTERM (a
    // PID 1 without a handler) is not killed 10 s later.
    b.edit(|cfg| {
        cfg["process"]["args"] = serde_json::json!(["sh", "-c", "touch /ready; exec sleep 60"])
    });
    let _ = std::fs::remove_file(b.rootfs.0.join("ready"));
    let mut c = hull();
    c.args([
        "--root",
        b.root.path(),
        "run",
        "--bundle",
        b.dir.path(),
        "r4",
    ]);
    let mut p = c.stdout(Stdio::null()).spawn_bounded();
    b.wait_file("ready", Some("ready"));
    common::kill(p.id(), "TERM");
    assert_eq!(p.wait_within(12), None, "killed after a stop timeout");
    assert_eq!(b.state("r4")["status"], "running");
    ok(&b.hull(&["kill", "r4", "KILL"]));
    assert_eq!(p.wait().code(), Some(137));

    // Detached: running, and the caller's to delete.
    let _ = std::fs::remove_file(b.rootfs.0.join("ready"));
    b.detached(&["run", "-d", "--bundle", b.dir.path(), "r3"]);
    b.wait_file("ready", Some("ready"));
    assert_eq!(b.state("r3")["status"], "running");
    ok(&b.hull(&["delete", "--force", "r3"]));

    // Without runc's flags, `hull run` is hull's own.
    let o = hull().args(["run", "echo", "own"]).output().unwrap();
    assert_eq!(stdout(&o), "own\n", "{}", stderr(&o));
}

/// `linux.devices` nodes are made (as the host's node at the path, which
/// must be that device) and `linux.resources.devices` is the allow list,
/// before docker's defaults, as runc reads them: podman's `--device
/// /dev/fuse` gives both; a node without a rule is there but cannot be
/// opened; a node unlike the host's, and a deny rule the allow list
/// cannot express, are refused.
#[test]
fn config_devices_are_made_and_its_rules_allow_them() {
    if !std::path::Path::new("/dev/fuse").exists() {
        common::skip("config_devices", "no /dev/fuse on this host");
        return;
    }
    let script = "exec > /out 2>&1; ls /dev/fuse; (exec 3<>/dev/fuse) 2>/dev/null && echo opened; \
                  (exec 3<>/dev/null) && echo null; touch /done";
    let Some(b) = Bundle::new("oci-devices", &["sh", "-c", script]) else {
        return;
    };
    let fuse = serde_json::json!({"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                                  "fileMode": 438, "uid": 0, "gid": 0});
    let deny_all = serde_json::json!({"allow": false, "access": "rwm"});
    let allow_fuse =
        serde_json::json!({"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"});
    for (id, rules, want) in [
        (
            "c1",
            serde_json::json!([deny_all, allow_fuse]),
            "/dev/fuse\nopened\nnull\n",
        ),
        (
            "c2",
            serde_json::json!([allow_fuse, deny_all]),
            "/dev/fuse\nnull\n",
        ),
    ] {
        b.edit(|cfg| {
            cfg["linux"]["devices"] = serde_json::json!([fuse]);
            cfg["linux"]["resources"]["devices"] = rules;
        });
        let _ = std::fs::remove_file(b.rootfs.0.join("done"));
        b.run(id);
        assert_eq!(b.wait_file("out", Some("done")), want, "{id}");
        ok(&b.hull(&["delete", "--force", id]));
    }
    b.edit(|cfg| {
        cfg["linux"]["devices"] =
            serde_json::json!([{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 230}]);
    });
    let unlike = |path: &str| {
        format!(
            "config.json: linux.devices {path} unlike the host's node at that plain path under /dev (type, numbers or a stricter fileMode) is not supported by hull"
        )
    };
    fails(&b.create("c3"), &unlike("/dev/fuse"));
    // A path that walks out of /dev (and, made before the switch of root,
    // out to the host), and a mode stricter than the host node's.
    // (/dev/../../dev/null is the host's /dev/null, but made from the
    // container's /dev it lands beside the rootfs.)
    let escaped = b.rootfs.0.parent().unwrap().join("dev");
    let _ = std::fs::remove_dir_all(&escaped);
    for dev in [
        serde_json::json!({"path": "/dev/../../dev/null", "type": "c", "major": 1, "minor": 3}),
        serde_json::json!({"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 256}),
    ] {
        let path = dev["path"].as_str().unwrap().to_string();
        b.edit(|cfg| cfg["linux"]["devices"] = serde_json::json!([dev]));
        fails(&b.create("c3"), &unlike(&path));
    }
    assert!(!escaped.exists(), "made outside the rootfs");
    // containerd's default list names nodes hull makes anyway: taken.
    b.edit(|cfg| {
        cfg["linux"]["devices"] = serde_json::json!([
            {"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 438},
            {"path": "/dev/tty", "type": "c", "major": 5, "minor": 0, "fileMode": 438}]);
        cfg["linux"]["resources"]["devices"] = serde_json::json!([deny_all]);
    });
    let _ = std::fs::remove_file(b.rootfs.0.join("done"));
    b.run("c5");
    b.wait_file("out", Some("done"));
    ok(&b.hull(&["delete", "--force", "c5"]));
    b.edit(|cfg| {
        cfg["linux"]["devices"] = serde_json::json!([]);
        cfg["linux"]["resources"]["devices"] =
            serde_json::json!([{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]);
    });
    fails(
        &b.create("c4"),
        "config.json: a linux.resources.devices deny rule other than one of every device is not supported by hull",
    );
}

/// A config mount's flags hold: a tmpfs marked `ro` and `noexec` is
/// read-only and not executable, podman's `nosuid,nodev,noexec` binds
/// carry them (they were once dropped, leaving both writable and
/// executable); and a sysctl that is host-wide, not a plain key, or of a
/// namespace the container shares with the host is refused, as runc does
/// (the child, still root, writes it through /proc/sys).
#[test]
fn config_mount_flags_hold_and_host_sysctls_are_refused() {
    let script = "exec > /out 2>&1; touch /ro/x 2>/dev/null || echo ro refused; \
                  grep -E ' /(ro|data) ' /proc/self/mountinfo | cut -d' ' -f5,6; touch /done";
    let Some(b) = Bundle::new("oci-flags", &["sh", "-c", script]) else {
        return;
    };
    let data = TempDir::new("oci-flags-data");
    b.edit(|cfg| {
        let mounts = cfg["mounts"].as_array_mut().unwrap();
        mounts.push(serde_json::json!({"destination": "/ro", "type": "tmpfs", "source": "tmpfs",
                                       "options": ["ro", "noexec", "size=1m"]}));
        mounts.push(serde_json::json!({"destination": "/data", "type": "bind", "source": data.path(),
                                       "options": ["rbind", "rprivate", "nosuid", "noexec", "nodev"]}));
    });
    b.run("c1");
    let out = b.wait_file("out", Some("done"));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "ro refused", "{out}");
    let opts = |dst: &str| {
        let l = lines
            .iter()
            .find(|l| l.starts_with(dst))
            .unwrap_or_else(|| panic!("{out}"));
        l.split_once(' ')
            .unwrap()
            .1
            .split(',')
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let ro = opts("/ro");
    assert!(
        ro.contains(&"ro".into()) && ro.contains(&"noexec".into()),
        "{ro:?}"
    );
    let data = opts("/data");
    for f in ["nosuid", "nodev", "noexec"] {
        assert!(data.contains(&f.into()), "{data:?}");
    }
    ok(&b.hull(&["delete", "--force", "c1"]));

    // The network namespace joined by a path that is hull's own (the
    // host's): its sysctls are the host's.
    b.edit(|cfg| {
        cfg["linux"]["sysctl"] = serde_json::json!({"net.ipv4.ip_default_ttl": "65"});
        for n in cfg["linux"]["namespaces"].as_array_mut().unwrap() {
            if n["type"] == "network" {
                n["path"] = "/proc/self/ns/net".into();
            }
        }
    });
    fails(
        &b.create("c3"),
        "config.json: linux.sysctl net.ipv4.ip_default_ttl (host-wide, or of a namespace shared with the host) is not supported by hull",
    );
    b.edit(|cfg| {
        for n in cfg["linux"]["namespaces"].as_array_mut().unwrap() {
            if n["type"] == "network" {
                n.as_object_mut().unwrap().remove("path");
            }
        }
    });
    for (key, ns) in [
        ("kernel.core_pattern", None),
        ("net.ipv4/../../kernel/core_pattern", None),
        ("net.ipv4.ip_forward", Some("network")),
        ("kernel.msgmax", Some("ipc")),
    ] {
        b.edit(|cfg| {
            cfg["linux"]["sysctl"] = serde_json::json!({key: "1"});
            if let Some(ns) = ns {
                let list = cfg["linux"]["namespaces"].as_array_mut().unwrap();
                list.retain(|n| n["type"] != ns);
            }
        });
        fails(
            &b.create("c2"),
            &format!(
                "config.json: linux.sysctl {key} (host-wide, or of a namespace shared with the host) is not supported by hull"
            ),
        );
        b.edit(|cfg| {
            if let Some(ns) = ns {
                cfg["linux"]["namespaces"]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!({"type": ns}));
            }
        });
    }
}

/// The atime, diratime and symlink options a config gives a mount hold
/// (they were once dropped without a word): a tmpfs with `noatime`,
/// `nodiratime` and `nosymfollow` has them and follows no symlink, a bind
/// with `strictatime` is neither relatime nor noatime, and `rw` on a bind
/// of a read-only mount makes the container's copy writable, as runc does.
#[test]
fn config_atime_symfollow_and_rw_options_hold() {
    let script = "exec > /out 2>&1; grep -E ' /(t|data|rw) ' /proc/self/mountinfo | cut -d' ' -f5,6; \
                  ln -s /out /t/l && cat /t/l > /dev/null 2>&1 || echo symlink refused; \
                  touch /rw/x && echo rw written; touch /done";
    let Some(b) = Bundle::new("oci-atime", &["sh", "-c", script]) else {
        return;
    };
    let data = TempDir::new("oci-atime-data");
    let ro_dir = TempDir::new("oci-atime-ro");
    let ro = SharedTmpfs::new(ro_dir.path());
    sh_ok(&format!("mount -o remount,bind,ro {}", ro.0));
    b.edit(|cfg| {
        let mounts = cfg["mounts"].as_array_mut().unwrap();
        mounts.push(serde_json::json!({"destination": "/t", "type": "tmpfs", "source": "tmpfs",
                                       "options": ["noatime", "nodiratime", "nosymfollow", "size=1m"]}));
        mounts.push(serde_json::json!({"destination": "/data", "type": "bind", "source": data.path(),
                                       "options": ["rbind", "noatime", "strictatime"]}));
        mounts.push(serde_json::json!({"destination": "/rw", "type": "bind", "source": ro.0,
                                       "options": ["rbind", "rw"]}));
    });
    b.run("c1");
    let out = b.wait_file("out", Some("done"));
    ok(&b.hull(&["delete", "--force", "c1"]));
    let opts = |dst: &str| -> Vec<String> {
        let l = out
            .lines()
            .find(|l| l.starts_with(&format!("{dst} ")))
            .unwrap_or_else(|| panic!("{dst}: {out}"));
        l.split_once(' ')
            .unwrap()
            .1
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let t = opts("/t");
    for f in ["noatime", "nodiratime", "nosymfollow"] {
        assert!(t.contains(&f.into()), "{t:?}");
    }
    let d = opts("/data");
    assert!(
        !d.iter().any(|o| o == "relatime" || o == "noatime"),
        "{d:?}"
    );
    assert_eq!(opts("/rw")[0], "rw", "{out}");
    assert!(out.contains("symlink refused"), "{out}");
    assert!(out.contains("rw written"), "{out}");
    // The host's mount stays read-only: only the container's copy changed.
    let mi = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let host = mi
        .lines()
        .find(|l| l.split(' ').nth(4) == Some(ro.0.as_str()))
        .unwrap();
    assert!(host.split(' ').nth(5).unwrap().starts_with("ro"), "{host}");
}

/// The config's `domainname` is set in the container's UTS namespace, and
/// its `/dev/mqueue` mount (every podman config has one) is the container's
/// IPC namespace's message queues; an mqueue elsewhere is refused.
#[test]
fn domainname_and_mqueue_are_the_configs() {
    let script = "exec > /out 2>&1; cat /proc/sys/kernel/domainname; \
                  grep ' /dev/mqueue ' /proc/self/mountinfo | cut -d' ' -f9; touch /done";
    let Some(b) = Bundle::new("oci-uts", &["sh", "-c", script]) else {
        return;
    };
    b.edit(|cfg| cfg["domainname"] = "example.org".into());
    b.run("c1");
    assert_eq!(b.wait_file("out", Some("done")), "example.org\nmqueue\n");
    ok(&b.hull(&["delete", "--force", "c1"]));
    b.edit(|cfg| {
        cfg["mounts"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"destination": "/mq", "type": "mqueue", "source": "mqueue"}))
    });
    fails(
        &b.create("c2"),
        "config.json: mount of type 'mqueue' on /mq is not supported by hull",
    );
}

/// The config's options for the mounts hull makes itself are those
/// mounts': a `size=` and `exec` for /dev/shm, `rw` for /sys (podman's
/// `--privileged`), devpts' `gid=5`. Its flags only add to hull's unless
/// they say the opposite (no `noexec` in the list keeps /dev noexec). In a
/// user namespace that has no group 5, devpts' `gid=5` is left out. An
/// entry of another type for one of them is refused, not replaced.
#[test]
fn the_configs_options_hold_for_the_mounts_hull_makes() {
    let script = "exec > /out 2>&1; \
                  for m in /dev /dev/shm /dev/pts /sys; do \
                  grep \" $m \" /proc/self/mountinfo | awk '{print $5, $6, $NF}'; done; touch /done";
    let Some(b) = Bundle::new("oci-sysopts", &["sh", "-c", script]) else {
        return;
    };
    let set = |cfg: &mut serde_json::Value, dst: &str, opts: serde_json::Value| {
        let mounts = cfg["mounts"].as_array_mut().unwrap();
        let m = mounts.iter_mut().find(|m| m["destination"] == dst).unwrap();
        m["options"] = opts;
    };
    b.edit(|cfg| {
        set(
            cfg,
            "/dev",
            serde_json::json!(["nosuid", "mode=755", "size=2048k"]),
        );
        set(
            cfg,
            "/dev/shm",
            serde_json::json!(["nosuid", "nodev", "exec", "mode=1777", "size=1m"]),
        );
        set(
            cfg,
            "/sys",
            serde_json::json!(["nosuid", "noexec", "nodev", "rw"]),
        );
    });
    b.run("c1");
    let out = b.wait_file("out", Some("done"));
    ok(&b.hull(&["delete", "--force", "c1"]));
    let line = |dst: &str| -> (Vec<String>, Vec<String>) {
        let l = out
            .lines()
            .find(|l| l.starts_with(&format!("{dst} ")))
            .unwrap_or_else(|| panic!("{dst}: {out}"));
        let f: Vec<&str> = l.split(' ').collect();
        let words = |s: &str| s.split(',').map(str::to_string).collect();
        (words(f[1]), words(f[2]))
    };
    let has = |v: &[String], w: &str| v.iter().any(|o| o == w);
    let (dev, dev_super) = line("/dev");
    assert!(has(&dev, "nosuid") && has(&dev, "noexec"), "{out}");
    assert!(has(&dev_super, "size=2048k"), "{out}");
    let (shm, shm_super) = line("/dev/shm");
    assert!(has(&shm, "nosuid") && has(&shm, "nodev"), "{out}");
    assert!(!has(&shm, "noexec"), "{out}");
    assert!(has(&shm_super, "size=1024k"), "{out}");
    let (_, pts_super) = line("/dev/pts");
    assert!(has(&pts_super, "gid=5"), "{out}");
    let (sys, _) = line("/sys");
    assert_eq!(sys[0], "rw", "{out}");

    // A user namespace that maps only root: its devpts has no gid=5.
    b.with_root_only_user_namespace();
    std::fs::remove_file(b.rootfs.0.join("done")).unwrap();
    b.run("c2");
    let out = b.wait_file("out", Some("done"));
    ok(&b.hull(&["delete", "--force", "c2"]));
    let pts = out
        .lines()
        .find(|l| l.starts_with("/dev/pts "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(!pts.contains("gid=5"), "{out}");

    b.edit(|cfg| {
        let mounts = cfg["mounts"].as_array_mut().unwrap();
        let m = mounts
            .iter_mut()
            .find(|m| m["destination"] == "/sys")
            .unwrap();
        m["type"] = "tmpfs".into();
    });
    fails(
        &b.create("c3"),
        "config.json: mount of type 'tmpfs' on /sys is not supported by hull",
    );
}

/// A config without a UTS namespace shares the host's (Kubernetes gives
/// host-network pods no UTS namespace of their own): the container's is
/// the host's, with the host's name. A hostname then is refused, as runc
/// refuses it. (Sharing the host's was refused before.)
#[test]
fn a_config_without_a_uts_namespace_shares_the_hosts() {
    let script =
        "exec > /out 2>&1; readlink /proc/self/ns/uts; cat /proc/sys/kernel/hostname; touch /done";
    let Some(b) = Bundle::new("oci-utshost", &["sh", "-c", script]) else {
        return;
    };
    b.without_namespace("uts");
    b.edit(|cfg| _ = cfg.as_object_mut().unwrap().remove("hostname"));
    b.run("c1");
    let out = b.wait_file("out", Some("done"));
    ok(&b.hull(&["delete", "--force", "c1"]));
    let own = std::fs::read_link("/proc/self/ns/uts").unwrap();
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(out, format!("{}\n{name}", own.display()));
    b.edit(|cfg| cfg["hostname"] = "box".into());
    fails(
        &b.create("c2"),
        "config.json: hostname: needs a uts namespace in linux.namespaces",
    );
}

/// A config without a PID namespace shares the host's (Kubernetes'
/// `hostPID` pods, podman's `--pid=host`): the container's process sees
/// the host's, and its pid there is the host's. Its other processes do not
/// die with it: `delete --force` kills what is left in its cgroups. In a
/// user namespace it is refused (its /proc could not be mounted).
#[test]
fn a_config_without_a_pid_namespace_shares_the_hosts() {
    let script = "sleep 300 & echo $! > /bg; readlink /proc/self/ns/pid > /out; touch /done; wait";
    let Some(b) = Bundle::new("oci-pidhost", &["sh", "-c", script]) else {
        return;
    };
    b.without_namespace("pid");
    b.run("c1");
    let out = b.wait_file("out", Some("done"));
    let own = std::fs::read_link("/proc/self/ns/pid").unwrap();
    assert_eq!(out.trim(), own.to_str().unwrap());
    // The background sleep's /proc directory: a host pid, in the
    // container's cgroup.
    let bg_of = || {
        let bg = std::fs::read_to_string(b.rootfs.0.join("bg")).unwrap();
        format!("/proc/{}", bg.trim())
    };
    let bg = bg_of();
    let cmdline = std::fs::read(format!("{bg}/cmdline")).unwrap();
    assert!(cmdline.starts_with(b"sleep\x00300"), "{cmdline:?}");
    ok(&b.hull(&["delete", "--force", "c1"]));
    let gone = |bg: &str, what: &str| {
        let t = Instant::now();
        while Path::new(bg).exists() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "{bg} outlived {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    gone(&bg, "delete");
    // Its process killed, the container is stopped but its background
    // process lives on: `kill --all` signals what is left, as runc's does.
    std::fs::remove_file(b.rootfs.0.join("done")).unwrap();
    b.run("c3");
    b.wait_file("out", Some("done"));
    let bg = bg_of();
    ok(&b.hull(&["kill", "c3", "KILL"]));
    b.wait_status("c3", "stopped");
    assert!(
        Path::new(&bg).exists(),
        "{bg} died with the container's process"
    );
    ok(&b.hull(&["kill", "--all", "c3", "KILL"]));
    gone(&bg, "kill --all");
    fails(
        &b.hull(&["kill", "c3", "KILL"]),
        "container 'c3' is stopped: nothing to signal",
    );
    ok(&b.hull(&["delete", "c3"]));
    b.with_root_only_user_namespace();
    fails(
        &b.create("c2"),
        "config.json: sharing the host's pid namespace in a user namespace is not supported by hull",
    );
}

/// The config's `linux.personality` is the command's execution domain
/// (LINUX32: `uname -m` says i686 on x86_64, as `setarch` makes it); LINUX
/// is the native one.
#[test]
fn the_configs_personality_holds() {
    let script = "exec > /out 2>&1; uname -m; touch /done";
    let Some(b) = Bundle::new("oci-pers", &["sh", "-c", script]) else {
        return;
    };
    b.edit(|cfg| cfg["linux"]["personality"] = serde_json::json!({"domain": "LINUX32"}));
    b.run("c1");
    assert_eq!(b.wait_file("out", Some("done")), "i686\n");
    ok(&b.hull(&["delete", "--force", "c1"]));
    b.edit(|cfg| cfg["linux"]["personality"] = serde_json::json!({"domain": "LINUX"}));
    for f in ["out", "done"] {
        std::fs::remove_file(b.rootfs.0.join(f)).unwrap();
    }
    b.run("c2");
    assert_eq!(b.wait_file("out", Some("done")), "x86_64\n");
    ok(&b.hull(&["delete", "--force", "c2"]));
}

/// Mount propagation as the config asks: a bind with `rslave` sees what
/// the host mounts below its source after the start (Kubernetes'
/// HostToContainer), a private one does not; `rootfsPropagation` and the
/// binds' modes are applied; a shared bind passes mounts both ways.
#[test]
fn mount_propagation_is_the_configs() {
    let script = "exec > /out 2>&1; while [ ! -e /go ]; do sleep 0.1; done; \
                  cat /slave/sub/m; cat /private/sub/m 2>/dev/null || echo none; \
                  grep -c ' /slave ' /proc/self/mountinfo; touch /done";
    let Some(b) = Bundle::new("oci-prop", &["sh", "-c", script]) else {
        return;
    };
    // The host's side: a shared tmpfs of the test's own.
    let src = TempDir::new("oci-prop-src");
    let d = src.path();
    let _shared = SharedTmpfs::new(d);
    b.edit(|cfg| {
        let mounts = cfg["mounts"].as_array_mut().unwrap();
        for (dst, opt) in [("/slave", "rslave"), ("/private", "rprivate")] {
            mounts.push(
                serde_json::json!({"destination": dst, "type": "bind", "source": d,
                "options": ["rbind", opt]}),
            );
        }
        cfg["linux"]["rootfsPropagation"] = "rslave".into();
    });
    b.run("c1");
    sh_ok(&format!(
        "mount -t tmpfs tmpfs {d}/sub && echo hi > {d}/sub/m"
    ));
    std::fs::write(b.rootfs.0.join("go"), "").unwrap();
    assert_eq!(b.wait_file("out", Some("done")), "hi\nnone\n1\n");
    ok(&b.hull(&["delete", "--force", "c1"]));
    // Shared (Kubernetes' Bidirectional; it was refused): what the
    // container mounts below the bind appears on the host and stays there,
    // and what the host mounts later appears inside; with a root that is
    // rshared too, as CRI asks for such a pod.
    std::fs::create_dir(format!("{d}/in")).unwrap();
    let script = "exec > /out 2>&1; mount -t tmpfs tmpfs /shared/in && echo inside > /shared/in/f; \
                  echo 1 > /ready; while [ ! -e /go ]; do sleep 0.1; done; cat /shared/sub2/m; \
                  awk '$5 == \"/\"' /proc/self/mountinfo | grep -c shared:; touch /done";
    std::fs::remove_file(b.rootfs.0.join("go")).unwrap();
    std::fs::remove_file(b.rootfs.0.join("done")).unwrap();
    b.edit(|cfg| {
        cfg["process"]["args"] = serde_json::json!(["sh", "-c", script]);
        for set in ["bounding", "effective", "permitted"] {
            cfg["process"]["capabilities"][set] = serde_json::json!(["CAP_SYS_ADMIN"]);
        }
        let mounts = cfg["mounts"].as_array_mut().unwrap();
        mounts.pop();
        mounts.pop();
        mounts.push(
            serde_json::json!({"destination": "/shared", "type": "bind", "source": d,
                                       "options": ["rbind", "rshared"]}),
        );
        cfg["linux"]["rootfsPropagation"] = "rshared".into();
    });
    b.run("c2");
    b.wait_file("ready", None);
    assert_eq!(
        std::fs::read_to_string(format!("{d}/in/f")).unwrap(),
        "inside\n"
    );
    sh_ok(&format!(
        "mkdir {d}/sub2 && mount -t tmpfs tmpfs {d}/sub2 && echo host > {d}/sub2/m"
    ));
    std::fs::write(b.rootfs.0.join("go"), "").unwrap();
    assert_eq!(b.wait_file("out", Some("done")), "host\n1\n");
    ok(&b.hull(&["delete", "--force", "c2"]));
    // The container's mount outlives it on the host, as Bidirectional's do.
    assert_eq!(
        std::fs::read_to_string(format!("{d}/in/f")).unwrap(),
        "inside\n"
    );
    // A source on a mount that is not shared: its copy would be a peer of
    // nothing, and the create says so.
    sh_ok(&format!("mount --make-rprivate {d}"));
    fails(
        &b.create("c3"),
        &format!(
            "volume source {d}: shared propagation needs a shared mount there (mount --make-shared)"
        ),
    );
}

/// The config's hooks, with the state on stdin: `prestart` and
/// `createRuntime` during create, once the container's mounts are made and
/// before its root is switched; `poststart` after start; `poststop` after
/// delete. A failing or slow create hook fails the create and leaves
/// nothing.
#[test]
fn hooks_run_at_their_points_with_the_state() {
    let Some(b) = Bundle::new("oci-hooks", &["sleep", "30"]) else {
        return;
    };
    let out = TempDir::new("oci-hooks-out");
    let (d, rootfs) = (out.path().to_string(), b.rootfs.path().to_string());
    let hook =
        |script: String| serde_json::json!({"path": "/bin/sh", "args": ["sh", "-c", script]});
    let create_hook = format!(
        "s=$(cat); echo \"$s\" > {d}/create; pid=${{s#*\\\"pid\\\":}}; pid=${{pid%%,*}}; \
         readlink /proc/$pid/root > {d}/root; \
         nsenter -t $pid -m sh -c 'mountpoint -q {rootfs}/proc && echo mounted' > {d}/proc"
    );
    b.edit(|cfg| {
        cfg["annotations"] = serde_json::json!({"k": "v"});
        cfg["hooks"] = serde_json::json!({
            "prestart": [hook(format!("cat > {d}/prestart"))],
            "createRuntime": [hook(create_hook.clone())],
            "poststart": [hook(format!("cat > {d}/poststart"))],
            "poststop": [hook(format!("cat > {d}/poststop"))],
        });
    });
    let read = |f: &str| std::fs::read_to_string(format!("{d}/{f}")).unwrap_or_default();
    ok(&b.create("c1"));
    let state: serde_json::Value = serde_json::from_str(&read("create")).unwrap();
    assert_eq!(state["id"], "c1");
    assert_eq!(state["status"], "creating");
    assert_eq!(state["annotations"]["k"], "v");
    assert!(state["pid"].as_i64().unwrap() > 0, "{state}");
    assert_eq!(read("prestart").trim(), read("create").trim());
    // Before the switch of root (the host's /), after the mounts.
    assert_eq!(read("root"), "/\n");
    assert_eq!(read("proc"), "mounted\n");
    assert_eq!(read("poststart"), "");
    ok(&b.hull(&["start", "c1"]));
    let state: serde_json::Value = serde_json::from_str(&read("poststart")).unwrap();
    assert_eq!(
        (state["id"].as_str(), state["status"].as_str()),
        (Some("c1"), Some("running"))
    );
    assert_eq!(read("poststop"), "");
    ok(&b.hull(&["delete", "--force", "c1"]));
    let state: serde_json::Value = serde_json::from_str(&read("poststop")).unwrap();
    assert_eq!(
        (state["id"].as_str(), state["status"].as_str()),
        (Some("c1"), Some("stopped"))
    );

    // A failing create hook, then a slow one: the create fails, nothing stays.
    for (h, why) in [
        (
            hook("exit 3".into()),
            "createRuntime hook /bin/sh: exit status 3",
        ),
        (
            serde_json::json!({"path": "/bin/sleep", "args": ["sleep", "10"], "timeout": 1}),
            "createRuntime hook /bin/sleep: timed out after 1 s",
        ),
    ] {
        b.edit(|cfg| cfg["hooks"] = serde_json::json!({"createRuntime": [h]}));
        fails(&b.create("c2"), why);
        assert!(!stdout(&b.hull(&["list"])).contains("c2"), "c2 left behind");
    }
}

/// `createContainer` and `startContainer` run in the container's
/// namespaces (they were refused before): its UTS and PID namespaces for
/// both; createContainer before the switch of root (a host path resolves,
/// and it may write into a read-only root, as runc lets it), startContainer
/// after it, in the container's root, before the command runs. A failing
/// createContainer hook fails the create and leaves nothing; a failing
/// startContainer hook fails the start and stops the container.
#[test]
fn container_hooks_run_in_the_containers_namespaces() {
    let script = "cat /out/start-pidns > /dev/null && ls /made-by-hook > /out/main; sleep 30";
    let Some(b) = Bundle::new("oci-chooks", &["sh", "-c", script]) else {
        return;
    };
    let out = TempDir::new("oci-chooks-out");
    let (d, rootfs) = (out.path().to_string(), b.rootfs.path().to_string());
    let hook = |path: &str, script: String| serde_json::json!({"path": path, "args": ["sh", "-c", script]});
    let create_hook = format!(
        "cat > {d}/create; hostname > {d}/create-host; readlink /proc/self/ns/pid > {d}/create-pidns; \
         touch {rootfs}/made-by-hook"
    );
    // /out is the container's bind of the test's directory: a path only
    // the container's root has.
    let start_hook = "cat > /out/start; hostname > /out/start-host; \
                      readlink /proc/self/ns/pid > /out/start-pidns"
        .to_string();
    b.edit(|cfg| {
        cfg["hostname"] = "inside".into();
        cfg["root"]["readonly"] = true.into();
        cfg["mounts"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!(
            {"destination": "/out", "type": "bind", "source": d, "options": ["rbind"]}));
        cfg["hooks"] = serde_json::json!({
            "createContainer": [hook("/bin/sh", create_hook.clone())],
            "startContainer": [hook("/bin/sh", start_hook.clone())],
        });
    });
    let read = |f: &str| std::fs::read_to_string(format!("{d}/{f}")).unwrap_or_default();
    ok(&b.create("c1"));
    let pid = b.state("c1")["pid"].as_i64().unwrap();
    let pidns = std::fs::read_link(format!("/proc/{pid}/ns/pid")).unwrap();
    let pidns = format!("{}\n", pidns.display());
    assert_ne!(
        pidns,
        format!(
            "{}\n",
            std::fs::read_link("/proc/self/ns/pid").unwrap().display()
        )
    );
    // What hook `name` got and saw: the state, the hostname, the PID
    // namespace.
    let saw = |name: &str, status: &str| {
        let state: serde_json::Value = serde_json::from_str(&read(name)).unwrap();
        assert_eq!(
            (state["status"].as_str(), state["pid"].as_i64()),
            (Some(status), Some(pid))
        );
        assert_eq!(read(&format!("{name}-host")), "inside\n");
        assert_eq!(read(&format!("{name}-pidns")), pidns);
    };
    saw("create", "creating");
    assert_eq!(read("start"), "", "startContainer ran at create");
    ok(&b.hull(&["start", "c1"]));
    saw("start", "created");
    // The command ran after the startContainer hook, and saw what the
    // createContainer hook wrote into the read-only root.
    let t = Instant::now();
    while read("main").is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the command never ran"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(read("main"), "/made-by-hook\n");
    ok(&b.hull(&["delete", "--force", "c1"]));

    // A createContainer hook that fails, or cannot be run: the create
    // fails, naming it, and nothing stays.
    for (h, why) in [
        (
            hook("/bin/sh", "exit 3".into()),
            "createContainer hook /bin/sh: exit status 3",
        ),
        (
            hook("/nonexistent", String::new()),
            "createContainer hook /nonexistent: execve: No such file or directory",
        ),
    ] {
        b.edit(|cfg| cfg["hooks"] = serde_json::json!({"createContainer": [h]}));
        fails(&b.create("c2"), why);
        assert!(!stdout(&b.hull(&["list"])).contains("c2"), "c2 left behind");
    }
    // A failing startContainer hook: the start fails, the container stops.
    b.edit(|cfg| {
        cfg["hooks"] = serde_json::json!({"startContainer": [hook("/bin/sh", "exit 4".into())]})
    });
    std::fs::remove_file(format!("{d}/main")).unwrap();
    ok(&b.create("c3"));
    fails(
        &b.hull(&["start", "c3"]),
        "startContainer hook /bin/sh: exit status 4",
    );
    b.wait_status("c3", "stopped");
    assert_eq!(read("main"), "", "the command ran");
    ok(&b.hull(&["delete", "c3"]));
}

/// A time namespace in the config is the container's own, with its
/// `timeOffsets`: the boot clock (and /proc/uptime, which follows it) runs
/// 10^7 s ahead inside, for the container's process and for `exec`, and
/// not for the host.
#[test]
fn a_time_namespace_has_the_configs_offsets() {
    let script = "exec > /out 2>&1; cut -d. -f1 /proc/uptime; touch /done; sleep 30";
    let Some(b) = Bundle::new("oci-time", &["sh", "-c", script]) else {
        return;
    };
    b.edit(|cfg| {
        cfg["linux"]["timeOffsets"] = serde_json::json!({"boottime": {"secs": 10_000_000}});
        let ns = cfg["linux"]["namespaces"].as_array_mut().unwrap();
        ns.push(serde_json::json!({"type": "time"}));
    });
    b.run("c1");
    let host: u64 = std::fs::read_to_string("/proc/uptime")
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let inside: u64 = b.wait_file("out", Some("done")).trim().parse().unwrap();
    assert!(
        inside >= 10_000_000 + host - 5 && inside <= 10_000_000 + host + 60,
        "{inside} vs host {host}"
    );
    let o = b.hull(&["exec", "c1", "cut", "-d.", "-f1", "/proc/uptime"]);
    ok(&o);
    let exec: u64 = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap();
    assert!(exec >= inside, "exec sees {exec}, the container {inside}");
    ok(&b.hull(&["delete", "--force", "c1"]));
}

/// `create` applies the config's cpu shares and memory reservation (as
/// containerd sends them for every Kubernetes container) and its cpuset
/// lists, never drops them.
#[test]
fn create_applies_cpu_shares_and_the_memory_reservation() {
    let Some(b) = Bundle::new("oci-shares", &["sleep", "60"]) else {
        return;
    };
    b.edit(|cfg| {
        cfg["linux"]["resources"]["cpu"] = serde_json::json!({"shares": 102});
        cfg["linux"]["resources"]["memory"] = serde_json::json!({"reservation": 32 << 20});
    });
    b.run("c1");
    let read = |id: &str, names: &[&str]| b.cgroup_file(id, names);
    // Kubernetes' 100m: 102 shares on v1, runc's weight 4 on cgroup2.
    let cpu = read("c1", &["cpu.shares", "cpu.weight"]).expect("a cpu group");
    let want = if cpu.0 == "cpu.shares" {
        "102\n"
    } else {
        "4\n"
    };
    assert_eq!(cpu.1, want, "{}", cpu.0);
    let low = read("c1", &["memory.soft_limit_in_bytes", "memory.low"]).expect("a memory group");
    assert_eq!(low.1, format!("{}\n", 32 << 20), "{}", low.0);
    ok(&b.hull(&["delete", "--force", "c1"]));

    // And the cpuset lists (Kubernetes' static CPU manager sends them).
    b.edit(|cfg| cfg["linux"]["resources"]["cpu"] = serde_json::json!({"cpus": "0", "mems": "0"}));
    b.run("c2");
    let cpus = read("c2", &["cpuset.cpus"]).expect("a cpuset group");
    assert_eq!(cpus.1, "0\n");
    ok(&b.hull(&["delete", "--force", "c2"]));
}

/// `update` (issue 17): lower memory and pids limits reach the running
/// container's groups, from flags and from `--resources -` (containerd's
/// way); an allocation over the new memory limit is OOM-killed; a limit
/// whose controller has no group, and a bad value, are errors.
#[test]
fn update_changes_the_limits_of_a_running_container() {
    let Some(b) = Bundle::new("oci-update", &["sleep", "60"]) else {
        return;
    };
    b.edit(|cfg| {
        cfg["linux"]["resources"]["memory"] = serde_json::json!({"limit": 256 << 20});
        cfg["linux"]["resources"]["pids"] = serde_json::json!({"limit": 100});
    });
    b.run("c1");
    // Whichever of its groups has the file (cgroup2's name, or v1's).
    let read = |names: &[&str]| b.cgroup_file("c1", names).map(|f| f.1).unwrap_or_default();
    let memory = ["memory.max", "memory.limit_in_bytes"];
    assert_eq!(read(&memory), format!("{}\n", 256 << 20));
    let hog = "a=$(head -c 40000000 /dev/zero | tr '\\0' a); echo survived";
    let o = b.hull(&["exec", "c1", "sh", "-c", hog]);
    assert_eq!(
        (o.status.code(), stdout(&o)),
        (Some(0), "survived\n".into())
    );
    ok(&b.hull(&["update", "--memory", "16m", "--pids-limit", "20", "c1"]));
    assert_eq!(read(&memory), format!("{}\n", 16 << 20));
    assert_eq!(read(&["pids.max"]), "20\n");
    let o = b.hull(&["exec", "c1", "sh", "-c", hog]);
    assert_eq!(o.status.code(), Some(137), "{}", stderr(&o));
    let mut c = hull();
    c.args(["--root", b.root.path(), "update", "--resources", "-", "c1"]);
    let mut child = c.stdin(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"pids": {"limit": 7}}"#)
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(read(&["pids.max"]), "7\n");
    fails(
        &b.hull(&["update", "--memory", "12q", "c1"]),
        "--memory: '12q' is not a size (bytes, or with k, m or g) nor -1",
    );
    // runc's checks: memory plus swap below memory would be unlimited
    // swap; a period or a weight has no -1.
    fails(
        &b.hull(&["update", "--memory", "32m", "--memory-swap", "16m", "c1"]),
        "--memory-swap: below --memory",
    );
    // A swap of 0 is none given (containerd sends it), as runc reads it.
    let res = b.dir.0.join("resources.json");
    std::fs::write(&res, r#"{"memory": {"limit": 16777216, "swap": 0}}"#).unwrap();
    ok(&b.hull(&["update", "--resources", res.to_str().unwrap(), "c1"]));
    fails(
        &b.hull(&["update", "--cpu-period", "-1", "c1"]),
        "--cpu-period: '-1' is not a number",
    );
    fails(
        &b.hull(&["update", "--cpu-share", "-1", "c1"]),
        "--cpu-share: '-1' is not a number",
    );
    assert_eq!(read(&memory), format!("{}\n", 16 << 20));
    if read(&["cpuset.cpus"]).is_empty() {
        fails(
            &b.hull(&["update", "--cpuset-cpus", "0", "c1"]),
            "update: no cgroup of the container has cpuset.cpus (its controller's group was not made at create)",
        );
    }
    ok(&b.hull(&["delete", "--force", "c1"]));
    fails(
        &b.hull(&["update", "--pids-limit", "5", "c1"]),
        "container 'c1' does not exist",
    );
}

/// `--preserve-fds N` passes the caller's fds 3..3+N and nothing of
/// hull's: with a gap in the caller's fds (only 3 open, N = 3), the free
/// numbers 4 and 5 must not be hull's state directory fds, through which
/// the container could walk out to the host's root.
#[test]
fn preserve_fds_never_passes_hulls_own_fds() {
    let Some(b) = Bundle::new(
        "oci-fdgap",
        &["sh", "-c", "ls /proc/self/fd/ > /fds; exec sleep 60"],
    ) else {
        return;
    };
    let hull_path = hull().get_program().to_str().unwrap().to_string();
    // (create's stdio is the container's: not a pipe we would wait on.)
    let gap = |args: &[&str], piped: bool| {
        let io = || if piped { Stdio::piped() } else { Stdio::null() };
        std::process::Command::new("sh")
            .args(["-c", "exec 3</dev/null; exec \"$@\"", "sh", &hull_path])
            .args(["--root", b.root.path()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(io())
            .stderr(io())
            .output()
            .unwrap()
    };
    let o = gap(
        &[
            "create",
            "--preserve-fds",
            "3",
            "--bundle",
            b.dir.path(),
            "c1",
        ],
        false,
    );
    assert!(o.status.success(), "create failed");
    ok(&b.hull(&["start", "c1"]));
    let t = Instant::now();
    while !b.rootfs.0.join("fds").exists() {
        assert!(t.elapsed() < Duration::from_secs(20), "never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let fds = std::fs::read_to_string(b.rootfs.0.join("fds")).unwrap();
    // 0-2, the caller's 3, ls's own directory: not hull's 4 and 5.
    assert_eq!(
        fds.split_whitespace().collect::<Vec<_>>(),
        ["0", "1", "2", "3", "4"],
        "{fds}"
    );
    let o = gap(
        &[
            "exec",
            "--preserve-fds",
            "3",
            "c1",
            "sh",
            "-c",
            "for f in 4 5; do [ -e /proc/self/fd/$f ] && readlink /proc/self/fd/$f; done; true",
        ],
        true,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "hull's own fds reached the process");
}

/// CVE-2019-5736: a command that is `#!/proc/self/exe` runs, inside the
/// container, whatever binary its process had before execve: a clone of
/// hull's. No hull process stays beside an OCI container to keep that
/// binary busy, so it must be a sealed copy, never the file on the host
/// that the container's root could write.
#[test]
fn exec_of_proc_self_exe_never_reaches_the_hosts_binary() {
    let Some(b) = Bundle::new("oci-5736", &["sleep", "60"]) else {
        return;
    };
    b.run("c1");
    let r = &b.rootfs.0;
    std::fs::write(r.join("evil"), "#!/proc/self/exe --log=/fifo\n").unwrap();
    std::process::Command::new("chmod")
        .args(["755", r.join("evil").to_str().unwrap()])
        .status()
        .unwrap();
    for a in ["mkfifo", "readlink"] {
        let _ = std::os::unix::fs::symlink("busybox", r.join("bin").join(a));
    }
    // A watcher inside: the exe of the first process that is not busybox.
    let watch = "mkfifo /fifo; while true; do for p in /proc/[0-9]*; do \
                 l=$(readlink $p/exe); case \"$l\" in *busybox*|'') ;; \
                 *) echo \"$l\" > /exe; (echo PWNED >> $p/exe) 2>/dev/null; \
                 echo > /fifo; exit;; esac; done; done";
    b.detached(&["exec", "--detach", "c1", "sh", "-c", watch]);
    std::thread::sleep(Duration::from_millis(300));
    let before = std::fs::read(hull().get_program()).unwrap();
    let mut evil = hull()
        .args(["--root", b.root.path(), "exec", "c1", "/evil"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !r.join("exe").exists() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the watcher never saw it"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = evil.kill();
    let _ = evil.wait();
    std::thread::sleep(Duration::from_millis(100));
    let exe = std::fs::read_to_string(r.join("exe")).unwrap();
    assert!(exe.starts_with("/memfd:hull"), "the container ran {exe}");
    assert_eq!(std::fs::read(hull().get_program()).unwrap(), before);
}

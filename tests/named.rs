//! `hull run --name` containers (issue 17): reached by `hull exec`, `ps`,
//! `pause`, `resume`, `kill` and `list` while they run, as `docker exec`
//! and friends reach theirs; the name is given back when hull ends, and
//! reclaimed from a hull that was SIGKILLed.
//!
//! Needs root and busybox-static (.ci/run installs it; tmux for the
//! terminal test); skips loudly without them, and fails under CI.

#![cfg(feature = "oci")]

mod common;

use common::clients::{TIMEOUT, Tmux, poll};
use common::{Rootfs, hull, need_root, need_tool, stderr, stdout};
use std::process::{Child, Output, Stdio};

/// `hull run --name NAME --rootfs R ARGS…` in the background, running.
struct Running {
    child: Child,
    name: String,
    rootfs: Rootfs,
    /// One test at a time: every hull command removes the records of dead
    /// hulls, the one another test is looking at too.
    _serial: std::sync::MutexGuard<'static, ()>,
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Running {
    fn start(tag: &str, opts: &[&str], args: &[&str]) -> Option<Running> {
        if !need_root(tag) {
            return None;
        }
        let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let rootfs = Rootfs::new(tag)?;
        let name = format!("{tag}-{}", std::process::id());
        let child = hull()
            .args(["run", "--name", &name, "--rootfs", rootfs.path()])
            .args(opts)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let r = Running {
            child,
            name,
            rootfs,
            _serial: serial,
        };
        let up = poll(TIMEOUT, || {
            r.hull(&["exec", &r.name, "true"])
                .status
                .success()
                .then_some(())
        });
        assert!(up.is_some(), "{} never ran", r.name);
        Some(r)
    }

    /// `hull ARGS…`, stdin closed.
    fn hull(&self, args: &[&str]) -> Output {
        hull().args(args).stdin(Stdio::null()).output().unwrap()
    }

    fn state(&self) -> Option<serde_json::Value> {
        let o = self.hull(&["state", &self.name]);
        o.status
            .success()
            .then(|| serde_json::from_str(&stdout(&o)).unwrap())
    }
}

impl Drop for Running {
    /// The container killed, so that its hull ends as it would and
    /// removes the record (a SIGKILLed hull leaves it for the next hull
    /// command to reap); hull itself only if it does not end.
    fn drop(&mut self) {
        let _ = self.hull(&["kill", &self.name, "KILL"]);
        let child = &mut self.child;
        if poll(TIMEOUT, || child.try_wait().ok().flatten()).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn a_named_container_is_reached_by_exec_ps_pause_and_kill() {
    let t = "named-reach";
    let Some(mut r) = Running::start(t, &["--hostname", "nhost"], &["sleep", "100"]) else {
        return;
    };
    let n = r.name.clone();
    let inside = "hostname; cat /proc/1/comm; \
                  grep -E '^(CapEff|CapBnd|Seccomp):' /proc/1/status > /one; \
                  grep -E '^(CapEff|CapBnd|Seccomp):' /proc/self/status > /me; \
                  cmp /one /me && grep Seccomp: /me; exit 7";
    let o = r.hull(&["exec", &n, "sh", "-c", inside]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert_eq!(stdout(&o), "nhost\nsleep\nSeccomp:\t2\n");
    let o = r.hull(&[
        "exec",
        "-u",
        "1000",
        "-e",
        "X=1",
        "-w",
        "/bin",
        &n,
        "sh",
        "-c",
        "echo $(id -u) $X $PWD",
    ]);
    assert_eq!(stdout(&o), "1000 1 /bin\n", "{}", stderr(&o));
    let o = r.hull(&["exec", &n, "no-such-command"]);
    assert_eq!(o.status.code(), Some(127), "{}", stderr(&o));
    std::fs::write(r.rootfs.0.join("plain"), "").unwrap();
    assert_eq!(r.hull(&["exec", &n, "/plain"]).status.code(), Some(126));
    let o = r.hull(&["exec", "no-such-container", "true"]);
    assert_eq!(
        (o.status.code(), stderr(&o)),
        (
            Some(1),
            "hull: container 'no-such-container' does not exist\n".into()
        )
    );

    // The name is taken: a second one is refused before anything starts.
    let o = r.hull(&["run", "--name", &n, "--rootfs", r.rootfs.path(), "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        format!("hull: --name {n}: container '{n}' already exists\n")
    );

    let st = r.state().unwrap();
    assert_eq!(st["status"], "running");
    let pid = st["pid"].as_u64().unwrap();
    let o = r.hull(&["ps", "--format", "json", &n]);
    let pids: Vec<u64> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(pids, [pid], "{}", stderr(&o));
    let o = r.hull(&["list"]);
    assert!(
        stdout(&o).lines().any(|l| l.starts_with(&format!("{n} "))),
        "{}",
        stdout(&o)
    );
    assert!(r.hull(&["pause", &n]).status.success());
    assert_eq!(r.state().unwrap()["status"], "paused");
    assert!(r.hull(&["resume", &n]).status.success());
    assert_eq!(r.state().unwrap()["status"], "running");

    // Ended by a signal: hull's status says so, and the name is free.
    assert!(r.hull(&["kill", &n, "KILL"]).status.success());
    let st = r.child.wait().unwrap();
    assert_eq!(st.code(), Some(137));
    assert_eq!(r.state(), None, "the record outlived hull");
}

#[test]
fn a_killed_hulls_name_and_cgroups_are_reclaimed() {
    let t = "named-reclaim";
    let Some(mut r) = Running::start(t, &["--memory", "64m"], &["sleep", "100"]) else {
        return;
    };
    let n = r.name.clone();
    // Read directly: every hull command that reads a dead hull's record
    // removes it.
    let rec = std::fs::read_to_string(format!("/run/hull/{n}/state.json")).unwrap();
    let rec: serde_json::Value = serde_json::from_str(&rec).unwrap();
    let groups: Vec<String> = rec["cgroup"]
        .as_str()
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert!(!groups.is_empty());
    let pid = rec["pid"].as_u64().unwrap();
    // SIGKILL: hull cannot clean up; the container dies with it.
    r.child.kill().unwrap();
    r.child.wait().unwrap();
    let stat = format!("/proc/{pid}/stat");
    let gone = poll(TIMEOUT, || {
        let s = std::fs::read_to_string(&stat).unwrap_or_default();
        (s.is_empty() || s.contains(") Z ")).then_some(())
    });
    assert!(gone.is_some(), "the container outlived its hull");
    assert!(std::path::Path::new(&format!("/run/hull/{n}")).exists());
    // The next command that reads the record removes it, and the groups.
    let o = r.hull(&["list"]);
    assert!(!stdout(&o).contains(&n), "{}", stdout(&o));
    assert_eq!(r.state(), None);
    for g in &groups {
        assert!(!std::path::Path::new(g).exists(), "{g} left behind");
    }
    let o = r.hull(&["run", "--name", &n, "--rootfs", r.rootfs.path(), "true"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The record is its hull's: while that hull lives, no other hull command
/// takes it away, even with its container gone (the hull removes it).
#[test]
fn a_live_hulls_record_is_not_reaped_when_its_container_has_ended() {
    let t = "named-owner";
    let Some(r) = Running::start(t, &[], &["sleep", "100"]) else {
        return;
    };
    let n = r.name.clone();
    let rec = std::fs::read_to_string(format!("/run/hull/{n}/state.json")).unwrap();
    let rec: serde_json::Value = serde_json::from_str(&rec).unwrap();
    let pid = rec["pid"].as_i64().unwrap() as i32;
    // hull stopped, then its container killed: the container has ended,
    // and hull has not yet seen it.
    let hull_pid = r.child.id().to_string();
    let signal = |sig: &str, pid: &str| {
        let st = std::process::Command::new("kill")
            .args([sig, pid])
            .status()
            .unwrap();
        assert!(st.success());
    };
    signal("-STOP", &hull_pid);
    signal("-KILL", &pid.to_string());
    let stat = format!("/proc/{pid}/stat");
    let gone = poll(TIMEOUT, || {
        let s = std::fs::read_to_string(&stat).unwrap_or_default();
        (s.is_empty() || s.contains(") Z ")).then_some(())
    });
    assert!(gone.is_some(), "the container never died");
    let st = r.state();
    assert_eq!(
        st.as_ref().map(|s| s["status"].clone()),
        Some("stopped".into()),
        "the record of a live hull was taken: {st:?}"
    );
    assert!(stdout(&r.hull(&["list"])).contains(&n));
    assert_eq!(rec["hullPid"], r.child.id(), "{rec}");
    // Its hull, going on, sees the end and removes it.
    signal("-CONT", &hull_pid);
    let mut r = r;
    let st = r.child.wait().unwrap();
    assert_eq!(st.code(), Some(137));
    assert_eq!(r.state(), None);
}

#[test]
fn exec_tty_is_a_terminal_of_the_panes_size() {
    let t = "named-exec-tty";
    if !need_tool(t, "tmux") {
        return;
    }
    let Some(r) = Running::start(t, &[], &["sleep", "100"]) else {
        return;
    };
    let tm = Tmux::new(80, 24);
    let line = format!(
        "{} exec -t -i {} sh; echo rc=$?",
        env!("CARGO_BIN_EXE_hull"),
        r.name
    );
    tm.keys(&[&line, "Enter"]);
    let answered = tm.ask("tty | sed s/^/tty=/", 100, 200, |l| {
        l.starts_with("tty=/dev/pts/")
    });
    assert!(answered, "no shell on a pty:\n{}", tm.screen());
    tm.keys(&["stty size | sed s/^/size=/", "Enter"]);
    tm.wait_line("size=24 80");
    tm.cmd(&["resize-window", "-t", "t", "-x", "100", "-y", "30"]);
    // The resize reaches hull as SIGWINCH; it sets the pty's size. Ask
    // until the new size shows (the resize and the keys race).
    let resized = tm.ask("stty size | sed s/^/size=/", 50, 200, |l| {
        l.ends_with("size=30 100")
    });
    assert!(
        resized,
        "the resize never reached the shell:\n{}",
        tm.screen()
    );
    tm.keys(&["echo pid1=$(cat /proc/1/comm)", "Enter"]);
    tm.wait_line("pid1=sleep");
    tm.keys(&["exit 4", "Enter"]);
    tm.wait_line("rc=4");
}

/// `hull update NAME --memory`: the lower limit holds for the running
/// container, and hull's OOM message names it.
#[test]
fn update_lowers_the_limit_of_a_named_container() {
    let t = "named-update";
    let hog = "while [ ! -e /go ]; do sleep 0.05; done; \
               a=$(head -c 40000000 /dev/zero | tr '\\0' a); echo survived";
    let Some(mut r) = Running::start(t, &["--memory", "256m"], &["sh", "-c", hog]) else {
        return;
    };
    let o = r.hull(&["update", "--memory", "16m", &r.name]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(r.rootfs.0.join("go"), "").unwrap();
    let st = r.child.wait().unwrap();
    let mut err = String::new();
    use std::io::Read;
    r.child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(st.code(), Some(137), "{err}");
    assert!(
        err.contains("hull: container killed: out of memory (limit 16 MiB)"),
        "{err}"
    );
}

/// `hull exec` into a named container whose user is not root gives the
/// new process no capability, as `hull run -u` gives its PID 1 (docker's
/// rule); the record's process lists one set for all, which exec once
/// applied as OCI sets (CapInh 800405fb for uid 1000).
#[test]
fn exec_as_a_non_root_user_keeps_no_capability() {
    let Some(r) = Running::start("named-caps", &["-u", "1000"], &["sleep", "60"]) else {
        return;
    };
    let o = r.hull(&[
        "exec",
        &r.name,
        "grep",
        "-E",
        "^Cap(Inh|Prm|Eff|Amb)",
        "/proc/self/status",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sets: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split_whitespace().last().unwrap_or("").to_string())
        .collect();
    assert_eq!(sets, ["0000000000000000"; 4], "{}", stdout(&o));
    let _ = r.hull(&["kill", &r.name, "KILL"]);
}

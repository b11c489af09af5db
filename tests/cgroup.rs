//! Resource limits through cgroups: the real binary on the real kernel, as
//! root. Written for any layout (v1, hybrid, pure v2): the tests find the
//! hierarchies in /proc/self/mountinfo, as hull does. Each hull names its
//! group `hull-<its pid>`, so tests running side by side do not collide.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (mount point, super options, is cgroup2) of each cgroup hierarchy.
fn hierarchies() -> Vec<(PathBuf, String, bool)> {
    host_mountinfo()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let sep = f.iter().position(|x| *x == "-")?;
            let (fstype, opts) = (f.get(sep + 1)?, f.get(sep + 3)?);
            (*fstype == "cgroup" || *fstype == "cgroup2")
                .then(|| (PathBuf::from(f[4]), opts.to_string(), *fstype == "cgroup2"))
        })
        .collect()
}

/// The hierarchy holding `controller`: a v1 one naming it, else cgroup2.
fn hierarchy_of(controller: &str) -> (PathBuf, bool) {
    let all = hierarchies();
    all.iter()
        .find(|h| !h.2 && h.1.split(',').any(|o| o == controller))
        .or_else(|| all.iter().find(|h| h.2))
        .map(|h| (h.0.clone(), h.2))
        .expect("no cgroup hierarchy for the controller")
}

/// Every `hull-<pid>` directory left under any hierarchy (at its root, or
/// under `parent`, or under hull's shared parents `hull.devices.*`).
fn leftovers(pid: u32, parent: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for h in hierarchies() {
        dirs.push(h.0.join(parent));
        for e in std::fs::read_dir(&h.0).unwrap().flatten() {
            if e.file_name().to_string_lossy().starts_with("hull.devices.") {
                dirs.push(e.path());
            }
        }
    }
    dirs.into_iter()
        .map(|d| d.join(format!("hull-{pid}")))
        .filter(|p| p.exists())
        .collect()
}

fn assert_no_leftovers(pid: u32) {
    let left = leftovers(pid, "");
    assert!(left.is_empty(), "cgroups left behind: {left:?}");
}

/// Runs hull with `args`, returning (pid of hull, output).
fn run_pid(args: &[&str]) -> (u32, std::process::Output) {
    let child = hull()
        .args(args)
        .stdin(std::process::Stdio::null())
        .spawn_bounded();
    let pid = child.id();
    (pid, child.wait_with_output())
}

/// `--cpuset-cpus` and `--cpuset-mems` confine the container to those
/// CPUs and nodes; a new v1 cpuset group (and each parent made for
/// `--cgroup-parent`) first gets its parent's lists, or no task could
/// join it; nothing is left after.
#[test]
fn cpuset_lists_confine_the_container() {
    if !need_root("cpuset") {
        return;
    }
    for parent in [None, Some("hull-test-cpuset/a")] {
        let mut args = vec!["run", "--cpuset-cpus", "0", "--cpuset-mems", "0"];
        if let Some(p) = parent {
            args.extend(["--cgroup-parent", p]);
        }
        args.extend([
            "sh",
            "-c",
            "grep -E '^(Cpus|Mems)_allowed_list' /proc/self/status",
        ]);
        let (pid, o) = run_pid(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            "Cpus_allowed_list:\t0\nMems_allowed_list:\t0\n",
            "{parent:?}"
        );
        assert_eq!(leftovers(pid, parent.unwrap_or("")), Vec::<PathBuf>::new());
    }
    // The parents hull made are left, as --cgroup-parent's always are.
    for h in hierarchies() {
        let _ = std::fs::remove_dir(h.0.join("hull-test-cpuset/a"));
        let _ = std::fs::remove_dir(h.0.join("hull-test-cpuset"));
    }
}

#[test]
fn memory_limit_is_enforced_and_an_oom_kill_reported() {
    if !need_root("memory_limit_is_enforced_and_an_oom_kill_reported") {
        return;
    }
    // The shell keeps the whole 200 MB string in its own memory.
    let (pid, o) = run_pid(&[
        "run",
        "--memory",
        "32m",
        "sh",
        "-c",
        "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived ${#x}",
    ]);
    assert_eq!(o.status.code(), Some(137), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "hull: container killed: out of memory (limit 32 MiB)\n"
    );
    assert_eq!(stdout(&o), "");
    assert_no_leftovers(pid);
    // The same command with room to spare succeeds: the limit was the cause.
    let o = run(&[
        "run",
        "--memory",
        "1g",
        "sh",
        "-c",
        "x=$(head -c 20000000 /dev/zero | tr '\\0' a); echo ${#x}",
    ]);
    assert_eq!(stdout(&o), "20000000\n", "{}", stderr(&o));
}

#[test]
fn pids_limit_contains_a_fork_loop() {
    if !need_root("pids_limit_contains_a_fork_loop") || !need_tool("pids", "python3") {
        return;
    }
    // 100 forks against a limit of 20 tasks: python is one, so at most 19
    // succeed; the sleepers die with the namespace's PID 1.
    let script = "
import os, time
ok = fail = 0
for i in range(100):
    try:
        pid = os.fork()
    except OSError:
        fail += 1
        continue
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    ok += 1
print(ok, fail, len([p for p in os.listdir('/proc') if p.isdigit()]))
";
    let (pid, o) = run_pid(&["run", "--debug", "--pids", "20", "python3", "-c", script]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let n: Vec<u32> = out.split_whitespace().map(|x| x.parse().unwrap()).collect();
    assert_eq!(n.len(), 3, "{out}");
    let (ok, fail, procs) = (n[0], n[1], n[2]);
    assert!((1..=19).contains(&ok), "forks that succeeded: {ok}");
    assert_eq!(ok + fail, 100);
    assert!(procs <= 20, "{procs} processes inside");
    // --debug reports how often the limit refused a fork.
    let max = stderr(&o)
        .lines()
        .find_map(|l| l.strip_prefix("hull: debug: cgroup: pids.events max "))
        .map(|n| n.parse::<u32>().unwrap())
        .expect("pids.events line");
    assert!(max >= fail, "pids.events max {max}, failed forks {fail}");
    assert_no_leftovers(pid);
    // The host is unharmed: it still forks.
    assert!(run(&["run", "true"]).status.success());
}

#[test]
fn limits_are_written_and_the_group_removed_after_sigkill() {
    if !need_root("limits_are_written_and_the_group_removed_after_sigkill") {
        return;
    }
    let mut child = hull()
        .args([
            "run",
            "--cpus",
            "0.2",
            "--cpu-weight",
            "200",
            "--memory",
            "64m",
            "--pids",
            "50",
            "sleep",
            "100",
        ])
        .spawn_bounded();
    let hull_pid = child.id();
    let c = wait_for_child(hull_pid);
    wait_for_exec(c, "sleep");
    let name = format!("hull-{hull_pid}");
    let read = |controller: &str, v2: &str, v1: &str| {
        let (dir, is_v2) = hierarchy_of(controller);
        let file = dir.join(&name).join(if is_v2 { v2 } else { v1 });
        std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            .trim()
            .to_string()
    };
    // cgroup2's quota comes with its period; v1's weight is shares (1024
    // for docker's default 100).
    let cpu_v2 = hierarchy_of("cpu").1;
    let (quota, weight) = if cpu_v2 {
        ("20000 100000", "200")
    } else {
        ("20000", "2048")
    };
    assert_eq!(read("cpu", "cpu.max", "cpu.cfs_quota_us"), quota);
    assert_eq!(read("cpu", "cpu.weight", "cpu.shares"), weight);
    assert_eq!(
        read("memory", "memory.max", "memory.limit_in_bytes"),
        "67108864"
    );
    assert_eq!(read("pids", "pids.max", "pids.max"), "50");
    // The container's PID 1 is in every group (v1: joined before it ran).
    for h in ["cpu", "memory", "pids"] {
        assert!(
            read(h, "cgroup.procs", "cgroup.procs")
                .lines()
                .any(|p| p == c.to_string()),
            "{h}"
        );
    }
    let o = Command::new("kill")
        .args(["-s", "KILL", &c.to_string()])
        .output_bounded();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(child.wait().code(), Some(137));
    assert_no_leftovers(hull_pid);
}

#[test]
fn proc_self_cgroup_shows_root_or_the_own_group_with_cgroupns_host() {
    if !need_root("proc_self_cgroup_shows_root_or_the_own_group_with_cgroupns_host") {
        return;
    }
    let args = [
        "--memory",
        "16m",
        "--pids",
        "30",
        "cat",
        "/proc/self/cgroup",
    ];
    // With --cgroupns=host, the container sees where its groups are.
    let (pid, o) = run_pid(&[&["run", "--cgroupns=host"][..], &args].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let own = format!("/hull-{pid}");
    // Each controller's line (a v1 "N:memory:/path", or cgroup2's "0::")
    // and the cgroup2 line, when cgroup2 is mounted, name the group.
    let line = |out: &str, c: &str| -> String {
        out.lines()
            .find(|l| l.split(':').nth(1).unwrap().split(',').any(|x| x == c))
            .or_else(|| out.lines().find(|l| l.starts_with("0::")))
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .to_string()
    };
    // (In cgroup2, under hull's shared parent for the device list.)
    for c in ["memory", "pids"] {
        assert!(line(&out, c).ends_with(&own), "{c} in {out}");
    }
    if let Some(l) = out.lines().find(|l| l.starts_with("0::")) {
        assert!(l.ends_with(&own), "{l}");
        assert!(
            l.starts_with("0::/hull.devices.") || l == format!("0::{own}"),
            "{l}"
        );
    }
    assert_no_leftovers(pid);

    // By default (as with --cgroupns), the container's own groups are its
    // root: it cannot see, nor mount, the host's cgroup tree above them.
    let (pid, o) = run_pid(&[&["run"][..], &args].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for c in ["memory", "pids"] {
        assert_eq!(line(&out, c), "/", "{c} in {out}");
    }
    assert!(out.lines().all(|l| l.ends_with(":/")), "{out}");
    assert_no_leftovers(pid);
}

#[test]
fn clone_into_cgroup_refused_falls_back_to_cgroup_procs() {
    let t = "clone_into_cgroup_refused_falls_back_to_cgroup_procs";
    if !need_root(t) || !need_tool(t, "strace") {
        return;
    }
    if !hierarchies().iter().any(|h| h.2) {
        skip(t, "no cgroup2 mount (CLONE_INTO_CGROUP needs one)");
        return;
    }
    // strace makes the first clone3 (the one with CLONE_INTO_CGROUP) fail as
    // a kernel before 5.7 would; hull must join through cgroup.procs.
    let log = std::env::temp_dir().join(format!("hull-strace-{}", std::process::id()));
    for (extra, want) in [("--cgroupns=host", None), ("--cgroupns", Some("0::/"))] {
        let child = Command::new("strace")
            .args(["-f", "-e", "trace=clone3", "-o"])
            .arg(&log)
            .args(["-e", "inject=clone3:error=E2BIG:when=1"])
            .arg(env!("CARGO_BIN_EXE_hull"))
            .args([
                "run",
                "--debug",
                "--pids",
                "30",
                "--memory=16m",
                extra,
                "cat",
                "/proc/self/cgroup",
            ])
            .stdin(std::process::Stdio::null())
            .spawn_bounded();
        let o = child.wait_with_output();
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("clone3: Argument list too long: joining through cgroup.procs"),
            "{}",
            stderr(&o)
        );
        let v2 = stdout(&o)
            .lines()
            .find(|l| l.starts_with("0::"))
            .unwrap()
            .to_string();
        match want {
            Some(w) => assert_eq!(v2, w),
            None => assert!(v2.starts_with("0::/") && v2.contains("/hull-"), "{v2}"),
        }
        // hull's pid, which names its groups, leads strace's first line.
        let trace = std::fs::read_to_string(&log).unwrap();
        let pid: u32 = trace.split(' ').next().unwrap().parse().unwrap();
        assert!(trace.contains("CLONE_INTO_CGROUP"), "{trace}");
        assert_no_leftovers(pid);
    }
    std::fs::remove_file(&log).unwrap();
}

#[test]
fn setup_failures_leave_no_group() {
    if !need_root("setup_failures_leave_no_group") {
        return;
    }
    // The child fails after joining its groups.
    let (pid, o) = run_pid(&[
        "run",
        "--memory",
        "64m",
        "--pids",
        "10",
        "-w",
        "/nonexistent-hull-dir",
        "true",
    ]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        "hull: chdir /nonexistent-hull-dir: No such file or directory\n"
    );
    assert_no_leftovers(pid);

    // The command is not found: nothing is created in the first place.
    let (pid, o) = run_pid(&["run", "--memory", "64m", "nosuch-hull-command"]);
    assert_eq!(o.status.code(), Some(127));
    assert_no_leftovers(pid);

    // hull itself fails after creating its groups, at the clone (strace
    // makes every clone3 fail with ENOMEM): the groups go, on any layout.
    if !need_tool("setup_failures_leave_no_group", "strace") {
        return;
    }
    let (o, trace) = strace_log(
        &[
            "-e",
            "trace=mkdirat,unlinkat,rmdir,clone3",
            "-e",
            "inject=clone3:error=ENOMEM",
        ],
        &["run", "--memory", "64m", "--pids", "10", "true"],
    );
    let calls = call_names(&trace);
    assert_eq!(o.status.code(), Some(125), "{trace}");
    assert_eq!(stderr(&o), "hull: clone3: Cannot allocate memory\n");
    let count = |c: &str| calls.iter().filter(|x| *x == c).count();
    // The memory and pids groups at least (v1 or cgroup2), each removed.
    assert!(count("mkdirat") >= 2, "{calls:?}");
    assert!(count("clone3") >= 1, "{calls:?}");
    assert!(count("unlinkat") + count("rmdir") >= 2, "{calls:?}");
    assert_no_leftovers(trace.split(' ').next().unwrap().parse().unwrap());

    // And when writing a limit fails: on v1, a child's CFS quota may not
    // exceed its parent's, so writing it is refused (EINVAL) once the
    // memory (and cgroup2) groups already exist. (cgroup2 has no such
    // refusal: a child's cpu.max may exceed its parent's; the clone3 case
    // above covers that layout.)
    let (cpu, cpu_v2) = hierarchy_of("cpu");
    if cpu_v2 {
        return;
    }
    let parent = format!("hulltest-parent-{}", std::process::id());
    let pdir = cpu.join(&parent);
    std::fs::create_dir(&pdir).unwrap();
    std::fs::write(pdir.join("cpu.cfs_quota_us"), "10000").unwrap();
    let (pid, o) = run_pid(&[
        "run",
        "--cgroup-parent",
        &parent,
        "--memory",
        "64m",
        "--cpus",
        "0.5",
        "true",
    ]);
    let left = leftovers(pid, &parent);
    // The parents hull made are left in place by design; remove them.
    for h in hierarchies() {
        let _ = std::fs::remove_dir(h.0.join(&parent));
    }
    assert_eq!(o.status.code(), Some(125));
    let want = format!(
        "hull: write {}/hull-{pid}/cpu.cfs_quota_us: Invalid argument\n",
        pdir.display()
    );
    assert_eq!(stderr(&o), want);
    assert!(left.is_empty(), "cgroups left behind: {left:?}");
    assert!(!Path::new(&pdir).exists());
}

#[test]
fn bad_limit_values_are_125_before_anything() {
    // No root needed: rejected before anything is created.
    for (args, msg) in [
        (
            &["--memory", "-5m"][..],
            "hull: --memory: invalid value '-5m'",
        ),
        (&["--memory", "10x"], "hull: --memory: invalid value '10x'"),
        (
            &["--memory", "99999999999999g"],
            "hull: --memory: invalid value",
        ),
        (&["--cpus", "0"], "hull: --cpus: invalid value '0'"),
        (&["--pids", "-1"], "hull: --pids: invalid value '-1'"),
        (
            &["--cpu-weight", "0"],
            "hull: --cpu-weight: invalid value '0'",
        ),
    ] {
        let mut a = vec!["run"];
        a.extend_from_slice(args);
        a.push("true");
        let o = run(&a);
        assert_eq!(o.status.code(), Some(125), "{args:?}");
        assert!(stderr(&o).starts_with(msg), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "");
        // "Before anything": no group, no clone, no mount (strace).
        let t = "bad_limit_values_are_125_before_anything";
        if is_root() && need_tool(t, "strace") {
            let (o, calls) = strace_hull(&a, STARTING_CALLS);
            assert_eq!(o.status.code(), Some(125), "{args:?}");
            assert_eq!(calls, ["execve"], "{args:?}");
        }
    }
    // The control: a valid limit does make its group, and strace sees it.
    if is_root() && need_tool("bad_limit_values_are_125_before_anything", "strace") {
        assert_strace_sees_a_start();
        let (o, calls) = strace_hull(&["run", "--memory", "64m", "true"], STARTING_CALLS);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(calls.iter().any(|c| c == "mkdirat"), "{calls:?}");
    }
}

#[test]
fn every_container_gets_its_own_group_and_dry_run_makes_none() {
    if !need_root("every_container_gets_its_own_group") || !need_tool("own_group", "strace") {
        return;
    }
    let Some(v2) = hierarchies().into_iter().find(|h| h.2) else {
        panic!("every_container_gets_its_own_group: no cgroup2 mount on this host");
    };
    let trace = |args: &[&str]| {
        let o = Command::new("strace")
            // Not -f: hull's own calls, not the command's.
            .args(["-e", "trace=openat,open,mkdir,mkdirat,rmdir,unlinkat"])
            .arg(env!("CARGO_BIN_EXE_hull"))
            .args(args)
            .output_bounded();
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    // No limit asked for: still a group of its own, in cgroup2 only (no v1
    // hierarchy is joined: that would cost a cgroup.procs write), made
    // before the clone and removed after the exit.
    let t = trace(&["run", "true"]);
    let root = format!("mkdirat(AT_FDCWD, \"{}/", v2.0.display());
    let made: Vec<&str> = t.lines().filter(|l| l.starts_with(&root)).collect();
    // The shared parent (made once, EEXIST after), then the container's.
    assert_eq!(made.len(), 2, "{t}");
    assert!(made[0].contains("/hull.devices."), "{t}");
    let own = made[1].split('"').nth(1).unwrap();
    assert!(
        own.contains("/hull.devices.") && own.contains("/hull-"),
        "{t}"
    );
    assert!(made[1].ends_with("= 0"), "{t}");
    assert!(
        t.contains(&format!("unlinkat(AT_FDCWD, \"{own}\", AT_REMOVEDIR) = 0")),
        "{t}"
    );
    // No v1 hierarchy: nothing needs one without a limit.
    assert_eq!(t.matches("mkdirat(").count(), 2, "{t}");
    // --dry-run, with a limit, reads mountinfo but creates nothing.
    let t = trace(&["run", "--dry-run", "--memory", "1g", "true"]);
    assert!(t.contains("/proc/self/mountinfo"), "{t}");
    assert!(!t.contains("mkdir"), "{t}");
}

#[test]
fn a_busy_group_is_emptied_and_removed() {
    if !need_root("a_busy_group_is_emptied_and_removed") || !need_tool("busy_group", "strace") {
        return;
    }
    // strace makes every other rmdir of a group fail with EBUSY, as when a
    // process lingers: hull must kill what is inside and try again.
    let log = std::env::temp_dir().join(format!("hull-busy-{}", std::process::id()));
    let o = Command::new("strace")
        .args([
            "-e",
            "trace=%file",
            "-e",
            "inject=unlinkat:error=EBUSY:when=1+2",
            "-o",
        ])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_hull"))
        .args(["run", "--pids", "10", "true"])
        .output_bounded();
    let trace = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    // Only this hull's own groups (hull-PID, named in its cgroup.kill
    // path): the sweep of groups left by earlier hulls meets busy ones of
    // containers still running elsewhere on the host, and skips them.
    let own = trace
        .lines()
        .find(|l| l.contains("/cgroup.kill\""))
        .and_then(|l| l.split('"').nth(1))
        .and_then(|p| p.split('/').rev().nth(1))
        .map(|g| format!("/{g}\""))
        .unwrap_or_else(|| panic!("no cgroup.kill: {trace}"));
    let mine = || trace.lines().filter(|l| l.contains(&own));
    let busy = mine().filter(|l| l.contains("EBUSY")).count();
    assert!(busy >= 1, "{trace}");
    // Each busy group: the kill (cgroup.kill, or the pids in cgroup.procs
    // where there is none), then a second, successful rmdir.
    let removed = mine().filter(|l| l.contains("AT_REMOVEDIR) = 0")).count();
    assert_eq!(removed, busy, "{trace}");
    for l in mine().filter(|l| l.contains("AT_REMOVEDIR) = 0")) {
        let dir = l.split('"').nth(1).unwrap();
        assert!(!Path::new(dir).exists(), "{dir}");
    }
}

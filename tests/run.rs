//! `hull run` end to end: the real binary, the real kernel, run as root.

mod common;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn hostname_is_container_and_host_is_untouched() {
    if !need_root("hostname_is_container_and_host_is_untouched") {
        return;
    }
    let host_before = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let o = run(&["run", "hostname"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "container\n");
    let o = run(&[
        "run",
        "--hostname",
        "box-1",
        "cat",
        "/proc/sys/kernel/hostname",
    ]);
    assert_eq!(stdout(&o), "box-1\n");
    let o = run(&["run", "--hostname=a.b", "hostname"]);
    assert_eq!(stdout(&o), "a.b\n");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        host_before
    );
}

/// The caller's umask does not cross: the command starts with docker's
/// 0022, as it does under docker, podman and runc.
#[test]
fn the_callers_umask_does_not_cross() {
    if !need_root("the_callers_umask_does_not_cross") {
        return;
    }
    let o = Command::new("sh")
        .args(["-c", "umask 077; exec \"$0\" run sh -c umask"])
        .arg(env!("CARGO_BIN_EXE_hull"))
        .output_bounded();
    assert_eq!(stdout(&o), "0022\n", "{}", stderr(&o));
}

#[test]
fn command_is_pid_1_and_proc_shows_only_the_container() {
    if !need_root("command_is_pid_1_and_proc_shows_only_the_container") {
        return;
    }
    let o = run(&["run", "sh", "-c", "echo pid $$; ls /proc"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("pid 1"));
    let pids: Vec<u32> = lines.filter_map(|l| l.parse().ok()).collect();
    // sh is 1; ls, forked by sh, is 2. The host has hundreds.
    assert_eq!(pids, vec![1, 2], "numeric /proc entries inside: {out}");
}

#[test]
fn namespaces_differ_from_the_host_as_asked() {
    if !need_root("namespaces_differ_from_the_host_as_asked") {
        return;
    }
    let ns = |name: &str| std::fs::read_link(format!("/proc/self/ns/{name}")).unwrap();
    let inside = |extra: &[&str], name: &str| {
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        let path = format!("/proc/self/ns/{name}");
        args.extend_from_slice(&["readlink", &path]);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).trim().to_string()
    };
    // Isolated by default, as podman: every namespace but the user one.
    for name in ["uts", "pid", "mnt", "ipc", "cgroup", "net"] {
        assert_ne!(
            inside(&[], name),
            ns(name).to_str().unwrap(),
            "{name} must be new"
        );
    }
    // The default network namespace is hull's shared, empty one; --net
    // (--net=none) gives one of the container's own.
    let shared = std::fs::metadata("/run/hull/netns").expect("the shared netns exists");
    let default_net = inside(&[], "net");
    assert_eq!(
        default_net,
        format!("net:[{}]", std::os::unix::fs::MetadataExt::ino(&shared))
    );
    assert_eq!(inside(&["--net=shared"], "net"), default_net);
    let own = inside(&["--net"], "net");
    assert!(own != default_net && own != ns("net").to_str().unwrap());
    // Shared with the host only when asked.
    for (opt, name) in [
        ("--net=host", "net"),
        ("--ipc=host", "ipc"),
        ("--cgroupns=host", "cgroup"),
    ] {
        assert_eq!(inside(&[opt], name), ns(name).to_str().unwrap(), "{opt}");
    }
}

#[test]
fn no_mount_leaks_to_the_host() {
    if !need_root("no_mount_leaks_to_the_host") {
        return;
    }
    let before = host_mountinfo();
    // Look at the host's table while the container is alive, too: a leaked
    // proc mount would show up there right away.
    let mut child = hull()
        .args(["run", "--net", "sh", "-c", "read x"])
        .stdin(Stdio::piped())
        .spawn_bounded();
    let hull_pid = child.id();
    let c = wait_for_child(hull_pid);
    wait_for_exec(c, "sh");
    let during = host_mountinfo();
    child.stdin().write_all(b"go\n").unwrap();
    assert!(child.wait().success(), "{}", child.stderr_now());
    let after = host_mountinfo();
    assert_eq!(
        before, during,
        "the host's mount table changed while the container ran"
    );
    assert_eq!(
        before, after,
        "the host's mount table changed after the run"
    );
}

#[test]
fn exit_status_is_the_commands() {
    if !need_root("exit_status_is_the_commands") {
        return;
    }
    assert_eq!(run(&["run", "true"]).status.code(), Some(0));
    assert_eq!(run(&["run", "sh", "-c", "exit 7"]).status.code(), Some(7));
    assert_eq!(run(&["run", "false"]).status.code(), Some(1));
}

#[test]
fn killed_by_signal_is_128_plus_n() {
    if !need_root("killed_by_signal_is_128_plus_n") {
        return;
    }
    // PID 1 of a namespace cannot be sent a signal it has no handler for,
    // even from the host, except SIGKILL. So SIGKILL from the host, as a
    // supervisor's would come.
    let mut child = hull().args(["run", "sleep", "100"]).spawn_bounded();
    let c = wait_for_child(child.id());
    wait_for_exec(c, "sleep");
    let o = Command::new("kill")
        .args(["-s", "KILL", &c.to_string()])
        .output_bounded();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(child.wait().code(), Some(137));
}

#[test]
fn a_fault_in_the_command_is_128_plus_the_signal() {
    if !need_root("a_fault_in_the_command_is_128_plus_the_signal") || !need_tool("segv", "python3")
    {
        return;
    }
    // A synchronous fault does kill a namespace's PID 1: SIGSEGV is 11.
    let o = run(&["run", "python3", "-c", "import ctypes; ctypes.string_at(0)"]);
    assert_eq!(o.status.code(), Some(139), "{}", stderr(&o));
}

#[test]
fn a_nested_process_killing_itself_propagates_through_the_shell() {
    if !need_root("a_nested_process_killing_itself_propagates_through_the_shell") {
        return;
    }
    let o = run(&["run", "sh", "-c", "sh -c 'kill -9 $$'"]);
    assert_eq!(o.status.code(), Some(137));
}

#[test]
fn not_found_is_127_and_not_executable_is_126() {
    if !need_root("not_found_is_127_and_not_executable_is_126") {
        return;
    }
    let o = run(&["run", "nosuch-hull-command"]);
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(stderr(&o), "hull: nosuch-hull-command: command not found\n");
    let plain = std::env::temp_dir().join(format!("hull-plain-{}", std::process::id()));
    std::fs::write(&plain, "echo hi\n").unwrap();
    let o = run(&["run", plain.to_str().unwrap()]);
    std::fs::remove_file(&plain).unwrap();
    assert_eq!(o.status.code(), Some(126));
    assert_eq!(
        stderr(&o),
        format!("hull: {}: Permission denied\n", plain.display())
    );
    let o = run(&["run", "/etc"]);
    assert_eq!(o.status.code(), Some(126));
    assert_eq!(stderr(&o), "hull: /etc: Is a directory\n");
}

#[test]
fn execve_failure_in_the_child_is_reported_over_the_channel() {
    if !need_root("execve_failure_in_the_child_is_reported_over_the_channel") {
        return;
    }
    // Executable, so it passes the parent's lookup, but its interpreter is
    // missing: execve itself fails in the child with ENOENT.
    let dir = std::env::temp_dir().join(format!("hull-badinterp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("script");
    std::fs::write(&script, "#!/nonexistent/interpreter\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = run(&["run", script.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(
        stderr(&o),
        format!(
            "hull: execve {}: No such file or directory\n",
            script.display()
        )
    );
    // And a file the kernel cannot execute at all: 126.
    std::fs::write(&script, "\x7fELF garbage").unwrap();
    let o = run(&["run", script.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(126));
    assert_eq!(
        stderr(&o),
        format!("hull: execve {}: Exec format error\n", script.display())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn setup_failure_names_the_step_and_the_object() {
    if !need_root("setup_failure_names_the_step_and_the_object") {
        return;
    }
    let o = run(&["run", "-w", "/nonexistent-hull-dir", "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        "hull: chdir /nonexistent-hull-dir: No such file or directory\n"
    );
    let o = run(&["run", "--workdir", "/tmp", "pwd"]);
    assert_eq!(stdout(&o), "/tmp\n");
    let o = run(&["run", "pwd"]);
    assert_eq!(stdout(&o), "/\n");
}

#[test]
fn usage_errors_are_125_and_create_nothing() {
    // No root needed: these are rejected before anything is cloned.
    let o = run(&["run", "--bogus", "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        "hull: unknown option '--bogus'\nusage: hull run [OPTIONS] [--] COMMAND [ARG...]   (hull --help)\n"
    );
    let o = run(&["run"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr(&o).starts_with("hull: missing command\nusage: "));
    let long = "h".repeat(65);
    let o = run(&["run", "--hostname", &long, "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr(&o).starts_with("hull: --hostname: 65 bytes is too long (at most 64)\n"));
    let o = run(&["frob"]);
    assert_eq!(o.status.code(), Some(125));
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(125));
    assert!(!stderr(&o).contains("panicked"));
    // "Create nothing": no process, directory, mount or namespace, as
    // strace shows (only its own exec of hull), when it does see a start's.
    let t = "usage_errors_are_125_and_create_nothing";
    if !need_root(t) || !need_tool(t, "strace") {
        return;
    }
    assert_strace_sees_a_start();
    for args in [
        &["run", "--bogus", "true"][..],
        &["run"],
        &["run", "--hostname", &long, "true"],
        &["run", "-v", "/tmp:data", "true"],
        &["frob"],
    ] {
        let (o, calls) = strace_hull(args, STARTING_CALLS);
        assert_eq!(o.status.code(), Some(125), "{args:?}");
        assert_eq!(calls, ["execve"], "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn stdin_passes_through() {
    if !need_root("stdin_passes_through") {
        return;
    }
    let mut child = hull()
        .args(["run", "cat"])
        .stdin(Stdio::piped())
        .spawn_bounded();
    child.stdin().write_all(b"hi\n").unwrap();
    let o = child.wait_with_output();
    assert!(o.status.success());
    assert_eq!(o.stdout, b"hi\n");
}

#[test]
fn environment_is_inherited_with_env_host_only() {
    if !need_root("environment_is_inherited_with_env_host_only") {
        return;
    }
    let o = hull()
        .args(["run", "--env-host", "sh", "-c", "echo $HULL_TEST_VAR"])
        .env("HULL_TEST_VAR", "value 42")
        .output_bounded();
    assert_eq!(stdout(&o), "value 42\n");
    // Cleared by default, as docker does.
    let o = hull()
        .args([
            "run",
            "sh",
            "-c",
            "echo \"[$HULL_TEST_VAR]\" $HOSTNAME $HOME",
        ])
        .env("HULL_TEST_VAR", "value 42")
        .output_bounded();
    assert_eq!(stdout(&o), "[] container /root\n");
}

#[test]
fn net_sees_only_lo_and_it_is_up() {
    if !need_root("net_sees_only_lo_and_it_is_up") || !need_tool("net", "ip") {
        return;
    }
    let o = run(&["run", "--net", "ip", "-o", "link", "show"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let links: Vec<&str> = out.lines().collect();
    assert_eq!(links.len(), 1, "{out}");
    assert!(
        links[0].starts_with("1: lo: <LOOPBACK,UP,LOWER_UP>"),
        "{out}"
    );
    // And it carries traffic.
    let o = run(&[
        "run",
        "--net",
        "sh",
        "-c",
        "cat /proc/net/dev | tail -n +3 | cut -d: -f1",
    ]);
    assert_eq!(stdout(&o).trim(), "lo");
}

#[test]
fn one_clone3_and_no_reexec() {
    if !need_root("one_clone3_and_no_reexec") || !need_tool("strace", "strace") {
        return;
    }
    let log = std::env::temp_dir().join(format!("hull-strace-{}", std::process::id()));
    let o = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=clone,clone3,fork,vfork,execve,execveat,unshare",
            "-o",
        ])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_hull"))
        .args(["run", "true"])
        .output_bounded();
    assert!(o.status.success(), "{}", stderr(&o));
    let trace = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    let count = |call: &str| {
        trace
            .lines()
            .filter(|l| l.contains(&format!(" {call}(")))
            .count()
    };
    assert_eq!(count("clone3"), 1, "{trace}");
    for call in ["clone", "fork", "vfork", "execveat"] {
        assert_eq!(count(call), 0, "{call} in {trace}");
    }
    // The one unshare is the child's cgroup namespace, made once it is in
    // its own group (a CLONE_NEWCGROUP at the clone would be rooted at hull's).
    let unshares: Vec<&str> = trace.lines().filter(|l| l.contains(" unshare(")).collect();
    assert_eq!(unshares.len(), 1, "{trace}");
    assert!(unshares[0].contains("unshare(CLONE_NEWCGROUP)"), "{trace}");
    let hull_pid = trace.split(' ').next().unwrap();
    assert!(
        !unshares[0].starts_with(hull_pid),
        "the child's, not hull's: {trace}"
    );
    let execs: Vec<&str> = trace.lines().filter(|l| l.contains(" execve(")).collect();
    assert_eq!(
        execs.len(),
        2,
        "strace's exec of hull, then the command: {trace}"
    );
    assert!(execs[0].contains(env!("CARGO_BIN_EXE_hull")));
    assert!(
        !execs[1].contains("hull") && execs[1].contains("/true\""),
        "{trace}"
    );
    // Every namespace in that one clone3 (strace orders the flags its own way).
    let clone = trace.lines().find(|l| l.contains(" clone3(")).unwrap();
    for flag in [
        "CLONE_NEWNS",
        "CLONE_NEWUTS",
        "CLONE_NEWPID",
        "CLONE_NEWIPC",
        "CLONE_INTO_CGROUP",
    ] {
        assert!(clone.contains(flag), "{flag} not in {clone}");
    }
}

#[test]
fn the_child_shares_memory_only_when_it_execs_without_waiting() {
    if !need_root("the_child_shares_memory_only_when_it_execs_without_waiting")
        || !need_tool("strace", "strace")
    {
        return;
    }
    // posix_spawn style (CLONE_VM|CLONE_VFORK) for a plain container, with a
    // pipe for its report; fork style when the child must wait for hull (a
    // user namespace's maps) or never execs (an init in hull's code).
    for (args, shared) in [
        (&["run", "true"][..], true),
        (&["run", "--userns", "true"][..], false),
        (&["run", "--init", "true"][..], false),
    ] {
        let log = std::env::temp_dir().join(format!("hull-vm-{}", std::process::id()));
        let o = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=clone3,pipe2,socketpair", "-o"])
            .arg(&log)
            .arg(env!("CARGO_BIN_EXE_hull"))
            .args(args)
            .output_bounded();
        let trace = std::fs::read_to_string(&log).unwrap();
        std::fs::remove_file(&log).unwrap();
        assert!(o.status.success(), "{args:?}: {}{trace}", stderr(&o));
        let clone = trace.lines().find(|l| l.contains("clone3(")).unwrap();
        assert_eq!(clone.contains("CLONE_VM|"), shared, "{args:?}: {trace}");
        assert_eq!(clone.contains("CLONE_VFORK"), shared, "{args:?}: {trace}");
        assert_eq!(trace.contains("pipe2("), shared, "{args:?}: {trace}");
    }
}

#[test]
fn without_clone3_hull_falls_back_to_clone() {
    if !need_root("without_clone3_hull_falls_back_to_clone") || !need_tool("strace", "strace") {
        return;
    }
    // A kernel before 5.3, or a seccomp filter that does not know clone3:
    // both the shared-memory child and the forked one (with --init) start
    // through clone(2), and a failing step is still reported.
    let strace = |args: &[&str]| {
        Command::new("strace")
            .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=none"])
            .args(["-e", "inject=clone3:error=ENOSYS"])
            .arg(env!("CARGO_BIN_EXE_hull"))
            .args(args)
            .output_bounded()
    };
    for init in [&[][..], &["--init"][..]] {
        let run = |rest: &[&str]| strace(&[&["run"][..], init, rest].concat());
        let o = run(&["sh", "-c", "echo $$ $(hostname); exit 7"]);
        assert_eq!(o.status.code(), Some(7), "{init:?}: {}", stderr(&o));
        let pid = if init.is_empty() { "1" } else { "2" };
        assert_eq!(stdout(&o), format!("{pid} container\n"), "{init:?}");
        let o = run(&["-w", "/nonexistent", "true"]);
        assert_eq!(o.status.code(), Some(125), "{init:?}");
        assert_eq!(
            stderr(&o),
            "hull: chdir /nonexistent: No such file or directory\n",
            "{init:?}"
        );
    }
}

#[test]
fn help_and_version() {
    let o = run(&["--version"]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o),
        format!("hull version {}\nspec: 1.1.0\n", env!("CARGO_PKG_VERSION"))
    );
    let o = run(&["--help"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("hull run [OPTIONS] [--] COMMAND [ARG...]"));
    let o = run(&["run", "--help"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("--hostname NAME"));
}

#[test]
fn dry_run_prints_the_plan_and_runs_nothing() {
    let o = run(&["run", "--dry-run", "--net", "true"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("clone3 flags: CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWPID|CLONE_NEWNET"),
        "{out}"
    );
    assert!(out.contains("  7. mount proc on /proc\n"), "{out}");
    // And runs nothing: no clone, no mount, no directory, no namespace (a
    // cgroup limit and a rootfs's mount points included).
    let t = "dry_run_prints_the_plan_and_runs_nothing";
    if !need_root(t) || !need_tool(t, "strace") {
        return;
    }
    assert_strace_sees_a_start();
    // A rootfs with nothing but the command (never run).
    let r = TempDir::new("dry-run-root");
    std::fs::create_dir(r.0.join("bin")).unwrap();
    std::fs::write(r.0.join("bin/true"), "").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(r.0.join("bin/true"), std::fs::Permissions::from_mode(0o755)).unwrap();
    for args in [
        &["run", "--dry-run", "--net", "true"][..],
        &[
            "run",
            "--dry-run",
            "--memory",
            "64m",
            "--pids",
            "9",
            "--rootfs",
            r.path(),
            "--tmpfs",
            "/new/dir",
            "-v",
            "/tmp:/vol",
            "true",
        ],
    ] {
        let (o, calls) = strace_hull(args, STARTING_CALLS);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).starts_with("clone3 flags: "), "{}", stdout(&o));
        assert_eq!(calls, ["execve"], "{args:?}");
    }
    let left: Vec<_> = std::fs::read_dir(&r.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["bin"], "the dry run made mount points in the rootfs");
}

//! Signals, PID 1 and terminals (issue 7): the real binary, the real kernel,
//! run as root. Waits for events are bounded; nothing asserts on speed.

mod common;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Waits (bounded) for the child to exit and returns its code; None if it
/// is still running after `secs` (it is killed, with its group, on drop).
fn wait_code(child: &mut Proc, secs: u64) -> Option<i32> {
    child.wait_within(secs).map(|st| st.code().unwrap_or(-1))
}

/// Pids of host processes whose command line is exactly `argv`.
fn host_processes(argv: &[&str]) -> Vec<u32> {
    let want: Vec<u8> = argv
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
        .collect();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default() == want)
        .collect()
}

/// Waits (bounded) until no host process has the command line `argv`.
fn gone(argv: &[&str]) -> bool {
    for _ in 0..500 {
        if host_processes(argv).is_empty() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// Waits (bounded) until the child printed `n` lines; returns its stdout.
fn child_lines(child: &mut Proc, n: usize) -> String {
    child.wait_stdout(|s| s.matches('\n').count() >= n)
}

/// Starts `hull run ARGS` and waits until the container's command (argv0,
/// `depth` levels below hull: 1 without --init, 2 with it) has exec'd.
fn start(args: &[&str], argv0: &str, depth: usize) -> (Proc, u32) {
    let child = hull()
        .arg("run")
        .args(args)
        .stdin(Stdio::null())
        .spawn_bounded();
    let mut pid = child.id();
    for _ in 0..depth {
        pid = wait_for_child(pid);
    }
    wait_for_exec(pid, argv0);
    (child, pid)
}

#[test]
fn sigterm_with_init_stops_the_command_with_143() {
    if !need_root("sigterm_with_init_stops_the_command_with_143") {
        return;
    }
    let (mut child, _) = start(&["--init", "sleep", "100"], "sleep", 2);
    kill(child.id(), "TERM");
    assert_eq!(wait_code(&mut child, 10), Some(143));
}

#[test]
fn sigterm_without_init_is_ignored_by_pid_1_until_the_stop_timeout() {
    if !need_root("sigterm_without_init_is_ignored_by_pid_1_until_the_stop_timeout") {
        return;
    }
    let argv = ["sleep", "1234.5"];
    let (mut child, _) = start(&["--stop-timeout", "1", "sleep", "1234.5"], "sleep", 1);
    kill(child.id(), "TERM");
    // PID 1 has no handler: the kernel drops the forwarded SIGTERM. So the
    // container outlives it, until the one-second stop timeout.
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().is_none(), "exited before the stop timeout");
    assert_eq!(wait_code(&mut child, 20), Some(137));
    assert!(gone(&argv), "the container's sleep outlived hull");
}

#[test]
fn the_command_gets_no_blocked_or_ignored_signals() {
    if !need_root("the_command_gets_no_blocked_or_ignored_signals") {
        return;
    }
    // hull blocks what it forwards, and a background job's shell leaves
    // SIGINT and SIGQUIT ignored: neither may reach the command.
    for init in ["", "--init"] {
        let o = Command::new("sh")
            .args([
                "-c",
                &format!(
                    "trap '' INT QUIT; exec {} run {init} sh -c 'grep -E \"^Sig(Blk|Ign)\" /proc/self/status'",
                    env!("CARGO_BIN_EXE_hull")
                ),
            ])
            .output_bounded();
        let out = stdout(&o);
        let mask = |name: &str| {
            let line = out.lines().find(|l| l.starts_with(name)).unwrap_or("");
            u64::from_str_radix(line.split('\t').nth(1).unwrap_or("x"), 16)
                .unwrap_or_else(|_| panic!("{init}: {out} {}", stderr(&o)))
        };
        assert_eq!(mask("SigBlk:"), 0, "{init}: {out}");
        // INT and QUIT (bits 1 and 2); the environment may ignore others.
        assert_eq!(mask("SigIgn:") & 0b110, 0, "{init}: {out}");
    }
}

#[test]
fn sighup_stops_only_a_container_with_a_terminal() {
    if !need_root("sighup_stops_only_a_container_with_a_terminal") {
        return;
    }
    // With -t, SIGHUP is the terminal going away: the stop timeout applies.
    let (mut child, _) = start(
        &["-t", "--stop-timeout", "1", "sleep", "1238.5"],
        "sleep",
        1,
    );
    kill(child.id(), "HUP");
    assert_eq!(wait_code(&mut child, 20), Some(137));
    // Without, it may mean "reload": passed on (and here, dropped by PID 1),
    // and no reason to kill.
    let (mut child, _) = start(&["--stop-timeout", "1", "sleep", "1238.5"], "sleep", 1);
    kill(child.id(), "HUP");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().is_none(), "SIGHUP stopped it");
    kill(child.id(), "TERM");
    assert_eq!(wait_code(&mut child, 20), Some(137));
    assert!(gone(&["sleep", "1238.5"]));
}

#[test]
fn signals_reach_a_pid_1_that_handles_them() {
    if !need_root("signals_reach_a_pid_1_that_handles_them") {
        return;
    }
    for init in [false, true] {
        let mut args = vec!["run"];
        if init {
            args.push("--init");
        }
        args.extend([
            "sh",
            "-c",
            "trap 'echo usr1' USR1; trap 'echo hup; exit 7' HUP; echo ready; \
             while :; do sleep 0.05; done",
        ]);
        let mut child = hull().args(&args).stdin(Stdio::null()).spawn_bounded();
        // Each line waited for (bounded), then compared.
        assert_eq!(child_lines(&mut child, 1), "ready\n");
        kill(child.id(), "USR1");
        let out = child_lines(&mut child, 2);
        assert_eq!(out, "ready\nusr1\n", "init: {init}");
        kill(child.id(), "HUP");
        let out = child_lines(&mut child, 3);
        assert_eq!(out, "ready\nusr1\nhup\n", "init: {init}");
        assert_eq!(wait_code(&mut child, 10), Some(7), "init: {init}");
    }
}

#[test]
fn sigkill_of_hull_takes_the_container_down() {
    if !need_root("sigkill_of_hull_takes_the_container_down") {
        return;
    }
    for (init, arg) in [(false, "1235.5"), (true, "1236.5")] {
        let args: &[&str] = if init {
            &["--init", "sleep", arg]
        } else {
            &["sleep", arg]
        };
        let (mut child, _) = start(args, "sleep", 1 + init as usize);
        assert_eq!(host_processes(&["sleep", arg]).len(), 1);
        // hull alone (not its process group): the container must go down
        // by itself.
        child.sigkill();
        child.wait();
        assert!(
            gone(&["sleep", arg]),
            "sleep {arg} outlived hull (init: {init})"
        );
    }
}

#[test]
fn hull_killed_before_the_child_arms_its_death_signal_still_takes_it_down() {
    let t = "hull_killed_before_the_child_arms_its_death_signal_still_takes_it_down";
    if !need_root(t) || !need_tool(t, "strace") {
        return;
    }
    // The race the report channel closes: hull dies before the child's
    // prctl(PR_SET_PDEATHSIG), so no signal will ever come. strace holds the
    // child at that prctl for 2 s (time enough, even on a loaded machine, to
    // find hull) while hull is SIGKILLed; the child must then see
    // hull's end of the channel closed and exit before running anything.
    // Without --init the channel is a pipe, with it a socket pair.
    for (init, arg) in [(false, "1241.5"), (true, "1242.5")] {
        let log = std::env::temp_dir().join(format!("hull-race-{}-{init}", std::process::id()));
        let mut args = vec!["run"];
        if init {
            args.push("--init");
        }
        args.extend(["sleep", arg]);
        let mut strace = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=prctl,execve,exit_group", "-o"])
            .arg(&log)
            .args(["-e", "inject=prctl:delay_enter=2000000:when=1"])
            .arg(env!("CARGO_BIN_EXE_hull"))
            .args(&args)
            .stdin(Stdio::null())
            .spawn_bounded();
        // strace forks short-lived probes of its own first: hull is the
        // child of strace that runs hull, once it has a child.
        let exe = env!("CARGO_BIN_EXE_hull").as_bytes();
        let mut found = None;
        for _ in 0..POLLS {
            found = children(strace.id())
                .into_iter()
                .filter(|h| {
                    let argv = std::fs::read(format!("/proc/{h}/cmdline")).unwrap_or_default();
                    argv.split(|&b| b == 0).next() == Some(exe)
                })
                .find_map(|h| Some((h, *children(h).first()?)));
            if found.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let (hull, child) = found.expect("hull and its child under strace");
        kill(hull, "KILL");
        assert!(wait_code(&mut strace, 20).is_some(), "strace did not end");
        let trace = std::fs::read_to_string(&log).unwrap();
        std::fs::remove_file(&log).unwrap();
        // strace pads the pid column.
        let calls: Vec<&str> = trace
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(&child.to_string()))
            .collect();
        assert!(
            calls.iter().any(|l| l.contains("exit_group(125)")),
            "init: {init}: {trace}"
        );
        assert!(
            !calls.iter().any(|l| l.contains("execve(")),
            "init: {init}: {trace}"
        );
        assert!(gone(&["sleep", arg]), "sleep {arg} ran (init: {init})");
    }
}

#[test]
fn the_init_reaps_orphaned_zombies() {
    if !need_root("the_init_reaps_orphaned_zombies")
        || !need_tool("the_init_reaps_orphaned_zombies", "ps")
        || !need_tool("the_init_reaps_orphaned_zombies", "python3")
    {
        return;
    }
    let states = |o: &std::process::Output| -> Vec<String> {
        assert!(o.status.success(), "{}", stderr(o));
        stdout(o)
            .lines()
            .skip(1)
            .map(|l| l.trim().to_string())
            .collect()
    };
    // The scene: the orphaned sleep is reparented to PID 1.
    let o = run(&[
        "run",
        "--init",
        "sh",
        "-c",
        "(sleep 0.1 &) ; sleep 0.5; ps -o stat",
    ]);
    let st = states(&o);
    assert!(
        st.len() >= 3 && st.iter().all(|s| !s.starts_with('Z')),
        "{st:?}"
    );
    // sh happens to reap any child while it waits, so the difference shows
    // with a PID 1 that only waits for its own children (as most programs).
    let script = "import os, time\n\
                  os.system('(sleep 0.1 &)')\n\
                  time.sleep(0.5)\n\
                  os.system('ps -o stat,comm')";
    let without = states(&run(&["run", "python3", "-c", script]));
    assert!(without.iter().any(|s| s.starts_with("Z")), "{without:?}");
    let with = states(&run(&["run", "--init", "python3", "-c", script]));
    assert!(with.iter().all(|s| !s.starts_with('Z')), "{with:?}");
}

#[test]
fn the_init_cannot_be_opened_from_inside() {
    if !need_root("the_init_cannot_be_opened_from_inside")
        || !need_tool("the_init_cannot_be_opened_from_inside", "setpriv")
    {
        return;
    }
    // Without CAP_SYS_PTRACE (which root has, and which overrides it), only
    // dumpability decides whether /proc/PID/exe may be opened: the init's
    // must not (CVE-2019-5736), a plain process of the same user's may.
    let o = Command::new("setpriv")
        .args(["--bounding-set=-sys_ptrace", "--inh-caps=-sys_ptrace"])
        .arg(env!("CARGO_BIN_EXE_hull"))
        .args([
            "run",
            "--init",
            "sh",
            "-c",
            "cat /proc/1/exe >/dev/null && echo init-open; \
             readlink /proc/1/exe || echo init-hidden; \
             sleep 1 & readlink /proc/$!/exe",
        ])
        .output_bounded();
    let out = stdout(&o);
    assert!(out.starts_with("init-hidden\n"), "{out}\n{}", stderr(&o));
    assert!(
        out.lines().nth(1).is_some_and(|l| l.starts_with('/')),
        "the control (a process of the same user) failed: {out}"
    );
    assert!(
        stderr(&o).contains("/proc/1/exe: Permission denied"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn exec_failures_under_init_are_reported_as_before() {
    if !need_root("exec_failures_under_init_are_reported_as_before") {
        return;
    }
    let o = run(&["run", "--init", "nosuch-hull-command"]);
    assert_eq!(o.status.code(), Some(127));
    let dir = std::env::temp_dir().join(format!("hull-initexec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("script");
    std::fs::write(&script, "#!/nonexistent/interpreter\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = run(&["run", "--init", script.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(
        stderr(&o),
        format!(
            "hull: execve {}: No such file or directory\n",
            script.display()
        )
    );
    assert_eq!(
        run(&["run", "--init", "sh", "-c", "exit 9"]).status.code(),
        Some(9)
    );
    let o = run(&["run", "--init", "sh", "-c", "kill -USR1 $$"]);
    assert_eq!(o.status.code(), Some(138));
}

/// The python program that tries TIOCSTI on fd 0 and says where it stands.
const TIOCSTI_PY: &str = "import fcntl, termios, os
st = open('/proc/self/stat').read().rsplit(')', 1)[1].split()
print('tty_nr', st[4])
try:
    fcntl.ioctl(0, termios.TIOCSTI, b'#')
    print('TIOCSTI ok')
except OSError as e:
    print('TIOCSTI errno', e.errno)";

#[test]
fn no_tiocsti_into_the_host_terminal_without_tty() {
    let t = "no_tiocsti_into_the_host_terminal_without_tty";
    if !need_root(t) || !need_tool(t, "script") || !need_tool(t, "setpriv") {
        return;
    }
    // A python that an unprivileged user can run (pyenv's shims live in /root).
    let Some(py) = ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        skip(t, "no python3 in /usr/bin or /usr/local/bin");
        return;
    };
    // script(1) gives the command a real pty as stdin and controlling tty.
    let in_script = |cmd: &str| {
        let o = Command::new("script")
            .args(["-qec", cmd, "/dev/null"])
            .output_bounded();
        stdout(&o).replace('\r', "")
    };
    let py_cmd =
        format!("setpriv --reuid=65534 --regid=65534 --clear-groups {py} -c \"{TIOCSTI_PY}\"");
    // The control: the same unprivileged program, in the terminal's session.
    let outside = in_script(&py_cmd);
    assert!(!outside.contains("tty_nr 0\n"), "{outside}");
    let hull = env!("CARGO_BIN_EXE_hull");
    let inside = in_script(&format!("{hull} run {py_cmd}"));
    // In the container the terminal is not its controlling one (it has
    // none), whatever the kernel's TIOCSTI policy.
    assert!(inside.contains("tty_nr 0\n"), "{inside}");
    if outside.contains("TIOCSTI ok") {
        // Legacy TIOCSTI is on: it works in the terminal's session, and the
        // container fails with EPERM, the controlling-terminal check.
        assert!(inside.contains("TIOCSTI errno 1\n"), "{inside}");
    } else {
        // dev.tty.legacy_tiocsti=0 refuses it everywhere (EIO).
        assert!(outside.contains("TIOCSTI errno 5\n"), "{outside}");
        assert!(inside.contains("TIOCSTI errno 5\n"), "{inside}");
    }
    // Root's container too has no controlling terminal (but root keeps
    // CAP_SYS_ADMIN, which the kernel lets use TIOCSTI on any tty).
    let root = in_script(&format!("{hull} run {py} -c \"{TIOCSTI_PY}\""));
    assert!(root.contains("tty_nr 0\n"), "{root}");
}

#[test]
fn tty_without_a_terminal_relays_and_drains() {
    if !need_root("tty_without_a_terminal_relays_and_drains") {
        return;
    }
    // -t with stdin a pipe: no raw mode, but a pty inside all the same.
    let o = run(&[
        "run",
        "-t",
        "sh",
        "-c",
        "test -t 0 && test -t 1 && tty; seq 1 20000",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("/dev/pts/"),
        "{}",
        &out[..out.len().min(200)]
    );
    // Drained: the last line is there, with the pty's \r\n.
    assert!(
        out.ends_with("\r\n20000\r\n"),
        "{}",
        &out[out.len().saturating_sub(200)..]
    );
    // -i: stdin goes to the pty, and its end is an end of file there too.
    let mut child = hull()
        .args(["run", "-i", "-t", "sh"])
        .stdin(Stdio::piped())
        .spawn_bounded();
    child.stdin().write_all(b"echo in-$((6*7))\n").unwrap();
    let o = child.wait_with_output();
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("in-42\r\n"), "{}", stdout(&o));
    // With --init too, the command has the terminal.
    let o = run(&["run", "--init", "-t", "sh", "-c", "tty; exit 3"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).starts_with("/dev/pts/"), "{}", stdout(&o));
}

#[test]
fn a_container_that_closes_its_terminal_costs_no_cpu() {
    if !need_root("a_container_that_closes_its_terminal_costs_no_cpu") {
        return;
    }
    // The pty's other side closes while stdin (a pipe kept open) is relayed:
    // hull must go on waiting, not spin on the hung-up master.
    let mut child = hull()
        .args([
            "run",
            "-it",
            "sh",
            "-c",
            "exec >/dev/null 2>&1 </dev/null; sleep 2",
        ])
        .stdin(Stdio::piped())
        .spawn_bounded();
    std::thread::sleep(Duration::from_millis(1500));
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap();
    let f: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    // utime + stime, in clock ticks (100 a second): a spinning loop would
    // have used about 150 by now.
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    assert!(ticks < 50, "hull used {ticks} ticks of CPU in 1.5 s");
    drop(child.stdin());
    assert_eq!(wait_code(&mut child, 10), Some(0));
}

#[test]
fn tty_with_a_rootfs_comes_from_its_own_devpts() {
    if !need_root("tty_with_a_rootfs_comes_from_its_own_devpts") {
        return;
    }
    let Some(r) = Rootfs::new("tty-devpts") else {
        return;
    };
    // The first pty of the container's fresh devpts instance: /dev/pts/0,
    // which exists inside (a host pty would not).
    for init in [false, true] {
        let mut args = vec!["-t"];
        if init {
            args.push("--init");
        }
        args.extend(["sh", "-c", "tty; ls /dev/pts; exit 5"]);
        let o = r.run(&args);
        assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
        let out = stdout(&o).replace('\r', "");
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some("/dev/pts/0"), "{out}");
        let ls: Vec<&str> = lines.flat_map(|l| l.split_whitespace()).collect();
        assert_eq!(ls, ["0", "ptmx"], "{out}");
    }
}

/// A tmux server of our own, on its own socket, killed when dropped.
struct Tmux(std::path::PathBuf);

impl Tmux {
    fn new(width: u32, height: u32) -> Tmux {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = Tmux(std::env::temp_dir().join(format!("hull-tmux-{}-{n}", std::process::id())));
        let st = Command::new("tmux")
            .arg("-S")
            .arg(&t.0)
            .args(["-f", "/dev/null", "new-session", "-d", "-s", "t"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .args(["sh"])
            .env("PS1", "$ ")
            .output_bounded();
        assert!(st.status.success(), "tmux new-session: {}", stderr(&st));
        t
    }
    fn cmd(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .arg("-S")
            .arg(&self.0)
            .args(args)
            .output_bounded();
        stdout(&o)
    }
    fn keys(&self, keys: &[&str]) {
        let mut a = vec!["send-keys", "-t", "t"];
        a.extend_from_slice(keys);
        self.cmd(&a);
    }
    fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "t"])
    }
    /// Waits (bounded) until a line of the screen ends with `line` (after
    /// the shell's prompt, maybe).
    fn wait_line(&self, line: &str) {
        for _ in 0..500 {
            if self.screen().lines().any(|l| l.trim_end().ends_with(line)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("never saw the line {line:?}:\n{}", self.screen());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn tty_is_a_real_terminal_in_tmux() {
    let t = "tty_is_a_real_terminal_in_tmux";
    if !need_root(t) || !need_tool(t, "tmux") {
        return;
    }
    // Removed on drop, a failed assertion included.
    let dir = TempDir::new("tty");
    let d = dir.path();
    let hull = env!("CARGO_BIN_EXE_hull");
    // The host's pty, the same under --init, and a busybox rootfs's own.
    let rootfs = Rootfs::new("tty-tmux");
    let with_root = rootfs.as_ref().map(|r| format!("--rootfs {} ", r.path()));
    let mut variants = vec![String::new(), "--init ".to_string()];
    variants.extend(with_root);
    for init in &variants {
        let tm = Tmux::new(80, 24);
        tm.keys(&[
            &format!(
                "stty -g > {d}/before; {hull} run {init}-it sh; echo rc=$?; stty -g > {d}/after"
            ),
            "Enter",
        ]);
        tm.keys(&["tty | sed s/^/tty=/", "Enter"]);
        for _ in 0..500 {
            if tm.screen().contains("tty=/dev/pts/") {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(tm.screen().contains("tty=/dev/pts/"), "{}", tm.screen());
        tm.keys(&["stty size | sed s/^/size=/", "Enter"]);
        tm.wait_line("size=24 80");
        tm.cmd(&["resize-window", "-t", "t", "-x", "100", "-y", "30"]);
        // The resize reaches hull as SIGWINCH; it sets the pty's size. Ask
        // until the new size shows (the resize and the keys race).
        let mut seen = false;
        for _ in 0..50 {
            tm.keys(&["stty size | sed s/^/size=/", "Enter"]);
            std::thread::sleep(Duration::from_millis(100));
            if tm
                .screen()
                .lines()
                .any(|l| l.trim_end().ends_with("size=30 100"))
            {
                seen = true;
                break;
            }
        }
        assert!(seen, "the pty never got the new size:\n{}", tm.screen());
        tm.keys(&["clear", "Enter"]);
        tm.keys(&["sleep 100", "Enter"]);
        std::thread::sleep(Duration::from_millis(300));
        tm.keys(&["C-c"]);
        // sleep died of SIGINT (130), and the shell and hull live on.
        tm.keys(&["echo status-$?", "Enter"]);
        tm.wait_line("status-130");
        tm.keys(&["echo alive-$((1+1))", "Enter"]);
        tm.wait_line("alive-2");
        tm.keys(&["exit 4", "Enter"]);
        tm.wait_line("rc=4");
        for _ in 0..500 {
            if std::fs::metadata(format!("{d}/after"))
                .map(|m| m.len() > 0)
                .unwrap_or(false)
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let before = std::fs::read_to_string(format!("{d}/before")).unwrap();
        let after = std::fs::read_to_string(format!("{d}/after")).unwrap();
        assert!(!before.is_empty());
        assert_eq!(
            before, after,
            "the outer terminal was not restored ({init})"
        );
        let _ = std::fs::remove_file(format!("{d}/after"));
    }
}

#[test]
fn the_terminal_is_restored_when_the_stop_timeout_kills() {
    let t = "the_terminal_is_restored_when_the_stop_timeout_kills";
    if !need_root(t) || !need_tool(t, "tmux") {
        return;
    }
    let dir = TempDir::new("tty-stop");
    let d = dir.path();
    let hull = env!("CARGO_BIN_EXE_hull");
    let tm = Tmux::new(80, 24);
    tm.keys(&[
        &format!(
            "stty -g > {d}/before; {hull} run -it --stop-timeout 1 sleep 1237.5; \
             echo rc=$?; stty -g > {d}/after"
        ),
        "Enter",
    ]);
    // hull is the pane shell's child; SIGTERM it as a supervisor would. The
    // sleep (PID 1) ignores the passed-on SIGTERM: the stop timeout kills it.
    let shell: u32 = tm
        .cmd(&["display", "-p", "-t", "t", "#{pane_pid}"])
        .trim()
        .parse()
        .unwrap();
    // The shell's child that is hull (stty runs first, and a fork shows
    // the shell's exe until it execs).
    let mut hull_pid = 0;
    for _ in 0..POLLS {
        if let Some(&p) = children(shell).iter().find(|&&p| {
            std::fs::read_link(format!("/proc/{p}/exe")).is_ok_and(|e| e.ends_with("hull"))
        }) {
            hull_pid = p;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_ne!(hull_pid, 0, "hull never started:\n{}", tm.screen());
    wait_for_exec(wait_for_child(hull_pid), "sleep");
    kill(hull_pid, "TERM");
    tm.wait_line("rc=137");
    for _ in 0..POLLS {
        if std::fs::metadata(format!("{d}/after")).is_ok_and(|m| m.len() > 0) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let before = std::fs::read_to_string(format!("{d}/before")).unwrap();
    let after = std::fs::read_to_string(format!("{d}/after")).unwrap();
    assert!(!before.is_empty());
    assert_eq!(before, after, "the outer terminal was left changed");
    assert!(gone(&["sleep", "1237.5"]));
}

#[test]
fn dry_run_shows_the_new_steps() {
    let o = run(&["run", "--dry-run", "--init", "-t", "sh"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("  1. prctl PR_SET_PDEATHSIG SIGKILL\n"),
        "{out}"
    );
    assert!(out.contains(". setsid \n"), "{out}");
    assert!(out.contains(". init: fork PID 2\n"), "{out}");
    assert!(out.contains(". setpgid, tcsetpgrp \n"), "{out}");
}

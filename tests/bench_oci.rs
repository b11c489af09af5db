//! `hull bench --runtime`: the OCI lifecycle of crun and runc on a busybox
//! bundle, as root. No assertion is about speed (the machine is shared):
//! they check the figures' shape and order, the outputs, and that a
//! failure or a Ctrl-C stops the run and leaves nothing behind.
//!
//! crun 1.8 refuses this kind of host's hybrid cgroups: the runs use
//! `--umount-unified`, and one uses the manual workaround docs/performance.md
//! documents (`unshare --mount ... sh -c 'umount ...; exec hull bench ...'`).
//! Under CI a missing crun, runc or busybox is a failure, not a skip.

#![cfg(feature = "bench")]

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PHASES: [&str; 6] = ["create", "start", "exec", "exit", "delete", "total"];

/// Root, crun, runc and busybox, or a loud skip (a failure under CI).
fn ready(test: &str) -> bool {
    // Before any bench of this run makes one.
    stale_cgroups();
    need_root(test)
        && need_tool(test, "crun")
        && need_tool(test, "runc")
        && need_tool(test, "busybox")
}

/// An OCI bundle in a fresh temporary directory: a busybox rootfs whose
/// applets are absolute symlinks (they only resolve inside it) and a
/// config running `args` in new PID, UTS, mount and IPC namespaces.
fn bundle(tag: &str, args: &[&str]) -> TempDir {
    let d = TempDir::new(tag);
    let root = d.0.join("rootfs");
    for sub in ["bin", "proc", "dev", "tmp"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    let bb = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("busybox");
    std::fs::copy(bb, root.join("bin/busybox")).unwrap();
    for applet in ["sh", "true", "sleep", "echo"] {
        std::os::unix::fs::symlink("/bin/busybox", root.join("bin").join(applet)).unwrap();
    }
    let config = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": args,
                    "env": ["PATH=/bin"], "cwd": "/"},
        "root": {"path": "rootfs"},
        "hostname": "container",
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
        "linux": {"namespaces": [{"type": "pid"}, {"type": "uts"}, {"type": "mount"},
                                 {"type": "ipc"}]}
    });
    std::fs::write(d.0.join("config.json"), config.to_string()).unwrap();
    d
}

/// A runtime wrapper: logs each command line to `dir/log`, then runs
/// `runtime` with its state under `dir/state` (so a test can see what is
/// left); `extra` shell lines go before that.
fn wrapper(dir: &Path, runtime: &str, extra: &str) -> PathBuf {
    let state = dir.join(format!("state-{runtime}"));
    std::fs::create_dir_all(&state).unwrap();
    let path = dir.join(format!("wrap-{runtime}"));
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> {log}\n{extra}\nexec {runtime} --root {state} \"$@\"\n",
        log = dir.join("log").display(),
        state = state.display(),
    );
    std::fs::write(&path, script).unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
    path
}

/// `hull bench ARGS --umount-unified`, with TMPDIR (where the bundle's
/// copy goes) set to `tmp`.
fn bench(tmp: &Path, args: &[&str]) -> Command {
    bench_of(hull(), tmp, args)
}

/// As [`bench`], with the hull of `c` (the release binary, say).
fn bench_of(mut c: Command, tmp: &Path, args: &[&str]) -> Command {
    c.arg("bench").args(args).arg("--umount-unified");
    c.env("TMPDIR", tmp).stdin(Stdio::null());
    c
}

fn out(c: &mut Command) -> Output {
    pid_and_output(c).1
}

/// Runs it to its end: its pid (in the ids it made) and its output.
fn pid_and_output(c: &mut Command) -> (u32, Output) {
    let child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    (pid, bounded(pid, move || child.wait_with_output().unwrap()))
}

/// `wait()` for hull (pid `pid`), bounded: a hang fails the test (hull
/// killed) instead of hanging it.
fn bounded<T: Send + 'static>(pid: u32, wait: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(wait()));
    match rx.recv_timeout(std::time::Duration::from_secs(300)) {
        Ok(v) => v,
        Err(_) => {
            kill(pid, "KILL");
            panic!("hull bench (pid {pid}) still runs after 300 s: killed");
        }
    }
}

/// What a run of hull (pid `pid`) may have left: its copy of the bundle
/// in `tmp`, state in the wrappers' root dirs, cgroups, mounts.
/// The `hullbench-*` cgroups already on the host when this test binary
/// began: an earlier run's (killed, say) whose pid was reused by one of
/// ours is not our leftover (pid_max may be as low as 32768).
fn stale_cgroups() -> &'static [String] {
    static STALE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    STALE.get_or_init(|| find_cgroups("hullbench-*"))
}

fn find_cgroups(pattern: &str) -> Vec<String> {
    let found = Command::new("find")
        .args(["/sys/fs/cgroup", "-name", pattern])
        .output()
        .unwrap();
    String::from_utf8_lossy(&found.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn leftovers(pid: u32, tmp: &Path, states: &[PathBuf]) -> Vec<String> {
    let mut left = Vec::new();
    for e in std::fs::read_dir(tmp).unwrap() {
        left.push(format!("in TMPDIR: {:?}", e.unwrap().file_name()));
    }
    for s in states {
        for e in std::fs::read_dir(s).unwrap() {
            left.push(format!(
                "state: {}/{:?}",
                s.display(),
                e.unwrap().file_name()
            ));
        }
    }
    let ids = format!("hullbench-{pid}-");
    for s in ["/run/crun", "/run/runc", "/run/hull"] {
        for e in std::fs::read_dir(s).into_iter().flatten() {
            let name = e.unwrap().file_name();
            if name.to_string_lossy().starts_with(&ids) {
                left.push(format!("state: {s}/{name:?}"));
            }
        }
    }
    for l in find_cgroups(&format!("{ids}*")) {
        if !stale_cgroups().contains(&l) {
            left.push(format!("cgroup: {l}"));
        }
    }
    for l in host_mountinfo().lines() {
        if l.contains(&ids) || l.contains(tmp.to_str().unwrap()) {
            left.push(format!("mount: {l}"));
        }
    }
    left
}

#[test]
fn json_of_crun_and_runc_has_every_phase_in_order() {
    if !ready("json_of_crun_and_runc_has_every_phase_in_order") {
        return;
    }
    let b = bundle("oci-json", &["/bin/true"]);
    let tmp = TempDir::new("oci-json-tmp");
    let (pid, o) = pid_and_output(
        bench(
            &tmp.0,
            &[
                "--runtime",
                "crun",
                "--runtime",
                "runc",
                "--bundle",
                b.path(),
            ],
        )
        .args(["-n", "5", "--warmup", "1", "--json"]),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "stderr is not a terminal: no progress");
    let j: Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
    assert_eq!(j["bundle"], b.path());
    assert_eq!(j["unit"], "ns");
    let rts = j["runtimes"].as_array().unwrap();
    assert_eq!(rts.len(), 2);
    let n = |v: &Value| v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    for (rt, name) in rts.iter().zip(["crun", "runc"]) {
        assert_eq!(rt["runtime"], name);
        assert!(rt["path"].as_str().unwrap().ends_with(name), "{rt}");
        assert!(n(&rt["peak_kib"]) > 100.0, "{rt}");
        let phases = rt["phases"].as_object().unwrap();
        let mut keys: Vec<&str> = phases.keys().map(|k| k.as_str()).collect();
        keys.sort();
        let mut want = PHASES;
        want.sort();
        assert_eq!(keys, want, "every phase");
        for (p, f) in phases {
            assert_eq!((n(&f["n"]), n(&f["warmup"])), (5.0, 1.0));
            let q: Vec<f64> = ["min", "p50", "p90", "p99", "max"]
                .iter()
                .map(|k| n(&f[k]))
                .collect();
            assert!(q.windows(2).all(|w| w[0] <= w[1]), "{name} {p}: {q:?}");
            assert!(q[0] > 0.0 || p == "exit", "{name} {p}: {q:?}");
            assert_eq!(f["peak_kib"], rt["peak_kib"]);
        }
        // The total of each round holds create, start, exec and delete, so
        // every order statistic of it is at least theirs.
        for k in ["min", "p50", "p90", "p99", "max"] {
            for p in ["create", "start", "exec", "exit", "delete"] {
                assert!(n(&phases["total"][k]) >= n(&phases[p][k]), "{name} {p} {k}");
            }
        }
        let h = &rt["histogram"];
        let counts: f64 = h["counts"].as_array().unwrap().iter().map(n).sum();
        assert_eq!(counts + n(&h["above"]), 5.0, "{h}");
        assert_eq!(h["from"], phases["total"]["min"]);
    }
    // In the order they run (serde_json's map sorts the keys: the text).
    let text = stdout(&o);
    let mut order: Vec<(usize, &str)> = Vec::new();
    for p in PHASES {
        order.extend(
            text.match_indices(&format!("\"{p}\":{{\"n\":"))
                .map(|(i, _)| (i, p)),
        );
    }
    order.sort();
    let order: Vec<&str> = order.into_iter().map(|(_, p)| p).collect();
    assert_eq!(order, [PHASES, PHASES].concat());
    // Ratios: crun's median over each one's, phase by phase, in thousandths.
    for p in PHASES {
        let first = n(&rts[0]["phases"][p]["p50"]);
        assert_eq!(rts[0]["phases"][p]["ratio"], 1.0, "{p}");
        let this = n(&rts[1]["phases"][p]["p50"]).max(1.0);
        let want = (first.max(1.0) * 1000.0 / this).floor();
        let got = (n(&rts[1]["phases"][p]["ratio"]) * 1000.0).round();
        assert_eq!(got, want, "{p}: {first} / {this}");
    }
    assert_eq!(leftovers(pid, &tmp.0, &[]), Vec::<String>::new());
}

/// `--runtime hull` is the running binary's own OCI front-end, timed
/// phase by phase beside crun, and it leaves nothing behind either.
#[test]
fn hull_itself_is_timed_beside_crun() {
    if !ready("hull_itself_is_timed_beside_crun") {
        return;
    }
    let b = bundle("oci-self", &["/bin/true"]);
    let tmp = TempDir::new("oci-self-tmp");
    let (pid, o) = pid_and_output(
        bench(
            &tmp.0,
            &[
                "--runtime",
                "hull",
                "--runtime",
                "crun",
                "--bundle",
                b.path(),
            ],
        )
        .args(["-n", "5", "--warmup", "1", "--json"]),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
    let rts = j["runtimes"].as_array().unwrap();
    assert_eq!(rts[0]["runtime"], "hull");
    assert_eq!(rts[0]["path"], "/proc/self/exe");
    assert_eq!(rts[1]["runtime"], "crun");
    for rt in rts {
        for p in PHASES {
            let f = &rt["phases"][p];
            assert_eq!(f["n"], 5, "{p}: {rt}");
            let min = f["min"].as_f64().unwrap();
            assert!(min > 0.0 || p == "exit", "{p}: {rt}");
        }
    }
    assert_eq!(leftovers(pid, &tmp.0, &[]), Vec::<String>::new());
}

/// A runtime's peak memory is its own: the same after 2 rounds as after
/// 600. (A vfork-style child's `ru_maxrss` can be hull bench's own resident
/// set, which grows as the run goes: hull's peak read 264 KiB after 250
/// rounds, 384 after 300 and 512 after 600.) The release binary, as it
/// ships: the debug one's own peak is larger than the bench's, which then
/// hides in it.
#[test]
fn peak_memory_is_the_runtimes_own_whatever_the_rounds() {
    if !ready("peak_memory_is_the_runtimes_own_whatever_the_rounds") {
        return;
    }
    let b = bundle("oci-peak", &["/bin/true"]);
    let tmp = TempDir::new("oci-peak-tmp");
    let release = release_hull();
    let peak = |n: &str| {
        let args = ["--runtime", "hull", "--bundle", b.path()];
        let mut c = bench_of(Command::new(&release), &tmp.0, &args);
        let o = out(c.args(["-n", n, "--warmup", "0", "--json"]));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let j: Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
        j["runtimes"][0]["peak_kib"].as_u64().unwrap()
    };
    let (few, many) = (peak("2"), peak("600"));
    assert!(few > 100, "{few} KiB");
    assert!(
        few.abs_diff(many) <= 8,
        "{few} KiB after 2 rounds, {many} after 600"
    );
}

#[test]
fn a_failing_create_stops_the_benchmark_with_its_error() {
    if !ready("a_failing_create_stops_the_benchmark_with_its_error") {
        return;
    }
    let b = bundle("oci-fail", &["/bin/true"]);
    let tmp = TempDir::new("oci-fail-tmp");
    let w = TempDir::new("oci-fail-wrap");
    let count = w.0.join("count");
    let flaky = wrapper(
        &w.0,
        "crun",
        &format!(
            "if [ \"$1\" = create ]; then echo >> {c}; if [ $(wc -l < {c}) = 3 ]; then echo 'flaky: third create refused' >&2; echo more >&2; exit 3; fi; fi",
            c = count.display()
        ),
    );
    let (pid, o) = pid_and_output(
        bench(
            &tmp.0,
            &["--runtime", flaky.to_str().unwrap(), "--bundle", b.path()],
        )
        .args(["-n", "5", "--warmup", "0"]),
    );
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        format!(
            "hull: bench: {} create failed (exit status 3): flaky: third create refused\n",
            flaky.display()
        )
    );
    assert_eq!(stdout(&o), "", "no timings of a failed run");
    let log = std::fs::read_to_string(w.0.join("log")).unwrap();
    let creates = log.lines().filter(|l| l.starts_with("create")).count();
    assert_eq!(creates, 3, "{log}");
    // The failed id was deleted (whatever state it reached), and nothing
    // else ran after.
    let last = log.lines().last().unwrap();
    assert!(last.starts_with("delete --force hullbench-"), "{log}");
    let states = [w.0.join("state-crun")];
    assert_eq!(leftovers(pid, &tmp.0, &states), Vec::<String>::new());
}

/// Starts a long run through wrappers of crun and runc, waits until the
/// log holds `line` `times` times, sends SIGINT, and checks that hull
/// stops with 130 and leaves nothing behind.
fn interrupt(tag: &str, args: &[&str], line: &str, times: usize) {
    let b = bundle(tag, args);
    let tmp = TempDir::new(&format!("{tag}-tmp"));
    let w = TempDir::new(&format!("{tag}-wrap"));
    let rts = [wrapper(&w.0, "crun", ""), wrapper(&w.0, "runc", "")];
    let mut c = bench(
        &tmp.0,
        &[
            "--runtime",
            rts[0].to_str().unwrap(),
            "--runtime",
            rts[1].to_str().unwrap(),
            "--bundle",
            b.path(),
        ],
    );
    let child = c
        .args(["-n", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = w.0.join("log");
    let mut seen = 0;
    for _ in 0..POLLS {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        seen = text.lines().filter(|l| l.starts_with(line)).count();
        if seen >= times {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(seen >= times, "only {seen} '{line}' lines");
    let pid = child.id();
    assert_eq!(kill(pid, "INT"), 0);
    let o = bounded(pid, move || child.wait_with_output().unwrap());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert_eq!(
        err,
        "hull: bench: interrupted by signal 2; its containers are deleted\n"
    );
    let states = [w.0.join("state-crun"), w.0.join("state-runc")];
    assert_eq!(leftovers(pid, &tmp.0, &states), Vec::<String>::new());
}

/// kill(1): the tests use no libc crate.
fn kill(pid: u32, sig: &str) -> i32 {
    let st = Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .unwrap();
    st.code().unwrap_or(1)
}

#[test]
fn sigint_mid_run_leaves_nothing_behind() {
    if !ready("sigint_mid_run_leaves_nothing_behind") {
        return;
    }
    // Some rounds in, wherever the run is at that moment.
    interrupt("oci-int", &["/bin/true"], "delete", 5);
}

#[test]
fn sigint_while_the_container_runs_deletes_it() {
    if !ready("sigint_while_the_container_runs_deletes_it") {
        return;
    }
    // Its command runs for long: the signal comes while hull waits for
    // its exit, and `delete --force` has to stop it.
    interrupt("oci-int-run", &["sleep", "29.75"], "start", 1);
    for p in std::fs::read_dir("/proc").unwrap() {
        let cmd = std::fs::read(p.unwrap().path().join("cmdline")).unwrap_or_default();
        assert_ne!(
            cmd, b"sleep\x0029.75\x00",
            "the container's command still runs"
        );
    }
}

/// A minimal XML check: balanced tags, one root, quoted attributes.
fn well_formed(svg: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg.trim_end();
    let mut roots = 0;
    while let Some(lt) = rest.find('<') {
        assert!(
            !stack.is_empty() || rest[..lt].trim().is_empty(),
            "text outside the root"
        );
        assert!(!rest[..lt].contains('>'), "a stray '>'");
        let gt = rest[lt..].find('>').expect("unclosed tag") + lt;
        let tag = &rest[lt + 1..gt];
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            roots += stack.is_empty() as usize;
            stack.push(tag.split_whitespace().next().unwrap());
        }
        rest = &rest[gt + 1..];
    }
    assert!(
        stack.is_empty() && rest.trim().is_empty(),
        "unclosed: {stack:?}"
    );
    assert_eq!(roots, 1);
}

#[test]
fn svg_is_well_formed_with_a_bar_per_phase_and_runtime() {
    if !ready("svg_is_well_formed_with_a_bar_per_phase_and_runtime") {
        return;
    }
    let b = bundle("oci-svg", &["/bin/true"]);
    let tmp = TempDir::new("oci-svg-tmp");
    let file = TempDir::new("oci-svg-out");
    let svg = file.0.join("chart.svg");
    let o = out(bench(
        &tmp.0,
        &[
            "--runtime",
            "crun",
            "--runtime",
            "runc",
            "--bundle",
            b.path(),
        ],
    )
    .args(["-n", "3", "--warmup", "0", "--svg", svg.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg ") && text.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
    well_formed(&text);
    assert_eq!(
        text.matches("<rect ").count(),
        1 + 2 * PHASES.len(),
        "background and bars"
    );
    for name in PHASES.iter().chain(&["crun", "runc"]) {
        assert!(text.contains(&format!(">{name}</text>")), "{name}");
    }
    // Without --json or --markdown, the text report.
    assert!(stdout(&o).starts_with("hull bench: "), "{}", stdout(&o));
}

#[test]
fn markdown_has_one_row_per_runtime_through_the_manual_workaround() {
    if !ready("markdown_has_one_row_per_runtime_through_the_manual_workaround")
        || !need_tool("markdown", "unshare")
    {
        return;
    }
    let b = bundle("oci-md", &["/bin/true"]);
    let tmp = TempDir::new("oci-md-tmp");
    // docs/performance.md's way for any tool: a private mount namespace without the
    // hybrid host's cgroup2 tree (umount fails harmlessly where there is none).
    let script = format!(
        "umount /sys/fs/cgroup/unified 2>/dev/null; exec {} bench --runtime crun --runtime runc --bundle {} -n 3 --warmup 0 --markdown",
        env!("CARGO_BIN_EXE_hull"),
        b.path()
    );
    let o = out(Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .env("TMPDIR", &tmp.0)
        .stdin(Stdio::null()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("Medians in ms of 3 rounds"), "{text}");
    assert_eq!(lines[1], "");
    let table = &lines[2..];
    assert_eq!(
        table.len(),
        4,
        "header, rule and one row per runtime: {text}"
    );
    assert_eq!(
        table[0],
        "| runtime | create | start | exec | exit | delete | total | total p99 | ratio | peak KiB |"
    );
    assert_eq!(table[1], format!("|---|{}", "---:|".repeat(9)));
    for (row, name) in table[2..].iter().zip(["crun", "runc"]) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 12, "{row}");
        assert_eq!((cells[0], cells[1], cells[11]), ("", name, ""));
        for c in &cells[2..8] {
            assert!(c.parse::<f64>().is_ok(), "{row}");
        }
    }
    assert!(table[2].contains("| 1.000x |"), "{}", table[2]);
    assert_eq!(std::fs::read_dir(&tmp.0).unwrap().count(), 0);
}

#[test]
fn bad_bundles_and_runtimes_are_one_line_and_125() {
    if !need_root("bad_bundles_and_runtimes_are_one_line_and_125") || !need_tool("bad", "busybox") {
        return;
    }
    let tmp = TempDir::new("oci-bad-tmp");
    // A runtime that exists (never run: every case fails before).
    let rt = ["--runtime", "/bin/true"];
    let fails = |args: &[&str], want: &str| {
        let o = out(&mut bench(&tmp.0, args));
        assert_eq!(o.status.code(), Some(125), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), format!("hull: {want}\n"), "{args:?}");
        assert_eq!(stdout(&o), "");
    };
    let b = bundle("oci-bad", &["/bin/nosuch"]);
    fails(
        &["--runtime", "nosuch-runtime", "--bundle", b.path()],
        "bench: --runtime nosuch-runtime: command not found",
    );
    let root = std::fs::canonicalize(b.0.join("rootfs")).unwrap();
    fails(
        &[rt[0], rt[1], "--bundle", b.path()],
        &format!(
            "bench: rootfs {}: /bin/nosuch: No such file or directory",
            root.display()
        ),
    );
    std::fs::remove_file(b.0.join("rootfs/bin/sh")).unwrap();
    fails(
        &[rt[0], rt[1], "--bundle", b.path()],
        &format!(
            "bench: rootfs {}: /bin/sh: No such file or directory",
            root.display()
        ),
    );
    let empty = TempDir::new("oci-bad-empty");
    fails(
        &[rt[0], rt[1], "--bundle", empty.path()],
        &format!(
            "bench: read {}/config.json: No such file or directory",
            std::fs::canonicalize(&empty.0).unwrap().display()
        ),
    );
    std::fs::write(empty.0.join("config.json"), "{\"root\":").unwrap();
    fails(
        &[rt[0], rt[1], "--bundle", empty.path()],
        &format!(
            "bench: {}/config.json: unexpected end of input",
            std::fs::canonicalize(&empty.0).unwrap().display()
        ),
    );
    assert_eq!(std::fs::read_dir(&tmp.0).unwrap().count(), 0);
}

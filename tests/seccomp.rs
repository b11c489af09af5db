//! Issue 15: docker's default seccomp profile, compiled to BPF by hull, on
//! by default; `--security-opt seccomp=unconfined|PROFILE.json`. The real
//! binary on the real kernel, as root. The probes call syscalls by number
//! from the host's python3 (ctypes), inside a container that shares the
//! host's tree.

mod common;
use common::*;

/// A python3 program that makes each call in `calls` ("name nr args...")
/// and prints "name errno" (0 when it succeeded).
fn probe(extra: &[&str], calls: &str) -> std::process::Output {
    let script = format!(
        r#"
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
for line in """{calls}""".strip().splitlines():
    name, nr, *args = line.split()
    ctypes.set_errno(0)
    r = libc.syscall(int(nr, 0), *[ctypes.c_long(int(a, 0)) for a in args])
    if r == 0 and name.startswith("clone"):
        os._exit(0)
    print(name, 0 if r >= 0 else ctypes.get_errno(), flush=True)
"#
    );
    let mut a = vec!["run"];
    a.extend_from_slice(extra);
    a.extend_from_slice(&["python3", "-c", &script]);
    run(&a)
}

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "status {:?}, stderr: {}",
        o.status,
        stderr(o)
    );
    stdout(o)
}

/// The calls docker's default profile refuses, and what a default
/// container gets back: EPERM (1), and ENOSYS (38) for clone3 (so that libc
/// falls back to clone, whose flags the filter sees) and for a number above
/// the table's last.
const REFUSED: &str = "
unshare_user 272 0x10000000
keyctl 250 0 0
add_key 248 0 0 0 0 0
bpf 321 0 0 0
perf_event_open 298 0 0 0 0 0
userfaultfd 323 0
personality_linux32_3gb 135 0x8000008
socket_vsock 41 40 1 0
clone_newuser 56 0x10000011 0 0 0 0
clone3 435 0 0
above_the_table 470
";

#[test]
fn a_default_container_cannot_make_the_refused_calls() {
    if !need_root("seccomp_default") || !need_tool("seccomp_default", "python3") {
        return;
    }
    let o = probe(&[], REFUSED);
    assert_eq!(
        ok(&o),
        "unshare_user 1\nkeyctl 1\nadd_key 1\nbpf 1\nperf_event_open 1\nuserfaultfd 1\n\
         personality_linux32_3gb 1\nsocket_vsock 1\nclone_newuser 1\nclone3 38\nabove_the_table 38\n"
    );
    // The filter is there: mode 2, one filter.
    let o = run(&["run", "grep", "^Seccomp", "/proc/self/status"]);
    assert_eq!(ok(&o), "Seccomp:\t2\nSeccomp_filters:\t1\n");
    // What the kernel answers without a filter (so the probe can fail):
    // clone3's zero-sized argument is EINVAL, keyctl(0) EINVAL...
    let o = probe(
        &["--security-opt", "seccomp=unconfined"],
        "clone3 435 0 0\nkeyctl 250 0 0\n",
    );
    assert_eq!(ok(&o), "clone3 22\nkeyctl 22\n");
    let o = run(&[
        "run",
        "--privileged",
        "grep",
        "^Seccomp:",
        "/proc/self/status",
    ]);
    assert_eq!(ok(&o), "Seccomp:\t0\n", "--privileged installs no filter");
}

#[test]
fn capabilities_open_their_groups() {
    if !need_root("seccomp_caps") || !need_tool("seccomp_caps", "python3") {
        return;
    }
    // CAP_SYS_ADMIN kept: unshare, setns, mount... and clone3, as docker.
    let o = probe(
        &["--cap-add", "SYS_ADMIN"],
        "unshare_user 272 0x10000000\nclone3 435 0 0\n",
    );
    assert_eq!(ok(&o), "unshare_user 0\nclone3 22\n");
    // CAP_SYS_PTRACE: kcmp (with a bad type: EINVAL when allowed).
    let kcmp = "kcmp 312 1 1 99 0 0\n";
    assert_eq!(ok(&probe(&[], kcmp)), "kcmp 1\n");
    assert_eq!(ok(&probe(&["--cap-add", "SYS_PTRACE"], kcmp)), "kcmp 22\n");
    // unconfined: everything the capabilities allow.
    let o = probe(
        &["--security-opt", "seccomp=unconfined"],
        "unshare_user 272 0x10000000\n",
    );
    assert_eq!(ok(&o), "unshare_user 0\n");
}

#[test]
fn ordinary_work_still_runs() {
    if !need_root("seccomp_ordinary") {
        return;
    }
    let Some(r) = Rootfs::new("seccomp_ordinary") else {
        return;
    };
    let o = r.run(&[
        "--net=none",
        "sh",
        "-c",
        "ls / | grep -c bin; echo hello | tr a-z A-Z | cat; sleep 0.1; \
         mkdir /tmp/www && echo served > /tmp/www/index.html; \
         httpd -p 127.0.0.1:8080 -h /tmp/www; sleep 0.2; \
         wget -q -O - http://127.0.0.1:8080/",
    ]);
    assert_eq!(ok(&o), "1\nHELLO\nserved\n");
}

/// A profile file in a temporary directory.
#[cfg(feature = "profiles")]
fn profile(dir: &TempDir, name: &str, text: &str) -> String {
    let p = dir.0.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[cfg(feature = "profiles")]
#[test]
fn a_profile_file_behaves_as_written() {
    if !need_root("seccomp_file") || !need_tool("seccomp_file", "python3") {
        return;
    }
    let d = TempDir::new("seccomp-file");
    // Argument rules (MASKED_EQ on clone's flags, EQ on personality), an
    // errnoRet, and KILL_PROCESS.
    let p = profile(
        &d,
        "p.json",
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
 {"names":["clone"],"action":"SCMP_ACT_ERRNO","errnoRet":13,
  "args":[{"index":0,"value":268435456,"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"}]},
 {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":22,
  "args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},
 {"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":99},
 {"names":["mincore"],"action":"SCMP_ACT_KILL_PROCESS"}]}"#,
    );
    let opt = format!("seccomp={p}");
    let o = probe(
        &["--security-opt", &opt],
        "clone_newuser 56 0x10000011 0 0 0 0\npersonality_8 135 8\npersonality_query 135 0xffffffff\n\
         getppid 110\nmincore 27 0 0 0\nnever 39\n",
    );
    assert_eq!(o.status.code(), Some(128 + 31), "SIGSYS: {}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "clone_newuser 13\npersonality_8 22\npersonality_query 0\ngetppid 99\n"
    );
}

#[cfg(feature = "profiles")]
#[test]
fn malformed_profiles_are_one_line_and_125() {
    if !need_root("seccomp_bad") {
        return;
    }
    let d = TempDir::new("seccomp-bad");
    let cases = [
        (
            "truncated",
            r#"{"defaultAction":"SCMP_ACT_ERRNO","sysc"#,
            "not JSON: ",
        ),
        ("notjson", "defaultAction: allow", "not JSON: "),
        (
            "action",
            r#"{"defaultAction":"SCMP_ACT_NOTIFY"}"#,
            "unknown action 'SCMP_ACT_NOTIFY'",
        ),
        (
            "operator",
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_LIKE"}]}]}"#,
            "unknown operator 'SCMP_CMP_LIKE'",
        ),
        // An entry whose includes do not hold (SYS_MODULE is not kept)
        // still has its excludes read.
        (
            "excludes",
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ERRNO","includes":{"caps":["CAP_SYS_MODULE"]},"excludes":{"minKernel":"bogus"}}]}"#,
            "minKernel 'bogus'",
        ),
    ];
    for (name, text, want) in cases {
        let p = profile(&d, name, text);
        let o = run(&["run", "--security-opt", &format!("seccomp={p}"), "true"]);
        assert_eq!(o.status.code(), Some(125), "{name}");
        let e = stderr(&o);
        assert!(
            e.starts_with(&format!("hull: seccomp profile {p}: ")) && e.contains(want),
            "{name}: {e}"
        );
        // The file named once, and the words "seccomp profile" once.
        assert_eq!(e.matches("seccomp profile").count(), 1, "{name}: {e}");
        assert_eq!(e.lines().count(), 1, "{name}: {e}");
    }
    for (path, want) in [
        (d.path().to_string(), "not a regular file"),
        (
            format!("{}/missing.json", d.path()),
            "No such file or directory",
        ),
    ] {
        let o = run(&["run", "--security-opt", &format!("seccomp={path}"), "true"]);
        assert_eq!(o.status.code(), Some(125));
        let e = stderr(&o);
        assert!(
            e.starts_with("hull: seccomp profile ") && e.contains(want),
            "{e}"
        );
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    // A profile under which hull could not finish its own setup.
    let p = profile(
        &d,
        "blocks-hull.json",
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["capset"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    let o = run(&["run", "--security-opt", &format!("seccomp={p}"), "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        format!(
            "hull: seccomp profile {p} refuses capset, which hull needs after installing it, before the command starts\n"
        )
    );
}

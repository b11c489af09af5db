//! `hull check` on this host, and the early-boot conditions hull must cope
//! with that can be made here: no /proc, an empty environment. (The real
//! early boot, an initramfs, is in tests/vm.rs.)

mod common;
use common::*;
use std::process::Command;

fn line<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no '{key}' line in:\n{out}"))
}

#[test]
fn check_reports_what_this_kernel_offers() {
    let o = run(&["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // clone3 exists on every kernel this test suite runs on (5.3+).
    assert_eq!(line(&out, "clone3: "), "yes");
    assert_eq!(line(&out, "/proc: "), "mounted");

    // Exactly the namespaces /proc/self/ns lists (of those hull knows).
    let known = ["mnt", "uts", "pid", "ipc", "net", "user", "cgroup", "time"];
    let want: Vec<&str> = known
        .iter()
        .copied()
        .filter(|n| std::path::Path::new(&format!("/proc/self/ns/{n}")).exists())
        .collect();
    let got: Vec<&str> = line(&out, "namespaces: ").split(' ').collect();
    assert_eq!(got, want);

    let max = std::fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap();
    assert_eq!(line(&out, "user namespaces: max "), max.trim());

    // Every cgroup mount, in mountinfo's order, described independently here.
    let mut want = Vec::new();
    for l in std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
    {
        let point = l.split(' ').nth(4).unwrap();
        let fstype = l.split(" - ").nth(1).unwrap().split(' ').next().unwrap();
        if fstype == "cgroup2" {
            let ctl = std::fs::read_to_string(format!("{point}/cgroup.controllers")).unwrap();
            want.push(format!(" v2 {point} ({})", ctl.trim_end()));
        } else if fstype == "cgroup" {
            want.push(format!(" v1 {}", point.rsplit('/').next().unwrap()));
        }
    }
    // Separated by ";", with none after the last.
    let want = want.join(";");
    assert_eq!(line(&out, "cgroup:"), want);
    assert!(!want.is_empty(), "this host has cgroups mounted");
}

#[test]
fn check_without_proc_says_unknown() {
    if !need_root("check_without_proc_says_unknown") || !need_tool("check_without_proc", "unshare")
    {
        return;
    }
    // A private mount namespace where /proc is gone, as in early boot.
    let o = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg("umount -l /proc && exec \"$0\" check")
        .arg(env!("CARGO_BIN_EXE_hull"))
        .output_bounded();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(line(&out, "clone3: "), "yes", "probed without /proc");
    assert_eq!(line(&out, "/proc: "), "not mounted");
    assert!(out.contains("unknown (no /proc)"), "{out}");
    assert!(!out.contains("namespaces: mnt"), "{out}");
}

#[test]
fn run_works_with_an_empty_environment() {
    if !need_root("run_works_with_an_empty_environment") {
        return;
    }
    // `env -i hull run ...`: no PATH, so hull searches its default path,
    // and the command gets the empty environment it was given.
    let o = hull()
        .env_clear()
        // --env-host: the container's environment is the (empty) host's,
        // not hull's docker-style defaults (PATH, HOSTNAME, HOME, TERM).
        .args([
            "run",
            "--env-host",
            "sh",
            "-c",
            "echo in $(hostname); env | grep -c = || true",
        ])
        .output_bounded();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let mut l = out.lines();
    assert_eq!(l.next(), Some("in container"));
    // The shell may set PWD, SHLVL or the like itself; the point is that
    // nothing leaked in (the host's environment has PATH, HOME...).
    let n: u32 = l.next().unwrap().parse().unwrap();
    assert!(n <= 3, "the container saw an environment: {out}");
}

#[test]
fn rootfs_works_without_proc_in_the_host() {
    let t = "rootfs_works_without_proc_in_the_host";
    if !need_root(t) || !need_tool(t, "unshare") {
        return;
    }
    let Some(root) = Rootfs::new("noproc") else {
        return;
    };
    // Early boot before /proc is mounted: the rootfs's real path cannot come
    // from /proc/self/fd; hull finds it with fchdir + getcwd.
    let o = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg("umount -l /proc && exec \"$0\" run --rootfs \"$1\" /bin/sh -c 'cat /ROOTFS_MARKER; echo $$; test -e /proc/1/stat && echo proc'")
        .arg(env!("CARGO_BIN_EXE_hull"))
        .arg(root.path())
        .output_bounded();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "rootfs\n1\nproc\n");
}

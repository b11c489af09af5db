//! `cargo bench --bench syscalls`: what docker's default seccomp profile
//! costs a syscall, under hull's filter (compiled by hull) and under crun's
//! (libseccomp's), on the same bundle.
//!
//! A static probe (C, built here with gcc) times a loop of `getppid` (a call
//! the profile allows on its number alone) and of `personality(0xffffffff)`
//! (allowed by an argument rule), and prints nanoseconds per call. It runs
//! in `hull run --rootfs`, in the same with `seccomp=unconfined`, and in
//! `crun run` with docker's profile resolved for podman's capabilities (the
//! profile hull's table gives, written out in OCI's format). Each is run
//! several times, interleaved; the medians are printed and written to
//! target/bench/syscalls.json. Not part of CI (docs/performance.md gives figures).
//!
//! As benches/startup.rs: crun 1.8 refuses this host's hybrid cgroups, so
//! the harness re-executes itself in a private mount namespace with
//! /sys/fs/cgroup/unified unmounted, for every peer alike.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PROBE: &str = r#"
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
static long ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000L + t.tv_nsec; }
int main(void) {
    const int n = 500000;
    long t0 = ns();
    for (int i = 0; i < n; i++) syscall(SYS_getppid);
    long t1 = ns();
    for (int i = 0; i < n; i++) syscall(SYS_personality, 0xffffffffUL);
    long t2 = ns();
    printf("%.1f %.1f\n", (t1 - t0) / (double)n, (t2 - t1) / (double)n);
    return 0;
}
"#;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let unified = Path::new("/sys/fs/cgroup/unified");
    if std::env::var_os("HULL_BENCH_NS").is_none() && mounted(unified) {
        let st = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "--"])
            .arg(std::env::current_exe().unwrap())
            .args(std::env::args().skip(1))
            .env("HULL_BENCH_NS", "1")
            .status()
            .expect("re-exec under unshare");
        std::process::exit(st.code().unwrap_or(1));
    }
    if mounted(unified) {
        let _ = Command::new("umount").arg(unified).status();
    }
    let st = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "hull"])
        .current_dir(&root)
        .status()
        .expect("cargo build --release");
    assert!(st.success());
    let hull = target.join("release/hull");

    // The bundle: the static probe alone in its rootfs.
    let out = target.join("bench");
    let bundle = out.join("syscalls-bundle");
    let rootfs = bundle.join("rootfs");
    for d in ["proc", "dev", "sys", "tmp"] {
        std::fs::create_dir_all(rootfs.join(d)).unwrap();
    }
    let src = out.join("probe.c");
    std::fs::write(&src, PROBE).unwrap();
    let st = Command::new("gcc")
        .args(["-O2", "-static", "-o"])
        .arg(rootfs.join("probe"))
        .arg(&src)
        .status()
        .expect("gcc (static probe)");
    assert!(st.success(), "gcc -static failed");

    // docker's profile, as hull's table resolves it for podman's
    // capabilities on this kernel, in OCI's format for crun.
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut v = kernel.split(|c: char| !c.is_ascii_digit());
    let k = (
        v.next().unwrap().parse().unwrap(),
        v.next().unwrap().parse().unwrap(),
    );
    let p = hull::seccomp::default_profile(hull::spec::DEFAULT_CAPS, k);
    let caps: Vec<String> = (0..41)
        .filter(|b| hull::spec::DEFAULT_CAPS & 1 << b != 0)
        .map(|b| {
            format!(
                "\"CAP_{}\"",
                hull::spec::CAP_NAMES.split(' ').nth(b).unwrap()
            )
        })
        .collect();
    let config = format!(
        r#"{{"ociVersion":"1.0.2",
 "process":{{"terminal":false,"user":{{"uid":0,"gid":0}},"args":["/probe"],"env":["PATH=/"],"cwd":"/",
   "capabilities":{{"bounding":[{c}],"effective":[{c}],"permitted":[{c}]}}}},
 "root":{{"path":"rootfs"}},"hostname":"container",
 "mounts":[{{"destination":"/proc","type":"proc","source":"proc"}}],
 "linux":{{"namespaces":[{{"type":"pid"}},{{"type":"uts"}},{{"type":"mount"}},{{"type":"ipc"}}],
   "seccomp":{}}}}}"#,
        oci_profile(&p),
        c = caps.join(",")
    );
    std::fs::write(bundle.join("config.json"), config).unwrap();

    let r = rootfs.to_str().unwrap();
    let b = bundle.to_str().unwrap();
    let h = hull.to_str().unwrap();
    let peers: Vec<(&str, Vec<&str>)> = vec![
        ("hull", vec![h, "run", "--rootfs", r, "/probe"]),
        (
            "hull unconfined",
            vec![
                h,
                "run",
                "--rootfs",
                r,
                "--security-opt",
                "seccomp=unconfined",
                "/probe",
            ],
        ),
        ("crun", vec!["crun", "run", "--bundle", b, "ID"]),
    ];
    let mut got: Vec<Vec<(f64, f64)>> = vec![Vec::new(); peers.len()];
    for round in 0..7 {
        for (i, (name, argv)) in peers.iter().enumerate() {
            let mut c = Command::new(argv[0]);
            for a in &argv[1..] {
                c.arg(if *a == "ID" {
                    format!("hullsys-{}-{round}", std::process::id())
                } else {
                    a.to_string()
                });
            }
            let o = c.stdin(Stdio::null()).output().expect(name);
            assert!(
                o.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let s = String::from_utf8_lossy(&o.stdout);
            let mut n = s.split_whitespace().map(|x| x.parse::<f64>().unwrap());
            got[i].push((n.next().unwrap(), n.next().unwrap()));
        }
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    println!(
        "ns per call (median of 7 runs of 500,000 calls each, Linux {})",
        kernel.trim()
    );
    println!("{:<18} {:>10} {:>14}", "filter", "getppid", "personality");
    let mut json = Vec::new();
    for (i, (name, _)) in peers.iter().enumerate() {
        let (mut a, mut p): (Vec<f64>, Vec<f64>) = got[i].iter().copied().unzip();
        let (a, p) = (med(&mut a), med(&mut p));
        println!("{name:<18} {a:>10.1} {p:>14.1}");
        json.push(format!(
            "{name:?}:{{\"getppid_ns\":{a:.1},\"personality_ns\":{p:.1}}}"
        ));
    }
    std::fs::write(
        out.join("syscalls.json"),
        format!("{{{}}}\n", json.join(",")),
    )
    .unwrap();
}

/// A profile in OCI's (and docker's) JSON format.
fn oci_profile(p: &hull::seccomp::Profile) -> String {
    use hull::seccomp::{Action, Cmp};
    let act = |a: Action| match a {
        Action::Allow => "\"SCMP_ACT_ALLOW\"".to_string(),
        Action::Errno(e) => format!("\"SCMP_ACT_ERRNO\",\"errnoRet\":{e}"),
        other => panic!("{other:?} not in docker's profile"),
    };
    let mut calls = Vec::new();
    for r in &p.rules {
        let name = String::from_utf8(hull::seccomp::syscall_name(r.nr).unwrap()).unwrap();
        let args: Vec<String> = r
            .args
            .iter()
            .map(|a| {
                let (op, two) = match a.cmp {
                    Cmp::Ne => ("NE", 0),
                    Cmp::Lt => ("LT", 0),
                    Cmp::Le => ("LE", 0),
                    Cmp::Eq => ("EQ", 0),
                    Cmp::Ge => ("GE", 0),
                    Cmp::Gt => ("GT", 0),
                    Cmp::MaskedEq(_) => ("MASKED_EQ", a.value),
                };
                let value = if let Cmp::MaskedEq(m) = a.cmp { m } else { a.value };
                format!(
                    "{{\"index\":{},\"value\":{value},\"valueTwo\":{two},\"op\":\"SCMP_CMP_{op}\"}}",
                    a.index
                )
            })
            .collect();
        calls.push(format!(
            "{{\"names\":[\"{name}\"],\"action\":{},\"args\":[{}]}}",
            act(r.action),
            args.join(",")
        ));
    }
    format!(
        "{{\"defaultAction\":{},\"architectures\":[\"SCMP_ARCH_X86_64\"],\"syscalls\":[{}]}}",
        act(p.default),
        calls.join(",")
    )
}

fn mounted(p: &Path) -> bool {
    let want = p.to_string_lossy();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(&*want))
}

//! hull in early boot, proven on a real kernel: boots Debian's kernel under
//! qemu (TCG) with an initramfs holding the release hull, busybox and the
//! scenario script tests/vm/init.sh as /init, and asserts the scenarios'
//! marker lines on the serial console. tests/vm/vm.py does the fetching
//! (cached in target/vm), the initramfs and the boot.

mod common;
use common::{Bounded, release_hull, skip, target_dir};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Every scenario /init runs; each must report PASS.
const SCENARIOS: &[&str] = &[
    "no-host-proc",
    "no-host-proc-after",
    "empty-env",
    "no-etc",
    "rootfs-no-host-proc",
    "check-no-proc",
    "hostname-pid1",
    "exit-code",
    "not-found",
    "check",
    "clone-into-cgroup",
    "cgroupns-default",
    "memory-oom",
    "memory-ok",
    "pids-limit",
    "pids-ok",
    "cgroup-cleanup",
    "rootfs-initramfs",
    "devices-v2",
    "rootless",
    "rootless-rootfs",
];

/// The exit status vm.py uses for "cannot get the packages here".
const SKIP: i32 = 77;

const TEST: &str = "initramfs_scenarios_in_a_vm";

#[test]
fn initramfs_scenarios_in_a_vm() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !common::need_tool(TEST, "python3") {
        return;
    }
    // The binary that ships: the release build (as tests/size.rs measures it).
    let hull = release_hull();

    let o = Command::new("python3")
        .arg(root.join("tests/vm/vm.py"))
        .arg("--cache")
        .arg(target_dir().join("vm"))
        .arg("--hull")
        .arg(&hull)
        .arg("--init")
        .arg(root.join("tests/vm/init.sh"))
        .args(["--timeout", "180"])
        // The boot's 180 s, and the first fetch of the packages.
        .output_within(Duration::from_secs(900));
    let log = String::from_utf8_lossy(&o.stdout);
    let diag = String::from_utf8_lossy(&o.stderr);
    let _ = std::io::stderr().write_all(diag.as_bytes());
    if o.status.code() == Some(SKIP) {
        // Under CI, a failure: CI must be able to fetch them (or have them
        // cached in target/vm).
        skip(
            TEST,
            &format!("cannot fetch qemu, a kernel and busybox: {diag}"),
        );
        return;
    }
    assert!(o.status.success(), "vm.py failed:\n{diag}\n{log}");

    let markers: Vec<&str> = log
        .lines()
        .filter_map(|l| Some(&l[l.find("HULL-SCENARIO ")? + 14..]))
        .collect();
    let mut failed = Vec::new();
    for name in SCENARIOS {
        let m = markers.iter().find(|m| m.split(' ').next() == Some(name));
        match m {
            Some(m) if m.split(' ').nth(1) == Some("PASS") => {}
            Some(m) => failed.push(m.to_string()),
            None => failed.push(format!("{name}: no marker")),
        }
    }
    let unknown: Vec<_> = markers
        .iter()
        .filter(|m| !SCENARIOS.contains(&m.split(' ').next().unwrap_or("")))
        .collect();
    assert!(
        failed.is_empty() && unknown.is_empty(),
        "scenarios failed: {failed:#?}\nunlisted markers: {unknown:?}\nserial console:\n{log}"
    );
    assert!(log.contains("HULL-VM-DONE"), "/init did not finish:\n{log}");
}

//! `hull check`: what the running kernel offers hull, one fact a line.
//!
//! The first thing to run when a container fails to start in early boot. It
//! must work where hull does: no /etc, and maybe no /proc yet (then the facts
//! that only /proc can tell are "unknown (no /proc)"). It creates nothing: no
//! process, no namespace, no mount.

use crate::error::strerror;
use crate::sys::{self, Errno};
use crate::util::cstr::cstring;
use crate::util::out::{Buf, print};
use crate::util::text::{find, tok};
use alloc::vec::Vec;
use rustix::fs::Access;

/// The namespaces hull can create, as `/proc/self/ns/` names them.
const NAMESPACES: &[u8] = b"mnt uts pid ipc net user cgroup time";

/// Prints the report; exits 0 (it is a report, not a verdict).
#[inline(never)]
pub fn check() -> i32 {
    let mut b = Buf::new();
    b.s("clone3: ");
    match sys::clone3_probe() {
        // A zero-sized argument is refused before anything is created.
        Errno::INVAL => b.s("yes"),
        e => b.s("no (").s(strerror(e)).s(")"),
    };
    // Everything else is read from /proc, which early boot may not have yet.
    if rustix::fs::access(c"/proc/self", Access::EXISTS).is_err() {
        b.s("\n/proc: not mounted\nnamespaces, user namespaces, cgroup: unknown (no /proc)\n");
        print(b.as_bytes());
        return 0;
    }
    b.s("\n/proc: mounted\nnamespaces:");
    let mut names = NAMESPACES;
    while !names.is_empty() {
        let ns = tok(&mut names, b' ');
        if exists(&[b"/proc/self/ns/", ns]) {
            b.s(" ").b(ns);
        }
    }
    // 0 means none may be created, not even by root.
    b.s("\nuser namespaces: max ")
        .b(first_line(&read(&[b"/proc/sys/user/max_user_namespaces"])))
        .s("\ncgroup:");
    cgroups(&read(&[b"/proc/self/mountinfo"]), &mut b, &|point| {
        // The controllers this tree can hand to its children.
        read(&[point, b"/cgroup.controllers"])
    });
    b.s("\n");
    print(b.as_bytes());
    0
}

/// Describes the cgroup mounts listed in a mountinfo text, in order:
/// " v2 <mount point> (<controllers>); v1 <name>; ..." (a v1 hierarchy is
/// named by its mount point's last component, such as `cpu,cpuacct`).
pub fn cgroups(mountinfo: &[u8], b: &mut Buf, controllers: &dyn Fn(&[u8]) -> Vec<u8>) {
    let start = b.0.len();
    for line in crate::util::mountinfo::lines(mountinfo) {
        let point = line.point;
        let kind = find("cgroup2 cgroup", line.fstype);
        // A separator between entries, not after the last.
        if kind.is_some() && b.0.len() > start {
            b.s(";");
        }
        match kind {
            Some(0) => {
                b.s(" v2 ").b(point).s(" (");
                b.b(first_line(&controllers(point))).s(")");
            }
            Some(_) => {
                let name = point.rsplit(|&c| c == b'/').next().unwrap_or_default();
                b.s(" v1 ").b(name);
            }
            None => {}
        }
    }
}

/// The first line, without its newline.
fn first_line(mut s: &[u8]) -> &[u8] {
    tok(&mut s, b'\n')
}

fn exists(parts: &[&[u8]]) -> bool {
    rustix::fs::access(cstring(parts.concat()).as_c_str(), Access::EXISTS).is_ok()
}

/// A whole (small, /proc or /sys) file; empty if it cannot be read.
fn read(parts: &[&[u8]]) -> Vec<u8> {
    crate::util::file::read_file(&parts.concat()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn describe(mountinfo: &[u8]) -> String {
        let mut b = Buf::new();
        cgroups(mountinfo, &mut b, &|point| {
            assert_eq!(point, b"/sys/fs/cgroup/unified");
            b"hugetlb pids\n".to_vec()
        });
        String::from_utf8(b.0).unwrap()
    }

    #[test]
    fn hybrid_v1_and_v2_mounts() {
        let mi = b"\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
25 22 0:22 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw,nsdelegate
27 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:11 master:3 - cgroup cgroup rw,cpu,cpuacct
28 25 0:25 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
";
        assert_eq!(
            describe(mi),
            " v2 /sys/fs/cgroup/unified (hugetlb pids); v1 cpu,cpuacct; v1 memory"
        );
    }

    #[test]
    fn pure_v2_and_none() {
        let mut b = Buf::new();
        let mi = b"30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n";
        cgroups(mi, &mut b, &|_| b"cpu memory pids".to_vec());
        assert_eq!(b.as_bytes(), b" v2 /sys/fs/cgroup (cpu memory pids)");
        // A mount whose source or path says "cgroup" is not a cgroup mount.
        let mi = b"31 1 0:27 / /cgroup rw - tmpfs cgroup rw\n\n";
        assert_eq!(describe(mi), "");
        assert_eq!(first_line(b"5\n"), b"5");
        assert_eq!(first_line(b""), b"");
    }
}

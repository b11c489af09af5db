//! Spec -> Plan: everything the child needs, prepared before the clone.
//!
//! The plan is a list of operations that the child walks in order, plus the
//! execve arguments. Every C string, path and flag is built here, in the
//! parent, so the child only makes syscalls. Plans can be printed
//! (`--dry-run`, `--debug`) and are unit-tested without root.

use crate::error::Error;
use crate::out::Buf;
use crate::resolve;
use crate::spec::Spec;
use crate::sys::CStrArray;
use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::CStr;
use linux_raw_sys::general as g;

/// One setup step of the child, in the order the plan lists them.
#[derive(Debug, PartialEq, Eq)]
pub enum Op {
    /// `mount(NULL, "/", NULL, MS_REC|MS_PRIVATE)`: nothing mounted later leaks out.
    PrivateMounts,
    /// `sethostname(name)`.
    Hostname(Vec<u8>),
    /// Bring the new network namespace's `lo` up.
    LoopbackUp,
    /// `chdir(dir)`.
    Chdir(CString),
    /// `mount("proc", target, "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC)`.
    MountProc(CString),
    /// Block until the parent has done its part of the setup from outside
    /// (id maps, a cgroup join) and sent one byte on the channel. A plan
    /// holds at most one, placed before the first step that depends on it.
    AwaitParent,
}

impl Op {
    /// The syscall and the object it acts on, as error messages name them.
    pub fn step(&self) -> (&'static str, &[u8]) {
        match self {
            Op::PrivateMounts => ("make mounts private: mount --make-rprivate", b"/"),
            Op::Hostname(h) => ("sethostname", h),
            Op::LoopbackUp => ("bring up loopback: ioctl SIOCSIFFLAGS", b"lo"),
            Op::Chdir(d) => ("chdir", d.to_bytes()),
            Op::MountProc(t) => ("mount proc on", t.to_bytes()),
            Op::AwaitParent => ("wait for the parent", b""),
        }
    }
}

/// Everything the child needs, prepared.
pub struct Plan {
    /// Namespace flags for the one clone3 (CLONE_NEW*).
    pub clone_flags: u64,
    pub ops: Vec<Op>,
    /// The resolved executable.
    pub exe: CString,
    pub argv: CStrArray,
    pub envp: CStrArray,
}

impl Plan {
    /// Resolves the command in PATH (as execvp would) and builds the plan.
    pub fn build(spec: &Spec, env: &[&CStr]) -> Result<Plan, Error> {
        let path_var = env.iter().find_map(|e| e.to_bytes().strip_prefix(b"PATH="));
        let exe = resolve::command(&spec.command[0], path_var, spec.workdir.as_deref())?;
        Ok(Plan::with_exe(spec, exe, env))
    }

    /// Builds the plan for an already resolved executable. Pure.
    pub fn with_exe(spec: &Spec, exe: CString, env: &[&CStr]) -> Plan {
        let mut flags = (g::CLONE_NEWNS | g::CLONE_NEWUTS | g::CLONE_NEWPID) as u64;
        if spec.net {
            flags |= g::CLONE_NEWNET as u64;
        }
        if spec.ipc {
            flags |= g::CLONE_NEWIPC as u64;
        }
        if spec.cgroupns {
            flags |= g::CLONE_NEWCGROUP as u64;
        }

        let mut ops = Vec::new();
        // First, before any mount: with a shared `/` (systemd's default) every
        // mount below would propagate back to the host's mount table.
        ops.push(Op::PrivateMounts);
        ops.push(Op::Hostname(spec.hostname.clone()));
        if spec.net {
            // A new network namespace starts with lo down; programs expect it up.
            ops.push(Op::LoopbackUp);
        }
        let dir = spec.workdir.clone().unwrap_or_else(|| b"/".to_vec());
        ops.push(Op::Chdir(cstring(dir)));
        // After the private step (or it would leak) and from inside the new
        // PID namespace (we are its PID 1), so it shows only our processes.
        ops.push(Op::MountProc(cstring(b"/proc".to_vec())));

        let argv = CStrArray::new(spec.command.iter().map(|a| cstring(a.clone())).collect());
        let envp = CStrArray::new(env.iter().map(|e| (*e).into()).collect());
        Plan {
            clone_flags: flags,
            ops,
            exe,
            argv,
            envp,
        }
    }

    /// Whether the child waits for the parent (see [`Op::AwaitParent`]).
    pub fn awaits_parent(&self) -> bool {
        self.ops.contains(&Op::AwaitParent)
    }

    /// The plan in human terms, one step a line, for `--dry-run` and `--debug`.
    pub fn describe(&self) -> Buf {
        let mut b = Buf::new();
        b.s("clone3 flags: ");
        let mut first = true;
        for (bit, name) in FLAG_NAMES {
            if self.clone_flags & bit != 0 {
                if !first {
                    b.s("|");
                }
                b.s(name);
                first = false;
            }
        }
        b.s("|CLONE_PIDFD, exit signal SIGCHLD\n");
        for (i, op) in self.ops.iter().enumerate() {
            let (step, obj) = op.step();
            b.s("  ")
                .u(i as u64 + 1)
                .s(". ")
                .s(step)
                .s(" ")
                .b(obj)
                .s("\n");
        }
        b.s("  ")
            .u(self.ops.len() as u64 + 1)
            .s(". execve ")
            .b(self.exe.to_bytes());
        for a in self.argv.strings() {
            b.s(" ").b(a.to_bytes());
        }
        b.s("\n");
        b
    }
}

const FLAG_NAMES: &[(u64, &str)] = &[
    (g::CLONE_NEWNS as u64, "CLONE_NEWNS"),
    (g::CLONE_NEWUTS as u64, "CLONE_NEWUTS"),
    (g::CLONE_NEWPID as u64, "CLONE_NEWPID"),
    (g::CLONE_NEWNET as u64, "CLONE_NEWNET"),
    (g::CLONE_NEWIPC as u64, "CLONE_NEWIPC"),
    (g::CLONE_NEWCGROUP as u64, "CLONE_NEWCGROUP"),
    (g::CLONE_NEWUSER as u64, "CLONE_NEWUSER"),
];

/// A C string from bytes already checked to hold no NUL (the command line
/// cannot carry one; the spec validates what else could).
pub fn cstring(mut v: Vec<u8>) -> CString {
    v.retain(|&c| c != 0);
    // Cannot fail: the NULs were just removed.
    CString::new(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(cmd: &[&str]) -> Spec {
        Spec {
            command: cmd.iter().map(|s| s.as_bytes().to_vec()).collect(),
            ..Spec::default()
        }
    }

    #[test]
    fn default_plan_order() {
        let p = Plan::with_exe(&spec(&["sh"]), c"/bin/sh".into(), &[c"A=1"]);
        assert_eq!(
            p.ops,
            vec![
                Op::PrivateMounts,
                Op::Hostname(b"container".to_vec()),
                Op::Chdir(c"/".into()),
                Op::MountProc(c"/proc".into()),
            ]
        );
        let ns = (g::CLONE_NEWNS | g::CLONE_NEWUTS | g::CLONE_NEWPID) as u64;
        assert_eq!(p.clone_flags, ns);
        assert_eq!(p.argv.strings(), &[CString::from(c"sh")]);
        assert_eq!(p.envp.strings(), &[CString::from(c"A=1")]);
    }

    #[test]
    fn extra_namespaces_and_workdir() {
        let mut s = spec(&["ip", "link"]);
        s.net = true;
        s.ipc = true;
        s.cgroupns = true;
        s.workdir = Some(b"/tmp".to_vec());
        s.hostname = b"box".to_vec();
        let p = Plan::with_exe(&s, c"/sbin/ip".into(), &[]);
        assert_eq!(p.ops[1], Op::Hostname(b"box".to_vec()));
        assert_eq!(p.ops[2], Op::LoopbackUp);
        assert_eq!(p.ops[3], Op::Chdir(c"/tmp".into()));
        assert_ne!(p.clone_flags & g::CLONE_NEWNET as u64, 0);
        assert_ne!(p.clone_flags & g::CLONE_NEWIPC as u64, 0);
        assert_ne!(p.clone_flags & g::CLONE_NEWCGROUP as u64, 0);
        let text = String::from_utf8(p.describe().0).unwrap();
        assert!(text.starts_with("clone3 flags: CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWCGROUP|CLONE_PIDFD"), "{text}");
        assert!(
            text.contains("  3. bring up loopback: ioctl SIOCSIFFLAGS lo\n"),
            "{text}"
        );
        assert!(text.ends_with("  6. execve /sbin/ip ip link\n"), "{text}");
    }
}

//! `hull run --name NAME`: the running container, recorded in the OCI
//! front-end's state directory (the default `--root`), so that `hull
//! exec`, `ps`, `pause`, `resume`, `kill`, `update` and `list` reach it as
//! they reach an OCI container. Its record has no bundle; beside it,
//! `process.json` (config.json's `process` shape: what `exec` gives a new
//! process by default, as `docker exec` does) and its seccomp profile.
//!
//! The record goes when `hull run` ends. A hull that was SIGKILLed leaves
//! it behind: its pid is then dead (or another process's, with another
//! start time), and the next command that reads it removes it, with the
//! container's cgroups ([`reap`]).

use super::state::{self, DEFAULT_ROOT, Record, Root, Status};
use crate::cgroup::Cgroup;
use crate::error::Error;
use crate::spec::{self, CAP_NAMES, Spec};
use crate::util::json::write_str;
use crate::util::out::Buf;
use alloc::ffi::CString;
use alloc::vec::Vec;

/// A name taken for this `hull run`.
pub struct Named {
    root: Root,
    id: Vec<u8>,
    /// This hull (pid, start time): the record's owner.
    owner: (i32, u64),
}

/// Takes `name` in the state directory, before anything is started: a
/// name in use by a live container is refused; one left by a dead hull is
/// reclaimed. Until the container runs, the record has no pid (status
/// creating: nothing to signal, exec in or pause), only its owner's.
pub fn register(name: &[u8]) -> Result<Named, Error> {
    let root = Root::open(DEFAULT_ROOT)?;
    reap(&root, name);
    let c = root.create(name).map_err(|e| {
        let mut m = Buf::new();
        m.s("--name ").b(name).s(": ").b(&e.msg);
        Error::new(crate::error::EXIT_RUNTIME, &m)
    })?;
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let owner = (me, state::start_time(me).unwrap_or(0));
    let rec = Record {
        id: name.to_vec(),
        owner,
        ..Record::default()
    };
    let r = c.save(&rec);
    if r.is_err() {
        let _ = c.remove(&root);
    }
    r.map(|()| Named {
        root,
        id: name.to_vec(),
        owner,
    })
}

impl Named {
    /// Records the running container: its process (`pid`, on the host),
    /// its cgroups, and what `exec` needs (its process settings and
    /// seccomp profile).
    pub fn started(&self, spec: &Spec, env: &[CString], pid: i32, cgroup: Option<&Cgroup>) {
        let Ok(c) = self.root.container(&self.id) else {
            return;
        };
        if c.lock().is_err() {
            return;
        }
        let mut cg = Vec::new();
        for d in cgroup.map(Cgroup::made_dirs).unwrap_or_default() {
            cg.extend_from_slice(d);
            cg.push(b'\n');
        }
        let mut created = Buf::new();
        let (s, ns) = crate::sys::realtime();
        super::log::rfc3339(&mut created, s, ns);
        let rec = Record {
            oci_version: super::OCI_VERSION.as_bytes().to_vec(),
            id: self.id.clone(),
            pid,
            start_time: state::start_time(pid).unwrap_or(0),
            started: true,
            rootfs: spec.rootfs.clone().unwrap_or_default(),
            created: created.0,
            cgroup: cg,
            owner: self.owner,
            ..Record::default()
        };
        // The record is what lets `exec` in, and exec takes a container
        // without a filter file for one without a filter: it is written
        // only once the process settings and the filter are, or not at all
        // (then `exec` finds no container rather than an unconfined one).
        let kept = c.write(c"process.json", &process_json(spec, env).0);
        let kept = kept.and_then(|()| match &spec.seccomp {
            _ if spec.privileged => Ok(()),
            spec::Seccomp::Default => c.write(c"seccomp.default", b""),
            spec::Seccomp::File(p) => crate::util::file::read_file(p)
                .map_err(|e| Error::sys("read", p, e))
                .and_then(|text| c.write(c"seccomp.json", &text)),
            spec::Seccomp::Unconfined => Ok(()),
        });
        if kept.is_ok() {
            let _ = c.save(&rec);
        }
    }

    /// Removes the record: the container has ended. Only if it is still
    /// this hull's: `delete` may have removed it, and another hull taken
    /// the name since.
    pub fn remove(self) {
        if let Ok(c) = self.root.container(&self.id)
            && c.lock().is_ok()
            && c.load().is_ok_and(|r| r.owner == self.owner)
        {
            let _ = c.remove(&self.root);
        }
    }
}

/// The process settings of a `hull run` container, as config.json's
/// `process` object: its command, environment, directory, user and
/// groups, capabilities (every set: docker's way) and no_new_privs.
fn process_json(spec: &Spec, env: &[CString]) -> Buf {
    let mut b = Buf::new();
    let list = |b: &mut Buf, items: &mut dyn Iterator<Item = &[u8]>| {
        b.s("[");
        for (i, it) in items.enumerate() {
            if i > 0 {
                b.s(",");
            }
            write_str(b, it);
        }
        b.s("]");
    };
    b.s("{\"args\":");
    list(&mut b, &mut spec.command.iter().map(|a| &a[..]));
    b.s(",\"env\":");
    list(&mut b, &mut env.iter().map(|e| e.to_bytes()));
    b.s(",\"cwd\":");
    write_str(&mut b, spec.workdir.as_deref().unwrap_or(b"/"));
    let (uid, gid) = spec.user.unwrap_or((0, 0));
    b.s(",\"user\":{\"uid\":")
        .u(uid as u64)
        .s(",\"gid\":")
        .u(gid as u64);
    b.s(",\"additionalGids\":[");
    for (i, g) in spec.groups.iter().enumerate() {
        b.s(if i > 0 { "," } else { "" }).u(*g as u64);
    }
    b.s("]},\"capabilities\":{");
    let caps = if spec.privileged { !0 } else { spec.caps };
    let names: Vec<Vec<u8>> = CAP_NAMES
        .split(' ')
        .enumerate()
        .filter(|&(bit, _)| caps & 1 << bit != 0)
        .map(|(_, n)| [b"CAP_", n.as_bytes()].concat())
        .collect();
    for (i, set) in ["bounding", "effective", "inheritable", "permitted"]
        .iter()
        .enumerate()
    {
        b.s(if i > 0 { ",\"" } else { "\"" }).s(set).s("\":");
        list(&mut b, &mut names.iter().map(|n| &n[..]));
    }
    b.s("},\"noNewPrivileges\":");
    b.s(if spec.no_new_privs { "true" } else { "false" });
    b.s("}\n");
    b
}

/// Removes the record `id` (with its cgroups, emptied) if it is a `hull
/// run` container's whose hull is gone. Whether it did.
pub fn reap(root: &Root, id: &[u8]) -> bool {
    let Ok(c) = root.container(id) else {
        return false;
    };
    let Ok(rec) = c.load() else { return false };
    // Its hull is gone (a record without an owner, from before hulls
    // recorded theirs: its container is).
    let dead = match rec.owner {
        (0, _) => rec.status() == Status::Stopped,
        (pid, t) => state::start_time(pid) != Some(t),
    };
    if !rec.bundle.is_empty() || !dead || c.lock().is_err() {
        return false;
    }
    // Removed only if empty, never killed: the container died with its
    // hull, and a later hull that got the same pid may have made a group of
    // the same name, live.
    for dir in rec.groups() {
        let _ = rustix::fs::rmdir(dir);
    }
    c.remove(root).is_ok()
}

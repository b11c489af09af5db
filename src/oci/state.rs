//! The state directory (`--root`, by default `/run/hull`): one directory
//! per container, named by its id, holding `state.json`, the [`Record`]
//! hull keeps (and whatever other files the commands keep there, such as a
//! copy of the config).
//!
//! - **Ids** follow runc's rules ([`check_id`]), so an id is always one
//!   plain directory name.
//! - **Creation is exclusive**: `mkdir` of the id fails on a duplicate.
//! - **Writes are atomic**: a file is written beside its final name and
//!   renamed over it, so a reader sees the old record or the new one, never
//!   a torn one, and needs no lock. No fsync: a record describes processes,
//!   which do not outlive a crash of the machine; rename is atomic against
//!   a crash of hull.
//! - **Changes are locked**: a command that changes a container (`start`,
//!   `kill`, `delete`, and `create` until it is done) holds `flock(LOCK_EX)`
//!   on the container's directory, so a shim's `delete` and a CLI's `kill`
//!   take turns. `delete` removes the directory while holding the lock; a
//!   command that was waiting for it finds it unlinked and reports the
//!   container gone.
//! - **A recycled pid is detected**: the record keeps the init process's
//!   start time (field 22 of `/proc/PID/stat`, in clock ticks since boot);
//!   a pid whose start time differs is another process, and the container
//!   is stopped. A zombie is stopped too.

use crate::error::{EXIT_RUNTIME, Error};
use crate::sys::{self, AsFd, BorrowedFd, Errno, OwnedFd};
use crate::util::json::{self, Value, write_str};
use crate::util::out::{Buf, parse_u64};
use alloc::vec::Vec;
use core::ffi::CStr;
use core::mem::ManuallyDrop;
use rustix::fs::{AtFlags, FlockOperation, Mode, OFlags};

/// Where the state lives unless `--root` says otherwise.
pub const DEFAULT_ROOT: &[u8] = b"/run/hull";

/// The record's file in a container's directory.
const STATE: &CStr = c"state.json";
/// Where a file is written before it is renamed over its name. One name
/// for all: the writers of a container hold its lock.
const TEMP: &CStr = c".tmp";

/// The longest id: a directory name (NAME_MAX).
const ID_MAX: usize = 255;

/// Where a container is in its life (runtime.md's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `create` has not finished (or died part way).
    Creating,
    /// Its process waits before execve for `start`.
    Created,
    /// `start` released the process, which has not exited.
    Running,
    /// Running, but frozen by `pause` (the cgroup freezer) until `resume`.
    Paused,
    /// The process is gone (or its pid is another process's now).
    Stopped,
}

impl Status {
    /// The word the state JSON uses.
    pub fn name(self) -> &'static str {
        match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        }
    }
}

/// What hull keeps of a container between commands.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Record {
    /// The config's `ociVersion`.
    pub oci_version: Vec<u8>,
    pub id: Vec<u8>,
    /// The init process, as the host sees it; 0 until there is one.
    pub pid: i32,
    /// Its start time (see [`start_time`]), to tell it from a later
    /// process given the same pid.
    pub start_time: u64,
    /// Whether `start` released it.
    pub started: bool,
    /// Whether `pause` froze it (and no `resume` thawed it since).
    pub paused: bool,
    /// The bundle directory and the root filesystem, absolute.
    pub bundle: Vec<u8>,
    pub rootfs: Vec<u8>,
    /// When it was created, RFC 3339 (`crate::oci::log::rfc3339`).
    pub created: Vec<u8>,
    /// The container's cgroup (whatever path the commands need to find
    /// it again for `kill --all` and `delete`); empty if none.
    pub cgroup: Vec<u8>,
    /// The config's annotations.
    pub annotations: Vec<(Vec<u8>, Vec<u8>)>,
    /// A `hull run --name` container's hull (pid and start time, as
    /// `pid`): the record is its to remove, and stale once it is gone.
    /// (0, 0) for an OCI container.
    pub owner: (i32, u64),
}

/// Checks an id as runc does: 1 to 255 of `A-Z a-z 0-9 _ + - .`, and not
/// `.` or `..`; so no `/`, and nothing that names another directory.
pub fn check_id(id: &[u8]) -> Result<(), Error> {
    let ok = |c: &u8| c.is_ascii_alphanumeric() || b"_+-.".contains(c);
    if id.is_empty() || id.len() > ID_MAX || !id.iter().all(ok) || id == b"." || id == b".." {
        return Err(Error::usage_of(
            "invalid container id '",
            id,
            "': 1 to 255 letters, digits, '_', '+', '-' or '.'",
        ));
    }
    Ok(())
}

/// A checked id as a C string, on the stack (one conversion for the
/// calls that take it, rather than rustix's own in each of them).
struct Name([u8; ID_MAX + 1]);

impl Name {
    fn of(id: &[u8]) -> Name {
        let mut n = Name([0; ID_MAX + 1]);
        let len = id.len().min(ID_MAX);
        n.0[..len].copy_from_slice(&id[..len]);
        n
    }

    fn c(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.0).unwrap_or_default()
    }
}

/// "container 'ID' WHAT".
#[inline(never)]
fn about(id: &[u8], what: &str) -> Error {
    let mut m = Buf::new();
    m.s("container '").b(id).s("' ").s(what);
    Error::new(EXIT_RUNTIME, &m)
}

/// The state root, open.
pub struct Root {
    fd: OwnedFd,
}

/// One container's directory, open; locked if it came from
/// [`Root::create`] or [`Container::lock`]. The lock goes when this does.
pub struct Container {
    dir: OwnedFd,
    /// Its id.
    pub id: Vec<u8>,
}

impl Root {
    /// Opens the state root at `path`, creating it and its parents (mode
    /// 0700: the records name bundles and pids) if need be.
    pub fn open(path: &[u8]) -> Result<Root, Error> {
        for end in 1..=path.len() {
            if end == path.len() || path[end] == b'/' {
                match rustix::fs::mkdir(&path[..end], Mode::from_raw_mode(0o700)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(Error::sys("create state directory", &path[..end], e)),
                }
            }
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => Ok(Root { fd }),
            Err(e) => Err(Error::sys("open state directory", path, e)),
        }
    }

    /// Makes the directory of a new container `id` and locks it: an id
    /// already there (a container, or one being created) is an error.
    pub fn create(&self, id: &[u8]) -> Result<Container, Error> {
        check_id(id)?;
        match rustix::fs::mkdirat(&self.fd, Name::of(id).c(), Mode::from_raw_mode(0o711)) {
            Ok(()) => {}
            Err(Errno::EXIST) => return Err(about(id, "already exists")),
            Err(e) => return Err(Error::sys("create state directory", id, e)),
        }
        let c = self.container(id)?;
        c.lock()?;
        Ok(c)
    }

    /// Opens the directory of the existing container `id`, unlocked
    /// (enough to read its record).
    pub fn container(&self, id: &[u8]) -> Result<Container, Error> {
        check_id(id)?;
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match rustix::fs::openat(&self.fd, Name::of(id).c(), flags, Mode::empty()) {
            Ok(dir) => Ok(Container {
                dir,
                id: id.to_vec(),
            }),
            // Not there, or a file that is no container (hull's netns).
            Err(Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => Err(about(id, "does not exist")),
            Err(e) => Err(Error::sys("open state of container", id, e)),
        }
    }

    /// The ids of the containers here, sorted.
    pub fn ids(&self) -> Result<Vec<Vec<u8>>, Error> {
        let mut ids = Vec::new();
        let mut buf = [core::mem::MaybeUninit::uninit(); 2048];
        // A descriptor of its own: getdents moves the offset.
        let fd = rustix::fs::openat(
            &self.fd,
            c".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::sys("read state directory", b"", e))?;
        let mut dir = rustix::fs::RawDir::new(&fd, &mut buf);
        while let Some(entry) = dir.next() {
            let entry = entry.map_err(|e| Error::sys("read state directory", b"", e))?;
            let name = entry.file_name().to_bytes();
            if entry.file_type() == rustix::fs::FileType::Directory && check_id(name).is_ok() {
                // Kept sorted as they come: no sort routine for so few.
                let at = ids.partition_point(|id: &Vec<u8>| id[..] < *name);
                ids.insert(at, name.to_vec());
            }
        }
        Ok(ids)
    }

    /// `list`: the containers as runc prints them, a table
    /// (`ID PID STATUS BUNDLE CREATED OWNER`) or a JSON array (`null`
    /// when there are none, as runc's).
    pub fn list(&self, json: bool) -> Result<Vec<u8>, Error> {
        // Nothing here is dropped: the command prints this and exits
        // (hull's allocator would take none of it back).
        let mut rows = ManuallyDrop::new(Vec::new());
        for id in ManuallyDrop::new(self.ids()?).iter() {
            // Gone since the directory was read: not listed.
            let Ok(c) = self.container(id) else { continue };
            let rec = c.load()?;
            let owner = rustix::fs::fstat(&c.dir).map(|s| s.st_uid).unwrap_or(0);
            rows.push((rec.status(), rec, owner));
        }
        let mut b = Buf::new();
        if json {
            for (i, (status, rec, owner)) in rows.iter().enumerate() {
                b.s(if i == 0 { "[" } else { "," });
                rec.json(&mut b, *status, &owner_name(*owner), false);
            }
            b.s(if rows.is_empty() { "null\n" } else { "]\n" });
            return Ok(b.0);
        }
        // Go's tabwriter as runc sets it: a column is as wide as its
        // widest cell plus 3, 12 at least; the last column is not padded.
        let mut tmp = [0u8; 20];
        let pid = |rec: &Record, status| {
            if status == Status::Stopped {
                0
            } else {
                rec.pid as u64
            }
        };
        let mut width = [12; 5];
        for (status, rec, _) in rows.iter() {
            let cells = [
                rec.id.len(),
                crate::util::out::dec(pid(rec, *status), &mut tmp).len(),
                status.name().len(),
                rec.bundle.len(),
                rec.created.len(),
            ];
            for (w, len) in width.iter_mut().zip(cells) {
                *w = (*w).max(len + 3);
            }
        }
        let cell = |b: &mut Buf, text: &[u8], i: usize| {
            b.b(text);
            for _ in text.len()..width[i] {
                b.s(" ");
            }
        };
        for (i, h) in ["ID", "PID", "STATUS", "BUNDLE", "CREATED"]
            .iter()
            .enumerate()
        {
            cell(&mut b, h.as_bytes(), i);
        }
        b.s("OWNER\n");
        for (status, rec, owner) in rows.iter() {
            cell(&mut b, &rec.id, 0);
            cell(
                &mut b,
                crate::util::out::dec(pid(rec, *status), &mut tmp),
                1,
            );
            cell(&mut b, status.name().as_bytes(), 2);
            cell(&mut b, &rec.bundle, 3);
            cell(&mut b, &rec.created, 4);
            b.b(&owner_name(*owner)).s("\n");
        }
        Ok(b.0)
    }
}

/// The owner column: `root`, else `#UID` (runc's text when a uid has no
/// name; hull reads no passwd database).
pub fn owner_name(uid: u32) -> Vec<u8> {
    let mut b = Buf::new();
    if uid == 0 {
        b.s("root");
    } else {
        b.s("#").u(uid as u64);
    }
    b.0
}

impl Container {
    /// Waits for the exclusive lock on this container. Fails if it was
    /// deleted meanwhile (the directory is unlinked).
    pub fn lock(&self) -> Result<(), Error> {
        rustix::fs::flock(&self.dir, FlockOperation::LockExclusive)
            .map_err(|e| Error::sys("lock state of container", &self.id, e))?;
        match rustix::fs::fstat(&self.dir) {
            Ok(st) if st.st_nlink > 0 => Ok(()),
            _ => Err(about(&self.id, "does not exist")),
        }
    }

    /// The directory, for files the commands keep beside the record.
    pub fn dir(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// Writes the file `name` of this directory atomically: written as
    /// `.tmp`, then renamed over `name`. The caller holds the lock.
    pub fn write(&self, name: &CStr, data: &[u8]) -> Result<(), Error> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let r = rustix::fs::openat(&self.dir, TEMP, flags, Mode::from_raw_mode(0o600))
            .and_then(|fd| sys::write_all(fd.as_fd(), data))
            .and_then(|()| rustix::fs::renameat(&self.dir, TEMP, &self.dir, name));
        r.map_err(|e| Error::sys("write state of container", &self.id, e))
    }

    /// Reads the file `name` of this directory; None if there is none.
    pub fn read(&self, name: &CStr) -> Result<Option<Vec<u8>>, Error> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&self.dir, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(Error::sys("read state of container", &self.id, e)),
        };
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match sys::read_full(fd.as_fd(), &mut buf) {
                Ok(0) => return Ok(Some(out)),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return Err(Error::sys("read state of container", &self.id, e)),
            }
        }
    }

    /// Saves the record.
    pub fn save(&self, rec: &Record) -> Result<(), Error> {
        let mut b = Buf::new();
        b.s("{\"ociVersion\":");
        write_str(&mut b, &rec.oci_version);
        b.s(",\"id\":");
        write_str(&mut b, &rec.id);
        b.s(",\"pid\":").i(rec.pid as i64);
        b.s(",\"startTime\":").u(rec.start_time);
        b.s(",\"started\":")
            .s(if rec.started { "true" } else { "false" });
        if rec.paused {
            b.s(",\"paused\":true");
        }
        if rec.owner.0 > 0 {
            b.s(",\"hullPid\":").u(rec.owner.0 as u64);
            b.s(",\"hullStartTime\":").u(rec.owner.1);
        }
        for (key, v) in [
            (",\"bundle\":", &rec.bundle),
            (",\"rootfs\":", &rec.rootfs),
            (",\"created\":", &rec.created),
            (",\"cgroup\":", &rec.cgroup),
        ] {
            b.s(key);
            write_str(&mut b, v);
        }
        b.s(",\"annotations\":");
        annotations(&mut b, &rec.annotations, false);
        b.s("}\n");
        self.write(STATE, &b.0)
    }

    /// The record; one with only the id and pid 0 (status creating) when
    /// `create` has not saved one.
    pub fn load(&self) -> Result<Record, Error> {
        // Not dropped if damaged: the command fails and exits.
        let mut rec = ManuallyDrop::new(Record {
            id: self.id.clone(),
            ..Record::default()
        });
        let r = &mut *rec;
        let Some(text) = self.read(STATE)? else {
            return Ok(ManuallyDrop::into_inner(rec));
        };
        // Not dropped: hull's allocator would take none of it back.
        let doc = ManuallyDrop::new(json::parse(&text).ok());
        let get = |key: &str| doc.as_ref().and_then(|d| d.get(key.as_bytes()));
        let mut ok = doc.is_some();
        for (key, slot) in [
            ("ociVersion", &mut r.oci_version),
            ("bundle", &mut r.bundle),
            ("rootfs", &mut r.rootfs),
            ("created", &mut r.created),
            ("cgroup", &mut r.cgroup),
        ] {
            match get(key).and_then(Value::str) {
                Some(s) => *slot = s.to_vec(),
                None => ok = false,
            }
        }
        let pid = get("pid")
            .and_then(Value::i64)
            .and_then(|p| i32::try_from(p).ok());
        let start = get("startTime").and_then(Value::u64);
        let started = get("started").and_then(Value::bool);
        let list = get("annotations").and_then(Value::obj);
        for (k, v) in list.unwrap_or_default() {
            match v.str() {
                Some(v) => r.annotations.push((k.clone(), v.to_vec())),
                None => ok = false,
            }
        }
        match (pid, start, started, list) {
            (Some(pid), Some(start), Some(started), Some(_)) if ok => {
                (r.pid, r.start_time, r.started) = (pid, start, started);
                r.paused = get("paused").and_then(Value::bool) == Some(true);
                let owner = get("hullPid").and_then(Value::i64);
                let owner = owner.and_then(|p| i32::try_from(p).ok());
                if let (Some(p), Some(t)) = (owner, get("hullStartTime").and_then(Value::u64)) {
                    r.owner = (p, t);
                }
            }
            _ => return Err(about(&self.id, "has a damaged state.json")),
        }
        Ok(ManuallyDrop::into_inner(rec))
    }

    /// Deletes the directory and everything in it. The lock is held to the
    /// end: a command waiting for it then finds the container gone.
    pub fn remove(self, root: &Root) -> Result<(), Error> {
        let fail = |e| Error::sys("remove state of container", &self.id, e);
        let mut buf = [core::mem::MaybeUninit::uninit(); 1024];
        let fd = rustix::fs::openat(
            &self.dir,
            c".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(fail)?;
        let mut dir = rustix::fs::RawDir::new(&fd, &mut buf);
        while let Some(entry) = dir.next() {
            let entry = entry.map_err(fail)?;
            let name = entry.file_name();
            if name != c"." && name != c".." {
                rustix::fs::unlinkat(&self.dir, name, AtFlags::empty()).map_err(fail)?;
            }
        }
        let name = Name::of(&self.id);
        rustix::fs::unlinkat(&root.fd, name.c(), AtFlags::REMOVEDIR).map_err(fail)
    }
}

impl Drop for Container {
    /// Drops the lock explicitly: a child cloned while it was held shares
    /// the open file description, which would keep it locked until that
    /// child exits or execs.
    fn drop(&mut self) {
        let _ = rustix::fs::flock(&self.dir, FlockOperation::Unlock);
    }
}

/// Appends the annotations as a JSON object: compact, or `pretty` as a
/// member of the state (runc's two-space indents).
fn annotations(b: &mut Buf, list: &[(Vec<u8>, Vec<u8>)], pretty: bool) {
    let (open, colon) = if pretty { ("\n    ", ": ") } else { ("", ":") };
    for (i, (k, v)) in list.iter().enumerate() {
        b.s(if i == 0 { "{" } else { "," }).s(open);
        write_str(b, k);
        b.s(colon);
        write_str(b, v);
    }
    b.s(match (list.is_empty(), pretty) {
        (true, _) => "{}",
        (false, true) => "\n  }",
        (false, false) => "}",
    });
}

impl Record {
    /// The status now: creating without a pid; stopped once the pid is
    /// gone, a zombie or another process; else created or running as
    /// `start` has released it or not.
    pub fn status(&self) -> Status {
        self.status_given(start_time(self.pid))
    }

    /// The status, given the start time of the process that has the
    /// record's pid now (None: no live process has it).
    pub fn status_given(&self, now: Option<u64>) -> Status {
        if self.pid <= 0 {
            Status::Creating
        } else if now != Some(self.start_time) {
            Status::Stopped
        } else if self.paused {
            Status::Paused
        } else if self.started {
            Status::Running
        } else {
            Status::Created
        }
    }

    /// The container's cgroup directories (see [`Record::cgroup`]).
    pub fn groups(&self) -> impl Iterator<Item = &[u8]> {
        crate::cgroup::lines(&self.cgroup)
    }

    /// Appends the state JSON (runtime.md's `ociVersion`, `id`, `status`,
    /// `pid`, `bundle`, `annotations`, with runc's `rootfs`, `created` and
    /// `owner` too), in runc's order: `pretty` as `runc state` prints it
    /// (two-space indents, no final newline), else compact (for `list` and
    /// for hooks' stdin). The pid of a stopped container is 0, as runc's.
    pub fn json(&self, b: &mut Buf, status: Status, owner: &[u8], pretty: bool) {
        let (sep, colon) = if pretty { ("\n  ", ": ") } else { ("", ":") };
        let key = |b: &mut Buf, first: bool, k: &str| {
            b.s(if first { "{" } else { "," }).s(sep);
            b.s("\"").s(k).s("\"").s(colon);
        };
        key(b, true, "ociVersion");
        write_str(b, &self.oci_version);
        key(b, false, "id");
        write_str(b, &self.id);
        key(b, false, "pid");
        b.i(if status == Status::Stopped {
            0
        } else {
            self.pid as i64
        });
        key(b, false, "status");
        b.s("\"").s(status.name()).s("\"");
        for (k, v) in [
            ("bundle", &self.bundle),
            ("rootfs", &self.rootfs),
            ("created", &self.created),
        ] {
            key(b, false, k);
            write_str(b, v);
        }
        if !self.annotations.is_empty() {
            key(b, false, "annotations");
            annotations(b, &self.annotations, pretty);
        }
        key(b, false, "owner");
        write_str(b, owner);
        b.s(if pretty { "\n}" } else { "}" });
    }
}

/// The start time of process `pid` (field 22 of `/proc/PID/stat`, clock
/// ticks after boot); None if there is no such process or it is a zombie.
pub fn start_time(pid: i32) -> Option<u64> {
    if pid <= 0 {
        return None;
    }
    let mut path = Buf::new();
    path.s("/proc/").u(pid as u64).s("/stat");
    let fd = rustix::fs::open(&path.0[..], OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let mut buf = [0u8; 1024];
    let n = sys::read_full(fd.as_fd(), &mut buf).ok()?;
    parse_stat(buf.get(..n)?)
}

/// The start time in the text of a `/proc/PID/stat`; None for a zombie
/// (or dead) process or a text not of that shape. The command name (field
/// 2) may hold spaces and parentheses: fields are counted from the last `)`.
pub fn parse_stat(text: &[u8]) -> Option<u64> {
    let close = text.iter().rposition(|&c| c == b')')?;
    let mut fields = text.get(close + 2..)?.split(|&c| c == b' ');
    // Field 3, the state, then field 22 (19 further on).
    if matches!(fields.next()?, b"Z" | b"X") {
        return None;
    }
    parse_u64(fields.nth(18)?)
}

#[cfg(test)]
mod tests;

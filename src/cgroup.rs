//! Resource limits: one cgroup per container, `hull-<pid>`, created before
//! the clone and removed after the exit.
//!
//! Used only when a limit is asked for; otherwise hull reads no cgroup file
//! at all. The hierarchies come from /proc/self/mountinfo:
//!
//! - the cgroup2 hierarchy, when mounted, always gets a group, and the child
//!   is born in it (`CLONE_INTO_CGROUP`). On a hybrid host it holds no
//!   controller but still tracks every container process, so cleanup can
//!   kill them all through `cgroup.kill`;
//! - each controller a limit needs lives in the v1 hierarchy that names it
//!   in its mount options, else in cgroup2. v1 groups are joined by the
//!   parent writing the child's pid to `cgroup.procs` while the child waits
//!   at its first step ([`crate::plan::Join`]).
//!
//! The limits are one table, [`KNOBS`]: (controller, v2 file, v1 file).

use crate::devices::Rule;
use crate::error::{EXIT_RUNTIME, Error};
use crate::spec::{CPU_PERIOD, Knob, Limits};
use crate::sys::{AsFd, Errno, OwnedFd};
use crate::util::file::{open_file, read_file, write_file};
use crate::util::log::debug;
use crate::util::mountinfo::unescape;
use crate::util::out::{Buf, eprint, parse_u64};
use crate::util::text::tok;
use alloc::vec::Vec;
use core::mem::ManuallyDrop;
use rustix::fs::OFlags;

/// The controllers hull may need; indexes into this are controller ids.
pub const CONTROLLERS: [&[u8]; 4] = [b"memory", b"pids", b"cpu", b"cpuset"];

/// [`CONTROLLERS`]' index of cpuset, whose lists are not numbers: see
/// [`Limits::cpusets`].
const CPUSET: usize = 3;

/// Where each [`Knob`] is written, in its order: (controller, cgroup2
/// file, v1 file). A fresh v1 group already has the 100 ms CFS period, so
/// only the quota is written.
pub const KNOBS: [(usize, &str, &str); 7] = [
    (0, "memory.max", "memory.limit_in_bytes"),
    (0, "memory.swap.max", "memory.memsw.limit_in_bytes"),
    (1, "pids.max", "pids.max"),
    (2, "cpu.max", "cpu.cfs_quota_us"),
    (2, "cpu.weight", "cpu.shares"),
    (2, "cpu.weight", "cpu.shares"),
    (0, "memory.low", "memory.soft_limit_in_bytes"),
];

/// The text written for limit `k` with value `v`, in the file's own terms.
pub fn value(k: Knob, v: u64, l: &Limits, v2: bool) -> Buf {
    let mut b = Buf::new();
    b.u(match (k, v2) {
        // memory.swap.max is swap alone; --memory-swap is memory plus swap.
        (Knob::MemorySwap, true) => v - l.memory.unwrap_or(0),
        // systemd's mapping: the default weight 100 is the default 1024
        // shares; the kernel takes at least 2.
        (Knob::CpuWeight, false) => (v * 1024 / 100).max(2),
        // OCI's shares, in the kernel's range; on cgroup2 the weight runc
        // and systemd map them to (2 is 1, 1024 is 39, 262144 is 10000).
        (Knob::CpuShares, false) => v.clamp(2, 262_144),
        (Knob::CpuShares, true) => 1 + (v.clamp(2, 262_144) - 2) * 9999 / 262_142,
        _ => v,
    });
    if v2 && k == Knob::CpuQuota {
        // cpu.max is "quota period".
        b.s(" ").u(CPU_PERIOD);
    }
    b
}

/// The container's groups: one per hierarchy that a needed controller
/// lives in, plus the cgroup2 one. Removed on drop, on every path.
#[derive(Debug)]
pub struct Cgroup {
    /// Each hierarchy's mount point ([`Cgroup::parse`]), then ([`Cgroup::find`])
    /// the group's directory under it: `<mount><parent>/hull-<pid>`.
    /// Never dropped, as the paths: no drop code (the groups are removed
    /// by `drop`, which needs them to the end).
    pub dirs: ManuallyDrop<Vec<Vec<u8>>>,
    /// Where each mount point ends in `dirs`: what follows is made.
    base: ManuallyDrop<Vec<usize>>,
    /// The index in `dirs` of the cgroup2 hierarchy.
    pub v2: Option<usize>,
    /// For each controller, the index in `dirs` of its hierarchy.
    pub at: [Option<usize>; 4],
    /// The v1 `devices` hierarchy's index in `dirs`, used for the device
    /// allow list only where no cgroup2 is mounted (a BPF program on the
    /// cgroup2 group does it otherwise, with no v1 group to join).
    pub devices: Option<usize>,
    /// Where the cgroup2 group's parent ends in its dir when that parent is
    /// the shared one of the default device list (see [`SHARED`]).
    shared: Option<usize>,
    /// How many of `dirs` are created groups; the drop removes those.
    made: usize,
    /// The cgroup2 group, opened for `CLONE_INTO_CGROUP`.
    pub fd: Option<OwnedFd>,
    /// The memory limit (0: none).
    memory: u64,
    pids: bool,
    debug: bool,
}

/// The cgroup2 parent of containers with docker's default device list
/// (no `--device`, no `--cgroup-parent`), followed by a hash of the list's
/// program: it holds that program, attached once (with
/// `BPF_F_ALLOW_MULTI`, so no group below can widen it), and every
/// container group made below it inherits it, so no start pays the load
/// of a BPF program (about 60 µs). A hull with another list uses another
/// parent.
pub const SHARED: &[u8] = b"/hull.devices.";

/// FNV-1a of the default list's program: names its shared parent.
fn program_hash() -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for i in crate::devices::program(crate::devices::DEFAULT) {
        for b in [i.code, i.regs, i.off as u8, (i.off >> 8) as u8]
            .into_iter()
            .chain(i.imm.to_le_bytes())
        {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

/// Makes sure the shared parent `dir` (made by now) holds the default
/// list's program: attached by whichever hull got there first. Another one
/// attached meanwhile by a racing hull is harmless (both must allow).
fn shared_parent(dir: &[u8]) -> Result<(), Error> {
    use crate::sys::bpf;
    let fd = open_file(dir, OFlags::PATH | OFlags::DIRECTORY);
    let fd = fd.map_err(|e| Error::sys("open", dir, e))?;
    let (count, _) = bpf::prog_query(fd.as_fd(), bpf::CGROUP_DEVICE, 0)
        .map_err(|e| Error::sys("query device programs of", dir, e))?;
    if count == 0 {
        crate::devices::attach(fd.as_fd(), crate::devices::DEFAULT, dir)?;
    }
    Ok(())
}

/// Removes the groups that hulls which were killed (SIGKILL: no chance to
/// clean up) left in `parent`: each `hull-<pid>` whose pid is gone, if it
/// is empty (rmdir refuses otherwise). A pid that lives again, in another
/// process, keeps its group until a later start finds it free.
fn sweep(parent: &[u8]) {
    let Ok(d) = open_file(parent, OFlags::RDONLY | OFlags::DIRECTORY) else {
        return;
    };
    let mut buf = [core::mem::MaybeUninit::uninit(); 1024];
    let mut entries = rustix::fs::RawDir::new(&d, &mut buf);
    while let Some(Ok(e)) = entries.next() {
        let name = e.file_name().to_bytes();
        let Some(pid) = name
            .strip_prefix(b"hull-")
            .and_then(parse_u64)
            .and_then(|p| rustix::process::Pid::from_raw(p as i32))
        else {
            continue;
        };
        if rustix::process::test_kill_process(pid) == Err(Errno::SRCH) {
            let _ = rustix::fs::unlinkat(&d, name, rustix::fs::AtFlags::REMOVEDIR);
        }
    }
}

/// Room for a cgroup file's path, built without allocating (a start may
/// repeat thousands of times under `hull bench`).
type PathBuf = [u8; 512];

/// `dir/name` in `buf`; an empty path (which fails with ENOENT) if it does
/// not fit.
fn path<'b>(buf: &'b mut PathBuf, dir: &[u8], name: &[u8]) -> &'b [u8] {
    let n = dir.len() + 1 + name.len();
    if n > buf.len() {
        return &[];
    }
    buf[..dir.len()].copy_from_slice(dir);
    buf[dir.len()] = b'/';
    buf[dir.len() + 1..n].copy_from_slice(name);
    &buf[..n]
}

impl Cgroup {
    /// Reads /proc/self/mountinfo, places the controllers `l` needs and
    /// names the groups. Creates nothing.
    pub fn find(l: &Limits, devices: Option<&[Rule]>, debug: bool) -> Result<Cgroup, Error> {
        // Without a limit, only cgroup2 is needed, which is almost always
        // at one of two places: a statfs of each is cheaper than reading
        // and parsing mountinfo (tens of lines on a systemd host).
        let probe = [&b"/sys/fs/cgroup"[..], b"/sys/fs/cgroup/unified"]
            .into_iter()
            .find(|p| {
                !l.any()
                    && rustix::fs::statfs(*p).is_ok_and(|s| {
                        s.f_type as u32 == linux_raw_sys::general::CGROUP2_SUPER_MAGIC
                    })
            });
        let mut line = Vec::new();
        let mi = match probe {
            // The line parse() looks for: mount point 5th, fstype after "-".
            Some(p) => {
                line.extend_from_slice(b"0 0 0:0 / ");
                line.extend_from_slice(p);
                line.extend_from_slice(b" rw - cgroup2 cgroup2 rw\n");
                &line[..]
            }
            None => read_file(b"/proc/self/mountinfo")
                .map_err(|e| Error::sys("read", b"/proc/self/mountinfo", e))?
                .leak(), // as the paths
        };
        let mut cg = Cgroup::parse(mi, l, devices.is_some(), debug).map_err(|c| {
            // Error::new copies it; not dropped, as the paths.
            let mut m = ManuallyDrop::new(Buf::new());
            Error::new(
                EXIT_RUNTIME,
                m.s("cgroup controller ").b(c).s(" is not mounted"),
            )
        })?;
        let pid = rustix::process::getpid().as_raw_nonzero().get();
        // docker's default list, in cgroup2, in the default place: the
        // container's group goes under hull's shared parent for it.
        let shared = cg
            .v2
            .filter(|_| devices == Some(crate::devices::DEFAULT) && l.parent.is_empty());
        for (i, d) in cg.dirs.iter_mut().enumerate() {
            cg.base.push(d.len());
            if shared == Some(i) {
                d.extend_from_slice(SHARED);
                let mut tmp = [0; 20];
                d.extend_from_slice(crate::util::out::dec(program_hash(), &mut tmp));
                cg.shared = Some(d.len());
            }
            // The parent's empty components (`//a/b/`) are skipped.
            for part in l.parent.split(|&c| c == b'/').filter(|p| !p.is_empty()) {
                d.push(b'/');
                d.extend_from_slice(part);
            }
            d.extend_from_slice(b"/hull-");
            let mut tmp = [0; 20];
            d.extend_from_slice(crate::util::out::dec(pid as u64, &mut tmp));
        }
        Ok(cg)
    }

    /// Places each controller `l` needs in the v1 hierarchy whose mount
    /// options name it, else in cgroup2 (whose group exists in any case).
    /// Pure, for the unit tests. Fails with the name of a controller found
    /// nowhere.
    ///
    /// A mountinfo line is `id parent dev root mountpoint options
    /// [optional...] - fstype source superoptions`; the first mount of a
    /// hierarchy is the one used.
    /// With `devices`, the v1 `devices` hierarchy gets a group where no
    /// cgroup2 is mounted.
    pub fn parse(
        mountinfo: &[u8],
        l: &Limits,
        devices: bool,
        debug: bool,
    ) -> Result<Cgroup, &'static [u8]> {
        let mut cg = Cgroup {
            dirs: ManuallyDrop::new(Vec::new()),
            base: ManuallyDrop::new(Vec::new()),
            v2: None,
            at: [None; 4],
            devices: None,
            shared: None,
            made: 0,
            fd: None,
            memory: l.memory.unwrap_or(0),
            pids: l.pids.is_some(),
            debug,
        };
        let mut need = [false; 4];
        for (k, v) in l.knobs() {
            need[KNOBS[k as usize].0] |= v.is_some();
        }
        need[CPUSET] = l.cpusets().iter().any(|c| c.1.is_some());
        let mut v1_devices = None;
        for line in crate::util::mountinfo::lines(mountinfo) {
            let (dir, fstype) = (line.point, line.fstype);
            let mut f = line.options;
            // Co-mounted controllers share the line's directory.
            let place = |cg: &mut Cgroup| {
                let d = unescape(dir);
                if cg.dirs.last() != Some(&d) {
                    cg.dirs.push(d);
                } else {
                    core::mem::forget(d); // as the paths: no drop code
                }
                cg.dirs.len() - 1
            };
            if fstype == b"cgroup2" && cg.v2.is_none() {
                cg.v2 = Some(place(&mut cg));
            }
            while fstype == b"cgroup" && !f.is_empty() {
                let opt = tok(&mut f, b',');
                if opt == b"devices" && v1_devices.is_none() {
                    v1_devices = Some(dir);
                }
                for c in 0..4 {
                    if need[c] && cg.at[c].is_none() && opt == CONTROLLERS[c] {
                        cg.at[c] = Some(place(&mut cg));
                    }
                }
            }
        }
        for c in 0..4 {
            if need[c] && cg.at[c].is_none() {
                cg.at[c] = Some(cg.v2.ok_or(CONTROLLERS[c])?);
            }
        }
        if let (true, None, Some(d)) = (devices, cg.v2, v1_devices) {
            let d = unescape(d);
            // Co-mounted with a controller already placed: that group.
            cg.devices = Some(match cg.dirs.iter().position(|x| *x == d) {
                Some(i) => i,
                None => {
                    cg.dirs.push(d);
                    cg.dirs.len() - 1
                }
            });
        }
        Ok(cg)
    }

    /// The groups this one made (the container's own), for an OCI
    /// container's record: `delete` removes them ([`Cgroup::adopt`]).
    pub fn made_dirs(&self) -> &[Vec<u8>] {
        &self.dirs[..self.made]
    }

    /// The groups `dirs` (made by an earlier `hull create`), owned again:
    /// dropped, it kills what is left in them and removes them.
    pub fn adopt(dirs: Vec<Vec<u8>>) -> Cgroup {
        let made = dirs.len();
        Cgroup {
            base: ManuallyDrop::new(Vec::new()),
            v2: None,
            at: [None; 4],
            devices: None,
            shared: None,
            made,
            fd: None,
            memory: 0,
            pids: false,
            debug: false,
            dirs: ManuallyDrop::new(dirs),
        }
    }

    /// The groups `dirs` of a running container, for a new process of its
    /// (`exec`) to be born in (the cgroup2 one, opened for
    /// `CLONE_INTO_CGROUP`) or joined to ([`Cgroup::join`]). Never removed
    /// by this value: it made none of them.
    #[inline(never)]
    pub fn existing(dirs: Vec<Vec<u8>>) -> Result<Cgroup, Error> {
        let mut cg = Cgroup::adopt(dirs);
        cg.made = 0;
        for (i, d) in cg.dirs.iter().enumerate() {
            let fd = open_file(d, OFlags::DIRECTORY | OFlags::PATH)
                .map_err(|e| Error::sys("open cgroup", d, e))?;
            if rustix::fs::fstatfs(&fd)
                .is_ok_and(|s| s.f_type as u32 == linux_raw_sys::general::CGROUP2_SUPER_MAGIC)
            {
                cg.v2 = Some(i);
                cg.fd = Some(fd);
            }
        }
        Ok(cg)
    }

    /// Whether some group must be joined from outside after the clone.
    pub fn has_v1(&self) -> bool {
        self.dirs.len() > self.v2.is_some() as usize
    }

    /// Creates the group in each hierarchy (missing parents too, which are
    /// left in place afterwards), enabling the cgroup2 controllers on the
    /// way down, and writes the limits. A group left by a hull that was
    /// killed (its pid is ours now) is removed first if it is empty.
    /// Allocates nothing that outlives it: `hull bench` calls it per start.
    /// With `devices`, the device allow list is applied before anyone joins:
    /// a BPF program on the cgroup2 group, or the v1 `devices` lists.
    pub fn create(&mut self, l: &Limits, devices: Option<&[Rule]>) -> Result<(), Error> {
        let mut buf: PathBuf = [0; 512];
        for i in 0..self.dirs.len() {
            // On cgroup2 a controller works in a group only when every
            // ancestor enables it for its children ("+memory +pids" in
            // cgroup.subtree_control; a no-op when already there). The root
            // may do so while it holds processes (an initramfs shell);
            // other groups may not, which is why the default place is the
            // root, not hull's own group.
            let mut enable = [0u8; 32];
            let mut n = 0;
            // An index loop: a zip over both arrays costs more bytes.
            #[allow(clippy::needless_range_loop)]
            for c in 0..4 {
                if self.v2 == Some(i) && self.at[c] == Some(i) {
                    for &b in b" +".iter().chain(CONTROLLERS[c]) {
                        enable[n] = b;
                        n += 1;
                    }
                }
            }
            let dir = &self.dirs[i][..];
            let mut p = self.base[i];
            while p < dir.len() {
                let next = dir[p + 1..]
                    .iter()
                    .position(|&c| c == b'/')
                    .map_or(dir.len(), |k| p + 1 + k);
                if n > 0 {
                    let file = path(&mut buf, &dir[..p], b"cgroup.subtree_control");
                    write_file(file, &enable[..n]).map_err(|e| Error::sys("write", file, e))?;
                }
                if next == dir.len() {
                    sweep(&dir[..p]);
                }
                let made = match rustix::fs::mkdir(&dir[..next], 0o755.into()) {
                    Err(Errno::EXIST) if next == dir.len() => {
                        // A stale group: gone if nothing is left in it.
                        let _ = rustix::fs::rmdir(dir);
                        rustix::fs::mkdir(dir, 0o755.into())
                    }
                    Err(Errno::EXIST) => Ok(()),
                    r => r,
                };
                made.map_err(|e| Error::sys("mkdir", &dir[..next], e))?;
                if self.at[CPUSET] == Some(i) && self.v2 != Some(i) {
                    // A new v1 cpuset group has no CPU and no memory node,
                    // and no task may join it so: its parent's, as runc
                    // fills them (cgroup2 inherits them by itself).
                    for (f, _) in l.cpusets() {
                        let mut up: PathBuf = [0; 512];
                        let mut own: PathBuf = [0; 512];
                        let own = path(&mut own, &dir[..next], f.as_bytes());
                        if read_file(own).is_ok_and(|v| v.trim_ascii().is_empty()) {
                            let v = read_file(path(&mut up, &dir[..p], f.as_bytes()))
                                .unwrap_or_default();
                            if let Err(e) = write_file(own, &v) {
                                // Not counted as made yet: removed here.
                                let _ = rustix::fs::rmdir(&dir[..next]);
                                return Err(Error::sys("write", own, e));
                            }
                        }
                    }
                }
                p = next;
            }
            self.made = i + 1;
            if self.v2 == Some(i) {
                let fd = open_file(dir, OFlags::PATH | OFlags::DIRECTORY);
                let fd = fd.map_err(|e| Error::sys("open", dir, e))?;
                if let (Some(rules), None) = (devices, self.shared) {
                    // Before the clone: the child is born restricted.
                    crate::devices::attach(fd.as_fd(), rules, dir)?;
                }
                self.fd = Some(fd);
            }
            if self.v2 == Some(i)
                && let Some(p) = self.shared
            {
                shared_parent(&dir[..p])?;
            }
            if let (Some(rules), true) = (devices, self.devices == Some(i)) {
                crate::devices::v1_apply(dir, rules)?;
            }
        }
        for (k, v) in l.knobs() {
            let (c, f2, f1) = KNOBS[k as usize];
            if let (Some(v), Some(i)) = (v, self.at[c]) {
                let v2 = self.v2 == Some(i);
                let file = if v2 { f2 } else { f1 };
                self.write(i, file, &value(k, v, l, v2).0)?;
            }
        }
        for (f, v) in l.cpusets() {
            if let (Some(v), Some(i)) = (v, self.at[CPUSET]) {
                self.write(i, f, v)?;
            }
        }
        Ok(())
    }

    /// Writes `data` to the file `name` of group `i`. A failure names the file.
    fn write(&self, i: usize, name: &str, data: &[u8]) -> Result<(), Error> {
        let mut buf: PathBuf = [0; 512];
        let file = path(&mut buf, &self.dirs[i], name.as_bytes());
        write_file(file, data).map_err(|e| Error::sys("write", file, e))
    }

    /// The text of the file `name` of group `i`; empty when it cannot be
    /// read (only counters and pids are read: nothing to report).
    fn read(&self, i: usize, name: &str) -> Vec<u8> {
        let mut buf: PathBuf = [0; 512];
        read_file(path(&mut buf, &self.dirs[i], name.as_bytes())).unwrap_or_default()
    }

    /// Puts the waiting child into the groups the clone did not: the v1
    /// ones, and the cgroup2 one too when `also_v2` (CLONE_INTO_CGROUP was
    /// refused). Called before the child is released.
    pub fn join(&self, pid: i32, also_v2: bool) -> Result<(), Error> {
        let mut tmp = [0; 20];
        let text = crate::util::out::dec(pid as u64, &mut tmp);
        for i in 0..self.dirs.len() {
            if self.v2 != Some(i) || also_v2 {
                self.write(i, "cgroup.procs", text)?;
            }
        }
        Ok(())
    }

    /// The number after `key` in a flat-keyed file of controller `c`'s
    /// group (`oom_kill 1` in memory.events); 0 when absent.
    fn counter(&self, c: usize, v2file: &str, v1file: &str, key: &[u8]) -> u64 {
        let Some(i) = self.at[c] else { return 0 };
        let name = if self.v2 == Some(i) { v2file } else { v1file };
        let text = self.read(i, name);
        let mut lines = &text[..];
        while !lines.is_empty() {
            let mut line = tok(&mut lines, b'\n');
            if tok(&mut line, b' ') == key {
                return parse_u64(line).unwrap_or(0);
            }
        }
        0
    }

    /// After the exit: reports an OOM kill (and, with --debug, the event
    /// counters).
    pub fn outcome(&self, status: i32) {
        // The limit now: `hull update` may have changed the one given.
        let limit = match self.at[0] {
            Some(i) if self.memory != 0 => {
                let file = if self.v2 == Some(i) {
                    "memory.max"
                } else {
                    "memory.limit_in_bytes"
                };
                let text = self.read(i, file);
                parse_u64(text.strip_suffix(b"\n").unwrap_or(&text)).unwrap_or(self.memory)
            }
            _ => 0,
        };
        if limit != 0 {
            let kills = self.counter(0, "memory.events", "memory.oom_control", b"oom_kill");
            // The OOM killer ended the container when its PID 1 died of the
            // SIGKILL it sends (or passed a child's on, as a shell does).
            if kills > 0 && status == 137 {
                // Not dropped, as the paths: no drop code.
                let mut m = ManuallyDrop::new(Buf::new());
                m.s("hull: container killed: out of memory (limit ");
                size(&mut m, limit).s(")\n");
                eprint(&m.0);
            }
        }
        if self.pids && self.debug {
            let n = self.counter(1, "pids.events", "pids.events", b"max");
            let mut m = ManuallyDrop::new(Buf::new());
            debug(m.s("cgroup: pids.events max ").u(n).s("\n"));
        }
    }

    /// Removes the groups made. Processes still inside (when hull fails or
    /// is done before them) are killed first: through cgroup.kill where the
    /// kernel has it, else by pid from cgroup.procs. The wait for them to go
    /// is bounded (about a second per group). Allocates nothing that
    /// outlives it, as `create`.
    pub fn remove(&mut self) {
        self.fd = None;
        for i in 0..core::mem::take(&mut self.made) {
            let dir = &self.dirs[i][..];
            let mut tries = 0;
            let err = loop {
                match rustix::fs::rmdir(dir) {
                    Ok(()) => break None,
                    Err(Errno::BUSY) if tries < 100 => {
                        tries += 1;
                        let mut buf: PathBuf = [0; 512];
                        if write_file(path(&mut buf, dir, b"cgroup.kill"), b"1").is_err() {
                            signal_all(dir, rustix::process::Signal::KILL);
                        }
                        let ts = rustix::time::Timespec {
                            tv_sec: 0,
                            tv_nsec: 10_000_000,
                        };
                        let _ = rustix::thread::nanosleep(&ts);
                        // Busy also with groups the container made below
                        // it: those go first (each emptied by the kill).
                        walk(dir, 0, &mut |d| {
                            if d.len() > dir.len() {
                                let _ = rustix::fs::rmdir(d);
                            }
                        });
                    }
                    Err(e) => break Some(e),
                }
            };
            if let Some(e) = err {
                eprint(&Error::sys("remove cgroup", dir, e).render(""));
            }
        }
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Freezes (`on`) or thaws a container's groups `dirs` (a line each, as
/// its record keeps them): through cgroup2's
/// `cgroup.freeze` where one of them is a cgroup2 group, else a v1
/// `freezer.state`; then waits (up to about 10 s) until the kernel says
/// every task is stopped, or running again. A freeze that does not take
/// is undone.
pub fn freeze(dirs: &[u8], on: bool) -> Result<(), Error> {
    // (file, value to write, value it reads once done) for v2, then v1.
    let ways: [(&[u8], &[u8], &[u8]); 2] = match on {
        true => [
            (b"cgroup.freeze", b"1", b"frozen 1"),
            (b"freezer.state", b"FROZEN", b"FROZEN"),
        ],
        false => [
            (b"cgroup.freeze", b"0", b"frozen 0"),
            (b"freezer.state", b"THAWED", b"THAWED"),
        ],
    };
    let mut buf: PathBuf = [0; 512];
    for (file, value, done) in ways {
        for dir in lines(dirs) {
            if write_file(path(&mut buf, dir, file), value).is_err() {
                continue;
            }
            let events: &[u8] = if file == b"cgroup.freeze" {
                b"cgroup.events"
            } else {
                file
            };
            for _ in 0..1000 {
                let text = read_file(path(&mut buf, dir, events)).unwrap_or_default();
                if text.split(|&c| c == b'\n').any(|l| l == done) {
                    return Ok(());
                }
                let ts = rustix::time::Timespec {
                    tv_sec: 0,
                    tv_nsec: 10_000_000,
                };
                let _ = rustix::thread::nanosleep(&ts);
            }
            if on {
                let _ = freeze(dirs, false);
            }
            return Err(Error::sys(
                "freeze: wait for",
                path(&mut buf, dir, events),
                Errno::TIMEDOUT,
            ));
        }
    }
    Err(Error::new(
        EXIT_RUNTIME,
        Buf::new().s("no freezer: the container has no cgroup2 group and no v1 freezer group"),
    ))
}

/// Writes one limit of a running container (`update`): `v2` into the
/// file `v2file` of the first of its groups `dirs` that has it, else `v1`
/// into `v1file`. A container with neither (its controller's group was not
/// made) is an error that names them.
pub fn set(dirs: &[u8], v2file: &str, v1file: &str, v2: &[u8], v1: &[u8]) -> Result<(), Error> {
    let mut buf: PathBuf = [0; 512];
    for (file, value) in [(v2file, v2), (v1file, v1)] {
        for dir in lines(dirs) {
            match write_file(path(&mut buf, dir, file.as_bytes()), value) {
                Err(Errno::NOENT) => {}
                r => {
                    return r
                        .map_err(|e| Error::sys("write", path(&mut buf, dir, file.as_bytes()), e));
                }
            }
        }
    }
    let mut m = Buf::new();
    m.s("update: no cgroup of the container has ").s(v2file);
    if v1file != v2file {
        m.s(" or ").s(v1file);
    }
    m.s(" (its controller's group was not made at create)");
    Err(Error::new(EXIT_RUNTIME, &m))
}

/// The pids in a container's groups `dirs` (a line each): every
/// `cgroup.procs`, each pid once, in order.
pub fn pids(dirs: &[u8]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut buf: PathBuf = [0; 512];
    for dir in lines(dirs) {
        walk(dir, 0, &mut |d| {
            let procs = read_file(path(&mut buf, d, b"cgroup.procs")).unwrap_or_default();
            for pid in lines(&procs).filter_map(parse_u64) {
                // (No sort: its code is twice this function's.)
                if let Err(at) = out.binary_search(&(pid as u32)) {
                    out.insert(at, pid as u32);
                }
            }
        });
    }
    out
}

/// Calls `f` on the group `dir` and every group below it (a container with
/// its own cgroup namespace may make them), the deepest first, so that `f`
/// may remove each. Bounded: 16 levels.
fn walk(dir: &[u8], depth: u32, f: &mut dyn FnMut(&[u8])) {
    if depth < 16
        && let Ok(d) = open_file(dir, OFlags::RDONLY | OFlags::DIRECTORY)
    {
        let mut buf = [core::mem::MaybeUninit::uninit(); 1024];
        let mut entries = rustix::fs::RawDir::new(&d, &mut buf);
        while let Some(Ok(e)) = entries.next() {
            let name = e.file_name().to_bytes();
            if e.file_type() == rustix::fs::FileType::Directory && !name.starts_with(b".") {
                walk(&[dir, b"/", name].concat(), depth + 1, f);
            }
        }
    }
    f(dir)
}

/// The non-empty lines of `text`.
pub fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&c| c == b'\n').filter(|l| !l.is_empty())
}

/// Sends `sig` to every process in the group `dir` and the groups below it
/// (their `cgroup.procs`).
pub fn signal_all(dir: &[u8], sig: rustix::process::Signal) {
    for pid in pids(dir) {
        if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
            let _ = rustix::process::kill_process(pid, sig);
        }
    }
}

/// A size as people read it: whole GiB or MiB, else bytes.
pub fn size(b: &mut Buf, n: u64) -> &mut Buf {
    for (shift, unit) in [(30, " GiB"), (20, " MiB")] {
        if n.is_multiple_of(1 << shift) {
            return b.u(n >> shift).s(unit);
        }
    }
    b.u(n).s(" bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime shared:19 - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    const PURE_V2: &str = "\
22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
27 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";

    // Pure v1, cpu co-mounted with cpuacct, and a mount point with a space.
    const PURE_V1: &str = "\
25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid shared:10 - cgroup cgroup rw,xattr,name=systemd
28 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:12 - cgroup cgroup rw,cpu,cpuacct
29 25 0:26 / /sys/fs/cgroup/cpuset rw,nosuid shared:13 - cgroup cgroup rw,cpuset
30 25 0:27 / /sys/fs/cgroup/my\\040memory rw,nosuid shared:14 - cgroup cgroup rw,memory
";

    fn limits(memory: bool, pids: bool, cpu: bool) -> Limits {
        Limits {
            memory: memory.then_some(1),
            pids: pids.then_some(1),
            cpu_weight: cpu.then_some(1),
            ..Limits::default()
        }
    }

    fn place(mi: &str, need: (bool, bool, bool)) -> Result<Cgroup, &'static [u8]> {
        Cgroup::parse(mi.as_bytes(), &limits(need.0, need.1, need.2), false, false)
    }

    /// A cpuset list asked for places the cpuset controller: its v1
    /// hierarchy where it has one, else cgroup2.
    #[test]
    fn a_cpuset_places_its_controller() {
        let l = Limits {
            cpuset_mems: Some(b"0".to_vec()),
            ..Limits::default()
        };
        let mi = "1 0 0:1 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n\
                  2 0 0:2 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n";
        let c = Cgroup::parse(mi.as_bytes(), &l, false, false).unwrap();
        assert_eq!(c.at, [None, None, None, Some(1)]);
        assert_eq!(
            dirs(&c),
            ["/sys/fs/cgroup/unified", "/sys/fs/cgroup/cpuset"]
        );
        let c = Cgroup::parse(&mi.as_bytes()[..61], &l, false, false).unwrap();
        assert_eq!(c.at, [None, None, None, Some(0)]);
        assert!(l.any());
    }

    fn dirs(c: &Cgroup) -> Vec<&str> {
        c.dirs
            .iter()
            .map(|d| std::str::from_utf8(d).unwrap())
            .collect()
    }

    #[test]
    fn mountinfo_parsing() {
        // Garbage and short lines are skipped, not misread.
        let c = place(
            "garbage\n\n1 2 3\n- cgroup2\n1 2 3 4\n",
            (false, false, false),
        )
        .unwrap();
        assert!(c.dirs.is_empty() && c.v2.is_none());
        assert_eq!(unescape(b"a\\134b\\011c\\0"), b"a\\b\tc\\0");
        assert_eq!(
            dirs(&place(PURE_V1, (true, false, false)).unwrap()),
            ["/sys/fs/cgroup/my memory"]
        );
    }

    #[test]
    fn controllers_on_a_hybrid_host() {
        let c = place(HYBRID, (true, true, true)).unwrap();
        // cpu, not cpuset or cpuacct: whole option words only. cgroup2,
        // last in mountinfo, always gets a group (CLONE_INTO_CGROUP).
        assert_eq!(
            dirs(&c),
            [
                "/sys/fs/cgroup/cpu",
                "/sys/fs/cgroup/memory",
                "/sys/fs/cgroup/pids",
                "/sys/fs/cgroup/unified",
            ]
        );
        assert_eq!((c.at, c.v2), ([Some(1), Some(2), Some(0), None], Some(3)));
        assert!(c.has_v1());
        // Only what is needed.
        let c = place(HYBRID, (false, true, false)).unwrap();
        assert_eq!(dirs(&c), ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified"]);
        assert_eq!((c.at, c.v2), ([None, Some(0), None, None], Some(1)));
    }

    #[test]
    fn controllers_on_pure_v2() {
        let c = place(PURE_V2, (true, true, true)).unwrap();
        assert_eq!(dirs(&c), ["/sys/fs/cgroup"]);
        assert_eq!((c.at, c.v2), ([Some(0), Some(0), Some(0), None], Some(0)));
        assert!(!c.has_v1());
    }

    #[test]
    fn controllers_on_pure_v1() {
        let c = place(PURE_V1, (true, false, true)).unwrap();
        assert_eq!(
            dirs(&c),
            ["/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/my memory"]
        );
        assert_eq!((c.at, c.v2), ([Some(1), None, Some(0), None], None));
        assert!(c.has_v1());
        assert_eq!(place(PURE_V1, (false, true, false)).unwrap_err(), b"pids");
        // Co-mounted controllers share one group.
        let mi = "5 1 0:5 / /cg rw - cgroup cgroup rw,memory,pids\n";
        let c = place(mi, (true, true, false)).unwrap();
        assert_eq!(
            (dirs(&c), c.at),
            (vec!["/cg"], [Some(0), Some(0), None, None])
        );
    }

    #[test]
    fn values_per_version() {
        let l = Limits {
            memory: Some(64 << 20),
            memory_swap: Some(96 << 20),
            pids: Some(20),
            cpu_quota: Some(20_000),
            cpu_weight: Some(100),
            cpu_shares: Some(512),
            memory_low: Some(32 << 20),
            ..Limits::default()
        };
        let knobs = l.knobs();
        let v = |k: usize, v2: bool| {
            let (knob, n) = knobs[k];
            String::from_utf8(value(knob, n.unwrap(), &l, v2).0).unwrap()
        };
        assert_eq!(
            (v(0, true), v(0, false)),
            ("67108864".into(), "67108864".into())
        );
        assert_eq!(
            (v(1, true), v(1, false)),
            ("33554432".into(), "100663296".into())
        );
        assert_eq!((v(2, true), v(2, false)), ("20".into(), "20".into()));
        assert_eq!(
            (v(3, true), v(3, false)),
            ("20000 100000".into(), "20000".into())
        );
        assert_eq!((v(4, true), v(4, false)), ("100".into(), "1024".into()));
        assert_eq!(value(Knob::CpuWeight, 1, &l, false).0, b"10");
        assert_eq!(value(Knob::CpuWeight, 10_000, &l, false).0, b"102400");
        // OCI's shares: as given on v1, runc's weight on v2.
        assert_eq!((v(5, true), v(5, false)), ("20".into(), "512".into()));
        assert_eq!(value(Knob::CpuShares, 1024, &l, true).0, b"39");
        assert_eq!(value(Knob::CpuShares, 1, &l, false).0, b"2");
        assert_eq!(value(Knob::CpuShares, 1 << 20, &l, true).0, b"10000");
        assert_eq!(
            (v(6, true), v(6, false)),
            ("33554432".into(), "33554432".into())
        );
    }

    #[test]
    fn sizes_read_well() {
        let s = |n| String::from_utf8(size(&mut Buf::new(), n).0.clone()).unwrap();
        assert_eq!(s(64 << 20), "64 MiB");
        assert_eq!(s(2 << 30), "2 GiB");
        assert_eq!(s(1536 << 20), "1536 MiB");
        assert_eq!(s(1000), "1000 bytes");
    }
}

//! A bundle's `config.json` read into [`Config`]: plain data, every value
//! the runtime spec lets a client ask for that hull honours, checked.
//!
//! What the reader checks is what config.md and config-linux.md require
//! and a parse can see: required fields present (`ociVersion`, `root.path`,
//! `process.args` with one entry at least, `process.cwd`, `user.uid`...),
//! absolute paths where they must be (mount destinations, `cwd`, hook paths,
//! namespace paths, masked and read-only paths), known names (namespace
//! types, capabilities, rlimits, device types, propagation modes, clocks,
//! personality domains), no duplicate namespace or rlimit, values in range,
//! and fields the spec defines that hull cannot honour (`intelRdt`,
//! id-mapped mounts, `process.scheduler`...) refused rather than dropped.
//! Unknown fields are ignored, as the spec requires; so are
//! `linux.resources` sections hull does not apply (blockIO, hugepageLimits,
//! network, rdma, unified) and the memory and cpu fields it does not name.
//! A `null` is read as an absent field (Go's clients write both).
//!
//! Each failure is one line naming the JSON path of the value at fault:
//! `config.json: linux.namespaces[2].type: unknown namespace 'foo'`.
//!
//! What is left for the caller: resolving paths inside the rootfs, checking
//! the host (does the namespace file exist, does the host enforce AppArmor),
//! and `linux.seccomp`, kept as JSON for `crate::seccomp::from_json`.

use super::find;
use crate::error::{EXIT_RUNTIME, Error};
use crate::json::{self, Value};
use crate::out::Buf;
use crate::spec::{CAP_NAMES, DEV_MKNOD, DEV_READ, DEV_WRITE, HOSTNAME_MAX, IdMap};
use alloc::vec::Vec;
use linux_raw_sys::general as g;

/// A container's configuration, as `config.json` gave it.
#[derive(Debug, Default, PartialEq)]
pub struct Config {
    /// `ociVersion` (any 1.x).
    pub oci_version: Vec<u8>,
    /// `root.path`, made absolute with the bundle directory.
    pub root: Vec<u8>,
    /// `root.readonly`.
    pub root_readonly: bool,
    pub hostname: Option<Vec<u8>>,
    pub domainname: Option<Vec<u8>>,
    /// `process`: optional until `start`, which must refuse a config without it.
    pub process: Option<Process>,
    /// `mounts`, in order (the order they must be made in).
    pub mounts: Vec<Mount>,
    /// `hooks`, indexed by [`PRESTART`]..[`POSTSTOP`], each list in order.
    pub hooks: [Vec<Hook>; 6],
    /// `annotations`, in document order.
    pub annotations: Vec<(Vec<u8>, Vec<u8>)>,
    /// `linux.namespaces`, in order; at most one of each type.
    pub namespaces: Vec<Namespace>,
    /// `linux.uidMappings`, `linux.gidMappings`.
    pub uid_maps: Vec<IdMap>,
    pub gid_maps: Vec<IdMap>,
    /// `linux.devices`.
    pub devices: Vec<Device>,
    /// `linux.resources`.
    pub resources: Resources,
    /// `linux.cgroupsPath` (no `.` or `..` component).
    pub cgroups_path: Option<Vec<u8>>,
    /// `linux.sysctl`: (key, value), in document order.
    pub sysctl: Vec<(Vec<u8>, Vec<u8>)>,
    /// `linux.seccomp`, as JSON: `crate::seccomp::from_json` reads it.
    pub seccomp: Option<Value>,
    /// `linux.rootfsPropagation` as `MS_*` flags (`MS_REC` included for the
    /// `r` forms); 0 when not given.
    pub rootfs_propagation: u32,
    /// `linux.maskedPaths`, `linux.readonlyPaths` (absolute).
    pub masked_paths: Vec<Vec<u8>>,
    pub readonly_paths: Vec<Vec<u8>>,
    /// `linux.timeOffsets`: (clock id, seconds, nanoseconds).
    pub time_offsets: Vec<(u32, i64, u32)>,
    /// `linux.personality.domain` as personality(2) takes it.
    pub personality: Option<u32>,
    /// `linux.mountLabel` (SELinux).
    pub mount_label: Option<Vec<u8>>,
}

/// `process`.
#[derive(Debug, Default, PartialEq)]
pub struct Process {
    /// `args`: never empty.
    pub args: Vec<Vec<u8>>,
    /// `env`: `KEY=VALUE` entries, in order.
    pub env: Vec<Vec<u8>>,
    /// `cwd`: absolute, inside the container.
    pub cwd: Vec<u8>,
    pub uid: u32,
    pub gid: u32,
    /// `user.umask`: None leaves the runtime's own.
    pub umask: Option<u32>,
    /// `user.additionalGids`.
    pub groups: Vec<u32>,
    pub terminal: bool,
    /// `consoleSize` as (rows, columns); None unless `terminal`.
    pub console_size: Option<(u16, u16)>,
    /// The capability sets, indexed by [`BOUNDING`]..[`AMBIENT`]; bit n is
    /// capability n. A set not given is empty.
    pub caps: [u64; 5],
    /// `rlimits`: at most one per resource.
    pub rlimits: Vec<Rlimit>,
    pub no_new_privs: bool,
    /// `oomScoreAdj`, -1000..=1000; None leaves the runtime's own.
    pub oom_score_adj: Option<i32>,
    pub apparmor_profile: Option<Vec<u8>>,
    pub selinux_label: Option<Vec<u8>>,
}

/// Indexes of [`Process::caps`], in the order [`CAP_SETS`] names them.
pub const BOUNDING: usize = 0;
pub const EFFECTIVE: usize = 1;
pub const INHERITABLE: usize = 2;
pub const PERMITTED: usize = 3;
pub const AMBIENT: usize = 4;
/// The capability sets' names in `process.capabilities`.
pub const CAP_SETS: &str = "bounding effective inheritable permitted ambient";

/// One `rlimits` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rlimit {
    /// The resource, as setrlimit(2) numbers it (`RLIMIT_NOFILE` is 7).
    pub resource: u32,
    pub soft: u64,
    pub hard: u64,
}

/// The rlimit names after `RLIMIT_`, in resource-number order.
pub const RLIMITS: &str = "CPU FSIZE DATA STACK CORE RSS NPROC NOFILE MEMLOCK AS LOCKS SIGPENDING MSGQUEUE NICE RTPRIO RTTIME";

/// One `mounts` entry, its options sorted out.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mount {
    /// `destination`: absolute, inside the container.
    pub dst: Vec<u8>,
    /// `type` (empty when not given; meaningless for a bind mount).
    pub fstype: Vec<u8>,
    /// `source`: for a bind mount an absolute host path (a relative one is
    /// made absolute with the bundle directory); else as given.
    pub src: Vec<u8>,
    /// A bind mount (option `bind`, `rbind`, or type `bind`): Some(recursive).
    pub bind: Option<bool>,
    pub opts: MountOpts,
}

/// A mount's `options`, sorted by what the kernel does with them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MountOpts {
    /// `MOUNT_ATTR_*` bits to set and to clear on the mount itself (`ro`,
    /// `nosuid`, `rw`...). An atime option clears `MOUNT_ATTR__ATIME` and
    /// sets its mode, as mount_setattr(2) wants.
    pub set: u32,
    pub clear: u32,
    /// The same for the recursive forms (`rro`, `rnosuid`...): on the
    /// mount and every mount below it.
    pub rset: u32,
    pub rclear: u32,
    /// Propagation (`private`, `rslave`...) as `MS_*` flags; 0 if none.
    pub propagation: u32,
    /// `tmpcopyup` (runc's and crun's extension): fill a new tmpfs with
    /// what the directory it covers held.
    pub copy_up: bool,
    /// Everything else, for the filesystem (`mode=755`, `size=65536k`,
    /// `newinstance`, `gid=5`...), in order.
    pub data: Vec<Vec<u8>>,
}

/// One hook of `hooks`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Hook {
    /// Absolute, in the runtime's mount namespace.
    pub path: Vec<u8>,
    pub args: Vec<Vec<u8>>,
    pub env: Vec<Vec<u8>>,
    /// Seconds, above 0; None: no limit.
    pub timeout: Option<u32>,
}

/// Indexes of [`Config::hooks`], in the order [`HOOKS`] names them.
pub const PRESTART: usize = 0;
pub const CREATE_RUNTIME: usize = 1;
pub const CREATE_CONTAINER: usize = 2;
pub const START_CONTAINER: usize = 3;
pub const POSTSTART: usize = 4;
pub const POSTSTOP: usize = 5;
/// The hook lists' names in `hooks`.
pub const HOOKS: &str = "prestart createRuntime createContainer startContainer poststart poststop";

/// One `linux.namespaces` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Its `CLONE_NEW*` flag.
    pub flag: u32,
    /// The namespace to join (`setns`); None: a new one.
    pub path: Option<Vec<u8>>,
}

/// The namespace types, in the order of [`NS_FLAGS`].
pub const NAMESPACES: &str = "pid network mount ipc uts user cgroup time";
/// Their `CLONE_NEW*` flags.
pub const NS_FLAGS: [u32; 8] = [
    g::CLONE_NEWPID,
    g::CLONE_NEWNET,
    g::CLONE_NEWNS,
    g::CLONE_NEWIPC,
    g::CLONE_NEWUTS,
    g::CLONE_NEWUSER,
    g::CLONE_NEWCGROUP,
    g::CLONE_NEWTIME,
];

/// One `linux.devices` entry: a node the container must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// `c`, `b`, `u` (unbuffered character: a `c` to mknod) or `p` (FIFO).
    pub kind: u8,
    /// Absolute, inside the container.
    pub path: Vec<u8>,
    /// 0 for a FIFO.
    pub major: u32,
    pub minor: u32,
    /// `fileMode` (permission bits); None: the runtime's default.
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// `linux.resources`: the limits hull applies. A field not given is None.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Resources {
    /// `memory.limit`, `memory.reservation`, `memory.swap` (memory plus
    /// swap): bytes, or -1 for no limit.
    pub memory_limit: Option<i64>,
    pub memory_reservation: Option<i64>,
    pub memory_swap: Option<i64>,
    /// `cpu.shares` (cgroup v1's weight, 2..=262144 in the kernel).
    pub cpu_shares: Option<u64>,
    /// `cpu.quota` (µs per period, -1 for none) and `cpu.period` (µs).
    pub cpu_quota: Option<i64>,
    pub cpu_period: Option<u64>,
    /// `cpu.cpus`, `cpu.mems`: cpuset lists ("0-3,7").
    pub cpus: Option<Vec<u8>>,
    pub mems: Option<Vec<u8>>,
    /// `pids.limit`: most tasks; -1 (or 0, as runc reads it) for no limit.
    pub pids_limit: Option<i64>,
    /// `devices`: the device allow list, applied in order.
    pub devices: Vec<DeviceRule>,
}

/// One entry of the device allow list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceRule {
    pub allow: bool,
    /// `a` (all), `c` or `b`.
    pub kind: u8,
    /// None: any (not given, or -1).
    pub major: Option<u32>,
    pub minor: Option<u32>,
    /// Bits of `crate::spec::{DEV_READ, DEV_WRITE, DEV_MKNOD}`; all three
    /// when `access` is not given.
    pub access: u8,
}

/// Mount options that set (even index) or clear (odd index) the
/// `MOUNT_ATTR_*` bit of [`ATTR_BITS`] at index / 2.
const ATTRS: &str =
    "ro rw nosuid suid nodev dev noexec exec nodiratime diratime nosymfollow symfollow";
const ATTR_BITS: [u32; 6] = [
    g::MOUNT_ATTR_RDONLY,
    g::MOUNT_ATTR_NOSUID,
    g::MOUNT_ATTR_NODEV,
    g::MOUNT_ATTR_NOEXEC,
    g::MOUNT_ATTR_NODIRATIME,
    g::MOUNT_ATTR_NOSYMFOLLOW,
];
/// The atime modes, index times 0x10 being the `MOUNT_ATTR_*` value
/// (RELATIME 0, NOATIME 0x10, STRICTATIME 0x20). `atime`, `norelatime`
/// and `nostrictatime` undo the others: the kernel's default is relatime.
const ATIME: &str = "relatime|atime|norelatime|nostrictatime noatime strictatime";
/// Propagation options: private, slave, shared, unbindable, each then in
/// its recursive form.
pub const PROPAGATION: &str = "private rprivate slave rslave shared rshared unbindable runbindable";
const PROPAGATION_FLAGS: [u32; 4] = [g::MS_PRIVATE, g::MS_SLAVE, g::MS_SHARED, g::MS_UNBINDABLE];
/// Options that change nothing for a mount made from scratch (the defaults
/// of mount(8), the printk verbosity, i_version, always on now).
const IGNORED: &str = "defaults async nomand nolazytime silent loud iversion noiversion";
/// Options hull refuses: id-mapped mounts (crun's `idmap`) and remounts.
const REFUSED: &str = "idmap ridmap remount";
/// Every option word hull recognises, for the `features` command: the
/// tables above, `bind`, `rbind` and `tmpcopyup`. Data options (`mode=`...)
/// go to the filesystem as they are.
pub const MOUNT_OPTIONS: [&str; 5] = [ATTRS, ATIME, PROPAGATION, IGNORED, "bind rbind tmpcopyup"];

/// `personality(2)`'s `PER_LINUX32` (<linux/personality.h>; not in
/// linux-raw-sys): uname(2) reports a 32-bit machine.
const PER_LINUX32: u32 = 8;

/// Marks an [`At`] that names an object member, not an array element.
const KEY: usize = usize::MAX;

/// A place in the document: its value (None when absent or null) and the
/// way up, to name it in an error (`linux.devices[3].path`). Children live
/// on the stack of the code reading them: nothing is allocated unless an
/// error is built.
#[derive(Clone, Copy)]
struct At<'a> {
    v: Option<&'a Value>,
    up: Option<&'a At<'a>>,
    key: &'a [u8],
    idx: usize,
}

type R<T> = Result<T, Error>;

impl<'a> At<'a> {
    /// The member `key` (absent unless this is an object that has it, not null).
    fn get<'b>(&'b self, key: &'static str) -> At<'b> {
        let v = self.v.and_then(|v| v.get(key.as_bytes()));
        self.child(v, key.as_bytes(), KEY)
    }

    /// A child: element `idx` of an array, or the member `key` of an object.
    fn child<'b>(&'b self, v: Option<&'b Value>, key: &'b [u8], idx: usize) -> At<'b> {
        At {
            v: v.filter(|v| !v.is_null()),
            up: Some(self),
            key,
            idx,
        }
    }

    /// The elements of an array (none when absent).
    fn items(&self) -> R<&'a [Value]> {
        match self.v {
            None => Ok(&[]),
            Some(v) => v
                .arr()
                .ok_or_else(|| self.bad("expected an array", b"", "")),
        }
    }

    /// The members of an object (none when absent).
    fn members(&self) -> R<&'a [(Vec<u8>, Value)]> {
        match self.v {
            None => Ok(&[]),
            Some(v) => v
                .obj()
                .ok_or_else(|| self.bad("expected an object", b"", "")),
        }
    }

    /// Whether this is present, failing if it is present and not an object.
    fn object(&self) -> R<bool> {
        self.members()?;
        Ok(self.v.is_some())
    }

    /// A string, if present.
    fn str(&self) -> R<Option<&'a [u8]>> {
        match self.v {
            None => Ok(None),
            Some(v) => v
                .str()
                .map(Some)
                .ok_or_else(|| self.bad("expected a string", b"", "")),
        }
    }

    /// A string, if present, copied.
    fn string(&self) -> R<Option<Vec<u8>>> {
        Ok(self.str()?.map(<[u8]>::to_vec))
    }

    /// A required string.
    fn need_str(&self) -> R<&'a [u8]> {
        self.need(self.str()?)
    }

    /// A required absolute path.
    fn abs(&self) -> R<Vec<u8>> {
        let s = self.need_str()?;
        if s.first() != Some(&b'/') {
            return Err(self.bad("'", s, "' is not an absolute path"));
        }
        Ok(s.to_vec())
    }

    /// An array of strings (empty when absent).
    fn strings(&self) -> R<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        for (i, v) in self.items()?.iter().enumerate() {
            out.push(self.child(Some(v), b"", i).need_str()?.to_vec());
        }
        Ok(out)
    }

    /// `true` or `false`; false when absent.
    fn flag(&self) -> R<bool> {
        match self.v {
            None => Ok(false),
            Some(v) => v
                .bool()
                .ok_or_else(|| self.bad("expected true or false", b"", "")),
        }
    }

    /// An integer from 0 to `max`, if present.
    fn uint(&self, max: u64) -> R<Option<u64>> {
        match self.v {
            None => Ok(None),
            Some(v) => match v.u64() {
                Some(n) if n <= max => Ok(Some(n)),
                _ => Err(self.range(0, max)),
            },
        }
    }

    /// A u32, if present.
    fn u32(&self) -> R<Option<u32>> {
        Ok(self.uint(u32::MAX as u64)?.map(|n| n as u32))
    }

    /// A required u32.
    fn need_u32(&self) -> R<u32> {
        self.need(self.u32()?)
    }

    /// An integer from `lo` to `hi`, if present.
    fn int(&self, lo: i64, hi: i64) -> R<Option<i64>> {
        match self.v {
            None => Ok(None),
            Some(v) => match v.i64() {
                Some(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
                _ => Err(self.range(lo, hi as u64)),
            },
        }
    }

    /// `x`, or the error that this required value is missing.
    fn need<T>(&self, x: Option<T>) -> R<T> {
        x.ok_or_else(|| self.bad("missing", b"", ""))
    }

    /// The index in `table` (see [`find`]) of this required string; an
    /// error naming it as an unknown `what` otherwise.
    fn pick(&self, table: &str, what: &str) -> R<usize> {
        let s = self.need_str()?;
        find(table, s).ok_or_else(|| self.unknown(what, s))
    }

    /// Fails if present: a field hull knows it cannot honour.
    fn refuse(&self) -> R<()> {
        match self.v {
            Some(_) => Err(self.bad("not supported by hull", b"", "")),
            None => Ok(()),
        }
    }

    /// Appends the path: `linux.devices[3].path`.
    fn name(&self, b: &mut Buf) {
        if let Some(up) = self.up {
            up.name(b);
            if self.idx == KEY && up.up.is_some() {
                b.s(".");
            }
        }
        if self.idx == KEY {
            b.b(self.key);
        } else {
            b.s("[").u(self.idx as u64).s("]");
        }
    }

    /// "config.json: PATH: PRE WHAT POST".
    #[inline(never)]
    fn bad(&self, pre: &str, what: &[u8], post: &str) -> Error {
        let mut m = Buf::new();
        m.s("config.json: ");
        self.name(&mut m);
        m.s(": ").s(pre).b(what).s(post);
        Error {
            code: EXIT_RUNTIME,
            msg: m.0,
            usage: false,
        }
    }

    /// "unknown WHAT 'NAME'".
    #[inline(never)]
    fn unknown(&self, what: &str, name: &[u8]) -> Error {
        let mut m = Buf::new();
        m.s("unknown ").s(what).s(" '").b(name).s("'");
        self.bad("", &m.0, "")
    }

    /// "expected an integer from LO to HI".
    #[inline(never)]
    fn range(&self, lo: i64, hi: u64) -> Error {
        let mut m = Buf::new();
        m.i(lo).s(" to ").u(hi);
        self.bad("expected an integer from ", &m.0, "")
    }
}

/// The member `key` of `v`, for writing.
fn member_mut<'a>(v: &'a mut Value, key: &[u8]) -> Option<&'a mut Value> {
    match v {
        Value::Obj(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// `path` made absolute with `dir` when it is relative.
fn join(dir: &[u8], path: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    if path.first() != Some(&b'/') {
        p.extend_from_slice(dir);
        p.push(b'/');
    }
    p.extend_from_slice(path);
    p
}

/// Whether a cgroup path would climb out of its hierarchy (or is not clean).
fn escapes(path: &[u8]) -> bool {
    path.split(|&c| c == b'/').any(|p| p == b"." || p == b"..")
}

impl Config {
    /// Reads `text`, the `config.json` of the bundle at `bundle` (an
    /// absolute path: relative `root.path` and bind sources are taken
    /// from it).
    pub fn parse(text: &[u8], bundle: &[u8]) -> Result<Config, Error> {
        let mut doc = json::parse(text).map_err(|e| {
            let mut m = Buf::new();
            m.s("config.json: not JSON: ")
                .s(e.what)
                .s(" at byte ")
                .u(e.offset as u64);
            Error::new(EXIT_RUNTIME, &m)
        })?;
        // Moved out whole, not copied: the profile is most of a podman config.
        let seccomp = member_mut(&mut doc, b"linux")
            .and_then(|l| member_mut(l, b"seccomp"))
            .map(|s| core::mem::replace(s, Value::Null))
            .filter(|s| !s.is_null());
        let top = At {
            v: Some(&doc),
            up: None,
            key: b"",
            idx: KEY,
        };
        if doc.obj().is_none() {
            return Err(Error::new(
                EXIT_RUNTIME,
                Buf::new().s("config.json: not a JSON object"),
            ));
        }
        let mut c = Config::default();
        let ver = top.get("ociVersion");
        c.oci_version = ver.need_str()?.to_vec();
        if !c.oci_version.starts_with(b"1.") {
            return Err(ver.bad(
                "unsupported version '",
                &c.oci_version,
                "' (hull reads 1.x)",
            ));
        }
        let root = top.get("root");
        root.object()?;
        c.root = join(bundle, root.get("path").need_str()?);
        c.root_readonly = root.get("readonly").flag()?;
        for (name, slot) in [
            ("hostname", &mut c.hostname),
            ("domainname", &mut c.domainname),
        ] {
            let at = top.get(name);
            *slot = at.string()?;
            if slot.as_ref().is_some_and(|s| s.len() > HOSTNAME_MAX) {
                return Err(at.bad("longer than 64 bytes", b"", ""));
            }
        }
        let p = top.get("process");
        if p.object()? {
            c.process = Some(process(&p)?);
        }
        let mounts = top.get("mounts");
        for (i, v) in mounts.items()?.iter().enumerate() {
            c.mounts
                .push(mount(&mounts.child(Some(v), b"", i), bundle)?);
        }
        let hooks = top.get("hooks");
        hooks.object()?;
        for (n, name) in HOOKS.split(' ').enumerate() {
            let list = hooks.get(name);
            for (i, v) in list.items()?.iter().enumerate() {
                let h = list.child(Some(v), b"", i);
                let t = h.get("timeout");
                c.hooks[n].push(Hook {
                    path: h.get("path").abs()?,
                    args: h.get("args").strings()?,
                    env: h.get("env").strings()?,
                    timeout: t.int(1, i32::MAX as i64)?.map(|t| t as u32),
                });
            }
        }
        c.annotations = map(&top.get("annotations"))?;
        if c.annotations.iter().any(|(k, _)| k.is_empty()) {
            return Err(top.get("annotations").bad("empty key", b"", ""));
        }
        linux(&top.get("linux"), &mut c)?;
        c.seccomp = seccomp;
        if c.seccomp.as_ref().is_some_and(|s| s.obj().is_none()) {
            return Err(top
                .get("linux")
                .get("seccomp")
                .bad("expected an object", b"", ""));
        }
        // What the namespaces make possible, checked once they are known.
        let has = |flag| c.namespaces.iter().any(|n| n.flag == flag);
        let needs = [
            (c.hostname.is_some(), g::CLONE_NEWUTS, "hostname"),
            (c.domainname.is_some(), g::CLONE_NEWUTS, "domainname"),
            (
                !c.time_offsets.is_empty(),
                g::CLONE_NEWTIME,
                "linux.timeOffsets",
            ),
            (
                !c.uid_maps.is_empty(),
                g::CLONE_NEWUSER,
                "linux.uidMappings",
            ),
            (
                !c.gid_maps.is_empty(),
                g::CLONE_NEWUSER,
                "linux.gidMappings",
            ),
        ];
        if let Some(user) = c.namespace(g::CLONE_NEWUSER) {
            // A new user namespace without maps would leave every id unmapped.
            if user.path.is_none() && (c.uid_maps.is_empty() || c.gid_maps.is_empty()) {
                return Err(Error::new(
                    EXIT_RUNTIME,
                    Buf::new().s("config.json: linux: a new user namespace needs uidMappings and gidMappings"),
                ));
            }
        }
        for (asked, flag, what) in needs {
            if asked && !has(flag) {
                let i = NS_FLAGS.iter().position(|&f| f == flag).unwrap_or(0);
                let ns = NAMESPACES.split(' ').nth(i).unwrap_or_default();
                let mut m = Buf::new();
                m.s("config.json: ").s(what).s(": needs a ").s(ns);
                m.s(" namespace in linux.namespaces");
                return Err(Error::new(EXIT_RUNTIME, &m));
            }
        }
        Ok(c)
    }

    /// The `linux.namespaces` entry of the type whose `CLONE_NEW*` flag is
    /// `flag`: None when the container shares the runtime's.
    pub fn namespace(&self, flag: u32) -> Option<&Namespace> {
        self.namespaces.iter().find(|n| n.flag == flag)
    }
}

/// An object of strings, as (key, value) pairs in document order.
fn map(at: &At) -> R<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    for (k, v) in at.members()? {
        let s = at.child(Some(v), k, KEY).need_str()?;
        out.push((k.clone(), s.to_vec()));
    }
    Ok(out)
}

/// `process`.
fn process(p: &At) -> R<Process> {
    let args = p.get("args");
    let env = p.get("env");
    let user = p.get("user");
    user.object()?;
    let mut pr = Process {
        args: args.strings()?,
        env: env.strings()?,
        cwd: p.get("cwd").abs()?,
        uid: user.get("uid").need_u32()?,
        gid: user.get("gid").need_u32()?,
        umask: user.get("umask").uint(0o777)?.map(|m| m as u32),
        terminal: p.get("terminal").flag()?,
        no_new_privs: p.get("noNewPrivileges").flag()?,
        oom_score_adj: p.get("oomScoreAdj").int(-1000, 1000)?.map(|n| n as i32),
        apparmor_profile: p.get("apparmorProfile").string()?,
        selinux_label: p.get("selinuxLabel").string()?,
        ..Process::default()
    };
    if pr.args.is_empty() {
        return Err(args.bad("needs one entry at least", b"", ""));
    }
    if let Some(i) = pr.env.iter().position(|e| !e.contains(&b'=')) {
        return Err(env
            .child(None, b"", i)
            .bad("'", &pr.env[i], "' is not KEY=VALUE"));
    }
    let groups = user.get("additionalGids");
    for (i, v) in groups.items()?.iter().enumerate() {
        pr.groups.push(groups.child(Some(v), b"", i).need_u32()?);
    }
    let size = p.get("consoleSize");
    // The spec: ignored unless there is a terminal.
    if size.object()? && pr.terminal {
        let side = |name| -> R<u16> {
            let at = size.get(name);
            Ok(at.need(at.uint(u16::MAX as u64)?)? as u16)
        };
        pr.console_size = Some((side("height")?, side("width")?));
    }
    let caps = p.get("capabilities");
    caps.object()?;
    for (n, set) in CAP_SETS.split(' ').enumerate() {
        let list = caps.get(set);
        for (i, v) in list.items()?.iter().enumerate() {
            let at = list.child(Some(v), b"", i);
            let name = at.need_str()?;
            let bit = name
                .strip_prefix(b"CAP_")
                .and_then(|c| find(CAP_NAMES, c))
                .ok_or_else(|| at.unknown("capability", name))?;
            pr.caps[n] |= 1 << bit;
        }
    }
    let rl = p.get("rlimits");
    for (i, v) in rl.items()?.iter().enumerate() {
        let at = rl.child(Some(v), b"", i);
        let ty = at.get("type");
        let name = ty.need_str()?;
        let resource = name
            .strip_prefix(b"RLIMIT_")
            .and_then(|r| find(RLIMITS, r))
            .ok_or_else(|| ty.unknown("rlimit", name))? as u32;
        if pr.rlimits.iter().any(|r| r.resource == resource) {
            return Err(ty.bad("'", name, "' given twice"));
        }
        let soft = at.get("soft");
        let hard = at.get("hard");
        let r = Rlimit {
            resource,
            soft: soft.need(soft.uint(u64::MAX)?)?,
            hard: hard.need(hard.uint(u64::MAX)?)?,
        };
        if r.soft > r.hard {
            return Err(soft.bad("above the hard limit", b"", ""));
        }
        pr.rlimits.push(r);
    }
    for name in ["scheduler", "ioPriority", "execCPUAffinity"] {
        p.get(name).refuse()?;
    }
    Ok(pr)
}

/// One `mounts` entry.
fn mount(m: &At, bundle: &[u8]) -> R<Mount> {
    let opts = m.get("options");
    let mut out = Mount {
        dst: m.get("destination").abs()?,
        fstype: m.get("type").string()?.unwrap_or_default(),
        src: m.get("source").string()?.unwrap_or_default(),
        ..Mount::default()
    };
    let words = opts.strings()?;
    let (bind, o) = mount_options(&words).map_err(|i| {
        opts.child(None, b"", i)
            .bad("unsupported mount option '", &words[i], "'")
    })?;
    out.bind = bind.or((out.fstype == b"bind").then_some(false));
    out.opts = o;
    if out.bind.is_some() {
        out.src = join(bundle, &out.src);
    }
    for name in ["uidMappings", "gidMappings"] {
        m.get(name).refuse()?;
    }
    Ok(out)
}

/// Sorts mount options out (a later option overrides an earlier one):
/// the bind option if any (Some(recursive)) and the rest. An option hull
/// refuses is an error with its index.
pub fn mount_options(words: &[Vec<u8>]) -> Result<(Option<bool>, MountOpts), usize> {
    let mut bind = None;
    let mut o = MountOpts::default();
    for (i, w) in words.iter().enumerate() {
        let w = &w[..];
        if let Some(n) = find("bind rbind", w) {
            bind = Some(n == 1);
        } else if w == b"tmpcopyup" {
            o.copy_up = true;
        } else if let Some(n) = find(PROPAGATION, w) {
            o.propagation = PROPAGATION_FLAGS[n / 2] | if n % 2 == 1 { g::MS_REC } else { 0 };
        } else if find(REFUSED, w).is_some() {
            return Err(i);
        } else if find(IGNORED, w).is_none() {
            // An attribute, in its plain form or its recursive one (`r` before it).
            let plain = find(ATTRS, w).is_some() || find(ATIME, w).is_some();
            let (set, clear, w) = match w.strip_prefix(b"r") {
                Some(rest) if !plain => (&mut o.rset, &mut o.rclear, rest),
                _ => (&mut o.set, &mut o.clear, w),
            };
            if let Some(n) = find(ATTRS, w) {
                let bit = ATTR_BITS[n / 2];
                if n % 2 == 0 {
                    *set |= bit;
                    *clear &= !bit;
                } else {
                    *clear |= bit;
                    *set &= !bit;
                }
            } else if let Some(n) = find(ATIME, w) {
                *set = (*set & !g::MOUNT_ATTR__ATIME) | (n as u32) << 4;
                *clear |= g::MOUNT_ATTR__ATIME;
            } else {
                o.data.push(words[i].clone());
            }
        }
    }
    Ok((bind, o))
}

/// `linux`.
fn linux(l: &At, c: &mut Config) -> R<()> {
    l.object()?;
    let ns = l.get("namespaces");
    for (i, v) in ns.items()?.iter().enumerate() {
        let at = ns.child(Some(v), b"", i);
        let ty = at.get("type");
        let flag = NS_FLAGS[ty.pick(NAMESPACES, "namespace")?];
        if c.namespace(flag).is_some() {
            return Err(ty.bad("'", ty.need_str()?, "' given twice"));
        }
        let path = at.get("path");
        let path = match path.v {
            Some(_) => Some(path.abs()?),
            None => None,
        };
        c.namespaces.push(Namespace { flag, path });
    }
    for (name, maps) in [
        ("uidMappings", &mut c.uid_maps),
        ("gidMappings", &mut c.gid_maps),
    ] {
        let list = l.get(name);
        for (i, v) in list.items()?.iter().enumerate() {
            let at = list.child(Some(v), b"", i);
            maps.push(IdMap {
                inside: at.get("containerID").need_u32()?,
                outside: at.get("hostID").need_u32()?,
                count: at.get("size").need_u32()?,
            });
        }
    }
    let devs = l.get("devices");
    for (i, v) in devs.items()?.iter().enumerate() {
        let at = devs.child(Some(v), b"", i);
        let kind = b"cbup"[at.get("type").pick("c b u p", "device type")?];
        // A FIFO has no numbers; every other node must have both.
        let num = |name| -> R<u32> {
            let n = at.get(name);
            Ok(match kind {
                b'p' => n.u32()?.unwrap_or(0),
                _ => n.need_u32()?,
            })
        };
        c.devices.push(Device {
            kind,
            path: at.get("path").abs()?,
            major: num("major")?,
            minor: num("minor")?,
            mode: at.get("fileMode").u32()?,
            uid: at.get("uid").u32()?,
            gid: at.get("gid").u32()?,
        });
    }
    resources(&l.get("resources"), &mut c.resources)?;
    let cg = l.get("cgroupsPath");
    c.cgroups_path = cg.string()?;
    if c.cgroups_path.as_deref().is_some_and(escapes) {
        return Err(cg.bad("'.' or '..' in '", cg.need_str()?, "'"));
    }
    c.sysctl = map(&l.get("sysctl"))?;
    let prop = l.get("rootfsPropagation");
    if prop.v.is_some() {
        let n = prop.pick(PROPAGATION, "propagation")?;
        c.rootfs_propagation = PROPAGATION_FLAGS[n / 2] | if n % 2 == 1 { g::MS_REC } else { 0 };
    }
    for (name, list) in [
        ("maskedPaths", &mut c.masked_paths),
        ("readonlyPaths", &mut c.readonly_paths),
    ] {
        let at = l.get(name);
        for (i, v) in at.items()?.iter().enumerate() {
            list.push(at.child(Some(v), b"", i).abs()?);
        }
    }
    let offsets = l.get("timeOffsets");
    for (k, v) in offsets.members()? {
        let at = offsets.child(Some(v), k, KEY);
        let clock = match find("monotonic boottime", k) {
            Some(0) => g::CLOCK_MONOTONIC,
            Some(_) => g::CLOCK_BOOTTIME,
            None => return Err(at.unknown("clock", k)),
        };
        let secs = at.get("secs").int(i64::MIN, i64::MAX)?.unwrap_or(0);
        let nanos = at.get("nanosecs").uint(999_999_999)?.unwrap_or(0) as u32;
        c.time_offsets.push((clock, secs, nanos));
    }
    let pers = l.get("personality");
    if pers.object()? {
        let domain = pers
            .get("domain")
            .pick("LINUX LINUX32", "personality domain")?;
        c.personality = Some(if domain == 1 { PER_LINUX32 } else { 0 });
        let flags = pers.get("flags");
        if !flags.items()?.is_empty() {
            return Err(flags.bad("no flag is supported", b"", ""));
        }
    }
    c.mount_label = l.get("mountLabel").string()?;
    for name in ["intelRdt", "netDevices", "memoryPolicy"] {
        l.get(name).refuse()?;
    }
    Ok(())
}

/// `linux.resources`.
fn resources(r: &At, out: &mut Resources) -> R<()> {
    r.object()?;
    let mem = r.get("memory");
    mem.object()?;
    let bytes = |name| mem.get(name).int(-1, i64::MAX);
    out.memory_limit = bytes("limit")?;
    out.memory_reservation = bytes("reservation")?;
    out.memory_swap = bytes("swap")?;
    let cpu = r.get("cpu");
    cpu.object()?;
    out.cpu_shares = cpu.get("shares").uint(u64::MAX)?;
    out.cpu_quota = cpu.get("quota").int(-1, i64::MAX)?;
    out.cpu_period = cpu.get("period").uint(u64::MAX)?;
    out.cpus = cpu.get("cpus").string()?;
    out.mems = cpu.get("mems").string()?;
    let pids = r.get("pids");
    if pids.object()? {
        let limit = pids.get("limit");
        out.pids_limit = Some(limit.need(limit.int(-1, i64::MAX)?)?);
    }
    let devs = r.get("devices");
    for (i, v) in devs.items()?.iter().enumerate() {
        let at = devs.child(Some(v), b"", i);
        let allow = at.get("allow");
        let ty = at.get("type");
        // -1 is Go's way of writing "any" (runc reads it so).
        let num = |name| -> R<Option<u32>> {
            let n = at.get(name).int(-1, u32::MAX as i64)?;
            Ok(n.filter(|&n| n >= 0).map(|n| n as u32))
        };
        let access = at.get("access");
        let mut bits = 0;
        for &ch in access.str()?.unwrap_or(b"rwm") {
            bits |= match ch {
                b'r' => DEV_READ,
                b'w' => DEV_WRITE,
                b'm' => DEV_MKNOD,
                _ => {
                    return Err(access.bad("'", access.need_str()?, "' is not made of r, w and m"));
                }
            };
        }
        out.devices.push(DeviceRule {
            allow: {
                allow.need(allow.v)?;
                allow.flag()?
            },
            kind: match ty.v {
                None => b'a',
                Some(_) => b"acb"[ty.pick("a c b", "device type")?],
            },
            major: num("major")?,
            minor: num("minor")?,
            access: bits,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;

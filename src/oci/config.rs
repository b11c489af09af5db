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
use crate::spec::{
    ATIME_WORDS, ATTR_WORDS, CAP_NAMES, DEV_MKNOD, DEV_READ, DEV_WRITE, HOSTNAME_MAX, IdMap,
    apply_attr, mount_attr,
};
use crate::util::json::{self, Num, Value};
use crate::util::out::Buf;
use alloc::vec::Vec;
use core::cell::Cell;
use core::mem::ManuallyDrop;
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
pub const MOUNT_OPTIONS: [&str; 5] = [
    ATTR_WORDS,
    ATIME_WORDS,
    PROPAGATION,
    IGNORED,
    "bind rbind tmpcopyup",
];

/// `personality(2)`'s `PER_LINUX32` (<linux/personality.h>; not in
/// linux-raw-sys): uname(2) reports a 32-bit machine.
const PER_LINUX32: u32 = 8;

/// Marks an [`At`] that names an object member, not an array element.
const KEY: usize = usize::MAX;

/// A place in the document: its value (None when absent or null), the way
/// up, to name it in an error (`linux.devices[3].path`), and where the
/// first error goes. Children live on the stack of the code reading them.
///
/// A reader never stops at an error: it records the first one and reads
/// on with a neutral value (0, empty), and [`Config::parse`] returns that
/// error at the end. Reading has no early exits, so no half-built value
/// is dropped at each of them: a fraction of the code of `?` everywhere.
#[derive(Clone, Copy)]
struct At<'a> {
    v: Option<&'a Value>,
    up: Option<&'a At<'a>>,
    key: &'a [u8],
    idx: usize,
    err: &'a Cell<Option<Error>>,
}

/// The largest i64 as the upper bound of [`At::num`].
const I64: u64 = i64::MAX as u64;
/// The largest u32, likewise.
const U32: u64 = u32::MAX as u64;

impl<'a> At<'a> {
    /// The member `key` (absent unless this is an object that has it, not null).
    #[inline(never)]
    fn get<'b>(&'b self, key: &'static str) -> At<'b> {
        let v = self.v.and_then(|v| v.get(key.as_bytes()));
        self.child(v, key.as_bytes(), KEY)
    }

    /// A child: element `idx` of an array, or the member `key` of an object.
    #[inline(never)]
    fn child<'b>(&'b self, v: Option<&'b Value>, key: &'b [u8], idx: usize) -> At<'b> {
        At {
            v: v.filter(|v| !v.is_null()),
            up: Some(self),
            key,
            idx,
            err: self.err,
        }
    }

    /// The elements of an array (none when absent, or not an array).
    #[inline(never)]
    fn items(&self) -> &'a [Value] {
        match self.v.map(Value::arr) {
            None => &[],
            Some(Some(a)) => a,
            Some(None) => {
                self.bad("expected an array", b"", "");
                &[]
            }
        }
    }

    /// Calls `f` on each element of an array (none when absent).
    #[inline(never)]
    fn each(&self, f: &mut dyn FnMut(&At)) {
        for (i, v) in self.items().iter().enumerate() {
            f(&self.child(Some(v), b"", i));
        }
    }

    /// The members of an object (none when absent, or not an object).
    #[inline(never)]
    fn members(&self) -> &'a [(Vec<u8>, Value)] {
        match self.v.map(Value::obj) {
            None => &[],
            Some(Some(m)) => m,
            Some(None) => {
                self.bad("expected an object", b"", "");
                &[]
            }
        }
    }

    /// Whether this is present (and an object: anything else is an error).
    fn object(&self) -> bool {
        self.members();
        self.v.is_some()
    }

    /// A string, if present.
    #[inline(never)]
    fn str(&self) -> Option<&'a [u8]> {
        let s = self.v.map(Value::str)?;
        if s.is_none() {
            self.bad("expected a string", b"", "");
        }
        s
    }

    /// A required string.
    #[inline(never)]
    fn need_str(&self) -> &'a [u8] {
        let s = self.str();
        self.need(s.is_some());
        s.unwrap_or_default()
    }

    /// A required absolute path.
    #[inline(never)]
    fn path(&self) -> Vec<u8> {
        let s = self.need_str();
        if s.first() != Some(&b'/') && self.v.is_some() {
            self.bad("'", s, "' is not an absolute path");
        }
        s.to_vec()
    }

    /// An integer from `lo` to `hi`, if present (a negative one as its
    /// two's complement: the caller casts it to its type).
    #[inline(never)]
    fn num(&self, lo: i64, hi: u64) -> Option<u64> {
        let n = match self.v? {
            Value::Num(Num::U(n)) if *n <= hi && (lo <= 0 || *n >= lo as u64) => Some(*n),
            Value::Num(Num::I(n)) if *n >= lo => Some(*n as u64),
            _ => None,
        };
        if n.is_none() {
            self.bad(
                "expected an integer from ",
                Buf::new().i(lo).s(" to ").u(hi).as_bytes(),
                "",
            );
        }
        n
    }

    /// A required integer from `lo` to `hi`.
    #[inline(never)]
    fn need_num(&self, lo: i64, hi: u64) -> u64 {
        let n = self.num(lo, hi);
        self.need(n.is_some());
        n.unwrap_or_default()
    }

    /// Records that this required value is missing, unless `present`.
    fn need(&self, present: bool) {
        if !present && self.v.is_none() {
            self.bad("missing", b"", "");
        }
    }

    /// The index in `table` (see [`find`]) of this required string; 0,
    /// with an error naming it as an unknown `what`, when it is not there.
    #[inline(never)]
    fn pick(&self, table: &str, what: &str) -> usize {
        let s = self.need_str();
        find(table, s).unwrap_or_else(|| {
            if self.v.is_some() {
                self.unknown(what, s);
            }
            0
        })
    }

    /// Member `key`: a string, copied, if present.
    #[inline(never)]
    fn text(&self, key: &'static str) -> Option<Vec<u8>> {
        self.get(key).str().map(<[u8]>::to_vec)
    }

    /// Member `key`: a required absolute path.
    #[inline(never)]
    fn path_of(&self, key: &'static str) -> Vec<u8> {
        self.get(key).path()
    }

    /// Member `key`: an array of strings (empty when absent).
    #[inline(never)]
    fn strings(&self, key: &'static str) -> Vec<Vec<u8>> {
        let at = self.get(key);
        let items = at.items();
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            out.push(at.child(Some(v), b"", i).need_str().to_vec());
        }
        out
    }

    /// Member `key`: `true` or `false`; false when absent.
    #[inline(never)]
    fn flag(&self, key: &'static str) -> bool {
        let at = self.get(key);
        let b = at.v.map(Value::bool);
        if b == Some(None) {
            at.bad("expected true or false", b"", "");
        }
        b == Some(Some(true))
    }

    /// Member `key`: an integer from `lo` to `hi`, if present.
    #[inline(never)]
    fn num_of(&self, key: &'static str, lo: i64, hi: u64) -> Option<u64> {
        self.get(key).num(lo, hi)
    }

    /// Member `key`: a required integer from `lo` to `hi`.
    #[inline(never)]
    fn need_of(&self, key: &'static str, lo: i64, hi: u64) -> u64 {
        self.get(key).need_num(lo, hi)
    }

    /// Member `key`: an error if present, a field hull cannot honour.
    #[inline(never)]
    fn refuse(&self, key: &'static str) {
        let at = self.get(key);
        if at.v.is_some() {
            at.bad("not supported by hull", b"", "");
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

    /// Records "config.json: PATH: PRE WHAT POST", unless an error came first.
    #[inline(never)]
    fn bad(&self, pre: &str, what: &[u8], post: &str) {
        let first = self.err.take();
        if first.is_some() {
            return self.err.set(first);
        }
        let mut m = Buf::new();
        m.s("config.json: ");
        self.name(&mut m);
        m.s(": ").s(pre).b(what).s(post);
        self.err.set(Some(Error::new(EXIT_RUNTIME, &m)));
    }

    /// "unknown WHAT 'NAME'".
    #[inline(never)]
    fn unknown(&self, what: &str, name: &[u8]) {
        self.bad(
            "unknown ",
            Buf::new().s(what).s(" '").b(name).s("'").as_bytes(),
            "",
        )
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

/// The propagation flags of word `n` of [`PROPAGATION`].
fn propagation(n: usize) -> u32 {
    PROPAGATION_FLAGS[n / 2 % 4] | if n % 2 == 1 { g::MS_REC } else { 0 }
}

/// "config.json: " and `parts`, as an error.
#[inline(never)]
fn fail(parts: &[&str]) -> Error {
    let mut m = Buf::new();
    m.s("config.json: ");
    for p in parts {
        m.s(p);
    }
    Error::new(EXIT_RUNTIME, &m)
}

/// `text` parsed, when it is a JSON object.
fn document(text: &[u8]) -> Result<ManuallyDrop<Value>, Error> {
    let doc = ManuallyDrop::new(json::parse(text).map_err(|e| {
        let mut m = Buf::new();
        m.s("config.json: not JSON: ").s(e.what).s(" at byte ");
        m.u(e.offset as u64);
        Error::new(EXIT_RUNTIME, &m)
    })?);
    if doc.obj().is_none() {
        return Err(fail(&["not a JSON object"]));
    }
    Ok(doc)
}

/// `text`, a JSON object read alone as `read` reads that member of
/// config.json (`exec --process FILE`, `update --resources FILE`); its
/// errors name `name` where they would name config.json.
fn alone<T>(text: &[u8], name: &[u8], read: impl FnOnce(&At) -> T) -> Result<T, Error> {
    let named = |mut e: Error| {
        let rest = e.msg.strip_prefix(b"config.json").unwrap_or(&e.msg);
        e.msg = [name, rest].concat();
        e
    };
    let doc = document(text).map_err(named)?;
    let err = Cell::new(None);
    let top = At {
        v: Some(&doc),
        up: None,
        key: b"",
        idx: KEY,
        err: &err,
    };
    let v = read(&top);
    match err.take() {
        Some(e) => Err(named(e)),
        None => Ok(v),
    }
}

impl Process {
    /// A process object alone, named `name` in errors.
    #[inline(never)]
    pub fn parse(text: &[u8], name: &[u8]) -> Result<Process, Error> {
        alone(text, name, process)
    }
}

impl Resources {
    /// A resources object alone, named `name` in errors.
    #[inline(never)]
    pub fn parse(text: &[u8], name: &[u8]) -> Result<Resources, Error> {
        alone(text, name, |at| {
            let mut r = Resources::default();
            resources(at, &mut r);
            r
        })
    }
}

impl Config {
    /// Reads `text`, the `config.json` of the bundle at `bundle` (an
    /// absolute path: relative `root.path` and bind sources are taken
    /// from it).
    #[inline(never)]
    pub fn parse(text: &[u8], bundle: &[u8]) -> Result<Config, Error> {
        // Neither the document nor a config refused half read is dropped:
        // hull's allocator takes back only its last block, so dropping
        // would free nothing and cost the drop code (the leak policy of
        // data that lives until the command exits).
        let mut doc = document(text)?;
        // Moved out whole, not copied: the profile is most of a podman config.
        let seccomp = member_mut(&mut doc, b"linux")
            .and_then(|l| member_mut(l, b"seccomp"))
            .map(|s| core::mem::replace(s, Value::Null));
        let err = Cell::new(None);
        let top = At {
            v: Some(&doc),
            up: None,
            key: b"",
            idx: KEY,
            err: &err,
        };
        let mut c = ManuallyDrop::new(Config::default());
        read(&top, bundle, &mut c);
        if let Some(s) = seccomp.filter(|s| !s.is_null()) {
            if s.obj().is_none() {
                top.get("linux")
                    .get("seccomp")
                    .bad("expected an object", b"", "");
            }
            c.seccomp = Some(s);
        }
        if let Some(e) = err.take() {
            return Err(e);
        }
        // What the namespaces make possible, checked once they are known.
        if let Some(user) = c.namespace(g::CLONE_NEWUSER) {
            // A new user namespace without maps would leave every id unmapped.
            if user.path.is_none() && (c.uid_maps.is_empty() || c.gid_maps.is_empty()) {
                return Err(fail(&[
                    "linux: a new user namespace needs uidMappings and gidMappings",
                ]));
            }
        }
        let needs = [
            (c.hostname.is_some(), 4, "hostname"),
            (c.domainname.is_some(), 4, "domainname"),
            (!c.time_offsets.is_empty(), 7, "linux.timeOffsets"),
            (!c.uid_maps.is_empty(), 5, "linux.uidMappings"),
            (!c.gid_maps.is_empty(), 5, "linux.gidMappings"),
        ];
        for (asked, ns, what) in needs {
            if asked && c.namespace(NS_FLAGS[ns]).is_none() {
                let name = NAMESPACES.split(' ').nth(ns).unwrap_or_default();
                return Err(fail(&[
                    what,
                    ": needs a ",
                    name,
                    " namespace in linux.namespaces",
                ]));
            }
        }
        Ok(ManuallyDrop::into_inner(c))
    }

    /// The `linux.namespaces` entry of the type whose `CLONE_NEW*` flag is
    /// `flag`: None when the container shares the runtime's.
    pub fn namespace(&self, flag: u32) -> Option<&Namespace> {
        self.namespaces.iter().find(|n| n.flag == flag)
    }
}

/// The whole document into `c`.
#[inline(never)]
fn read(top: &At, bundle: &[u8], c: &mut Config) {
    let ver = top.get("ociVersion");
    c.oci_version = ver.need_str().to_vec();
    if !c.oci_version.starts_with(b"1.") && ver.v.is_some() {
        ver.bad(
            "unsupported version '",
            &c.oci_version,
            "' (hull reads 1.x)",
        );
    }
    let root = top.get("root");
    root.object();
    c.root = join(bundle, root.get("path").need_str());
    c.root_readonly = root.flag("readonly");
    for (name, slot) in [
        ("hostname", &mut c.hostname),
        ("domainname", &mut c.domainname),
    ] {
        *slot = top.text(name);
        if slot.as_ref().is_some_and(|s| s.len() > HOSTNAME_MAX) {
            top.get(name).bad("longer than 64 bytes", b"", "");
        }
    }
    let p = top.get("process");
    if p.object() {
        c.process = Some(process(&p));
    }
    let mounts = top.get("mounts");
    mounts.each(&mut |m| c.mounts.push(mount(m, bundle)));
    c.hooks = hooks(&top.get("hooks"));
    let ann = top.get("annotations");
    c.annotations = map(&ann);
    if c.annotations.iter().any(|(k, _)| k.is_empty()) {
        ann.bad("empty key", b"", "");
    }
    linux(&top.get("linux"), c);
}

/// A `hooks` object: the lists indexed by [`PRESTART`]..[`POSTSTOP`].
#[inline(never)]
fn hooks(hooks: &At) -> [Vec<Hook>; 6] {
    let mut out: [Vec<Hook>; 6] = Default::default();
    hooks.object();
    for (list, name) in out.iter_mut().zip(HOOKS.split(' ')) {
        let at = hooks.get(name);
        at.each(&mut |h| {
            list.push(Hook {
                path: h.path_of("path"),
                args: h.strings("args"),
                env: h.strings("env"),
                timeout: h.num_of("timeout", 1, i32::MAX as u64).map(|t| t as u32),
            });
        });
    }
    out
}

/// The `hooks` of a config (the copy kept beside a container's record),
/// named `name` in errors.
pub fn parse_hooks(text: &[u8], name: &[u8]) -> Result<[Vec<Hook>; 6], Error> {
    alone(text, name, |top| hooks(&top.get("hooks")))
}

/// An object of strings, as (key, value) pairs in document order.
#[inline(never)]
fn map(at: &At) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    for (k, v) in at.members() {
        out.push((k.clone(), at.child(Some(v), k, KEY).need_str().to_vec()));
    }
    out
}

/// `process`.
#[inline(never)]
fn process(p: &At) -> Process {
    let user = p.get("user");
    user.object();
    let mut pr = Process {
        args: p.strings("args"),
        env: p.strings("env"),
        cwd: p.path_of("cwd"),
        uid: user.need_of("uid", 0, U32) as u32,
        gid: user.need_of("gid", 0, U32) as u32,
        umask: user.num_of("umask", 0, 0o777).map(|m| m as u32),
        terminal: p.flag("terminal"),
        no_new_privs: p.flag("noNewPrivileges"),
        oom_score_adj: p.num_of("oomScoreAdj", -1000, 1000).map(|n| n as i32),
        apparmor_profile: p.text("apparmorProfile"),
        selinux_label: p.text("selinuxLabel"),
        ..Process::default()
    };
    if pr.args.is_empty() {
        p.get("args").bad("needs one entry at least", b"", "");
    }
    for (i, e) in pr.env.iter().enumerate() {
        if !e.contains(&b'=') {
            p.get("env")
                .child(None, b"", i)
                .bad("'", e, "' is not KEY=VALUE");
        }
    }
    let groups = user.get("additionalGids");
    groups.each(&mut |g| pr.groups.push(g.need_num(0, U32) as u32));
    let size = p.get("consoleSize");
    // The spec: ignored unless there is a terminal.
    if size.object() && pr.terminal {
        let side = |key| size.need_of(key, 0, u16::MAX as u64) as u16;
        pr.console_size = Some((side("height"), side("width")));
    }
    let caps = p.get("capabilities");
    caps.object();
    for (set, name) in pr.caps.iter_mut().zip(CAP_SETS.split(' ')) {
        let list = caps.get(name);
        list.each(&mut |at| {
            let name = at.need_str();
            match name.strip_prefix(b"CAP_").and_then(|c| find(CAP_NAMES, c)) {
                Some(bit) => *set |= 1 << bit,
                None => at.unknown("capability", name),
            }
        });
    }
    let rl = p.get("rlimits");
    rl.each(&mut |at| {
        let ty = at.get("type");
        let name = ty.need_str();
        let resource = match name.strip_prefix(b"RLIMIT_").and_then(|r| find(RLIMITS, r)) {
            Some(r) => r as u32,
            None => {
                ty.unknown("rlimit", name);
                0
            }
        };
        if pr.rlimits.iter().any(|r| r.resource == resource) {
            ty.bad("'", name, "' given twice");
        }
        let r = Rlimit {
            resource,
            soft: at.need_of("soft", 0, u64::MAX),
            hard: at.need_of("hard", 0, u64::MAX),
        };
        if r.soft > r.hard {
            at.get("soft").bad("above the hard limit", b"", "");
        }
        pr.rlimits.push(r);
    });
    for name in ["scheduler", "ioPriority", "execCPUAffinity"] {
        p.refuse(name);
    }
    pr
}

/// One `mounts` entry.
#[inline(never)]
fn mount(m: &At, bundle: &[u8]) -> Mount {
    let words = m.strings("options");
    let (bind, o) = mount_options(&words).unwrap_or_else(|i| {
        let opts = m.get("options");
        opts.child(None, b"", i)
            .bad("unsupported mount option '", &words[i], "'");
        (None, MountOpts::default())
    });
    let fstype = m.text("type").unwrap_or_default();
    let mut src = m.text("source").unwrap_or_default();
    let bind = bind.or((fstype == b"bind").then_some(false));
    if bind.is_some() {
        src = join(bundle, &src);
    }
    for name in ["uidMappings", "gidMappings"] {
        m.refuse(name);
    }
    Mount {
        dst: m.path_of("destination"),
        fstype,
        src,
        bind,
        opts: o,
    }
}

/// Sorts mount options out (a later option overrides an earlier one):
/// the bind option if any (Some(recursive)) and the rest. An option hull
/// refuses is an error with its index.
#[inline(never)]
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
            o.propagation = propagation(n);
        } else if find(REFUSED, w).is_some() {
            return Err(i);
        } else if find(IGNORED, w).is_none() {
            // An attribute, in its plain form or its recursive one (`r` before it).
            let (set, clear, w) = match w.strip_prefix(b"r") {
                Some(rest) if mount_attr(w).is_none() => (&mut o.rset, &mut o.rclear, rest),
                _ => (&mut o.set, &mut o.clear, w),
            };
            match mount_attr(w) {
                Some(attr) => apply_attr(set, clear, attr),
                None => o.data.push(words[i].clone()),
            }
        }
    }
    Ok((bind, o))
}

/// `linux`.
#[inline(never)]
fn linux(l: &At, c: &mut Config) {
    l.object();
    let ns = l.get("namespaces");
    ns.each(&mut |at| {
        let ty = at.get("type");
        let flag = NS_FLAGS[ty.pick(NAMESPACES, "namespace") % 8];
        if c.namespace(flag).is_some() {
            ty.bad("'", ty.need_str(), "' given twice");
        }
        let path = at.get("path").v.map(|_| at.path_of("path"));
        c.namespaces.push(Namespace { flag, path });
    });
    for (name, maps) in [
        ("uidMappings", &mut c.uid_maps),
        ("gidMappings", &mut c.gid_maps),
    ] {
        let list = l.get(name);
        list.each(&mut |at| {
            maps.push(IdMap {
                inside: at.need_of("containerID", 0, U32) as u32,
                outside: at.need_of("hostID", 0, U32) as u32,
                count: at.need_of("size", 0, U32) as u32,
            });
        });
    }
    let devs = l.get("devices");
    devs.each(&mut |at| {
        let kind = b"cbup"[at.get("type").pick("c b u p", "device type") % 4];
        // A FIFO has no numbers; every other node must have both.
        let num = |key| match kind {
            b'p' => at.num_of(key, 0, U32).unwrap_or(0) as u32,
            _ => at.need_of(key, 0, U32) as u32,
        };
        c.devices.push(Device {
            kind,
            path: at.path_of("path"),
            major: num("major"),
            minor: num("minor"),
            mode: at.num_of("fileMode", 0, U32).map(|n| n as u32),
            uid: at.num_of("uid", 0, U32).map(|n| n as u32),
            gid: at.num_of("gid", 0, U32).map(|n| n as u32),
        });
    });
    resources(&l.get("resources"), &mut c.resources);
    c.cgroups_path = l.text("cgroupsPath");
    let escapes = |p: &Vec<u8>| p.split(|&c| c == b'/').any(|p| p == b"." || p == b"..");
    if let Some(path) = c.cgroups_path.as_ref().filter(|p| escapes(p)) {
        l.get("cgroupsPath").bad("'.' or '..' in '", path, "'");
    }
    c.sysctl = map(&l.get("sysctl"));
    let prop = l.get("rootfsPropagation");
    if prop.v.is_some() {
        c.rootfs_propagation = propagation(prop.pick(PROPAGATION, "propagation"));
    }
    for (name, list) in [
        ("maskedPaths", &mut c.masked_paths),
        ("readonlyPaths", &mut c.readonly_paths),
    ] {
        let at = l.get(name);
        at.each(&mut |p| list.push(p.path()));
    }
    let offsets = l.get("timeOffsets");
    for (k, v) in offsets.members() {
        let at = offsets.child(Some(v), k, KEY);
        let clock = match find("monotonic boottime", k) {
            Some(0) => g::CLOCK_MONOTONIC,
            Some(_) => g::CLOCK_BOOTTIME,
            None => {
                at.unknown("clock", k);
                0
            }
        };
        let secs = at.num_of("secs", i64::MIN, I64).unwrap_or(0) as i64;
        let nanos = at.num_of("nanosecs", 0, 999_999_999).unwrap_or(0) as u32;
        c.time_offsets.push((clock, secs, nanos));
    }
    let pers = l.get("personality");
    if pers.object() {
        let domain = pers
            .get("domain")
            .pick("LINUX LINUX32", "personality domain");
        c.personality = Some(if domain == 1 { PER_LINUX32 } else { 0 });
        let flags = pers.get("flags");
        if !flags.items().is_empty() {
            flags.bad("no flag is supported", b"", "");
        }
    }
    c.mount_label = l.text("mountLabel");
    for name in ["intelRdt", "netDevices", "memoryPolicy"] {
        l.refuse(name);
    }
}

/// `linux.resources`.
#[inline(never)]
fn resources(r: &At, out: &mut Resources) {
    r.object();
    let mem = r.get("memory");
    mem.object();
    let bytes = |key| mem.num_of(key, -1, I64).map(|n| n as i64);
    out.memory_limit = bytes("limit");
    out.memory_reservation = bytes("reservation");
    out.memory_swap = bytes("swap");
    let cpu = r.get("cpu");
    cpu.object();
    out.cpu_shares = cpu.num_of("shares", 0, u64::MAX);
    out.cpu_quota = cpu.num_of("quota", -1, I64).map(|n| n as i64);
    out.cpu_period = cpu.num_of("period", 0, u64::MAX);
    out.cpus = cpu.text("cpus");
    out.mems = cpu.text("mems");
    let pids = r.get("pids");
    if pids.object() {
        out.pids_limit = Some(pids.need_of("limit", -1, I64) as i64);
    }
    let devs = r.get("devices");
    devs.each(&mut |at| {
        let allow = at.get("allow");
        allow.need(false);
        let ty = at.get("type");
        // -1 is Go's way of writing "any" (runc reads it so).
        let num = |key| {
            at.num_of(key, -1, U32)
                .filter(|&n| n <= U32)
                .map(|n| n as u32)
        };
        let access = at.get("access");
        let mut bits = 0;
        for &ch in access.str().unwrap_or(b"rwm") {
            bits |= match ch {
                b'r' => DEV_READ,
                b'w' => DEV_WRITE,
                b'm' => DEV_MKNOD,
                _ => {
                    access.bad("'", access.need_str(), "' is not made of r, w and m");
                    0
                }
            };
        }
        out.devices.push(DeviceRule {
            allow: at.flag("allow"),
            kind: match ty.v {
                None => b'a',
                Some(_) => b"acb"[ty.pick("a c b", "device type") % 3],
            },
            major: num("major"),
            minor: num("minor"),
            access: bits,
        });
    });
}

#[cfg(test)]
mod tests;

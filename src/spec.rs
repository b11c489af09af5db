//! The container as data: what the user asked for, already validated.

use alloc::vec::Vec;
use core::ffi::CStr;
use linux_raw_sys::general as g;

/// Longest hostname the kernel accepts (`__NEW_UTS_LEN`).
pub const HOSTNAME_MAX: usize = 64;

/// podman's default capability set: CHOWN, DAC_OVERRIDE, FOWNER, FSETID,
/// KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT and SETFCAP
/// (bits 0 1 3 4 5 6 7 8 10 18 31). docker's also has NET_RAW (packet
/// sockets: sniffing the network namespace), MKNOD (device nodes) and
/// AUDIT_WRITE; `--cap-add` gives them back.
pub const DEFAULT_CAPS: u64 = 0x8004_05fb;

/// The capability names, in bit order (`CAP_` dropped), space-separated.
pub const CAP_NAMES: &str = "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID \
SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER \
SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE \
SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN \
SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE";

/// Mount flag words, as mount(8) and config.json's `options` take them:
/// each pair sets, then clears, the `MOUNT_ATTR_*` bit of [`ATTR_BITS`]
/// at index / 2.
pub const ATTR_WORDS: &str =
    "ro rw nosuid suid nodev dev noexec exec nodiratime diratime nosymfollow symfollow";
pub const ATTR_BITS: [u32; 6] = [
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
pub const ATIME_WORDS: &str = "relatime|atime|norelatime|nostrictatime noatime strictatime";

/// What a mount flag word does: the `MOUNT_ATTR_*` bits it sets and those
/// it clears. An atime mode clears all of `MOUNT_ATTR__ATIME` and sets its
/// own value there, as mount_setattr(2) wants. None: not a flag word.
pub fn mount_attr(w: &[u8]) -> Option<(u32, u32)> {
    use crate::util::text::find;
    if let Some(n) = find(ATTR_WORDS, w) {
        let bit = ATTR_BITS[n / 2 % 6];
        return Some(if n % 2 == 0 { (bit, 0) } else { (0, bit) });
    }
    find(ATIME_WORDS, w).map(|n| ((n as u32) << 4, g::MOUNT_ATTR__ATIME))
}

/// Applies a word's `(set, clear)` (see [`mount_attr`]) over the bits to
/// set and to clear so far: a later word overrides an earlier one.
pub fn apply_attr(set: &mut u32, clear: &mut u32, (s, c): (u32, u32)) {
    *set = (*set & !c) | s;
    *clear = (*clear & !s) | c;
}

/// One `-v SRC:DST[:ro]` or `--tmpfs DST[:OPTS]`, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// The host path to bind; None for a tmpfs.
    pub src: Option<Vec<u8>>,
    /// Where it goes, an absolute path inside the container.
    pub dst: Vec<u8>,
    pub ro: bool,
    /// Mount options: for a tmpfs, its own (`size=64m`, passed to the
    /// kernel as given) and the mount flags (`ro`, `noexec`, `nosuid`,
    /// `nodev` and their opposites); for a bind, only flags.
    pub opts: Vec<u8>,
    /// Its propagation: `MS_PRIVATE`, `MS_SLAVE` or `MS_UNBINDABLE`, with
    /// `MS_REC` for the mounts below it too; 0: the container's default
    /// (private).
    pub propagation: u32,
}

/// One environment option, in command-line order (later ones win).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Env {
    /// `-e KEY=VALUE`, or `-e KEY`: the host's value, if it has one.
    Var(Vec<u8>),
    /// `--env-file FILE`: KEY=VALUE lines (or KEY, as `-e KEY`).
    File(Vec<u8>),
}
/// One `--device HOST[:CONTAINER][:rwm]`: a host device node the container
/// may use, made at `path` in its /dev and allowed in its device policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The host's node (a path; its type and numbers are read at run time).
    pub host: Vec<u8>,
    /// Where it appears in the container: an absolute path under /dev.
    pub path: Vec<u8>,
    /// What the container may do with it: bits of [`DEV_READ`],
    /// [`DEV_WRITE`] and [`DEV_MKNOD`].
    pub access: u8,
}

/// The `outside` of a `--map-user`/`--map-group` line: the invoker's own
/// id, filled in at run time. (uid_t)-1, which is never an id.
pub const INVOKER: u32 = u32::MAX;

/// Whether `path` is a plain path under /dev: no empty, `.` or `..`
/// component, which the child would follow from the container's /dev
/// (before the switch of root: out to the host).
pub fn dev_path_ok(path: &[u8]) -> bool {
    path.len() > 5
        && path.starts_with(b"/dev/")
        && !path[5..]
            .split(|&c| c == b'/')
            .any(|c| c.is_empty() || c == b"." || c == b"..")
}

/// Indexes of [`Spec::cap_sets`].
pub const CAP_EFFECTIVE: usize = 0;
pub const CAP_PERMITTED: usize = 1;
pub const CAP_INHERITABLE: usize = 2;
pub const CAP_AMBIENT: usize = 3;

/// The namespace a sysctl `key` (no `=VALUE`) belongs to: 0 the
/// network's, 1 IPC's; None for a host-wide setting or a key that is not
/// plain words between dots (letters, digits, `_`, `-`: a `/` or a `..`
/// could walk elsewhere under /proc/sys), which no container may set.
pub fn sysctl_ns(key: &[u8]) -> Option<usize> {
    let word = |p: &[u8]| {
        !p.is_empty()
            && p.iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
    };
    if !key.split(|&c| c == b'.').all(word) {
        return None;
    }
    if key.starts_with(b"net.") {
        return Some(0);
    }
    let ipc = key.starts_with(b"fs.mqueue.")
        || key.starts_with(b"kernel.shm")
        || key.starts_with(b"kernel.msg")
        || key == b"kernel.sem";
    ipc.then_some(1)
}

/// One allow rule, as runc and docker write them ("c 1:3 rwm").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceRule {
    /// `b'c'` (char), `b'b'` (block) or `b'a'` (both).
    pub kind: u8,
    /// The major number; None for any.
    pub major: Option<u32>,
    /// The minor number; None for any.
    pub minor: Option<u32>,
    /// The access allowed: [`DEV_READ`], [`DEV_WRITE`] and [`DEV_MKNOD`]
    /// bits, which are the kernel's `BPF_DEVCG_ACC_*` values.
    pub access: u8,
}

/// Device access bits, as the device cgroup names them (`r`, `w`, `m`).
pub const DEV_READ: u8 = 2;
pub const DEV_WRITE: u8 = 4;
pub const DEV_MKNOD: u8 = 1;

/// How the container gets a namespace of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    /// A new one of its own (`--net=none`, `--ipc`, `--cgroupns`).
    Private,
    /// The host's (`--net=host`, `--ipc=host`, `--cgroupns=host`).
    Host,
    /// hull's shared, empty network namespace (the default for the
    /// network): no route to the host, joined with `setns` instead of
    /// built per start (see `netns.rs`). A private one when it cannot be had.
    Shared,
    /// An existing one, joined by fd (an OCI config's namespace `path`):
    /// see [`Spec::join`].
    Joined,
}

/// The container's seccomp filter (`--security-opt seccomp=...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seccomp {
    /// docker's default profile, compiled into hull.
    Default,
    /// No filter (`seccomp=unconfined`; `--privileged` too).
    Unconfined,
    /// A profile in docker's JSON format, read from this file.
    File(Vec<u8>),
}

/// `--stop-timeout` when not given, as `docker stop`.
pub const DEFAULT_STOP_TIMEOUT: u32 = 10;

/// One container, as the command line described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The command and its arguments; never empty once parsed.
    pub command: Vec<Vec<u8>>,
    pub hostname: Vec<u8>,
    /// The UTS namespace's NIS domain name (OCI's `domainname`); empty:
    /// left as the new namespace has it.
    pub domainname: Vec<u8>,
    /// Directory to start in (inside the new root); `/` when not given.
    pub workdir: Option<Vec<u8>>,
    /// The network namespace: hull's shared empty one by default.
    pub net: Share,
    /// The IPC and cgroup namespaces: private by default.
    pub ipc: Share,
    pub cgroupns: Share,
    /// The UTS namespace: private (`hull run` always); the host's or a
    /// joined one as an OCI config says (Kubernetes' host-network pods
    /// share the host's).
    pub uts: Share,
    /// The PID namespace: private (`hull run` always); the host's or a
    /// joined one as an OCI config says (Kubernetes' `hostPID` pods share
    /// the host's).
    pub pid: Share,
    /// A new user namespace (`-U`). Also on when any id map option is given,
    /// and (decided at run time, see `userns::maps`) whenever hull is not root.
    pub userns: bool,
    /// The gid map, then the uid map (the order they are written), as
    /// `--gid-map`/`--map-group` and `--uid-map`/`--map-user` gave them.
    pub id_maps: [Vec<IdMap>; 2],
    /// Trace each step from the parent on standard error.
    pub debug: bool,
    /// Print the plan and exit without creating anything.
    pub dry_run: bool,
    /// `--name`: recorded in the OCI state directory while it runs, for
    /// `hull exec`, `ps`, `pause`, `kill`… (a session setting).
    pub name: Option<Vec<u8>>,
    /// The container's root filesystem (a host directory); None: the host's tree.
    pub rootfs: Option<Vec<u8>>,
    /// Make the root filesystem read-only.
    pub read_only: bool,
    /// Volumes and tmpfs mounts, in the order given.
    pub volumes: Vec<Volume>,
    /// A config's own options for mounts hull makes itself (OCI's entries
    /// for /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue and /sys): the
    /// destination and the option words, as [`Volume::opts`]. Its flag
    /// words apply over hull's flags for that mount (so only `rw`, `exec`,
    /// `suid` or `dev` loosen them); its other words, if any, replace
    /// hull's filesystem options (`size=`, `mode=`...).
    pub system: Vec<(Vec<u8>, Vec<u8>)>,
    pub env: Vec<Env>,
    /// Start from the host's environment instead of an empty one.
    pub env_host: bool,
    /// `-u UID[:GID]`.
    pub user: Option<(u32, u32)>,
    /// The capabilities kept: the bounding set, and (without [`cap_sets`])
    /// the effective, permitted and inheritable ones too, for root (a
    /// non-root user keeps none, as docker does).
    ///
    /// [`cap_sets`]: Spec::cap_sets
    pub caps: u64,
    /// OCI's other four sets, as given: effective, permitted, inheritable
    /// and ambient (indexes [`CAP_EFFECTIVE`]..[`CAP_AMBIENT`]); None for
    /// docker's rule above.
    pub cap_sets: Option<[u64; 4]>,
    /// Keep every capability and leave /proc unmasked.
    pub privileged: bool,
    /// The kernel interfaces hidden, in [`MASKS`]' form;
    /// None: those (docker's). An OCI config gives its own.
    pub masks: Option<Vec<u8>>,
    /// The command's umask; None: 0022.
    pub umask: Option<u32>,
    /// The container's process waits, once its mounts are made and before
    /// its root is switched, for the parent to run hooks (OCI's `prestart`,
    /// `createRuntime` and `createContainer`).
    pub await_hooks: bool,
    /// The propagation of the container's mounts, as [`Volume::propagation`]
    /// (OCI's `rootfsPropagation`); 0: private.
    pub root_propagation: u32,
    /// A new time namespace with these clock offsets (clock id, seconds,
    /// nanoseconds); None: the host's.
    pub time_offsets: Option<Vec<(u32, i64, u32)>>,
    /// The execution domain, as personality(2) takes it (OCI's
    /// `linux.personality`: PER_LINUX or PER_LINUX32); None: hull's own.
    pub personality: Option<u32>,
    pub no_new_privs: bool,
    /// Keep hull's tiny init as PID 1 and run the command as PID 2.
    pub init: bool,
    /// Give the container a pty of its own (`-t`).
    pub tty: bool,
    /// Relay stdin to the pty (`-i`; stdin is inherited anyway without `-t`).
    pub interactive: bool,
    /// Seconds between a forwarded SIGTERM/SIGINT and SIGKILL.
    pub stop_timeout: u32,
    /// Resource limits, written to the container's own cgroup.
    pub limits: Limits,
    /// `--preserve-fds N`: fds 3 to 3+N-1 pass into the container open; every
    /// other fd above 2 is closed at its execve.
    pub preserve_fds: u32,
    /// Join a new anonymous session keyring (`--no-new-keyring`: keep the
    /// caller's, which then shares its keys with the container).
    pub new_keyring: bool,
    /// `--device`: host devices the container may use, beyond the defaults
    /// (each allowed for its `access`; an OCI config's nodes come with
    /// none, their rules being the config's).
    pub devices: Vec<Device>,
    /// Allow rules that come before the default list (docker's, which
    /// is appended after them, as runc does): an OCI config's
    /// `linux.resources.devices`. Empty for `hull run`.
    pub device_rules: Vec<DeviceRule>,
    /// `--sysctl KEY=VALUE`, in order: namespaced kernel settings written in
    /// the container's own /proc/sys before the command starts.
    pub sysctls: Vec<Vec<u8>>,
    /// The syscall filter: docker's default profile unless told otherwise.
    pub seccomp: Seccomp,
    /// The container dies with the process that started it (`hull run`);
    /// not an OCI container, which outlives `hull create`.
    pub die_with_parent: bool,
    /// An OCI container's start gate: an fd (a FIFO, read-write) on which
    /// the process waits for one byte, after its setup and before execve,
    /// until `hull start` writes it. None: it execs at once.
    pub start_gate: Option<i32>,
    /// Supplementary groups of the command (OCI `additionalGids`); none
    /// by default.
    pub groups: Vec<u32>,
    /// Mount points missing in the rootfs are made even when it is to be
    /// read-only (an OCI bundle's rootfs is the container's own copy, and
    /// runc does so); `hull run --read-only` makes nothing in an image.
    pub make_points: bool,
    /// The container's cgroups at /sys/fs/cgroup, read-only (an OCI
    /// config's `cgroup` mount), as the host lays them out.
    pub cgroup_mount: bool,
    /// Existing namespaces to join, as (an fd open on it, its
    /// `CLONE_NEW*` flag): that one is not made. The child joins each with
    /// `setns` (network, IPC, UTS, cgroup); a PID namespace is joined by
    /// the parent before the clone (it applies to children only).
    pub join: Vec<(i32, u32)>,
}

/// Resource limits, already validated, as the cgroup files take them
/// (converted per cgroup version in `cgroup.rs`); None where not asked.
/// Every container gets a cgroup of its own, limits or not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// `--memory`, in bytes.
    pub memory: Option<u64>,
    /// `--memory-swap`: memory plus swap, in bytes (at least `memory`).
    pub memory_swap: Option<u64>,
    /// `--pids`: most tasks at once.
    pub pids: Option<u64>,
    /// `--cpus`, as microseconds of CPU time per [`CPU_PERIOD`].
    pub cpu_quota: Option<u64>,
    /// `--cpu-weight`, 1..=10000 (cgroup v2's scale; 100 is the default).
    pub cpu_weight: Option<u64>,
    /// OCI's `cpu.shares`, 2..=262144 (cgroup v1's scale; runc's mapping
    /// to a cgroup2 weight).
    pub cpu_shares: Option<u64>,
    /// OCI's `memory.reservation`, in bytes: the memory the kernel
    /// reclaims from others first (cgroup2's `memory.low`, v1's soft limit).
    pub memory_low: Option<u64>,
    /// `--cpuset-cpus`, `--cpuset-mems` (OCI's `cpu.cpus`, `cpu.mems`):
    /// the lists as given ("0-3,7").
    pub cpuset_cpus: Option<Vec<u8>>,
    pub cpuset_mems: Option<Vec<u8>>,
    /// `--cgroup-parent`: where `hull-<pid>` is created, relative to each
    /// hierarchy's root (empty or `/`: the root). No `.` or `..` in it.
    pub parent: Vec<u8>,
}

/// The numeric limits of [`Limits`], in the order they are written:
/// memory comes before memory+swap, as v1 refuses a memsw limit below
/// the memory limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Knob {
    Memory,
    MemorySwap,
    Pids,
    CpuQuota,
    CpuWeight,
    CpuShares,
    MemoryLow,
}

/// The CFS period hull uses, in microseconds (the kernel's default).
pub const CPU_PERIOD: u64 = 100_000;

impl Limits {
    /// Each numeric limit with its knob, in the order they are written.
    pub fn knobs(&self) -> [(Knob, Option<u64>); 7] {
        [
            (Knob::Memory, self.memory),
            (Knob::MemorySwap, self.memory_swap),
            (Knob::Pids, self.pids),
            (Knob::CpuQuota, self.cpu_quota),
            (Knob::CpuWeight, self.cpu_weight),
            (Knob::CpuShares, self.cpu_shares),
            (Knob::MemoryLow, self.memory_low),
        ]
    }

    /// The cpuset lists with their file (the same in both versions).
    pub fn cpusets(&self) -> [(&'static str, Option<&[u8]>); 2] {
        [
            ("cpuset.cpus", self.cpuset_cpus.as_deref()),
            ("cpuset.mems", self.cpuset_mems.as_deref()),
        ]
    }

    /// Whether any limit is set, i.e. whether hull does any cgroup work.
    pub fn any(&self) -> bool {
        // Every field but the parent (a place, not a limit).
        self.memory.is_some()
            || self.memory_swap.is_some()
            || self.pids.is_some()
            || self.cpu_quota.is_some()
            || self.cpu_weight.is_some()
            || self.cpu_shares.is_some()
            || self.memory_low.is_some()
            || self.cpuset_cpus.is_some()
            || self.cpuset_mems.is_some()
    }
}

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            command: Vec::new(),
            hostname: b"container".to_vec(),
            domainname: Vec::new(),
            workdir: None,
            net: Share::Shared,
            ipc: Share::Private,
            cgroupns: Share::Private,
            uts: Share::Private,
            pid: Share::Private,
            userns: false,
            id_maps: [Vec::new(), Vec::new()],
            debug: false,
            dry_run: false,
            name: None,
            rootfs: None,
            read_only: false,
            volumes: Vec::new(),
            system: Vec::new(),
            env: Vec::new(),
            env_host: false,
            user: None,
            caps: DEFAULT_CAPS,
            cap_sets: None,
            privileged: false,
            masks: None,
            umask: None,
            personality: None,
            time_offsets: None,
            root_propagation: 0,
            await_hooks: false,
            no_new_privs: false,
            init: false,
            tty: false,
            interactive: false,
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            limits: Limits::default(),
            preserve_fds: 0,
            new_keyring: true,
            devices: Vec::new(),
            device_rules: Vec::new(),
            sysctls: Vec::new(),
            seccomp: Seccomp::Default,
            die_with_parent: true,
            start_gate: None,
            groups: Vec::new(),
            make_points: false,
            cgroup_mount: false,
            join: Vec::new(),
        }
    }
}

/// One line of an id map: `count` ids from `inside` (in the container) map
/// to `count` ids from `outside` (in hull's own user namespace).
/// `outside` is [`INVOKER`] for `--map-user`/`--map-group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdMap {
    pub inside: u32,
    pub outside: u32,
    pub count: u32,
}

// Docker's defaults for a container with a root of its own: the planner
// applies them; they are the spec's choices (`Spec::masks` replaces the
// masks), not the planner's.

/// What `/dev` holds in a container with its own root: these nodes
/// (name, major, minor), made with mknod in its own tmpfs when hull is root
/// outside any user namespace, else bound from the host's `/dev` (a user
/// namespace may not mknod, and a bind there cannot change the host's
/// inode: the container's root is not the host's) ...
pub const DEV_NODES: [(&CStr, u32, u32); 6] = [
    (c"null", 1, 3),
    (c"zero", 1, 5),
    (c"full", 1, 7),
    (c"random", 1, 8),
    (c"urandom", 1, 9),
    (c"tty", 5, 0),
];
/// ... and these symlinks (name, target).
pub const DEV_LINKS: [(&CStr, &CStr); 5] = [
    (c"ptmx", c"pts/ptmx"),
    (c"fd", c"/proc/self/fd"),
    (c"stdin", c"/proc/self/fd/0"),
    (c"stdout", c"/proc/self/fd/1"),
    (c"stderr", c"/proc/self/fd/2"),
];

/// Kernel interfaces hidden from the container, as docker and the OCI
/// runtimes do by default. `D`: a directory covered with an empty read-only
/// tmpfs; `N`: a file covered with /dev/null; `R`: made read-only. Each is
/// looked up in the container's fresh proc or sysfs with no symlink; one
/// this kernel lacks is skipped, any other failure stops the start.
pub const MASKS: &str = "D/proc/asound D/proc/acpi D/proc/scsi D/sys/firmware \
D/sys/devices/virtual/powercap N/proc/kcore N/proc/keys N/proc/latency_stats \
N/proc/timer_list N/proc/timer_stats N/proc/sched_debug \
R/proc/bus R/proc/fs R/proc/irq R/proc/sys R/proc/sysrq-trigger";

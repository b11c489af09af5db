//! Spec -> Plan: everything the child needs, prepared before the clone.
//!
//! The plan is a list of operations that the child walks in order, plus the
//! execve arguments. Every C string, path and flag is built here, in the
//! parent, so the child only makes syscalls. Plans can be printed
//! (`--dry-run`, `--debug`) and are unit-tested without root.

pub mod filter;

use crate::devices::{self, Rule};
use crate::error::Error;
use crate::netns;
use crate::resolve;
use crate::rootfs;
use crate::seccomp::{Profile, SockFilter};
use crate::spec::{DEV_LINKS, DEV_NODES, MASKS, Share, Spec};
use crate::sys::{CStrArray, SigSet, Trace};
use crate::userns::{self, Maps};
use crate::util::cstr::{cstr, cstrs};
use crate::util::out::Buf;
use alloc::ffi::CString;
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::CStr;
use core::mem::ManuallyDrop;
use linux_raw_sys::general as g;

/// One setup step of the child, in the order the plan lists them.
#[derive(Debug, PartialEq, Eq)]
pub enum Op {
    /// `prctl(PR_SET_PDEATHSIG, SIGKILL)`, then a check that the parent has
    /// not already died (the report channel hung up): the container dies with
    /// hull, and killing PID 1 takes down the whole PID namespace. First, and
    /// again after the last change of credentials, which clears it.
    DieWithParent,
    /// `mount(NULL, "/", NULL, MS_REC|MS_PRIVATE)`: nothing mounted later
    /// leaks out. `MS_REC|MS_SLAVE` instead where a mount asks to be a
    /// slave: the host's mounts still propagate in, none out.
    PrivateMounts(u32),
    /// `mount(NULL, "/", NULL, flags)` once the root is switched: the
    /// config's `rootfsPropagation` on the container's own root.
    RootPropagation(u32),
    /// `open_tree(OPEN_TREE_CLONE|AT_RECURSIVE)` of a shared volume's
    /// source, before [`Op::PrivateMounts`]: a copy of a shared mount
    /// joins its peer group, so the copy is a peer of the host's mount,
    /// which the container's own copy of the host's tree no longer is once
    /// private. Kept detached, as tree `n`, for the volume's mount
    /// ([`Source::Tree`]).
    Detach(Place, u8),
    /// `sethostname(name)`.
    Hostname(Vec<u8>),
    /// `setdomainname(name)`.
    Domainname(Vec<u8>),
    /// Bring the new network namespace's `lo` up.
    LoopbackUp,
    /// `setns(fd, CLONE_NEWNET)`: join hull's shared, empty network
    /// namespace (the fd the parent opened).
    JoinNetns(i32),
    /// `setns(fd, flag)`: join an existing namespace (see [`Spec::join`]).
    JoinNs(i32, u32),
    /// `exec`'s way into a running container: `prctl(PR_SET_DUMPABLE, 0)`
    /// first (once in, its processes must not open this hull's
    /// `/proc/PID/exe`, the host's binary, nor ptrace it: CVE-2019-5736;
    /// execve makes the command dumpable again), then `setns(pidfd, flags)`
    /// into all of the container's namespaces that are not hull's own, but
    /// PID (Linux 5.8); where the kernel takes no pidfd (EINVAL), each
    /// namespace file the parent opened, the user namespace first. Joining
    /// the mount namespace puts the process at the container's root.
    Enter(i32, u32, Vec<(i32, u32)>),
    /// `keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)`: a new, empty session
    /// keyring, so the caller's keys stay out of reach.
    NewKeyring,
    /// `personality(persona)`: the execution domain the command runs in.
    Personality(u32),
    /// `chdir(dir)`.
    Chdir(CString),
    /// The container's root, kept as an fd that every later path inside it
    /// is resolved from (slot [`Slot::Root`]). With a rootfs (its canonical
    /// host path): opened with no symlink on the way, checked to be the
    /// directory the parent examined (device and inode), and bound onto
    /// itself as a mount of its own (for pivot_root); else the host's `/`.
    Root(Option<CString>, (u64, u64)),
    /// A mount, made detached and attached onto its resolved target.
    Mount(Mount),
    /// `mknodat(/dev, name, mode, rdev)` and `fchmodat(mode)` (past the
    /// umask): a device node in the container's own /dev tmpfs.
    Node(CString, u32, u64),
    /// `mkdirat(/dev, name)`: a directory for a `--device` node.
    DevDir(CString),
    /// `symlinkat(target, /dev, name)`.
    Symlink(&'static CStr, CString),
    /// Write `value` to the sysctl file `path` (under `/proc/sys`, resolved
    /// in the container's own /proc with no symlink).
    Sysctl(Place, Vec<u8>),
    /// `--read-only`: `mount_setattr(MOUNT_ATTR_RDONLY)` on the root's own
    /// mount (not those on it), through its fd.
    ReadOnlyRoot,
    /// Switch to the new root: `fchdir(root)`, `pivot_root(".", ".")`,
    /// `umount2(".", MNT_DETACH)`, `chdir("/")` (MS_MOVE + chroot in an
    /// initramfs). The path is the rootfs's, for messages.
    PivotRoot(CString),
    /// `prctl(PR_CAPBSET_DROP)` for each capability not in the mask.
    DropBounding(u64),
    /// `setgroups(0, NULL)`, `setresgid(gid)`, `setresuid(uid)`.
    User(u32, u32),
    /// The same with supplementary groups: `setgroups(groups)`.
    UserGroups(u32, u32, Vec<rustix::process::Gid>),
    /// `capset`: the effective, permitted and inheritable sets (indexes
    /// as [`crate::spec::Spec::cap_sets`]'), then the ambient set cleared
    /// and raised to the fourth.
    Caps([u64; 4]),
    /// `prctl(PR_SET_KEEPCAPS, 1)`: the permitted set survives the change
    /// to a non-root user that comes next (execve clears the flag).
    KeepCaps,
    /// `prctl(PR_SET_NO_NEW_PRIVS, 1)`.
    NoNewPrivs,
    /// `seccomp(SECCOMP_SET_MODE_FILTER)` with the program compiled by the
    /// parent; the text says which profile, for messages and `--dry-run`.
    Seccomp(Program, Vec<u8>),
    /// Tell the parent that the setup is done (a [`crate::child::READY_STEP`]
    /// report), then block until one byte can be read from this fd: an OCI
    /// container's wait for `start` (see [`crate::spec::Spec::start_gate`]).
    AwaitStart(i32),
    /// Tell the parent the mounts are made (a [`crate::child::HOOKS_STEP`]
    /// report), then block until it has run its hooks and sent one byte
    /// on the channel (see [`crate::spec::Spec::await_hooks`]).
    AwaitHooks,
    /// Block until the parent has done its part of the setup from outside
    /// (id maps, a cgroup join) and sent one byte on the channel. A plan
    /// holds at most one, placed before the first step that depends on it.
    AwaitParent,
    /// `-t`: `setsid()`: a session of its own, which can take a pty.
    NewSession,
    /// Without `-t`: leave the controlling terminal (`ioctl(TIOCNOTTY)` on
    /// `/dev/tty`), so the container cannot reach the host's terminal with
    /// TIOCSTI (CVE-2017-5226); then `setpgid(0, 0)`, so that keys on that
    /// terminal signal hull (which forwards them), not the container too.
    /// `setsid()` if the terminal cannot be left that way.
    LeaveTerminal,
    /// `-t`: open `/dev/ptmx` (the container's own devpts with a rootfs, so
    /// `tty` names a /dev/pts entry that exists inside; else the host's),
    /// unlock it, size it (rows, columns, pixels: set at run time), send the
    /// master to the parent (SCM_RIGHTS on the report channel), and make its
    /// slave (by TIOCGPTPEER: no path) the controlling terminal
    /// (`ioctl(TIOCSCTTY)`) and stdin, stdout and stderr.
    Terminal([u16; 4]),
    /// `--init`: fork; the parent stays PID 1 as hull's init, the child (PID 2)
    /// goes on with the next steps and runs the command.
    Init,
    /// In PID 2: `setpgid(0, 0)` (the init signals the whole group), and with
    /// a terminal, `tcsetpgrp` to make that group the foreground one.
    OwnGroup { foreground: bool },
    /// `unshare(CLONE_NEWCGROUP)`, once the child is in its own cgroup
    /// (born there, or joined from outside), so the namespace's root is the
    /// container's own group and not hull's.
    UnshareCgroupNs,
}

/// The fds the child keeps while it sets up mounts: paths of a step are
/// resolved from one of them, never from a string looked up twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Not an fd: an absolute host path (a volume's source, `/sys`).
    Host,
    /// The container's root (see [`Op::Root`]).
    Root,
    /// The container's own /proc, /sys and /dev mounts, once made.
    Proc,
    Sys,
    Dev,
}

/// What a mount point must be, and how it is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// /proc, /sys, /dev and its submounts: a directory reached with no
    /// symlink on the way, created when missing (runc and crun refuse a
    /// /proc that is a symlink too: the masks would land elsewhere).
    System,
    /// A path of the fresh proc or sysfs to hide: no symlink; a path this
    /// kernel does not have (ENOENT) is skipped, nothing is created.
    Mask,
    /// A volume's mount point: symlinks are followed, but only inside the
    /// root (`RESOLVE_IN_ROOT`); what is missing is created, a directory,
    /// or for a file source a file (`Kind::File`).
    Dir,
    File,
}

/// A path resolved by the child from one of its [`Slot`]s.
#[derive(Debug, PartialEq, Eq)]
pub struct Place {
    pub slot: Slot,
    /// The path as the user knows it (the container's, or the host's for
    /// [`Slot::Host`]), which messages name.
    pub path: CString,
    /// How many leading bytes of `path` name the slot itself: what follows
    /// is looked up from its fd.
    pub skip: usize,
}

impl Place {
    /// The part of the path looked up from the slot's fd.
    pub fn rel(&self) -> &CStr {
        let b = self.path.to_bytes_with_nul();
        CStr::from_bytes_with_nul(b.get(self.skip..).unwrap_or(b)).unwrap_or(c".")
    }
}

/// Where a mount comes from.
#[derive(Debug, PartialEq, Eq)]
pub enum Source {
    /// A new filesystem of this type, with `fsconfig` options
    /// (`key=value`, or a bare key).
    Fs(&'static CStr, Vec<(CString, Option<CString>)>),
    /// A copy of the mount tree at a place (no symlink on the way), the
    /// mounts below it too when `recursive`.
    Bind(Place, bool),
    /// The tree [`Op::Detach`] kept as `n` (recursive).
    Tree(u8),
}

/// Most volumes with shared propagation a container may have: the child
/// keeps their trees in a fixed array (it never allocates).
pub const MAX_SHARED: usize = 4;

/// One mount, everything prepared: `src` is made as a detached mount, its
/// attributes set, and attached onto `target`, resolved once.
#[derive(Debug, PartialEq, Eq)]
pub struct Mount {
    /// How errors name this step: "mount proc on", "bind-mount volume on"...
    pub step: &'static str,
    pub src: Source,
    pub target: Place,
    pub kind: Kind,
    /// Whether a missing mount point may be created (not in the host's
    /// tree, nor in a read-only root).
    pub create: bool,
    /// `MOUNT_ATTR_*` set on the new mount (and below it, for a recursive bind).
    pub attrs: u32,
    /// `MOUNT_ATTR_*` cleared on a bound copy (`rw`, `suid`, `exec`...; all
    /// of `MOUNT_ATTR__ATIME` when `attrs` holds an atime mode); a new
    /// filesystem starts without them.
    pub clear: u32,
    /// Keep the new mount's fd in this slot, for the steps inside it.
    pub save: Option<Slot>,
    /// A source that does not exist is skipped (a /dev node a bare
    /// initramfs lacks).
    pub optional: bool,
    /// The propagation set once it is attached (see
    /// [`crate::spec::Volume::propagation`]); 0: as made.
    pub propagation: u32,
}

impl Op {
    /// The syscall and the object it acts on, as error messages name them.
    pub fn step(&self) -> (&'static str, &[u8]) {
        match self {
            Op::DieWithParent => ("prctl PR_SET_PDEATHSIG", b"SIGKILL"),
            Op::NewSession => ("setsid", b""),
            Op::LeaveTerminal => ("leave the terminal: ioctl TIOCNOTTY", b"/dev/tty"),
            Op::Terminal(_) => ("open a pty:", b"/dev/ptmx"),
            Op::Init => ("init: fork", b"PID 2"),
            Op::OwnGroup { foreground } => (
                if *foreground {
                    "setpgid, tcsetpgrp"
                } else {
                    "setpgid"
                },
                b"",
            ),
            Op::PrivateMounts(f) if f & g::MS_SLAVE != 0 => {
                ("make mounts slaves: mount --make-rslave", b"/")
            }
            Op::PrivateMounts(_) => ("make mounts private: mount --make-rprivate", b"/"),
            Op::AwaitHooks => (
                "wait for the hooks",
                b"prestart, createRuntime, createContainer",
            ),
            Op::RootPropagation(_) => ("set the root's propagation: mount", b"/"),
            Op::Detach(src, _) => (
                "copy a shared volume's source: open_tree",
                src.path.to_bytes(),
            ),
            Op::Hostname(h) => ("sethostname", h),
            Op::Domainname(d) => ("setdomainname", d),
            Op::LoopbackUp => ("bring up loopback: ioctl SIOCSIFFLAGS", b"lo"),
            Op::JoinNetns(_) => ("join the shared network namespace: setns", netns::NETNS),
            Op::JoinNs(..) => ("join a namespace of the config: setns", b""),
            Op::Enter(..) => ("join the container's namespaces: setns", b""),
            Op::NewKeyring => (
                "new session keyring: keyctl",
                b"KEYCTL_JOIN_SESSION_KEYRING",
            ),
            Op::Personality(p) => (
                "set the execution domain: personality",
                if *p == 0 {
                    b"PER_LINUX"
                } else {
                    b"PER_LINUX32"
                },
            ),
            Op::Chdir(d) => ("chdir", d.to_bytes()),
            Op::Root(Some(r), _) => ("bind the rootfs onto itself", r.to_bytes()),
            Op::Root(None, _) => ("open the root", b"/"),
            Op::Mount(m) => (m.step, m.target.path.to_bytes()),
            Op::Node(n, ..) => ("create device node: mknodat /dev/", n.to_bytes()),
            Op::DevDir(n) => ("create device directory: mkdirat /dev/", n.to_bytes()),
            Op::Symlink(_, p) => ("symlink /dev/", p.to_bytes()),
            Op::Sysctl(p, _) => ("write sysctl", p.path.to_bytes()),
            Op::ReadOnlyRoot => ("make the root read-only: mount_setattr", b"/"),
            Op::PivotRoot(r) => ("switch root: pivot_root", r.to_bytes()),
            Op::DropBounding(_) => ("drop capabilities: prctl PR_CAPBSET_DROP", b""),
            Op::User(..) | Op::UserGroups(..) => ("set user: setgroups, setresgid, setresuid", b""),
            Op::Caps(_) => ("set capabilities: capset", b""),
            Op::KeepCaps => ("keep capabilities: prctl PR_SET_KEEPCAPS", b""),
            Op::NoNewPrivs => ("prctl PR_SET_NO_NEW_PRIVS", b""),
            Op::Seccomp(_, what) => (
                "install the seccomp filter: seccomp SECCOMP_SET_MODE_FILTER",
                what,
            ),
            Op::AwaitParent => ("wait for the parent", b""),
            Op::AwaitStart(_) => ("wait for start: read", b"exec.fifo"),
            Op::UnshareCgroupNs => ("unshare", b"CLONE_NEWCGROUP"),
        }
    }
}

/// A compiled seccomp filter (the kernel's `struct sock_filter` array).
#[derive(Debug)]
pub struct Program(pub Vec<SockFilter>);

impl PartialEq for Program {
    fn eq(&self, o: &Program) -> bool {
        let key = |f: &SockFilter| (f.code, f.jt, f.jf, f.k);
        self.0.len() == o.0.len() && self.0.iter().zip(&o.0).all(|(a, b)| key(a) == key(b))
    }
}

impl Eq for Program {}

const RDONLY: u32 = g::MOUNT_ATTR_RDONLY;
const NOSUID: u32 = g::MOUNT_ATTR_NOSUID;
const NODEV: u32 = g::MOUNT_ATTR_NODEV;
const NOEXEC: u32 = g::MOUNT_ATTR_NOEXEC;
const SAFE: u32 = NOSUID | NODEV | NOEXEC;

/// Everything [`Plan::build`] needs besides the spec: what the parent
/// learnt of the host (gathered by [`Facts::gather`], which is the only
/// part of planning that looks at the system), and what the launcher
/// decided for this start (the signal mask, the terminal's size, the
/// trace page, how the cgroup is joined), set before the plan is built:
/// nothing patches a plan afterwards.
#[derive(Default)]
pub struct Facts {
    /// Whether the container gets a user namespace: asked for, or hull
    /// is not root (see [`userns::maps`]).
    pub userns: bool,
    /// The id maps the parent writes for it (leaked, as the paths).
    pub maps: Option<&'static Maps>,
    /// The rootfs as a canonical host path (leaked, as the plan's paths).
    pub root: Option<&'static [u8]>,
    /// The rootfs directory's (device, inode), which the child checks.
    pub root_id: (u64, u64),
    /// For each of [`Spec::volumes`], in order: a bind's source as a
    /// canonical host path and whether it is a directory; None for a tmpfs.
    pub volumes: Vec<Option<(&'static [u8], bool)>>,
    /// The shared network namespace's fd, when the container joins it.
    pub netns: Option<i32>,
    /// Each `--device`'s host node: its file type bits and device number.
    pub devices: Vec<(u32, u64)>,
    /// How many fds from 3 up pass into the container open.
    pub keep_fds: u32,
    /// The seccomp profile and what to call it, when there is a filter.
    pub profile: Option<(Profile, Vec<u8>)>,
    /// The host's cgroup hierarchies under /sys/fs/cgroup, for
    /// [`Spec::cgroup_mount`]: (the path below it, cgroup2, the options).
    pub cgroups: Vec<(Vec<u8>, bool, Vec<u8>)>,
    /// The executable, resolved as execvp would, and the final
    /// environment (leaked, as the paths: the plan points into them).
    pub exe: &'static CStr,
    pub env: &'static [CString],
    /// The mount points a start would make in the rootfs.
    pub made: &'static [Vec<u8>],
    /// The signal mask hull started with (see [`Plan::sigmask`]).
    pub sigmask: SigSet,
    /// The size the child gives the pty it opens (see [`Op::Terminal`]).
    pub terminal: [u16; 4],
    /// Where `hull bench` wants timestamps.
    pub trace: Option<Trace>,
    /// How the child gets into its cgroups.
    pub join: Join,
}

/// How the child gets into the container's cgroups. Where the parent
/// joins it from outside, the child waits for the join before its first
/// step, so nothing runs unlimited.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// Born in its cgroup2 group (`CLONE_INTO_CGROUP`), or no cgroup.
    #[default]
    AtClone,
    /// Born in the cgroup2 group; the parent joins the v1 groups.
    AlsoOutside,
    /// The kernel refused the clone into it (before 5.7, or a seccomp
    /// filter): the parent joins every group.
    Outside,
}

impl Join {
    /// The way into `cgroup` when the kernel takes CLONE_INTO_CGROUP:
    /// its v1 groups (if any) are joined from outside.
    pub fn of(cgroup: Option<&crate::cgroup::Cgroup>) -> Join {
        match cgroup.is_some_and(crate::cgroup::Cgroup::has_v1) {
            true => Join::AlsoOutside,
            false => Join::AtClone,
        }
    }
}

impl Facts {
    /// Looks at the filesystem and the invoker for a start of `spec`: who
    /// runs hull (the user namespace and its maps; a map this invoker may
    /// not write is refused first), the rootfs and volume sources
    /// (canonical paths), the device nodes, the fds to pass, the host's
    /// cgroup layout, the seccomp profile, the shared network namespace,
    /// the environment, the command (resolved as execvp would) and the
    /// mount points a start would make. The launcher's own facts keep
    /// their defaults.
    pub fn gather(spec: &Spec, env: &[&CStr]) -> Result<Facts, Error> {
        let uid = rustix::process::geteuid().as_raw();
        let gid = rustix::process::getegid().as_raw();
        let maps = userns::maps(spec, uid, gid)?;
        let mut facts = Facts {
            userns: spec.userns || maps.is_some(),
            maps: maps.map(|m| &*alloc::boxed::Box::leak(alloc::boxed::Box::new(m))),
            ..Facts::default()
        };
        let root = match &spec.rootfs {
            Some(r) => Some(rootfs::open(r, "rootfs", true)?),
            None => None,
        };
        if let Some(r) = &root {
            if r.path == b"/" {
                // It cannot be switched to (pivot_root: EBUSY), and it
                // would isolate nothing: the container would be the host.
                return Err(Error::new(
                    crate::error::EXIT_RUNTIME,
                    Buf::new().s("--rootfs /: that is the host's root; leave --rootfs out to run in the host's tree"),
                ));
            }
            facts.root_id = r.id;
            facts.root = Some(r.path);
        }
        for v in &spec.volumes {
            // Checked here, so that a typo is one clear line and nothing is
            // created; the canonical path is what the child binds.
            facts.volumes.push(match &v.src {
                Some(src) => {
                    let s = rootfs::open(src, "volume source", false)?;
                    if v.propagation & g::MS_SHARED != 0 && !on_shared_mount(s.path) {
                        // Its copy would be a peer of nothing: mounts would
                        // cross neither way, which shared does not mean.
                        return Err(Error::new(
                            crate::error::EXIT_RUNTIME,
                            Buf::new()
                                .s("volume source ")
                                .b(s.path)
                                .s(": shared propagation needs a shared mount there (mount --make-shared)"),
                        ));
                    }
                    Some((s.path, s.dir))
                }
                None => None,
            });
        }
        for d in &spec.devices {
            facts.devices.push(rootfs::device(&d.host)?);
        }
        facts.keep_fds = spec.preserve_fds.max(crate::env::listen_fds(env));
        if spec.cgroup_mount {
            facts.cgroups = cgroup_layout();
        }
        facts.profile = filter::profile(spec)?;
        // The shared network namespace is the host's root's: a user
        // namespace cannot join it (it gets one of its own instead).
        if spec.net == Share::Shared && !facts.userns {
            facts.netns = crate::netns::open(!spec.dry_run);
        }
        // Leaked: it lives until exit, as the paths (48 bytes of drop code).
        let envv = crate::env::build(spec, env)?.leak();
        let path_var = crate::env::lookup(envv.iter().map(|e| &e[..]), b"PATH");
        facts.exe = leak(resolve::command(
            root.as_ref(),
            spec.command.first().map_or(&[][..], |c| c),
            path_var,
            spec.workdir.as_deref(),
        )?);
        facts.env = cstrs(envv).leak();
        if let Some(r) = root.as_ref().filter(|_| creates(spec)) {
            // What the child will make (volumes' mount points, and /proc,
            // /sys, /dev where the image lacks them).
            let mut dsts: Vec<&[u8]> = alloc::vec![b"/proc", b"/sys", b"/dev"];
            dsts.extend(spec.volumes.iter().map(|v| &v.dst[..]));
            facts.made = rootfs::missing(r, &dsts).leak();
        }
        Ok(facts)
    }
}

/// A C string that lives until hull exits, as the paths.
pub fn leak(s: CString) -> &'static CStr {
    alloc::boxed::Box::leak(s.into_boxed_c_str())
}

/// Whether a start may create mount points in the rootfs: not in a
/// read-only one, unless asked to ([`Spec::make_points`]).
fn creates(spec: &Spec) -> bool {
    !spec.read_only || spec.make_points
}

/// Builds the op list, appending to a plan under construction.
struct Ops {
    /// Never dropped, as the plan's (on an error too: no drop code).
    ops: ManuallyDrop<Vec<Op>>,
    /// Mount points may be created (a rootfs that is not read-only).
    create: bool,
}

impl Ops {
    fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    /// A mount of `src` onto `target`, with attributes `attrs`.
    fn mount(
        &mut self,
        step: &'static str,
        src: Source,
        target: Place,
        kind: Kind,
        attrs: u32,
        save: Option<Slot>,
    ) {
        // Inside our own /dev tmpfs a point may always be made; elsewhere
        // only in a writable rootfs; a mask never makes anything.
        let create = (self.create || target.slot == Slot::Dev) && kind != Kind::Mask;
        self.push(Op::Mount(Mount {
            step,
            src,
            target,
            kind,
            create,
            attrs,
            clear: 0,
            save,
            optional: false,
            propagation: 0,
        }));
    }
}

impl Ops {
    /// The device node `rel` (a path under /dev): made with mknod when hull
    /// is root outside a user namespace, else the host's node `host` bound
    /// (`optional`: skipped when the host lacks it).
    fn node(
        &mut self,
        userns: bool,
        host: &[u8],
        rel: &[u8],
        mode: u32,
        rdev: u64,
        optional: bool,
    ) {
        if !userns {
            return self.push(Op::Node(cstr(rel), mode, rdev));
        }
        self.mount(
            "bind-mount device on",
            Source::Bind(place(Slot::Host, host, 0), false),
            place(Slot::Dev, &[b"/dev/", rel].concat(), 5),
            Kind::File,
            0,
            None,
        );
        if let Some(Op::Mount(m)) = self.ops.last_mut() {
            m.optional = optional;
        }
    }
}

/// A `--tmpfs` mount's options, split: the mount flags (`ro`, `noexec`,
/// `nosuid`, `nodev`, `noatime`, `nosymfollow`...) become attributes of
/// the mount, the rest (`size=64m`, `mode=1777`) go to tmpfs. nosuid and
/// nodev unless `suid` or `dev` say otherwise.
fn tmpfs(opts: &[u8]) -> (Source, u32) {
    let (rest, attrs, _) = mount_flags(opts, NOSUID | NODEV);
    (fs(c"tmpfs", &rest), attrs)
}

/// Mount options split into the flag words among them (see
/// [`crate::spec::mount_attr`]), applied over `set`, and the rest (a
/// filesystem's own options), comma-separated. Returns the rest and the
/// `MOUNT_ATTR_*` bits to set and to clear.
fn mount_flags(opts: &[u8], mut set: u32) -> (Vec<u8>, u32, u32) {
    let mut rest = Vec::new();
    let mut clear = 0;
    for o in opts.split(|&c| c == b',') {
        match crate::spec::mount_attr(o) {
            Some(attr) => crate::spec::apply_attr(&mut set, &mut clear, attr),
            None => {
                rest.extend_from_slice(o);
                rest.push(b',');
            }
        }
    }
    (rest, set, clear)
}

/// A [`Place`]: `path` (a C string is made of it), of which the first
/// `skip` bytes name `slot`.
fn place(slot: Slot, path: &[u8], skip: usize) -> Place {
    Place {
        slot,
        path: cstr(path),
        skip,
    }
}

/// A new filesystem of type `fstype` with options `opts` (`key=value` or
/// `key`, comma-separated, as mount(8) takes them).
/// The host's cgroup hierarchies under /sys/fs/cgroup, as
/// [`Facts::cgroups`] holds them; none if mountinfo cannot be read.
fn cgroup_layout() -> Vec<(Vec<u8>, bool, Vec<u8>)> {
    let mi = crate::util::file::read_file(b"/proc/self/mountinfo").unwrap_or_default();
    let mut v = Vec::new();
    for l in crate::util::mountinfo::lines(&mi) {
        let v2 = l.fstype == b"cgroup2";
        let Some(rest) = l.point.strip_prefix(b"/sys/fs/cgroup") else {
            continue;
        };
        if !(v2 || l.fstype == b"cgroup") || !(rest.is_empty() || rest.starts_with(b"/")) {
            continue;
        }
        // Options that name the hierarchy (its controllers, `name=`,
        // `noprefix`...), not those of the mount or hull's to decide.
        let mut opts = Vec::new();
        for o in l.options.split(|&c| c == b',') {
            if !v2 && !matches!(o, b"rw" | b"ro") && !o.starts_with(b"release_agent=") {
                opts.extend_from_slice(o);
                opts.push(b',');
            }
        }
        v.push((rest.to_vec(), v2, opts));
    }
    v
}

/// The container's cgroups at /sys/fs/cgroup, read-only, laid out as the
/// host's: one cgroup2 there, or a tmpfs with each hierarchy in it. In the
/// container's cgroup namespace (made before: `Op::UnshareCgroupNs`),
/// each shows its own group as the root.
fn cgroup_mounts(o: &mut Ops, layout: &[(Vec<u8>, bool, Vec<u8>)]) {
    let at = |rest: &[u8]| place(Slot::Sys, &[&b"/sys/fs/cgroup"[..], rest].concat(), 5);
    if !layout.iter().any(|(rest, ..)| rest.is_empty()) && !layout.is_empty() {
        o.mount(
            "mount tmpfs on",
            fs(c"tmpfs", b"mode=755,size=64k"),
            at(b""),
            Kind::System,
            SAFE,
            None,
        );
    }
    for (rest, v2, opts) in layout {
        let (t, step): (&'static CStr, _) = match v2 {
            true => (c"cgroup2", "mount cgroup2 on"),
            false => (c"cgroup", "mount cgroup on"),
        };
        o.mount(
            step,
            fs(t, opts),
            at(rest),
            Kind::System,
            SAFE | RDONLY,
            None,
        );
    }
}

fn fs(fstype: &'static CStr, opts: &[u8]) -> Source {
    // The source mount(8) and /proc/mounts show: the type, as docker's.
    let mut v = vec![(cstr(b"source"), Some(fstype.into()))];
    for o in opts.split(|&c| c == b',').filter(|o| !o.is_empty()) {
        let mut val = o;
        let key = crate::util::text::tok(&mut val, b'=');
        let has = o.contains(&b'=');
        v.push((cstr(key), has.then(|| cstr(val))));
    }
    Source::Fs(fstype, v)
}

/// Everything the child needs, prepared. The steps, the executable and its
/// arrays are never dropped: they live until hull exits (or execs), as the
/// paths they were made from, and no drop code is spent on them (208 bytes).
pub struct Plan {
    /// Namespace flags for the one clone3 (CLONE_NEW*).
    pub clone_flags: u64,
    pub ops: ManuallyDrop<Vec<Op>>,
    /// The resolved executable.
    pub exe: &'static CStr,
    pub argv: ManuallyDrop<CStrArray>,
    pub envp: ManuallyDrop<CStrArray>,
    /// The signal mask hull started with, restored just before execve (the
    /// parent blocks the signals it forwards before the clone, and a blocked
    /// mask survives execve). Set at run time.
    pub sigmask: SigSet,
    /// The file mode creation mask the command starts with (set just
    /// before execve, so hull's caller's never crosses).
    pub umask: u32,
    /// The id maps the parent writes for the user namespace, if there is one.
    pub userns: Option<&'static Maps>,
    /// Where `hull bench` wants timestamps (see [`crate::child::T_CHILD`]);
    /// None for `hull run`.
    pub trace: Option<Trace>,
    /// How many fds from 3 up pass into the container open (see
    /// `run::close_inherited`).
    pub keep_fds: u32,
    /// How the child gets into its cgroups (see [`Join`]).
    pub join: Join,
    /// A time namespace for the child: the offsets the parent writes to
    /// /proc/self/timens_offsets after `unshare(CLONE_NEWTIME)`, before
    /// the clone (a process born in it can no longer change them).
    pub timens: Option<Vec<u8>>,
    /// The mount points this start will make in the rootfs, for a failed
    /// start to remove (see [`Plan::unmake`]).
    pub made: &'static [Vec<u8>],
    /// The device allow list the parent gives the container's cgroup
    /// (docker's, and each `--device`); None where none applies: with
    /// `--privileged`, and in a user namespace, where device nodes are
    /// only the host's own, bound, and no new one can be made.
    pub devices: Option<Vec<Rule>>,
}

impl Plan {
    /// The plan for `spec` on a host that `facts` describes. Pure: every
    /// look at the system is in [`Facts::gather`], so the same inputs give
    /// the same plan (and `--dry-run` shows it). Reads as the setup order:
    /// one stage a call, each saying why it comes where it does.
    pub fn build(spec: &Spec, facts: &Facts) -> Result<Plan, Error> {
        let net = own_net(spec, facts);
        let root = facts.root.unwrap_or_default();
        let shared = shared_sources(spec, facts).count();
        if shared > MAX_SHARED || shared > 0 && facts.userns {
            // (In a user namespace, the kernel makes the container's copies
            // of the host's mounts slaves: none is a peer to copy.)
            let why = match facts.userns {
                true => "shared propagation of a volume in a user namespace",
                false => "shared propagation of more than 4 volumes",
            };
            return Err(Error::new(
                crate::error::EXIT_RUNTIME,
                Buf::new().s(why).s(" is not supported by hull"),
            ));
        }
        let mut o = Ops {
            ops: ManuallyDrop::new(Vec::new()),
            create: !root.is_empty() && creates(spec),
        };
        // First: the child's ties to hull and its namespaces, before any
        // mount (see `Ops::begin`).
        let switched = o.begin(spec, facts, net);
        // Every later path inside the container is resolved from this fd.
        o.push(Op::Root(
            (!root.is_empty()).then(|| cstr(root)),
            facts.root_id,
        ));
        o.proc(spec, facts, net == Some(None));
        if !root.is_empty() {
            // After /proc: the links in /dev point into it.
            o.dev(spec, facts);
            o.sys(spec, facts);
        }
        // Once they are planned, before anything is planned on them.
        o.system_options(spec);
        // Only a container with a root of its own gets the masks: without
        // --rootfs it shares the host's tree (its /sys, /dev and files, which
        // its root may write), so masking /proc would protect nothing and
        // cost a tenth of a millisecond per start. After /proc and /sys are
        // mounted, before the volumes (which may deliberately cover these
        // paths).
        if !spec.privileged && !root.is_empty() {
            o.masks(spec);
        }
        // After the system mounts (so they may cover them) and before the
        // switch of root (while their host sources are still reachable).
        o.volumes(spec, facts);
        if spec.await_hooks {
            // The runtime spec's point for them: the namespaces and mounts
            // are made, the root is not switched yet. Before the root is
            // made read-only, as runc does it: createContainer hooks (the
            // GPU vendors') write into it.
            o.push(Op::AwaitHooks);
        }
        if spec.read_only {
            // Last of the mounts inside it, which needed their points created
            // first; only the root's own mount, not those on it. Without
            // --rootfs, the host's root as this mount namespace sees it.
            o.push(Op::ReadOnlyRoot);
        }
        if !root.is_empty() {
            o.push(Op::PivotRoot(cstr(root)));
            // On the new root itself, so after the switch: unbindable as
            // asked; private (the default) where the tree was made slaves
            // for a volume's sake (slave is the first step's).
            let p = spec.root_propagation;
            // Shared: a peer group of the container's own (the host's
            // mounts are no longer its peers), which the mount namespaces
            // its processes make receive from.
            let own = match p & (g::MS_UNBINDABLE | g::MS_SHARED) != 0 {
                true => p,
                false if slave_tree(spec) && p & g::MS_SLAVE == 0 => g::MS_PRIVATE,
                false => 0,
            };
            if own != 0 {
                o.push(Op::RootPropagation(own));
            }
        }
        let (flags, devices) = (clone_flags(spec, facts, net), device_rules(spec, facts));
        o.confined(spec, facts, switched, flags, devices)
    }

    /// The baselines of `hull bench`: the spec's command started through
    /// the same code path with no namespace and no step (a plain
    /// fork+execve).
    pub fn bare(spec: &Spec, facts: &Facts) -> Plan {
        let o = Ops {
            ops: ManuallyDrop::new(Vec::new()),
            create: false,
        };
        o.finish(spec, facts, 0, None)
    }

    /// The plan of `exec`: a new process in a running container. The
    /// parent has put itself in the container's PID namespace for its
    /// children (a PID namespace is entered only at birth); the child joins
    /// the container's cgroups (waiting for the parent's join of v1 ones,
    /// [`Facts::join`]), then its other namespaces (an [`Op::Enter`] of
    /// `pidfd`, `flags` and the namespace files `fds`), which also puts it
    /// at the container's root; and from there it is confined as the
    /// container's own process was, with `spec`'s process settings.
    #[inline(never)]
    pub fn for_exec(
        spec: &Spec,
        facts: &Facts,
        pidfd: i32,
        flags: u32,
        fds: &[(i32, u32)],
    ) -> Result<Plan, Error> {
        let mut o = Ops {
            ops: ManuallyDrop::new(Vec::new()),
            create: false,
        };
        if facts.join != Join::AtClone {
            o.push(Op::AwaitParent);
        }
        o.push(Op::Enter(pidfd, flags, fds.to_vec()));
        o.confined(spec, facts, false, 0, None)
    }

    /// After a failed start: removes the mount points it made in the rootfs
    /// (empty ones only), so that a failure leaves the image as it was.
    pub fn unmake(&self) {
        if let Some(Op::Root(Some(root), _)) = self.ops.iter().find(|o| matches!(o, Op::Root(..))) {
            rootfs::unmake(root.to_bytes(), self.made);
        }
    }

    /// Whether the child may run in hull's memory, vfork style, with hull
    /// suspended until its execve (see [`crate::sys::spawn`]). Not when it
    /// waits for the parent to act ([`Op::AwaitParent`]): the parent must
    /// run then. Not with an init, which never execs.
    pub fn shares_memory(&self) -> bool {
        // (Nor with a time namespace to be born in: the kernel refuses
        // CLONE_VM into another time namespace.)
        self.timens.is_none()
            && !self.ops.iter().any(|op| {
                matches!(
                    op,
                    Op::AwaitParent | Op::AwaitHooks | Op::AwaitStart(_) | Op::Init | Op::Enter(..)
                )
            })
    }

    /// Whether the report channel can be a pipe (see [`crate::run::start`]):
    /// the child shares our memory, so we read it once it has exec'd, and
    /// sends no pty master.
    pub fn pipe_channel(&self) -> bool {
        self.shares_memory() && !self.ops.iter().any(|op| matches!(op, Op::Terminal(_)))
    }

    /// Whether the child waits for the parent (see [`Op::AwaitParent`]).
    pub fn awaits_parent(&self) -> bool {
        self.ops.contains(&Op::AwaitParent)
    }

    /// The plan in human terms, one step a line, for `--dry-run` and `--debug`.
    #[inline(never)]
    pub fn describe(&self) -> Buf {
        let mut b = Buf::new();
        b.s("clone3 flags: ");
        for (bit, name) in FLAG_BITS.iter().zip(FLAG_NAMES.split(' ')) {
            if self.clone_flags & *bit as u64 != 0 {
                b.s("CLONE_").s(name).s("|");
            }
        }
        b.s("CLONE_PIDFD, exit signal SIGCHLD\n");
        if let Some(t) = &self.timens {
            // The parent's step before the clone: the offsets a line each
            // (clock id, seconds, nanoseconds).
            b.s("before it: unshare CLONE_NEWTIME, timens_offsets:");
            for line in t.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
                b.s(" [").b(line).s("]");
            }
            b.s("\n");
        }
        // The steps, then execve as the last one.
        for i in 0..=self.ops.len() {
            b.s("  ").u(i as u64 + 1).s(". ");
            match self.ops.get(i) {
                Some(op) => {
                    let (step, obj) = op.step();
                    b.s(step);
                    if !step.ends_with('/') {
                        b.s(" ");
                    }
                    b.b(obj);
                }
                None => {
                    b.s("execve ").b(self.exe.to_bytes());
                    for a in self.argv.strings() {
                        b.s(" ").b(a.to_bytes());
                    }
                }
            }
            b.s("\n");
        }
        b
    }
}

impl Ops {
    /// The steps every process of a container takes once it is inside
    /// (its root switched to, or entered by `exec`): its working
    /// directory, keyring and terminal, then its confinement (the seccomp
    /// filter, capabilities, user, no_new_privs) in the order the kernel
    /// needs, and for `--init`, the fork. `switched`: the ids were
    /// changed already (which cleared the parent-death signal).
    fn confine(&mut self, spec: &Spec, facts: &Facts, filter: Option<Op>, mut switched: bool) {
        let o = self;
        // After the switch of root: the workdir is a path inside the container.
        let dir: &[u8] = spec.workdir.as_deref().unwrap_or(b"/");
        o.push(Op::Chdir(cstr(dir)));
        if spec.new_keyring {
            o.push(Op::NewKeyring);
        }
        if let Some(p) = spec.personality {
            // Before the filter: a user's profile need not allow it.
            o.push(Op::Personality(p));
        }
        // Always: the container must not keep the host's terminal.
        if spec.tty {
            // After setsid: only a session leader with no terminal can take
            // one; after the switch of root, to open the container's ptmx.
            o.push(Op::NewSession);
            o.push(Op::Terminal(facts.terminal));
        } else {
            // Not setsid: with CONFIG_SCHED_AUTOGROUP, every new session is
            // also a new scheduler group, built and torn down per start.
            o.push(Op::LeaveTerminal);
        }
        if let Some(fd) = spec.start_gate {
            // Every step that can fail is done (create reports them), but
            // the filter's: a user's profile need not allow the wait.
            o.push(Op::AwaitStart(fd));
        }
        let (early, late) = match spec.no_new_privs {
            false => (filter, None),
            true => (None, filter),
        };
        if let Some(f) = early {
            // Without no_new_privs the kernel wants CAP_SYS_ADMIN for it,
            // which the changes of ids and capabilities below take away:
            // so before them, and every call of hull's after it, up to and
            // including execve, must be one the filter allows (checked by
            // the parent when the profile is the user's).
            o.push(f);
        }
        if !spec.privileged {
            // While we still hold CAP_SETPCAP (a non-root uid loses it).
            o.push(Op::DropBounding(spec.caps));
        }
        let nonroot = spec.user.is_some_and(|(u, _)| u != 0);
        let sets = match spec.cap_sets {
            _ if spec.privileged => None,
            Some(s) => Some(s),
            // docker: a non-root user keeps no effective or permitted capability.
            None if nonroot => Some([0; 4]),
            None => Some([spec.caps, spec.caps, spec.caps, 0]),
        };
        if nonroot && sets.is_some_and(|s| s[crate::spec::CAP_PERMITTED] != 0) {
            // An OCI config's sets for a non-root user: the permitted set
            // must outlive the change of uid for capset to keep it.
            o.push(Op::KeepCaps);
        }
        if let Some((uid, gid)) = spec.user {
            // After every mount and privileged step; before capset, since
            // changing to a non-root uid clears the effective and permitted sets.
            o.push(match spec.groups.is_empty() {
                true => Op::User(uid, gid),
                false => Op::UserGroups(
                    uid,
                    gid,
                    spec.groups
                        .iter()
                        .map(|&g| rustix::process::Gid::from_raw(g))
                        .collect(),
                ),
            });
            switched = true;
        }
        if let Some(s) = sets {
            o.push(Op::Caps(s));
        }
        if switched && spec.die_with_parent {
            // A change of uid or gid cleared the death signal: arm it again,
            // after the last one, or the container would outlive hull.
            o.push(Op::DieWithParent);
        }
        if spec.no_new_privs {
            o.push(Op::NoNewPrivs);
        }
        if let Some(f) = late {
            // With no_new_privs no capability is needed: as late as can be,
            // so that fewer of hull's own calls run under the filter.
            o.push(f);
        }
        if spec.init {
            // Last, so the init keeps no more privilege than the command:
            // PID 1 stays here as the init; the command's process does only
            // what must be its own (its group) and execs.
            o.push(Op::Init);
            o.push(Op::OwnGroup {
                foreground: spec.tty,
            });
        }
    }

    /// The last steps, as every process of a container takes them
    /// ([`Ops::confine`], with the filter compiled from the profile), and
    /// the plan, refused if the profile would block hull's own calls after
    /// the filter (see [`filter::check`]).
    fn confined(
        mut self,
        spec: &Spec,
        facts: &Facts,
        switched: bool,
        flags: u64,
        devices: Option<Vec<Rule>>,
    ) -> Result<Plan, Error> {
        self.confine(spec, facts, seccomp(facts)?, switched);
        let plan = self.finish(spec, facts, flags, devices);
        if let Some((p, what)) = &facts.profile {
            filter::check(p, what, &plan.ops)?;
        }
        Ok(plan)
    }

    /// The plan, from the steps and what the child execs.
    #[inline(never)]
    fn finish(self, spec: &Spec, facts: &Facts, flags: u64, devices: Option<Vec<Rule>>) -> Plan {
        let argv = CStrArray::new(cstrs(&spec.command));
        let envp = CStrArray::new(facts.env);
        Plan {
            clone_flags: flags,
            ops: self.ops,
            exe: facts.exe,
            argv: ManuallyDrop::new(argv),
            envp: ManuallyDrop::new(envp),
            sigmask: facts.sigmask,
            // docker's and runc's when none is given.
            umask: spec.umask.unwrap_or(0o022),
            userns: facts.maps,
            trace: facts.trace,
            keep_fds: facts.keep_fds,
            made: facts.made,
            join: facts.join,
            timens: spec.time_offsets.as_ref().map(|offsets| {
                let mut b = Buf::new();
                for &(clock, secs, nanos) in offsets {
                    b.u(clock as u64)
                        .s(" ")
                        .i(secs)
                        .s(" ")
                        .u(nanos as u64)
                        .s("\n");
                }
                b.0
            }),
            devices,
        }
    }
}

/// The network namespace the container joins or makes: Some(fd) for
/// hull's shared, empty one when it could be had, Some(None) for one of
/// the container's own, None for the host's or one joined by path.
// Out of line: measured 16 bytes smaller.
#[inline(never)]
fn own_net(spec: &Spec, facts: &Facts) -> Option<Option<i32>> {
    match spec.net {
        Share::Shared if facts.netns.is_some() => Some(facts.netns),
        Share::Shared | Share::Private => Some(None),
        _ => None,
    }
}

/// The namespace flags of the clone: mount always; UTS and PID unless
/// they are the host's; network, IPC and user as the spec and facts say;
/// none that is joined instead.
// Out of line: measured 16 bytes smaller.
#[inline(never)]
fn clone_flags(spec: &Spec, facts: &Facts, net: Option<Option<i32>>) -> u64 {
    let mut flags = g::CLONE_NEWNS as u64;
    if spec.uts != Share::Host {
        flags |= g::CLONE_NEWUTS as u64;
    }
    if spec.pid != Share::Host {
        flags |= g::CLONE_NEWPID as u64;
    }
    if net == Some(None) {
        flags |= g::CLONE_NEWNET as u64;
    }
    if spec.ipc == Share::Private {
        flags |= g::CLONE_NEWIPC as u64;
    }
    if facts.userns {
        flags |= g::CLONE_NEWUSER as u64;
    }
    for &(_, f) in &spec.join {
        flags &= !(f as u64);
    }
    flags
}

/// Whether the container's copy of the host's mounts is made slaves
/// rather than private: where a volume or the root asks to be a slave (a
/// bind is a slave of its source's peers only if the source's copy here
/// is one). Nothing propagates out either way.
/// Whether the mount `path` is on is shared (in a peer group), as
/// mountinfo says of the mount `statx` names.
fn on_shared_mount(path: &[u8]) -> bool {
    use rustix::fs::{AtFlags, CWD, StatxFlags, statx};
    let Ok(st) = statx(CWD, path, AtFlags::empty(), StatxFlags::MNT_ID) else {
        return false;
    };
    let mut id = Buf::new();
    id.u(st.stx_mnt_id);
    let mi = crate::util::file::read_file(b"/proc/self/mountinfo").unwrap_or_default();
    crate::util::mountinfo::lines(&mi).any(|l| l.id == &id.0[..] && l.shared)
}

/// The host sources of the volumes with shared propagation, in order.
fn shared_sources<'a>(spec: &'a Spec, facts: &'a Facts) -> impl Iterator<Item = &'a [u8]> {
    let shared = spec
        .volumes
        .iter()
        .map(|v| v.propagation & g::MS_SHARED != 0);
    shared
        .zip(&facts.volumes)
        .filter_map(|(sh, src)| src.filter(|_| sh).map(|(p, _)| p))
}

fn slave_tree(spec: &Spec) -> bool {
    let asked = spec.volumes.iter().map(|v| v.propagation);
    asked
        .chain([spec.root_propagation])
        .any(|p| p & g::MS_SLAVE != 0)
}

/// The device allow list the parent gives the container's cgroup: the
/// spec's rules, docker's default list, each `--device`'s node. None with
/// `--privileged`, and in a user namespace, where device nodes are only
/// the host's own, bound, and no new one can be made.
pub fn device_rules(spec: &Spec, facts: &Facts) -> Option<Vec<Rule>> {
    (!spec.privileged && !facts.userns).then(|| {
        let mut v = spec.device_rules.clone();
        v.extend_from_slice(devices::DEFAULT);
        for (d, &(mode, rdev)) in spec.devices.iter().zip(&facts.devices) {
            if d.access != 0 {
                v.push(devices::host_rule(mode, rdev, d.access));
            }
        }
        v
    })
}

/// The seccomp step, compiled from the profile (pure: profile to BPF).
fn seccomp(facts: &Facts) -> Result<Option<Op>, Error> {
    let Some((p, what)) = &facts.profile else {
        return Ok(None);
    };
    let prog = crate::seccomp::compile(p)?;
    let mut w = Buf::new();
    w.b(what).s(", ").u(prog.len() as u64).s(" instructions");
    Ok(Some(Op::Seccomp(Program(prog), w.0)))
}

impl Ops {
    /// The steps before the first mount: the child's ties to hull (the
    /// death signal, the wait for the parent's part), a private mount
    /// tree, and the namespaces it joins or names. Returns whether the
    /// ids were changed (which cleared the death signal).
    fn begin(&mut self, spec: &Spec, facts: &Facts, net: Option<Option<i32>>) -> bool {
        let o = self;
        if facts.join != Join::AtClone {
            // Before anything else: the child must not run a step outside
            // its cgroup (unlimited), so it waits for the parent's join.
            o.push(Op::AwaitParent);
        }
        // Before anything else that can block or fail: a step must not
        // leave a container behind a hull that was killed meanwhile.
        if spec.die_with_parent {
            o.push(Op::DieWithParent);
        }
        let mut switched = false;
        if facts.userns {
            // Then: until the parent has written the id maps, the
            // child is nobody in its user namespace, and every later step
            // (mounts, hostname, files, execve) needs it to be root there.
            if facts.join == Join::AtClone {
                o.push(Op::AwaitParent);
            }
            if let Some((uid, gid)) = userns::switch(spec) {
                // Right after: root's own ids are not in the maps, so it must
                // become the container's ids before it creates any file.
                o.push(Op::User(uid, gid));
                switched = true;
            }
        }
        for (n, src) in shared_sources(spec, facts).enumerate() {
            // While the container's copy of the host's tree still holds
            // peers of the host's shared mounts (see Op::Detach).
            o.push(Op::Detach(place(Slot::Host, src, 0), n as u8));
        }
        // First, before any mount: with a shared `/` (systemd's default) every
        // mount below would propagate back to the host's mount table.
        let mode = if slave_tree(spec) {
            g::MS_SLAVE
        } else {
            g::MS_PRIVATE
        };
        o.push(Op::PrivateMounts(g::MS_REC | mode));
        if spec.cgroupns == Share::Private {
            // Now that the child is in its own cgroup (born there, or joined
            // while it waited): the namespace's root is that group. A
            // CLONE_NEWCGROUP at the clone would root it at hull's.
            o.push(Op::UnshareCgroupNs);
        }
        if let Some(Some(fd)) = net {
            o.push(Op::JoinNetns(fd));
        }
        for &(fd, f) in spec.join.iter().filter(|j| j.1 != g::CLONE_NEWPID) {
            // With the rest of the namespaces, before the first mount.
            o.push(Op::JoinNs(fd, f));
        }
        // None given (an OCI config without one): the name it has.
        if !spec.hostname.is_empty() {
            o.push(Op::Hostname(spec.hostname.clone()));
        }
        if !spec.domainname.is_empty() {
            o.push(Op::Domainname(spec.domainname.clone()));
        }
        if net == Some(None) {
            // A new network namespace starts with lo down; programs expect it up.
            o.push(Op::LoopbackUp);
        }
        switched
    }

    /// The container's /proc and its sysctls. After the private step (or
    /// it would leak) and from inside the new PID namespace (we are its
    /// PID 1), so it shows only our processes.
    fn proc(&mut self, spec: &Spec, facts: &Facts, own_net: bool) {
        let o = self;
        o.mount(
            "mount proc on",
            fs(c"proc", b""),
            place(Slot::Root, b"/proc", 1),
            Kind::System,
            SAFE,
            Some(Slot::Proc),
        );
        // In the container's own /proc/sys, before it is made read-only.
        if own_net && userns::maps_gid(spec, facts.userns, 0) {
            // podman's default: ping (ICMP datagram sockets) for root inside,
            // without NET_RAW. (The kernel refuses a group that has no id
            // outside the user namespace.)
            o.push(Op::Sysctl(
                place(Slot::Proc, b"/proc/sys/net/ipv4/ping_group_range", 6),
                b"0 0".to_vec(),
            ));
        }
        for kv in &spec.sysctls {
            let mut v = &kv[..];
            let key = crate::util::text::tok(&mut v, b'=');
            let mut path = b"/proc/sys/".to_vec();
            path.extend(key.iter().map(|&c| if c == b'.' { b'/' } else { c }));
            o.push(Op::Sysctl(place(Slot::Proc, &path, 6), v.to_vec()));
        }
    }

    /// A small /dev of the container's own: the harmless nodes and each
    /// `--device`, a private devpts, shm, mqueue, and the usual links.
    // Out of line: measured 16 bytes smaller.
    #[inline(never)]
    fn dev(&mut self, spec: &Spec, facts: &Facts) {
        let o = self;
        o.mount(
            "mount tmpfs on",
            fs(c"tmpfs", b"mode=755,size=65536k"),
            place(Slot::Root, b"/dev", 1),
            Kind::System,
            NOSUID | NOEXEC,
            Some(Slot::Dev),
        );
        for (n, major, minor) in DEV_NODES {
            let rdev = rustix::fs::makedev(major, minor);
            let host = &[b"/dev/", n.to_bytes()].concat();
            o.node(
                facts.userns,
                host,
                n.to_bytes(),
                g::S_IFCHR | 0o666,
                rdev,
                true,
            );
        }
        for (d, &(mode, rdev)) in spec.devices.iter().zip(&facts.devices) {
            let rel = &d.path[5..];
            // A device hull makes anyway is that node (containerd lists
            // /dev/null and the others; a second mknod would fail: EEXIST),
            // and one at a link's name (/dev/ptmx, which podman's
            // --privileged lists with every host device) is the link, to
            // the container's own devpts, as runc makes it: a node there
            // would be the host's pty multiplexer. Its rule in the allow
            // list stays.
            let own = DEV_NODES.iter().map(|(n, ..)| n);
            if own
                .chain(DEV_LINKS.iter().map(|(n, _)| n))
                .any(|n| n.to_bytes() == rel)
            {
                continue;
            }
            // Its directories first (/dev/net for /dev/net/tun).
            for (i, &c) in rel.iter().enumerate() {
                if c == b'/' && !facts.userns {
                    o.push(Op::DevDir(cstr(&rel[..i])));
                }
            }
            o.node(facts.userns, &d.host, rel, mode, rdev, false);
        }
        // No gid=5 (tty): a user namespace may not map that group.
        o.mount(
            "mount devpts on",
            fs(c"devpts", b"newinstance,ptmxmode=0666,mode=0620"),
            place(Slot::Dev, b"/dev/pts", 5),
            Kind::System,
            NOSUID | NOEXEC,
            None,
        );
        // Not under a volume there (podman binds a tmpfs of its own, sized
        // by --shm-size; containerd a pod's): it would only be hidden. Its
        // mount point is made all the same, in this /dev of our own (in a
        // read-only root the volume could not make it).
        if spec.volumes.iter().any(|v| v.dst == b"/dev/shm") {
            o.push(Op::DevDir(cstr(b"shm")));
        } else {
            o.mount(
                "mount tmpfs on",
                fs(c"tmpfs", b"mode=1777,size=65536k"),
                place(Slot::Dev, b"/dev/shm", 5),
                Kind::System,
                SAFE,
                None,
            );
        }
        // The IPC namespace's POSIX message queues, as docker and
        // podman mount them; not for the host's IPC namespace, which a
        // user namespace could not mount and the container must not see.
        if spec.ipc != Share::Host {
            o.mount(
                "mount mqueue on",
                fs(c"mqueue", b""),
                place(Slot::Dev, b"/dev/mqueue", 5),
                Kind::System,
                SAFE,
                None,
            );
        }
        for (n, target) in DEV_LINKS {
            o.push(Op::Symlink(target, cstr(n.to_bytes())));
        }
    }

    /// /sys read-only: outside the host's network namespace, a sysfs of
    /// its own (which shows that namespace's interfaces); otherwise the
    /// host's, bound read-only with everything below it. Then the cgroup
    /// hierarchies, when the spec asks for them.
    fn sys(&mut self, spec: &Spec, facts: &Facts) {
        let sys = place(Slot::Root, b"/sys", 1);
        let src = match spec.net {
            Share::Host => Source::Bind(place(Slot::Host, b"/sys", 0), true),
            _ => fs(c"sysfs", b""),
        };
        self.mount(
            "mount sysfs on",
            src,
            sys,
            Kind::System,
            SAFE | RDONLY,
            Some(Slot::Sys),
        );
        if spec.net != Share::Host {
            cgroup_mounts(self, &facts.cgroups);
        }
    }

    /// The kernel interfaces hidden from the container ([`MASKS`], or the
    /// spec's). Each is looked up in the fresh proc or sysfs itself, never
    /// through the root.
    // Out of line: measured 64 bytes smaller.
    #[inline(never)]
    fn masks(&mut self, spec: &Spec) {
        let masks = spec.masks.as_deref().unwrap_or(MASKS.as_bytes());
        for m in masks.split(|&c| c == b' ').filter(|m| !m.is_empty()) {
            let (letter, path) = m.split_first().unwrap_or((&b'R', b""));
            let slot = if path.starts_with(b"/proc/") {
                Slot::Proc
            } else {
                Slot::Sys
            };
            let skip = if slot == Slot::Proc { 6 } else { 5 };
            let at = place(slot, path, skip);
            match letter {
                b'N' => self.mount(
                    "mask with /dev/null",
                    Source::Bind(place(Slot::Dev, b"/dev/null", 5), false),
                    at,
                    Kind::Mask,
                    0,
                    None,
                ),
                b'D' => self.mount(
                    "mask with tmpfs",
                    fs(c"tmpfs", b"size=0"),
                    at,
                    Kind::Mask,
                    SAFE | RDONLY,
                    None,
                ),
                _ => self.mount(
                    "make read-only",
                    Source::Bind(place(slot, path, skip), true),
                    at,
                    Kind::Mask,
                    RDONLY,
                    None,
                ),
            }
        }
    }

    /// A config's options for the mounts hull makes itself
    /// ([`Spec::system`]), by destination: its flags over hull's, and its
    /// filesystem options, if it gives any, in place of hull's (a
    /// `size=1g` for /dev/shm, a `hidepid=2` for /proc).
    fn system_options(&mut self, spec: &Spec) {
        for (dst, words) in &spec.system {
            for op in self.ops.iter_mut() {
                let Op::Mount(m) = op else { continue };
                if m.kind != Kind::System || m.target.path.to_bytes() != &dst[..] {
                    continue;
                }
                let (data, set, clear) = mount_flags(words, m.attrs);
                if let Source::Fs(t, _) = m.src
                    && !data.is_empty()
                {
                    m.src = fs(t, &data);
                }
                (m.attrs, m.clear) = (set, clear);
            }
        }
    }

    /// Volumes and tmpfs mounts in the order given. A read-only volume is
    /// made so before it is attached: never writable, not even for an
    /// instant, and the flag is on the very mount bound.
    fn volumes(&mut self, spec: &Spec, facts: &Facts) {
        let mut trees = 0;
        for (v, src) in spec.volumes.iter().zip(&facts.volumes) {
            let at = place(Slot::Root, &v.dst, 1);
            match src {
                Some((src, dir)) => {
                    // (An OCI bind's flags, such as podman's nosuid,
                    // nodev and noexec, are in its opts.)
                    let (_, set, clear) = mount_flags(&v.opts, if v.ro { RDONLY } else { 0 });
                    let from = match v.propagation & g::MS_SHARED {
                        0 => Source::Bind(place(Slot::Host, src, 0), true),
                        _ => {
                            trees += 1;
                            Source::Tree(trees - 1)
                        }
                    };
                    self.mount(
                        "bind-mount volume on",
                        from,
                        at,
                        if *dir { Kind::Dir } else { Kind::File },
                        set,
                        None,
                    );
                    if let Some(Op::Mount(m)) = self.ops.last_mut() {
                        m.clear = clear;
                    }
                }
                None => {
                    let (src, attrs) = tmpfs(&v.opts);
                    self.mount("mount tmpfs on", src, at, Kind::Dir, attrs, None)
                }
            }
            if let Some(Op::Mount(m)) = self.ops.last_mut() {
                // Private unless asked, also where the tree was made
                // slaves for another volume's sake.
                m.propagation = match v.propagation {
                    0 if slave_tree(spec) => g::MS_REC | g::MS_PRIVATE,
                    p => p,
                };
            }
        }
    }
}

/// The namespace flags `describe` names (`CLONE_` dropped), in order: a
/// string and an array of numbers are smaller than a table of pairs.
const FLAG_NAMES: &str = "NEWNS NEWUTS NEWPID NEWNET NEWIPC NEWCGROUP NEWUSER";
const FLAG_BITS: [u32; 7] = [
    g::CLONE_NEWNS,
    g::CLONE_NEWUTS,
    g::CLONE_NEWPID,
    g::CLONE_NEWNET,
    g::CLONE_NEWIPC,
    g::CLONE_NEWCGROUP,
    g::CLONE_NEWUSER,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{DEFAULT_CAPS, Device, Volume};

    fn spec(cmd: &[&str]) -> Spec {
        Spec {
            command: cmd.iter().map(|s| s.as_bytes().to_vec()).collect(),
            ..Spec::default()
        }
    }

    /// What `Facts::gather` would find on a host where the spec's paths
    /// are canonical, volume sources are directories, the rootfs is
    /// (7, 9), the shared netns is fd 42 and the command is /bin/sh.
    fn facts(s: &Spec) -> Facts {
        let leak = |p: &Vec<u8>| &*p.clone().leak();
        Facts {
            userns: s.userns,
            root: s.rootfs.as_ref().map(leak),
            root_id: (7, 9),
            volumes: s
                .volumes
                .iter()
                .map(|v| v.src.as_ref().map(|p| (leak(p), true)))
                .collect(),
            netns: Some(42),
            devices: vec![(g::S_IFCHR | 0o660, rustix::fs::makedev(10, 200)); s.devices.len()],
            exe: c"/bin/sh",
            env: vec![c"A=1".into()].leak(),
            ..Facts::default()
        }
    }

    fn plan(s: &Spec) -> Plan {
        Plan::build(s, &facts(s)).unwrap()
    }

    /// The plan's steps as `--dry-run` prints them, without the numbers.
    fn steps(p: &Plan) -> Vec<String> {
        String::from_utf8(p.describe().0)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split_once(". ").unwrap().1.to_string())
            .collect()
    }

    fn mount_of(op: &Op) -> &Mount {
        match op {
            Op::Mount(m) => m,
            other => panic!("not a mount: {other:?}"),
        }
    }

    #[test]
    fn default_plan_order() {
        let p = plan(&spec(&["sh"]));
        assert_eq!(
            steps(&p),
            [
                "prctl PR_SET_PDEATHSIG SIGKILL",
                "make mounts private: mount --make-rprivate /",
                "unshare CLONE_NEWCGROUP",
                "join the shared network namespace: setns /run/hull/netns",
                "sethostname container",
                "open the root /",
                "mount proc on /proc",
                "chdir /",
                "new session keyring: keyctl KEYCTL_JOIN_SESSION_KEYRING",
                "leave the terminal: ioctl TIOCNOTTY /dev/tty",
                "drop capabilities: prctl PR_CAPBSET_DROP ",
                "set capabilities: capset ",
                "execve /bin/sh sh",
            ]
        );
        assert_eq!(p.ops[3], Op::JoinNetns(42));
        assert_eq!(p.ops[5], Op::Root(None, (7, 9)));
        let proc = mount_of(&p.ops[6]);
        assert_eq!(
            (proc.target.slot, proc.target.rel(), proc.kind, proc.create),
            (Slot::Root, c"proc", Kind::System, false)
        );
        assert_eq!((proc.attrs, proc.save), (SAFE, Some(Slot::Proc)));
        assert_eq!(p.ops[10], Op::DropBounding(DEFAULT_CAPS));
        assert_eq!(
            p.ops[11],
            Op::Caps([DEFAULT_CAPS, DEFAULT_CAPS, DEFAULT_CAPS, 0])
        );
        let ns = (g::CLONE_NEWNS | g::CLONE_NEWUTS | g::CLONE_NEWPID | g::CLONE_NEWIPC) as u64;
        assert_eq!(p.clone_flags, ns);
        assert_eq!(p.argv.strings(), &[CString::from(c"sh")]);
        assert_eq!(p.envp.strings(), &[CString::from(c"A=1")]);
    }

    #[test]
    fn exec_plan_enters_then_is_confined_as_the_container() {
        let mut s = spec(&["sh"]);
        s.user = Some((1000, 1000));
        s.die_with_parent = false;
        let ns = g::CLONE_NEWNS | g::CLONE_NEWUTS;
        let f = Facts {
            exe: c"/bin/sh",
            join: Join::Outside,
            ..Facts::default()
        };
        let fds = [(6, g::CLONE_NEWNS), (7, g::CLONE_NEWUTS)];
        let p = Plan::for_exec(&s, &f, 5, ns, &fds).unwrap();
        assert_eq!(
            steps(&p),
            [
                "wait for the parent ",
                "join the container's namespaces: setns ",
                "chdir /",
                "new session keyring: keyctl KEYCTL_JOIN_SESSION_KEYRING",
                "leave the terminal: ioctl TIOCNOTTY /dev/tty",
                "drop capabilities: prctl PR_CAPBSET_DROP ",
                "set user: setgroups, setresgid, setresuid ",
                "set capabilities: capset ",
                "execve /bin/sh sh",
            ]
        );
        // Nothing new is made; and a process that joins a user namespace
        // may not share hull's memory (setns: EINVAL).
        assert_eq!(p.clone_flags, 0);
        assert!(!p.shares_memory());
        assert_eq!(p.ops[7], Op::Caps([0; 4]), "a non-root user keeps none");
        assert_eq!(p.devices, None);
    }

    #[test]
    fn namespaces_as_asked() {
        let mut s = spec(&["sh"]);
        // The shared network namespace could not be had: one of its own.
        let p = Plan::build(
            &s,
            &Facts {
                netns: None,
                ..facts(&s)
            },
        )
        .unwrap();
        assert_ne!(p.clone_flags & g::CLONE_NEWNET as u64, 0);
        let st = steps(&p);
        assert!(
            st.contains(&"bring up loopback: ioctl SIOCSIFFLAGS lo".into()),
            "{st:?}"
        );
        assert!(st.contains(&"write sysctl /proc/sys/net/ipv4/ping_group_range".into()));
        s.net = Share::Host;
        s.ipc = Share::Host;
        s.cgroupns = Share::Host;
        s.new_keyring = false;
        let p = plan(&s);
        let ns = (g::CLONE_NEWNS | g::CLONE_NEWUTS | g::CLONE_NEWPID) as u64;
        assert_eq!(p.clone_flags, ns);
        assert!(!p.ops.iter().any(|o| matches!(
            o,
            Op::JoinNetns(_) | Op::LoopbackUp | Op::UnshareCgroupNs | Op::NewKeyring
        )));
        s.net = Share::Private;
        s.sysctls = vec![
            b"net.ipv4.ip_forward=1".to_vec(),
            b"kernel.sem=1 2 3 4".to_vec(),
        ];
        let p = plan(&s);
        assert_ne!(p.clone_flags & g::CLONE_NEWNET as u64, 0);
        let at = |op: &Op| p.ops.iter().position(|o| o == op).unwrap();
        let sysctl = |path: &[u8], v: &[u8]| Op::Sysctl(place(Slot::Proc, path, 6), v.to_vec());
        let fwd = at(&sysctl(b"/proc/sys/net/ipv4/ip_forward", b"1"));
        // In the container's own /proc, mounted just before.
        assert!(matches!(&p.ops[fwd - 2], Op::Mount(m) if m.save == Some(Slot::Proc)));
        assert_eq!(at(&sysctl(b"/proc/sys/kernel/sem", b"1 2 3 4")), fwd + 1);
    }

    #[test]
    fn rootfs_plan_order() {
        let mut s = spec(&["sh"]);
        s.rootfs = Some(b"/R".to_vec());
        s.user = Some((1000, 100));
        s.no_new_privs = true;
        s.volumes = vec![
            Volume {
                src: Some(b"/host/a".to_vec()),
                dst: b"/data/a".to_vec(),
                ro: true,
                opts: vec![],
                propagation: 0,
            },
            Volume {
                src: None,
                dst: b"/tmp".to_vec(),
                ro: false,
                opts: b"size=1m,noexec".to_vec(),
                propagation: 0,
            },
        ];
        s.workdir = Some(b"/tmp".to_vec());
        let mut f = facts(&s);
        f.volumes[0] = Some((b"/host/a", false));
        let p = Plan::build(&s, &f).unwrap();
        let st = steps(&p);
        let at = |needle: &str| {
            st.iter()
                .position(|l| *l == needle)
                .unwrap_or_else(|| panic!("{needle} not in {st:?}"))
        };
        assert_eq!(
            p.ops[at("bind the rootfs onto itself /R")],
            Op::Root(Some(c"/R".into()), (7, 9))
        );
        assert!(at("bind the rootfs onto itself /R") < at("mount proc on /proc"));
        assert!(at("mount proc on /proc") < at("mount tmpfs on /dev"));
        // The nodes are made in the container's own /dev, not bound.
        let null = at("create device node: mknodat /dev/null");
        assert!(at("mount tmpfs on /dev") < null);
        // The child's failure there is named as --dry-run names the step.
        let r = crate::child::Report {
            step: null as u32,
            sub: 0,
            errno: 17,
        };
        let e = crate::run::explain(&p, r);
        assert_eq!(
            String::from_utf8_lossy(&e.render("")),
            "hull: create device node: mknodat /dev/null: File exists\n"
        );
        assert_eq!(
            p.ops[null],
            Op::Node(
                c"null".into(),
                g::S_IFCHR | 0o666,
                rustix::fs::makedev(1, 3)
            )
        );
        assert!(at("mount devpts on /dev/pts") < at("symlink /dev/ptmx"));
        let sys = mount_of(&p.ops[at("mount sysfs on /sys")]);
        assert!(matches!(sys.src, Source::Fs(t, _) if t == c"sysfs"));
        assert_eq!(sys.attrs & RDONLY, RDONLY);
        assert!(at("mount sysfs on /sys") < at("mask with tmpfs /proc/acpi"));
        // Each mask is looked up in the fresh proc or sysfs, with no symlink.
        let masks = at("mask with tmpfs /proc/asound")..=at("make read-only /proc/sysrq-trigger");
        assert_eq!(masks.clone().count(), 16);
        for op in &p.ops[masks] {
            let m = mount_of(op);
            assert_eq!((m.kind, m.create), (Kind::Mask, false));
            assert_ne!(m.target.slot, Slot::Root);
        }
        let kcore = mount_of(&p.ops[at("mask with /dev/null /proc/kcore")]);
        assert_eq!(
            (kcore.target.slot, kcore.target.rel()),
            (Slot::Proc, c"kcore")
        );
        assert_eq!(
            kcore.src,
            Source::Bind(place(Slot::Dev, b"/dev/null", 5), false)
        );
        let ro = mount_of(&p.ops[at("make read-only /proc/sys")]);
        assert_eq!(
            ro.src,
            Source::Bind(place(Slot::Proc, b"/proc/sys", 6), true)
        );
        assert_eq!(ro.attrs, RDONLY);
        // Volumes in order, after the masks, read-only before attached.
        let v = at("bind-mount volume on /data/a");
        assert!(at("make read-only /proc/sys") < v);
        let vol = mount_of(&p.ops[v]);
        assert_eq!(
            vol.src,
            Source::Bind(place(Slot::Host, b"/host/a", 0), true)
        );
        assert_eq!(
            (vol.kind, vol.create, vol.attrs),
            (Kind::File, true, RDONLY)
        );
        assert_eq!(vol.target.rel(), c"data/a");
        let t = mount_of(&p.ops[v + 1]);
        assert_eq!(t.target.path.to_bytes(), b"/tmp");
        let want = vec![
            (c"source".into(), Some(c"tmpfs".into())),
            (c"size".into(), Some(c"1m".into())),
        ];
        assert_eq!(
            (&t.src, t.attrs),
            (&Source::Fs(c"tmpfs", want), NOSUID | NODEV | NOEXEC)
        );
        let pivot = at("switch root: pivot_root /R");
        assert_eq!(pivot, v + 2);
        assert_eq!(at("chdir /tmp"), pivot + 1);
        assert_eq!(p.ops[pivot + 2], Op::NewKeyring);
        assert_eq!(p.ops[pivot + 3], Op::LeaveTerminal);
        assert_eq!(p.ops[pivot + 4], Op::DropBounding(DEFAULT_CAPS));
        assert_eq!(p.ops[pivot + 5], Op::User(1000, 100));
        // A non-root user keeps no effective capability.
        assert_eq!(p.ops[pivot + 6], Op::Caps([0; 4]));
        // The uid change cleared the death signal: armed again, after it.
        assert_eq!(p.ops[pivot + 7], Op::DieWithParent);
        assert_eq!(p.ops[pivot + 8], Op::NoNewPrivs);
        assert_eq!(st.last().unwrap(), "execve /bin/sh sh");

        // Read-only: nothing is made in the image, and the root's own
        // mount is made read-only right before the switch.
        s.read_only = true;
        let p = plan(&s);
        assert!(!mount_of(&p.ops[at("bind-mount volume on /data/a")]).create);
        // ... but inside its own /dev tmpfs points are still made.
        let st2 = steps(&p);
        let pts = st2
            .iter()
            .position(|l| l == "mount devpts on /dev/pts")
            .unwrap();
        assert!(mount_of(&p.ops[pts]).create);
        let i = p
            .ops
            .iter()
            .position(|o| matches!(o, Op::PivotRoot(_)))
            .unwrap();
        assert_eq!(p.ops[i - 1], Op::ReadOnlyRoot);
    }

    #[test]
    fn devices_in_a_user_namespace_are_bound_not_made() {
        let mut s = spec(&["sh"]);
        s.rootfs = Some(b"/R".to_vec());
        s.devices = vec![Device {
            host: b"/dev/net/tun".to_vec(),
            path: b"/dev/net/tun".to_vec(),
            access: 7,
        }];
        let p = plan(&s);
        let st = steps(&p);
        let dir = st
            .iter()
            .position(|l| l == "create device directory: mkdirat /dev/net")
            .unwrap();
        assert_eq!(
            p.ops[dir + 1],
            Op::Node(
                c"net/tun".into(),
                g::S_IFCHR | 0o660,
                rustix::fs::makedev(10, 200)
            )
        );
        s.userns = true;
        let p = plan(&s);
        assert!(
            !p.ops
                .iter()
                .any(|o| matches!(o, Op::Node(..) | Op::DevDir(_)))
        );
        let st = steps(&p);
        let null = st
            .iter()
            .position(|l| l == "bind-mount device on /dev/null")
            .unwrap();
        let m = mount_of(&p.ops[null]);
        assert_eq!(
            m.src,
            Source::Bind(place(Slot::Host, b"/dev/null", 0), false)
        );
        assert!(m.optional, "a node the host lacks is left out");
        let tun = st
            .iter()
            .position(|l| l == "bind-mount device on /dev/net/tun")
            .unwrap();
        let m = mount_of(&p.ops[tun]);
        assert_eq!((m.kind, m.create, m.optional), (Kind::File, true, false));
        assert_eq!(m.target.rel(), c"net/tun");
    }

    #[test]
    fn user_namespace_waits_for_the_maps_first() {
        let mut s = spec(&["id"]);
        assert!(!plan(&s).awaits_parent());
        s.userns = true;
        let p = plan(&s);
        assert_eq!(
            p.ops[..3],
            [
                Op::DieWithParent,
                Op::AwaitParent,
                Op::PrivateMounts(g::MS_REC | g::MS_PRIVATE)
            ]
        );
        assert!(p.awaits_parent());
        assert_ne!(p.clone_flags & g::CLONE_NEWUSER as u64, 0);
        let text = String::from_utf8(p.describe().0).unwrap();
        assert!(text.contains("|CLONE_NEWUSER|CLONE_PIDFD"), "{text}");
        assert!(text.contains("  2. wait for the parent \n"), "{text}");
        // No re-arm without a change of ids.
        assert_eq!(p.ops.iter().filter(|o| **o == Op::DieWithParent).count(), 1);
        // Root with ranges: it becomes the container's ids right away, and
        // the death signal is armed again after the last change.
        crate::cli::id_map(&mut s, crate::cli::UID, false, b"0:100000:65536").unwrap();
        crate::cli::id_map(&mut s, crate::cli::GID, true, b"7").unwrap();
        let p = plan(&s);
        assert_eq!(p.ops[1..3], [Op::AwaitParent, Op::User(0, 7)]);
        let caps = p.ops.iter().position(|o| matches!(o, Op::Caps(_))).unwrap();
        assert_eq!(p.ops[caps + 1], Op::DieWithParent);
    }

    #[test]
    fn privileged_keeps_everything_and_host_net_binds_sysfs() {
        let mut s = spec(&["ip", "link"]);
        s.net = Share::Host;
        s.privileged = true;
        s.rootfs = Some(b"/R".to_vec());
        s.hostname = b"box".to_vec();
        let p = plan(&s);
        assert_eq!(p.ops[3], Op::Hostname(b"box".to_vec()));
        assert!(
            !p.ops
                .iter()
                .any(|o| matches!(o, Op::Caps(_) | Op::DropBounding(_)))
        );
        assert!(
            !p.ops
                .iter()
                .any(|o| matches!(o, Op::Mount(m) if m.kind == Kind::Mask))
        );
        let sys = p.ops.iter().find_map(|o| match o {
            Op::Mount(m) if m.step == "mount sysfs on" => Some(m),
            _ => None,
        });
        let sys = sys.unwrap();
        assert_eq!(sys.src, Source::Bind(place(Slot::Host, b"/sys", 0), true));
        assert_eq!(sys.attrs & RDONLY, RDONLY);
        assert_eq!(p.clone_flags & g::CLONE_NEWNET as u64, 0);
        let text = String::from_utf8(p.describe().0).unwrap();
        assert!(
            text.starts_with(
                "clone3 flags: CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWPID|CLONE_NEWIPC|CLONE_PIDFD"
            ),
            "{text}"
        );
    }

    #[test]
    fn tty_and_init_steps_in_order() {
        let mut s = spec(&["sh"]);
        s.tty = true;
        s.init = true;
        let p = Plan::build(
            &s,
            &Facts {
                terminal: [1; 4],
                ..facts(&s)
            },
        )
        .unwrap();
        let n = p.ops.len();
        assert_eq!(p.ops[0], Op::DieWithParent);
        let at = |op: &Op| p.ops.iter().position(|o| o == op).unwrap();
        assert_eq!(at(&Op::NewSession), at(&Op::NewKeyring) + 1);
        assert_eq!(at(&Op::Terminal([1; 4])), at(&Op::NewSession) + 1);
        // The init and the command keep no more privilege than asked.
        assert!(at(&Op::Caps([DEFAULT_CAPS, DEFAULT_CAPS, DEFAULT_CAPS, 0])) < at(&Op::Init));
        assert_eq!(
            p.ops[n - 2..],
            [Op::Init, Op::OwnGroup { foreground: true }]
        );
        s.tty = false;
        let p = plan(&s);
        assert!(!p.ops.iter().any(|o| matches!(o, Op::Terminal(_))));
        // Without a terminal of its own, it leaves the host's (no setsid).
        assert!(!p.ops.contains(&Op::NewSession));
        let leave = p.ops.iter().position(|o| *o == Op::LeaveTerminal);
        assert!(leave.unwrap() < p.ops.len() - 2);
        assert_eq!(p.ops.last(), Some(&Op::OwnGroup { foreground: false }));
        // With a rootfs, the pty comes from the container's own devpts,
        // opened once the root is switched.
        s.tty = true;
        s.rootfs = Some(b"/R".to_vec());
        let f = Facts {
            terminal: [24, 80, 0, 0],
            ..facts(&s)
        };
        let p = Plan::build(&s, &f).unwrap();
        let at = |op: &Op| p.ops.iter().position(|o| o == op).unwrap();
        let t = at(&Op::Terminal([24, 80, 0, 0]));
        assert!(at(&Op::PivotRoot(c"/R".into())) < t);
        assert_eq!(t, at(&Op::NewSession) + 1);
    }

    #[test]
    fn only_a_child_that_execs_without_waiting_shares_memory() {
        let mut s = spec(&["sh"]);
        let p = plan(&s);
        assert!(p.shares_memory() && p.pipe_channel());
        // The pty's master goes over a socket pair.
        s.tty = true;
        let p = plan(&s);
        assert!(p.shares_memory() && !p.pipe_channel());
        s.tty = false;
        // The parent writes the maps, or joins the cgroup, while it waits.
        s.userns = true;
        assert!(!plan(&s).shares_memory());
        s.userns = false;
        let p = Plan::build(
            &s,
            &Facts {
                join: Join::Outside,
                ..facts(&s)
            },
        )
        .unwrap();
        assert!(!p.shares_memory() && !p.pipe_channel());
        // An init never execs.
        s.init = true;
        assert!(!plan(&s).shares_memory());
    }

    #[test]
    fn cgroup_join_comes_first_and_the_cgroupns_after_it() {
        let mut s = spec(&["sh"]);
        for userns in [false, true] {
            s.userns = userns;
            let before = plan(&s).ops;
            let p = Plan::build(
                &s,
                &Facts {
                    join: Join::Outside,
                    ..facts(&s)
                },
            )
            .unwrap();
            // First, before anything else: nothing runs unlimited, and the
            // cgroup namespace is made once the group is joined. One wait
            // serves the id maps too.
            assert_eq!(p.ops[0], Op::AwaitParent);
            let rest: Vec<&Op> = before.iter().filter(|o| **o != Op::AwaitParent).collect();
            assert_eq!(p.ops[1..].iter().collect::<Vec<_>>(), rest);
            assert!(p.awaits_parent());
            assert!(
                p.ops
                    .iter()
                    .position(|o| *o == Op::UnshareCgroupNs)
                    .unwrap()
                    > 0
            );
            assert_eq!(p.clone_flags & g::CLONE_NEWCGROUP as u64, 0);
        }
    }

    #[test]
    fn a_time_namespace_is_the_parents_step_and_personality_the_childs() {
        let mut s = spec(&["sh"]);
        s.time_offsets = Some(vec![(1, -5, 0), (7, 10_000_000, 250)]);
        s.personality = Some(8);
        let p = plan(&s);
        assert_eq!(p.timens.as_deref(), Some(&b"1 -5 0\n7 10000000 250\n"[..]));
        // The kernel refuses CLONE_VM into another time namespace.
        assert!(!p.shares_memory());
        let text = String::from_utf8(p.describe().0).unwrap();
        assert!(
            text.contains(
                "\nbefore it: unshare CLONE_NEWTIME, timens_offsets: [1 -5 0] [7 10000000 250]\n"
            ),
            "{text}"
        );
        let pers = p.ops.iter().position(|o| *o == Op::Personality(8)).unwrap();
        let filter = p.ops.iter().position(|o| matches!(o, Op::Seccomp(..)));
        assert!(filter.is_none_or(|f| pers < f));
        assert!(
            pers > p
                .ops
                .iter()
                .position(|o| matches!(o, Op::Chdir(_)))
                .unwrap()
        );
    }

    #[test]
    fn a_shared_volume_is_copied_before_the_tree_goes_private() {
        let mut s = spec(&["sh"]);
        s.rootfs = Some(b"/R".to_vec());
        let vol = |src: &[u8], propagation| Volume {
            src: Some(src.to_vec()),
            dst: [b"/in", src].concat(),
            ro: false,
            opts: vec![],
            propagation,
        };
        s.volumes = vec![
            vol(b"/a", 0),
            vol(b"/b", g::MS_REC | g::MS_SHARED),
            vol(b"/c", g::MS_SHARED),
        ];
        s.root_propagation = g::MS_REC | g::MS_SHARED;
        let p = plan(&s);
        let at = |f: &dyn Fn(&Op) -> bool| p.ops.iter().position(f).unwrap();
        let private = at(&|o| *o == Op::PrivateMounts(g::MS_REC | g::MS_PRIVATE));
        assert_eq!(
            p.ops[private - 2],
            Op::Detach(place(Slot::Host, b"/b", 0), 0)
        );
        assert_eq!(
            p.ops[private - 1],
            Op::Detach(place(Slot::Host, b"/c", 0), 1)
        );
        let mounts: Vec<_> = p
            .ops
            .iter()
            .filter_map(|o| match o {
                Op::Mount(m) if m.step == "bind-mount volume on" => Some((&m.src, m.propagation)),
                _ => None,
            })
            .collect();
        assert_eq!(mounts[1], (&Source::Tree(0), g::MS_REC | g::MS_SHARED));
        assert_eq!(mounts[2], (&Source::Tree(1), g::MS_SHARED));
        assert!(matches!(mounts[0].0, Source::Bind(..)));
        // The root: a peer group of the container's own, after the switch.
        let pivot = at(&|o| matches!(o, Op::PivotRoot(_)));
        assert_eq!(
            p.ops[pivot + 1],
            Op::RootPropagation(g::MS_REC | g::MS_SHARED)
        );
        // Not in a user namespace (the kernel makes its copies slaves), nor
        // more than the child keeps.
        let mut f = facts(&s);
        f.userns = true;
        let e = Plan::build(&s, &f).err().unwrap();
        assert_eq!(
            e.msg,
            b"shared propagation of a volume in a user namespace is not supported by hull"
        );
        s.volumes = (0..5).map(|_| vol(b"/b", g::MS_SHARED)).collect();
        assert!(Plan::build(&s, &facts(&s)).is_err());
    }

    #[test]
    fn a_slave_volume_makes_the_tree_slaves_and_unbindable_comes_after_the_switch() {
        let mut s = spec(&["sh"]);
        s.rootfs = Some(b"/R".to_vec());
        s.volumes = vec![Volume {
            src: Some(b"/host/a".to_vec()),
            dst: b"/a".to_vec(),
            ro: false,
            opts: vec![],
            propagation: g::MS_REC | g::MS_SLAVE,
        }];
        let p = plan(&s);
        let private = |f| Op::PrivateMounts(g::MS_REC | f);
        assert!(p.ops.contains(&private(g::MS_SLAVE)));
        let vol = p.ops.iter().find_map(|o| match o {
            Op::Mount(m) if m.step == "bind-mount volume on" => Some(m),
            _ => None,
        });
        assert_eq!(vol.unwrap().propagation, g::MS_REC | g::MS_SLAVE);
        assert!(steps(&p).contains(&"make mounts slaves: mount --make-rslave /".into()));
        // The root itself stays private, as unasked volumes do.
        let pivot = p
            .ops
            .iter()
            .position(|o| matches!(o, Op::PivotRoot(_)))
            .unwrap();
        assert_eq!(p.ops[pivot + 1], Op::RootPropagation(g::MS_PRIVATE));
        // Without one: private, as always.
        s.volumes[0].propagation = 0;
        s.root_propagation = g::MS_UNBINDABLE;
        let p = plan(&s);
        assert!(p.ops.contains(&private(g::MS_PRIVATE)));
        let pivot = p
            .ops
            .iter()
            .position(|o| matches!(o, Op::PivotRoot(_)))
            .unwrap();
        assert_eq!(p.ops[pivot + 1], Op::RootPropagation(g::MS_UNBINDABLE));
    }

    #[test]
    fn hooks_are_awaited_after_the_mounts_before_the_switch() {
        let mut s = spec(&["sh"]);
        s.rootfs = Some(b"/R".to_vec());
        assert!(plan(&s).shares_memory());
        s.await_hooks = true;
        let p = plan(&s);
        let at = |f: &dyn Fn(&Op) -> bool| p.ops.iter().position(f).unwrap();
        let hooks = at(&|o| *o == Op::AwaitHooks);
        assert_eq!(hooks + 1, at(&|o| matches!(o, Op::PivotRoot(_))));
        assert!(hooks > at(&|o| matches!(o, Op::Mount(m) if m.step == "mount sysfs on")));
        // With a read-only root, before it is made so (createContainer
        // hooks write into it, as runc lets them).
        s.read_only = true;
        let p = plan(&s);
        let hooks = p.ops.iter().position(|o| *o == Op::AwaitHooks).unwrap();
        assert_eq!(p.ops[hooks + 1], Op::ReadOnlyRoot);
        // The parent runs while the child waits.
        assert!(!p.shares_memory() && !p.pipe_channel());
    }

    #[test]
    fn tmpfs_options_split_into_flags_and_data() {
        let (src, attrs) = tmpfs(b"ro,size=64m,exec,mode=1777,dev,nosuid");
        assert_eq!(attrs, RDONLY | NOSUID);
        let Source::Fs(t, opts) = src else { panic!() };
        assert_eq!(t, c"tmpfs");
        let keys: Vec<_> = opts.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(
            keys,
            [
                (c"source".into(), Some(c"tmpfs".into())),
                (c"size".into(), Some(c"64m".into())),
                (c"mode".into(), Some(c"1777".into())),
            ]
        );
        assert_eq!(tmpfs(b"").1, NOSUID | NODEV);
        // The atime modes, nodiratime and nosymfollow are flags too (they
        // once went to tmpfs, which refuses them); a later word wins.
        let (src, attrs) = tmpfs(b"noatime,nosymfollow,nodiratime,strictatime,size=1m");
        let want = NOSUID | NODEV | g::MOUNT_ATTR_NOSYMFOLLOW | g::MOUNT_ATTR_NODIRATIME;
        assert_eq!(attrs, want | g::MOUNT_ATTR_STRICTATIME);
        let Source::Fs(_, opts) = src else { panic!() };
        assert_eq!(opts.len(), 2);
        // On a bind: what to clear as well.
        let (_, set, clear) = mount_flags(b"rw,suid,noatime,exec,noexec", RDONLY);
        assert_eq!(
            (set, clear),
            (
                NOEXEC | g::MOUNT_ATTR_NOATIME,
                RDONLY | NOSUID | g::MOUNT_ATTR__ATIME
            )
        );
    }

    #[test]
    fn a_place_is_looked_up_past_its_slot() {
        assert_eq!(
            place(Slot::Proc, b"/proc/sys/kernel", 6).rel(),
            c"sys/kernel"
        );
        assert_eq!(place(Slot::Root, b"/proc", 1).rel(), c"proc");
        assert_eq!(place(Slot::Host, b"/sys", 0).rel(), c"/sys");
    }
}

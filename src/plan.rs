//! Spec -> Plan: everything the child needs, prepared before the clone.
//!
//! The plan is a list of operations that the child walks in order, plus the
//! execve arguments. Every C string, path and flag is built here, in the
//! parent, so the child only makes syscalls. Plans can be printed
//! (`--dry-run`, `--debug`) and are unit-tested without root.

use crate::error::{EXIT_RUNTIME, Error};
use crate::out::Buf;
use crate::resolve;
use crate::rootfs::{self, Target};
use crate::spec::Spec;
use crate::sys::{CStrArray, SigSet, Trace};
use crate::userns::{self, Maps};
use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::CStr;
use core::mem::ManuallyDrop;
use linux_raw_sys::general as g;

/// One setup step of the child, in the order the plan lists them.
#[derive(Debug, PartialEq, Eq)]
pub enum Op {
    /// `prctl(PR_SET_PDEATHSIG, SIGKILL)`, then a check that the parent has
    /// not already died (the report channel hung up): the container dies with
    /// hull, and killing PID 1 takes down the whole PID namespace.
    DieWithParent,
    /// `mount(NULL, "/", NULL, MS_REC|MS_PRIVATE)`: nothing mounted later leaks out.
    PrivateMounts,
    /// `sethostname(name)`.
    Hostname(Vec<u8>),
    /// Bring the new network namespace's `lo` up.
    LoopbackUp,
    /// `chdir(dir)`.
    Chdir(CString),
    /// `mount(2)`, any kind: proc, tmpfs, devpts, sysfs, a bind.
    Mount(Mount),
    /// `mkdir(path, 0755)`: a missing mount point (never one that exists).
    Mkdir(CString),
    /// `open(path, O_CREAT|O_EXCL)`: a missing mount point for a file.
    Touch(CString),
    /// `symlink(target, path)`.
    Symlink(&'static CStr, CString),
    /// `mount_setattr(MOUNT_ATTR_RDONLY)` on the mount at `path` (and below
    /// it when recursive), then `statvfs` to check that it took.
    ReadOnly {
        path: CString,
        recursive: bool,
        optional: bool,
    },
    /// Switch to the new root: `chdir(root)`, `pivot_root(".", ".")`,
    /// `umount2(".", MNT_DETACH)`, `chdir("/")` (MS_MOVE + chroot in an initramfs).
    PivotRoot(CString),
    /// `prctl(PR_CAPBSET_DROP)` for each capability not in the mask.
    DropBounding(u64),
    /// `setgroups(0, NULL)`, `setresgid(gid)`, `setresuid(uid)`.
    User(u32, u32),
    /// `capset`: effective, permitted and inheritable sets to the mask;
    /// then the ambient set cleared.
    Caps(u64),
    /// `prctl(PR_SET_NO_NEW_PRIVS, 1)`.
    NoNewPrivs,
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
    /// `unshare(CLONE_NEWCGROUP)`, after cgroups joined from outside, so the
    /// namespace's root is the container's own cgroup.
    UnshareCgroupNs,
}

/// One `mount(2)`, everything prepared.
#[derive(Debug, PartialEq, Eq)]
pub struct Mount {
    /// How errors name this step: "mount proc on", "bind-mount volume on"...
    pub step: &'static str,
    pub src: CString,
    pub target: CString,
    /// Empty for a bind mount.
    pub fstype: &'static CStr,
    /// `MS_*` flags.
    pub flags: u32,
    pub data: Option<CString>,
    /// A missing target (ENOENT) is skipped: masks of paths some kernels lack.
    pub optional: bool,
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
            Op::PrivateMounts => ("make mounts private: mount --make-rprivate", b"/"),
            Op::Hostname(h) => ("sethostname", h),
            Op::LoopbackUp => ("bring up loopback: ioctl SIOCSIFFLAGS", b"lo"),
            Op::Chdir(d) => ("chdir", d.to_bytes()),
            Op::Mount(m) => (m.step, m.target.to_bytes()),
            Op::Mkdir(p) => ("create mount point: mkdir", p.to_bytes()),
            Op::Touch(p) => ("create mount point: open O_CREAT", p.to_bytes()),
            Op::Symlink(_, p) => ("symlink", p.to_bytes()),
            Op::ReadOnly { path, .. } => ("make read-only: mount_setattr", path.to_bytes()),
            Op::PivotRoot(r) => ("switch root: pivot_root", r.to_bytes()),
            Op::DropBounding(_) => ("drop capabilities: prctl PR_CAPBSET_DROP", b""),
            Op::User(..) => ("set user: setgroups, setresgid, setresuid", b""),
            Op::Caps(_) => ("set capabilities: capset", b""),
            Op::NoNewPrivs => ("prctl PR_SET_NO_NEW_PRIVS", b""),
            Op::AwaitParent => ("wait for the parent", b""),
            Op::UnshareCgroupNs => ("unshare", b"CLONE_NEWCGROUP"),
        }
    }

    /// Whether ENOENT from this step means "skip it", not failure.
    pub fn optional(&self) -> bool {
        match self {
            Op::Mount(m) => m.optional,
            Op::ReadOnly { optional, .. } => *optional,
            _ => false,
        }
    }
}

/// What `/dev` holds in a container with its own root: these nodes,
/// bind-mounted from the host's `/dev` (never created with mknod, which a
/// user namespace cannot do), ...
const DEV_NODES: &str = "null zero full random urandom tty";
/// ... and these symlinks (name, target).
const DEV_LINKS: [(&str, &CStr); 5] = [
    ("ptmx", c"pts/ptmx"),
    ("fd", c"/proc/self/fd"),
    ("stdin", c"/proc/self/fd/0"),
    ("stdout", c"/proc/self/fd/1"),
    ("stderr", c"/proc/self/fd/2"),
];

/// Kernel interfaces hidden from the container, as docker and the OCI
/// runtimes do by default. `D`: a directory covered with an empty read-only
/// tmpfs; `N`: a file covered with /dev/null; `R`: made read-only. Paths
/// this kernel lacks are skipped (the child tolerates ENOENT there only).
pub const MASKS: &str = "D/proc/asound D/proc/acpi D/proc/scsi D/sys/firmware \
D/sys/devices/virtual/powercap N/proc/kcore N/proc/keys N/proc/latency_stats \
N/proc/timer_list N/proc/timer_stats N/proc/sched_debug \
R/proc/bus R/proc/fs R/proc/irq R/proc/sys R/proc/sysrq-trigger";

const MS_RDONLY: u32 = g::MS_RDONLY;
const MS_BIND: u32 = g::MS_BIND;
const MS_REC: u32 = g::MS_REC;
const MS_NOSUID: u32 = g::MS_NOSUID;
const MS_NODEV: u32 = g::MS_NODEV;
const MS_NOEXEC: u32 = g::MS_NOEXEC;
const MS_SAFE: u32 = MS_NOSUID | MS_NODEV | MS_NOEXEC;

/// Finds a mount point: `dst` inside the container, to a host path.
pub type Locate<'a> = dyn FnMut(&[u8]) -> Result<Target, Error> + 'a;

/// Builds the op list, appending to a plan under construction.
struct Ops<'a, 'b> {
    /// Never dropped, as the plan's (on an error too: no drop code).
    ops: ManuallyDrop<Vec<Op>>,
    locate: &'a mut Locate<'b>,
    /// The root is read-only (--read-only): mount points cannot be created.
    ro: bool,
    /// The steps pushed now may be skipped when their target is missing.
    optional: bool,
}

impl Ops<'_, '_> {
    fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    fn mount(
        &mut self,
        step: &'static str,
        src: &[u8],
        target: &[u8],
        fstype: &'static CStr,
        flags: u32,
        data: &[u8],
    ) {
        self.push(Op::Mount(Mount {
            step,
            src: cstr(src),
            target: cstr(target),
            fstype,
            flags,
            data: (!data.is_empty()).then(|| cstr(data)),
            optional: self.optional,
        }));
    }

    fn read_only(&mut self, path: &[u8], recursive: bool) {
        self.push(Op::ReadOnly {
            path: cstr(path),
            recursive,
            optional: self.optional,
        });
    }

    /// The host path of mount point `dst`, with ops to create what is
    /// missing of it (a directory, or a file when `file`) when the root is
    /// writable; an error naming it when it is not.
    fn point(&mut self, dst: &[u8], file: bool) -> Result<&'static [u8], Error> {
        let t = (self.locate)(dst)?;
        if t.missing > 0 && self.ro {
            // Error::new copies it; not dropped, as the paths.
            let mut m = ManuallyDrop::new(Buf::new());
            m.s("mount point ")
                .b(dst)
                .s(" is missing, and the root is read-only (--read-only)");
            return Err(Error::new(EXIT_RUNTIME, &m));
        }
        // Outermost first: each missing component, the last one perhaps a file.
        for i in (0..t.missing).rev() {
            let mut p = t.host;
            for _ in 0..i {
                p = &p[..p.iter().rposition(|&c| c == b'/').unwrap_or(0)];
            }
            let p = cstr(p);
            self.push(if i == 0 && file {
                Op::Touch(p)
            } else {
                Op::Mkdir(p)
            });
        }
        Ok(t.host)
    }
}

/// Everything the child needs, prepared. The steps, the executable and its
/// arrays are never dropped: they live until hull exits (or execs), as the
/// paths they were made from, and no drop code is spent on them (208 bytes).
pub struct Plan {
    /// Namespace flags for the one clone3 (CLONE_NEW*).
    pub clone_flags: u64,
    pub ops: ManuallyDrop<Vec<Op>>,
    /// The resolved executable.
    pub exe: ManuallyDrop<CString>,
    pub argv: ManuallyDrop<CStrArray>,
    pub envp: ManuallyDrop<CStrArray>,
    /// The signal mask hull started with, restored just before execve (the
    /// parent blocks the signals it forwards before the clone, and a blocked
    /// mask survives execve). Set at run time.
    pub sigmask: SigSet,
    /// The id maps the parent writes for the user namespace, if there is one.
    pub userns: Option<Maps>,
    /// Where `hull bench` wants timestamps (see [`crate::child::T_CHILD`]);
    /// None for `hull run`.
    pub trace: Option<Trace>,
}

impl Plan {
    /// Looks at the filesystem (the rootfs, volume sources, env files, the
    /// command, which it resolves as execvp would) and builds the plan.
    /// The rootfs and volume sources in `spec` become canonical host paths.
    /// Decides the user namespace from who runs hull (see [`userns::maps`]):
    /// `spec.userns` is set when it is on.
    pub fn build(spec: &mut Spec, env: &[&CStr]) -> Result<Plan, Error> {
        // First: a map this invoker may not write is refused before anything else.
        let uid = rustix::process::geteuid().as_raw();
        let gid = rustix::process::getegid().as_raw();
        let maps = userns::maps(spec, uid, gid)?;
        spec.userns |= maps.is_some();
        let root = match &spec.rootfs {
            Some(r) => Some(rootfs::open(r, "rootfs", true)?),
            None => None,
        };
        if let Some(r) = &root {
            // The old value leaked, as the paths: no drop code.
            core::mem::forget(spec.rootfs.replace(r.path.to_vec()));
        }
        for v in spec.volumes.iter_mut() {
            if let Some(src) = &v.src {
                // Checked here, so that a typo is one clear line and nothing is
                // created; the canonical path is what the child binds.
                let s = rootfs::open(src, "volume source", false)?;
                v.dir = s.dir;
                core::mem::forget(v.src.replace(s.path.to_vec()));
            }
        }
        // Leaked: it lives until exit, as the paths (48 bytes of drop code).
        let envv = crate::env::build(spec, env)?.leak();
        let path_var = crate::env::lookup(envv.iter().map(|e| &e[..]), b"PATH");
        let exe = resolve::command(
            root.as_ref(),
            spec.command.first().map_or(&[][..], |c| c),
            path_var,
            spec.workdir.as_deref(),
        )?;
        let envc = cstrs(envv);
        let mut locate = |dst: &[u8]| rootfs::locate(root.as_ref(), dst);
        let mut plan = Plan::with_exe(spec, exe, envc, &mut locate)?;
        // Replaces None: nothing to drop, and no drop code for it.
        core::mem::forget(core::mem::replace(&mut plan.userns, maps));
        Ok(plan)
    }

    /// Builds the plan for an already resolved executable and environment.
    /// Pure but for `locate` (where a mount point is), which tests fake.
    // Out of line: measured smaller than inlined into its one caller.
    #[inline(never)]
    pub fn with_exe(
        spec: &Spec,
        exe: CString,
        env: Vec<CString>,
        locate: &mut Locate<'_>,
    ) -> Result<Plan, Error> {
        // Not dropped on an error below, as the paths: no drop code.
        let (exe, env) = (ManuallyDrop::new(exe), ManuallyDrop::new(env));
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
        if spec.userns {
            flags |= g::CLONE_NEWUSER as u64;
        }

        let mut o = Ops {
            ops: ManuallyDrop::new(Vec::new()),
            locate,
            ro: spec.read_only,
            optional: false,
        };
        // Before anything else: a step that blocks or fails must not leave a
        // container behind a hull that was killed meanwhile.
        o.push(Op::DieWithParent);
        if spec.userns {
            // Then: until the parent has written the id maps, the
            // child is nobody in its user namespace, and every later step
            // (mounts, hostname, files, execve) needs it to be root there.
            o.push(Op::AwaitParent);
            if let Some((uid, gid)) = userns::switch(spec) {
                // Right after: root's own ids are not in the maps, so it must
                // become the container's ids before it creates any file.
                o.push(Op::User(uid, gid));
            }
        }
        // First, before any mount: with a shared `/` (systemd's default) every
        // mount below would propagate back to the host's mount table.
        o.push(Op::PrivateMounts);
        o.push(Op::Hostname(spec.hostname.clone()));
        if spec.net {
            // A new network namespace starts with lo down; programs expect it up.
            o.push(Op::LoopbackUp);
        }
        let root: &[u8] = spec.rootfs.as_deref().unwrap_or_default();
        if !root.is_empty() {
            // A bind of the rootfs onto itself makes it a mount point, which
            // pivot_root needs; recursive, to keep the image's own submounts.
            o.mount(
                "bind the rootfs onto itself",
                root,
                root,
                c"",
                MS_BIND | MS_REC,
                b"",
            );
        }
        // After the private step (or it would leak) and from inside the new
        // PID namespace (we are its PID 1), so it shows only our processes.
        let proc = o.point(b"/proc", false)?;
        o.mount("mount proc on", b"proc", proc, c"proc", MS_SAFE, b"");
        if !root.is_empty() {
            // A small /dev of our own: the harmless nodes bound from the host
            // (never its disks), a private devpts, shm, and the usual links.
            let dev = o.point(b"/dev", false)?;
            o.mount(
                "mount tmpfs on",
                b"tmpfs",
                dev,
                c"tmpfs",
                MS_NOSUID | MS_NOEXEC,
                b"mode=755,size=65536k",
            );
            // A node the host lacks (a bare initramfs) is left out.
            o.optional = true;
            for n in DEV_NODES.split(' ') {
                let (host, t) = (join(b"/dev", n), join(dev, n));
                o.push(Op::Touch(cstr(t)));
                o.mount("bind-mount device on", host, t, c"", MS_BIND, b"");
            }
            o.optional = false;
            // No gid=5 (tty): a user namespace may not map that group.
            let pts = join(dev, "pts");
            o.push(Op::Mkdir(cstr(pts)));
            o.mount(
                "mount devpts on",
                b"devpts",
                pts,
                c"devpts",
                MS_NOSUID | MS_NOEXEC,
                b"newinstance,ptmxmode=0666,mode=0620",
            );
            let shm = join(dev, "shm");
            o.push(Op::Mkdir(cstr(shm)));
            o.mount(
                "mount tmpfs on",
                b"shm",
                shm,
                c"tmpfs",
                MS_SAFE,
                b"mode=1777,size=65536k",
            );
            for (n, target) in DEV_LINKS {
                o.push(Op::Symlink(target, cstr(join(dev, n))));
            }
            // /sys read-only: a new network namespace may mount its own sysfs
            // (which then shows its own interfaces); otherwise the host's,
            // bound and made read-only with everything below it.
            let sys = o.point(b"/sys", false)?;
            if spec.net {
                o.mount(
                    "mount sysfs on",
                    b"sysfs",
                    sys,
                    c"sysfs",
                    MS_SAFE | MS_RDONLY,
                    b"",
                );
            } else {
                o.mount(
                    "bind-mount /sys on",
                    b"/sys",
                    sys,
                    c"",
                    MS_BIND | MS_REC,
                    b"",
                );
                o.read_only(sys, true);
            }
        }
        // Only a container with a root of its own gets the masks: without
        // --rootfs it shares the host's tree (its /sys, /dev and files, which
        // its root may write), so masking /proc would protect nothing and
        // cost a tenth of a millisecond per start.
        if !spec.privileged && !root.is_empty() {
            // After /proc and /sys are mounted, before the volumes (which may
            // deliberately cover these paths).
            o.optional = true;
            for m in MASKS.split(' ') {
                let (letter, path) = m.as_bytes().split_first().unwrap_or((&b'R', b""));
                let t = [root, path].concat().leak(); // as join's
                match letter {
                    b'N' => o.mount("mask with /dev/null", b"/dev/null", t, c"", MS_BIND, b""),
                    b'D' => o.mount(
                        "mask with tmpfs",
                        b"tmpfs",
                        t,
                        c"tmpfs",
                        MS_SAFE | MS_RDONLY,
                        b"size=0",
                    ),
                    _ => {
                        o.mount("bind-mount on itself", t, t, c"", MS_BIND | MS_REC, b"");
                        o.read_only(t, true);
                    }
                }
            }
            o.optional = false;
        }
        // Volumes and tmpfs mounts in the order given, after the system
        // mounts (so they may cover them) and before the switch of root
        // (while their host sources are still reachable).
        for v in &spec.volumes {
            let t = o.point(&v.dst, !v.dir)?;
            match &v.src {
                Some(src) => {
                    o.mount("bind-mount volume on", src, t, c"", MS_BIND | MS_REC, b"");
                    if v.ro {
                        o.read_only(t, true);
                    }
                }
                None => o.mount(
                    "mount tmpfs on",
                    b"tmpfs",
                    t,
                    c"tmpfs",
                    MS_NOSUID | MS_NODEV,
                    &v.opts,
                ),
            }
        }
        if spec.read_only {
            // Last of the mounts inside it, which needed their points created
            // first; only the root's own mount, not those on it. Without
            // --rootfs, the host's root as this mount namespace sees it.
            o.read_only(if root.is_empty() { b"/" } else { root }, false);
        }
        if !root.is_empty() {
            o.push(Op::PivotRoot(cstr(root)));
        }
        // After the switch of root: the workdir is a path inside the container.
        let dir: &[u8] = spec.workdir.as_deref().unwrap_or(b"/");
        o.push(Op::Chdir(cstr(dir)));
        // Always: the container must not keep the host's terminal.
        if spec.tty {
            // After setsid: only a session leader with no terminal can take
            // one; after the switch of root, to open the container's ptmx.
            o.push(Op::NewSession);
            o.push(Op::Terminal([0; 4]));
        } else {
            // Not setsid: with CONFIG_SCHED_AUTOGROUP, every new session is
            // also a new scheduler group, built and torn down per start.
            o.push(Op::LeaveTerminal);
        }
        if !spec.privileged {
            // While we still hold CAP_SETPCAP (a non-root uid loses it).
            o.push(Op::DropBounding(spec.caps));
        }
        if let Some((uid, gid)) = spec.user {
            // After every mount and privileged step; before capset, since
            // changing to a non-root uid clears the effective and permitted sets.
            o.push(Op::User(uid, gid));
        }
        if !spec.privileged {
            // docker: a non-root user keeps no effective or permitted capability.
            let nonroot = spec.user.is_some_and(|(u, _)| u != 0);
            o.push(Op::Caps(if nonroot { 0 } else { spec.caps }));
        }
        if spec.no_new_privs {
            o.push(Op::NoNewPrivs);
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

        let argv = CStrArray::new(cstrs(&spec.command));
        let envp = CStrArray::new(ManuallyDrop::into_inner(env));
        Ok(Plan {
            clone_flags: flags,
            ops: o.ops,
            exe,
            argv: ManuallyDrop::new(argv),
            envp: ManuallyDrop::new(envp),
            sigmask: 0,
            userns: None,
            trace: None,
        })
    }

    /// The size the child gives the pty it opens (see [`Op::Terminal`]).
    pub fn set_terminal(&mut self, size: [u16; 4]) {
        for op in self.ops.iter_mut() {
            if let Op::Terminal(s) = op {
                *s = size;
            }
        }
    }

    /// For cgroups the parent joins from outside after the clone (v1, or
    /// cgroup2 when CLONE_INTO_CGROUP is refused): the child waits for the
    /// join before its first step, so nothing runs unlimited; and a cgroup
    /// namespace is unshared after the join rather than at the clone, or
    /// its root would be hull's cgroups instead of the container's.
    pub fn join_cgroups_after_clone(&mut self) {
        self.ops.retain(|op| *op != Op::AwaitParent);
        let ns = g::CLONE_NEWCGROUP as u64;
        if self.clone_flags & ns != 0 {
            self.clone_flags &= !ns;
            self.ops.insert(0, Op::UnshareCgroupNs);
        }
        self.ops.insert(0, Op::AwaitParent);
    }

    /// Whether the child may run in hull's memory, vfork style, with hull
    /// suspended until its execve (see [`crate::sys::spawn`]). Not when it
    /// waits for the parent to act ([`Op::AwaitParent`]): the parent must
    /// run then. Not with an init, which never execs.
    pub fn shares_memory(&self) -> bool {
        !self
            .ops
            .iter()
            .any(|op| matches!(op, Op::AwaitParent | Op::Init))
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
    pub fn describe(&self) -> Buf {
        let mut b = Buf::new();
        b.s("clone3 flags: ");
        for (bit, name) in FLAG_BITS.iter().zip(FLAG_NAMES.split(' ')) {
            if self.clone_flags & *bit as u64 != 0 {
                b.s("CLONE_").s(name).s("|");
            }
        }
        b.s("CLONE_PIDFD, exit signal SIGCHLD\n");
        // The steps, then execve as the last one.
        for i in 0..=self.ops.len() {
            b.s("  ").u(i as u64 + 1).s(". ");
            match self.ops.get(i) {
                Some(op) => {
                    let (step, obj) = op.step();
                    b.s(step).s(" ").b(obj);
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

/// `dir/name`. Leaked, as the other paths the parent builds here: they
/// live until hull exits, and no drop code is spent on them on any path
/// (480 bytes of it with [`Ops::point`]'s and the masks').
pub fn join(dir: &[u8], name: &str) -> &'static [u8] {
    [dir, b"/", name.as_bytes()].concat().leak()
}

/// [`cstring`] of a copy: one copy for every caller. Out of line: smaller than a copy at each call site.
#[inline(never)]
pub fn cstr(b: &[u8]) -> CString {
    cstring(b.to_vec())
}

/// [`cstr`], leaked: for a path only passed to a syscall, with no drop
/// code to spend on it.
pub fn cpath(b: &[u8]) -> &'static CStr {
    alloc::boxed::Box::leak(cstr(b).into_boxed_c_str())
}

/// [`cstr`] of each: one collect for the arguments and the environment.
fn cstrs(v: &[Vec<u8>]) -> Vec<CString> {
    v.iter().map(|a| cstr(a)).collect()
}

/// A C string from bytes already checked to hold no NUL (the command line
/// cannot carry one; the spec validates what else could).
pub fn cstring(mut v: Vec<u8>) -> CString {
    v.retain(|&c| c != 0);
    v.push(0);
    // Cannot fail: the NULs were just removed.
    match CString::from_vec_with_nul(v) {
        Ok(c) => c,
        Err(e) => {
            // Not dropped, as the paths: no drop code.
            core::mem::forget(e);
            CString::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{DEFAULT_CAPS, Volume};

    fn spec(cmd: &[&str]) -> Spec {
        Spec {
            command: cmd.iter().map(|s| s.as_bytes().to_vec()).collect(),
            ..Spec::default()
        }
    }

    /// A fake filesystem: the rootfs is at /R; `/missing...` paths lack
    /// their last component; other paths exist as given.
    fn plan(s: &Spec) -> Result<Plan, Error> {
        let mut locate = |dst: &[u8]| {
            let root: &[u8] = if s.rootfs.is_some() { b"/R" } else { b"" };
            Ok(Target {
                host: [root, dst].concat().leak(),
                missing: dst.starts_with(b"/missing") as usize,
            })
        };
        Plan::with_exe(s, c"/bin/sh".into(), vec![c"A=1".into()], &mut locate)
    }

    fn mount_of(op: &Op) -> (&str, &[u8], &[u8]) {
        match op {
            Op::Mount(m) => (m.step, m.src.to_bytes(), m.target.to_bytes()),
            other => panic!("not a mount: {other:?}"),
        }
    }

    #[test]
    fn default_plan_order() {
        let p = plan(&spec(&["sh"])).unwrap();
        let ops = &p.ops;
        assert_eq!(ops[0], Op::DieWithParent);
        assert_eq!(ops[1], Op::PrivateMounts);
        assert_eq!(ops[2], Op::Hostname(b"container".to_vec()));
        assert_eq!(
            mount_of(&ops[3]),
            ("mount proc on", &b"proc"[..], &b"/proc"[..])
        );
        // No masks without a root of its own: the host's tree is shared.
        assert!(!ops.iter().any(|o| o.optional()), "{ops:?}");
        let n = 4;
        assert!(!ops[n].optional());
        assert_eq!(ops[n], Op::Chdir(c"/".into()));
        assert_eq!(ops[n + 1], Op::LeaveTerminal);
        assert_eq!(ops[n + 2], Op::DropBounding(DEFAULT_CAPS));
        assert_eq!(ops[n + 3], Op::Caps(DEFAULT_CAPS));
        assert_eq!(ops.len(), n + 4);
        let ns = (g::CLONE_NEWNS | g::CLONE_NEWUTS | g::CLONE_NEWPID) as u64;
        assert_eq!(p.clone_flags, ns);
        assert_eq!(p.argv.strings(), &[CString::from(c"sh")]);
        assert_eq!(p.envp.strings(), &[CString::from(c"A=1")]);
    }

    #[test]
    fn rootfs_plan_order() {
        let mut s = spec(&["sh"]);
        s.rootfs = Some(b"/R".to_vec());
        s.read_only = false;
        s.user = Some((1000, 100));
        s.no_new_privs = true;
        s.volumes = vec![
            Volume {
                src: Some(b"/host/a".to_vec()),
                dst: b"/missing".to_vec(),
                ro: true,
                dir: false,
                opts: vec![],
            },
            Volume {
                src: None,
                dst: b"/tmp".to_vec(),
                ro: false,
                dir: true,
                opts: b"size=1m".to_vec(),
            },
        ];
        s.workdir = Some(b"/tmp".to_vec());
        let p = plan(&s).unwrap();
        let text = String::from_utf8(p.describe().0).unwrap();
        let steps: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split_once(". ").unwrap().1)
            .collect();
        let at = |needle: &str| {
            steps
                .iter()
                .position(|l| *l == needle)
                .unwrap_or_else(|| panic!("{needle} not in {text}"))
        };
        assert_eq!(at("bind the rootfs onto itself /R"), 3);
        assert!(at("mount proc on /R/proc") < at("mount tmpfs on /R/dev"));
        assert!(at("mount tmpfs on /R/dev") < at("bind-mount device on /R/dev/null"));
        assert!(at("mount devpts on /R/dev/pts") < at("symlink /R/dev/ptmx"));
        assert!(
            at("make read-only: mount_setattr /R/sys") < at("mask with /dev/null /R/proc/kcore")
        );
        // Each mask is skipped where the kernel lacks the path.
        let masks = at("mask with tmpfs /R/proc/asound")
            ..=at("make read-only: mount_setattr /R/proc/sysrq-trigger");
        assert_eq!(masks.clone().count(), 16 + 5);
        assert!(p.ops[masks].iter().all(|o| o.optional()));
        // Volumes in order, after the masks; a missing point for a file is created.
        let v = at("create mount point: open O_CREAT /R/missing");
        assert!(at("make read-only: mount_setattr /R/proc/sys") < v);
        assert_eq!(at("bind-mount volume on /R/missing"), v + 1);
        assert_eq!(at("make read-only: mount_setattr /R/missing"), v + 2);
        assert_eq!(at("mount tmpfs on /R/tmp"), v + 3);
        let pivot = at("switch root: pivot_root /R");
        assert_eq!(pivot, v + 4);
        assert_eq!(at("chdir /tmp"), pivot + 1);
        assert_eq!(p.ops[pivot + 2], Op::LeaveTerminal);
        assert_eq!(p.ops[pivot + 3], Op::DropBounding(DEFAULT_CAPS));
        assert_eq!(p.ops[pivot + 4], Op::User(1000, 100));
        // A non-root user keeps no effective capability.
        assert_eq!(p.ops[pivot + 5], Op::Caps(0));
        assert_eq!(p.ops[pivot + 6], Op::NoNewPrivs);
        assert!(text.ends_with(". execve /bin/sh sh\n"), "{text}");

        // Read-only: the root is made so right before the switch, and a
        // missing mount point is an error naming it.
        s.read_only = true;
        let Err(e) = plan(&s) else {
            panic!("must fail")
        };
        assert_eq!(
            e.msg,
            b"mount point /missing is missing, and the root is read-only (--read-only)"
        );
        s.volumes.remove(0);
        let p = plan(&s).unwrap();
        let i = p
            .ops
            .iter()
            .position(|o| matches!(o, Op::PivotRoot(_)))
            .unwrap();
        assert_eq!(
            p.ops[i - 1],
            Op::ReadOnly {
                path: c"/R".into(),
                recursive: false,
                optional: false
            }
        );
    }

    #[test]
    fn user_namespace_waits_for_the_maps_first() {
        let mut s = spec(&["id"]);
        assert!(!plan(&s).unwrap().awaits_parent());
        s.userns = true;
        let p = plan(&s).unwrap();
        assert_eq!(
            p.ops[..3],
            [Op::DieWithParent, Op::AwaitParent, Op::PrivateMounts]
        );
        assert!(p.awaits_parent());
        assert_ne!(p.clone_flags & g::CLONE_NEWUSER as u64, 0);
        let text = String::from_utf8(p.describe().0).unwrap();
        assert!(text.contains("|CLONE_NEWUSER|CLONE_PIDFD"), "{text}");
        assert!(text.contains("  2. wait for the parent \n"), "{text}");
        // Root with ranges: it becomes the container's ids right away.
        let opt = |name| crate::cli::Opt { name, inline: None };
        userns::option(&mut s, &opt(b"--uid-map"), b"0:100000:65536").unwrap();
        userns::option(&mut s, &opt(b"--map-group"), b"7").unwrap();
        let p = plan(&s).unwrap();
        assert_eq!(p.ops[1..3], [Op::AwaitParent, Op::User(0, 7)]);
    }

    #[test]
    fn privileged_keeps_everything_and_net_gets_its_sysfs() {
        let mut s = spec(&["ip", "link"]);
        s.net = true;
        s.ipc = true;
        s.cgroupns = true;
        s.privileged = true;
        s.rootfs = Some(b"/R".to_vec());
        s.hostname = b"box".to_vec();
        let p = plan(&s).unwrap();
        assert_eq!(p.ops[2], Op::Hostname(b"box".to_vec()));
        assert_eq!(p.ops[3], Op::LoopbackUp);
        assert!(
            !p.ops
                .iter()
                .any(|o| matches!(o, Op::Caps(_) | Op::DropBounding(_)))
        );
        assert!(
            !p.ops
                .iter()
                .any(|o| matches!(o, Op::Mount(m) if m.step.starts_with("mask")))
        );
        assert!(p.ops.iter().any(
            |o| matches!(o, Op::Mount(m) if m.step == "mount sysfs on" && m.flags & MS_RDONLY != 0)
        ));
        assert_ne!(p.clone_flags & g::CLONE_NEWNET as u64, 0);
        assert_ne!(p.clone_flags & g::CLONE_NEWIPC as u64, 0);
        assert_ne!(p.clone_flags & g::CLONE_NEWCGROUP as u64, 0);
        let text = String::from_utf8(p.describe().0).unwrap();
        assert!(text.starts_with("clone3 flags: CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWCGROUP|CLONE_PIDFD"), "{text}");
        assert!(
            text.contains("  4. bring up loopback: ioctl SIOCSIFFLAGS lo\n"),
            "{text}"
        );
    }

    #[test]
    fn tty_and_init_steps_in_order() {
        let mut s = spec(&["sh"]);
        s.tty = true;
        s.init = true;
        let mut p = plan(&s).unwrap();
        p.set_terminal([1; 4]);
        let n = p.ops.len();
        assert_eq!(p.ops[0], Op::DieWithParent);
        let at = |op: &Op| p.ops.iter().position(|o| o == op).unwrap();
        assert_eq!(at(&Op::NewSession), at(&Op::Chdir(c"/".into())) + 1);
        assert_eq!(at(&Op::Terminal([1; 4])), at(&Op::NewSession) + 1);
        // The init and the command keep no more privilege than asked.
        assert!(at(&Op::Caps(DEFAULT_CAPS)) < at(&Op::Init));
        assert_eq!(
            p.ops[n - 2..],
            [Op::Init, Op::OwnGroup { foreground: true }]
        );
        s.tty = false;
        let p = plan(&s).unwrap();
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
        let mut p = plan(&s).unwrap();
        p.set_terminal([24, 80, 0, 0]);
        let at = |op: &Op| p.ops.iter().position(|o| o == op).unwrap();
        let t = at(&Op::Terminal([24, 80, 0, 0]));
        assert!(at(&Op::PivotRoot(c"/R".into())) < t);
        assert_eq!(t, at(&Op::NewSession) + 1);
    }

    #[test]
    fn only_a_child_that_execs_without_waiting_shares_memory() {
        let mut s = spec(&["sh"]);
        let p = plan(&s).unwrap();
        assert!(p.shares_memory() && p.pipe_channel());
        // The pty's master goes over a socket pair.
        s.tty = true;
        let p = plan(&s).unwrap();
        assert!(p.shares_memory() && !p.pipe_channel());
        s.tty = false;
        // The parent writes the maps, or joins the cgroup, while it waits.
        s.userns = true;
        assert!(!plan(&s).unwrap().shares_memory());
        s.userns = false;
        let mut p = plan(&s).unwrap();
        p.join_cgroups_after_clone();
        assert!(!p.shares_memory() && !p.pipe_channel());
        // An init never execs.
        s.init = true;
        assert!(!plan(&s).unwrap().shares_memory());
    }

    #[test]
    fn cgroup_join_comes_first_and_moves_the_cgroupns() {
        let mut s = spec(&["sh"]);
        let mut p = plan(&s).unwrap();
        let before = plan(&s).unwrap().ops;
        p.join_cgroups_after_clone();
        // First, before anything else: nothing runs unlimited.
        assert_eq!(p.ops[0], Op::AwaitParent);
        assert_eq!(p.ops[1..], before[..]);
        assert!(p.awaits_parent());
        s.cgroupns = true;
        let mut p = plan(&s).unwrap();
        let before = plan(&s).unwrap().ops;
        p.ops.push(Op::AwaitParent);
        p.join_cgroups_after_clone();
        assert_eq!(p.ops[..2], [Op::AwaitParent, Op::UnshareCgroupNs]);
        assert_eq!(p.ops[2..], before[..]);
        assert_eq!(p.ops.iter().filter(|o| **o == Op::AwaitParent).count(), 1);
        assert_eq!(p.clone_flags & g::CLONE_NEWCGROUP as u64, 0);
        p.join_cgroups_after_clone();
        assert_eq!(p.ops.len(), before.len() + 2);
    }
}

//! argv -> what to do. Pure: no syscalls, unit-tested without root.

use crate::error::Error;
use crate::spec::{
    CAP_NAMES, CPU_PERIOD, DEV_MKNOD, DEV_READ, DEV_WRITE, Device, Env, HOSTNAME_MAX, INVOKER,
    IdMap, Seccomp, Share, Spec, Volume,
};
use crate::util::out::{Buf, parse_u64, size};
use crate::util::text::{find, tok};
use alloc::vec::Vec;
use linux_raw_sys::general as g;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// What `hull --version` prints, made at compile time.
/// In runc's shape (`runc version X`, then `spec: V`): podman and
/// containerd read the first line of an OCI runtime's `--version`.
pub const VERSION_LINE: &str = concat!(
    "hull version ",
    env!("CARGO_PKG_VERSION"),
    "\nspec: 1.1.0\n"
);

pub const USAGE: &str = "usage: hull run [OPTIONS] [--] COMMAND [ARG...]   (hull --help)\n";

pub const HELP: &str = "\
hull: a container in one static binary and one clone3.

usage:
  hull run [OPTIONS] [--] COMMAND [ARG...]     run COMMAND in new namespaces
  hull bench [OPTIONS] [--] COMMAND [ARG...]   time N starts of that container
  hull bench --runtime PATH... --bundle DIR    time OCI runtimes' lifecycles
  hull check          what this kernel offers: namespaces, cgroups, clone3
  hull exec [-t] [-i] [-e K=V] [-u UID[:GID]] [-w DIR] NAME COMMAND [ARG...]
                      run COMMAND in the running container NAME (--name)
  hull ps|pause|resume NAME, hull kill NAME [SIGNAL], hull list
                      its processes; freeze it, thaw it, signal it; all of them
  hull create|start|state|delete|update|spec|features|run ... the OCI runtime
  hull --help | --version

Each command takes --help; every option is in man hull (docs/hull.1).

Exit status: the command's own; 128+N if it was killed by signal N;
125 if hull itself failed; 126 if the command cannot be executed;
127 if it was not found.
";

pub const RUN_HELP: &str = "\
usage: hull run [OPTIONS] [--] COMMAND [ARG...]

Runs COMMAND as PID 1 of a container isolated as docker's; every option is
in man hull (docs/hull.1).

options:
  --rootfs DIR        use DIR as the root filesystem (default: the host's)
  --read-only         make the root filesystem read-only
  -v, --volume SRC:DST[:ro][,rslave|rshared]  bind host path SRC on DST
                      (read-only with :ro; a slave of the host's mounts
                      with rslave, a peer of SRC's mount with rshared)
  --tmpfs DST[:OPTS]  a private tmpfs on DST (OPTS such as size=64m,noatime)
  -e, --env KEY[=VAL] set KEY (without =VAL: the host's value)
  --env-file FILE     KEY=VALUE lines; # comments and blank lines skipped
  --env-host          start from the host's environment
  -u, --user UID[:GID]  run as these numeric ids (no supplementary groups)
  --cap-add CAP       keep CAP too (CHOWN or cap_chown; ALL)
  --cap-drop CAP      drop CAP (ALL: every one)
  --privileged        keep every capability; /proc unmasked
  --no-new-privs      set no_new_privs (setuid bits no longer raise privileges)
  --hostname NAME     hostname inside (default: container; at most 64 bytes)
  --name NAME         known as NAME while it runs (hull exec, ps, kill...)
  -w, --workdir DIR   directory to start in, inside the root (default: /)
  --net[=none|host]   own netns (lo only) or the host's (default: shared, empty)
  --ipc[=host], --cgroupns[=host]   the host's (default: the container's own)
  --init              PID 1 is an init: reaps zombies, passes signals on
  -t, --tty           a new pty as the terminal
  -i, --interactive   relay stdin to it (the host terminal goes raw)
  --stop-timeout SECS SIGKILL this long after a SIGTERM/SIGINT (default 10)
  --memory SIZE       memory limit (SIZE: bytes, or with k, m or g)
  --memory-swap SIZE  memory plus swap limit
  --pids N            at most N tasks
  --cpus X            CPU time, in CPUs (such as 0.5)
  --cpu-weight N      CPU weight, 1 to 10000 (default 100)
  --cpuset-cpus L, --cpuset-mems L   the CPUs, memory nodes it may use (0-3,7)
  --cgroup-parent P   make the limits' cgroup, hull-<pid>, under P
  -U, --userns        new user namespace, you as root (always if not root)
  --uid-map, --gid-map C:H:N   N ids from H outside as C.. inside (root only)
  --map-user, --map-group ID   your uid, gid inside (default 0)
  --debug             trace each step on standard error
  --dry-run           print the plan and exit without running it
  -h, --help          this help
";

pub const CHECK_HELP: &str = "\
usage: hull check

What the running kernel offers, one fact a line: clone3, /proc, the
namespaces, user namespaces and the cgroup hierarchies (man hull).
";

pub const BENCH_HELP: &str = "\
usage: hull bench [OPTIONS] [--] COMMAND [ARG...]

Starts the container 'hull run' would, N times, timing each start from
clone3 to reaped; reports percentiles, phases and a histogram. The command's
stdin and stdout are /dev/null; a failed start stops it (status 125).
Every option is in man hull (docs/hull.1).

options (and all of 'hull run'):
  -n N           timed starts (default: 1000)
  --warmup N     untimed starts first (default: 20)
  --json         the figures as one JSON object
  --svg FILE     write a latency CDF chart
  --compare      interleave the floor (fork+execve) and unshare(1)
  -h, --help     this help

usage: hull bench --runtime PATH... --bundle DIR [-n N] [--warmup N] [--json]
                  [--svg FILE] [--markdown] [--umount-unified]
Times OCI runtimes' create, start, exec, exit and delete, interleaved.
  --markdown        a table of the medians
  --umount-unified  without /sys/fs/cgroup/unified (crun 1.8 on hybrid hosts)
";

/// The command line of `hull bench`.
#[derive(Debug, PartialEq, Eq)]
pub struct BenchOptions {
    /// The container, exactly as `hull run` would start it.
    pub spec: Spec,
    /// Timed starts (`-n`).
    pub n: u32,
    /// Untimed starts before them (`--warmup`).
    pub warmup: u32,
    pub json: bool,
    pub svg: Option<Vec<u8>>,
    /// Interleave the no-namespace floor and unshare(1).
    pub compare: bool,
    /// `--runtime`: OCI runtimes to time instead, in order (as given).
    pub runtimes: Vec<Vec<u8>>,
    /// `--bundle`: the OCI bundle they run.
    pub bundle: Vec<u8>,
    /// `--markdown`: a table of the medians, one row per runtime.
    pub markdown: bool,
    /// `--umount-unified`: run the runtimes in a mount namespace of
    /// hull's own without /sys/fs/cgroup/unified (crun 1.8 refuses a
    /// hybrid cgroup layout).
    pub umount_unified: bool,
}

impl Default for BenchOptions {
    fn default() -> BenchOptions {
        BenchOptions {
            spec: Spec::default(),
            n: 1000,
            warmup: 20,
            json: false,
            svg: None,
            compare: false,
            runtimes: Vec::new(),
            bundle: Vec::new(),
            markdown: false,
            umount_unified: false,
        }
    }
}

/// What the command line asks for. Made once per process and moved once,
/// so a large `Run` costs nothing; a Box would cost code.
#[derive(Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Print this text on standard output and exit 0.
    Help(&'static str),
    Version,
    /// Report what the running kernel offers (`hull check`).
    Check,
    Run(Spec),
    Bench(BenchOptions),
}

/// Parses the arguments after argv[0].
pub fn parse(args: &[&[u8]]) -> Result<Command, Error> {
    let Some((&sub, rest)) = args.split_first() else {
        return Err(Error::usage_text("missing subcommand").with_usage());
    };
    // A table and a jump on the index, as for the options.
    match find("-h|--help|help -V|--version|version check run bench", sub) {
        Some(0) => Ok(Command::Help(HELP)),
        Some(1) => Ok(Command::Version),
        Some(2) => match rest {
            [] => Ok(Command::Check),
            [h] if find("-h|--help", h).is_some() => Ok(Command::Help(CHECK_HELP)),
            [a, ..] => Err(Error::usage_of("check: unexpected argument '", a, "'")),
        },
        Some(3) => options(false, rest),
        // Built in with the `bench` feature (a default one): it costs about
        // 33 KiB (see docs/install.md).
        #[cfg(feature = "bench")]
        Some(_) => bench_options(rest),
        #[cfg(not(feature = "bench"))]
        Some(_) => Err(Error::new(
            crate::error::EXIT_RUNTIME,
            Buf::new().s("bench: not built in (cargo build --release --features bench)"),
        )),
        None => Err(Error::usage_of("unknown subcommand '", sub, "'").with_usage()),
    }
}

/// The options of `hull bench`: its own, and every one of `hull run`
/// (it starts the container run would).
pub fn bench_options(rest: &[&[u8]]) -> Result<Command, Error> {
    options(true, rest)
}

/// The options of `hull run`, or of `hull bench` (its own, then every one
/// of run's). One loop for both: a second copy cost ~1 KiB.
#[inline(never)]
fn options(bench: bool, rest: &[&[u8]]) -> Result<Command, Error> {
    // Not dropped on an error or --help: hull exits right after, and the
    // drop glue of the options is code.
    let mut o = core::mem::ManuallyDrop::new(BenchOptions::default());
    let mut a = Args::new(rest);
    while let Some(opt) = a.next_option()? {
        if is_help(&opt) {
            return Ok(Command::Help(if bench { BENCH_HELP } else { RUN_HELP }));
        }
        let known =
            bench && bench_option(&mut o, &opt, &mut a)? || run_option(&mut o.spec, &opt, &mut a)?;
        if !known {
            return Err(unknown(&opt));
        }
    }
    // With --runtime, the bundle's command is run, not one of hull's.
    if o.runtimes.is_empty() {
        finish(&mut o.spec, &a)?;
    } else if !a.rest().is_empty() {
        return Err(Error::usage_text("--runtime: no COMMAND (the bundle's is run)").with_usage());
    }
    let o = core::mem::ManuallyDrop::into_inner(o);
    Ok(if bench {
        Command::Bench(o)
    } else {
        Command::Run(o.spec)
    })
}

/// `hull bench`'s own options; false for any other.
fn bench_option<'a>(o: &mut BenchOptions, opt: &Opt<'a>, a: &mut Args<'a>) -> Result<bool, Error> {
    match find(
        "-n --warmup --json --compare --svg --runtime --bundle --markdown --umount-unified",
        opt.name,
    ) {
        Some(0) => o.n = count(opt, a.value(opt)?, 1)?,
        Some(1) => o.warmup = count(opt, a.value(opt)?, 0)?,
        Some(2) => o.json = a.flag(opt)?,
        Some(3) => o.compare = a.flag(opt)?,
        Some(4) => o.svg = Some(a.value(opt)?.to_vec()),
        Some(5) => o.runtimes.push(a.value(opt)?.to_vec()),
        Some(6) => o.bundle = a.value(opt)?.to_vec(),
        Some(7) => o.markdown = a.flag(opt)?,
        Some(_) => o.umount_unified = a.flag(opt)?,
        None => return Ok(false),
    }
    Ok(true)
}

/// A count of starts, `min` (0 or 1) to ten million.
fn count(opt: &Opt<'_>, v: &[u8], min: u64) -> Result<u32, Error> {
    match range(v, min, 10_000_000) {
        Some(n) => Ok(n as u32),
        None => Err(Error::usage_of(
            "",
            opt.name,
            if min == 0 {
                ": expected a whole number from 0 to 10000000"
            } else {
                ": expected a whole number from 1 to 10000000"
            },
        )),
    }
}

/// Declares the options of `hull run`: one row per option, its spellings
/// (`|` between two of one) and the name its handling matches on. Makes
/// [`RUN_OPTIONS`], the one string the parser looks names up in (an array
/// of slices would cost 16 bytes of pointers each), and [`RunOpt`], the
/// option found, in the same order: a name and its handling cannot drift.
macro_rules! run_options {
    ($($names:literal => $opt:ident,)*) => {
        /// An option of `hull run` (see [`RUN_OPTIONS`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum RunOpt { $($opt),* }
        /// The spellings of each [`RunOpt`], in its order.
        const RUN_OPTIONS: &str = concat!($($names, " "),*);
        const RUN_OPT: &[RunOpt] = &[$(RunOpt::$opt),*];
    };
}

run_options! {
    "--net" => Net,
    "--ipc" => Ipc,
    "--cgroupns" => Cgroupns,
    "--debug" => Debug,
    "--dry-run" => DryRun,
    "--read-only" => ReadOnly,
    "--env-host" => EnvHost,
    "--privileged" => Privileged,
    "--no-new-privs" => NoNewPrivs,
    "--init" => Init,
    "-t|--tty" => Tty,
    "-i|--interactive" => Interactive,
    "-U|--userns" => Userns,
    "--no-new-keyring" => NoNewKeyring,
    "--hostname" => Hostname,
    "-w|--workdir" => Workdir,
    "--rootfs" => Rootfs,
    "-v|--volume" => Volume,
    "--tmpfs" => Tmpfs,
    "-e|--env" => Env,
    "--env-file" => EnvFile,
    "-u|--user" => User,
    "--cap-add" => CapAdd,
    "--cap-drop" => CapDrop,
    "--stop-timeout" => StopTimeout,
    "--preserve-fds" => PreserveFds,
    "--device" => Device,
    "--sysctl" => Sysctl,
    "--security-opt" => SecurityOpt,
    "--memory" => Memory,
    "--memory-swap" => MemorySwap,
    "--pids" => Pids,
    "--cpus" => Cpus,
    "--cpu-weight" => CpuWeight,
    "--cgroup-parent" => CgroupParent,
    "--uid-map" => UidMap,
    "--gid-map" => GidMap,
    "--map-user" => MapUser,
    "--map-group" => MapGroup,
    "--name" => Name,
    "--cpuset-cpus" => CpusetCpus,
    "--cpuset-mems" => CpusetMems,
}

/// Reads the options of `hull run` (which every container-starting
/// subcommand shares). Returns false for an option it does not know.
// Out of line: measured smaller than inlined into its one caller.
#[inline(never)]
pub fn run_option<'a>(spec: &mut Spec, opt: &Opt<'a>, a: &mut Args<'a>) -> Result<bool, Error> {
    use RunOpt as O;
    // A table and a jump on the option, rather than a match on byte
    // strings, which compiles to a comparison chain per arm.
    let Some(&o) = find(RUN_OPTIONS, opt.name).and_then(|i| RUN_OPT.get(i)) else {
        return Ok(false);
    };
    if let O::Net | O::Ipc | O::Cgroupns = o {
        // Alone, a namespace of the container's own; `=host` shares the
        // host's; `--net=shared` is the default.
        let v = opt.inline.unwrap_or(b"private");
        let share = match find("private|none host shared", v) {
            Some(0) => Share::Private,
            Some(1) => Share::Host,
            Some(_) if o == O::Net => Share::Shared,
            _ => {
                let want = match o {
                    O::Net => "none, host or shared",
                    _ => "private or host",
                };
                return Err(bad(opt, v, want));
            }
        };
        *match o {
            O::Net => &mut spec.net,
            O::Ipc => &mut spec.ipc,
            _ => &mut spec.cgroupns,
        } = share;
        return Ok(true);
    }
    let flag = match o {
        O::Debug => Some(&mut spec.debug),
        O::DryRun => Some(&mut spec.dry_run),
        O::ReadOnly => Some(&mut spec.read_only),
        O::EnvHost => Some(&mut spec.env_host),
        O::Privileged => Some(&mut spec.privileged),
        O::NoNewPrivs => Some(&mut spec.no_new_privs),
        O::Init => Some(&mut spec.init),
        O::Tty => Some(&mut spec.tty),
        O::Interactive => Some(&mut spec.interactive),
        O::Userns => Some(&mut spec.userns),
        O::NoNewKeyring => Some(&mut spec.new_keyring),
        _ => None,
    };
    if let Some(flag) = flag {
        a.flag(opt)?;
        *flag = o != O::NoNewKeyring;
        return Ok(true);
    }
    let v = a.value(opt)?;
    let l = &mut spec.limits;
    match o {
        O::Hostname => spec.hostname = v.to_vec(),
        O::Workdir => spec.workdir = Some(v.to_vec()),
        O::Rootfs => spec.rootfs = Some(v.to_vec()),
        O::Volume => spec.volumes.push(volume(v, false)?),
        O::Tmpfs => spec.volumes.push(volume(v, true)?),
        O::Env => spec.env.push(Env::Var(v.to_vec())),
        O::EnvFile => spec.env.push(Env::File(v.to_vec())),
        O::User => spec.user = Some(user(v)?),
        O::CapAdd => spec.caps |= cap(v)?,
        O::CapDrop => spec.caps &= !cap(v)?,
        O::StopTimeout => {
            // Bounded so that seconds * 1000 (the poll timeout) cannot overflow.
            spec.stop_timeout = match range(v, 0, 1_000_000) {
                Some(n) => n as u32,
                None => {
                    return Err(Error::usage_text(
                        "--stop-timeout: expected seconds, at most 1000000",
                    ));
                }
            }
        }
        O::PreserveFds => {
            spec.preserve_fds =
                range(v, 0, MAX_PRESERVE).ok_or_else(|| bad(opt, v, "0 to 65536"))? as u32
        }
        O::Device => spec.devices.push(device(opt, v)?),
        O::Sysctl => spec.sysctls.push(sysctl(opt, v)?),
        O::SecurityOpt => security_opt(spec, opt, v)?,
        O::UidMap => id_map(spec, UID, false, v).map_err(|want| bad(opt, v, want))?,
        O::GidMap => id_map(spec, GID, false, v).map_err(|want| bad(opt, v, want))?,
        O::MapUser => id_map(spec, UID, true, v).map_err(|want| bad(opt, v, want))?,
        O::MapGroup => id_map(spec, GID, true, v).map_err(|want| bad(opt, v, want))?,
        O::Name => spec.name = Some(v.to_vec()),
        O::CpusetCpus | O::CpusetMems => {
            // A list such as 0-3,7.
            let list = !v.is_empty()
                && v.iter().all(|c| c.is_ascii_digit() || b",-".contains(c))
                && v[0].is_ascii_digit();
            if !list {
                return Err(bad(opt, v, "a list such as 0-3,7"));
            }
            *match o {
                O::CpusetCpus => &mut l.cpuset_cpus,
                _ => &mut l.cpuset_mems,
            } = Some(v.to_vec());
        }
        O::CgroupParent => {
            path(v).ok_or_else(|| bad(opt, v, "a path without . or .."))?;
            l.parent = v.to_vec();
        }
        _ => {
            // A resource limit: its parser (None for a bad value), what a
            // good value looks like, and where it goes.
            let (parse, want, slot): (Parser, _, _) = match o {
                O::Memory => (memory, MEMORY_SIZE, &mut l.memory),
                O::MemorySwap => (memory, MEMORY_SIZE, &mut l.memory_swap),
                O::Pids => (pids, "1 to 4194304", &mut l.pids),
                O::Cpus => (cpus, "0.01 to 999999", &mut l.cpu_quota),
                _ => (weight, "1 to 10000", &mut l.cpu_weight),
            };
            *slot = Some(parse(v).ok_or_else(|| bad(opt, v, want))?);
        }
    }
    Ok(true)
}

/// The most fds `--preserve-fds` may pass.
const MAX_PRESERVE: u64 = 65536;

/// [`Spec::id_maps`]' index of the gid maps, and of the uid maps.
pub const GID: usize = 0;
pub const UID: usize = 1;

/// Reads `--uid-map`/`--gid-map CONTAINER:HOST:COUNT` or (`single`)
/// `--map-user`/`--map-group ID` (which is `ID:<the invoker>:1`) into the
/// spec's maps of `which` ([`UID`] or [`GID`]), pure.
/// The ids are decimal, the count at least 1, and a range ends below
/// 4294967295. No id may be mapped twice, inside or outside, as the kernel
/// would refuse. (More than 340 lines, the kernel's limit, fail when
/// written.) Any map asks for a user namespace.
/// Err: what the value should have been (the caller names the option).
pub fn id_map(spec: &mut Spec, which: usize, single: bool, v: &[u8]) -> Result<(), &'static str> {
    let mut rest = v;
    let mut x = [0, INVOKER as u64, 1];
    let mut ok = true;
    for slot in &mut x[..if single { 1 } else { 3 }] {
        match parse_u64(tok(&mut rest, b':')) {
            Some(n) => *slot = n,
            None => ok = false,
        }
    }
    // (--map-user's x[1] is INVOKER, one past the last id: let it be.)
    let top = u32::MAX as u64;
    ok &= rest.is_empty() && x[2] > 0 && x[0] + x[2] <= top && x[1] + x[2] <= top + single as u64;
    let new = IdMap {
        inside: x[0] as u32,
        outside: x[1] as u32,
        count: x[2] as u32,
    };
    let maps = &mut spec.id_maps[which];
    let want = if !ok {
        if single {
            "a numeric id"
        } else {
            "CONTAINER:HOST:COUNT"
        }
    } else if maps.iter().any(|o| {
        overlap(new.inside, o.inside, new.count, o.count)
            || overlap(new.outside, o.outside, new.count, o.count)
    }) {
        "a range that overlaps no earlier one"
    } else {
        maps.push(new);
        spec.userns = true;
        return Ok(());
    };
    Err(want)
}

fn overlap(a: u32, b: u32, an: u32, bn: u32) -> bool {
    (a as u64) < b as u64 + bn as u64 && (b as u64) < a as u64 + an as u64
}

/// `--device HOST[:CONTAINER][:rwm]`, as docker: the container's path is
/// the host's unless given, and must be a plain path under /dev; the access
/// is `rwm` unless given (letters r, w and m, each at most once).
fn device(opt: &Opt<'_>, v: &[u8]) -> Result<Device, Error> {
    let mut rest = v;
    let host = tok(&mut rest, b':');
    let mut path = tok(&mut rest, b':');
    let mut perms = rest;
    if !path.is_empty() && path[0] != b'/' && rest.is_empty() {
        // HOST:rwm
        (perms, path) = (path, b"");
    }
    if path.is_empty() {
        path = host;
    }
    // An empty third field (`HOST:CONTAINER:`) is refused below.
    let perms: &[u8] = match perms {
        b"" if v.ends_with(b":") => b"?",
        b"" => b"rwm",
        p => p,
    };
    let mut access = 0;
    for &c in perms {
        let bit = match c {
            b'r' => DEV_READ,
            b'w' => DEV_WRITE,
            b'm' => DEV_MKNOD,
            _ => 0xff,
        };
        // A letter twice, or another one, is refused below.
        access |= if access & bit == 0 { bit } else { 0xff };
    }
    if host.first() != Some(&b'/')
        || !crate::spec::dev_path_ok(path)
        || access == 0
        || access > 7
        || v.contains(&0)
    {
        return Err(bad(opt, v, "HOST[:CONTAINER][:rwm], CONTAINER under /dev"));
    }
    Ok(Device {
        host: host.to_vec(),
        path: path.to_vec(),
        access,
    })
}

/// `--security-opt`, as docker's: `seccomp=unconfined`, `seccomp=PROFILE.json`
/// (docker's JSON format), or `no-new-privileges` (`=true`).
fn security_opt(spec: &mut Spec, opt: &Opt<'_>, v: &[u8]) -> Result<(), Error> {
    let mut val = v;
    let key = tok(&mut val, if v.contains(&b'=') { b'=' } else { b':' });
    match (find("seccomp no-new-privileges", key), val) {
        (Some(0), b"unconfined") => spec.seccomp = Seccomp::Unconfined,
        (Some(0), f) if !f.is_empty() && !f.contains(&0) => {
            spec.seccomp = Seccomp::File(f.to_vec())
        }
        (Some(1), b"" | b"true") => spec.no_new_privs = true,
        _ => {
            return Err(bad(
                opt,
                v,
                "seccomp=unconfined, seccomp=PROFILE.json or no-new-privileges",
            ));
        }
    }
    Ok(())
}

/// `--sysctl KEY=VALUE` for a sysctl the container's own namespaces hold,
/// as docker allows them: `net.*` (its network namespace), and the IPC
/// ones, `kernel.msg*`, `kernel.sem`, `kernel.shm*` and `fs.mqueue.*`.
fn sysctl(opt: &Opt<'_>, v: &[u8]) -> Result<Vec<u8>, Error> {
    let mut val = v;
    let key = tok(&mut val, b'=');
    if crate::spec::sysctl_ns(key).is_none() || !v.contains(&b'=') || v.contains(&0) {
        return Err(bad(
            opt,
            v,
            "KEY=VALUE, KEY one of net.*, kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*",
        ));
    }
    Ok(v.to_vec())
}

/// Takes the command from what is left and validates the whole spec, so that
/// nothing is created for a command line that cannot work.
pub fn finish(spec: &mut Spec, a: &Args<'_>) -> Result<(), Error> {
    // Pushed onto the (fresh, empty) command: smaller than collect().
    for s in a.rest() {
        spec.command.push(s.to_vec());
    }
    if spec.command.is_empty() {
        return Err(Error::usage_text("missing command").with_usage());
    }
    validate_hostname(&spec.hostname)?;
    let l = &spec.limits;
    if let Some(swap) = l.memory_swap
        && l.memory.is_none_or(|mem| swap < mem)
    {
        return Err(Error::usage_text(
            "--memory-swap: needs --memory, and at least as much",
        ));
    }
    if l.parent.iter().any(|&c| c != b'/') && !l.any() {
        return Err(Error::usage_text("--cgroup-parent: needs a limit"));
    }
    if let Some(w) = &spec.workdir
        && (w.is_empty() || w.contains(&0))
    {
        return Err(Error::usage_text("--workdir: not a usable path"));
    }
    for kv in &spec.sysctls {
        // (The key alone: `kernel.sem=...` is IPC's, not the network's.)
        let ns = crate::spec::sysctl_ns(tok(&mut &kv[..], b'=')).unwrap_or(0);
        if [spec.net, spec.ipc][ns] == Share::Host {
            return Err(Error::usage_of(
                "--sysctl ",
                kv,
                if ns == 0 {
                    ": needs a network namespace of the container's own (not --net=host)"
                } else {
                    ": needs an IPC namespace of the container's own (not --ipc=host)"
                },
            ));
        }
        if ns == 0 {
            // Not in the shared namespace, where it would change every
            // default container's network: one of its own.
            spec.net = Share::Private;
        }
    }
    Ok(())
}

/// `SRC:DST[:ro|rw]` (a volume) or `DST[:OPTS]` (a tmpfs).
/// The propagation a volume may ask for, as docker's `-v` words.
const VOLUME_PROPAGATION: [(&str, u32); 8] = [
    ("private", g::MS_PRIVATE),
    ("rprivate", g::MS_REC | g::MS_PRIVATE),
    ("slave", g::MS_SLAVE),
    ("rslave", g::MS_REC | g::MS_SLAVE),
    ("shared", g::MS_SHARED),
    ("rshared", g::MS_REC | g::MS_SHARED),
    ("unbindable", g::MS_UNBINDABLE),
    ("runbindable", g::MS_REC | g::MS_UNBINDABLE),
];

fn volume(v: &[u8], tmpfs: bool) -> Result<Volume, Error> {
    // Fields cut with tok, as the other options' values are.
    let mut rest = v;
    let a = tok(&mut rest, b':');
    let (src, dst) = if tmpfs {
        (None, a)
    } else {
        (Some(a), tok(&mut rest, b':'))
    };
    // What is left: a tmpfs's options, or a volume's mode, as docker's:
    // words between commas, `ro` or `rw` and a propagation (a trailing
    // `:` or `,` is an empty word, which is not one).
    let (mut ro, mut propagation) = (false, 0);
    let mode_ok = match rest.is_empty() {
        true => v.last() != Some(&b':'),
        false => rest.split(|&c| c == b',').all(|w| match w {
            b"ro" => {
                ro = true;
                true
            }
            b"rw" => true,
            _ => match VOLUME_PROPAGATION.iter().find(|p| p.0.as_bytes() == w) {
                Some(&(_, flags)) => {
                    propagation = flags;
                    true
                }
                None => false,
            },
        }),
    };
    // An absolute, plain path (no empty, `.` or `..` component): `..`
    // could climb out of the root while the mount point is created.
    if dst.first() == Some(&b'/')
        && !dst[1..]
            .split(|&c| c == b'/')
            .any(|c| c.is_empty() || c == b"." || c == b"..")
        && (tmpfs || !a.is_empty() && mode_ok)
        && !v.contains(&0)
    {
        return Ok(Volume {
            src: src.map(|s| s.to_vec()),
            dst: dst.to_vec(),
            ro: !tmpfs && ro,
            opts: if tmpfs { rest.to_vec() } else { Vec::new() },
            propagation: if tmpfs { 0 } else { propagation },
        });
    }
    // Status 125 without the usage line, as it has always been reported.
    let (pre, post) = if tmpfs {
        (
            "--tmpfs '",
            "': expected DST[:OPTIONS] with an absolute DST",
        )
    } else {
        (
            "--volume '",
            "': expected SRC:DST[:ro|rw][,PROPAGATION] with an absolute DST",
        )
    };
    Err(Error::usage_of(pre, v, post))
}

/// `UID[:GID]`, numeric; the group is 0 when not given, as docker does for
/// a uid that has no passwd entry.
fn user(v: &[u8]) -> Result<(u32, u32), Error> {
    let mut gid = v;
    let uid = tok(&mut gid, b':');
    if !v.contains(&b':') {
        gid = b"0";
    }
    // u32::MAX is -1, "unchanged", to setresuid.
    let id = |s| range(s, 0, u32::MAX as u64 - 1);
    match (id(uid), id(gid)) {
        (Some(u), Some(g)) => Ok((u as u32, g as u32)),
        _ => Err(Error::usage_of(
            "--user '",
            v,
            "': expected UID[:GID], numeric",
        )),
    }
}

/// A capability name as a mask: `NET_ADMIN`, `cap_net_admin` or `ALL`.
pub fn cap(v: &[u8]) -> Result<u64, Error> {
    let up: Vec<u8> = v.to_ascii_uppercase();
    let name = up.strip_prefix(b"CAP_").unwrap_or(&up);
    if name == b"ALL" {
        // Every capability, whatever this kernel knows.
        return Ok(u64::MAX);
    }
    if let Some(bit) = find(CAP_NAMES, name) {
        return Ok(1 << bit);
    }
    Err(Error::usage_of("unknown capability '", v, "'"))
}

fn validate_hostname(h: &[u8]) -> Result<(), Error> {
    if h.is_empty() {
        return Err(Error::usage_text("--hostname: must not be empty"));
    }
    if h.len() > HOSTNAME_MAX {
        let mut tmp = [0; 20];
        return Err(Error::usage_of(
            "--hostname: ",
            crate::util::out::dec(h.len() as u64, &mut tmp),
            " bytes is too long (at most 64)",
        ));
    }
    if h.contains(&0) {
        return Err(Error::usage_text("--hostname: contains a NUL byte"));
    }
    Ok(())
}

/// A limit's parser: None for a bad value.
type Parser = fn(&[u8]) -> Option<u64>;
const MEMORY_SIZE: &str = "a size of at least 6m: bytes, or with k, m or g";

/// The smallest memory limit hull takes, as docker: below it a container
/// dies before its command starts.
pub const MEMORY_MIN: u64 = 6 << 20;

/// A memory limit: a [`size`] of at least [`MEMORY_MIN`].
fn memory(v: &[u8]) -> Option<u64> {
    size(v).filter(|&n| n >= MEMORY_MIN)
}

pub fn bad(opt: &Opt<'_>, v: &[u8], want: &str) -> Error {
    // Begun by usage_of, then appended to: smaller than six appends here.
    let mut e = Error::usage_of("", opt.name, ": invalid value '");
    let mut m = Buf(e.msg);
    m.b(v).s("' (expected ").s(want).s(")");
    e.msg = m.0;
    e
}

/// A cgroup path that stays in the hierarchy: no `.` or `..` component.
fn path(v: &[u8]) -> Option<()> {
    (!v.split(|&c| c == b'/').any(|p| p == b"." || p == b"..")).then_some(())
}

/// pids.max takes at most PID_MAX_LIMIT.
fn pids(v: &[u8]) -> Option<u64> {
    range(v, 1, 4_194_304)
}

fn weight(v: &[u8]) -> Option<u64> {
    range(v, 1, 10_000)
}

/// A whole number from `lo` to `hi`: the one number parser of every
/// numeric option (out of line: each kept its own inlined copy).
#[inline(never)]
fn range(v: &[u8], lo: u64, hi: u64) -> Option<u64> {
    parse_u64(v).filter(|n| (lo..=hi).contains(n))
}

/// `--cpus` as microseconds per [`CPU_PERIOD`]: "1.5" is 150000. The kernel
/// takes at least 1 ms of quota (0.01 CPUs); beyond 5 decimals is below
/// the microsecond and dropped.
pub fn cpus(v: &[u8]) -> Option<u64> {
    let mut frac = v;
    let int = tok(&mut frac, b'.');
    if int.len() > 6 || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    let mut q = if int.is_empty() { 0 } else { parse_u64(int)? } * CPU_PERIOD;
    let mut scale = CPU_PERIOD;
    for &c in frac {
        if !c.is_ascii_digit() {
            return None;
        }
        scale /= 10;
        q += (c - b'0') as u64 * scale;
    }
    (q >= 1000).then_some(q)
}

/// `-h` or `--help`: shows the subcommand's help, whatever else is on the line.
pub fn is_help(opt: &Opt<'_>) -> bool {
    find("-h|--help", opt.name).is_some()
}

pub fn unknown(opt: &Opt<'_>) -> Error {
    Error::usage_of("unknown option '", opt.name, "'").with_usage()
}

/// One option as written: `--name`, `--name=value` or a single-letter `-x`.
#[derive(Debug)]
pub struct Opt<'a> {
    pub name: &'a [u8],
    pub inline: Option<&'a [u8]>,
}

/// A cursor over the arguments. Options come first; the first argument that
/// is not an option (or everything after `--`) is the command.
pub struct Args<'a> {
    items: &'a [&'a [u8]],
    pos: usize,
    /// Letters left over from a bundle such as `-it`.
    bundle: &'a [u8],
}

impl<'a> Args<'a> {
    pub fn new(items: &'a [&'a [u8]]) -> Args<'a> {
        Args {
            items,
            pos: 0,
            bundle: &[],
        }
    }

    /// The next option, or None where the command starts.
    pub fn next_option(&mut self) -> Result<Option<Opt<'a>>, Error> {
        if let Some((&c, rest)) = self.bundle.split_first() {
            self.bundle = rest;
            return Ok(Some(short(c)));
        }
        let Some(&arg) = self.items.get(self.pos) else {
            return Ok(None);
        };
        if arg == b"--" {
            self.pos += 1;
            return Ok(None);
        }
        if arg.len() < 2 || arg[0] != b'-' {
            return Ok(None);
        }
        self.pos += 1;
        if arg[1] == b'-' {
            return Ok(Some(match arg.iter().position(|&c| c == b'=') {
                Some(eq) => Opt {
                    name: &arg[..eq],
                    inline: Some(&arg[eq + 1..]),
                },
                None => Opt {
                    name: arg,
                    inline: None,
                },
            }));
        }
        // Not a letter hull knows (`-é`): the option as typed, which no
        // table holds, so that an error names it.
        if !arg[1].is_ascii() {
            return Ok(Some(Opt {
                name: arg,
                inline: None,
            }));
        }
        // `-abc` is `-a -b -c`; only the last letter may take a value.
        self.bundle = &arg[2..];
        Ok(Some(short(arg[1])))
    }

    /// The value of an option that takes one: `--opt=value` or `--opt value`.
    pub fn value(&mut self, opt: &Opt<'a>) -> Result<&'a [u8], Error> {
        if let Some(v) = opt.inline {
            return Ok(v);
        }
        if self.bundle.is_empty()
            && let Some(&v) = self.items.get(self.pos)
        {
            self.pos += 1;
            return Ok(v);
        }
        Err(Error::usage_of("option '", opt.name, "' needs a value"))
    }

    /// An option that takes no value; `--flag=x` is an error.
    pub fn flag(&mut self, opt: &Opt<'a>) -> Result<bool, Error> {
        match opt.inline {
            None => Ok(true),
            Some(_) => Err(Error::usage_of("option '", opt.name, "' takes no value")),
        }
    }

    /// Everything after the options.
    pub fn rest(&self) -> &'a [&'a [u8]] {
        &self.items[self.pos..]
    }
}

fn short(c: u8) -> Opt<'static> {
    // A static table so the name can be borrowed for any lifetime.
    static LETTERS: [[u8; 2]; 128] = {
        let mut t = [[b'-', 0]; 128];
        let mut i = 0;
        while i < 128 {
            t[i][1] = i as u8;
            i += 1;
        }
        t
    };
    let c = c & 127;
    Opt {
        name: &LETTERS[c as usize],
        inline: None,
    }
}

/// Converts argv (minus argv[0]) to byte slices.
pub fn bytes<'a>(args: &[&'a core::ffi::CStr]) -> Vec<&'a [u8]> {
    // A plain loop: smaller than collect().
    let mut v = Vec::new();
    for a in args {
        v.push(a.to_bytes());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Spec, Error> {
        let mut v: Vec<&[u8]> = vec![b"run"];
        v.extend(args.iter().map(|s| s.as_bytes()));
        match parse(&v)? {
            Command::Run(s) => Ok(s),
            other => panic!("not a run: {other:?}"),
        }
    }

    fn msg(e: Error) -> String {
        String::from_utf8(e.msg).unwrap()
    }

    #[test]
    fn defaults() {
        let s = run(&["sh", "-c", "echo hi"]).unwrap();
        assert_eq!(
            s.command,
            vec![b"sh".to_vec(), b"-c".to_vec(), b"echo hi".to_vec()]
        );
        assert_eq!(s.hostname, b"container");
        // Isolated by default, as podman: hull's shared empty network
        // namespace, private IPC and cgroup namespaces, a new keyring.
        assert_eq!(
            (s.net, s.ipc, s.cgroupns),
            (Share::Shared, Share::Private, Share::Private)
        );
        assert!(s.new_keyring && !s.debug && s.workdir.is_none());
        assert_eq!(
            (s.preserve_fds, s.devices.len(), s.sysctls.len()),
            (0, 0, 0)
        );
    }

    #[test]
    fn options_stop_at_the_command() {
        let s = run(&["--net", "--hostname=box", "-w", "/tmp", "ls", "--net", "-w"]).unwrap();
        assert_eq!(s.net, Share::Private);
        assert_eq!(s.hostname, b"box");
        assert_eq!(s.workdir.as_deref(), Some(&b"/tmp"[..]));
        assert_eq!(s.command.len(), 3);
        assert_eq!(s.command[1], b"--net");
    }

    #[test]
    fn double_dash_ends_options() {
        let s = run(&["--ipc=host", "--", "--weird-name", "x"]).unwrap();
        assert_eq!(s.ipc, Share::Host);
        assert_eq!(s.command[0], b"--weird-name");
    }

    #[test]
    fn value_in_next_argument() {
        let s = run(&["--hostname", "h1", "--cgroupns=host", "true"]).unwrap();
        assert_eq!(s.hostname, b"h1");
        assert_eq!(s.cgroupns, Share::Host);
    }

    #[test]
    fn usage_errors() {
        let e = run(&["--bogus", "sh"]).unwrap_err();
        assert_eq!((e.code, e.usage), (125, true));
        assert_eq!(msg(e), "unknown option '--bogus'");
        assert_eq!(msg(run(&[]).unwrap_err()), "missing command");
        assert_eq!(msg(run(&["--net"]).unwrap_err()), "missing command");
        assert_eq!(
            msg(run(&["--hostname"]).unwrap_err()),
            "option '--hostname' needs a value"
        );
        assert_eq!(
            msg(run(&["--debug=1", "sh"]).unwrap_err()),
            "option '--debug' takes no value"
        );
        assert_eq!(msg(run(&["-x", "sh"]).unwrap_err()), "unknown option '-x'");
        // As typed, not mangled: a letter outside ASCII.
        let e = run(&["-é", "sh"]).unwrap_err();
        assert!(e.usage, "an unknown option gets the usage line");
        assert_eq!(msg(e), "unknown option '-é'");
    }

    #[test]
    fn namespace_modes() {
        let s = run(&["--net=none", "--ipc", "--cgroupns=private", "sh"]).unwrap();
        assert_eq!(
            (s.net, s.ipc, s.cgroupns),
            (Share::Private, Share::Private, Share::Private)
        );
        let s = run(&["--net=host", "--ipc=host", "--cgroupns=host", "sh"]).unwrap();
        assert_eq!(
            (s.net, s.ipc, s.cgroupns),
            (Share::Host, Share::Host, Share::Host)
        );
        assert_eq!(run(&["--net=shared", "sh"]).unwrap().net, Share::Shared);
        for (opt, want) in [
            ("--net=bridge", "none, host or shared"),
            ("--ipc=shared", "private or host"),
            ("--cgroupns=x", "private or host"),
        ] {
            let e = run(&[opt, "sh"]).unwrap_err();
            assert_eq!((e.code, e.usage), (125, false));
            let v = opt.split_once('=').unwrap();
            assert_eq!(
                msg(e),
                format!("{}: invalid value '{}' (expected {want})", v.0, v.1)
            );
        }
        assert!(!run(&["--no-new-keyring", "sh"]).unwrap().new_keyring);
        assert_eq!(
            msg(run(&["--no-new-keyring=1", "sh"]).unwrap_err()),
            "option '--no-new-keyring' takes no value"
        );
    }

    #[test]
    fn preserve_fds_devices_and_sysctls() {
        let s = run(&[
            "--preserve-fds",
            "2",
            "--device",
            "/dev/fuse",
            "--device=/dev/net/tun:/dev/net/tun0:rw",
            "--device",
            "/dev/kvm:m",
            "--sysctl",
            "net.ipv4.ip_forward=1",
            "--sysctl",
            "kernel.shmmax=65536",
            "sh",
        ])
        .unwrap();
        assert_eq!(s.preserve_fds, 2);
        let d: Vec<_> = s
            .devices
            .iter()
            .map(|d| (d.host.clone(), d.path.clone(), d.access))
            .collect();
        assert_eq!(
            d,
            [
                (b"/dev/fuse".to_vec(), b"/dev/fuse".to_vec(), 7),
                (
                    b"/dev/net/tun".to_vec(),
                    b"/dev/net/tun0".to_vec(),
                    DEV_READ | DEV_WRITE
                ),
                (b"/dev/kvm".to_vec(), b"/dev/kvm".to_vec(), DEV_MKNOD),
            ]
        );
        assert_eq!(
            s.sysctls,
            [
                b"net.ipv4.ip_forward=1".to_vec(),
                b"kernel.shmmax=65536".to_vec()
            ]
        );
        // A net.* sysctl needs a network namespace of the container's own:
        // never the shared one, whose setting every container would see.
        assert_eq!(s.net, Share::Private);
        let e = |args: &[&str]| {
            let mut v = args.to_vec();
            v.push("sh");
            msg(run(&v).unwrap_err())
        };
        assert_eq!(
            e(&["--preserve-fds", "65537"]),
            "--preserve-fds: invalid value '65537' (expected 0 to 65536)"
        );
        let dev = |v: &str| {
            let d = &run(&["--device", v, "sh"]).unwrap().devices[0];
            (d.host.clone(), d.path.clone(), d.access)
        };
        assert_eq!(
            dev("/dev/sdc:r"),
            (b"/dev/sdc".to_vec(), b"/dev/sdc".to_vec(), DEV_READ)
        );
        assert_eq!(
            dev("/dev/sdc:mw"),
            (
                b"/dev/sdc".to_vec(),
                b"/dev/sdc".to_vec(),
                DEV_MKNOD | DEV_WRITE
            )
        );
        assert_eq!(
            dev("/dev/sdc:/dev/xvdc"),
            (b"/dev/sdc".to_vec(), b"/dev/xvdc".to_vec(), 7)
        );
        for bad in [
            "/dev/sdc:/dev/xvdc:",
            "/dev/sdc:xvdc",
            ":/dev/x",
            "",
            "/a:/dev/b:r:w",
            "dev/fuse",
            "/dev/fuse:/etc/x",
            "/dev/fuse:/dev/../x",
            "/dev/fuse:rwx",
            "/dev/fuse:rr",
            "/dev/fuse:/dev/",
            "/dev/fuse:/dev//x",
        ] {
            assert_eq!(
                e(&["--device", bad]),
                format!(
                    "--device: invalid value '{bad}' (expected HOST[:CONTAINER][:rwm], CONTAINER under /dev)"
                )
            );
        }
        for bad in [
            "kernel.hostname=x",
            "vm.swappiness=1",
            "net.ipv4",
            "net..x=1",
            "net/x=1",
        ] {
            assert!(
                e(&["--sysctl", bad]).starts_with(&format!("--sysctl: invalid value '{bad}'")),
                "{bad}"
            );
        }
        assert_eq!(
            e(&["--net=host", "--sysctl", "net.ipv4.ip_forward=1"]),
            "--sysctl net.ipv4.ip_forward=1: needs a network namespace of the container's own (not --net=host)"
        );
        assert_eq!(
            e(&["--ipc=host", "--sysctl", "fs.mqueue.msg_max=20"]),
            "--sysctl fs.mqueue.msg_max=20: needs an IPC namespace of the container's own (not --ipc=host)"
        );
        // kernel.sem is IPC's (its key was once read with the value, and
        // taken for the network's: the host's IPC namespace got it).
        assert_eq!(
            e(&["--ipc=host", "--sysctl", "kernel.sem=250 32000 32 128"]),
            "--sysctl kernel.sem=250 32000 32 128: needs an IPC namespace of the container's own (not --ipc=host)"
        );
        assert!(run(&["--net=host", "--sysctl", "kernel.sem=1 2 3 4", "true"]).is_ok());
    }

    #[test]
    fn hostname_limits() {
        let h64 = "a".repeat(64);
        assert_eq!(
            run(&["--hostname", &h64, "true"]).unwrap().hostname.len(),
            64
        );
        let h65 = "a".repeat(65);
        let e = run(&["--hostname", &h65, "true"]).unwrap_err();
        assert_eq!(e.code, 125);
        assert_eq!(msg(e), "--hostname: 65 bytes is too long (at most 64)");
        assert_eq!(
            msg(run(&["--hostname=", "true"]).unwrap_err()),
            "--hostname: must not be empty"
        );
        let v: Vec<&[u8]> = vec![b"run", b"--hostname", b"a\0b", b"true"];
        assert_eq!(
            msg(parse(&v).unwrap_err()),
            "--hostname: contains a NUL byte"
        );
    }

    #[test]
    fn limits() {
        let s = run(&[
            "--memory",
            "64m",
            "--memory-swap=1G",
            "--pids",
            "20",
            "--cpus",
            "0.2",
            "--cpu-weight",
            "500",
            "--cgroup-parent",
            "//a/b/",
            "--cpuset-cpus",
            "0-1,3",
            "--cpuset-mems=0",
            "true",
        ])
        .unwrap();
        let l = &s.limits;
        let want = [
            Some(64 << 20),
            Some(1 << 30),
            Some(20),
            Some(20_000),
            Some(500),
            None,
            None,
        ];
        assert_eq!(l.knobs().map(|k| k.1), want);
        assert_eq!(l.cpuset_cpus.as_deref(), Some(&b"0-1,3"[..]));
        assert_eq!(l.cpuset_mems.as_deref(), Some(&b"0"[..]));
        assert_eq!(l.parent, b"//a/b/");
        assert!(l.any());
        assert!(!run(&["true"]).unwrap().limits.any());
    }

    #[test]
    fn sizes_and_cpus() {
        assert_eq!(size(b"123"), Some(123));
        assert_eq!(size(b"2k"), Some(2048));
        assert_eq!(size(b"2K"), Some(2048));
        assert_eq!(size(b"3M"), Some(3 << 20));
        assert_eq!(size(b"1g"), Some(1 << 30));
        for bad in [
            "",
            "0",
            "0m",
            "-1",
            "12x",
            "1.5g",
            "m",
            "99999999999g",
            "18446744073709551616",
        ] {
            assert_eq!(size(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(size(b"17179869183g"), Some(17179869183 << 30));
        assert_eq!(cpus(b"0.2"), Some(20_000));
        assert_eq!(cpus(b"1.5"), Some(150_000));
        assert_eq!(cpus(b"2"), Some(200_000));
        assert_eq!(cpus(b".5"), Some(50_000));
        assert_eq!(cpus(b"0.01"), Some(1000));
        assert_eq!(cpus(b"0.123456789"), Some(12_345));
        assert_eq!(cpus(b"999999"), Some(99_999_900_000));
        for bad in [
            "", ".", "0", "0.0", "0.009", "-1", "1e3", "1.2.3", "1000000", "abc", "1,5",
        ] {
            assert_eq!(cpus(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn bad_limits_are_usage_errors() {
        let e = |args: &[&str]| {
            let mut v = args.to_vec();
            v.push("true");
            let e = run(&v).unwrap_err();
            assert_eq!((e.code, e.usage), (125, false));
            msg(e)
        };
        assert_eq!(
            e(&["--memory", "-1"]),
            "--memory: invalid value '-1' (expected a size of at least 6m: bytes, or with k, m or g)"
        );
        // docker's minimum: a container below it dies before its command.
        assert_eq!(
            e(&["--memory", "6291455"]),
            "--memory: invalid value '6291455' (expected a size of at least 6m: bytes, or with k, m or g)"
        );
        assert!(e(&["--memory", "12q"]).starts_with("--memory: invalid value '12q'"));
        assert!(e(&["--memory-swap", "0"]).starts_with("--memory-swap: invalid value '0'"));
        assert!(
            e(&["--cpus", "0"]).starts_with("--cpus: invalid value '0' (expected 0.01 to 999999)")
        );
        assert!(e(&["--cpus=-0.5"]).starts_with("--cpus: invalid value '-0.5'"));
        assert!(e(&["--pids", "0"]).starts_with("--pids: invalid value '0' (expected 1 to"));
        assert!(e(&["--pids", "99999999999999999999"]).starts_with("--pids: invalid"));
        assert!(e(&["--cpu-weight", "10001"]).ends_with("(expected 1 to 10000)"));
        for bad in ["", "x", "-1", "1 2"] {
            assert!(
                e(&["--cpuset-cpus", bad]).ends_with("(expected a list such as 0-3,7)"),
                "{bad}"
            );
        }
        assert!(
            e(&["--cgroup-parent", "a/../b", "--pids", "1"])
                .starts_with("--cgroup-parent: invalid value 'a/../b'")
        );
        assert!(e(&["--memory-swap", "8m"]).starts_with("--memory-swap: needs --memory"));
        assert!(e(&["--memory", "9m", "--memory-swap", "8m"]).starts_with("--memory-swap: needs"));
        assert!(e(&["--cgroup-parent", "x"]).starts_with("--cgroup-parent: needs a limit"));
        assert_eq!(
            msg(run(&["--memory"]).unwrap_err()),
            "option '--memory' needs a value"
        );
    }

    #[test]
    fn user_namespace_options() {
        let s = run(&["-U", "true"]).unwrap();
        assert!(s.userns && s.id_maps == [vec![], vec![]]);
        assert!(run(&["--userns", "true"]).unwrap().userns);
        assert!(!run(&["true"]).unwrap().userns);
        let s = run(&[
            "--uid-map=0:100000:65536",
            "--gid-map",
            "0:200000:10",
            "--map-group",
            "70",
            "id",
        ])
        .unwrap();
        assert!(s.userns, "a map asks for a user namespace");
        assert_eq!(s.id_maps[1].len(), 1);
        assert_eq!(s.id_maps[0].len(), 2);
        let e = run(&["--uid-map", "0:1", "id"]).unwrap_err();
        assert_eq!((e.code, e.usage), (125, false));
        assert_eq!(
            msg(e),
            "--uid-map: invalid value '0:1' (expected CONTAINER:HOST:COUNT)"
        );
        let e = run(&["--uid-map", "0:1:5", "--uid-map", "1:10:1", "id"]).unwrap_err();
        assert_eq!(
            msg(e),
            "--uid-map: invalid value '1:10:1' (expected a range that overlaps no earlier one)"
        );
        assert_eq!(
            msg(run(&["--map-user", "root", "id"]).unwrap_err()),
            "--map-user: invalid value 'root' (expected a numeric id)"
        );
        assert_eq!(
            msg(run(&["--userns=1", "id"]).unwrap_err()),
            "option '--userns' takes no value"
        );
    }

    #[test]
    fn help_and_version() {
        assert_eq!(parse(&[b"--help"]).unwrap(), Command::Help(HELP));
        assert_eq!(parse(&[b"--version"]).unwrap(), Command::Version);
        assert_eq!(parse(&[b"check"]).unwrap(), Command::Check);
        assert_eq!(
            parse(&[b"check", b"-h"]).unwrap(),
            Command::Help(CHECK_HELP)
        );
        let e = parse(&[b"check", b"now"]).unwrap_err();
        assert_eq!(msg(e), "check: unexpected argument 'now'");
        assert_eq!(
            parse(&[b"run", b"--help"]).unwrap(),
            Command::Help(RUN_HELP)
        );
        assert_eq!(parse(&[b"run", b"-h"]).unwrap(), Command::Help(RUN_HELP));
        let e = parse(&[b"frobnicate"]).unwrap_err();
        assert_eq!(msg(e), "unknown subcommand 'frobnicate'");
        assert!(parse(&[]).unwrap_err().usage);
    }

    #[test]
    fn signal_and_terminal_options() {
        let s = run(&["-it", "--init", "--stop-timeout", "3", "sh"]).unwrap();
        assert!(s.tty && s.interactive && s.init);
        assert_eq!(s.stop_timeout, 3);
        let s = run(&["--tty", "--interactive", "--stop-timeout=0", "sh"]).unwrap();
        assert!(s.tty && s.interactive && !s.init);
        assert_eq!(s.stop_timeout, 0);
        assert_eq!(run(&["sh"]).unwrap().stop_timeout, 10);
        for bad in ["", "x", "-1", "1.5", "1000001"] {
            let e = run(&["--stop-timeout", bad, "sh"]).unwrap_err();
            assert!(!e.usage, "a bad value is one line, no usage");
            assert_eq!(msg(e), "--stop-timeout: expected seconds, at most 1000000");
        }
        assert_eq!(
            msg(run(&["--init=1", "sh"]).unwrap_err()),
            "option '--init' takes no value"
        );
    }

    #[test]
    fn bench_takes_run_options_and_its_own() {
        let v: Vec<&[u8]> = vec![
            b"bench",
            b"-n",
            b"20",
            b"--warmup=0",
            b"--json",
            b"--svg",
            b"o.svg",
            b"--compare",
            b"--net",
            b"--hostname",
            b"b",
            b"--",
            b"/bin/true",
            b"-n",
        ];
        let Command::Bench(o) = bench_options(&v[1..]).unwrap() else {
            panic!("not a bench")
        };
        assert_eq!((o.n, o.warmup, o.json, o.compare), (20, 0, true, true));
        assert_eq!(o.svg.as_deref(), Some(&b"o.svg"[..]));
        assert_eq!(o.spec.net, Share::Private);
        assert_eq!(o.spec.hostname, b"b");
        assert_eq!(o.spec.command, vec![b"/bin/true".to_vec(), b"-n".to_vec()]);
        let Command::Bench(o) = bench_options(&[b"true"]).unwrap() else {
            panic!("not a bench")
        };
        assert_eq!((o.n, o.warmup, o.json, o.svg), (1000, 20, false, None));
        assert_eq!(bench_options(&[b"-h"]).unwrap(), Command::Help(BENCH_HELP));
        for bad in [&b"0"[..], b"x", b"10000001", b""] {
            let e = bench_options(&[b"-n", bad, b"true"]).unwrap_err();
            assert_eq!(msg(e), "-n: expected a whole number from 1 to 10000000");
        }
        let e = bench_options(&[b"--bogus", b"true"]).unwrap_err();
        assert_eq!(msg(e), "unknown option '--bogus'");
        assert_eq!(
            msg(bench_options(&[b"-n", b"5"]).unwrap_err()),
            "missing command"
        );
    }

    #[test]
    fn short_bundles() {
        let v: Vec<&[u8]> = vec![b"run", b"-hw", b"/x", b"sh"];
        assert_eq!(parse(&v).unwrap(), Command::Help(RUN_HELP));
        // A value-taking letter must come last in a bundle.
        let v: Vec<&[u8]> = vec![b"run", b"-wh", b"/x", b"sh"];
        assert!(
            parse(&v)
                .unwrap_err()
                .msg
                .starts_with(b"option '-w' needs a value")
        );
    }

    #[test]
    fn container_options() {
        let s = run(&[
            "--rootfs",
            "/r",
            "--read-only",
            "-v",
            "/a:/b",
            "--volume=/c:/d/e:ro",
            "--tmpfs",
            "/t:size=1m",
            "-e",
            "K=V",
            "--env",
            "HOSTKEY",
            "--env-file",
            "/f",
            "--env-host",
            "-u",
            "1000:5",
            "--cap-drop",
            "ALL",
            "--cap-add",
            "cap_chown",
            "--cap-add",
            "Kill",
            "--privileged",
            "--no-new-privs",
            "sh",
        ])
        .unwrap();
        assert_eq!(s.rootfs.as_deref(), Some(&b"/r"[..]));
        assert!(s.read_only && s.env_host && s.privileged && s.no_new_privs);
        let v: Vec<_> = s
            .volumes
            .iter()
            .map(|v| (v.src.clone(), v.dst.clone(), v.ro, v.opts.clone()))
            .collect();
        assert_eq!(
            v,
            [
                (Some(b"/a".to_vec()), b"/b".to_vec(), false, vec![]),
                (Some(b"/c".to_vec()), b"/d/e".to_vec(), true, vec![]),
                (None, b"/t".to_vec(), false, b"size=1m".to_vec()),
            ]
        );
        assert_eq!(
            s.env,
            [
                Env::Var(b"K=V".to_vec()),
                Env::Var(b"HOSTKEY".to_vec()),
                Env::File(b"/f".to_vec())
            ]
        );
        assert_eq!(s.user, Some((1000, 5)));
        // CHOWN is bit 0, KILL bit 5; ALL first cleared everything.
        assert_eq!(s.caps, 1 | 1 << 5);
        assert_eq!(run(&["-u", "7", "id"]).unwrap().user, Some((7, 0)));
        let d = run(&["sh"]).unwrap();
        // podman's default set, by name (docker's without MKNOD, NET_RAW
        // and AUDIT_WRITE), not spec::DEFAULT_CAPS compared with itself.
        let mut podman = vec!["--cap-drop", "ALL"];
        for cap in [
            "CHOWN",
            "DAC_OVERRIDE",
            "FOWNER",
            "FSETID",
            "KILL",
            "NET_BIND_SERVICE",
            "SETFCAP",
            "SETGID",
            "SETPCAP",
            "SETUID",
            "SYS_CHROOT",
        ] {
            podman.extend(["--cap-add", cap]);
        }
        podman.push("sh");
        assert_eq!(d.caps, run(&podman).unwrap().caps);
        assert_eq!(
            run(&["--cap-drop", "chown", "sh"]).unwrap().caps,
            d.caps & !1
        );
        assert_eq!(run(&["--cap-add", "all", "sh"]).unwrap().caps, u64::MAX);
    }

    #[test]
    fn container_option_errors() {
        for bad in [
            "/a",
            ":/b",
            "/a:b",
            "/a:/b:rx",
            "/a:/b/../c",
            "/a:/b//c",
            "/a:/",
            "/a:/b:ro:x",
            "/a:/b:",
            "/a:/b:ro,",
            "/a:/b:rshare",
        ] {
            let e = run(&["-v", bad, "sh"]).unwrap_err();
            assert_eq!((e.code, e.usage), (125, false), "{bad}");
            assert_eq!(
                msg(e),
                format!(
                    "--volume '{bad}': expected SRC:DST[:ro|rw][,PROPAGATION] with an absolute DST"
                )
            );
        }
        // docker's mode words: ro or rw, and a propagation.
        for (mode, ro, propagation) in [
            ("ro,rslave", true, g::MS_REC | g::MS_SLAVE),
            ("slave", false, g::MS_SLAVE),
            ("rw,runbindable", false, g::MS_REC | g::MS_UNBINDABLE),
            ("rprivate,ro", true, g::MS_REC | g::MS_PRIVATE),
            ("rshared", false, g::MS_REC | g::MS_SHARED),
            ("shared,ro", true, g::MS_SHARED),
        ] {
            let s = run(&["-v", &format!("/a:/b:{mode}"), "sh"]).unwrap();
            assert_eq!(
                (s.volumes[0].ro, s.volumes[0].propagation),
                (ro, propagation),
                "{mode}"
            );
        }
        let e = run(&["--tmpfs", "tmp", "sh"]).unwrap_err();
        assert_eq!(
            msg(e),
            "--tmpfs 'tmp': expected DST[:OPTIONS] with an absolute DST"
        );
        for bad in ["bob", "1:x", "", "4294967295", "-1", "1:", "1:2:3", ":"] {
            let e = run(&["-u", bad, "sh"]).unwrap_err();
            assert_eq!(
                msg(e),
                format!("--user '{bad}': expected UID[:GID], numeric")
            );
        }
        let e = run(&["--cap-add", "CAP_NOPE", "sh"]).unwrap_err();
        assert_eq!((e.code, e.usage), (125, false));
        assert_eq!(msg(e), "unknown capability 'CAP_NOPE'");
        assert_eq!(
            msg(run(&["--rootfs"]).unwrap_err()),
            "option '--rootfs' needs a value"
        );
        assert_eq!(
            msg(run(&["--read-only=1", "sh"]).unwrap_err()),
            "option '--read-only' takes no value"
        );
    }

    #[test]
    fn bench_of_oci_runtimes_takes_no_command() {
        let v: Vec<&[u8]> = vec![
            b"--runtime",
            b"crun",
            b"--runtime=/usr/bin/runc",
            b"--bundle",
            b"b",
            b"--markdown",
            b"--umount-unified",
            b"-n",
            b"3",
        ];
        let Command::Bench(o) = bench_options(&v).unwrap() else {
            panic!("not a bench")
        };
        assert_eq!(o.runtimes, [&b"crun"[..], b"/usr/bin/runc"]);
        assert_eq!(o.bundle, b"b");
        assert!(o.markdown && o.umount_unified && o.spec.command.is_empty());
        assert_eq!(o.n, 3);
        let e = bench_options(&[b"--runtime", b"crun", b"--bundle", b"b", b"true"]).unwrap_err();
        assert!(e.usage);
        assert_eq!(msg(e), "--runtime: no COMMAND (the bundle's is run)");
        let e = bench_options(&[b"--bundle", b"b"]).unwrap_err();
        assert_eq!(msg(e), "missing command");
        let e = bench_options(&[b"--runtime"]).unwrap_err();
        assert_eq!(msg(e), "option '--runtime' needs a value");
    }
}

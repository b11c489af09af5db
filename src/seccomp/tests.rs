//! The compiler checked on a classic-BPF interpreter written for the tests:
//! every program's verdict must be [`Profile::verdict`]'s.

use super::*;
use linux_raw_sys::general as g;
use std::collections::BTreeSet;
use std::vec;
use std::vec::Vec;

pub(super) const EPERM: Action = Action::Errno(1);
pub(super) const ENOSYS: Action = Action::Errno(38);
pub(super) const DOCKER_CAPS: u64 = 0xa804_25fb;
pub(super) const PODMAN_CAPS: u64 = 0x8004_05fb;
pub(super) const CAP_SYS_ADMIN: u64 = 1 << 21;
pub(super) const CAP_SYS_PTRACE: u64 = 1 << 19;
pub(super) const KERNELS: [(u32, u32); 3] = [(4, 4), (5, 15), (6, 18)];
const X86_64: u32 = p::AUDIT_ARCH_X86_64;

/// One run of a program: its return value, the instructions executed, and
/// whether it read an argument.
struct Run {
    ret: u32,
    steps: usize,
    loaded_args: bool,
}

/// Checks what the kernel's classic-BPF checker would: a length of 1 to
/// 4096, known opcodes only, loads inside `struct seccomp_data` and
/// aligned, jumps that land inside the program, a RET last.
fn validate(prog: &[SockFilter]) {
    assert!(
        !prog.is_empty() && prog.len() <= 4096,
        "length {}",
        prog.len()
    );
    for (pc, i) in prog.iter().enumerate() {
        let land = |off: usize| assert!(pc + 1 + off < prog.len(), "jump out at {pc}");
        match i.code {
            c if c == LD => assert!(i.k < 64 && i.k % 4 == 0, "load at {pc}"),
            c if c == AND => {}
            c if c == RET => {}
            c if c == JA => land(i.k as usize),
            c if c == JEQ || c == JGT || c == JGE || c == JSET => {
                land(i.jt as usize);
                land(i.jf as usize);
            }
            c => panic!("opcode {c:#x} at {pc}"),
        }
    }
    assert_eq!(
        prog.last().unwrap().code,
        RET,
        "the program must end in RET"
    );
}

/// Runs `prog` on a `struct seccomp_data`.
fn run(prog: &[SockFilter], arch: u32, nr: u32, args: &[u64; 6]) -> Run {
    let mut data = [0u32; 16];
    data[0] = nr;
    data[1] = arch;
    for (i, a) in args.iter().enumerate() {
        data[4 + 2 * i] = *a as u32;
        data[5 + 2 * i] = (*a >> 32) as u32;
    }
    let (mut pc, mut a, mut steps, mut loaded_args) = (0usize, 0u32, 0, false);
    loop {
        let i = prog[pc];
        steps += 1;
        pc += 1;
        let k = i.k;
        let cond = |taken: bool| if taken { i.jt as usize } else { i.jf as usize };
        match i.code {
            c if c == LD => {
                a = data[k as usize / 4];
                loaded_args |= k >= 16;
            }
            c if c == AND => a &= k,
            c if c == JA => pc += k as usize,
            c if c == JEQ => pc += cond(a == k),
            c if c == JGT => pc += cond(a > k),
            c if c == JGE => pc += cond(a >= k),
            c if c == JSET => pc += cond(a & k != 0),
            c if c == RET => {
                return Run {
                    ret: k,
                    steps,
                    loaded_args,
                };
            }
            c => panic!("opcode {c:#x}"),
        }
    }
}

const LD: u16 = (p::BPF_LD | p::BPF_W | p::BPF_ABS) as u16;
const AND: u16 = (p::BPF_ALU | p::BPF_AND | p::BPF_K) as u16;
const JA: u16 = (p::BPF_JMP | p::BPF_JA) as u16;
const JEQ: u16 = (p::BPF_JMP | p::BPF_JEQ | p::BPF_K) as u16;
const JGT: u16 = (p::BPF_JMP | p::BPF_JGT | p::BPF_K) as u16;
const JGE: u16 = (p::BPF_JMP | p::BPF_JGE | p::BPF_K) as u16;
const JSET: u16 = (p::BPF_JMP | p::BPF_JSET | p::BPF_K) as u16;
const RET: u16 = (p::BPF_RET | p::BPF_K) as u16;

/// Arguments that cross every boundary of docker's rules: clone's flags
/// (with and without namespace flags, in either half), personality's
/// values, socket's families, and values differing only in the high half.
pub(super) fn sample_args() -> Vec<[u64; 6]> {
    let firsts = [
        0,
        1,
        8,
        17,
        40,
        41,
        0x20000,
        0x20008,
        0x800_0008, // PER_LINUX32_3GB
        0xffff_ffff,
        0x1_0000_0000,
        0x1_0000_0028,
        0x1_ffff_ffff,
        u64::MAX,
        g::SIGCHLD as u64 | g::CLONE_VM as u64 | g::CLONE_FILES as u64,
        g::CLONE_NEWUSER as u64,
        g::CLONE_NEWNS as u64 | g::SIGCHLD as u64,
        g::CLONE_NEWNET as u64 | (1 << 32),
        0x7e02_0000,
        0x8000_0000, // CLONE_IO: no namespace
        0x7e02_0000 << 32,
    ];
    let mut all: Vec<[u64; 6]> = firsts.iter().map(|&a| [a, 0, 0, 0, 0, 0]).collect();
    all.push([0, g::CLONE_NEWUSER as u64, 0, 0, 0, 0]);
    all.push([2, 1, 0, 0, 0, 0]);
    all
}

/// The program's verdict, as an action.
fn action(ret: u32) -> Action {
    let data = (ret & p::SECCOMP_RET_DATA) as u16;
    match ret & p::SECCOMP_RET_ACTION_FULL {
        p::SECCOMP_RET_ALLOW => Action::Allow,
        p::SECCOMP_RET_ERRNO => Action::Errno(data),
        p::SECCOMP_RET_KILL_PROCESS => Action::KillProcess,
        p::SECCOMP_RET_KILL_THREAD => Action::KillThread,
        p::SECCOMP_RET_TRAP => Action::Trap,
        p::SECCOMP_RET_TRACE => Action::Trace(data),
        p::SECCOMP_RET_LOG => Action::Log,
        r => panic!("return value {r:#x}"),
    }
}

/// Numbers beyond the table: x32 ones, -1, and others above the top.
pub(super) fn odd_numbers() -> Vec<u32> {
    let x = X32_BIT;
    vec![
        x,
        x | 1,
        x | 59,
        x | 512,
        x | 0x3fff_ffff,
        0x3fff_ffff,
        0x8000_0000,
        0xbfff_ffff,
        0xffff_fffe,
        u32::MAX,
    ]
}

/// Asserts that `prog` answers as `profile` for every number up to past the
/// top, the odd numbers, and every sample argument; that a call without
/// argument rules never loads an argument; and that other architectures are
/// killed. Returns the most instructions an allowed call without argument
/// rules ran.
fn check(profile: &Profile, prog: &[SockFilter]) -> usize {
    validate(prog);
    let samples = sample_args();
    let mut worst = 0;
    let with_args: BTreeSet<u32> = profile
        .rules
        .iter()
        .filter(|r| !r.args.is_empty())
        .map(|r| r.nr)
        .collect();
    let numbers = (0..=MAX_NR + 5).chain(odd_numbers());
    for nr in numbers {
        for args in &samples {
            let r = run(prog, X86_64, nr, args);
            let want = profile.verdict(nr, args);
            assert_eq!(action(r.ret), want, "nr {nr:#x} args {args:x?}");
            if !with_args.contains(&nr) {
                assert!(!r.loaded_args, "nr {nr} loads an argument");
                if want == Action::Allow {
                    worst = worst.max(r.steps);
                }
            }
        }
    }
    for arch in [p::AUDIT_ARCH_I386, p::AUDIT_ARCH_AARCH64, 0, !0] {
        for nr in [0, 1, 59, 435, MAX_NR + 1, X32_BIT | 1] {
            let r = run(prog, arch, nr, &[0; 6]);
            assert_eq!(action(r.ret), Action::KillProcess, "arch {arch:#x} nr {nr}");
        }
    }
    worst
}

/// The number of ranges of consecutive numbers with one verdict (a number
/// with argument rules counts as one of its own), as the compiler splits
/// them, up to the first number above the top.
fn ranges(profile: &Profile) -> usize {
    let with_args: BTreeSet<u32> = profile
        .rules
        .iter()
        .filter(|r| !r.args.is_empty())
        .map(|r| r.nr)
        .collect();
    let key = |nr: u32| {
        (
            with_args.contains(&nr).then_some(nr),
            profile.verdict(nr, &[0; 6]),
        )
    };
    (1..=MAX_NR + 1)
        .filter(|&nr| with_args.contains(&nr) || key(nr) != key(nr - 1))
        .count()
        + 1
}

fn nr(name: &str) -> u32 {
    syscall_number(name.as_bytes()).unwrap()
}

/// The verdict of the compiled default profile for one call.
fn docker(caps: u64, kernel: (u32, u32), name: &str, args: [u64; 6]) -> Action {
    let profile = default_profile(caps, kernel);
    let prog = compile(&profile).unwrap();
    let got = action(run(&prog, X86_64, nr(name), &args).ret);
    assert_eq!(got, profile.verdict(nr(name), &args), "{name}");
    got
}

fn a0(v: u64) -> [u64; 6] {
    [v, 0, 0, 0, 0, 0]
}

#[test]
fn default_profile_matches_its_verdicts_for_every_number() {
    let caps = [
        DOCKER_CAPS,
        PODMAN_CAPS,
        u64::MAX,
        0,
        PODMAN_CAPS | CAP_SYS_ADMIN,
        PODMAN_CAPS | CAP_SYS_PTRACE,
    ];
    for caps in caps {
        for kernel in KERNELS {
            let profile = default_profile(caps, kernel);
            let prog = compile(&profile).unwrap();
            let worst = check(&profile, &prog);
            let ranges = ranges(&profile);
            // The prologue (4), the search (ceil(log2(ranges))), the RET.
            let bound = 5 + (usize::BITS - (ranges - 1).leading_zeros()) as usize;
            assert!(
                worst <= bound,
                "caps {caps:#x}: {} instructions, {ranges} ranges, an allowed call \
                 runs up to {worst} (bound {bound})",
                prog.len()
            );
            assert!(
                prog.len() < 200,
                "caps {caps:#x}: {} instructions",
                prog.len()
            );
        }
    }
}

#[test]
fn default_profile_sizes() {
    // Printed with --nocapture; the assertion messages carry them too.
    for (name, caps) in [
        ("docker", DOCKER_CAPS),
        ("podman", PODMAN_CAPS),
        ("all", u64::MAX),
    ] {
        let profile = default_profile(caps, (6, 18));
        let prog = compile(&profile).unwrap();
        let worst = check(&profile, &prog);
        std::println!(
            "{name} caps: {} rules, {} ranges, {} instructions, an allowed call runs at most {worst}",
            profile.rules.len(),
            ranges(&profile),
            prog.len()
        );
        assert!(
            worst <= 13,
            "{name}: {worst} instructions for an allowed call"
        );
    }
}

#[test]
fn default_profile_refuses_what_docker_refuses() {
    for caps in [DOCKER_CAPS, PODMAN_CAPS] {
        for name in [
            "unshare",
            "setns",
            "mount",
            "keyctl",
            "add_key",
            "request_key",
            "bpf",
            "perf_event_open",
            "userfaultfd",
            "kexec_load",
            "init_module",
            "ptrace",
            "kcmp",
            "pidfd_getfd",
            "process_madvise",
            "io_uring_setup",
            "reboot",
            "swapon",
            "open_by_handle_at",
        ] {
            assert_eq!(docker(caps, (4, 4), name, [0; 6]), EPERM, "{name}");
        }
        assert_eq!(docker(caps, (6, 18), "clone3", [0; 6]), ENOSYS);
        for ok in [
            "read",
            "write",
            "execve",
            "exit_group",
            "fchmodat2",
            "rseq",
            "arch_prctl",
        ] {
            assert_eq!(docker(caps, (6, 18), ok, [0; 6]), Action::Allow, "{ok}");
        }
    }
    // chroot comes with CAP_SYS_CHROOT, which docker and podman both keep.
    assert_eq!(
        docker(DOCKER_CAPS, (6, 18), "chroot", [0; 6]),
        Action::Allow
    );
    assert_eq!(
        docker(PODMAN_CAPS, (6, 18), "chroot", [0; 6]),
        Action::Allow
    );
    assert_eq!(docker(0, (6, 18), "chroot", [0; 6]), EPERM);
}

#[test]
fn default_profile_argument_rules() {
    let caps = DOCKER_CAPS;
    let k = (6, 18);
    // clone: no namespace flag, in either half.
    let thread = (g::CLONE_VM | g::CLONE_FS | g::CLONE_FILES | g::CLONE_THREAD) as u64;
    assert_eq!(docker(caps, k, "clone", a0(thread)), Action::Allow);
    assert_eq!(
        docker(caps, k, "clone", a0(g::SIGCHLD as u64)),
        Action::Allow
    );
    assert_eq!(docker(caps, k, "clone", a0(1 << 32 | 17)), Action::Allow);
    for ns in [
        g::CLONE_NEWUSER,
        g::CLONE_NEWNS,
        g::CLONE_NEWPID,
        g::CLONE_NEWNET,
    ] {
        assert_eq!(
            docker(caps, k, "clone", a0(ns as u64 | 17)),
            EPERM,
            "{ns:#x}"
        );
    }
    // personality: the listed values only, on all 64 bits.
    for ok in [0, 8, 0x20000, 0x20008, 0xffff_ffff] {
        assert_eq!(
            docker(caps, k, "personality", a0(ok)),
            Action::Allow,
            "{ok:#x}"
        );
    }
    for bad in [
        0x800_0008,
        1,
        0x1_0000_0000,
        0x1_0000_0008,
        u64::MAX,
        0x40000,
    ] {
        assert_eq!(docker(caps, k, "personality", a0(bad)), EPERM, "{bad:#x}");
    }
    // socket: anything but AF_VSOCK, on all 64 bits.
    assert_eq!(docker(caps, k, "socket", a0(40)), EPERM);
    assert_eq!(docker(caps, k, "socket", [40, 1, 0, 0, 0, 0]), EPERM);
    for ok in [1, 2, 10, 16, 17, 39, 41, 40 | 1 << 32] {
        assert_eq!(docker(caps, k, "socket", a0(ok)), Action::Allow, "{ok:#x}");
    }
}

#[test]
fn default_profile_capability_groups() {
    let k = (6, 18);
    let admin = PODMAN_CAPS | CAP_SYS_ADMIN;
    for name in [
        "unshare", "setns", "mount", "umount2", "bpf", "fsopen", "syslog", "clone3",
    ] {
        assert_eq!(docker(admin, k, name, [0; 6]), Action::Allow, "{name}");
    }
    let newuser = a0(g::CLONE_NEWUSER as u64 | 17);
    assert_eq!(docker(admin, k, "clone", newuser), Action::Allow);
    // SYS_PTRACE; plain ptrace from 4.8 on, whatever the capabilities.
    let ptrace = PODMAN_CAPS | CAP_SYS_PTRACE;
    for name in [
        "kcmp",
        "pidfd_getfd",
        "process_madvise",
        "ptrace",
        "process_vm_readv",
    ] {
        assert_eq!(
            docker(ptrace, (4, 4), name, [0; 6]),
            Action::Allow,
            "{name}"
        );
    }
    assert_eq!(docker(PODMAN_CAPS, (4, 4), "ptrace", [0; 6]), EPERM);
    assert_eq!(
        docker(PODMAN_CAPS, (4, 7), "process_vm_writev", [0; 6]),
        EPERM
    );
    assert_eq!(docker(PODMAN_CAPS, (4, 8), "ptrace", [0; 6]), Action::Allow);
    assert_eq!(
        docker(PODMAN_CAPS, (5, 0), "process_vm_writev", [0; 6]),
        Action::Allow
    );
    assert_eq!(docker(PODMAN_CAPS, (5, 0), "kcmp", [0; 6]), EPERM);
    // One name per other group, with its capability and without.
    for (cap, name) in [
        (2, "open_by_handle_at"),
        (16, "finit_module"),
        (17, "iopl"),
        (18, "chroot"),
        (20, "acct"),
        (22, "reboot"),
        (23, "set_mempolicy"),
        (25, "settimeofday"),
        (25, "clock_settime"),
        (26, "vhangup"),
        (34, "syslog"),
        (38, "perf_event_open"),
        (39, "bpf"),
    ] {
        assert_eq!(docker(1 << cap, k, name, [0; 6]), Action::Allow, "{name}");
        assert_eq!(
            docker(!(1 << cap) & !CAP_SYS_ADMIN, k, name, [0; 6]),
            EPERM,
            "{name}"
        );
    }
}

#[test]
fn numbers_beyond_the_table() {
    let profile = default_profile(DOCKER_CAPS, (6, 18));
    let prog = compile(&profile).unwrap();
    let at = |arch, nr| action(run(&prog, arch, nr, &[0; 6]).ret);
    assert_eq!(at(X86_64, MAX_NR), EPERM, "file_setattr, known and refused");
    assert_eq!(at(X86_64, MAX_NR + 1), ENOSYS);
    assert_eq!(at(X86_64, 1000), ENOSYS);
    assert_eq!(at(X86_64, u32::MAX), ENOSYS);
    assert_eq!(at(X86_64, X32_BIT | 1), Action::KillProcess, "x32 write");
    assert_eq!(at(X86_64, X32_BIT | 0x201), Action::KillProcess);
    assert_eq!(at(p::AUDIT_ARCH_I386, 1), Action::KillProcess, "i386 exit");
    // A default that lets calls run lets unknown ones run too; x32 still dies.
    let open = Profile {
        default: Action::Allow,
        rules: vec![],
    };
    let prog = compile(&open).unwrap();
    assert!(prog.len() <= 8, "{prog:?}");
    check(&open, &prog);
    assert_eq!(action(run(&prog, X86_64, 5000, &[0; 6]).ret), Action::Allow);
    assert_eq!(
        action(run(&prog, X86_64, X32_BIT, &[0; 6]).ret),
        Action::KillProcess
    );
}

#[test]
fn every_action_is_returned() {
    let actions = [
        Action::Allow,
        Action::Errno(0),
        Action::Errno(4095),
        Action::KillProcess,
        Action::KillThread,
        Action::Trap,
        Action::Trace(0),
        Action::Trace(7),
        Action::Log,
    ];
    for default in actions {
        let rules = (0..actions.len())
            .map(|i| Rule {
                nr: 3 * i as u32 + 1,
                action: actions[i],
                args: vec![],
            })
            .collect();
        let profile = Profile { default, rules };
        let prog = compile(&profile).unwrap();
        check(&profile, &prog);
        for (i, &a) in actions.iter().enumerate() {
            assert_eq!(action(run(&prog, X86_64, 3 * i as u32 + 1, &[0; 6]).ret), a);
        }
    }
}

/// Values around every boundary of a 64-bit comparison with `v`.
fn around(v: u64) -> Vec<u64> {
    let mut out = vec![0, 1, u32::MAX as u64, 1 << 32, u64::MAX, 1 << 63];
    for d in [0u64, 1, 1 << 32, (1 << 32) + 1, 0xffff_ffff] {
        out.extend([v.wrapping_add(d), v.wrapping_sub(d)]);
    }
    // The same low half under another high half, and the reverse.
    out.extend([v ^ 1 << 40, v ^ 1 << 7, v & 0xffff_ffff, v & !0xffff_ffff]);
    out
}

#[test]
fn comparisons_on_64_bits() {
    let values = [
        0,
        1,
        40,
        0xffff_ffff,
        0x1_0000_0000,
        0x1_0000_0001,
        0x8000_0000_0000_0000,
        0x1234_5678_9abc_def0,
        u64::MAX,
    ];
    let masks = [
        0,
        1,
        0xffff_ffff,
        0xffff_ffff_0000_0000,
        0xffff_0000_0000_ffff,
        0x7e02_0000,
        u64::MAX,
    ];
    let mut cmps = vec![Cmp::Ne, Cmp::Lt, Cmp::Le, Cmp::Eq, Cmp::Ge, Cmp::Gt];
    cmps.extend(masks.iter().map(|&m| Cmp::MaskedEq(m)));
    for cmp in cmps {
        for v in values {
            // A masked comparison with a value it can match, and with
            // one it may not (bits outside the mask).
            let masked = match cmp {
                Cmp::MaskedEq(m) => v & m,
                _ => v,
            };
            for (value, index) in [(masked, 0), (masked, 3), (v, 5)] {
                let arg = Arg { index, cmp, value };
                let profile = Profile {
                    default: EPERM,
                    rules: vec![Rule {
                        nr: 7,
                        action: Action::Allow,
                        args: vec![arg],
                    }],
                };
                let prog = compile(&profile).unwrap();
                validate(&prog);
                for a in around(v).into_iter().chain(around(value)) {
                    let mut args = [0x55; 6];
                    args[index as usize] = a;
                    let got = action(run(&prog, X86_64, 7, &args).ret);
                    let want = if arg.holds(&args) {
                        Action::Allow
                    } else {
                        EPERM
                    };
                    assert_eq!(got, want, "{cmp:?} {value:#x}, arg {index} = {a:#x}");
                    assert_eq!(profile.verdict(7, &args), want);
                }
            }
        }
    }
}

#[test]
fn rules_with_conditions_come_first_then_the_plain_rule() {
    let arg = |index, cmp, value| Arg { index, cmp, value };
    let profile = Profile {
        default: Action::KillThread,
        rules: vec![
            Rule {
                nr: 10,
                action: Action::Errno(5),
                args: vec![],
            },
            Rule {
                nr: 10,
                action: Action::Allow,
                args: vec![arg(0, Cmp::Eq, 1), arg(1, Cmp::Gt, 100)],
            },
            Rule {
                nr: 10,
                action: Action::Trap,
                args: vec![arg(0, Cmp::Eq, 1)],
            },
            Rule {
                nr: 10,
                action: Action::Errno(6),
                args: vec![],
            },
            Rule {
                nr: 11,
                action: Action::Log,
                args: vec![arg(2, Cmp::Lt, 3)],
            },
        ],
    };
    let prog = compile(&profile).unwrap();
    check(&profile, &prog);
    let at = |nr, args: [u64; 6]| action(run(&prog, X86_64, nr, &args).ret);
    assert_eq!(at(10, [1, 101, 0, 0, 0, 0]), Action::Allow);
    assert_eq!(at(10, [1, 100, 0, 0, 0, 0]), Action::Trap);
    assert_eq!(at(10, [2, 101, 0, 0, 0, 0]), Action::Errno(5));
    assert_eq!(at(11, [0, 0, 2, 0, 0, 0]), Action::Log);
    assert_eq!(at(11, [0, 0, 3, 0, 0, 0]), Action::KillThread);
    assert_eq!(at(12, [0; 6]), Action::KillThread);
}

/// xorshift64*: reproducible random numbers without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A value near a boundary more often than not.
    fn value(&mut self) -> u64 {
        match self.below(4) {
            0 => self.below(50),
            1 => self.next(),
            2 => (self.below(4) << 32) | self.below(4),
            _ => u32::MAX as u64 + self.below(3) - 1,
        }
    }
}

/// A random profile: `n` rules over numbers below `span`, some with
/// conditions.
fn random_profile(rng: &mut Rng, n: usize, span: u64) -> Profile {
    let actions = [
        Action::Allow,
        EPERM,
        Action::Errno(13),
        Action::KillThread,
        Action::Trap,
        Action::Log,
    ];
    let pick = |rng: &mut Rng| actions[rng.below(actions.len() as u64) as usize];
    let rules = (0..n)
        .map(|_| {
            let nargs = [0, 0, 1, 1, 2, 3][rng.below(6) as usize];
            let args = (0..nargs)
                .map(|_| {
                    let cmp = match rng.below(7) {
                        0 => Cmp::Ne,
                        1 => Cmp::Lt,
                        2 => Cmp::Le,
                        3 => Cmp::Eq,
                        4 => Cmp::Ge,
                        5 => Cmp::Gt,
                        _ => Cmp::MaskedEq(rng.value()),
                    };
                    Arg {
                        index: rng.below(6) as u8,
                        cmp,
                        value: rng.value(),
                    }
                })
                .collect();
            Rule {
                nr: rng.below(span) as u32,
                action: pick(rng),
                args,
            }
        })
        .collect();
    Profile {
        default: pick(rng),
        rules,
    }
}

#[test]
fn random_profiles_match_their_verdicts() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..60 {
        let span = [8, 40, MAX_NR as u64 + 1][round % 3];
        let profile = random_profile(&mut rng, 1 + round * 2, span);
        let prog = compile(&profile).unwrap();
        check(&profile, &prog);
        for _ in 0..3000 {
            let nr = rng.below(span + 2) as u32;
            let args: [u64; 6] = core::array::from_fn(|_| rng.value());
            let got = action(run(&prog, X86_64, nr, &args).ret);
            assert_eq!(
                got,
                profile.verdict(nr, &args),
                "round {round} nr {nr} {args:x?}"
            );
        }
    }
}

#[test]
fn long_programs_reach_far_targets() {
    // A different action on every other number (the search alone is
    // hundreds of instructions), and a few hundred argument rules: jumps
    // must go farther than the 255 an 8-bit offset reaches.
    let mut rng = Rng(7);
    let mut rules: Vec<Rule> = (0..=MAX_NR)
        .filter(|nr| nr % 2 == 0)
        .map(|nr| Rule {
            nr,
            action: Action::Errno((nr % 5) as u16),
            args: vec![],
        })
        .collect();
    let mut extra = random_profile(&mut rng, 300, MAX_NR as u64 + 1).rules;
    extra.retain(|r| !r.args.is_empty());
    rules.extend(extra);
    let profile = Profile {
        default: Action::Allow,
        rules,
    };
    let prog = compile(&profile).unwrap();
    assert!(prog.len() > 1000, "{} instructions", prog.len());
    let far = prog.iter().filter(|i| i.code == JA).count();
    assert!(far > 0, "no JA in {} instructions", prog.len());
    check(&profile, &prog);
    for _ in 0..20000 {
        let nr = rng.below(MAX_NR as u64 + 2) as u32;
        let args: [u64; 6] = core::array::from_fn(|_| rng.value());
        let got = action(run(&prog, X86_64, nr, &args).ret);
        assert_eq!(got, profile.verdict(nr, &args), "nr {nr} {args:x?}");
    }
}

#[test]
fn jumps_at_the_edge_of_reach() {
    // Programs of every length around the 255 an offset reaches: syscall 1
    // decided by `n` conditions, its neighbours by the search, so the
    // search's jumps over the block grow one instruction at a time.
    let cond = |value| Arg {
        index: 1,
        cmp: Cmp::Ne,
        value,
    };
    for n in 100..160 {
        let mut rules: Vec<Rule> = (0..=MAX_NR)
            .map(|nr| Rule {
                nr,
                action: Action::Errno((nr % 3) as u16),
                args: vec![],
            })
            .collect();
        rules.push(Rule {
            nr: 1,
            action: Action::Allow,
            args: (0..n).map(|i| cond(i << 31)).collect(),
        });
        rules.push(Rule {
            nr: 200,
            action: Action::Trap,
            args: vec![cond(n)],
        });
        let profile = Profile {
            default: Action::Allow,
            rules,
        };
        let prog = compile(&profile).unwrap();
        check(&profile, &prog);
    }
}

#[test]
fn too_long_or_invalid_profiles_are_refused() {
    let cond = |value| Arg {
        index: 0,
        cmp: Cmp::Eq,
        value,
    };
    let rules = (0..1500)
        .map(|i| Rule {
            nr: 1,
            action: Action::Allow,
            args: vec![cond(i | 1 << 33)],
        })
        .collect();
    let e = compile(&Profile {
        default: EPERM,
        rules,
    })
    .unwrap_err();
    let msg = std::string::String::from_utf8(e.msg).unwrap();
    assert!(msg.starts_with("seccomp: the filter takes "), "{msg}");
    assert!(
        msg.ends_with(" instructions, over the kernel's 4096"),
        "{msg}"
    );
    let bad_nr = Rule {
        nr: MAX_NR + 1,
        action: Action::Allow,
        args: vec![],
    };
    let bad_arg = Rule {
        nr: 0,
        action: Action::Allow,
        args: vec![Arg {
            index: 6,
            cmp: Cmp::Eq,
            value: 0,
        }],
    };
    for (rule, want) in [
        (
            bad_nr,
            "seccomp: a rule for syscall number 470 is out of range",
        ),
        (bad_arg, "seccomp: a rule on argument 6 is out of range"),
    ] {
        let e = compile(&Profile {
            default: EPERM,
            rules: vec![rule],
        })
        .unwrap_err();
        assert_eq!(e.msg, want.as_bytes());
    }
}

#[test]
fn table_skips_only_names_x86_64_lacks() {
    let src = include_str!("default.txt");
    let mut skipped = Vec::new();
    let mut numbers = BTreeSet::new();
    let text = src
        .lines()
        .map(|l| l.split('#').next().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    for stmt in text.split(';') {
        if let Some((_, list)) = stmt.split_once(':') {
            for name in list.split_whitespace() {
                match syscall_number(name.as_bytes()) {
                    Some(nr) => drop(numbers.insert(nr)),
                    None => skipped.push(name),
                }
            }
        }
    }
    // docker's 32-bit, time64 and other architectures' names; a typo would
    // show up here.
    let expected = "chown32 clock_adjtime64 clock_getres_time64 clock_gettime64 \
        clock_nanosleep_time64 fadvise64_64 fchown32 fcntl64 fstat64 fstatat64 fstatfs64 \
        ftruncate64 futex_time64 getegid32 geteuid32 getgid32 getgroups32 getresgid32 \
        getresuid32 getuid32 io_pgetevents_time64 ipc lchown32 _llseek lstat64 mmap2 \
        mq_timedreceive_time64 mq_timedsend_time64 _newselect ppoll_time64 pselect6_time64 \
        recv recvmmsg_time64 riscv_hwprobe rt_sigtimedwait_time64 \
        sched_rr_get_interval_time64 semtimedop_time64 send sendfile64 setfsgid32 setfsuid32 \
        setgid32 setgroups32 setregid32 setresgid32 setresuid32 setreuid32 setuid32 \
        sigprocmask sigreturn socketcall stat64 statfs64 timer_gettime64 timer_settime64 \
        timerfd_gettime64 timerfd_settime64 truncate64 ugetrlimit utimensat_time64 waitpid \
        umount stime clock_settime64";
    assert_eq!(
        skipped.join(" "),
        expected.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    // Every other name made it into the table: with every capability, all
    // statements but the two `nocap` ones (clone and clone3, which
    // CAP_SYS_ADMIN's group has too) are in.
    let all = default_profile(u64::MAX, (9, 0));
    let got: BTreeSet<u32> = all.rules.iter().map(|r| r.nr).collect();
    assert_eq!(got, numbers);
    assert_eq!(all.default, EPERM);
}

#[test]
fn verdict_of_the_default_profile() {
    let profile = default_profile(DOCKER_CAPS, (6, 18));
    let v = |name: &str, args| profile.verdict(nr(name), &args);
    assert_eq!(v("read", [0; 6]), Action::Allow);
    assert_eq!(v("unshare", [0; 6]), EPERM);
    assert_eq!(v("clone3", [0; 6]), ENOSYS);
    assert_eq!(v("personality", a0(0x800_0008)), EPERM);
    assert_eq!(profile.verdict(MAX_NR + 1, &[0; 6]), ENOSYS);
    assert_eq!(profile.verdict(X32_BIT | 1, &[0; 6]), Action::KillProcess);
    assert_eq!(syscall_name(nr("personality")).unwrap(), b"personality");
}

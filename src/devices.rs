//! The device allow list of a container's cgroup: which device nodes its
//! processes may create (`mknod`) and open, whatever nodes they can see.
//!
//! The rules are those of runc and docker: a type (char, block or all), a
//! major and a minor number (each possibly "any"), and the access allowed.
//! Everything the rules do not allow is denied. The kernel enforces them
//! in two ways:
//!
//! - on cgroup2, a `BPF_PROG_TYPE_CGROUP_DEVICE` program attached to the
//!   container's group, built here by [`program`] (no compiler, no object
//!   file: about one instruction per rule) and attached by [`attach`]. It
//!   needs no controller, so it works on hybrid hosts too, whose cgroup2
//!   tree holds none (tested here on one);
//! - on cgroup v1, the `devices` controller: "a" to `devices.deny`, then one
//!   line per rule to `devices.allow` ([`v1_lines`], [`v1_apply`]).
//!
//! The kernel checks both on every access (the program first): a process
//! must be allowed by its cgroup2 group's programs and by its v1 devices
//! group. So where cgroup2 is mounted the program is enough, and the v1
//! controller is only needed on a host without cgroup2.
//!
//! A group cannot widen what its ancestors allow: v1 refuses the write,
//! and the kernel runs a v2 group's programs together with those of every
//! ancestor attached with `BPF_F_ALLOW_MULTI`, allowing an access only
//! when all of them do. (With `BPF_F_ALLOW_OVERRIDE` a descendant's program
//! would replace the ancestor's: never used.)

use crate::error::Error;
use crate::sys::bpf::{self, Insn};
use crate::sys::{self, AsFd, BorrowedFd, Errno, OwnedFd};
use crate::util::out::Buf;
use alloc::vec::Vec;

/// Access bit: create the node with `mknod(2)` (`BPF_DEVCG_ACC_MKNOD`).
pub const M: u8 = 1;
/// Access bit: open it for reading (`BPF_DEVCG_ACC_READ`).
pub const R: u8 = 2;
/// Access bit: open it for writing (`BPF_DEVCG_ACC_WRITE`).
pub const W: u8 = 4;
/// All three access bits.
pub const RWM: u8 = R | W | M;

pub use crate::spec::DeviceRule as Rule;

/// A char device allowed in full.
const fn char_rwm(major: u32, minor: u32) -> Rule {
    Rule {
        kind: b'c',
        major: Some(major),
        minor: Some(minor),
        access: RWM,
    }
}

/// docker's and podman's default allow list (runc's `AllowedDevices`):
/// `mknod` of any char or block device (the node is harmless until
/// opened), and read, write and mknod of null, zero, full, random, urandom,
/// tty, console, ptmx and every pts. Nothing else, not even /dev/net/tun,
/// which runc dropped from its list.
pub const DEFAULT: &[Rule] = &[
    Rule {
        kind: b'c',
        major: None,
        minor: None,
        access: M,
    },
    Rule {
        kind: b'b',
        major: None,
        minor: None,
        access: M,
    },
    char_rwm(1, 3), // null
    char_rwm(1, 5), // zero
    char_rwm(1, 7), // full
    char_rwm(1, 8), // random
    char_rwm(1, 9), // urandom
    char_rwm(5, 0), // tty
    char_rwm(5, 1), // console
    char_rwm(5, 2), // ptmx
    Rule {
        kind: b'c',
        major: Some(136), // pts
        minor: None,
        access: RWM,
    },
];

// The eBPF instructions the program uses (<linux/bpf_common.h>): class |
// operation | source (K: the immediate, X: a register).
/// BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off).
const LDX_W: u8 = 0x61;
/// BPF_ALU64 | BPF_MOV | BPF_K: dst = imm.
const MOV_K: u8 = 0xb7;
/// BPF_ALU64 | BPF_MOV | BPF_X: dst = src.
const MOV_X: u8 = 0xbf;
/// BPF_ALU64 | BPF_AND | BPF_K: dst &= imm.
const AND_K: u8 = 0x57;
/// BPF_ALU64 | BPF_XOR | BPF_K: dst ^= imm.
const XOR_K: u8 = 0xa7;
/// BPF_ALU64 | BPF_OR | BPF_X: dst |= src.
const OR_X: u8 = 0x4f;
/// BPF_ALU64 | BPF_LSH | BPF_K: dst <<= imm.
const LSH_K: u8 = 0x67;
/// BPF_ALU64 | BPF_RSH | BPF_K: dst >>= imm.
const RSH_K: u8 = 0x77;
/// BPF_JMP | BPF_JA: skip `off` instructions.
const JA: u8 = 0x05;
/// BPF_JMP | BPF_JEQ | BPF_K: if dst == imm, skip `off` instructions.
const JEQ_K: u8 = 0x15;
/// BPF_JMP | BPF_JNE | BPF_K: if dst != imm, skip `off` instructions.
const JNE_K: u8 = 0x55;
/// BPF_JMP | BPF_EXIT: return r0.
const EXIT: u8 = 0x95;

/// An instruction; `regs` is (source << 4) | destination.
const fn insn(code: u8, regs: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs,
        off,
        imm,
    }
}

// Placeholder offsets of forward jumps, set once the targets are known
// (real offsets are never negative): to allow, to deny, to the block rules.
const TO_ALLOW: i16 = -1;
const TO_DENY: i16 = -2;
const TO_BLOCK: i16 = -3;

/// The program's start. r1 points to `struct bpf_cgroup_dev_ctx`
/// { access_type: (access << 16) | type, major, minor }, read in 32-bit
/// loads, which every kernel with device programs takes (16-bit loads of
/// access_type's halves would save two instructions where allowed).
const PROLOGUE: [Insn; 10] = [
    insn(LDX_W, 0x12, 0, 0),     // r2 = access_type
    insn(MOV_X, 0x23, 0, 0),     // r3 = r2
    insn(AND_K, 3, 0, 0xffff),   // r3 = type
    insn(RSH_K, 2, 0, 16),       // r2 = access
    insn(LDX_W, 0x14, 4, 0),     // r4 = major
    insn(LDX_W, 0x15, 8, 0),     // r5 = minor
    insn(MOV_X, 0x46, 0, 0),     // r6 = major
    insn(LSH_K, 6, 0, 20),       // r6 <<= 20
    insn(OR_X, 0x56, 0, 0),      // r6 |= minor: the kernel's dev_t
    insn(JNE_K, 3, TO_BLOCK, 2), // if type != BPF_DEVCG_DEV_CHAR goto block rules
];

/// The `BPF_PROG_TYPE_CGROUP_DEVICE` program that returns 1 for an access
/// `rules` allow and 0 for any other.
///
/// Its shape is chosen for the verifier, whose work (most of the cost of
/// loading) grows with the paths through the program: every test jumps
/// to "allow" (`r0 = 1; exit`) on a match, so that only one path goes on
/// past it. After the prologue's type test come the rules for char
/// devices, then those for block devices (a rule for both types is in
/// both), each section ending at "deny" (`r0 = 0; exit`). A rule with full
/// access is one `if == goto allow` on the device number (`major << 20 |
/// minor`, the major or the minor); with none, it allows the rest of its
/// type and ends the section. A rule with less access computes, without
/// branching, `(access & ~allowed) | (number ^ value)` and goes to allow
/// when that is 0. 30 instructions for [`DEFAULT`], and about 4 times
/// quicker to load than a block of `if != goto next` tests per rule.
///
/// Compares are 64-bit against a sign-extended 32-bit immediate: exact for
/// Linux's device numbers (majors below 512, minors below 2^20); a rule
/// for a major of 2048 or more would match nothing (fail closed).
pub fn program(rules: &[Rule]) -> Vec<Insn> {
    let mut p = Vec::from(PROLOGUE);
    // Where allow, deny and the block rules are, by placeholder.
    let mut at = [0; 3];
    // Jumps to allow, and sections that allow everything.
    let (mut allows, mut all) = (0, 0);
    for kind in [b'c', b'b'] {
        if kind == b'b' {
            at[2] = p.len();
        }
        let mut end = TO_DENY;
        for r in rules {
            if r.kind != kind && r.kind != b'a' {
                continue;
            }
            let (reg, v) = match (r.major, r.minor) {
                (Some(major), Some(minor)) => (6, major << 20 | minor),
                (Some(major), None) => (4, major),
                (None, Some(minor)) => (5, minor),
                (None, None) => (0, 0),
            };
            let mut test = insn(JEQ_K, reg, TO_ALLOW, v as i32); // if number == v goto allow
            if r.access & RWM != RWM {
                let ops = [
                    insn(MOV_X, 0x27, 0, 0),               // r7 = access
                    insn(AND_K, 7, 0, !(r.access as i32)), // r7 &= ~allowed
                    insn(MOV_X, reg << 4 | 8, 0, 0),       // r8 = number
                    insn(XOR_K, 8, 0, v as i32),           // r8 ^= v
                    insn(OR_X, 0x87, 0, 0),                // r7 |= r8
                ];
                p.extend_from_slice(&ops[..if reg == 0 { 2 } else { 5 }]);
                test = insn(JEQ_K, 7, TO_ALLOW, 0); // if r7 == 0 goto allow
            } else if reg == 0 {
                // Everything of this type: later rules could never run
                // (and the verifier refuses code that cannot).
                end = TO_ALLOW;
                all += 1;
                break;
            }
            p.push(test);
            allows += 1;
        }
        // Over the block rules to deny, or to allow when all is allowed.
        if end == TO_ALLOW || kind == b'c' {
            p.push(insn(JA, 0, end, 0));
        }
    }
    // Deny, unless both sections allow everything; allow, unless nothing
    // goes there (the verifier refuses dead code).
    for r0 in 0..2 {
        if [all < 2, allows + all > 0][r0] {
            at[1 - r0] = p.len();
            p.extend_from_slice(&[insn(MOV_K, 0, 0, r0 as i32), insn(EXIT, 0, 0, 0)]);
        }
    }
    for (j, i) in p.iter_mut().enumerate() {
        if i.off < 0 {
            i.off = (at[!i.off as usize] - j - 1) as i16;
        }
    }
    p
}

/// Loads [`program`]`(rules)` and attaches it to the cgroup2 group `cgroup`
/// (a directory fd) with `BPF_F_ALLOW_MULTI`: a nested runtime inside may
/// add programs of its own, which can only narrow the list. The group
/// holds the program until it is removed; `what` names the group in an
/// error.
pub fn attach(cgroup: BorrowedFd<'_>, rules: &[Rule], what: &[u8]) -> Result<(), Error> {
    let prog = bpf::prog_load_cgroup_device(&program(rules), None)
        .map_err(|e| Error::sys("load device program for", what, e))?;
    bpf::prog_attach(cgroup, prog.as_fd(), bpf::CGROUP_DEVICE, bpf::F_ALLOW_MULTI)
        .map_err(|e| Error::sys("attach device program to", what, e))
}

/// Appends the v1 `devices.allow` lines of `rules`, each ending in a
/// newline: "c 1:3 rwm", "c 136:* rwm". A rule for both types is written
/// as two lines, "c ..." then "b ...": in v1, "a" means every device with
/// every access, whatever follows it.
pub fn v1_lines(rules: &[Rule], out: &mut Buf) {
    for r in rules {
        for kind in [b'c', b'b'] {
            if r.kind == kind || r.kind == b'a' {
                out.b(&[kind, b' ']);
                for (n, sep) in [(r.major, b':'), (r.minor, b' ')] {
                    match n {
                        Some(n) => out.u(n as u64),
                        None => out.s("*"),
                    };
                    out.b(&[sep]);
                }
                for (bit, c) in [(R, b'r'), (W, b'w'), (M, b'm')] {
                    if r.access & bit != 0 {
                        out.b(&[c]);
                    }
                }
                out.s("\n");
            }
        }
    }
}

/// Applies `rules` to the v1 `devices` group `group` (its directory): "a"
/// to `devices.deny`, which empties the group's list, then each of
/// [`v1_lines`] to `devices.allow` in a `write(2)` of its own (the kernel
/// parses one rule per write and ignores what follows it). Done before any
/// process joins the group.
pub fn v1_apply(group: &[u8], rules: &[Rule]) -> Result<(), Error> {
    use crate::util::file::open_file;
    let mut lines = Buf::new();
    v1_lines(rules, &mut lines);
    // The paths on the stack: nothing allocated outlives a start.
    let mut buf = [0u8; 512];
    let mut file = |name: &[u8]| -> sys::Result<OwnedFd> {
        let n = group.len() + name.len();
        let p = buf.get_mut(..n).ok_or(Errno::NAMETOOLONG)?;
        p[..group.len()].copy_from_slice(group);
        p[group.len()..].copy_from_slice(name);
        open_file(p, rustix::fs::OFlags::WRONLY)
    };
    let r = file(b"/devices.deny")
        .and_then(|fd| sys::write_all(fd.as_fd(), b"a"))
        .and_then(|()| {
            let fd = file(b"/devices.allow")?;
            for line in lines.0.split_inclusive(|&c| c == b'\n') {
                rustix::io::write(fd.as_fd(), line)?;
            }
            Ok(())
        });
    // One message for the three steps: smaller, and as clear.
    r.map_err(|e| Error::sys("write devices list of", group, e))
}

/// The rule that allows `access` to a device of the host whose file type
/// bits are `mode` and whose number is `rdev` (as `--device` found it).
pub fn host_rule(mode: u32, rdev: u64, access: u8) -> Rule {
    let block = mode & linux_raw_sys::general::S_IFMT == linux_raw_sys::general::S_IFBLK;
    Rule {
        kind: if block { b'b' } else { b'c' },
        major: Some(rustix::fs::major(rdev)),
        minor: Some(rustix::fs::minor(rdev)),
        access,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the rules allow, said plainly: some single rule matches the
    /// type, the numbers, and covers every bit asked for.
    fn allowed(rules: &[Rule], kind: u32, major: u32, minor: u32, acc: u32) -> bool {
        rules.iter().any(|r| {
            let k = match r.kind {
                b'a' => true,
                b'b' => kind == 1,
                _ => kind == 2,
            };
            k && acc & !(r.access as u32) == 0
                && r.major.is_none_or(|m| m == major)
                && r.minor.is_none_or(|m| m == minor)
        })
    }

    /// An eBPF interpreter for the instructions [`program`] emits, checking
    /// what the verifier would: 32-bit loads from r1 (the context) only,
    /// inside it and aligned; no register read before it is written, and
    /// r1 never written; forward jumps inside the program; r0 set at exit.
    fn run(p: &[Insn], kind: u32, major: u32, minor: u32, acc: u32) -> u64 {
        let ctx = [(acc << 16) | kind, major, minor];
        let mut reg = [0u64; 11];
        let mut set = [false; 11];
        set[1] = true;
        let mut pc = 0;
        loop {
            let i = p[pc];
            pc += 1;
            let (dst, src) = ((i.regs & 15) as usize, (i.regs >> 4) as usize);
            let imm = i.imm as i64 as u64;
            // ALU64 (class 7) and JMP (class 5): bit 3 says register or immediate.
            let x = match (i.code & 7, i.code & 8) {
                (7, 8) => {
                    assert!(set[src], "r{src} read before it is set");
                    reg[src]
                }
                (5 | 7, _) => {
                    assert_eq!(src, 0, "a source register in a K instruction");
                    imm
                }
                _ => imm,
            };
            if !matches!(i.code, MOV_K | MOV_X | LDX_W | JA | EXIT) {
                assert!(set[dst], "r{dst} read before it is set");
            }
            if i.code & 7 == 5 {
                let taken = match i.code {
                    JA => true,
                    JEQ_K => reg[dst] == imm,
                    JNE_K => reg[dst] != imm,
                    EXIT => {
                        assert!(set[0], "exit with r0 unset");
                        return reg[0];
                    }
                    c => panic!("unexpected opcode {c:#x}"),
                };
                assert!(i.off >= 0, "backward jump at {}", pc - 1);
                if taken {
                    pc += i.off as usize;
                }
                assert!(pc < p.len(), "jump out of the program");
                continue;
            }
            assert_ne!(dst, 1, "r1 overwritten");
            reg[dst] = match i.code {
                LDX_W => {
                    assert_eq!(src, 1, "load from a register other than the context");
                    assert!(
                        i.off % 4 == 0 && (0..12).contains(&i.off),
                        "bad context load"
                    );
                    ctx[i.off as usize / 4] as u64
                }
                MOV_K | MOV_X => x,
                AND_K => reg[dst] & x,
                XOR_K => reg[dst] ^ x,
                OR_X => reg[dst] | x,
                LSH_K => reg[dst] << x,
                RSH_K => reg[dst] >> x,
                c => panic!("unexpected opcode {c:#x}"),
            };
            set[dst] = true;
        }
    }

    /// Whether every instruction can be reached (the verifier refuses
    /// programs with dead code).
    fn all_reachable(p: &[Insn]) -> bool {
        let mut seen = vec![false; p.len()];
        let mut todo = vec![0];
        while let Some(pc) = todo.pop() {
            if pc >= p.len() || seen[pc] {
                continue;
            }
            seen[pc] = true;
            if !matches!(p[pc].code, EXIT | JA) {
                todo.push(pc + 1);
            }
            if matches!(p[pc].code, JA | JEQ_K | JNE_K) {
                todo.push(pc + 1 + p[pc].off as usize);
            }
        }
        seen.iter().all(|&s| s)
    }

    /// Every (type, major, minor, access) of a grid, through the program
    /// and through `allowed`.
    fn check(rules: &[Rule]) {
        let p = program(rules);
        assert!(all_reachable(&p), "dead code for {rules:?}");
        for kind in [1, 2] {
            for major in [0, 1, 4, 5, 7, 8, 10, 136, 137, 254, 4095] {
                for minor in [0, 1, 2, 3, 5, 7, 8, 9, 11, 200, 1 << 19, (1 << 20) - 1] {
                    for acc in 1..8 {
                        let want = allowed(rules, kind, major, minor, acc);
                        let got = run(&p, kind, major, minor, acc);
                        assert_eq!(
                            got, want as u64,
                            "type {kind} {major}:{minor} access {acc} under {rules:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn default_program_matches_the_rules() {
        check(DEFAULT);
        let p = program(DEFAULT);
        assert_eq!(p.len(), 30);
        // Spot checks, in words.
        assert_eq!(run(&p, 2, 1, 3, (R | W) as u32), 1, "null rw");
        assert_eq!(run(&p, 2, 1, 11, R as u32), 0, "kmsg r");
        assert_eq!(run(&p, 2, 1, 11, M as u32), 1, "kmsg mknod");
        assert_eq!(run(&p, 1, 8, 0, R as u32), 0, "sda r");
        assert_eq!(run(&p, 1, 8, 0, M as u32), 1, "sda mknod");
        assert_eq!(run(&p, 2, 136, 7, (R | W) as u32), 1, "pts/7 rw");
        assert_eq!(run(&p, 1, 136, 7, R as u32), 0, "block 136:7 r");
    }

    #[test]
    fn other_rule_sets_match() {
        let rule = |kind, major, minor, access| Rule {
            kind,
            major,
            minor,
            access,
        };
        check(&[]);
        check(&[rule(b'a', None, None, RWM)]);
        check(&[
            rule(b'c', None, None, R),
            rule(b'a', None, None, RWM),
            DEFAULT[2],
        ]);
        check(&[rule(b'a', None, None, R)]);
        check(&[rule(b'b', Some(7), None, R | M)]);
        check(&[rule(b'a', Some(1), Some(3), W)]);
        check(&[
            rule(b'c', None, Some(9), R | W),
            rule(b'c', Some(1), None, M),
        ]);
        // Pseudo-random lists of 1 to 6 rules over the grid's numbers.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let nums = [0, 1, 3, 5, 7, 8, 136];
        for _ in 0..200 {
            let len = 1 + next(6);
            let rules: Vec<Rule> = (0..len)
                .map(|_| {
                    let kind = [b'a', b'b', b'c'][next(3) as usize];
                    let mut num = || match next(3) {
                        0 => None,
                        _ => Some(nums[next(nums.len() as u64) as usize]),
                    };
                    let (major, minor) = (num(), num());
                    rule(kind, major, minor, 1 + next(7) as u8)
                })
                .collect();
            check(&rules);
        }
    }

    #[test]
    fn v1_text() {
        let mut b = Buf::new();
        v1_lines(DEFAULT, &mut b);
        assert_eq!(
            String::from_utf8(b.0).unwrap(),
            "c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\n\
             c 1:9 rwm\nc 5:0 rwm\nc 5:1 rwm\nc 5:2 rwm\nc 136:* rwm\n"
        );
        let mut b = Buf::new();
        let both = Rule {
            kind: b'a',
            major: Some(10),
            minor: None,
            access: R | W,
        };
        v1_lines(&[both], &mut b);
        assert_eq!(b.0, b"c 10:* rw\nb 10:* rw\n");
    }

    #[test]
    fn host_rules() {
        let null = rustix::fs::makedev(1, 3);
        let r = host_rule(linux_raw_sys::general::S_IFCHR | 0o666, null, R);
        let want = Rule {
            kind: b'c',
            major: Some(1),
            minor: Some(3),
            access: R,
        };
        assert_eq!(r, want);
        let sda = rustix::fs::makedev(8, 0);
        let r = host_rule(linux_raw_sys::general::S_IFBLK | 0o660, sda, RWM);
        assert_eq!((r.kind, r.major, r.minor), (b'b', Some(8), Some(0)));
    }
}

/// The kernel enforcing the list, and what it costs: run as root, each in
/// groups of its own that it removes.
#[cfg(test)]
mod kernel {
    use super::*;
    use crate::sys::{Errno, OwnedFd};
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// The mount point of the first hierarchy of `fstype` ("cgroup2", or
    /// "cgroup" with `opt` among its super options).
    fn mount(fstype: &str, opt: &str) -> Option<PathBuf> {
        let mi = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        mi.lines().find_map(|l| {
            let (a, b) = l.split_once(" - ")?;
            let mut b = b.split(' ');
            let ok =
                b.next()? == fstype && (opt.is_empty() || b.nth(1)?.split(',').any(|o| o == opt));
            ok.then(|| PathBuf::from(a.split(' ').nth(4).unwrap()))
        })
    }

    /// Root and a hierarchy, or a loud skip. Without root the test fails
    /// unless HULL_SKIP_ROOT_TESTS is set (as tests/common's need_root);
    /// without the hierarchy it fails under CI when `ci_needs` it.
    fn need(test: &str, fstype: &str, opt: &str, ci_needs: bool) -> Option<PathBuf> {
        let skip = |why: &str| {
            let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
            None
        };
        if !rustix::process::geteuid().is_root() {
            assert!(
                std::env::var_os("HULL_SKIP_ROOT_TESTS").is_some(),
                "{test} needs root; run the tests as root, or set HULL_SKIP_ROOT_TESTS=1"
            );
            return skip("needs root");
        }
        let m = mount(fstype, opt);
        if m.is_none() {
            assert!(
                !ci_needs || std::env::var_os("CI").is_none(),
                "{test}: no {fstype} {opt} hierarchy is mounted"
            );
            return skip("no such cgroup hierarchy is mounted");
        }
        m
    }

    /// A group made for the test, removed on drop.
    struct Group(PathBuf);

    impl Group {
        fn new(parent: &Path, name: &str) -> Group {
            let dir = parent.join(format!("hull-devtest-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir(&dir);
            std::fs::create_dir(&dir).unwrap();
            Group(dir)
        }
        fn child(&self, name: &str) -> Group {
            Group::new(&self.0, name)
        }
        /// An `O_PATH` fd, as hull's own (`Cgroup::fd`) for CLONE_INTO_CGROUP.
        fn fd(&self) -> OwnedFd {
            open_path(&self.0)
        }
    }

    /// An `O_PATH` directory fd.
    fn open_path(dir: &Path) -> OwnedFd {
        let flags = rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY;
        rustix::fs::open(dir.to_str().unwrap(), flags, rustix::fs::Mode::empty()).unwrap()
    }

    impl Drop for Group {
        fn drop(&mut self) {
            for _ in 0..100 {
                match std::fs::remove_dir(&self.0) {
                    Err(e) if e.raw_os_error() == Some(Errno::BUSY.raw_os_error()) => {
                        std::thread::sleep(std::time::Duration::from_millis(10))
                    }
                    _ => return,
                }
            }
        }
    }

    /// The nodes the probe makes: name, type, major, minor.
    const NODES: &str = "null:c:1:3 zero:c:1:5 kmsg:c:1:11 loop0:b:7:0";

    /// A process that joins `group` (writing its pid to cgroup.procs), then,
    /// in a tmpfs of a mount namespace of its own, makes each of [`NODES`]
    /// and opens it read-write. Returns "name:mknod:open" for each, an
    /// errno name where one failed ("kmsg:ok:EPERM"; "-" for an open not
    /// tried).
    fn probe(group: &Path) -> String {
        const PY: &str = r#"
import errno, os, stat, sys
open(sys.argv[1], "w").write(str(os.getpid()))
out = []
for spec in sys.argv[3].split():
    name, kind, major, minor = spec.split(":")
    path = sys.argv[2] + "/" + name
    res = [name]
    try:
        mode = 0o600 | (stat.S_IFCHR if kind == "c" else stat.S_IFBLK)
        os.mknod(path, mode, os.makedev(int(major), int(minor)))
        res.append("ok")
    except OSError as e:
        res.append(errno.errorcode[e.errno] + ":-")
        out.append(":".join(res))
        continue
    try:
        os.close(os.open(path, os.O_RDWR | os.O_NONBLOCK))
        res.append("ok")
    except OSError as e:
        res.append(errno.errorcode[e.errno])
    out.append(":".join(res))
print(" ".join(out))
"#;
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("hull-devtest-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let o = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(r#"mount -t tmpfs hull "$2" && exec python3 -c "$0" "$1" "$2" "$3""#)
            .arg(PY)
            .arg(group.join("cgroup.procs"))
            .arg(&dir)
            .arg(NODES)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir(&dir);
        assert!(
            o.status.success(),
            "probe: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    }

    /// Without a program: every node opens (what the test must tell apart).
    const OPEN: &str = "null:ok:ok zero:ok:ok kmsg:ok:ok loop0:ok:ok";
    /// Under [`DEFAULT`]: every node can be made, only null and zero opened.
    const LISTED: &str = "null:ok:ok zero:ok:ok kmsg:ok:EPERM loop0:ok:EPERM";

    /// Everything, for a group that tries to widen an inherited list.
    const ALL: &[Rule] = &[Rule {
        kind: b'a',
        major: None,
        minor: None,
        access: RWM,
    }];

    #[test]
    fn cgroup2_program_is_enforced() {
        let t = "cgroup2_program_is_enforced";
        let Some(root) = need(t, "cgroup2", "", true) else {
            return;
        };
        let g = Group::new(&root, "enforced");
        assert_eq!(probe(&g.0), OPEN);
        // Attached through an O_PATH fd, as hull holds its group.
        attach(g.fd().as_fd(), DEFAULT, b"test").unwrap();
        assert_eq!(probe(&g.0), LISTED);
        let q = bpf::prog_query(g.fd().as_fd(), bpf::CGROUP_DEVICE, 0);
        assert_eq!(q, Ok((1, bpf::F_ALLOW_MULTI)));
        // No rules: mknod is refused too.
        let none = Group::new(&root, "empty");
        attach(none.fd().as_fd(), &[], b"test").unwrap();
        assert_eq!(
            probe(&none.0),
            "null:EPERM:- zero:EPERM:- kmsg:EPERM:- loop0:EPERM:-"
        );
    }

    #[test]
    fn cgroup2_program_is_inherited_and_cannot_be_widened() {
        let t = "cgroup2_program_is_inherited_and_cannot_be_widened";
        let Some(root) = need(t, "cgroup2", "", true) else {
            return;
        };
        let wide = bpf::prog_load_cgroup_device(&program(ALL), None).unwrap();
        let dev = bpf::CGROUP_DEVICE;
        // MULTI: a group made later inherits the program; its own, wider,
        // program runs as well, and both must allow.
        let p = Group::new(&root, "multi");
        attach(p.fd().as_fd(), DEFAULT, b"test").unwrap();
        let c = p.child("c");
        assert_eq!(probe(&c.0), LISTED);
        let effective = bpf::F_QUERY_EFFECTIVE;
        assert_eq!(
            bpf::prog_query(c.fd().as_fd(), dev, effective).unwrap().0,
            1
        );
        bpf::prog_attach(c.fd().as_fd(), wide.as_fd(), dev, bpf::F_ALLOW_MULTI).unwrap();
        assert_eq!(
            bpf::prog_query(c.fd().as_fd(), dev, effective).unwrap().0,
            2
        );
        assert_eq!(probe(&c.0), LISTED);
        // No flag: inherited as well, and no descendant may attach at all.
        let p = Group::new(&root, "none");
        let prog = bpf::prog_load_cgroup_device(&program(DEFAULT), None).unwrap();
        bpf::prog_attach(p.fd().as_fd(), prog.as_fd(), dev, 0).unwrap();
        let c = p.child("c");
        assert_eq!(probe(&c.0), LISTED);
        let r = bpf::prog_attach(c.fd().as_fd(), wide.as_fd(), dev, 0);
        assert_eq!(r, Err(Errno::PERM));
        // OVERRIDE: a descendant's program replaces the parent's, and so
        // widens it. hull never attaches with it.
        let p = Group::new(&root, "override");
        bpf::prog_attach(p.fd().as_fd(), prog.as_fd(), dev, bpf::F_ALLOW_OVERRIDE).unwrap();
        let c = p.child("c");
        assert_eq!(probe(&c.0), LISTED);
        bpf::prog_attach(c.fd().as_fd(), wide.as_fd(), dev, 0).unwrap();
        assert_eq!(probe(&c.0), OPEN);
        // Detach: the parent's applies again.
        bpf::prog_detach(c.fd().as_fd(), wide.as_fd(), dev).unwrap();
        assert_eq!(probe(&c.0), LISTED);
    }

    /// The verifier takes the program for lists of every shape (sections
    /// empty, ending in allow-all, or both), and walks each instruction
    /// about once: its work, most of the load's cost, stays linear.
    #[test]
    fn verifier_takes_every_shape() {
        let t = "verifier_takes_every_shape";
        if need(t, "cgroup2", "", true).is_none() {
            return;
        }
        let rule = |kind, major, minor, access| Rule {
            kind,
            major,
            minor,
            access,
        };
        let c13 = rule(b'c', Some(1), Some(3), RWM);
        let all_c = rule(b'c', None, None, RWM);
        let all_b = rule(b'b', None, None, RWM);
        let some = [
            rule(b'a', Some(1), None, R),
            rule(b'b', None, Some(0), W | M),
            rule(b'c', Some(1), Some(3), R),
            rule(b'a', None, None, M),
        ];
        for rules in [
            &[][..],
            ALL,
            DEFAULT,
            &[c13],
            &[all_c],
            &[all_b],
            &[all_b, c13],
            &[all_c, all_b],
            &some,
        ] {
            let p = program(rules);
            let mut log = vec![0u8; 1 << 16];
            let r = bpf::prog_load_cgroup_device(&p, Some(&mut log));
            let log = String::from_utf8_lossy(&log);
            let log = log.trim_end_matches('\0');
            assert!(r.is_ok(), "{rules:?}: {r:?}\n{log}");
            let processed: usize = log
                .split("processed ")
                .nth(1)
                .and_then(|l| l.split(' ').next()?.parse().ok())
                .unwrap_or_else(|| panic!("no count in the log: {log}"));
            println!(
                "{} rules, {} insns: processed {processed}",
                rules.len(),
                p.len()
            );
            assert!(
                processed <= p.len() + 2 * rules.len() + 2,
                "{rules:?}: {log}"
            );
        }
    }

    #[test]
    fn v1_devices_controller_is_enforced() {
        // Pure cgroup2 hosts have no v1 devices hierarchy: skipped there,
        // even under CI (nothing of hull's is missing).
        let t = "v1_devices_controller_is_enforced";
        let Some(root) = need(t, "cgroup", "devices", false) else {
            return;
        };
        let g = Group::new(&root, "v1");
        let dir = g.0.to_str().unwrap().as_bytes();
        assert_eq!(probe(&g.0), OPEN);
        v1_apply(dir, DEFAULT).unwrap();
        let list = std::fs::read_to_string(g.0.join("devices.list")).unwrap();
        let mut want = Buf::new();
        v1_lines(DEFAULT, &mut want);
        assert_eq!(list, String::from_utf8(want.0).unwrap());
        assert_eq!(probe(&g.0), LISTED);
        // A group below cannot widen it.
        let c = g.child("c");
        let wider = crate::util::file::write_file(
            c.0.join("devices.allow").to_str().unwrap().as_bytes(),
            b"c 1:11 rwm",
        );
        assert_eq!(wider, Err(Errno::PERM));
        assert_eq!(probe(&c.0), LISTED);
    }

    /// Median and 99th percentile, in microseconds.
    fn stats(mut t: Vec<std::time::Duration>) -> String {
        t.sort();
        let us = |d: std::time::Duration| d.as_nanos() as f64 / 1000.0;
        format!(
            "median {:.1} us, p99 {:.1} us (n={})",
            us(t[t.len() / 2]),
            us(t[t.len() * 99 / 100]),
            t.len()
        )
    }

    fn time(f: impl FnOnce()) -> std::time::Duration {
        let t = std::time::Instant::now();
        f();
        t.elapsed()
    }

    /// The costs, printed: `cargo test --lib devices::kernel::cost --
    /// --ignored --nocapture`.
    #[test]
    #[ignore]
    fn cost() {
        const N: usize = 200;
        let Some(root) = need("cost", "cgroup2", "", true) else {
            return;
        };
        let dev = bpf::CGROUP_DEVICE;
        let [mut mkdir, mut load, mut att, mut both, mut rmdir]: [Vec<_>; 5] = Default::default();
        let dir = root.join(format!("hull-devcost-{}", std::process::id()));
        for _ in 0..N {
            mkdir.push(time(|| std::fs::create_dir(&dir).unwrap()));
            let fd = open_path(&dir);
            let t = std::time::Instant::now();
            let prog = bpf::prog_load_cgroup_device(&program(DEFAULT), None).unwrap();
            let loaded = t.elapsed();
            bpf::prog_attach(fd.as_fd(), prog.as_fd(), dev, bpf::F_ALLOW_MULTI).unwrap();
            let done = t.elapsed();
            load.push(loaded);
            att.push(done - loaded);
            both.push(done);
            drop((prog, fd));
            rmdir.push(time(|| std::fs::remove_dir(&dir).unwrap()));
        }
        println!("cgroup2 mkdir:                 {}", stats(mkdir));
        println!("program() + BPF_PROG_LOAD:     {}", stats(load));
        println!("BPF_PROG_ATTACH:               {}", stats(att));
        println!("load + attach:                 {}", stats(both));
        println!("cgroup2 rmdir (with program):  {}", stats(rmdir));
        // A group under a parent that holds the program: the per-container
        // work is mkdir alone.
        let parent = Group::new(&root, "costparent");
        attach(parent.fd().as_fd(), DEFAULT, b"test").unwrap();
        let dir = parent.0.join("c");
        let mut sub = Vec::new();
        for _ in 0..N {
            sub.push(time(|| std::fs::create_dir(&dir).unwrap()));
            std::fs::remove_dir(&dir).unwrap();
        }
        println!("mkdir under a parent w/ prog:  {}", stats(sub));

        let Some(v1) = need("cost", "cgroup", "devices", false) else {
            return;
        };
        let mut sleeper = Command::new("sleep").arg("1000").spawn().unwrap();
        let pid = sleeper.id().to_string();
        let dir = v1.join(format!("hull-devcost-{}", std::process::id()));
        let bytes = dir.to_str().unwrap().as_bytes().to_vec();
        let [mut mk, mut apply, mut join, mut leave, mut rm]: [Vec<_>; 5] = Default::default();
        for _ in 0..N {
            mk.push(time(|| std::fs::create_dir(&dir).unwrap()));
            apply.push(time(|| v1_apply(&bytes, DEFAULT).unwrap()));
            join.push(time(|| {
                std::fs::write(dir.join("cgroup.procs"), &pid).unwrap()
            }));
            leave.push(time(|| {
                std::fs::write(v1.join("cgroup.procs"), &pid).unwrap()
            }));
            rm.push(time(|| std::fs::remove_dir(&dir).unwrap()));
        }
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        println!("v1 devices mkdir:              {}", stats(mk));
        println!("v1 deny a + 11 allow writes:   {}", stats(apply));
        println!("v1 cgroup.procs (join):        {}", stats(join));
        println!("v1 cgroup.procs (back to /):   {}", stats(leave));
        println!("v1 rmdir:                      {}", stats(rm));
    }
}

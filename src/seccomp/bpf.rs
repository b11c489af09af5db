//! The compiler: a [`Profile`] to a classic BPF program.

use super::{Action, Arg, Cmp, MAX_NR, Profile, Rule, SockFilter, X32_BIT};
use crate::error::{EXIT_RUNTIME, Error};
use crate::util::out::Buf;
use alloc::vec::Vec;
use linux_raw_sys::ptrace as p;

const LD: u16 = (p::BPF_LD | p::BPF_W | p::BPF_ABS) as u16;
const AND: u16 = (p::BPF_ALU | p::BPF_AND | p::BPF_K) as u16;
const JA: u16 = (p::BPF_JMP | p::BPF_JA) as u16;
const JEQ: u16 = (p::BPF_JMP | p::BPF_JEQ | p::BPF_K) as u16;
const JGT: u16 = (p::BPF_JMP | p::BPF_JGT | p::BPF_K) as u16;
const JGE: u16 = (p::BPF_JMP | p::BPF_JGE | p::BPF_K) as u16;
const RET: u16 = (p::BPF_RET | p::BPF_K) as u16;

/// Offsets in `struct seccomp_data`: the number, the architecture, and
/// argument 0 (each argument is 8 bytes, its low half first on x86_64).
const NR: u32 = 0;
const ARCH: u32 = 4;
const ARGS: u32 = 16;

/// Compiles `profile` into the program `seccomp(SECCOMP_SET_MODE_FILTER)`
/// takes. Its verdicts are [`Profile::verdict`]'s (see the module notes
/// for the architecture, x32 and unknown numbers).
///
/// The shape, as libseccomp's optimised tree: the architecture and x32
/// checks, then a binary search on the number over the sorted ranges of
/// numbers that share an action, so any call costs O(log ranges)
/// instructions (about a dozen for docker's profile). A syscall whose
/// verdict depends on no argument is decided by the search alone, without
/// loading an argument, so the kernel's constant-action cache (Linux 5.11+)
/// serves it without running the filter; only the few syscalls with
/// argument rules (clone, personality, socket for docker's) end in a block
/// that loads and compares their 64-bit arguments half by half.
///
/// Fails if a rule names a number above [`MAX_NR`] or an argument above 5,
/// or if the program would exceed the kernel's 4096 instructions.
// Out of line: inlined into its one caller it took more bytes (measured).
#[inline(never)]
pub fn compile(profile: &Profile) -> Result<Vec<SockFilter>, Error> {
    // What each number leads to: a return value, or (with BLOCK) the block
    // deciding it on its arguments. Argument rules make a block; otherwise
    // the first plain rule decides.
    // (With room for the push below: growing would leave a copy behind.)
    let mut leads = Vec::with_capacity(MAX_NR as usize + 2);
    leads.resize(MAX_NR as usize + 1, UNSET);
    for r in &profile.rules {
        let lead = leads.get_mut(r.nr as usize);
        let Some(lead) = lead else {
            return Err(invalid(
                "a rule for syscall number ",
                r.nr,
                " is out of range",
            ));
        };
        if let Some(a) = r.args.iter().find(|a| a.index > 5) {
            return Err(invalid(
                "a rule on argument ",
                a.index as u32,
                " is out of range",
            ));
        }
        if !r.args.is_empty() {
            *lead = BLOCK | r.nr as u64;
        } else if *lead == UNSET {
            *lead = r.action.ret() as u64;
        }
    }
    leads.push(profile.above_max().ret() as u64);

    // The ranges of numbers with one lead, by their lowest number (a block
    // is a range of its own); the last one runs past MAX_NR.
    let mut ranges: Vec<(u32, u64)> = Vec::new();
    for (nr, &lead) in leads.iter().enumerate() {
        let lead = if lead == UNSET {
            profile.default.ret() as u64
        } else {
            lead
        };
        if ranges.last().is_none_or(|&(_, last)| last != lead) {
            ranges.push((nr as u32, lead));
        }
    }

    // Built backwards, from the last instruction to the first, so every
    // jump's target is placed before the jump and its distance is known.
    let mut asm = Asm {
        rev: Vec::new(),
        profile,
    };
    let kill = Action::KillProcess.ret();
    let table = asm.tree(&ranges);
    // Bit 30 set: x32, killed; but -1 is no call (a tracer's skip).
    let k = asm.ret(kill);
    let enosys = asm.ret(profile.above_max().ret());
    let x32 = asm.jump(JEQ, u32::MAX, enosys, k);
    asm.jump(JGE, X32_BIT, x32, table);
    let nr = asm.push(LD, NR);
    let k = asm.ret(kill);
    asm.jump(JEQ, p::AUDIT_ARCH_X86_64, nr, k);
    asm.push(LD, ARCH);

    let n = asm.rev.len();
    if n > p::BPF_MAXINSNS as usize {
        return Err(invalid(
            "the filter takes ",
            n as u32,
            " instructions, over the kernel's 4096",
        ));
    }
    asm.rev.reverse();
    Ok(asm.rev)
}

/// A number's lead before any rule: the default action.
const UNSET: u64 = u64::MAX;
/// A lead with this bit is the block deciding that number on its arguments.
const BLOCK: u64 = 1 << 32;

/// "seccomp: <pre><n><post>".
#[inline(never)]
fn invalid(pre: &str, n: u32, post: &str) -> Error {
    let mut m = Buf::new();
    m.s("seccomp: ").s(pre).u(n as u64).s(post);
    Error::new(EXIT_RUNTIME, &m)
}

/// A place in the program being built, counted from its end.
type Label = usize;

/// The program, last instruction first.
struct Asm<'a> {
    rev: Vec<SockFilter>,
    profile: &'a Profile,
}

impl Asm<'_> {
    /// Adds an instruction in front of the program; returns its label.
    fn put(&mut self, code: u16, jt: u8, jf: u8, k: u32) -> Label {
        self.rev.push(SockFilter { code, jt, jf, k });
        self.rev.len() - 1
    }

    /// Adds an instruction that goes on to the next one.
    fn push(&mut self, code: u16, k: u32) -> Label {
        self.put(code, 0, 0, k)
    }

    /// The jump offset to `t` from an instruction added now.
    fn off(&self, t: Label) -> usize {
        self.rev.len() - t - 1
    }

    /// A `RET v`: the nearest one already placed, or a new one. (One that
    /// turns out out of reach is copied by [`Asm::jump`].)
    fn ret(&mut self, v: u32) -> Label {
        match self.rev.iter().rposition(|i| i.code == RET && i.k == v) {
            Some(l) => l,
            None => self.push(RET, v),
        }
    }

    /// `if A <op> k goto t else goto f`. A conditional jump reaches 255
    /// instructions ahead: a farther target gets a stand-in right after
    /// the jump, a copy of it if it is a RET (one instruction, and no
    /// extra step), else a `JA` to it (32-bit offset).
    fn jump(&mut self, code: u16, k: u32, t: Label, f: Label) -> Label {
        // A stand-in for `f` may still come after `t`'s.
        let t = self.near(t, 1);
        let f = self.near(f, 0);
        let (jt, jf) = (self.off(t), self.off(f));
        debug_assert!(jt <= 255 && jf <= 255, "a jump out of reach");
        self.put(code, jt as u8, jf as u8, k)
    }

    /// `t`, or a stand-in for it placed now if a jump added after `more`
    /// further instructions could not reach it.
    fn near(&mut self, t: Label, more: usize) -> Label {
        if self.off(t) + more <= u8::MAX as usize {
            return t;
        }
        let i = self.rev[t];
        if i.code == RET {
            self.push(RET, i.k)
        } else {
            let k = self.off(t) as u32;
            self.push(JA, k)
        }
    }

    /// The binary search over `ranges` (sorted, each given by its lowest
    /// number): `A >= lowest of the upper half` splits them in two until
    /// one is left, whose target is the leaf.
    fn tree(&mut self, ranges: &[(u32, u64)]) -> Label {
        if let [(_, lead)] = *ranges {
            return match lead & BLOCK {
                0 => self.ret(lead as u32),
                _ => self.block(lead as u32),
            };
        }
        let mid = ranges.len() / 2;
        // The upper half first: it goes after the lower one, which the
        // comparison then falls through to.
        let upper = self.tree(&ranges[mid..]);
        let lower = self.tree(&ranges[..mid]);
        self.jump(JGE, ranges[mid].0, upper, lower)
    }

    /// The block deciding syscall `nr` on its arguments: each of its rules
    /// with conditions in order, then its plain action or the default.
    fn block(&mut self, nr: u32) -> Label {
        let rules: Vec<&Rule> = self.profile.rules.iter().filter(|r| r.nr == nr).collect();
        let plain = rules.iter().find(|r| r.args.is_empty());
        let mut next = self.ret(plain.map_or(self.profile.default, |r| r.action).ret());
        for rule in rules.iter().rev().filter(|r| !r.args.is_empty()) {
            // All conditions hold: the action; one fails: the next rule.
            let mut ok = self.ret(rule.action.ret());
            for arg in rule.args.iter().rev() {
                ok = self.cond(arg, ok, next);
            }
            next = ok;
        }
        next
    }

    /// `LD` of a 32-bit half (`off`), `AND mask` unless the mask keeps
    /// every bit, then `if A <op> k goto t else goto f`.
    fn test(&mut self, off: u32, mask: u32, code: u16, k: u32, t: Label, f: Label) -> Label {
        self.jump(code, k, t, f);
        if mask != u32::MAX {
            self.push(AND, mask);
        }
        self.push(LD, off)
    }

    /// Goes to `t` if `arg` holds, else to `f`. The 64-bit comparison is
    /// made on the high half, then, where that does not decide, on the low
    /// half.
    fn cond(&mut self, arg: &Arg, t: Label, f: Label) -> Label {
        let lo = ARGS + 8 * arg.index as u32;
        let hi = lo + 4;
        let (vlo, vhi) = (arg.value as u32, (arg.value >> 32) as u32);
        let all = u32::MAX;
        match arg.cmp {
            Cmp::Eq => {
                let l = self.test(lo, all, JEQ, vlo, t, f);
                self.test(hi, all, JEQ, vhi, l, f)
            }
            Cmp::Ne => {
                let l = self.test(lo, all, JEQ, vlo, f, t);
                self.test(hi, all, JEQ, vhi, l, t)
            }
            Cmp::MaskedEq(mask) => {
                let (mlo, mhi) = (mask as u32, (mask >> 32) as u32);
                // A half the mask clears entirely is decided without a load.
                let l = match mlo {
                    0 if vlo == 0 => t,
                    0 => return f,
                    _ => self.test(lo, mlo, JEQ, vlo, t, f),
                };
                match mhi {
                    0 if vhi == 0 => l,
                    0 => f,
                    _ => self.test(hi, mhi, JEQ, vhi, l, f),
                }
            }
            // a > v, a >= v: the high half greater decides yes, equal
            // leaves it to the low half, smaller decides no; a <= v and
            // a < v are their negations.
            Cmp::Gt | Cmp::Ge | Cmp::Le | Cmp::Lt => {
                let (code, yes, no) = match arg.cmp {
                    Cmp::Gt => (JGT, t, f),
                    Cmp::Ge => (JGE, t, f),
                    Cmp::Le => (JGT, f, t),
                    _ => (JGE, f, t),
                };
                let l = self.test(lo, all, code, vlo, yes, no);
                if vhi == 0 {
                    // The high half is never below 0: equal or greater.
                    return self.test(hi, all, JEQ, 0, l, yes);
                }
                let eq = self.jump(JEQ, vhi, l, no);
                self.jump(JGT, vhi, yes, eq);
                self.push(LD, hi)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// Where a jump's branch lands once stand-ins (JA) are followed.
    fn land(prog: &[SockFilter], mut pc: usize) -> usize {
        while prog[pc].code == JA {
            pc += 1 + prog[pc].k as usize;
        }
        pc
    }

    #[test]
    fn jumps_reach_targets_at_any_distance() {
        let profile = Profile {
            default: Action::Allow,
            rules: vec![],
        };
        // Targets around 255 away, RETs (copied when far) or LDs (reached
        // through a JA), in every combination.
        for dt in 250..262 {
            for df in [0, 1, 254, 255, 256, 300] {
                for ret_targets in [true, false] {
                    let mut asm = Asm {
                        rev: Vec::new(),
                        profile: &profile,
                    };
                    let code = if ret_targets { RET } else { LD };
                    // The farther target first (it is placed last).
                    let (first, second) = if dt > df { (dt, df) } else { (df, dt) };
                    let a = asm.push(code, 1);
                    while asm.rev.len() < 1 + first - second {
                        asm.push(LD, 60);
                    }
                    let b = asm.push(code, 2);
                    while asm.off(b) < second {
                        asm.push(LD, 60);
                    }
                    let (t, f) = if dt > df { (a, b) } else { (b, a) };
                    // Where `t` and `f` sit now, counted from the end.
                    let j = asm.jump(JEQ, 0, t, f);
                    let n = asm.rev.len();
                    asm.rev.reverse();
                    let prog = &asm.rev;
                    let pc = n - 1 - j;
                    let at = |off: u8| land(prog, pc + 1 + off as usize);
                    let (kt, kf) = if dt > df { (1, 2) } else { (2, 1) };
                    assert_eq!(prog[at(prog[pc].jt)].k, kt, "dt {dt} df {df}");
                    assert_eq!(prog[at(prog[pc].jf)].k, kf, "dt {dt} df {df}");
                    assert_eq!(prog[at(prog[pc].jt)].code, code);
                }
            }
        }
    }
}

//! docker's default profile as a compact table: `default.txt` (docker's
//! names, verbatim) is parsed at compile time into a few hundred 16-bit
//! words, with every name resolved by [`super::syscall_number`], so that neither
//! the text nor a parser is in the binary and no name is looked up at run
//! time. [`default_profile`] reads the words for one set of kept
//! capabilities and one kernel version.
//!
//! The words: the default errno, then per statement a header
//! (bits 0-1 condition: always, cap kept, cap not kept, kernel at least;
//! bits 2-4 argument count; bit 5 errno action, else allow; bit 6 numbers
//! as a bitmap; bits 7-15 the count of numbers in a list), the condition's
//! operand (a capability number, or major << 8 | minor), the errno, each
//! argument (index | op << 3, then the value as two words, low first, and
//! for `masked` the compared value too), then the syscall numbers: a list,
//! or, when that would be longer, a bitmap of every number (bit n % 16 of
//! word n / 16), as for the big allow list (30 words instead of 300).

use super::names::const_syscall_number;
use super::{Action, Arg, Cmp, Profile, Rule};
use alloc::vec::Vec;

/// The table's source.
const SRC: &[u8] = include_bytes!("default.txt");

/// Words the table takes (a first pass of the parser, writing nothing).
const LEN: usize = build(SRC, &mut []);

/// The table (a second pass).
static TABLE: [u16; LEN] = {
    let mut t = [0; LEN];
    build(SRC, &mut t);
    t
};

const COND_CAP: u16 = 1;
const COND_NOCAP: u16 = 2;
const COND_KERNEL: u16 = 3;
const ERRNO: u16 = 1 << 5;
const BITMAP: u16 = 1 << 6;
/// The words of a bitmap of every number up to [`super::MAX_NR`].
const BITMAP_WORDS: usize = super::MAX_NR as usize / 16 + 1;
/// The argument operators, in the order of their codes.
const OPS: [&[u8]; 7] = [b"ne", b"lt", b"le", b"eq", b"ge", b"gt", b"masked"];
const MASKED: u16 = 6;

/// docker's default profile, resolved for the capabilities kept (bit n is
/// capability n) and the running kernel's version: a capability group
/// (`mount` with CAP_SYS_ADMIN, `ptrace` with CAP_SYS_PTRACE...) is in only
/// when its capability is kept, an `excludes` one (clone's namespace-flag
/// rule, clone3's ENOSYS) only when it is not, and the `minKernel` one only
/// from that version. Refused calls get EPERM.
// Out of line: inlined into its one caller it took more bytes (measured).
#[inline(never)]
pub fn default_profile(caps: u64, kernel: (u32, u32)) -> Profile {
    let t = &TABLE[..];
    // Room for a rule per number (there are fewer: 314 by default, 361 with
    // every capability), reserved at once: hull's allocator leaves each
    // block a growing Vec outgrows, and only what is written costs memory.
    let mut rules = Vec::with_capacity(crate::seccomp::MAX_NR as usize + 1);
    let mut i = 1;
    while let Some(&h) = t.get(i) {
        let (cond, nargs) = (h & 3, (h >> 2) & 7);
        let bitmap = h & BITMAP != 0;
        let count = if bitmap {
            BITMAP_WORDS
        } else {
            (h >> 7) as usize
        };
        i += 1;
        let mut on = true;
        if cond != 0 {
            let operand = t[i] as u32;
            i += 1;
            on = match cond {
                COND_KERNEL => kernel >= (operand >> 8, operand & 0xff),
                _ => (caps >> operand & 1 == 1) == (cond == COND_CAP),
            };
        }
        let mut action = Action::Allow;
        if h & ERRNO != 0 {
            action = Action::Errno(t[i]);
            i += 1;
        }
        let value = |at: usize| t[at] as u64 | (t[at + 1] as u64) << 16;
        let mut args = Vec::new();
        for _ in 0..nargs {
            let (index, op) = ((t[i] & 7) as u8, t[i] >> 3);
            let mut v = value(i + 1);
            i += 3;
            let cmp = match op {
                0 => Cmp::Ne,
                1 => Cmp::Lt,
                2 => Cmp::Le,
                3 => Cmp::Eq,
                4 => Cmp::Ge,
                5 => Cmp::Gt,
                _ => {
                    // The mask came first, then the value compared.
                    let mask = v;
                    v = value(i);
                    i += 2;
                    Cmp::MaskedEq(mask)
                }
            };
            args.push(Arg {
                index,
                cmp,
                value: v,
            });
        }
        if on {
            for (w, &word) in t[i..i + count].iter().enumerate() {
                // A bitmap word holds up to 16 numbers, a list word one.
                for bit in 0..16 {
                    let nr = match bitmap {
                        true if word >> bit & 1 != 0 => w as u32 * 16 + bit,
                        false if bit == 0 => word as u32,
                        _ => continue,
                    };
                    rules.push(Rule {
                        nr,
                        action,
                        args: args.clone(),
                    });
                }
            }
        }
        i += count;
    }
    Profile {
        default: Action::Errno(t[0]),
        rules,
    }
}

/// Parses `src` into `out` (as far as it is long) and returns the number
/// of words the whole table takes. A malformed table fails the build, with
/// the panic's message.
const fn build(src: &[u8], out: &mut [u16]) -> usize {
    let mut pos = 0;
    let mut n = 0;
    // `default errno N ;` comes first.
    expect(src, &mut pos, b"default");
    expect(src, &mut pos, b"errno");
    let tok = token(src, &mut pos);
    put(out, &mut n, number(src, tok) as u16);
    expect(src, &mut pos, b";");
    loop {
        let tok = token(src, &mut pos);
        if tok.0 == tok.1 {
            return n;
        }
        let head = n;
        put(out, &mut n, 0);
        let mut h = 0;
        if is(src, tok, b"cap") || is(src, tok, b"nocap") {
            h = if is(src, tok, b"cap") {
                COND_CAP
            } else {
                COND_NOCAP
            };
            let name = token(src, &mut pos);
            put(out, &mut n, capability(src, name));
        } else if is(src, tok, b"kernel") {
            h = COND_KERNEL;
            let v = token(src, &mut pos);
            let mut dot = v.0;
            while dot < v.1 && src[dot] != b'.' {
                dot += 1;
            }
            let major = number(src, (v.0, dot));
            let minor = number(src, (dot + 1, v.1));
            assert!(major < 256 && minor < 256, "kernel version out of range");
            put(out, &mut n, (major << 8 | minor) as u16);
        } else if !is(src, tok, b"always") {
            panic!("a statement starts with always, cap, nocap or kernel");
        }
        let tok = token(src, &mut pos);
        if is(src, tok, b"errno") {
            h |= ERRNO;
            let e = token(src, &mut pos);
            put(out, &mut n, number(src, e) as u16);
        } else if !is(src, tok, b"allow") {
            panic!("the action is allow or errno N");
        }
        let mut nargs = 0;
        let mut tok = token(src, &mut pos);
        while is(src, tok, b"arg") {
            let index = number(src, token(src, &mut pos));
            assert!(index < 6, "argument index out of range");
            let op_tok = token(src, &mut pos);
            let mut op = 0;
            while op < OPS.len() && !is(src, op_tok, OPS[op]) {
                op += 1;
            }
            assert!(op < OPS.len(), "unknown operator");
            put(out, &mut n, index as u16 | (op as u16) << 3);
            put_u32(out, &mut n, number(src, token(src, &mut pos)));
            if op as u16 == MASKED {
                put_u32(out, &mut n, number(src, token(src, &mut pos)));
            }
            nargs += 1;
            tok = token(src, &mut pos);
        }
        assert!(
            nargs < 8 && is(src, tok, b":"),
            "expected ':' before the names"
        );
        // Count the names first: a list or a bitmap, whichever is shorter.
        let names = pos;
        let mut count = 0;
        while next_number(src, &mut pos).is_some() {
            count += 1;
        }
        let base = n;
        if count > BITMAP_WORDS {
            h |= BITMAP;
            while n < base + BITMAP_WORDS {
                put(out, &mut n, 0);
            }
        } else {
            h |= (count as u16) << 7;
        }
        pos = names;
        while let Some(nr) = next_number(src, &mut pos) {
            let at = base + nr as usize / 16;
            if h & BITMAP == 0 {
                put(out, &mut n, nr as u16);
            } else if at < out.len() {
                out[at] |= 1 << (nr % 16);
            }
        }
        if head < out.len() {
            out[head] = h | (nargs as u16) << 2;
        }
    }
}

/// The number of the next name in a statement's list, None at its `;`. A
/// name x86_64 lacks is skipped, as libseccomp does.
const fn next_number(src: &[u8], pos: &mut usize) -> Option<u32> {
    loop {
        let name = token(src, pos);
        assert!(name.0 < name.1, "a statement ends with ';'");
        if is(src, name, b";") {
            return None;
        }
        let (_, bytes) = src.split_at(name.0);
        let (bytes, _) = bytes.split_at(name.1 - name.0);
        if let Some(nr) = const_syscall_number(bytes) {
            return Some(nr);
        }
    }
}

/// Stores `w` at `out[*n]` if there is room, and counts it.
const fn put(out: &mut [u16], n: &mut usize, w: u16) {
    if *n < out.len() {
        out[*n] = w;
    }
    *n += 1;
}

/// A 32-bit value as two words, low first (the table's values all fit).
const fn put_u32(out: &mut [u16], n: &mut usize, v: u64) {
    assert!(v <= u32::MAX as u64, "value out of range");
    put(out, n, v as u16);
    put(out, n, (v >> 16) as u16);
}

/// The next token from `*pos` (whitespace-separated, `#` comments
/// skipped) as (start, end); empty at the end of the source.
const fn token(src: &[u8], pos: &mut usize) -> (usize, usize) {
    let mut i = *pos;
    loop {
        while i < src.len() && src[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < src.len() && src[i] == b'#' {
            while i < src.len() && src[i] != b'\n' {
                i += 1;
            }
        } else {
            break;
        }
    }
    let start = i;
    while i < src.len() && !src[i].is_ascii_whitespace() {
        i += 1;
    }
    *pos = i;
    (start, i)
}

/// Whether the token is `word`.
const fn is(src: &[u8], tok: (usize, usize), word: &[u8]) -> bool {
    if tok.1 - tok.0 != word.len() {
        return false;
    }
    let mut j = 0;
    while j < word.len() {
        if src[tok.0 + j] != word[j] {
            return false;
        }
        j += 1;
    }
    true
}

/// Reads the next token and fails the build unless it is `word`.
const fn expect(src: &[u8], pos: &mut usize, word: &[u8]) {
    let tok = token(src, pos);
    assert!(is(src, tok, word), "unexpected token");
}

/// A decimal number.
const fn number(src: &[u8], tok: (usize, usize)) -> u64 {
    assert!(tok.0 < tok.1, "expected a number");
    let mut v: u64 = 0;
    let mut i = tok.0;
    while i < tok.1 {
        let d = src[i];
        assert!(d.is_ascii_digit(), "expected a number");
        v = v * 10 + (d - b'0') as u64;
        i += 1;
    }
    v
}

/// A capability's number from its name (`CAP_SYS_ADMIN`), by its place in
/// [`crate::spec::CAP_NAMES`].
const fn capability(src: &[u8], tok: (usize, usize)) -> u16 {
    let names = crate::spec::CAP_NAMES.as_bytes();
    assert!(
        tok.1 - tok.0 > 4 && src[tok.0 + 3] == b'_',
        "expected CAP_NAME"
    );
    let tok = (tok.0 + 4, tok.1);
    let (mut i, mut start, mut bit) = (0, 0, 0);
    while i <= names.len() {
        if i == names.len() || names[i] == b' ' {
            let (_, word) = names.split_at(start);
            let (word, _) = word.split_at(i - start);
            if is(src, tok, word) {
                return bit;
            }
            start = i + 1;
            bit += 1;
        }
        i += 1;
    }
    panic!("unknown capability");
}

//! `--debug` lines, on standard error.

use super::out::{Buf, eprint};

/// One `--debug` line on standard error (`b` ends with its newline).
pub fn debug(b: &Buf) {
    note(&b.0, None);
}

/// One `--debug` line of text, and a number after it if one is given. Out
/// of line, one call per line instead of a Buf built at each.
#[inline(never)]
pub fn note(text: &[u8], n: Option<u64>) {
    let mut line = Buf::new();
    line.s("hull: debug: ").b(text);
    if let Some(n) = n {
        line.u(n);
    }
    if !text.ends_with(b"\n") {
        line.s("\n");
    }
    eprint(&line.0);
}

//! `/proc/self/mountinfo`, read by one parser: each line's mount point,
//! filesystem type and superblock options.

use super::text::tok;
use alloc::vec::Vec;

/// One mount, as a line of mountinfo gives it: `id parent dev root
/// mountpoint options [optional...] - fstype source superoptions`.
pub struct Line<'a> {
    /// The mount point, still escaped (see [`unescape`]).
    pub point: &'a [u8],
    pub fstype: &'a [u8],
    /// The superblock's options, comma-separated.
    pub options: &'a [u8],
}

/// Each mount of a mountinfo text, in order; short or garbled lines give
/// empty fields, not a misreading.
pub fn lines(text: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let mut rest = text;
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut f = tok(&mut rest, b'\n');
        let mut point = &b""[..];
        for _ in 0..5 {
            point = tok(&mut f, b' ');
        }
        while !f.is_empty() && tok(&mut f, b' ') != b"-" {}
        let fstype = tok(&mut f, b' ');
        tok(&mut f, b' ');
        Some(Line {
            point,
            fstype,
            options: tok(&mut f, b' '),
        })
    })
}

/// Undoes mountinfo's octal escapes (`\040` for a space, and so on).
pub fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let mut c = s[i];
        if c == b'\\' && i + 3 < s.len() {
            c = s[i + 1..i + 4].iter().fold(0u8, |n, d| {
                n.wrapping_mul(8).wrapping_add(d.wrapping_sub(b'0'))
            });
            i += 3;
        }
        out.push(c);
        i += 1;
    }
    out
}

//! `/proc/self/mountinfo`, read by one parser: each line's mount point,
//! filesystem type and superblock options.

use super::text::tok;
use alloc::vec::Vec;

/// One mount, as a line of mountinfo gives it: `id parent dev root
/// mountpoint options [optional...] - fstype source superoptions`.
pub struct Line<'a> {
    /// The mount's id (as `statx` gives it, `STATX_MNT_ID`), in decimal.
    pub id: &'a [u8],
    /// The mount point, still escaped (see [`unescape`]).
    pub point: &'a [u8],
    /// Whether it is shared (an optional field `shared:N`).
    pub shared: bool,
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
        let id = tok(&mut f, b' ');
        let mut point = &b""[..];
        for _ in 0..4 {
            point = tok(&mut f, b' ');
        }
        // The mount's options, then the optional fields up to "-".
        tok(&mut f, b' ');
        let mut shared = false;
        loop {
            match tok(&mut f, b' ') {
                b"-" | b"" => break,
                o => shared |= o.starts_with(b"shared:"),
            }
        }
        let fstype = tok(&mut f, b' ');
        tok(&mut f, b' ');
        Some(Line {
            id,
            shared,
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_gives_its_id_point_peer_group_and_type() {
        let text = b"29 1 8:1 / / rw,relatime shared:1 master:3 - ext4 /dev/sda1 rw\n\
                     40 29 0:5 / /tmp/a\\040b rw - tmpfs tmpfs rw,size=64k\n\
                     short\n";
        let l: alloc::vec::Vec<_> = super::lines(text).collect();
        assert_eq!(
            (l[0].id, l[0].point, l[0].shared, l[0].fstype, l[0].options),
            (&b"29"[..], &b"/"[..], true, &b"ext4"[..], &b"rw"[..])
        );
        assert_eq!(
            (l[1].id, l[1].shared, l[1].fstype),
            (&b"40"[..], false, &b"tmpfs"[..])
        );
        assert_eq!(super::unescape(l[1].point), b"/tmp/a b");
        assert_eq!(
            (l[2].id, l[2].point, l[2].shared),
            (&b"short"[..], &b""[..], false)
        );
    }
}

//! Text as hull reads it: fields cut at a separator, names looked up in a
//! table held as one string.

/// The index of `name` in `table`: names separated by spaces, with `|`
/// between two spellings of one. One string, not an array of slices: each
/// slice would cost 16 bytes of pointers.
#[inline(never)]
pub fn find(table: &str, name: &[u8]) -> Option<usize> {
    // Cut with tok: smaller than two nested split iterators.
    let mut rest = table.as_bytes();
    let mut i = 0;
    while !rest.is_empty() {
        let mut names = tok(&mut rest, b' ');
        while !names.is_empty() {
            if tok(&mut names, b'|') == name {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// Splits `s` at the first `sep`: returns what comes before, leaves the rest
/// (or nothing) in `s`.
pub fn tok<'a>(s: &mut &'a [u8], sep: u8) -> &'a [u8] {
    let i = s.iter().position(|&c| c == sep).unwrap_or(s.len());
    let t = &s[..i];
    *s = s.get(i + 1..).unwrap_or(&[]);
    t
}

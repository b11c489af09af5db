//! Output without core::fmt: a byte buffer with a few appenders.
//!
//! core::fmt would cost more than the rest of hull put together, so messages
//! are assembled by hand and written with one `write(2)` each.

use alloc::vec::Vec;

/// A message being built. Appenders chain: `Buf::new().s("pid ").u(7)`.
#[derive(Default)]
pub struct Buf(pub Vec<u8>);

impl Buf {
    pub fn new() -> Buf {
        Buf(Vec::new())
    }
    /// Appends a string.
    #[inline(never)]
    pub fn s(&mut self, s: &str) -> &mut Buf {
        self.0.extend_from_slice(s.as_bytes());
        self
    }
    /// Appends raw bytes (a path, an argument).
    #[inline(never)]
    pub fn b(&mut self, b: &[u8]) -> &mut Buf {
        self.0.extend_from_slice(b);
        self
    }
    /// Appends a step and the object it acts on, as messages name them
    /// ("mount /proc"); a step that ends in a directory takes its file
    /// without a space ("symlink /dev/ptmx").
    pub fn step(&mut self, step: &str, obj: &[u8]) -> &mut Buf {
        self.s(step);
        if !obj.is_empty() && !step.ends_with('/') {
            self.s(" ");
        }
        self.b(obj)
    }
    /// Appends an unsigned number in decimal.
    #[inline(never)]
    pub fn u(&mut self, n: u64) -> &mut Buf {
        let mut tmp = [0u8; 20];
        self.0.extend_from_slice(dec(n, &mut tmp));
        self
    }
    /// Appends a signed number in decimal.
    pub fn i(&mut self, n: i64) -> &mut Buf {
        if n < 0 {
            self.0.push(b'-');
        }
        self.u(n.unsigned_abs())
    }
    /// Appends `n / 10^places` with exactly `places` decimals, e.g. `fixed(1234, 3)` is "1.234".
    pub fn fixed(&mut self, n: u64, places: u32) -> &mut Buf {
        let p = 10u64.pow(places);
        self.u(n / p);
        if places > 0 {
            self.0.push(b'.');
            let mut tmp = [0u8; 20];
            let frac = dec(n % p, &mut tmp);
            for _ in frac.len()..places as usize {
                self.0.push(b'0');
            }
            self.0.extend_from_slice(frac);
        }
        self
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Writes `n` in decimal into `tmp` and returns the digits.
pub fn dec(mut n: u64, tmp: &mut [u8; 20]) -> &[u8] {
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &tmp[i..]
}

/// A size in bytes: digits, then optionally k, m or g (any case), above 0.
pub fn size(v: &[u8]) -> Option<u64> {
    let (num, shift) = match v.last()?.to_ascii_lowercase() {
        b'k' => (&v[..v.len() - 1], 10),
        b'm' => (&v[..v.len() - 1], 20),
        b'g' => (&v[..v.len() - 1], 30),
        _ => (v, 0),
    };
    parse_u64(num)?.checked_mul(1 << shift).filter(|&n| n > 0)
}

/// Parses a whole decimal number with no sign; None on anything else or overflow.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(n)
}

/// Writes to standard error, ignoring failure (there is nowhere left to report it).
pub fn eprint(b: &[u8]) {
    let _ = crate::sys::write_all(crate::sys::stderr(), b);
}

/// Writes to standard output, ignoring failure.
pub fn print(b: &[u8]) {
    let _ = crate::sys::write_all(crate::sys::stdout(), b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(Buf::new().u(0).as_bytes(), b"0");
        assert_eq!(Buf::new().u(u64::MAX).as_bytes(), b"18446744073709551615");
        assert_eq!(Buf::new().i(-42).as_bytes(), b"-42");
        assert_eq!(Buf::new().fixed(1234, 3).as_bytes(), b"1.234");
        assert_eq!(Buf::new().fixed(5, 3).as_bytes(), b"0.005");
        assert_eq!(Buf::new().fixed(7, 0).as_bytes(), b"7");
    }

    #[test]
    fn parse() {
        assert_eq!(parse_u64(b"123"), Some(123));
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"-1"), None);
        assert_eq!(parse_u64(b"1x"), None);
        assert_eq!(parse_u64(b"99999999999999999999999"), None);
    }
}

//! JSON in and out, without serde: seccomp profiles and OCI `config.json` in,
//! OCI state and `spec` output out.
//!
//! A small hand-written reader, chosen over serde_json, miniserde and nanoserde
//! by measurement (the commit that added this file has the table): a minimal
//! use costs about 4.3 KB of the binary, half the smallest crate's, and it
//! rejects every malformed input they were tried with, with a byte offset.
//!
//! The reader is a recursive descent bounded at [`MAX_DEPTH`] nested arrays
//! and objects, so hostile nesting cannot overflow the stack. It never panics
//! (no indexing; offsets and code points are bounded by the text) and
//! allocates in proportion to the input: at worst about 64 bytes of heap per
//! byte of text, for arrays nested one in another (`[[[…]]]`: each is a Vec
//! of Rust's minimum capacity, 4 values of 32 bytes).

use crate::util::out::Buf;
use alloc::vec::Vec;

/// How many arrays and objects may be nested: serde_json's default, and far
/// beyond any profile or `config.json` (they nest 5 deep at most).
pub const MAX_DEPTH: usize = 128;

/// A parsed JSON value. Object members keep their order; duplicate keys are kept
/// (get() returns the first).
// The derives cost no bytes unless called (measured: the same binary with
// and without them), and integration tests get Debug too this way.
#[derive(Debug, PartialEq, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Num(Num),
    /// A string, unescaped: valid UTF-8.
    Str(Vec<u8>),
    Arr(Vec<Value>),
    Obj(Vec<(Vec<u8>, Value)>),
}

/// A number, kept exactly when it is an integer.
#[derive(Debug, PartialEq, Clone, Copy)]
pub enum Num {
    /// A non-negative integer (and `-0`).
    U(u64),
    /// A negative integer.
    I(i64),
    /// Anything else: it has a fraction or an exponent, or it does not fit 64
    /// bits. hull reads no such fields, so the value itself is not kept.
    F,
}

impl Value {
    /// The value of the first member named `key`; None unless an object with that key.
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        self.obj()?.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    /// The bytes of a string (UTF-8, unescaped).
    pub fn str(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// A non-negative integer.
    pub fn u64(&self) -> Option<u64> {
        match self {
            Value::Num(Num::U(n)) => Some(*n),
            _ => None,
        }
    }
    /// An integer that fits an i64.
    pub fn i64(&self) -> Option<i64> {
        match self {
            Value::Num(Num::U(n)) => i64::try_from(*n).ok(),
            Value::Num(Num::I(n)) => Some(*n),
            _ => None,
        }
    }
    /// A boolean.
    pub fn bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// The elements of an array.
    pub fn arr(&self) -> Option<&[Value]> {
        match self {
            Value::Arr(a) => Some(a),
            _ => None,
        }
    }
    /// The members of an object, in document order.
    pub fn obj(&self) -> Option<&[(Vec<u8>, Value)]> {
        match self {
            Value::Obj(o) => Some(o),
            _ => None,
        }
    }
    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// Why a text is not JSON: the byte offset where it went wrong and a short reason
/// ("unexpected end of input", "nesting deeper than 128", "invalid UTF-8", ...).
#[derive(Debug, PartialEq, Clone, Copy)]
pub struct ParseError {
    /// Bytes from the start of the text to the offending byte.
    pub offset: usize,
    /// What is wrong there.
    pub what: &'static str,
}

/// Parses a whole document (RFC 8259; whitespace around it allowed, nothing else after it).
///
/// Choices where the RFC leaves them open: numbers of any size are accepted
/// (beyond 64 bits they are [`Num::F`]); duplicate keys are kept; a byte
/// order mark is rejected; strings must be UTF-8 with no lone surrogate.
pub fn parse(text: &[u8]) -> Result<Value, ParseError> {
    let mut p = Parser { t: text, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i < text.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

/// The text and the offset of the next byte.
struct Parser<'a> {
    t: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    /// The next byte, or 0 at the end (a NUL in the text is never valid
    /// where this is read, so the two need no telling apart until `err`).
    fn peek(&self) -> u8 {
        self.t.get(self.i).copied().unwrap_or(0)
    }

    /// Skips whitespace; the next byte.
    fn ws(&mut self) -> u8 {
        while let b' ' | b'\t' | b'\n' | b'\r' = self.peek() {
            self.i += 1;
        }
        self.peek()
    }

    /// An error at the next byte, or "unexpected end of input" past the end.
    #[inline(never)]
    fn err(&self, what: &'static str) -> ParseError {
        ParseError {
            offset: self.i,
            what: if self.i < self.t.len() {
                what
            } else {
                "unexpected end of input"
            },
        }
    }

    /// One value, after optional whitespace, inside `depth` arrays and objects.
    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        let c = self.ws();
        match c {
            b'[' | b'{' => {
                if depth == MAX_DEPTH {
                    return Err(self.err("nesting deeper than 128"));
                }
                self.i += 1;
                // `]` and `}` follow `[` and `{` in ASCII, two places on.
                let close = c + 2;
                let mut items = Vec::new();
                let mut members = Vec::new();
                if self.ws() == close {
                    self.i += 1;
                } else {
                    loop {
                        if c == b'[' {
                            items.push(self.value(depth + 1)?);
                        } else {
                            if self.ws() != b'"' {
                                return Err(self.err("expected a string key"));
                            }
                            let key = self.string()?;
                            if self.ws() != b':' {
                                return Err(self.err("expected ':'"));
                            }
                            self.i += 1;
                            members.push((key, self.value(depth + 1)?));
                        }
                        match self.ws() {
                            b',' => self.i += 1,
                            x if x == close => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(self.err("expected ',' or a closing bracket")),
                        }
                    }
                }
                Ok(if c == b'[' {
                    Value::Arr(items)
                } else {
                    Value::Obj(members)
                })
            }
            b'"' => self.string().map(Value::Str),
            b'-' | b'0'..=b'9' => self.number().map(Value::Num),
            _ => {
                let (word, v): (&[u8], _) = match c {
                    b'n' => (b"null", Value::Null),
                    b't' => (b"true", Value::Bool(true)),
                    _ => (b"false", Value::Bool(false)),
                };
                if !self.t.get(self.i..).unwrap_or_default().starts_with(word) {
                    return Err(self.err("expected a value"));
                }
                self.i += word.len();
                Ok(v)
            }
        }
    }

    /// At least one decimal digit, added to `n` (None once it overflows).
    /// Returns the offset of the first.
    fn digits(&mut self, n: &mut Option<u64>) -> Result<usize, ParseError> {
        let start = self.i;
        while let c @ b'0'..=b'9' = self.peek() {
            *n = n.and_then(|n| n.checked_mul(10)?.checked_add((c - b'0') as u64));
            self.i += 1;
        }
        if self.i == start {
            return Err(self.err("expected a digit"));
        }
        Ok(start)
    }

    /// A number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<Num, ParseError> {
        let neg = self.peek() == b'-';
        if neg {
            self.i += 1;
        }
        let mut n = Some(0);
        let start = self.digits(&mut n)?;
        if self.i - start > 1 && self.t.get(start) == Some(&b'0') {
            return Err(ParseError {
                offset: start,
                what: "leading zero",
            });
        }
        let mut frac = false;
        if self.peek() == b'.' {
            self.i += 1;
            self.digits(&mut None)?;
            frac = true;
        }
        if self.peek() | 0x20 == b'e' {
            self.i += 1;
            if let b'+' | b'-' = self.peek() {
                self.i += 1;
            }
            self.digits(&mut None)?;
            frac = true;
        }
        Ok(match n {
            Some(n) if !frac && (!neg || n == 0) => Num::U(n),
            // -2^63 is the one magnitude whose negation is its own bits.
            Some(n) if !frac && n <= 1 << 63 => Num::I((n as i64).wrapping_neg()),
            _ => Num::F,
        })
    }

    /// A string, from its opening quote: the unescaped bytes.
    fn string(&mut self) -> Result<Vec<u8>, ParseError> {
        let mut s = Vec::new();
        loop {
            self.i += 1;
            let at = self.i;
            let c = self.peek();
            // A character that needs checking: its code point, and the
            // length of its UTF-8 form in the text (0 for a \u escape).
            let (cp, n) = match c {
                b'"' => {
                    self.i += 1;
                    return Ok(s);
                }
                0..=0x1f => return Err(self.err("control character in string")),
                b'\\' => {
                    self.i += 1;
                    let e = self.peek();
                    if e != b'u' {
                        s.push(match e {
                            b'"' | b'\\' | b'/' => e,
                            b'b' => 8,
                            b'f' => 12,
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            _ => return Err(self.err("invalid escape")),
                        });
                        continue;
                    }
                    let mut c = self.hex4()?;
                    if (0xd800..0xdc00).contains(&c)
                        && self.t.get(self.i + 1..self.i + 3) == Some(b"\\u")
                    {
                        // A high surrogate: the pair makes one character.
                        self.i += 2;
                        let lo = self.hex4()?;
                        if (0xdc00..0xe000).contains(&lo) {
                            c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                        }
                    }
                    (c, 0)
                }
                0x80.. => {
                    // A UTF-8 sequence, decoded: 2 to 4 bytes, as the lead
                    // byte says (1 is a stray continuation byte, 5 and more
                    // no lead byte at all).
                    let n = c.leading_ones() as usize;
                    if !(2..=4).contains(&n) {
                        return Err(self.err("invalid UTF-8"));
                    }
                    let mut cp = (c & (0x7f >> n)) as u32;
                    for _ in 1..n {
                        self.i += 1;
                        let d = self.peek();
                        if d & 0xc0 != 0x80 {
                            return Err(self.err("invalid UTF-8"));
                        }
                        cp = cp << 6 | (d & 0x3f) as u32;
                    }
                    (cp, n)
                }
                _ => {
                    s.push(c);
                    continue;
                }
            };
            // char::from_u32 refuses surrogates (an escaped one left without
            // its partner, or one encoded in UTF-8) and code points past
            // U+10FFFF; the length check refuses overlong UTF-8 forms.
            match char::from_u32(cp) {
                Some(ch) if n == 0 || ch.len_utf8() == n => {
                    s.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes())
                }
                _ => {
                    return Err(ParseError {
                        offset: at,
                        what: if n == 0 {
                            "lone surrogate"
                        } else {
                            "invalid UTF-8"
                        },
                    });
                }
            }
        }
    }

    /// The four hex digits after the `u` at the current offset; leaves the
    /// offset on the last digit.
    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut v = 0;
        for _ in 0..4 {
            self.i += 1;
            let Some(d) = (self.peek() as char).to_digit(16) else {
                return Err(self.err("invalid \\u escape"));
            };
            v = v * 16 + d;
        }
        Ok(v)
    }
}

/// Appends `s` as a JSON string literal (quotes, escapes for `"` `\` and control chars; bytes >= 0x80 passed through as they are, since they are UTF-8 already checked or paths).
pub fn write_str(b: &mut Buf, s: &[u8]) {
    b.s("\"");
    for &c in s {
        if c == b'"' || c == b'\\' {
            b.s("\\");
        }
        if c < 0x20 {
            // One form for every control byte: \u00XX.
            b.s("\\u00").u(c as u64 >> 4);
            b.0.push(b"0123456789abcdef"[c as usize & 15]);
        } else {
            b.0.push(c);
        }
    }
    b.s("\"");
}

/// Appends a value as compact JSON (used for round-trip tests and to write rewritten documents).
///
/// [`Num::F`] keeps no value, so it is written as `0.0`: that reads back as
/// `Num::F` (so `parse(write(v)) == v` for every value), but the number
/// itself is lost.
pub fn write(b: &mut Buf, v: &Value) {
    match v {
        Value::Null => b.s("null"),
        Value::Bool(true) => b.s("true"),
        Value::Bool(false) => b.s("false"),
        Value::Num(Num::U(n)) => b.u(*n),
        Value::Num(Num::I(n)) => b.i(*n),
        Value::Num(Num::F) => b.s("0.0"),
        Value::Str(s) => {
            write_str(b, s);
            b
        }
        Value::Arr(a) => {
            b.s("[");
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    b.s(",");
                }
                write(b, x);
            }
            b.s("]")
        }
        Value::Obj(o) => {
            b.s("{");
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    b.s(",");
                }
                write_str(b, k);
                b.s(":");
                write(b, x);
            }
            b.s("}")
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn ok(text: &[u8]) -> Value {
        match parse(text) {
            Ok(v) => v,
            Err(e) => panic!(
                "{:?} rejected at {}: {}",
                String::from_utf8_lossy(text),
                e.offset,
                e.what
            ),
        }
    }

    fn bad(text: &[u8]) -> ParseError {
        match parse(text) {
            Ok(v) => panic!("{:?} accepted as {v:?}", String::from_utf8_lossy(text)),
            Err(e) => e,
        }
    }

    fn out(v: &Value) -> Vec<u8> {
        let mut b = Buf::new();
        write(&mut b, v);
        b.0
    }

    fn s(x: &str) -> Value {
        Value::Str(x.as_bytes().to_vec())
    }

    use super::Num::{F, I, U};
    use super::Value::{Arr, Bool, Null, Obj, Str};

    /// Must-accept documents, in the spirit of JSONTestSuite's y_ cases.
    const Y: &[&[u8]] = &[
        b"null",
        b"true",
        b"false",
        b"0",
        b"-0",
        b"1",
        b"-1",
        b"123",
        b"1.5",
        b"-0.0",
        b"1e5",
        b"1E5",
        b"1e+5",
        b"1e-5",
        b"1.0e10",
        b"0.000001",
        b"18446744073709551615",
        b"18446744073709551616",
        b"-9223372036854775808",
        b"-9223372036854775809",
        b"1e999999",
        b"123456789012345678901234567890",
        b"\"\"",
        b"\"a\"",
        b"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
        b"\"\\u0000\"",
        b"\"\\u00e9\\u00E9\"",
        b"\"\\ud83d\\ude00\"",
        b"\"\\uDBFF\\uDFFF\"",
        b"\"\\uffff\"",
        "\"é€😀\u{10FFFF}\u{FFFF}\u{E000}\u{D7FF}\"".as_bytes(),
        b"\"\x7f\"",
        b"[]",
        b"[ ]",
        b"[1,2,3]",
        b"[[],[[]],{}]",
        b"{}",
        b"{ }",
        b"{\"a\":1}",
        b"{\"a\":1,\"a\":2}",
        b"{\"\":null}",
        b"{\"a\":{\"b\":[true,false,null]}}",
        b" \t\r\n[ \t\r\n1 \t\r\n, \t\r\n2 \t\r\n] \t\r\n",
        b"{ \"a\" : [ ] , \"b\" : { } }",
        b"[\"\\u0061\\u0022\"]",
        b"[1e1,0.1e1,-1e-1]",
        b"[-123.456e-78]",
        b"[0,-0,0.0,0e0]",
        b"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
    ];

    /// Must-reject documents (JSONTestSuite's n_ cases), with the reason given.
    const N: &[(&[u8], &str)] = &[
        (b"", "unexpected end of input"),
        (b" ", "unexpected end of input"),
        (b"[", "unexpected end of input"),
        (b"[1", "unexpected end of input"),
        (b"[1,", "unexpected end of input"),
        (b"{", "unexpected end of input"),
        (b"{\"a\"", "unexpected end of input"),
        (b"{\"a\":", "unexpected end of input"),
        (b"\"abc", "unexpected end of input"),
        (b"\"\\", "unexpected end of input"),
        (b"\"\\u12", "unexpected end of input"),
        (b"nul", "expected a value"),
        (b"tru", "expected a value"),
        (b"fals", "expected a value"),
        (b"NULL", "expected a value"),
        (b"True", "expected a value"),
        (b"nan", "expected a value"),
        (b"Infinity", "expected a value"),
        (b"-Infinity", "expected a digit"),
        (b"[1,]", "expected a value"),
        (b"[,1]", "expected a value"),
        (b"[1,,2]", "expected a value"),
        (b"{\"a\":1,}", "expected a string key"),
        (b"{,}", "expected a string key"),
        (b"{a:1}", "expected a string key"),
        (b"{1:1}", "expected a string key"),
        (b"{'a':1}", "expected a string key"),
        (b"{\"a\" 1}", "expected ':'"),
        (b"{\"a\"::1}", "expected a value"),
        (b"[1 2]", "expected ',' or a closing bracket"),
        (b"[1}", "expected ',' or a closing bracket"),
        (b"{\"a\":1]", "expected ',' or a closing bracket"),
        (b"['a']", "expected a value"),
        (b"01", "leading zero"),
        (b"-01", "leading zero"),
        (b"00", "leading zero"),
        (b"+1", "expected a value"),
        (b".5", "expected a value"),
        (b"1.", "unexpected end of input"),
        (b"1.e5", "expected a digit"),
        (b"1e", "unexpected end of input"),
        (b"1e+", "unexpected end of input"),
        (b"1ee5", "expected a digit"),
        (b"-", "unexpected end of input"),
        (b"- 1", "expected a digit"),
        (b"0x10", "trailing characters"),
        (b"1 2", "trailing characters"),
        (b"[] []", "trailing characters"),
        (b"nullx", "trailing characters"),
        (b"\"a\"\"", "trailing characters"),
        (b"\"\x01\"", "control character in string"),
        (b"\"a\tb\"", "control character in string"),
        (b"\"a\nb\"", "control character in string"),
        (b"\"\x00\"", "control character in string"),
        (b"\"\\x41\"", "invalid escape"),
        (b"\"\\a\"", "invalid escape"),
        (b"\"\\U0041\"", "invalid escape"),
        (b"\"\\u00g0\"", "invalid \\u escape"),
        (b"\"\\u-123\"", "invalid \\u escape"),
        (b"\"\\ud800\"", "lone surrogate"),
        (b"\"\\udc00\"", "lone surrogate"),
        (b"\"\\ud800\\u0041\"", "lone surrogate"),
        (b"\"\\ud800\\ud800\"", "lone surrogate"),
        (b"\"\\udfff\\ud800\"", "lone surrogate"),
        (b"\"\xff\"", "invalid UTF-8"),
        (b"\"\x80\"", "invalid UTF-8"),
        (b"\"\xc3", "unexpected end of input"),
        (b"\"\xc3\"", "invalid UTF-8"),
        (b"\"\xc3x\"", "invalid UTF-8"),
        (b"\"\xc0\xaf\"", "invalid UTF-8"),
        (b"\"\xe0\x80\xaf\"", "invalid UTF-8"),
        (b"\"\xed\xa0\x80\"", "invalid UTF-8"),
        (b"\"\xf4\x90\x80\x80\"", "invalid UTF-8"),
        (b"\"\xf8\x88\x80\x80\x80\"", "invalid UTF-8"),
        (b"\xef\xbb\xbf{}", "expected a value"),
        (b"\xff", "expected a value"),
        (b"[\x00]", "expected a value"),
        (b"\x0c[]", "expected a value"),
        (b"[]\x0b", "trailing characters"),
        (b"/* c */ {}", "expected a value"),
        (b"{\"a\":1}//", "trailing characters"),
    ];

    #[test]
    fn conformance() {
        assert!(Y.len() >= 40 && N.len() >= 40);
        for t in Y {
            let v = ok(t);
            // Every accepted document survives a trip through `write`.
            assert_eq!(ok(&out(&v)), v, "{:?}", String::from_utf8_lossy(t));
        }
        for (t, why) in N {
            let e = bad(t);
            assert_eq!(
                e.what,
                *why,
                "{:?} at {}",
                String::from_utf8_lossy(t),
                e.offset
            );
            assert!(e.offset <= t.len());
        }
    }

    #[test]
    fn values() {
        assert_eq!(ok(b"18446744073709551615"), Value::Num(U(u64::MAX)));
        assert_eq!(ok(b"18446744073709551616"), Value::Num(F));
        assert_eq!(ok(b"-9223372036854775808"), Value::Num(I(i64::MIN)));
        assert_eq!(ok(b"-9223372036854775809"), Value::Num(F));
        assert_eq!(ok(b"-0"), Value::Num(U(0)));
        assert_eq!(ok(b"-7"), Value::Num(I(-7)));
        assert_eq!(ok(b"1.0"), Value::Num(F));
        assert_eq!(ok(b"1e2"), Value::Num(F));
        assert_eq!(ok(b"123456789012345678901234567890"), Value::Num(F));
        assert_eq!(
            ok(br#""a\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00""#),
            s("a\"\\/\x08\x0c\n\r\tAé€😀")
        );
        assert_eq!(ok("\"é😀\"".as_bytes()), s("é😀"));
        assert_eq!(
            ok(b" [1, {\"k\": [null]}] "),
            Arr(vec![
                Value::Num(U(1)),
                Obj(vec![(b"k".to_vec(), Arr(vec![Null]))])
            ])
        );
    }

    #[test]
    fn accessors() {
        let v = ok(br#"{"s":"x","u":7,"i":-7,"big":9223372036854775808,"f":1.5,
            "b":true,"n":null,"a":[1],"o":{"k":1},"d":1,"d":2}"#);
        let g = |k: &[u8]| v.get(k).unwrap();
        assert_eq!(g(b"s").str(), Some(&b"x"[..]));
        assert_eq!(g(b"u").u64(), Some(7));
        assert_eq!(g(b"u").i64(), Some(7));
        assert_eq!(g(b"i").u64(), None);
        assert_eq!(g(b"i").i64(), Some(-7));
        assert_eq!(g(b"big").u64(), Some(1 << 63));
        assert_eq!(g(b"big").i64(), None);
        assert_eq!(g(b"f").u64(), None);
        assert_eq!(g(b"f").i64(), None);
        assert_eq!(g(b"b").bool(), Some(true));
        assert!(g(b"n").is_null());
        assert!(!g(b"b").is_null());
        assert_eq!(g(b"a").arr(), Some(&[Value::Num(U(1))][..]));
        assert_eq!(g(b"o").get(b"k").and_then(Value::u64), Some(1));
        assert_eq!(g(b"o").obj().map(|o| o.len()), Some(1));
        // Duplicates are kept, in order; get() finds the first.
        assert_eq!(g(b"d").u64(), Some(1));
        assert_eq!(v.obj().unwrap().len(), 11);
        assert_eq!(v.get(b"missing"), None);
        // Wrong types give None, never a panic.
        assert_eq!(g(b"s").u64(), None);
        assert_eq!(g(b"u").str(), None);
        assert_eq!(g(b"a").get(b"s"), None);
        assert_eq!(g(b"a").obj(), None);
        assert_eq!(g(b"o").arr(), None);
        assert_eq!(g(b"n").bool(), None);
    }

    #[test]
    fn error_offsets() {
        let e = |t: &[u8]| {
            let e = bad(t);
            (e.offset, e.what)
        };
        assert_eq!(e(b"[1, 2,, 3]"), (6, "expected a value"));
        assert_eq!(e(b"{\"a\":1} x"), (8, "trailing characters"));
        assert_eq!(e(b"[\"ab\\ud800\"]"), (4, "lone surrogate"));
        assert_eq!(e(b"[\"ab\xc3\xa9\xff\"]"), (6, "invalid UTF-8"));
        assert_eq!(e(b"[\"ab\xe2\x82x\"]"), (6, "invalid UTF-8"));
        assert_eq!(e(b"[0123]"), (1, "leading zero"));
        assert_eq!(e(b"[1.]"), (3, "expected a digit"));
        assert_eq!(e(b"{\"a\":[1,2"), (9, "unexpected end of input"));
    }

    #[test]
    fn depth_is_bounded() {
        let nest = |n: usize| {
            let mut t = b"[".repeat(n);
            t.extend(b"]".repeat(n));
            t
        };
        assert!(parse(&nest(MAX_DEPTH)).is_ok());
        assert_eq!(
            bad(&nest(MAX_DEPTH + 1)),
            ParseError {
                offset: MAX_DEPTH,
                what: "nesting deeper than 128"
            }
        );
        // Objects count too, mixed with arrays.
        let mut t = b"{\"a\":[".repeat(64);
        t.extend(b"]}".repeat(64));
        assert!(parse(&t).is_ok());
        let mut t = b"{\"a\":[".repeat(65);
        t.extend(b"]}".repeat(65));
        assert_eq!(bad(&t).what, "nesting deeper than 128");
        // The brief's hostile cases: no stack overflow, an error at once.
        assert_eq!(bad(&b"[".repeat(100_000)).offset, MAX_DEPTH);
        assert_eq!(bad(&nest(100_000)).offset, MAX_DEPTH);
        assert_eq!(bad(&b"{\"\":".repeat(100_000)).offset, 4 * MAX_DEPTH);
    }

    #[test]
    fn huge_inputs() {
        // 1 MiB documents: linear time, and memory in proportion.
        let t0 = Instant::now();
        let mut t = b"[".to_vec();
        t.extend(b"[],".repeat(350_000));
        t.extend(b"1]");
        assert_eq!(ok(&t).arr().map(|a| a.len()), Some(350_001));
        let big = "9".repeat(1 << 20);
        assert_eq!(ok(big.as_bytes()), Value::Num(F));
        let mut t = b"\"".to_vec();
        t.extend("é\\u00e9".repeat(1 << 17).as_bytes());
        t.push(b'"');
        assert_eq!(ok(&t).str().map(|s| s.len()), Some(4 << 17));
        let mut t = b"[".repeat(1 << 20);
        t.truncate(MAX_DEPTH);
        t.extend(b"\"".repeat(1 << 20));
        assert_eq!(bad(&t).what, "expected ',' or a closing bracket");
        assert!(t0.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn writer() {
        let mut b = Buf::new();
        write_str(&mut b, b"a\"b\\c\n\x1f\x7f/\xc3\xa9\xff");
        assert_eq!(b.0, b"\"a\\\"b\\\\c\\u000a\\u001f\x7f/\xc3\xa9\xff\"");
        let v = ok(br#" { "a" : [ 1 , -2 , 3.5 , true , null , "x\ny" ] , "" : { } } "#);
        assert_eq!(
            out(&v),
            br#"{"a":[1,-2,0.0,true,null,"x\u000ay"],"":{}}"#.to_vec()
        );
        assert_eq!(out(&Value::Num(I(i64::MIN))), b"-9223372036854775808");
        assert_eq!(out(&Value::Num(U(u64::MAX))), b"18446744073709551615");
        assert_eq!(out(&Arr(vec![])), b"[]");
    }

    /// xorshift64*: deterministic, so a failure reproduces.
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
        fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
            &xs[self.below(xs.len() as u64) as usize]
        }
    }

    /// A random character, weighted towards the ones that need care.
    fn gen_char(r: &mut Rng) -> char {
        match r.below(8) {
            0 => char::from_u32(r.below(0x20) as u32).unwrap(),
            1 => *r.pick(&['"', '\\', '/', '\u{7f}']),
            2 => *r.pick(&[
                'é',
                '€',
                '😀',
                '\u{10FFFF}',
                '\u{FFFF}',
                '\u{E000}',
                '\u{D7FF}',
                '\u{80}',
            ]),
            3 => loop {
                if let Some(c) = char::from_u32(r.below(0x11_0000) as u32) {
                    break c;
                }
            },
            _ => (b' ' + r.below(95) as u8) as char,
        }
    }

    fn gen_str(r: &mut Rng) -> Vec<u8> {
        let n = r.below(8);
        (0..n).map(|_| gen_char(r)).collect::<String>().into_bytes()
    }

    fn random(r: &mut Rng, depth: usize) -> Value {
        match r.below(if depth >= 6 { 5 } else { 8 }) {
            0 => Null,
            1 => Bool(r.below(2) == 1),
            2 => Value::Num(match r.below(6) {
                0 => U(r.next()),
                1 => U(r.below(1000)),
                2 => I(-1 - r.below(1000) as i64),
                3 => I(i64::MIN | r.next() as i64),
                4 => I(i64::MIN),
                _ => F,
            }),
            3 | 4 => Str(gen_str(r)),
            5 | 6 => Arr((0..r.below(5)).map(|_| random(r, depth + 1)).collect()),
            _ => Obj((0..r.below(5))
                .map(|_| {
                    // A small key pool makes duplicate keys common.
                    let k = if r.below(2) == 0 {
                        r.pick(&["a", "b", ""]).as_bytes().to_vec()
                    } else {
                        gen_str(r)
                    };
                    (k, random(r, depth + 1))
                })
                .collect()),
        }
    }

    /// Writes `v` the long way: random whitespace, escapes where `write`
    /// would not use them (\uXXXX in either case, surrogate pairs, `\/`),
    /// and numbers in every form that reads back as the same `Num`.
    fn fancy(v: &Value, r: &mut Rng, o: &mut Vec<u8>) {
        let ws = |r: &mut Rng, o: &mut Vec<u8>| {
            for _ in 0..r.below(4).saturating_sub(1) {
                o.push(*r.pick(b" \t\r\n"));
            }
        };
        ws(r, o);
        match v {
            Null => o.extend(b"null"),
            Bool(b) => o.extend(if *b { &b"true"[..] } else { b"false" }),
            Value::Num(U(n)) => o.extend(n.to_string().bytes()),
            Value::Num(I(n)) => o.extend(n.to_string().bytes()),
            Value::Num(F) => o.extend(
                r.pick(&[
                    "1.5",
                    "-0.0",
                    "0e0",
                    "1E+2",
                    "2.5e-3",
                    "-1e999999",
                    "123456789012345678901234567890",
                    "18446744073709551616",
                    "-9223372036854775809",
                ])
                .bytes(),
            ),
            Str(s) => fancy_str(s, r, o),
            Arr(a) => {
                o.push(b'[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        o.push(b',');
                    }
                    fancy(x, r, o);
                }
                ws(r, o);
                o.push(b']');
            }
            Obj(m) => {
                o.push(b'{');
                for (i, (k, x)) in m.iter().enumerate() {
                    if i > 0 {
                        o.push(b',');
                    }
                    ws(r, o);
                    fancy_str(k, r, o);
                    ws(r, o);
                    o.push(b':');
                    fancy(x, r, o);
                }
                ws(r, o);
                o.push(b'}');
            }
        }
        ws(r, o);
    }

    fn fancy_str(s: &[u8], r: &mut Rng, o: &mut Vec<u8>) {
        o.push(b'"');
        for c in std::str::from_utf8(s).unwrap().chars() {
            let short = match c {
                '"' => Some('"'),
                '\\' => Some('\\'),
                '/' => Some('/'),
                '\x08' => Some('b'),
                '\x0c' => Some('f'),
                '\n' => Some('n'),
                '\r' => Some('r'),
                '\t' => Some('t'),
                _ => None,
            };
            let must = c < ' ' || c == '"' || c == '\\';
            match (short, must || r.below(4) == 0) {
                (Some(e), true) if r.below(2) == 0 => {
                    o.extend(['\\', e].iter().collect::<String>().bytes())
                }
                (_, true) => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        let hex = format!("\\u{:04x}", u);
                        o.extend(
                            if r.below(2) == 0 {
                                hex.to_uppercase().replace("\\U", "\\u")
                            } else {
                                hex
                            }
                            .bytes(),
                        );
                    }
                }
                _ => o.extend(c.to_string().bytes()),
            }
        }
        o.push(b'"');
    }

    /// Documents built at random read back as they were, written either way.
    #[test]
    fn property_round_trip() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3000 {
            let v = random(&mut r, 0);
            assert_eq!(ok(&out(&v)), v);
            let mut t = Vec::new();
            fancy(&v, &mut r, &mut t);
            assert_eq!(ok(&t), v, "{:?}", String::from_utf8_lossy(&t));
        }
    }

    /// Random damage to valid documents: flipped bits, inserted, deleted and
    /// duplicated bytes, truncation. The reader must answer (never panic or
    /// hang), agree with serde_json on whether the text is JSON, and what it
    /// accepts must survive `write`.
    #[test]
    fn fuzz_mutations() {
        let mut r = Rng(0x2545_f491_4f6c_dd1d);
        let start = Instant::now();
        let (mut n, mut accepted) = (0, 0);
        while n < 300_000 && start.elapsed() < Duration::from_secs(3) {
            n += 1;
            let v = random(&mut r, 0);
            let mut t = Vec::new();
            if r.below(2) == 0 {
                fancy(&v, &mut r, &mut t);
            } else {
                t = out(&v);
            }
            for _ in 0..1 + r.below(3) {
                let len = t.len() as u64;
                let at = r.below(len + 1) as usize;
                let byte = if r.below(2) == 0 {
                    *r.pick(b"[]{}\",:\\/0123456789-+.eEtrufalsn \t\x00\x1f\x7f\x80\xbf\xc0\xc3\xe0\xed\xf0\xf4\xff")
                } else {
                    r.next() as u8
                };
                match r.below(6) {
                    0 if at < t.len() => t[at] ^= 1 << r.below(8),
                    1 => t.insert(at, byte),
                    2 if at < t.len() => drop(t.remove(at)),
                    3 => t.truncate(at),
                    4 => {
                        let end = (at + r.below(8) as usize).min(t.len());
                        let piece = t[at..end].to_vec();
                        t.splice(at..at, piece);
                    }
                    _ if at < t.len() => t[at] = byte,
                    _ => {}
                }
            }
            let ours = parse(&t);
            let theirs = serde_json::from_slice::<serde_json::Value>(&t);
            let text = String::from_utf8_lossy(&t);
            match (&ours, &theirs) {
                (Ok(v), _) => {
                    accepted += 1;
                    // serde_json refuses numbers beyond f64; hull keeps them as F.
                    let big = theirs.as_ref().err().map(|e| e.to_string());
                    assert!(
                        theirs.is_ok()
                            || big
                                .as_deref()
                                .is_some_and(|m| m.starts_with("number out of range")),
                        "accepted {text:?}; serde_json: {big:?}"
                    );
                    assert_eq!(&ok(&out(v)), v);
                }
                (Err(e), Ok(_)) => panic!("rejected {text:?} at {}: {}", e.offset, e.what),
                (Err(e), Err(_)) => assert!(e.offset <= t.len()),
            }
        }
        eprintln!(
            "fuzz: {n} cases, {accepted} accepted, {:?}",
            start.elapsed()
        );
        // Enough cases ran, and the mutations are neither all fatal nor all harmless.
        assert!(n >= 5000, "only {n} cases in the time allowed");
        assert!(
            accepted > n / 10 && accepted < n * 9 / 10,
            "{accepted} of {n} accepted"
        );
    }
}

//! Profiles in docker's JSON format (`--security-opt seccomp=FILE`), which
//! OCI's `linux.seccomp` shares: `defaultAction`, `defaultErrnoRet`, and
//! `syscalls` entries of `names` (or docker's older `name`), `action`,
//! `errnoRet`, `args` and docker's `includes`/`excludes`.
//!
//! The profile is resolved as docker and runc resolve it:
//! - an entry applies when every `includes` condition holds (all its
//!   `caps` kept, `amd64` among its `arches`, the kernel at least its
//!   `minKernel`) and no `excludes` one does (any of its `caps` kept,
//!   `amd64` among its `arches`, the kernel at least its `minKernel`);
//! - a name x86_64 lacks is skipped, as libseccomp does;
//! - an entry whose action is the default one is skipped (runc: it is
//!   redundant, and libseccomp would refuse it);
//! - `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE` without a return value mean
//!   EPERM (1), `SCMP_ACT_KILL` is `SCMP_ACT_KILL_THREAD`;
//! - an entry's `args` must all hold, except that when two of them test
//!   the same argument, each becomes a rule of its own (runc's old
//!   behaviour, which profiles rely on: a syscall allowed for any of
//!   several values of one argument);
//! - `architectures`, `archMap`, `flags`, `comment` and unknown fields are
//!   ignored (hull is x86_64 only).
//!
//! A field of the wrong type, an unknown action (`SCMP_ACT_NOTIFY`
//! included: hull has no listener for it) or operator, an argument index
//! above 5 or a malformed `minKernel` is an error naming it, in any entry,
//! applied or not.

use super::{Action, Arg, Cmp, Profile, Rule, syscall_number};
use crate::error::{EXIT_RUNTIME, Error};
use crate::util::json::Value;
use crate::util::out::Buf;
use alloc::vec;
use alloc::vec::Vec;

/// The actions after `SCMP_ACT_`, and the operators after `SCMP_CMP_`, in
/// the order [`action`] and [`args`] decode them.
const ACTIONS: &str = "ALLOW ERRNO KILL KILL_THREAD KILL_PROCESS TRAP TRACE LOG";
const OPS: &str = "NE LT LE EQ GE GT MASKED_EQ";

/// Reads a parsed profile for the capabilities kept (bit n is capability
/// n) and the running kernel's version.
// Out of line: inlined into its one caller it took more bytes (measured).
#[inline(never)]
pub fn from_json(v: &Value, caps: u64, kernel: (u32, u32)) -> Result<Profile, Error> {
    if v.obj().is_none() {
        return Err(bad("the profile", b"", " is not an object"));
    }
    let default = action(v, b"defaultAction", b"defaultErrnoRet")?;
    let mut rules = Vec::new();
    for call in list(v, b"syscalls")? {
        let act = action(call, b"action", b"errnoRet")?;
        let args = args(call)?;
        let mut names = strings(call, b"names")?;
        names.extend(text(call, b"name")?);
        // Both read, so that a bad `excludes` is an error even where
        // the `includes` do not hold.
        let included = conditions(call, b"includes", caps, kernel, true)?;
        let excluded = conditions(call, b"excludes", caps, kernel, false)?;
        let applies = included && !excluded;
        if !applies || act == default {
            continue;
        }
        // Two conditions on one argument: each is a rule of its own.
        let split = (0..args.len()).any(|i| args[..i].iter().any(|a| a.index == args[i].index));
        for nr in names.into_iter().filter_map(syscall_number) {
            let rule = |args| Rule {
                nr,
                action: act,
                args,
            };
            match split {
                true => rules.extend(args.iter().map(|&a| rule(vec![a]))),
                false => rules.push(rule(args.clone())),
            }
        }
    }
    Ok(Profile { default, rules })
}

/// "seccomp profile: <what><detail><why>".
#[inline(never)]
fn bad(what: &str, detail: &[u8], why: &str) -> Error {
    let mut m = Buf::new();
    m.s("seccomp profile: ").s(what).b(detail).s(why);
    Error::new(EXIT_RUNTIME, &m)
}

/// "seccomp profile: <key> has the wrong type".
fn wrong(key: &[u8]) -> Error {
    bad("", key, " has the wrong type")
}

/// Field `key` of `v`, unless absent or null.
fn get<'a>(v: &'a Value, key: &[u8]) -> Option<&'a Value> {
    v.get(key).filter(|f| !f.is_null())
}

/// A string field, if there is one.
fn text<'a>(v: &'a Value, key: &[u8]) -> Result<Option<&'a [u8]>, Error> {
    get(v, key)
        .map(|f| f.str().ok_or_else(|| wrong(key)))
        .transpose()
}

/// A non-negative integer field, if there is one.
fn num(v: &Value, key: &[u8]) -> Result<Option<u64>, Error> {
    get(v, key)
        .map(|f| f.u64().ok_or_else(|| wrong(key)))
        .transpose()
}

/// An array field; empty if there is none.
fn list<'a>(v: &'a Value, key: &[u8]) -> Result<&'a [Value], Error> {
    get(v, key).map_or(Ok(&[]), |f| f.arr().ok_or_else(|| wrong(key)))
}

/// An array of strings; empty if there is none.
fn strings<'a>(v: &'a Value, key: &[u8]) -> Result<Vec<&'a [u8]>, Error> {
    let l = list(v, key)?.iter().map(Value::str);
    l.collect::<Option<_>>()
        .ok_or_else(|| bad("", key, " must be strings"))
}

/// The place of `name` among the space-separated words of `table`.
fn word(table: &str, name: &[u8]) -> Option<usize> {
    table
        .as_bytes()
        .split(|&b| b == b' ')
        .position(|w| w == name)
}

/// The action in field `key` (required), with field `ret` its return value
/// (EPERM without one).
fn action(v: &Value, key: &[u8], ret: &[u8]) -> Result<Action, Error> {
    let name = text(v, key)?.ok_or_else(|| bad("no ", key, ""))?;
    let data = num(v, ret)?.unwrap_or(1);
    let data = u16::try_from(data).map_err(|_| bad("", ret, " is out of range"))?;
    let i = name
        .strip_prefix(b"SCMP_ACT_")
        .and_then(|n| word(ACTIONS, n));
    Ok(match i.ok_or_else(|| bad("unknown action '", name, "'"))? {
        0 => Action::Allow,
        1 => Action::Errno(data),
        2 | 3 => Action::KillThread,
        4 => Action::KillProcess,
        5 => Action::Trap,
        6 => Action::Trace(data),
        _ => Action::Log,
    })
}

/// The entry's argument conditions.
fn args(call: &Value) -> Result<Vec<Arg>, Error> {
    let mut out = Vec::new();
    for a in list(call, b"args")? {
        let index = num(a, b"index")?.unwrap_or(0);
        if index > 5 {
            return Err(bad("args: index", b"", " is above 5"));
        }
        let value = num(a, b"value")?.unwrap_or(0);
        let op = text(a, b"op")?.ok_or_else(|| bad("args: no op", b"", ""))?;
        let i = op.strip_prefix(b"SCMP_CMP_").and_then(|n| word(OPS, n));
        let cmp = match i.ok_or_else(|| bad("unknown operator '", op, "'"))? {
            0 => Cmp::Ne,
            1 => Cmp::Lt,
            2 => Cmp::Le,
            3 => Cmp::Eq,
            4 => Cmp::Ge,
            5 => Cmp::Gt,
            // `value` is the mask, `valueTwo` what the masked argument must be.
            _ => Cmp::MaskedEq(value),
        };
        let value = match cmp {
            Cmp::MaskedEq(_) => num(a, b"valueTwo")?.unwrap_or(0),
            _ => value,
        };
        out.push(Arg {
            index: index as u8,
            cmp,
            value,
        });
    }
    Ok(out)
}

/// Whether the entry's `includes` (`all`: every condition must hold; true
/// without any) or `excludes` (any condition; false without any) hold.
#[inline(never)]
fn conditions(
    call: &Value,
    key: &[u8],
    caps: u64,
    kernel: (u32, u32),
    all: bool,
) -> Result<bool, Error> {
    let Some(c) = get(call, key) else {
        return Ok(all);
    };
    // Each condition found: all of them, or any, must hold.
    let mut holds = all;
    let mut note = |h: bool| holds = if all { holds && h } else { holds || h };
    for name in strings(c, b"caps")? {
        // An unknown name is a capability not kept, as in docker.
        let bit = name
            .strip_prefix(b"CAP_")
            .and_then(|n| word(crate::spec::CAP_NAMES, n));
        note(bit.is_some_and(|bit| caps >> bit & 1 == 1));
    }
    let arches = strings(c, b"arches")?;
    if !arches.is_empty() {
        note(arches.contains(&&b"amd64"[..]));
    }
    if let Some(v) = text(c, b"minKernel")? {
        let version = parse_version(v).ok_or_else(|| bad("minKernel '", v, "'"))?;
        note(kernel >= version);
    }
    Ok(holds)
}

/// "MAJOR.MINOR" (docker's minKernel).
fn parse_version(v: &[u8]) -> Option<(u32, u32)> {
    let dot = v.iter().position(|&b| b == b'.')?;
    let num = |s: &[u8]| crate::util::out::parse_u64(s).and_then(|n| u32::try_from(n).ok());
    Some((num(&v[..dot])?, num(&v[dot + 1..])?))
}

#[cfg(test)]
mod tests;

//! C strings and paths, built before the clone, under hull's one leak
//! policy (see [`super`]).

use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::CStr;

/// `dir/name`. Leaked, as the other paths the parent builds here: they
/// live until hull exits, and no drop code is spent on them on any path
/// (480 bytes of it with [`Ops::point`]'s and the masks').
pub fn join(dir: &[u8], name: &str) -> &'static [u8] {
    [dir, b"/", name.as_bytes()].concat().leak()
}

/// [`cstring`] of a copy: one copy for every caller. Out of line: smaller than a copy at each call site.
#[inline(never)]
pub fn cstr(b: &[u8]) -> CString {
    cstring(b.to_vec())
}

/// [`cstr`], leaked: for a path only passed to a syscall, with no drop
/// code to spend on it.
pub fn cpath(b: &[u8]) -> &'static CStr {
    alloc::boxed::Box::leak(cstr(b).into_boxed_c_str())
}

/// [`cstr`] of each: one collect for the arguments and the environment.
pub fn cstrs(v: &[Vec<u8>]) -> Vec<CString> {
    v.iter().map(|a| cstr(a)).collect()
}

/// A C string from bytes already checked to hold no NUL (the command line
/// cannot carry one; the spec validates what else could).
pub fn cstring(mut v: Vec<u8>) -> CString {
    v.retain(|&c| c != 0);
    v.push(0);
    // Cannot fail: the NULs were just removed.
    match CString::from_vec_with_nul(v) {
        Ok(c) => c,
        Err(e) => {
            // Not dropped, as the paths: no drop code.
            core::mem::forget(e);
            CString::default()
        }
    }
}

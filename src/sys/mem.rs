//! Memory: the allocator's mappings, and the trace page `hull bench`
//! shares with the children it clones.

use super::{Result, monotonic_ns};
use core::sync::atomic::{AtomicU64, Ordering};

/// `mmap(2)` of `len` private anonymous bytes, read-write. For the allocator.
pub fn map_anonymous(len: usize) -> Result<*mut u8> {
    use rustix::mm::{MapFlags, ProtFlags};
    // SAFETY: a fresh anonymous mapping aliases no existing memory.
    let p = unsafe {
        rustix::mm::mmap_anonymous(
            core::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        )?
    };
    Ok(p.cast())
}

/// Timestamp slots shared between hull and the children it clones: one
/// page mapped `MAP_SHARED | MAP_ANONYMOUS` before the clone, so a stamp the
/// child stores is seen by the parent, and storing one allocates nothing.
/// `hull bench` uses it to split each start into phases.
#[derive(Clone, Copy)]
pub struct Trace(&'static [AtomicU64]);

impl Trace {
    /// Maps the page (512 slots, all zero). It is never unmapped.
    pub fn new() -> Result<Trace> {
        use rustix::mm::{MapFlags, ProtFlags};
        const PAGE: usize = 4096;
        // SAFETY: a fresh anonymous mapping aliases no existing memory. It is
        // page-aligned, zero-filled (zero is a valid AtomicU64, which has the
        // size and alignment of u64) and never unmapped, so a 'static slice of
        // PAGE / 8 atomics over it stays valid. Parent and child only touch it
        // through atomics, which is sound for memory shared between processes.
        let slots = unsafe {
            let p = rustix::mm::mmap_anonymous(
                core::ptr::null_mut(),
                PAGE,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
            )?;
            core::slice::from_raw_parts(p as *const AtomicU64, PAGE / 8)
        };
        Ok(Trace(slots))
    }

    /// Stores the monotonic time in slot `i` (nothing if out of range).
    pub fn stamp(&self, i: usize) {
        if let Some(s) = self.0.get(i) {
            s.store(monotonic_ns(), Ordering::Relaxed);
        }
    }

    /// The value of slot `i` (0 if out of range or never stamped).
    pub fn get(&self, i: usize) -> u64 {
        self.0.get(i).map_or(0, |s| s.load(Ordering::Relaxed))
    }
}

/// Stamps slot `i` of `trace` when there is one: the hook `hull run` pays a
/// never-taken branch for.
#[inline(always)]
pub fn stamp(trace: Option<Trace>, i: usize) {
    if let Some(t) = trace {
        t.stamp(i)
    }
}

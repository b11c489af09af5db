//! The `hull` executable: the C runtime we do not link, in about a hundred lines.
//!
//! There is no libc. This file provides what a libc would: the `_start` entry
//! point, the `mem*` functions the compiler emits calls to, a global allocator
//! and a panic handler. Everything else lives in the library (`hull::main`).
//! Besides `src/sys/`, this is the only place with `unsafe`: each block has a
//! SAFETY note.

#![no_std]
#![no_main]

#[cfg(not(target_arch = "x86_64"))]
compile_error!("hull's entry point and mem* functions are written for x86_64");

extern crate alloc;

use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ffi::{CStr, c_char};

/// The process entry point. The kernel leaves `argc`, `argv[]`, `envp[]` on the
/// stack; pass its address to Rust with the stack aligned as the ABI expects.
///
/// # Safety
/// Only the kernel calls this, once, with the initial process stack.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    core::arch::naked_asm!(
        "xor ebp, ebp",
        "mov rdi, rsp",
        "and rsp, -16",
        "call {entry}",
        "ud2",
        entry = sym entry,
    )
}

/// Collects argv and envp as `&CStr` and runs the library's main.
unsafe extern "C" fn entry(sp: *const usize) -> ! {
    // SAFETY: the kernel's initial stack layout (System V ABI, "process
    // initialization"): argc, then argc pointers and a NULL, then the
    // environment pointers and a NULL. The strings live for the whole process.
    let (args, env) = unsafe {
        let argc = *sp;
        let argv = sp.add(1) as *const *const c_char;
        (strings(argv), strings(argv.add(argc + 1)))
    };
    // Where the kernel shows /proc/PID/cmdline from: hull's init overwrites
    // it (see `sys::set_cmdline`).
    if let (Some(first), Some(last)) = (args.first(), args.last()) {
        let start = first.as_ptr() as usize;
        let end = last.as_ptr() as usize + last.to_bytes().len() + 1;
        hull::sys::note_cmdline(start, end);
    }
    let code = hull::main(&args, &env);
    hull::sys::exit(code)
}

/// The C strings of a NULL-terminated array (argv and envp both end so).
/// One loop for both, out of line.
///
/// # Safety
/// `p` points to a NULL-terminated array of pointers to NUL-terminated
/// strings that live for the whole process.
#[inline(never)]
unsafe fn strings(mut p: *const *const c_char) -> Vec<&'static CStr> {
    let mut v = Vec::new();
    // SAFETY: per the function's contract, every element up to the NULL is
    // readable and points to a live NUL-terminated string.
    unsafe {
        while !(*p).is_null() {
            v.push(CStr::from_ptr(*p));
            p = p.add(1);
        }
    }
    v
}

/// Allocation failed: says so and exits 125.
#[cold]
fn out_of_memory() -> ! {
    hull::util::out::eprint(b"hull: out of memory\n");
    hull::sys::exit(125)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // Never a Rust panic message: one line, the runtime-failure status.
    // (The message itself is dropped so core::fmt stays out of the binary.)
    hull::util::out::eprint(b"hull: internal error (this is a bug in hull)\n");
    hull::sys::exit(125)
}

/// The prebuilt `alloc` and `core` carry unwinding tables and landing pads
/// even though hull aborts on panic; these satisfy the linker. Neither is
/// ever reached.
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}

#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_Resume() -> ! {
    hull::sys::exit(125)
}

/// A bump allocator over anonymous mappings.
///
/// hull is a short-lived, single-threaded process that allocates a few kilobytes
/// while it prepares the plan, so freeing is reduced to "give back the most recent
/// block" (which makes a growing Vec cheap) and nothing else is ever reused.
/// The child after clone never allocates.
struct Bump {
    state: UnsafeCell<(usize, usize)>, // (next free byte, end of the current chunk)
}

// SAFETY: hull never starts a second thread, so the cell is never shared
// between threads.
unsafe impl Sync for Bump {}

const CHUNK: usize = 64 * 1024;

/// The first chunk, in .bss: hull's allocations usually fit in it, so the
/// common path makes no mmap at all (the kernel maps .bss at exec anyway,
/// and only the pages touched cost anything).
#[repr(align(16))]
struct Arena(UnsafeCell<[u8; CHUNK]>);

// SAFETY: only the allocator touches it, through `ALLOC`'s state (see
// `impl Sync for Bump`).
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena(UnsafeCell::new([0; CHUNK]));

#[global_allocator]
static ALLOC: Bump = Bump {
    state: UnsafeCell::new((0, 0)),
};

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Debug builds (those the tests run): the child must never allocate.
        #[cfg(debug_assertions)]
        if hull::sys::IN_CHILD.load(core::sync::atomic::Ordering::Relaxed) {
            hull::util::out::eprint(b"hull: the child allocated memory (a bug in hull)\n");
            hull::sys::exit(125)
        }
        // SAFETY: single-threaded (see `impl Sync`), and no reference into the
        // cell outlives this call.
        let st = unsafe { &mut *self.state.get() };
        let align = layout.align();
        let size = layout.size();
        let mut start = (st.0 + align - 1) & !(align - 1);
        if st.0 == 0 || start + size > st.1 {
            // Large requests get a mapping of their own (page-aligned);
            // small ones start a new chunk, the first one being the arena.
            let large = size > CHUNK / 2 || align > 16;
            let p = if st.0 == 0 && !large {
                ARENA.0.get().cast::<u8>()
            } else {
                match hull::sys::map_anonymous(if large { size } else { CHUNK }) {
                    Ok(p) => p,
                    // No more memory (a ulimit -v, a memory cgroup): one
                    // line and hull's failure status, not a panic's "bug"
                    // message. (The child never allocates, so this is
                    // always hull's own process, before or after the clone.)
                    Err(_) => out_of_memory(),
                }
            };
            if large {
                return p;
            }
            // Chunks are 16-aligned, which is all a small block needs.
            start = p as usize;
            st.1 = start + CHUNK;
        }
        st.0 = start + size;
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as in `alloc`.
        let st = unsafe { &mut *self.state.get() };
        if ptr as usize + layout.size() == st.0 {
            st.0 = ptr as usize;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as in `alloc`.
        let st = unsafe { &mut *self.state.get() };
        // The most recent block grows in place.
        if ptr as usize + layout.size() == st.0 && ptr as usize + new_size <= st.1 {
            st.0 = ptr as usize + new_size;
            return ptr;
        }
        // SAFETY: the caller's contract for realloc: `ptr` came from this
        // allocator with `layout`; the new block does not overlap the old one.
        unsafe {
            let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
            if !new.is_null() {
                memcpy(new, ptr, layout.size().min(new_size));
            }
            new
        }
    }
}

// The compiler lowers copies, fills and comparisons to these symbols, which a
// libc would provide. They are written with x86 string instructions: a plain
// Rust loop here could be recognised as a memcpy idiom and call itself.

/// # Safety
/// The C contract: `n` bytes readable at `src`, writable at `dst`, no overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: per the function's contract.
    unsafe {
        core::arch::asm!("rep movsb", inout("rcx") n => _, inout("rdi") dst => _,
            inout("rsi") src => _, options(nostack, preserves_flags));
    }
    dst
}

/// # Safety
/// The C contract: `n` bytes readable at `src` and writable at `dst`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: per the function's contract. Copy backwards (with the direction
    // flag, restored after) when the destination overlaps the source's tail.
    unsafe {
        if (dst as usize).wrapping_sub(src as usize) >= n {
            core::arch::asm!("rep movsb", inout("rcx") n => _, inout("rdi") dst => _,
                inout("rsi") src => _, options(nostack, preserves_flags));
        } else {
            core::arch::asm!("std", "rep movsb", "cld", inout("rcx") n => _,
                inout("rdi") dst.add(n).wrapping_sub(1) => _,
                inout("rsi") src.add(n).wrapping_sub(1) => _, options(nostack));
        }
    }
    dst
}

/// # Safety
/// The C contract: `n` bytes writable at `dst`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: per the function's contract.
    unsafe {
        core::arch::asm!("rep stosb", inout("rcx") n => _, inout("rdi") dst => _,
            in("al") c as u8, options(nostack, preserves_flags));
    }
    dst
}

/// # Safety
/// The C contract: `n` bytes readable at `a` and at `b`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n, per the function's contract. Volatile reads keep the
        // loop from being turned back into a call to memcmp.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

/// # Safety
/// As `memcmp`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// The C contract: `s` points to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: per the function's contract, every byte up to the NUL is readable.
    while unsafe { s.add(n).read_volatile() } != 0 {
        n += 1;
    }
    n
}

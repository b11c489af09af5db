//! The `launcher-floor` peer of `cargo bench`: the least a launcher can do.
//!
//! Like hull it is a static binary with no libc, exec'd by the harness,
//! that starts the command and waits for it; unlike hull it makes no
//! namespace and takes no setup step: vfork, execve, wait4, and exit with
//! the command's status. `hull run /bin/true` over `launcher /bin/true` is
//! then what hull's namespaces and steps cost, with the exec of a launcher
//! on both sides (the plain floor row forks `/bin/true` itself).
//!
//! startup.rs builds it with rustc (no Cargo target: it would need its own
//! link arguments), as `target/bench/launcher`.

#![no_std]
#![no_main]

use core::arch::{asm, global_asm};

// The kernel enters with the stack pointer on argc; `launch` gets it.
global_asm!(
    ".globl _start",
    "_start:",
    "mov rdi, rsp",
    "and rsp, -16",
    "call launch",
    "ud2",
);

/// vfork, execve of argv[1] with the rest of the arguments and our
/// environment, wait4, exit with its status (127 if execve failed, 128+N
/// if signal N killed it).
#[no_mangle]
unsafe extern "C" fn launch(sp: *const usize) -> ! {
    // The initial stack: argc, argv[0..argc], NULL, envp..., NULL.
    let argc = *sp;
    let argv = sp.add(1);
    let envp = argv.add(argc + 1);
    let pid: isize;
    // SAFETY: vfork and execve in one block: the child runs on our stack
    // until its execve (or exit), touching no memory, only the registers
    // (rdi, rsi and rdx survive the vfork in both processes), while we are
    // suspended. execve(argv[1], &argv[1], envp): both arrays end in NULL.
    asm!(
        "mov eax, 58",
        "syscall",
        "test rax, rax",
        "jnz 2f",
        "mov eax, 59",
        "syscall",
        "mov edi, 127",
        "mov eax, 231",
        "syscall",
        "2:",
        in("rdi") *argv.add(1),
        in("rsi") argv.add(1),
        in("rdx") envp,
        lateout("rax") pid,
        lateout("rcx") _,
        lateout("r11") _,
    );
    let mut status: i32 = 0;
    // SAFETY: wait4(pid, &status, 0, NULL) writes one int to `status`.
    asm!(
        "syscall",
        inlateout("rax") 61isize => _,
        in("rdi") pid,
        in("rsi") &mut status as *mut i32,
        in("rdx") 0,
        in("r10") 0,
        lateout("rcx") _,
        lateout("r11") _,
    );
    let code = match status & 0x7f {
        0 => (status >> 8) & 0xff,
        sig => 128 + sig,
    };
    // SAFETY: exit_group takes an integer and does not return.
    asm!("syscall", in("rax") 231, in("rdi") code, options(noreturn));
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

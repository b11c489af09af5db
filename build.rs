// Link the `hull` binary with no C runtime: our own `_start`, fully static, not PIE.
// These go to the bin target only (rustc-link-arg-bins): putting them in rustflags
// would also break build scripts and the std-linked test binaries.
fn main() {
    // hull aborts on panic and never unwinds, so the unwind tables that the
    // prebuilt core/alloc carry are dead weight (about 4 KiB, a sixth of the
    // binary). A linker script given as an input file discards them.
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let script = std::path::Path::new(&out).join("discard-unwind.ld");
    std::fs::write(
        &script,
        "SECTIONS { /DISCARD/ : { *(.eh_frame) *(.eh_frame_hdr) } } INSERT AFTER .text;\n",
    )
    .expect("write linker script");
    println!("cargo:rustc-link-arg-bins={}", script.display());
    println!("cargo:rustc-link-arg-bins=-nostartfiles");
    println!("cargo:rustc-link-arg-bins=-nostdlib");
    println!("cargo:rustc-link-arg-bins=-static");
    println!("cargo:rustc-link-arg-bins=-no-pie");
    println!("cargo:rustc-link-arg-bins=-Wl,--gc-sections");
    println!("cargo:rustc-link-arg-bins=-Wl,--build-id=none");
    println!("cargo:rerun-if-changed=build.rs");
}

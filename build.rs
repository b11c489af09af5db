// Link the `hull` binary with no C runtime: our own `_start`, fully static, not PIE.
// These go to the bin target only (rustc-link-arg-bins): putting them in rustflags
// would also break build scripts and the std-linked test binaries.
fn main() {
    // A linker script given as an input file: the layout of the code and
    // the unwind tables discarded (see LAYOUT).
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let script = std::path::Path::new(&out).join("layout.ld");
    std::fs::write(&script, LAYOUT).expect("write linker script");
    println!("cargo:rustc-link-arg-bins={}", script.display());
    println!("cargo:rustc-link-arg-bins=-nostartfiles");
    println!("cargo:rustc-link-arg-bins=-nostdlib");
    println!("cargo:rustc-link-arg-bins=-static");
    println!("cargo:rustc-link-arg-bins=-no-pie");
    println!("cargo:rustc-link-arg-bins=-Wl,--gc-sections");
    println!("cargo:rustc-link-arg-bins=-Wl,--build-id=none");
    println!("cargo:rerun-if-changed=build.rs");
}

/// The linker script given to the `hull` binary as an input file.
///
/// First, the layout of its code. hull is static and runs from the page
/// cache, where the kernel's fault-around maps the 64 KiB around each page
/// it faults in: in code laid out as the compiler emits it, the start of a
/// container touched every such window, and `hull run` had the whole text
/// mapped (216 of its 340 KiB of peak memory). Grouped by what runs it, a
/// process maps only the windows of its own code (`hull run` 228 KiB in
/// all, an OCI command 264). In address order:
/// - `.text.cold`: what neither `hull run` nor the OCI lifecycle runs
///   (`hull bench`, `hull check`, OCI `exec`, `update` and `spec`);
/// - `.text.run`: `hull run` only (its command line, its wait), then
///   `hull::main`, where both start;
/// - `.text`: what both run (the plan, the clone, the child, seccomp,
///   cgroups, the syscall layer, core and alloc);
/// - `.text.oci`: the rest of the OCI front-end and the JSON readers.
///
/// An input section goes to the first output section, in the order
/// written here, whose pattern names it: `.text.cold` is written first so
/// that the OCI commands it takes are not `.text.oci`'s. The names are
/// the functions' mangled ones (`-Z function-sections` is the default):
/// `_ZN4hull5bench…` in Rust's legacy mangling, `_R…_4hull5bench…` in v0.
/// A function of another crate's (a `Vec` method) made for a hull type
/// stays in `.text`; tests/size.rs checks that each group has its code.
///
/// Then: hull aborts on panic and never unwinds, so the unwind tables that
/// the prebuilt core/alloc carry are dead weight (about 4 KiB).
const LAYOUT: &str = "\
SECTIONS {
  .text.cold : {
    *(.text._ZN4hull5bench* .text._R*_4hull5bench*)
    *(.text._ZN4hull5check* .text._R*_4hull5check*)
    *(.text._ZN4hull3oci6update* .text._R*_4hull3oci6update*)
    *(.text._ZN4hull3oci4exec* .text._R*_4hull3oci4exec*)
    *(.text._ZN4hull3oci4spec* .text._R*_4hull3oci4spec*)
  }
  .text.run : {
    *(.text._ZN4hull3cli* .text._R*_4hull3cli*)
    *(.text._ZN4hull3run3run* .text._R*_4hull3run3run*)
    *(.text._ZN4hull3run9supervise* .text._R*_4hull3run9supervise*)
    *(.text._ZN4hull3run4Pipe* .text._R*_4hull3run4Pipe*)
    *(.text._ZN4hull4main* .text._R*_4hull4main*)
  }
} INSERT BEFORE .text;
SECTIONS {
  .text.oci : {
    *(.text._ZN4hull3oci* .text._R*_4hull3oci*)
    *(.text._ZN4hull4util4json* .text._R*_4hull4util4json*)
    *(.text._ZN4hull7seccomp12json_profile* .text._R*_4hull7seccomp12json_profile*)
  }
  /DISCARD/ : { *(.eh_frame) *(.eh_frame_hdr) }
} INSERT AFTER .text;
";

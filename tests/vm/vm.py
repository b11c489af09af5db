#!/usr/bin/env python3
"""Boot hull inside a real kernel under qemu: the VM test harness.

    vm.py --cache DIR --hull BIN --init SCRIPT [--timeout S] [--append ARGS]

1. Fetches (once, into DIR, reused between runs) qemu-system-x86 with the
   shared libraries this host lacks, SeaBIOS and qemu's option ROMs, Debian's
   kernel and busybox-static. `apt-get install qemu-system-x86` conflicts with
   the backports qemu-utils on these machines, so the packages are fetched
   with `apt-get download` and unpacked with `dpkg -x`; nothing is installed.
   The kernel's vmlinuz is decompressed to a plain vmlinux, which boots in
   about half the time under TCG.
2. Builds an initramfs (cpio newc, uncompressed) holding hull, busybox with
   its applet links, /dev/console and SCRIPT as /init. There is no /etc.
3. Boots it with `-accel tcg` (/dev/kvm is not usable here), bounded by the
   timeout, and writes the serial console, with `\\r` stripped, to stdout.

Exit status: 0 when qemu ran (the caller judges the markers in the log, never
qemu's status), 77 when the packages cannot be fetched (no network, no apt):
the caller reports a loud skip. Anything else is a harness failure.
"""

import argparse
import lzma
import os
import shutil
import subprocess
import sys
import time

SKIP = 77
ARCH_LIBDIRS = ("usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu")


def log(msg):
    print("vm.py: " + msg, file=sys.stderr, flush=True)


def sh(args, **kw):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kw).stdout


class FetchError(Exception):
    pass


def apt_update():
    log("package lists are missing or stale; running apt-get update once")
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True)


def apt_download(pkgs, debs):
    """apt-get download into `debs`, with one `apt-get update` and a retry
    when a package is gone from the mirror (stale lists)."""
    for attempt in (1, 2):
        r = subprocess.run(["apt-get", "download", *pkgs], cwd=debs, text=True,
                           capture_output=True)
        if r.returncode == 0:
            return
        if attempt == 1:
            apt_update()
    raise FetchError("apt-get download " + " ".join(pkgs) + ": " + r.stderr.strip())


def depends(pkg):
    """The packages `pkg` depends on (first of each alternative; virtual
    packages, shown as <name>, are skipped)."""
    out = sh(["apt-cache", "depends", "--no-recommends", "--no-suggests",
              "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", pkg])
    deps, alt = [], False
    for line in out.splitlines():
        s = line.strip()
        if s.startswith(("Depends:", "|Depends:", "PreDepends:", "|PreDepends:")):
            name = s.split(":", 1)[1].strip()
            if not alt and not name.startswith("<"):
                deps.append(name.split(":")[0])
            alt = s.startswith("|")
    return deps


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Status}", pkg],
                       capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() == "installed"


def missing_libs(qemu, root):
    if not os.path.exists(qemu):
        return [qemu]
    env = dict(os.environ, LD_LIBRARY_PATH=lib_path(root))
    out = subprocess.run(["ldd", qemu], env=env, capture_output=True, text=True).stdout
    return [l.split()[0] for l in out.splitlines() if "not found" in l]


TCG = "accel-tcg-x86_64.so"


def module_dir(root):
    return os.path.join(root, "usr/lib/x86_64-linux-gnu/qemu")


def lib_path(root):
    return ":".join(os.path.join(root, d) for d in ARCH_LIBDIRS)


def extract_vmlinux(vmlinuz, out):
    """The kernel image inside a bzImage is one compressed stream (xz for
    Debian's); decompress it to the ELF vmlinux, as scripts/extract-vmlinux."""
    data = open(vmlinuz, "rb").read()
    pos = data.find(b"\xfd7zXZ\x00")
    if pos < 0:
        return False
    try:
        elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[pos:])
    except lzma.LZMAError:
        return False
    if elf[:4] != b"\x7fELF":
        return False
    with open(out + ".tmp", "wb") as f:
        f.write(elf)
    os.replace(out + ".tmp", out)
    return True


def fetch(cache):
    """Fills `cache` once: root/ (unpacked packages), kernel, busybox."""
    stamp = os.path.join(cache, "ready")
    if os.path.exists(stamp):
        return
    for tool in ("apt-get", "apt-cache", "dpkg", "dpkg-deb", "dpkg-query", "tar", "ldd"):
        if shutil.which(tool) is None:
            raise FetchError(tool + " not found")
    t0 = time.monotonic()
    debs, root = os.path.join(cache, "debs"), os.path.join(cache, "root")
    shutil.rmtree(cache, ignore_errors=True)
    os.makedirs(debs)
    os.makedirs(root)

    # A fresh machine may have no package lists at all.
    probe = ["apt-cache", "show", "qemu-system-x86", "linux-image-amd64", "busybox-static"]
    if subprocess.run(probe, capture_output=True).returncode != 0:
        apt_update()
    # The kernel: whichever image linux-image-amd64 points at. Only its
    # vmlinuz is needed (the modules are most of the 70 MB and hull needs none).
    kpkg = [d for d in depends("linux-image-amd64") if d.startswith("linux-image-")]
    if not kpkg:
        raise FetchError("linux-image-amd64 has no linux-image dependency")
    # qemu and its firmware; then, level by level, the shared libraries it
    # needs that this host does not have installed.
    # qemu-system-common holds the TCG accelerator, a loadable module in
    # Debian's build (accel-tcg-x86_64.so).
    want = ["qemu-system-x86", "qemu-system-common", "qemu-system-data", "seabios",
            "busybox-static", kpkg[0]]
    libs = [d for d in depends("qemu-system-x86") if d.startswith("lib") and not installed(d)]
    seen = set(want)
    while libs:
        want += libs
        seen.update(libs)
        nxt = []
        for lib in libs:
            nxt += [d for d in depends(lib)
                    if d.startswith("lib") and d not in seen and not installed(d)]
        libs = sorted(set(nxt))
    apt_download(want, debs)

    for deb in sorted(os.listdir(debs)):
        path = os.path.join(debs, deb)
        if deb.startswith("linux-image-"):
            # Only /boot (vmlinuz and config), not the modules.
            p1 = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", path], stdout=subprocess.PIPE)
            subprocess.run(["tar", "-x", "-C", root, "--wildcards", "./boot/*"],
                           stdin=p1.stdout, check=True)
            p1.stdout.close()
            p1.wait()
        else:
            sh(["dpkg", "-x", path, root])
    qemu = os.path.join(root, "usr/bin/qemu-system-x86_64")
    miss = missing_libs(qemu, root) + missing_libs(os.path.join(module_dir(root), TCG), root)
    if miss:
        raise FetchError("qemu still lacks shared libraries: " + " ".join(miss))

    boot = os.path.join(root, "boot")
    vmlinuz = [f for f in os.listdir(boot) if f.startswith("vmlinuz-")][0]
    config = os.path.join(boot, vmlinuz.replace("vmlinuz-", "config-"))
    kernel = os.path.join(cache, "vmlinux")
    if not extract_vmlinux(os.path.join(boot, vmlinuz), kernel):
        log("could not decompress the vmlinuz; booting it as is (slower)")
        shutil.copy(os.path.join(boot, vmlinuz), kernel)
    shutil.copy(config, os.path.join(cache, "config"))
    shutil.rmtree(debs)
    open(stamp, "w").write(kpkg[0] + "\n")
    log("fetched and unpacked in %.1f s" % (time.monotonic() - t0))


# --- initramfs -------------------------------------------------------------

def cpio_entry(name, mode, data=b"", rdev=(0, 0), ino=[0]):
    ino[0] += 1
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (
        ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0))
    out = hdr.encode() + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def initramfs(busybox, hull, init, out):
    """cpio newc, written here so no cpio tool (nor root, for /dev/console) is
    needed. No /etc: hull must not need one."""
    parts = []
    dirs = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp",
            "root", "rootfs", "run"]
    for d in dirs:
        parts.append(cpio_entry(d, 0o040755))
    parts.append(cpio_entry("dev/console", 0o020600, rdev=(5, 1)))
    parts.append(cpio_entry("dev/null", 0o020666, rdev=(1, 3)))
    parts.append(cpio_entry("dev/zero", 0o020666, rdev=(1, 5)))
    parts.append(cpio_entry("bin/busybox", 0o100755, open(busybox, "rb").read()))
    parts.append(cpio_entry("bin/hull", 0o100755, open(hull, "rb").read()))
    parts.append(cpio_entry("init", 0o100755, open(init, "rb").read()))
    applets = sh([busybox, "--list-full"]).split()
    for path in applets:
        if path != "bin/busybox" and os.path.dirname(path) in dirs:
            parts.append(cpio_entry(path, 0o120777, b"/bin/busybox"))
    parts.append(cpio_entry("TRAILER!!!", 0))
    with open(out, "wb") as f:
        f.write(b"".join(parts))


# --- boot ------------------------------------------------------------------

def boot(cache, initrd, timeout, append):
    root = os.path.join(cache, "root")
    qemu = os.path.join(root, "usr/bin/qemu-system-x86_64")
    env = dict(os.environ, LD_LIBRARY_PATH=lib_path(root), QEMU_MODULE_DIR=module_dir(root))
    args = [qemu, "-accel", "tcg", "-m", "512", "-smp", "1", "-nographic", "-no-reboot",
            "-nodefaults", "-serial", "stdio", "-monitor", "none",
            "-L", os.path.join(root, "usr/share/qemu"),
            "-L", os.path.join(root, "usr/share/seabios"),
            "-kernel", os.path.join(cache, "vmlinux"), "-initrd", initrd,
            "-append", "console=ttyS0 panic=-1 quiet " + append]
    t0 = time.monotonic()
    try:
        r = subprocess.run(args, env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
        out, err, note = r.stdout, r.stderr, "qemu exited %d" % r.returncode
    except subprocess.TimeoutExpired as e:
        out, err, note = e.stdout or b"", e.stderr or b"", "qemu timed out after %d s" % timeout
    log("%s in %.1f s" % (note, time.monotonic() - t0))
    if err:
        log("qemu stderr: " + err.decode(errors="replace").strip())
    sys.stdout.write(out.decode(errors="replace").replace("\r", ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True)
    ap.add_argument("--hull", required=True)
    ap.add_argument("--init", required=True)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--append", default="")
    a = ap.parse_args()
    try:
        fetch(a.cache)
    except (FetchError, subprocess.CalledProcessError, OSError) as e:
        log("cannot get qemu, kernel and busybox: %s" % e)
        return SKIP
    initrd = os.path.join(a.cache, "initramfs-%s.cpio" % os.path.basename(a.init))
    initramfs(os.path.join(a.cache, "root/bin/busybox"), a.hull, a.init, initrd)
    boot(a.cache, initrd, a.timeout, a.append)
    return 0


if __name__ == "__main__":
    sys.exit(main())

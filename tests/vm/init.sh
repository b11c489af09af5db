#!/bin/sh
# /init of the VM test (tests/vm.rs boots it with tests/vm/vm.py).
#
# PID 1 of a bare initramfs: busybox, /bin/hull, no /etc, nothing mounted,
# and the kernel's environment (HOME, TERM: no PATH, and busybox sh does not
# export the default it searches with). Each scenario prints one marker line,
#   HULL-SCENARIO <name> PASS|FAIL <detail>
# which the test asserts; HULL-VM-DONE says /init got to the end. The
# scenarios share one boot (a boot costs seconds under TCG) and are ordered
# so that none depends on another's leftovers: the ones that need no /proc
# in the host run first, before anything is mounted.

# expect NAME WANT GOT: GOT is the scenario's output, newlines as '|'.
expect() {
    if [ "$3" = "$2" ]; then
        echo "HULL-SCENARIO $1 PASS"
    else
        echo "HULL-SCENARIO $1 FAIL want [$2] got [$3]"
    fi
}
# like NAME PATTERN GOT: as expect, with a shell pattern (for messages that
# carry numbers hull chose, such as a cgroup name).
like() {
    case "$3" in
    $2) echo "HULL-SCENARIO $1 PASS" ;;
    *) echo "HULL-SCENARIO $1 FAIL want [$2] got [$3]" ;;
    esac
}
# out CMD...: runs CMD, stdout and stderr joined, newlines as '|', then "rc=N".
out() {
    "$@" >/tmp/out 2>&1
    echo "rc=$?" >>/tmp/out
    tr '\n' '|' </tmp/out | sed 's/|$//'
}

# The firmware's last line has no newline.
echo
# Only emergencies on the console from now on: a kernel message (an OOM
# kill's report) must not land in the middle of a marker line.
dmesg -n 1
mount -t tmpfs tmp /tmp

# --- before /proc and /sys are mounted -------------------------------------

# No /proc in the host: hull must not need it (the container gets its own).
expect no-host-proc "container 1 proc|rc=0" \
    "$(out hull run sh -c 'echo $(hostname) $$ $(test -e /proc/1/stat && echo proc)')"
# ...and the container's /proc did not appear in the host.
expect no-host-proc-after "absent" "$(test -e /proc/self && echo present || echo absent)"

# An empty environment: no PATH, so hull's default search path finds env,
# which then prints the (empty) environment it was given (--env-host: the
# host's, instead of docker-style defaults). And no /etc at all.
expect empty-env "rc=0" "$(out env -i /bin/hull run --env-host env)"
expect no-etc "no-etc|rc=0" "$(out env -i /bin/hull run sh -c 'test -e /etc || echo no-etc')"

# --rootfs with no /proc (nor /sys, nor devtmpfs) in the host: what hull
# would mask or bind from there is absent, and it still starts.
mkdir -p /tmp/r0/bin /tmp/r0/proc /tmp/r0/dev /tmp/r0/sys
cp /bin/busybox /tmp/r0/bin/busybox
expect rootfs-no-host-proc "container 1 proc|rc=0" \
    "$(out hull run --rootfs /tmp/r0 /bin/busybox sh -c 'B=/bin/busybox; echo $($B hostname) $$ $($B test -e /proc/1/stat && echo proc)')"

expect check-no-proc "clone3: yes|/proc: not mounted|namespaces, user namespaces, cgroup: unknown (no /proc)|rc=0" \
    "$(out hull check)"

# --- with /proc, /sys and the cgroup2 tree ----------------------------------

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup

expect hostname-pid1 "vmbox 1|rc=0" \
    "$(out hull run --hostname vmbox sh -c 'echo $(hostname) $$')"

expect exit-code "rc=42" "$(out hull run sh -c 'exit 42')"
expect not-found "hull: nosuch: command not found|rc=127" "$(out hull run nosuch)"

# hull check sees the guest's pure cgroup v2 tree with every controller.
# (Debian's kernel has every namespace hull knows.)
expect check "clone3: yes|/proc: mounted|namespaces: mnt uts pid ipc net user cgroup time|user namespaces: max $(cat /proc/sys/user/max_user_namespaces)|cgroup: v2 /sys/fs/cgroup ($(cat /sys/fs/cgroup/cgroup.controllers))|rc=0" \
    "$(out hull check)"

# cgroup v2 limits. The guest's tree is pure cgroup2 with every controller
# (this project's only v2 test bed: the CI host is hybrid). The container is
# born in its cgroup by CLONE_INTO_CGROUP: --debug traces the clone, and would
# say "joining through cgroup.procs" had hull fallen back to moving it after.
hull run --debug --cgroupns=host --memory 32m --pids 16 sh -c \
    'g=/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup); echo $g; cat $g/memory.max $g/pids.max' \
    >/tmp/cg 2>/tmp/dbg
# (Under hull's shared parent, which holds the device allow list.)
expect clone-into-cgroup "/sys/fs/cgroup/hull.devices.H/hull-N|33554432|16|1|0" \
    "$(sed '1s/[0-9]*$/N/; 1s/devices\.[0-9]*/devices.H/' /tmp/cg | tr '\n' '|')$(grep -c 'clone3: child pid' /tmp/dbg)|$(grep -c joining /tmp/dbg)"
# The default: a cgroup namespace rooted at the container's own group.
expect cgroupns-default "0::/|rc=0" "$(out hull run cat /proc/self/cgroup)"
like memory-oom "*out of memory*rc=137" "$(out hull run --memory 32m sh -c 'tail /dev/zero')"
expect memory-ok "small|rc=0" "$(out hull run --memory 32m sh -c 'echo small')"
# At most 4 tasks: sh and three sleeps fill the cgroup, the fourth fork fails.
like pids-limit "*can't fork*" \
    "$(out hull run --pids 4 sh -c 'for i in 1 2 3 4 5 6; do sleep 1 & done; wait')"
expect pids-ok "done|rc=0" \
    "$(out hull run --pids 8 sh -c 'for i in 1 2 3 4 5 6; do sleep 1 & done; wait; echo done')"
# Each container's cgroup is removed when it ends.
expect cgroup-cleanup "" "$(ls -d /sys/fs/cgroup/hull-* /sys/fs/cgroup/hull.devices.*/hull-* 2>/dev/null)"

# --rootfs where / is the initramfs: pivot_root fails with EINVAL there, so
# hull moves the new root over / and chroots into it. The host's root
# (its /init) must stay out of reach, through /.. and /proc/1/root.
mkdir -p /tmp/r/bin /tmp/r/proc /tmp/r/dev /tmp/r/sys /tmp/r/tmp
cp /bin/busybox /tmp/r/bin/busybox
ln -s /bin/busybox /tmp/r/bin/sh
echo inside > /tmp/r/marker
expect rootfs-initramfs "inside|2|rc=0" "$(out hull run --rootfs /tmp/r sh -c '
    B=/bin/busybox; $B cat /marker
    $B ls /.. /proc/1/root/ | $B grep -c marker
    for p in /init /../init /proc/1/root/init; do $B test -e $p && echo HOST-VISIBLE $p; done; true')"

# The device allow list on a pure cgroup2 host: a BPF program. A node can
# be made (with MKNOD) but not opened; /dev/null can.
expect devices-v2 "sh: can't create /tmp/kmsg: Operation not permitted|refused|null|rc=0" \
    "$(out hull run --rootfs /tmp/r --cap-add MKNOD /bin/busybox sh -c '
    B=/bin/busybox; $B mknod /tmp/kmsg c 1 11 && { echo x > /tmp/kmsg || echo refused; }
    echo x > /dev/null && echo null')"

# Rootless: uid 1000, with no capability, starts a container; hull makes a
# user namespace of its own (it is root inside, nobody outside), in the same
# clone3. su needs a passwd entry, so this comes last, after every scenario
# that wants no /etc.
mkdir /etc
echo 'user:x:1000:1000::/tmp:/bin/sh' >/etc/passwd
echo 'user:x:1000:' >/etc/group
expect rootless "1000 0000000000000000|0 container 1 0 1000 1|rc=0" \
    "$(out su -s /bin/sh user -c 'echo $(id -u) $(sed -n "s/^CapEff:\t//p" /proc/self/status); hull run sh -c "echo \$(id -u) \$(hostname) \$\$ \$(cat /proc/self/uid_map)"')"

# ...and with --rootfs: the initramfs fallback (MS_MOVE + chroot) done by
# root of a user namespace, over mounts it inherited locked from the host.
expect rootless-rootfs "inside 0|rc=0" \
    "$(out su -s /bin/sh user -c 'hull run --rootfs /tmp/r /bin/busybox sh -c "B=/bin/busybox; echo \$(\$B cat /marker) \$(\$B id -u); \$B test -e /init && echo HOST-VISIBLE; true"')"

echo HULL-VM-DONE
poweroff -f

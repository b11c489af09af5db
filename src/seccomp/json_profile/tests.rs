use super::super::tests::{
    CAP_SYS_ADMIN, DOCKER_CAPS, ENOSYS, EPERM, KERNELS, PODMAN_CAPS, odd_numbers, sample_args,
};
use super::*;
use crate::seccomp::{MAX_NR, compile, default_profile};
use crate::util::json;
use std::format;
use std::string::String;
use std::vec::Vec;

fn read(text: &str, caps: u64, kernel: (u32, u32)) -> Result<Profile, Error> {
    from_json(&json::parse(text.as_bytes()).unwrap(), caps, kernel)
}

fn msg(e: Error) -> String {
    String::from_utf8(e.msg).unwrap()
}

/// hull's default table (default.txt) written out in docker's JSON format.
fn default_as_json() -> String {
    let src: Vec<&str> = include_str!("../default.txt")
        .lines()
        .map(|l| l.split('#').next().unwrap())
        .collect();
    let src = src.join(" ");
    let mut stmts = src.split(';').map(str::trim).filter(|s| !s.is_empty());
    let default = stmts.next().unwrap();
    let errno = default.strip_prefix("default errno ").unwrap();
    let mut calls = Vec::new();
    for stmt in stmts {
        let (head, names) = stmt.split_once(':').unwrap();
        let names: Vec<String> = names
            .split_whitespace()
            .map(|n| format!("\"{n}\""))
            .collect();
        let mut t = head.split_whitespace();
        let mut fields = vec![format!("\"names\": [{}]", names.join(", "))];
        match t.next().unwrap() {
            "always" => {}
            "cap" => fields.push(format!(
                "\"includes\": {{\"caps\": [\"{}\"]}}",
                t.next().unwrap()
            )),
            "nocap" => fields.push(format!(
                "\"excludes\": {{\"caps\": [\"{}\"]}}",
                t.next().unwrap()
            )),
            "kernel" => fields.push(format!(
                "\"includes\": {{\"minKernel\": \"{}\"}}",
                t.next().unwrap()
            )),
            c => panic!("{c}"),
        }
        match t.next().unwrap() {
            "allow" => fields.push("\"action\": \"SCMP_ACT_ALLOW\"".into()),
            "errno" => {
                fields.push("\"action\": \"SCMP_ACT_ERRNO\"".into());
                fields.push(format!("\"errnoRet\": {}", t.next().unwrap()));
            }
            a => panic!("{a}"),
        }
        let mut args = Vec::new();
        while t.next() == Some("arg") {
            let index = t.next().unwrap();
            let op = t.next().unwrap();
            let value = t.next().unwrap();
            let (op, two) = match op {
                "masked" => ("MASKED_EQ", t.next().unwrap()),
                op => (op, "0"),
            };
            args.push(format!(
                "{{\"index\": {index}, \"value\": {value}, \"valueTwo\": {two}, \"op\": \"SCMP_CMP_{}\"}}",
                op.to_uppercase()
            ));
        }
        if !args.is_empty() {
            fields.push(format!("\"args\": [{}]", args.join(", ")));
        }
        calls.push(format!("{{{}}}", fields.join(", ")));
    }
    format!(
        "{{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": {errno}, \
         \"archMap\": [{{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\"]}}], \
         \"syscalls\": [{}]}}",
        calls.join(",\n")
    )
}

#[test]
fn docker_format_of_the_default_table_gives_the_same_filter() {
    let text = default_as_json();
    for caps in [
        DOCKER_CAPS,
        PODMAN_CAPS,
        u64::MAX,
        0,
        PODMAN_CAPS | CAP_SYS_ADMIN,
        1 << 19,
    ] {
        for kernel in KERNELS {
            let ours = default_profile(caps, kernel);
            let theirs = read(&text, caps, kernel).unwrap();
            assert_eq!(theirs.default, EPERM);
            let numbers = (0..=MAX_NR + 2).chain(odd_numbers());
            for nr in numbers {
                for args in sample_args() {
                    assert_eq!(
                        ours.verdict(nr, &args),
                        theirs.verdict(nr, &args),
                        "nr {nr}"
                    );
                }
            }
            let (a, b) = (compile(&ours).unwrap(), compile(&theirs).unwrap());
            let key = |p: &[crate::seccomp::SockFilter]| {
                p.iter()
                    .map(|i| (i.code, i.jt, i.jf, i.k))
                    .collect::<Vec<_>>()
            };
            assert_eq!(key(&a), key(&b), "caps {caps:#x} kernel {kernel:?}");
        }
    }
}

fn nr(name: &str) -> u32 {
    syscall_number(name.as_bytes()).unwrap()
}

#[test]
fn docker_fields_resolve_as_docker_and_runc_do() {
    let text = r#"{
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [
            {"names": ["read", "write", "no_such_call", "mmap2"], "action": "SCMP_ACT_ALLOW"},
            {"name": "getpid", "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "comment": "old form"},
            {"names": ["getppid"], "action": "SCMP_ACT_ERRNO"},
            {"names": ["getppid"], "action": "SCMP_ACT_TRAP"},
            {"names": ["gettid"], "action": "SCMP_ACT_KILL"},
            {"names": ["getuid"], "action": "SCMP_ACT_KILL_PROCESS"},
            {"names": ["getgid"], "action": "SCMP_ACT_KILL_THREAD"},
            {"names": ["geteuid"], "action": "SCMP_ACT_TRACE"},
            {"names": ["getegid"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
            {"names": ["sync"], "action": "SCMP_ACT_LOG"},
            {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
            {"names": ["s390_runtime_instr", "sethostname"], "action": "SCMP_ACT_ALLOW",
             "includes": {"arches": ["s390", "s390x"]}},
            {"names": ["setdomainname"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.10"}},
            {"names": ["kcmp"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.10"}},
            {"names": ["mount"], "action": "SCMP_ACT_ALLOW",
             "includes": {"caps": ["CAP_SYS_ADMIN", "CAP_SYS_CHROOT"]}},
            {"names": ["umount2"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN", "CAP_NET_RAW"]}},
            {"names": ["reboot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_NO_SUCH"]}},
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [
                {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
                {"index": 1, "value": 3, "op": "SCMP_CMP_EQ"}]},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [
                {"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"},
                {"index": 2, "value": 10, "op": "SCMP_CMP_LT"}]},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": null, "includes": {}, "excludes": null}
        ]}"#;
    let admin_chroot = 1 << 21 | 1 << 18;
    let p = read(text, admin_chroot, (5, 10)).unwrap();
    let v = |name: &str, args: [u64; 6]| p.verdict(nr(name), &args);
    let z = [0; 6];
    assert_eq!(p.default, EPERM, "ERRNO without a value is EPERM");
    assert_eq!(v("read", z), Action::Allow);
    assert_eq!(v("write", z), Action::Allow);
    assert_eq!(v("getpid", z), ENOSYS);
    // The ERRNO entry is the default action, skipped: the TRAP one decides.
    assert_eq!(v("getppid", z), Action::Trap);
    assert_eq!(v("gettid", z), Action::KillThread);
    assert_eq!(v("getuid", z), Action::KillProcess);
    assert_eq!(v("getgid", z), Action::KillThread);
    assert_eq!(v("geteuid", z), Action::Trace(1));
    assert_eq!(v("getegid", z), Action::Trace(7));
    assert_eq!(v("sync", z), Action::Log);
    assert_eq!(v("arch_prctl", z), Action::Allow);
    assert_eq!(v("sethostname", z), EPERM, "an s390 entry");
    assert_eq!(v("setdomainname", z), EPERM, "excluded on amd64");
    assert_eq!(v("ptrace", z), Action::Allow, "5.10 >= 5.10");
    assert_eq!(v("kcmp", z), EPERM, "excluded from 5.10");
    assert_eq!(v("mount", z), Action::Allow, "both capabilities kept");
    assert_eq!(v("umount2", z), EPERM, "one excluding capability kept");
    assert_eq!(v("reboot", z), EPERM, "an unknown capability is not kept");
    assert_eq!(v("personality", z), Action::Allow);
    // Two conditions on argument 0: three rules of one condition each.
    for (args, want) in [
        ([1, 0, 0, 0, 0, 0], Action::Allow),
        ([2, 9, 0, 0, 0, 0], Action::Allow),
        ([5, 3, 0, 0, 0, 0], Action::Allow),
        ([5, 4, 0, 0, 0, 0], EPERM),
    ] {
        assert_eq!(v("socket", args), want, "{args:?}");
    }
    // Conditions on different arguments: all must hold.
    assert_eq!(v("clone", [17, 0, 9, 0, 0, 0]), Action::Allow);
    assert_eq!(v("clone", [17, 0, 10, 0, 0, 0]), EPERM);
    assert_eq!(v("clone", [0x1000_0011, 0, 0, 0, 0, 0]), EPERM);

    let p = read(text, 1 << 21, (5, 9)).unwrap();
    let v = |name: &str| p.verdict(nr(name), &[0; 6]);
    assert_eq!(v("mount"), EPERM, "CAP_SYS_CHROOT missing");
    assert_eq!(v("ptrace"), EPERM);
    assert_eq!(v("kcmp"), Action::Allow);
    let p = read(text, 1 << 13, (6, 0)).unwrap();
    assert_eq!(p.verdict(nr("umount2"), &[0; 6]), EPERM, "CAP_NET_RAW kept");
    let p = read(text, 0, (6, 0)).unwrap();
    assert_eq!(p.verdict(nr("umount2"), &[0; 6]), Action::Allow);
}

#[test]
fn default_error_numbers_and_empty_profiles() {
    let p = read(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38}"#,
        0,
        (6, 0),
    );
    assert_eq!(
        p.unwrap(),
        Profile {
            default: ENOSYS,
            rules: Vec::new()
        }
    );
    let p = read(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": null}"#,
        0,
        (6, 0),
    );
    assert_eq!(p.unwrap().default, Action::Allow);
    let p = read(
        r#"{"defaultAction": "SCMP_ACT_LOG", "syscalls": []}"#,
        0,
        (6, 0),
    );
    assert_eq!(p.unwrap().default, Action::Log);
}

#[test]
fn malformed_profiles_name_the_problem() {
    let cases = [
        (r#"[]"#, "seccomp profile: the profile is not an object"),
        (r#"{}"#, "seccomp profile: no defaultAction"),
        (
            r#"{"defaultAction": 1}"#,
            "seccomp profile: defaultAction has the wrong type",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_FOO"}"#,
            "seccomp profile: unknown action 'SCMP_ACT_FOO'",
        ),
        (
            r#"{"defaultAction": "ALLOW"}"#,
            "seccomp profile: unknown action 'ALLOW'",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1}"#,
            "seccomp profile: defaultErrnoRet has the wrong type",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 65536}"#,
            "seccomp profile: defaultErrnoRet is out of range",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}}"#,
            "seccomp profile: syscalls has the wrong type",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]}"#,
            "seccomp profile: no action",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}"#,
            "seccomp profile: unknown action 'SCMP_ACT_NOTIFY'",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "read", "action": "SCMP_ACT_LOG"}]}"#,
            "seccomp profile: names has the wrong type",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [1], "action": "SCMP_ACT_LOG"}]}"#,
            "seccomp profile: names must be strings",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG",
                "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_FOO"}]}]}"#,
            "seccomp profile: unknown operator 'SCMP_CMP_FOO'",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG",
                "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#,
            "seccomp profile: args: index is above 5",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG",
                "args": [{"index": 0, "value": 1}]}]}"#,
            "seccomp profile: args: no op",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG",
                "args": [{"index": 0, "value": "1", "op": "SCMP_CMP_EQ"}]}]}"#,
            "seccomp profile: value has the wrong type",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG",
                "includes": {"minKernel": "4"}}]}"#,
            "seccomp profile: minKernel '4'",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG",
                "excludes": {"caps": [21]}}]}"#,
            "seccomp profile: caps must be strings",
        ),
        // An entry that does not apply is checked all the same.
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_BAD",
                "includes": {"arches": ["arm64"]}}]}"#,
            "seccomp profile: unknown action 'SCMP_ACT_BAD'",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(msg(read(text, 0, (6, 0)).unwrap_err()), want, "{text}");
    }
}

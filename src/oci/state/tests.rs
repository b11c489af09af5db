//! The state directory on the real filesystem and real processes.

use super::*;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// A fresh directory for one test (removed first if a failed run left it).
fn scratch(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("hull-state-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

fn bytes(p: &std::path::Path) -> &[u8] {
    p.to_str().unwrap().as_bytes()
}

fn msg(e: Error) -> String {
    String::from_utf8(e.msg).unwrap()
}

fn me() -> i32 {
    std::process::id() as i32
}

/// A record of this test process, as `create` would save it.
fn record(id: &str) -> Record {
    Record {
        oci_version: b"1.0.2-dev".to_vec(),
        id: id.as_bytes().to_vec(),
        pid: me(),
        start_time: start_time(me()).unwrap(),
        started: false,
        paused: false,
        bundle: b"/tmp/rb".to_vec(),
        rootfs: b"/tmp/rb/rootfs".to_vec(),
        created: b"2026-12-04T16:02:54.22032882Z".to_vec(),
        cgroup: b"/sys/fs/cgroup/hull/x".to_vec(),
        annotations: Vec::new(),
        owner: (0, 0),
    }
}

#[test]
fn ids_as_runc_takes_them() {
    for id in [
        "a",
        "abc",
        "a.b",
        "A_1+-.z",
        "-x",
        "...",
        "ctr-0123456789abcdef",
    ] {
        assert_eq!(check_id(id.as_bytes()), Ok(()), "{id}");
    }
    assert_eq!(check_id(&[b'x'; 255]), Ok(()));
    for id in [
        "", ".", "..", "a/b", "../x", "/x", "a b", "a\0b", "é", "a:b", "a\n",
    ] {
        let e = check_id(id.as_bytes()).unwrap_err();
        assert_eq!(e.code, 125);
        assert_eq!(
            msg(e),
            format!("invalid container id '{id}': 1 to 255 letters, digits, '_', '+', '-' or '.'")
        );
    }
    assert!(check_id(&[b'x'; 256]).is_err());
}

#[test]
fn stat_lines() {
    // Fields 3 and 22 of real lines (the kernel's format, fs/proc/array.c).
    let line = b"27737 (busybox) S 27720 27737 27737 0 -1 4194560 95 0 0 0 0 0 0 0 20 0 1 0 918273 1585152 1 18446744073709551615";
    assert_eq!(parse_stat(line), Some(918273));
    // A command name with spaces and parentheses: fields count from the last ')'.
    let odd = b"5 (a) S 1 2 (x) R 1 5 5 0 -1 4194560 95 0 0 0 0 0 0 0 20 0 1 0 42 1585152 1 18446744073709551615\n";
    assert_eq!(parse_stat(odd), Some(42));
    let zombie =
        b"9 (sh) Z 1 9 9 0 -1 4194572 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0 18446744073709551615";
    assert_eq!(parse_stat(zombie), None);
    assert_eq!(parse_stat(b"9 (sh) S 1 2 3"), None);
    assert_eq!(parse_stat(b"garbage"), None);
    assert_eq!(parse_stat(b""), None);
}

#[test]
fn start_times_of_real_processes() {
    let mine = start_time(me()).unwrap();
    let text = std::fs::read_to_string("/proc/self/stat").unwrap();
    let field22: u64 = text
        .rsplit(')')
        .next()
        .unwrap()
        .split(' ')
        .nth(20)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(mine, field22);
    assert_eq!(start_time(0), None);
    assert_eq!(start_time(-1), None);
    // Above the kernel's largest pid_max: no such process.
    assert_eq!(start_time(1 << 30), None);
    // A child: live, then a zombie (exited, not reaped), then gone.
    let mut child = std::process::Command::new("sleep")
        .arg("10")
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let t = start_time(pid).unwrap();
    assert!(t >= mine);
    child.kill().unwrap();
    let mut waited = 0;
    while start_time(pid).is_some() {
        std::thread::sleep(Duration::from_millis(5));
        waited += 1;
        assert!(waited < 1000, "the killed child never became a zombie");
    }
    assert!(
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap()
            .contains(") Z ")
    );
    child.wait().unwrap();
    assert_eq!(start_time(pid), None);
}

#[test]
fn status_follows_the_process() {
    let mut rec = record("s");
    assert_eq!(rec.status(), Status::Created);
    rec.started = true;
    assert_eq!(rec.status(), Status::Running);
    rec.paused = true;
    assert_eq!(rec.status(), Status::Paused);
    rec.paused = false;
    // The same pid with another start time: a recycled pid, never ours.
    rec.start_time += 1;
    assert_eq!(rec.status(), Status::Stopped);
    assert_eq!(rec.status_given(Some(rec.start_time - 1)), Status::Stopped);
    assert_eq!(rec.status_given(Some(rec.start_time)), Status::Running);
    assert_eq!(rec.status_given(None), Status::Stopped);
    rec.pid = 0;
    assert_eq!(rec.status_given(Some(rec.start_time)), Status::Creating);
    // A process that exited and was reaped.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let mut rec = record("s");
    rec.pid = child.id() as i32;
    rec.start_time = start_time(rec.pid).unwrap_or(0);
    child.wait().unwrap();
    assert_eq!(rec.status(), Status::Stopped);
}

#[test]
fn records_round_trip() {
    let dir = scratch("round");
    let rootp = dir.join("a/b/state");
    let root = Root::open(bytes(&rootp)).unwrap();
    // Made with its parents, 0700.
    let mode = std::fs::metadata(&rootp).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    Root::open(bytes(&rootp)).unwrap();
    let c = root.create(b"c1").unwrap();
    // Created, nothing saved yet: creating.
    let first = c.load().unwrap();
    assert_eq!((first.id.as_slice(), first.pid), (&b"c1"[..], 0));
    assert_eq!(first.status(), Status::Creating);
    let mut rec = record("c1");
    rec.annotations = vec![
        (b"io.container.manager".to_vec(), b"libpod".to_vec()),
        (
            b"q\"uote".to_vec(),
            "back\\slash \u{e9}\n".as_bytes().to_vec(),
        ),
    ];
    c.save(&rec).unwrap();
    assert_eq!(c.load().unwrap(), rec);
    rec.started = true;
    rec.paused = true;
    rec.pid = 4_194_304;
    // A `hull run --name` container's hull, kept too.
    rec.owner = (me(), 123_456_789);
    c.save(&rec).unwrap();
    drop(c);
    // Read back through another handle, as the next command would.
    let again = root.container(b"c1").unwrap();
    assert_eq!(again.load().unwrap(), rec);
    let names: Vec<_> = std::fs::read_dir(rootp.join("c1"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["state.json"], "no temporary file is left");
    let st = std::fs::metadata(rootp.join("c1/state.json")).unwrap();
    assert_eq!(st.permissions().mode() & 0o777, 0o600);
    // Other files the commands keep, the same way.
    again.write(c"config.json", b"{}").unwrap();
    assert_eq!(
        again.read(c"config.json").unwrap().as_deref(),
        Some(&b"{}"[..])
    );
    assert_eq!(again.read(c"nothing").unwrap(), None);
    std::fs::write(rootp.join("c1/state.json"), "{\"id\":").unwrap();
    assert_eq!(
        msg(again.load().unwrap_err()),
        "container 'c1' has a damaged state.json"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ids_are_exclusive_and_removal_frees_them() {
    let dir = scratch("excl");
    let root = Root::open(bytes(&dir)).unwrap();
    let c = root.create(b"x").unwrap();
    assert_eq!(
        msg(root.create(b"x").err().unwrap()),
        "container 'x' already exists"
    );
    assert_eq!(
        msg(root.container(b"y").err().unwrap()),
        "container 'y' does not exist"
    );
    assert!(msg(root.create(b"../x").err().unwrap()).starts_with("invalid container id '../x'"));
    // hull's shared network namespace file may live in the default root.
    std::fs::write(dir.join("netns"), "").unwrap();
    assert_eq!(
        msg(root.container(b"netns").err().unwrap()),
        "container 'netns' does not exist"
    );
    c.save(&record("x")).unwrap();
    c.write(c"exec.fifo", b"").unwrap();
    assert_eq!(root.ids().unwrap(), [b"x".to_vec()]);
    c.remove(&root).unwrap();
    assert!(!dir.join("x").exists());
    assert!(root.ids().unwrap().is_empty());
    root.create(b"x").unwrap().remove(&root).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn readers_never_see_a_torn_record() {
    let dir = scratch("atomic");
    let root = Root::open(bytes(&dir)).unwrap();
    let c = root.create(b"a").unwrap();
    let mut small = record("a");
    small.pid = 1;
    let mut big = record("a");
    big.pid = 2;
    big.annotations = (0..200)
        .map(|i| (format!("key{i}").into_bytes(), vec![b'v'; 300]))
        .collect();
    c.save(&small).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (stop, path) = (stop.clone(), bytes(&dir).to_vec());
        std::thread::spawn(move || {
            let root = Root::open(&path).unwrap();
            let c = root.container(b"a").unwrap();
            let mut reads = 0;
            while !stop.load(Ordering::Relaxed) {
                let r = c
                    .load()
                    .unwrap_or_else(|e| panic!("read {reads}: {}", msg(e)));
                assert!(r.pid == 1 || r.pid == 2);
                assert_eq!(r.annotations.len(), if r.pid == 2 { 200 } else { 0 });
                reads += 1;
            }
            reads
        })
    };
    for i in 0..1000 {
        c.save(if i % 2 == 0 { &big } else { &small }).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_command_at_a_time() {
    let dir = scratch("lock");
    let path = bytes(&dir).to_vec();
    let root = Root::open(&path).unwrap();
    let held = root.create(b"l").unwrap();
    let got = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(2));
    let waiter = {
        let (got, start, path) = (got.clone(), start.clone(), path.clone());
        std::thread::spawn(move || {
            let root = Root::open(&path).unwrap();
            let c = root.container(b"l").unwrap();
            start.wait();
            c.lock().unwrap();
            got.store(true, Ordering::SeqCst);
        })
    };
    start.wait();
    std::thread::sleep(Duration::from_millis(100));
    assert!(!got.load(Ordering::SeqCst), "the lock was taken twice");
    drop(held);
    waiter.join().unwrap();
    assert!(got.load(Ordering::SeqCst));

    // A command waiting while another deletes the container finds it gone.
    let held = root.container(b"l").unwrap();
    held.lock().unwrap();
    let waiter = {
        let (start, path) = (start.clone(), path.clone());
        std::thread::spawn(move || {
            let root = Root::open(&path).unwrap();
            let c = root.container(b"l").unwrap();
            start.wait();
            c.lock().err().map(msg)
        })
    };
    start.wait();
    std::thread::sleep(Duration::from_millis(100));
    held.remove(&root).unwrap();
    assert_eq!(
        waiter.join().unwrap().as_deref(),
        Some("container 'l' does not exist")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_lock_goes_even_if_a_child_shares_it() {
    let dir = scratch("unlock");
    let root = Root::open(bytes(&dir)).unwrap();
    let c = root.create(b"u").unwrap();
    // What a cloned child holds: the same open file description.
    let shared = rustix::io::dup(c.dir()).unwrap();
    drop(c);
    let other = root.container(b"u").unwrap();
    let op = FlockOperation::NonBlockingLockExclusive;
    assert_eq!(rustix::fs::flock(other.dir(), op), Ok(()));
    drop(shared);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn state_json_as_runc_prints_it() {
    let mut rec = record("t1");
    rec.pid = 27737;
    let mut b = Buf::new();
    rec.json(&mut b, Status::Created, b"", true);
    // `runc state t1` on this machine, byte for byte.
    let runc = "{\n  \"ociVersion\": \"1.0.2-dev\",\n  \"id\": \"t1\",\n  \"pid\": 27737,\n  \"status\": \"created\",\n  \"bundle\": \"/tmp/rb\",\n  \"rootfs\": \"/tmp/rb/rootfs\",\n  \"created\": \"2026-12-04T16:02:54.22032882Z\",\n  \"owner\": \"\"\n}";
    assert_eq!(String::from_utf8(b.0).unwrap(), runc);
    rec.annotations = vec![
        (b"k".to_vec(), b"v".to_vec()),
        (b"k2".to_vec(), b"\"".to_vec()),
    ];
    let mut b = Buf::new();
    rec.json(&mut b, Status::Stopped, b"root", true);
    let text = String::from_utf8(b.0).unwrap();
    assert!(
        text.contains("\n  \"pid\": 0,\n  \"status\": \"stopped\",\n"),
        "{text}"
    );
    assert!(text.contains("\n  \"annotations\": {\n    \"k\": \"v\",\n    \"k2\": \"\\\"\"\n  },\n  \"owner\": \"root\"\n}"), "{text}");
    let mut b = Buf::new();
    rec.json(&mut b, Status::Running, b"root", false);
    let v: serde_json::Value = serde_json::from_slice(&b.0).unwrap();
    assert_eq!(v["status"], "running");
    assert_eq!(v["pid"], 27737);
    assert_eq!(v["annotations"]["k2"], "\"");
    assert!(!b.0.contains(&b'\n'));
}

#[test]
fn list_as_runc_prints_it() {
    let dir = scratch("list");
    let root = Root::open(bytes(&dir)).unwrap();
    assert_eq!(root.list(true).unwrap(), b"null\n");
    assert_eq!(
        String::from_utf8(root.list(false).unwrap()).unwrap(),
        "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n"
    );
    let mut t1 = record("t1");
    t1.created = b"2026-12-04T16:02:54.22032882Z".to_vec();
    root.create(b"t1").unwrap().save(&t1).unwrap();
    let mut gone = record("a-much-longer-id");
    gone.start_time += 1;
    gone.started = true;
    gone.bundle = b"/b".to_vec();
    gone.created = b"2026-12-04T16:03:00Z".to_vec();
    gone.annotations = vec![(b"k".to_vec(), b"v".to_vec())];
    root.create(b"a-much-longer-id")
        .unwrap()
        .save(&gone)
        .unwrap();
    // Being created: no record yet.
    let _creating = root.create(b"new").unwrap();
    std::fs::write(dir.join("netns"), "").unwrap();
    let pid = me().to_string();
    let row = |id: &str, pid: &str, status: &str, bundle: &str, created: &str| {
        format!("{id:<19}{pid:<12}{status:<12}{bundle:<12}{created:<32}root\n")
    };
    let want = row("ID", "PID", "STATUS", "BUNDLE", "CREATED").replace("root\n", "OWNER\n")
        + &row(
            "a-much-longer-id",
            "0",
            "stopped",
            "/b",
            "2026-12-04T16:03:00Z",
        )
        + &row("new", "0", "creating", "", "")
        + &row(
            "t1",
            &pid,
            "created",
            "/tmp/rb",
            "2026-12-04T16:02:54.22032882Z",
        );
    assert_eq!(String::from_utf8(root.list(false).unwrap()).unwrap(), want);
    let j = root.list(true).unwrap();
    assert!(j.ends_with(b"]\n") && !j[..j.len() - 1].contains(&b'\n'));
    let v: serde_json::Value = serde_json::from_slice(&j).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a-much-longer-id", "new", "t1"]);
    assert_eq!(v[2]["pid"], me());
    assert_eq!(v[2]["status"], "created");
    assert_eq!(v[2]["owner"], "root");
    assert_eq!(v[2]["rootfs"], "/tmp/rb/rootfs");
    assert_eq!(v[0]["annotations"]["k"], "v");
    assert!(v[2].get("annotations").is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

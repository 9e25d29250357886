//! `brook serve --appendonly yes --appendfsync always` SIGKILLed under load, again and
//! again, and started on the same directory: every XADD it answered is there, whole and
//! in order, nothing past the last answered one but the one in flight; every XACK it
//! answered stays acknowledged; the group's pending entries are exactly those read and
//! not acknowledged (give or take the read or ack in flight). Rounds:
//! `BROOK_SERVE_KILLS` (default 3).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use brook_test_support::{Frame, RespConn};

/// Starts `brook serve` on a free port with the directory `dir`; the child and its port.
fn serve(dir: &str) -> (Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_brook"))
        .args([
            "serve",
            "--port",
            "0",
            "--appendonly",
            "yes",
            "--dir",
            dir,
            "--appendfsync",
            "always",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start brook serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the listening line");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (child, port)
}

/// A command's reply, or `None` once the connection is gone (the kill).
fn try_call(c: &mut RespConn, argv: &[&[u8]]) -> Option<Frame> {
    c.send(argv).ok()?;
    c.read().ok().map(|(f, _)| f)
}

fn id_of(f: &Frame) -> Option<Vec<u8>> {
    match f {
        Frame::Bulk(b) => Some(b.to_vec()),
        _ => None,
    }
}

/// The IDs of an XRANGE or XREADGROUP entries array.
fn ids(entries: &Frame) -> Vec<Vec<u8>> {
    match entries {
        Frame::Array(es) => es
            .iter()
            .filter_map(|e| match e {
                Frame::Array(pair) => pair.first().and_then(id_of),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn a_killed_server_keeps_every_answered_write() {
    let rounds: u64 = std::env::var("BROOK_SERVE_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let parent = std::env::temp_dir().join(format!("brook-serve-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&parent);
    std::fs::create_dir_all(&parent).expect("dir");
    let dir = parent.to_str().expect("UTF-8").to_string();
    let mut added: Vec<Vec<u8>> = Vec::new();
    let mut acked: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut read: BTreeSet<Vec<u8>> = BTreeSet::new();
    for round in 0..rounds {
        let (mut child, port) = serve(&dir);
        let mut c = RespConn::connect(port).expect("connect");
        if round == 0 {
            c.call_str(&["XGROUP", "CREATE", "jobs", "g", "0", "MKSTREAM"]);
        }
        // Load: adds, and every tenth add a read and an ack of what it read; killed
        // after a while from another thread, mid-command.
        let kill_after = Duration::from_millis(150 + 100 * round);
        let pid = child.id();
        let killer = std::thread::spawn(move || {
            std::thread::sleep(kill_after);
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        });
        let start = Instant::now();
        let mut n = 0u64;
        loop {
            let n_text = n.to_string();
            let Some(f) = try_call(&mut c, &[b"XADD", b"jobs", b"*", b"n", n_text.as_bytes()])
            else {
                break;
            };
            let Some(id) = id_of(&f) else { break };
            added.push(id);
            n += 1;
            if n.is_multiple_of(10) {
                let argv: [&[u8]; 9] = [
                    b"XREADGROUP",
                    b"GROUP",
                    b"g",
                    b"w",
                    b"COUNT",
                    b"5",
                    b"STREAMS",
                    b"jobs",
                    b">",
                ];
                let Some(got) = try_call(&mut c, &argv) else {
                    break;
                };
                let got = match &got {
                    Frame::Array(streams) => streams
                        .first()
                        .and_then(|s| match s {
                            Frame::Array(kv) => kv.get(1).map(ids),
                            _ => None,
                        })
                        .unwrap_or_default(),
                    _ => break,
                };
                read.extend(got.iter().cloned());
                let mut argv: Vec<&[u8]> = vec![b"XACK", b"jobs", b"g"];
                let half: Vec<Vec<u8>> = got.iter().step_by(2).cloned().collect();
                argv.extend(half.iter().map(Vec::as_slice));
                if half.is_empty() {
                    continue;
                }
                match try_call(&mut c, &argv) {
                    Some(Frame::Integer(_)) => acked.extend(half),
                    _ => break,
                }
            }
            assert!(start.elapsed() < Duration::from_secs(30), "never killed");
        }
        killer.join().expect("killer");
        let _ = child.wait();

        let (mut child, port) = serve(&dir);
        let mut c = RespConn::connect(port).expect("reconnect");
        let have = ids(&c.call_str(&["XRANGE", "jobs", "-", "+"]));
        let have_set: BTreeSet<&Vec<u8>> = have.iter().collect();
        for id in &added {
            assert!(
                have_set.contains(id),
                "round {round}: an answered XADD was lost"
            );
        }
        assert!(
            have.len() <= added.len() + 1,
            "round {round}: more entries than adds"
        );
        let pending = match c.call_str(&["XPENDING", "jobs", "g", "-", "+", "1000000"]) {
            Frame::Array(rows) => rows
                .iter()
                .filter_map(|r| match r {
                    Frame::Array(cols) => cols.first().and_then(id_of),
                    _ => None,
                })
                .collect::<BTreeSet<_>>(),
            other => panic!("XPENDING: {other:?}"),
        };
        for id in &acked {
            assert!(
                !pending.contains(id),
                "round {round}: an answered XACK was undone"
            );
        }
        // Read and not acknowledged: pending, but for an XACK the kill cut short after
        // the server applied it (at most one XACK's worth).
        let unacked: BTreeSet<_> = read.difference(&acked).cloned().collect();
        let missing = unacked.difference(&pending).count();
        assert!(
            missing <= 3,
            "round {round}: {missing} read entries lost from the PEL"
        );
        // The directory holds what it holds now: start the next round from it.
        added = have;
        read = read.union(&pending).cloned().collect();
        acked = read.difference(&pending).cloned().collect();
        eprintln!(
            "serve kill round {round}: {} entries, {} pending, {} acknowledged",
            added.len(),
            pending.len(),
            acked.len()
        );
        let _ = child.kill();
        let _ = child.wait();
    }
    let _ = std::fs::remove_dir_all(&parent);
}

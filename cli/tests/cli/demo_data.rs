//! `brook demo --data DIR`: a demo SIGKILLed midway and started again on the same
//! directory resumes the run it holds — the orders still missing are added, none twice,
//! what the killed run left pending is processed — and its final check, counting both
//! runs, passes; a second demo on a directory in use is refused; a finished run is
//! checked again and replaced by a new one; `--data` with another `--url` is a usage
//! error.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{brook, stderr, stdout};

const ORDERS: &str = "4000";
const RATE: &str = "1600";

/// The number right after `prefix` in `text`.
fn number_after(text: &str, prefix: &str) -> Option<u64> {
    let at = text.find(prefix)? + prefix.len();
    text[at..]
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| !w.is_empty())?
        .parse()
        .ok()
}

#[test]
fn a_killed_demo_resumes_from_its_data() {
    let dir = std::env::temp_dir().join(format!("brook-cli-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_str().expect("a UTF-8 temp path").to_string();
    let args = ["demo", "--data", &data, "--orders", ORDERS, "--rate", RATE];

    // The first run, SIGKILLed once a progress line shows orders processed while
    // others are still to be added.
    let mut child = Command::new(env!("CARGO_BIN_EXE_brook"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run brook demo --data");
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut first = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut in_use_checked = false;
    let killed_at = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            let _ = child.kill();
            panic!("no progress line with orders processed within 60 s:\n{first}");
        };
        first.push_str(&line);
        first.push('\n');
        if !in_use_checked && line.starts_with("brook demo on the durable embedded engine") {
            // While it runs, the directory is its own.
            in_use_checked = true;
            let other = brook(&args);
            assert_eq!(other.status.code(), Some(1), "{}", stderr(&other));
            assert!(
                stderr(&other).contains(&format!("cannot open --data {data}"))
                    && stderr(&other).contains("in use by another process"),
                "{}",
                stderr(&other)
            );
        }
        let (Some(produced), Some(processed)) = (
            number_after(&line, "produced "),
            number_after(&line, "| processed "),
        ) else {
            continue;
        };
        assert!(
            produced < 4000,
            "every order was added before a progress line showed processing (a machine \
             too slow for this test's rate?):\n{first}"
        );
        if processed >= 100 {
            child.kill().expect("SIGKILL the demo");
            break produced;
        }
    };
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), None, "killed by a signal, not exited");
    drop(rx);
    let _ = reader.join();
    assert!(in_use_checked, "{first}");

    // The second run resumes and passes the ledger check for both runs.
    let out = brook(&args);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "the resumed demo failed:\n{text}\n{}",
        stderr(&out)
    );
    let added = number_after(&text, &format!("resuming the run in {data}: "))
        .unwrap_or_else(|| panic!("no resume line:\n{text}"));
    let committed = number_after(&text, "orders already added, ")
        .unwrap_or_else(|| panic!("no committed count:\n{text}"));
    // (Under everysec the last moment's writes before a kill may be lost, so `added`
    // can be a little below the last progress line's count: it is what the
    // directory holds.)
    assert!(
        added > 0 && added < 4000,
        "added before the kill: {added} (the last progress line said {killed_at}):\n{text}"
    );
    assert!(committed > 0, "nothing committed before the kill:\n{text}");
    for needle in [
        "orders added, over every run       4000 of 4000",
        "orders committed (effect applied)  3999 of 3999",
        "dead-lettered                      1",
        "pending                            0",
        "every order took effect exactly once",
        &format!("kept in {data}: {{orders}}"),
    ] {
        assert!(text.contains(needle), "no '{needle}' in\n{text}");
    }
    eprintln!(
        "cli: demo --data killed after {killed_at} orders added; resumed with {added} added, \
         {committed} committed; {} duplicates skipped",
        number_after(&text, "redeliveries skipped as duplicates").unwrap_or(0)
    );

    // Started on the finished run: its ledger is checked from the directory, its keys
    // removed (the four, the record, the two counters, 3999 markers), a new run starts.
    let out = brook(&["demo", "--data", &data, "--orders", "100", "--rate", RATE]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(
        text.contains(&format!(
            "{data} holds a finished run: 3999 of 3999 orders committed"
        )) && text.contains("ledger ok; removed its 7 keys and 3999 processed-markers"),
        "{text}"
    );
    assert!(
        text.contains("orders committed (effect applied)  99 of 99")
            && text.contains("orders added, over every run       100 of 100"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn data_with_another_url_is_a_usage_error() {
    let out = brook(&[
        "demo",
        "--data",
        "/nonexistent/brook",
        "--url",
        "redis://127.0.0.1:1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("it cannot be used with --url redis://127.0.0.1:1")
            && stderr(&out).contains("Usage: brook demo"),
        "{}",
        stderr(&out)
    );
    assert!(
        !std::path::Path::new("/nonexistent/brook").exists(),
        "nothing created"
    );
}

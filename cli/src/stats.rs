//! `brook stats`: groups, consumers, lag, pending and the oldest pending age of some
//! streams, as a table or as the Prometheus exposition, once or every two seconds.

use std::time::Duration;

use brook::metrics::{snapshot, Exporter, StreamMetrics};

struct Options {
    url: String,
    keys: Vec<String>,
    prometheus: bool,
    watch: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        url: "mem://".into(),
        keys: Vec::new(),
        prometheus: false,
        watch: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--url" => o.url = it.next().cloned().ok_or("--url needs a value")?,
            "--prometheus" => o.prometheus = true,
            "--watch" => o.watch = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option '{flag}'")),
            key => o.keys.push(key.to_owned()),
        }
    }
    if o.keys.is_empty() {
        return Err("name at least one stream key".into());
    }
    Ok(o)
}

pub fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let opts = parse(args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let backend = brook::connect(&opts.url).await?;
        loop {
            if opts.watch {
                print!("\x1b[2J\x1b[H");
            }
            if opts.prometheus {
                print!(
                    "{}",
                    Exporter::new(backend.clone(), &opts.keys).render().await?
                );
            } else {
                let snap = snapshot(&backend, &opts.keys).await?;
                print!("{}", table(&snap, &opts.keys));
            }
            if !opts.watch {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    })
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn secs(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1e3)
}

/// The table `brook stats` prints.
fn table(snap: &[StreamMetrics], keys: &[String]) -> String {
    let mut out = String::new();
    for key in keys {
        let Some(s) = snap.iter().find(|s| s.stream == key.as_bytes()) else {
            out.push_str(&format!("{key}: no such stream\n\n"));
            continue;
        };
        out.push_str(&format!(
            "{key}: length {}, {} entries added, last id {}, {} group(s)\n",
            s.length,
            s.entries_added,
            s.last_generated_id,
            s.groups.len()
        ));
        for g in &s.groups {
            out.push_str(&format!(
                "  group {:<16} lag {:<8} pending {:<8} oldest pending {:<10} last delivered {}\n",
                text(&g.name),
                g.lag.map_or("nil".into(), |l| l.to_string()),
                g.pending,
                g.oldest_pending_age_ms.map_or("-".into(), secs),
                g.last_delivered_id
            ));
            for c in &g.consumers {
                out.push_str(&format!(
                    "    consumer {:<20} pending {:<8} idle {:<10} inactive {}\n",
                    text(&c.name),
                    c.pending,
                    secs(c.idle_ms),
                    c.inactive_ms.map_or("-".into(), secs)
                ));
            }
        }
        out.push('\n');
    }
    out
}

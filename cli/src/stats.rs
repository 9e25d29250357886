//! `brook stats`: groups, consumers, lag, pending and the oldest pending age of some
//! streams, as a table or as the Prometheus exposition, once or every two seconds.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use brook::metrics::{snapshot, Exporter, StreamMetrics};
use brook::{Backend, Error, Streams};

/// Groups, consumers, lag, pending and the oldest pending age of streams
///
/// Exits 1 when a key names no stream (after printing what it found). With `--watch`
/// it keeps refreshing instead (a stream may appear later); on a terminal each refresh
/// replaces the last, elsewhere the blocks follow one another.
#[derive(clap::Args)]
pub struct Args {
    /// The backend: redis://host:port, or mem:// (an empty engine in this process)
    #[arg(long, value_name = "URL", default_value = "mem://")]
    url: String,
    /// Print the Prometheus exposition instead of a table
    #[arg(long)]
    prometheus: bool,
    /// Refresh every 2 seconds
    #[arg(long)]
    watch: bool,
    /// The stream keys
    #[arg(value_name = "KEY", required = true)]
    keys: Vec<String>,
}

/// The keys that name no stream.
async fn missing(backend: &Backend, keys: &[String]) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for key in keys {
        match backend.xinfo_stream(key.as_bytes()).await {
            Ok(_) => {}
            Err(Error::NoSuchKey) => out.push(key.clone()),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

pub fn run(opts: Args) -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let tty = std::io::stdout().is_terminal();
    rt.block_on(async {
        let backend = crate::connect(&opts.url).await?;
        let mut refresh = 0u64;
        loop {
            refresh += 1;
            let block = if opts.prometheus {
                Exporter::new(backend.clone(), &opts.keys).render().await?
            } else {
                let snap = snapshot(&backend, &opts.keys).await?;
                table(&snap, &opts.keys)
            };
            let mut out = std::io::stdout().lock();
            if opts.watch && tty {
                // Clear the screen, cursor home: each refresh replaces the last.
                write!(out, "\x1b[2J\x1b[H")?;
            } else if opts.watch {
                writeln!(out, "# refresh {refresh}, every 2 s")?;
            }
            write!(out, "{block}")?;
            out.flush()?;
            drop(out);
            if !opts.watch {
                let missing = missing(&backend, &opts.keys).await?;
                if missing.is_empty() {
                    return Ok(());
                }
                let hint = if opts.url.starts_with("mem://") {
                    " (mem:// is an empty engine in this process: point --url at a server)"
                } else {
                    ""
                };
                return Err(format!(
                    "no such stream at {}: {}{hint}",
                    opts.url,
                    missing.join(", ")
                )
                .into());
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

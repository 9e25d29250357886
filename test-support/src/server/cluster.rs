//! [`ClusterGuard`]: a private three-master Redis Cluster (no replicas) for one test,
//! built from three [`ServerGuard`]s: slots split in thirds, nodes introduced with
//! CLUSTER MEET, ready once every node reports `cluster_state:ok`.

use std::time::{Duration, Instant};

use super::{ServerGuard, ServerKind};
use crate::resp::Frame;

/// Three cluster-enabled servers that together serve all 16384 slots.
#[derive(Debug)]
pub struct ClusterGuard {
    nodes: Vec<ServerGuard>,
}

fn text(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Error(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        other => format!("{other:?}"),
    }
}

impl ClusterGuard {
    /// Starts the cluster, or returns `None` (after a `SKIP:` line) when the server
    /// binary is missing and not required. Panics when the cluster does not form.
    pub fn start(kind: ServerKind) -> Option<ClusterGuard> {
        let mut nodes = Vec::new();
        for _ in 0..3 {
            nodes.push(ServerGuard::start_with(
                kind,
                &["--cluster-enabled", "yes", "--cluster-node-timeout", "5000"],
            )?);
        }
        let ranges = [(0, 5460), (5461, 10922), (10923, 16383)];
        for (node, (lo, hi)) in nodes.iter().zip(ranges) {
            let mut c = node.connect();
            let slots: Vec<String> = (lo..=hi).map(|s: u32| s.to_string()).collect();
            let mut argv: Vec<&str> = vec!["CLUSTER", "ADDSLOTS"];
            argv.extend(slots.iter().map(String::as_str));
            let r = c.call_str(&argv);
            assert_eq!(text(&r), "OK", "CLUSTER ADDSLOTS on port {}", node.port());
        }
        let first = nodes[0].port().to_string();
        for node in &nodes[1..] {
            let r = node
                .connect()
                .call_str(&["CLUSTER", "MEET", "127.0.0.1", &first]);
            assert_eq!(text(&r), "OK", "CLUSTER MEET");
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        for node in &nodes {
            let mut c = node.connect();
            loop {
                let info = text(&c.call_str(&["CLUSTER", "INFO"]));
                if info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3") {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the cluster did not form: {info}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Some(ClusterGuard { nodes })
    }

    /// The nodes.
    pub fn nodes(&self) -> &[ServerGuard] {
        &self.nodes
    }

    /// `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        format!("redis+cluster://{}", hosts.join(","))
    }

    /// Runs `argv` on every node (e.g. FLUSHALL before a case).
    pub fn on_every_node(&self, argv: &[&str]) {
        for node in &self.nodes {
            node.connect().call_str(argv);
        }
    }
}

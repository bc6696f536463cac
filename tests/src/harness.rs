//! Starting the real binaries on 127.0.0.1 for end-to-end tests, the crash
//! loop and the load generator.
//!
//! Binaries are found beside the current executable (`target/<profile>/`),
//! since `CARGO_BIN_EXE_*` only covers a test's own package. Child output
//! goes to a log file in the test's directory and is printed only when a
//! test fails (see [`Child::dump_log`]).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// The directory holding the workspace's binaries.
pub fn bin_dir() -> PathBuf {
    if let Ok(d) = std::env::var("ASHLOG_BIN_DIR") {
        return PathBuf::from(d);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    // Test executables live in target/<profile>/deps.
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

/// Builds the workspace's binaries once per process when running under
/// cargo. `cargo test --workspace` compiles other packages' binaries only as
/// unit-test harnesses, so on a fresh clone `target/debug/ashlog-server`
/// would not exist, and on a developer's machine it could be stale. Cargo
/// releases its build lock before running tests, so the nested build is
/// safe; outside cargo (the crash loop, the load generator) the binaries
/// must already be built and are only checked for.
fn ensure_built() -> anyhow::Result<()> {
    static BUILT: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let result = BUILT.get_or_init(|| {
        if std::env::var_os("ASHLOG_BIN_DIR").is_some() {
            return Ok(());
        }
        let Some(cargo) = std::env::var_os("CARGO") else {
            return Ok(());
        };
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut cmd = Command::new(cargo);
        cmd.arg("build")
            .arg("--quiet")
            .arg("--manifest-path")
            .arg(workspace.join("Cargo.toml"))
            .args([
                "-p",
                "ashlog-server",
                "-p",
                "ashlog-witness",
                "-p",
                "ashlog-cli",
            ])
            .arg("--bins");
        if bin_dir().ends_with("release") {
            cmd.arg("--release");
        }
        match cmd.status() {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(format!("building the binaries failed ({s})")),
            Err(e) => Err(format!("could not run cargo to build the binaries: {e}")),
        }
    });
    result.clone().map_err(anyhow::Error::msg)
}

/// Path of a workspace binary, built if running under cargo, checked to
/// exist.
pub fn bin(name: &str) -> anyhow::Result<PathBuf> {
    ensure_built()?;
    let p = bin_dir().join(name);
    if !p.exists() {
        bail!(
            "{} not found: build it first (cargo build --workspace{})",
            p.display(),
            if bin_dir().ends_with("release") {
                " --release"
            } else {
                ""
            }
        );
    }
    Ok(p)
}

/// A free TCP port on 127.0.0.1 (bound and released; a race with another
/// process is possible but harmless in tests, which retry binding).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// A child process whose output is captured to a file.
pub struct Child {
    /// Name for messages.
    pub name: String,
    /// The process.
    pub process: std::process::Child,
    /// Its log file.
    pub log: PathBuf,
}

impl Child {
    /// Starts `program args...` in `dir`, output to `dir/<name>.log`
    /// (appended, so restarts keep history).
    pub fn spawn(name: &str, program: &Path, args: &[&str], dir: &Path) -> anyhow::Result<Child> {
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
        let err = out.try_clone()?;
        let process = Command::new(program)
            .args(args)
            .current_dir(dir)
            .env(
                "ASHLOG_LOG",
                std::env::var("ASHLOG_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        Ok(Child {
            name: name.into(),
            process,
            log,
        })
    }

    /// SIGKILL, no goodbye.
    pub fn kill9(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    /// SIGTERM and wait (up to 20 s, then SIGKILL).
    pub fn terminate(&mut self) {
        #[cfg(unix)]
        {
            let pid = self.process.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.process.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        self.kill9();
    }

    /// Whether it is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.process.try_wait(), Ok(None))
    }

    /// Prints its log (for failing tests).
    pub fn dump_log(&self) {
        if let Ok(s) = std::fs::read_to_string(&self.log) {
            eprintln!(
                "----- {} log ({}) -----\n{s}\n----- end {} -----",
                self.name,
                self.log.display(),
                self.name
            );
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Polls `url` until it answers 200, or fails after `timeout`.
pub fn wait_healthy(url: &str, timeout: Duration, child: &mut Child) -> anyhow::Result<()> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if !child.alive() {
            child.dump_log();
            bail!("{} exited before becoming healthy", child.name);
        }
        if let Ok(r) = client.get(url).send()
            && r.status().is_success()
        {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.dump_log();
    bail!(
        "{} did not become healthy at {url} within {timeout:?}",
        child.name
    )
}

//! The data dir: where all embedded state lives, locked by one host at a time.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
/// The embedded database's file in the data dir.
pub const DATABASE_FILE: &str = "homeguard.db";

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rand::RngCore;

/// An open, exclusively locked data dir. The lock is held until this value
/// is dropped (or the process dies, when the OS releases it).
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    _lock: File,
}

const LOCK_FILE: &str = "homeguard.lock";
const SECRET_FILE: &str = "jwt.secret";

impl DataDir {
    /// Creates the dir if needed and takes its lock; fails at once when
    /// another process holds it.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(path).with_context(|| format!("creating data dir {}", path.display()))?;
        let path = path.canonicalize().with_context(|| format!("resolving data dir {}", path.display()))?;
        let lock_path = path.join(LOCK_FILE);
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .with_context(|| format!("opening {}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = lock.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() { String::new() } else { format!(" (pid {holder})") };
                bail!(
                    "data dir {} is already in use by another HomeGuard process{who}; stop it or choose another --data-dir",
                    path.display()
                );
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", lock_path.display()));
            }
        }
        lock.set_len(0)?;
        write!(lock, "{}", std::process::id())?;
        lock.flush()?;
        Ok(Self { path, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn database_path(&self) -> PathBuf {
        self.path.join(DATABASE_FILE)
    }

    /// The JWT secret: the configured one, else the one kept in the data dir,
    /// else a new random one written there (readable by the owner only).
    pub fn jwt_secret(&self, configured: Option<&str>) -> anyhow::Result<Vec<u8>> {
        if let Some(secret) = configured {
            if secret.len() < 32 {
                bail!("JWT_SECRET must be at least 32 characters");
            }
            return Ok(secret.as_bytes().to_vec());
        }
        let file = self.path.join(SECRET_FILE);
        match std::fs::read_to_string(&file) {
            Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().as_bytes().to_vec()),
            Ok(_) => bail!("{} is too short to be a JWT secret; delete it to generate a new one", file.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = hex::encode(bytes);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&file).with_context(|| format!("creating {}", file.display()))?;
        f.write_all(secret.as_bytes())?;
        f.sync_all()?;
        tracing::info!(path = %file.display(), "generated a JWT secret");
        Ok(secret.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_open_fails_while_the_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDir::open(dir.path()).unwrap();
        let err = DataDir::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("already in use"), "{err}");
        assert!(err.contains(&std::process::id().to_string()), "names the holder: {err}");
        drop(first);
        DataDir::open(dir.path()).expect("free again once dropped");
    }

    #[test]
    fn the_generated_secret_is_kept_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let d = DataDir::open(dir.path()).unwrap();
        let a = d.jwt_secret(None).unwrap();
        let b = d.jwt_secret(None).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "secret readable by others: {mode:o}");
        }
        assert_eq!(d.jwt_secret(Some(&"s".repeat(40))).unwrap(), "s".repeat(40).into_bytes());
        assert!(d.jwt_secret(Some("short")).is_err());
    }
}

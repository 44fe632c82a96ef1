//! A real SMTP server (Python's aiosmtpd) writing what it accepts into a
//! Maildir, and the messages read back from it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A real SMTP server writing what it accepts into a Maildir.
pub async fn smtp_server(maildir: &Path) -> (Child, u16) {
    let port = free_port();
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .kill_on_drop(true)
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "aiosmtpd did not start: `python3 -m pip install aiosmtpd` (scripts/test installs it)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, port)
}

/// The messages in a Maildir, each as its header lines, oldest first.
pub fn mails(maildir: &Path) -> Vec<Vec<String>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(maildir.join("new"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort_by_key(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok());
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.lines().take_while(|l| !l.is_empty()).map(str::to_owned).collect()
        })
        .collect()
}

/// The acknowledgement links' tokens in the messages, oldest first, each
/// with the message's `To` (quoted-printable undone: a link is a long line).
pub fn ack_tokens(maildir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(maildir.join("new"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort_by_key(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok());
    let mut out = vec![];
    for f in files {
        let text = std::fs::read_to_string(f).unwrap().replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
        let to = text.lines().find_map(|l| l.strip_prefix("To: ")).unwrap_or_default().to_owned();
        if let Some((_, rest)) = text.split_once("/ack?token=") {
            let token: String =
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
            out.push((to, token));
        }
    }
    out
}

pub fn header<'a>(mail: &'a [String], name: &str) -> Option<&'a str> {
    let prefix = format!("{name}: ");
    mail.iter().find_map(|l| l.strip_prefix(&prefix))
}

pub async fn mails_until(maildir: &Path, n: usize) -> Vec<Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let m = mails(maildir);
        if m.len() >= n {
            return m;
        }
        assert!(Instant::now() < deadline, "waited for {n} e-mails, have {}", m.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

//! What the platform sends out of itself: JSON webhooks over http(s) (n8n,
//! a household's own receiver) and e-mail over SMTP (`SMTP_URL`). Each
//! delivery is retried with the delivery policy's backoff while the
//! receiver is unreachable, and goes through a breaker per receiver, so a
//! dead receiver fails at once instead of holding every delivery for its
//! timeout. A receiver that answers "no" (a 4xx, a refused recipient) is
//! not retried: asking again would get the same answer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use homeguard_domain::dc09;
use homeguard_ports::Breaker;
use homeguard_ports::error::{StoreError, StoreResult};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use crate::function::DELIVERY;

/// How a delivery went: how many attempts it took and what the receiver
/// said (or why it could not be reached).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempted {
    pub attempts: u32,
    pub detail: String,
}

/// A delivery's outcome: delivered, or failed for good.
pub type Outcome = Result<Attempted, Attempted>;

/// The SMTP relay e-mail goes through.
struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    breaker: Breaker,
}

/// The process's way out: one HTTP client, the SMTP relay when one is
/// configured, and the breakers of the receivers it has called.
pub struct Outbound {
    http: reqwest::Client,
    mailer: Option<Mailer>,
    n8n: Option<String>,
    public_url: String,
    monitoring: Option<Monitoring>,
    breakers: Mutex<HashMap<String, Arc<Breaker>>>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound").field("mail", &self.mailer.is_some()).finish_non_exhaustive()
    }
}

/// Makes ring the process's TLS provider (the one sqlx and mongodb bring):
/// https clients built without naming one use it.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Outbound {
    /// `smtp_url` names the relay: `smtp://host:port` (plain),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://host:465`,
    /// with `user:password@` when it needs a login; `from` is the sender
    /// (`HomeGuard <alerts@example.com>`).
    pub fn new(smtp_url: Option<&str>, from: &str) -> Result<Self, String> {
        install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("HomeGuard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("the HTTP client could not be built: {e}"))?;
        let mailer = match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("SMTP_URL is not a valid smtp:// or smtps:// URL: {e}"))?
                    .timeout(Some(Duration::from_secs(10)))
                    .build();
                let from = from.parse().map_err(|e| format!("SMTP_FROM is not an address ({from:?}): {e}"))?;
                Some(Mailer { transport, from, breaker: Breaker::new("smtp") })
            }
        };
        Ok(Self {
            http,
            mailer,
            n8n: None,
            public_url: "http://localhost:8080".into(),
            monitoring: None,
            breakers: Mutex::default(),
        })
    }

    /// Where people reach the app (`PUBLIC_URL`; unset: this machine's `port`).
    pub fn with_public_url(mut self, url: Option<&str>, port: u16) -> Result<Self, String> {
        self.public_url = match url.map(|u| u.trim().trim_end_matches('/')).filter(|u| !u.is_empty()) {
            None => format!("http://localhost:{port}"),
            Some(u) if (u.starts_with("http://") || u.starts_with("https://")) && reqwest::Url::parse(u).is_ok() => {
                u.to_owned()
            }
            Some(u) => return Err(format!("PUBLIC_URL must be an http(s) URL, not {u:?}")),
        };
        Ok(self)
    }

    /// The address of the app's `path` (which starts with `/`) for people to open.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// Where n8n's webhooks are (`N8N_WEBHOOK_BASE`, e.g. `http://n8n:5678/webhook`).
    pub fn with_n8n(mut self, base: Option<&str>) -> Result<Self, String> {
        self.n8n = match base.map(|b| b.trim().trim_end_matches('/')).filter(|b| !b.is_empty()) {
            None => None,
            Some(b) if b.starts_with("http://") || b.starts_with("https://") => Some(b.to_owned()),
            Some(b) => return Err(format!("N8N_WEBHOOK_BASE must be an http(s) URL, not {b:?}")),
        };
        Ok(self)
    }

    /// The central station's SIA DC-09 receiver (`host:port`), the home's
    /// account there and, for an encrypted line, its key.
    pub fn with_monitoring(
        mut self,
        receiver: Option<&str>,
        account: Option<&str>,
        key: Option<&str>,
    ) -> Result<Self, String> {
        let Some(receiver) = receiver.map(str::trim).filter(|r| !r.is_empty()) else {
            return Ok(self);
        };
        if receiver.rsplit_once(':').is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err()) {
            return Err(format!("MONITORING_DC09 must be host:port, not {receiver:?}"));
        }
        let account = account.ok_or("MONITORING_DC09 is set: MONITORING_ACCOUNT must be too")?;
        let account = dc09::Account::new(account, key).map_err(|e| e.to_string())?;
        self.monitoring = Some(Monitoring {
            receiver: receiver.to_owned(),
            account,
            sequence: AtomicU16::new(1),
            breaker: Breaker::new("monitoring"),
        });
        Ok(self)
    }

    /// Where reports go (none: the platform's own log is the monitoring).
    pub fn monitoring_receiver(&self) -> Option<&str> {
        self.monitoring.as_ref().map(|m| m.receiver.as_str())
    }

    /// Sends one DC-09 message to the central station and waits for its
    /// answer: each attempt with the next sequence number and the wall
    /// clock's time; a NAK or no answer is tried again, a DUH (a code the
    /// receiver does not take) is not.
    pub async fn report(&self, payload: dc09::Payload) -> Outcome {
        let Some(m) = &self.monitoring else {
            return Err(Attempted {
                attempts: 0,
                detail: "no monitoring center is configured (MONITORING_DC09)".into(),
            });
        };
        retried(&m.breaker, || async {
            let sequence = m.next();
            let frame = dc09::encode(&m.account, sequence, payload, chrono::Utc::now());
            let raw = tokio::time::timeout(Duration::from_secs(10), exchange(&m.receiver, &frame))
                .await
                .map_err(|_| StoreError::Unavailable(format!("{} did not answer within 10 s", m.receiver)))?
                .map_err(|e| StoreError::Unavailable(format!("{}: {e}", m.receiver)))?;
            match dc09::answer(&m.account, sequence, &raw) {
                Ok(dc09::Answer::Ack) => Ok(format!("ACK (sequence {sequence})")),
                Ok(dc09::Answer::Duh) => Err(StoreError::Backend(format!(
                    "DUH: the receiver does not take this event (sequence {sequence})"
                ))),
                Ok(dc09::Answer::Nak) => Err(StoreError::Unavailable(format!("NAK (sequence {sequence})"))),
                Err(e) => Err(StoreError::Unavailable(e)),
            }
        })
        .await
    }

    /// The URL of an n8n workflow's webhook path (none: no n8n configured).
    pub fn n8n_url(&self, workflow: &str) -> Option<String> {
        self.n8n.as_ref().map(|base| format!("{base}/{}", workflow.trim_start_matches('/')))
    }

    /// No SMTP relay: e-mail deliveries fail as not configured.
    pub fn without_mail() -> Self {
        Self::new(None, "").unwrap_or_else(|e| panic!("{e}"))
    }

    /// Whether e-mail can be sent.
    pub fn mail_configured(&self) -> bool {
        self.mailer.is_some()
    }

    fn breaker(&self, url: &str) -> Arc<Breaker> {
        let receiver = url.split('/').take(3).collect::<Vec<_>>().join("/");
        let mut map = self.breakers.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(receiver).or_insert_with(|| Arc::new(Breaker::new("webhook"))).clone()
    }

    /// POSTs a JSON body with extra headers (a signature, a delivery id).
    pub async fn post_json(&self, url: &str, body: &[u8], headers: &[(&str, String)]) -> Outcome {
        let breaker = self.breaker(url);
        retried(&breaker, || async {
            let mut request = self.http.post(url).header("content-type", "application/json").body(body.to_vec());
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            let status = request.send().await.map_err(|e| StoreError::Unavailable(error_chain(&e)))?.status();
            match status.as_u16() {
                200..=299 => Ok(format!("answered {status}")),
                408 | 429 | 500.. => Err(StoreError::Unavailable(format!("answered {status}"))),
                _ => Err(StoreError::Backend(format!("answered {status}"))),
            }
        })
        .await
    }

    /// Sends a plain-text e-mail. Its Message-ID derives from `id`, so a
    /// resend after a crash is recognisably the same message.
    pub async fn email(&self, to: &str, subject: &str, text: &str, id: Uuid) -> Outcome {
        let Some(mailer) = &self.mailer else {
            return Err(Attempted { attempts: 0, detail: "e-mail is not configured (SMTP_URL is unset)".into() });
        };
        let message = to
            .parse::<Mailbox>()
            .map_err(|e| e.to_string())
            .and_then(|to| {
                Message::builder()
                    .from(mailer.from.clone())
                    .to(to)
                    .subject(subject)
                    .message_id(Some(format!("<{id}@homeguard>")))
                    .header(ContentType::TEXT_PLAIN)
                    .body(text.to_owned())
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| Attempted { attempts: 0, detail: format!("not an e-mail for {to:?}: {e}") })?;
        retried(&mailer.breaker, || async {
            match mailer.transport.send(message.clone()).await {
                Ok(response) => Ok(format!("accepted by the relay ({})", response.code())),
                Err(e) if e.is_permanent() => {
                    Err(StoreError::Backend(format!("refused by the relay: {}", error_chain(&e))))
                }
                Err(e) => Err(StoreError::Unavailable(error_chain(&e))),
            }
        })
        .await
    }
}

/// The line to the central station.
struct Monitoring {
    receiver: String,
    account: dc09::Account,
    sequence: AtomicU16,
    breaker: Breaker,
}

impl Monitoring {
    /// 1 to 9999, then 1 again.
    fn next(&self) -> u16 {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        (n - 1) % 9999 + 1
    }
}

/// One message out and its answer in (up to the receiver's `CR`).
async fn exchange(receiver: &str, frame: &[u8]) -> std::io::Result<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(receiver).await?;
    stream.write_all(frame).await?;
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !got.contains(&b'\r') && got.len() < 4096 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    Ok(got)
}

/// Calls `attempt` through the breaker, again after each backoff while the
/// receiver is unreachable.
async fn retried<F, Fut>(breaker: &Breaker, attempt: F) -> Outcome
where
    F: Fn() -> Fut,
    Fut: Future<Output = StoreResult<String>>,
{
    let mut attempts = 0;
    loop {
        if attempts > 0 {
            tokio::time::sleep(DELIVERY.backoff(attempts - 1)).await;
        }
        attempts += 1;
        match breaker.call(attempt()).await {
            Ok(detail) => return Ok(Attempted { attempts, detail }),
            // An open breaker would refuse the retries too: give up now.
            Err(e) if e.is_retryable() && attempts <= DELIVERY.retries && !breaker.is_open() => {}
            Err(StoreError::Unavailable(e) | StoreError::Backend(e)) => return Err(Attempted { attempts, detail: e }),
            Err(e) => return Err(Attempted { attempts, detail: e.to_string() }),
        }
    }
}

/// An error and its causes, one line ("connection refused" is a cause).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_receiver_is_retried_then_reported() {
        let out = Outbound::without_mail();
        // Nothing listens on port 9 of localhost: each attempt is refused.
        let failed = out.post_json("http://127.0.0.1:9/hook", b"{}", &[]).await.unwrap_err();
        assert_eq!(failed.attempts, DELIVERY.retries + 1);
        assert!(failed.detail.to_lowercase().contains("connect"), "{failed:?}");
    }

    #[test]
    fn links_point_at_the_public_url() {
        let o = Outbound::without_mail().with_public_url(None, 9000).unwrap();
        assert_eq!(o.link("/ack?t=1"), "http://localhost:9000/ack?t=1");
        let o = Outbound::without_mail().with_public_url(Some(" https://home.example.org/ "), 9000).unwrap();
        assert_eq!(o.link("/ack"), "https://home.example.org/ack");
        assert!(
            Outbound::without_mail().with_public_url(Some("home.example.org"), 1).unwrap_err().contains("PUBLIC_URL")
        );
    }

    #[tokio::test]
    async fn mail_without_a_relay_says_so() {
        let failed = Outbound::without_mail().email("john@demo.com", "Hi", "text", Uuid::nil()).await.unwrap_err();
        assert_eq!(failed.attempts, 0);
        assert!(failed.detail.contains("SMTP_URL"));
    }

    #[tokio::test]
    async fn bad_relay_settings_are_named() {
        assert!(Outbound::new(Some("http://mail"), "a@b.c").unwrap_err().contains("SMTP_URL"));
        assert!(Outbound::new(Some("smtp://127.0.0.1:2525"), "not an address").unwrap_err().contains("SMTP_FROM"));
        assert!(
            Outbound::new(Some("smtp://127.0.0.1:2525"), "HomeGuard <alerts@example.com>").unwrap().mail_configured()
        );
    }
}

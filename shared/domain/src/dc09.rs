//! SIA DC-09, the IP transport central stations receive alarms over, with
//! Contact ID (ADM-CID) as its payload: framing (CRC-16, length, sequence,
//! receiver and line, account), the optional AES-CBC encryption of the
//! payload, the supervision message (`NULL`), and the receiver's answers
//! (`ACK`, `NAK`, `DUH`).
//!
//! A frame is `LF crc(4 hex) len(4 hex) "id"seq R0 L0 #acct [data] CR`;
//! the CRC (CRC-16/ARC) and the length cover everything from the first `"`
//! to the end of the data. Contact ID data is `#acct|QEEE GG ZZZ]` then
//! `_HH:MM:SS,MM-DD-YYYY` (UTC): Q the qualifier (1 new event, 3 restore,
//! 6 status), EEE the event code, GG the partition, ZZZ the zone or user.
//! Encrypted, the id gains a `*` and the data (from after `[`) is padded at
//! its front to whole blocks, its padding ended by `|`, encrypted with a
//! zero IV and sent as hex.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use chrono::{DateTime, Utc};

use crate::error::DomainError;

/// A monitoring account: its number at the central station (3 to 16 hex
/// digits) and, when the line is encrypted, its AES key (16, 24 or 32
/// characters, used as they are, as receivers take them).
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub number: String,
    key: Option<Vec<u8>>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account").field("number", &self.number).field("encrypted", &self.key.is_some()).finish()
    }
}

impl Account {
    pub fn new(number: &str, key: Option<&str>) -> Result<Self, DomainError> {
        let number = number.trim().to_ascii_uppercase();
        if !(3..=16).contains(&number.len()) || !number.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(DomainError::invalid("MONITORING_ACCOUNT", "must be 3 to 16 hex digits"));
        }
        let key = match key.map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(k) if [16, 24, 32].contains(&k.len()) && k.chars().all(|c| c.is_ascii_hexdigit()) => {
                Some(k.as_bytes().to_vec())
            }
            Some(_) => return Err(DomainError::invalid("MONITORING_KEY", "must be 16, 24 or 32 hex characters")),
        };
        Ok(Self { number, key })
    }

    pub fn encrypted(&self) -> bool {
        self.key.is_some()
    }
}

/// One alarm signal as reported to monitoring, and how the central
/// station took it (or, with none configured, the platform's own log).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    /// The alarm log entry's id: each is reported once.
    pub id: uuid::Uuid,
    pub user_id: uuid::Uuid,
    /// Contact ID event code and qualifier (1 new, 3 restore, 6 status).
    pub code: u16,
    pub qualifier: u8,
    pub zone: u16,
    pub text: String,
    /// When the alarm logged it, and when the report went out.
    pub at: DateTime<Utc>,
    pub sent_at: DateTime<Utc>,
    /// `acknowledged`, `refused` (DUH), `failed`, or `local` (no central station).
    pub status: String,
    pub attempts: u32,
    pub detail: String,
}

/// What a message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// A Contact ID event.
    Event { qualifier: u8, code: u16, partition: u8, zone: u16 },
    /// Supervision: "the line and the panel are alive".
    Null,
}

/// The CRC-16/ARC of DC-09 (polynomial 0xA001 reflected, initial 0).
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut crc = 0u16;
    for b in bytes {
        crc ^= u16::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xA001 } else { crc >> 1 };
        }
    }
    crc
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("_%H:%M:%S,%m-%d-%Y").to_string()
}

fn frame(body: &str) -> Vec<u8> {
    format!("\n{:04X}{:04X}{body}\r", crc16(body.as_bytes()), body.len()).into_bytes()
}

fn encrypt(key: &[u8], plain: &[u8]) -> Vec<u8> {
    let iv = [0u8; 16];
    match key.len() {
        16 => cbc::Encryptor::<aes::Aes128>::new_from_slices(key, &iv)
            .map(|c| c.encrypt_padded_vec_mut::<NoPadding>(plain)),
        24 => cbc::Encryptor::<aes::Aes192>::new_from_slices(key, &iv)
            .map(|c| c.encrypt_padded_vec_mut::<NoPadding>(plain)),
        _ => cbc::Encryptor::<aes::Aes256>::new_from_slices(key, &iv)
            .map(|c| c.encrypt_padded_vec_mut::<NoPadding>(plain)),
    }
    .unwrap_or_default()
}

fn decrypt(key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let iv = [0u8; 16];
    match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, &iv)
            .ok()?
            .decrypt_padded_vec_mut::<NoPadding>(data)
            .ok(),
        24 => cbc::Decryptor::<aes::Aes192>::new_from_slices(key, &iv)
            .ok()?
            .decrypt_padded_vec_mut::<NoPadding>(data)
            .ok(),
        _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, &iv)
            .ok()?
            .decrypt_padded_vec_mut::<NoPadding>(data)
            .ok(),
    }
}

/// One message as sent: `sequence` is 1 to 9999, `at` the wall clock
/// (receivers refuse a timestamp off by more than tens of seconds).
pub fn encode(account: &Account, sequence: u16, payload: Payload, at: DateTime<Utc>) -> Vec<u8> {
    let acct = &account.number;
    let (id, data) = match payload {
        Payload::Event { qualifier, code, partition, zone } => {
            ("ADM-CID", format!("#{acct}|{qualifier}{:03} {:02} {:03}]", code % 1000, partition % 100, zone % 1000))
        }
        Payload::Null => ("NULL", "]".to_owned()),
    };
    let head = format!("{:04}R0L0#{acct}[", sequence % 10000);
    let data = format!("{data}{}", stamp(at));
    match &account.key {
        None => frame(&format!("\"{id}\"{head}{data}")),
        Some(key) => {
            // Padding at the front, ended by `|`, to whole AES blocks.
            let pad = 16 - (data.len() + 1) % 16;
            let plain = format!("{}|{data}", "0".repeat(pad % 16));
            frame(&format!("\"*{id}\"{head}{}", hex::encode_upper(encrypt(key, plain.as_bytes()))))
        }
    }
}

/// What the receiver answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Accepted.
    Ack,
    /// Refused as malformed (a bad CRC, a timestamp off): send it again.
    Nak,
    /// Understood but not supported (an event code it does not know).
    Duh,
}

/// Reads a receiver's answer to the message with `sequence`.
pub fn answer(account: &Account, sequence: u16, raw: &[u8]) -> Result<Answer, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "the answer is not ASCII".to_owned())?;
    let text = text.trim_matches(|c: char| c == '\n' || c == '\r' || c == '\0');
    if text.len() < 8 {
        return Err(format!("a short answer: {text:?}"));
    }
    let (head, body) = text.split_at(8);
    let crc = u16::from_str_radix(&head[..4], 16).map_err(|_| format!("no CRC in {text:?}"))?;
    if crc != crc16(body.as_bytes()) {
        return Err(format!("the answer's CRC is wrong: {text:?}"));
    }
    let kind = body.strip_prefix('"').and_then(|b| b.split_once('"'));
    let Some((kind, rest)) = kind else { return Err(format!("no message id in {text:?}")) };
    let answer = match kind.trim_start_matches('*') {
        "ACK" => Answer::Ack,
        "NAK" => return Ok(Answer::Nak),
        "DUH" => Answer::Duh,
        other => return Err(format!("an unexpected answer {other:?}")),
    };
    let seq: u16 = rest.get(..4).and_then(|s| s.parse().ok()).ok_or_else(|| format!("no sequence in {text:?}"))?;
    if seq != sequence % 10000 {
        return Err(format!("the answer is to message {seq}, not {sequence}"));
    }
    if kind.starts_with('*') {
        // An encrypted answer: its data must decrypt under our key.
        let (Some(key), Some((_, hex_data))) = (&account.key, rest.split_once('[')) else {
            return Err("an encrypted answer on a clear line".into());
        };
        let plain = hex::decode(hex_data).ok().and_then(|d| decrypt(key, &d));
        if plain.is_none_or(|p| !p.contains(&b']')) {
            return Err("the encrypted answer does not decrypt under the account's key".into());
        }
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 14, 5, 9).unwrap()
    }

    #[test]
    fn the_crc_is_crc16_arc() {
        // The standard check value of CRC-16/ARC.
        assert_eq!(crc16(b"123456789"), 0xBB3D);
    }

    #[test]
    fn a_clear_contact_id_message_is_framed_as_dc09() {
        let acct = Account::new("1a2b", None).unwrap();
        let msg = encode(&acct, 7, Payload::Event { qualifier: 1, code: 130, partition: 1, zone: 3 }, at());
        let text = String::from_utf8(msg).unwrap();
        let body = "\"ADM-CID\"0007R0L0#1A2B[#1A2B|1130 01 003]_14:05:09,12-01-2026";
        assert_eq!(text, format!("\n{:04X}{:04X}{body}\r", crc16(body.as_bytes()), body.len()));
        let null = String::from_utf8(encode(&acct, 8, Payload::Null, at())).unwrap();
        assert!(null.ends_with("\"NULL\"0008R0L0#1A2B[]_14:05:09,12-01-2026\r"), "{null:?}");
    }

    #[test]
    fn an_encrypted_message_hides_its_data_in_whole_blocks() {
        let acct = Account::new("1A2B", Some("0123456789ABCDEF")).unwrap();
        let text = String::from_utf8(encode(
            &acct,
            9,
            Payload::Event { qualifier: 1, code: 121, partition: 1, zone: 0 },
            at(),
        ))
        .unwrap();
        let body = &text.trim()[8..];
        assert!(body.starts_with("\"*ADM-CID\"0009R0L0#1A2B["), "{body}");
        let data = hex::decode(body.split_once('[').unwrap().1).unwrap();
        assert_eq!(data.len() % 16, 0);
        let plain = String::from_utf8(decrypt(b"0123456789ABCDEF", &data).unwrap()).unwrap();
        assert!(plain.ends_with("|#1A2B|1121 01 000]_14:05:09,12-01-2026"), "{plain}");
        assert!(!plain[..plain.find('|').unwrap()].contains(['[', ']']));
    }

    #[test]
    fn answers_are_checked() {
        let acct = Account::new("1A2B", None).unwrap();
        let reply = |body: &str| format!("\n{:04X}{:04X}{body}\r", crc16(body.as_bytes()), body.len()).into_bytes();
        assert_eq!(answer(&acct, 7, &reply("\"ACK\"0007R0L0#1A2B[]")), Ok(Answer::Ack));
        assert_eq!(answer(&acct, 7, &reply("\"DUH\"0007R0L0#1A2B[]")), Ok(Answer::Duh));
        assert_eq!(answer(&acct, 7, &reply("\"NAK\"0000R0L0A0[]_14:05:09,12-01-2026")), Ok(Answer::Nak));
        assert!(answer(&acct, 8, &reply("\"ACK\"0007R0L0#1A2B[]")).is_err(), "another message's");
        let mut bad = reply("\"ACK\"0007R0L0#1A2B[]");
        bad[3] = if bad[3] == b'0' { b'1' } else { b'0' };
        assert!(answer(&acct, 7, &bad).is_err(), "a wrong CRC");
    }

    #[test]
    fn accounts_and_keys_are_checked() {
        assert!(Account::new("12", None).is_err());
        assert!(Account::new("XYZ1", None).is_err());
        assert!(Account::new("1A2B", Some("short")).is_err());
        assert!(Account::new("1A2B", Some("0123456789ABCDEF01234567")).unwrap().encrypted());
        assert!(
            !format!("{:?}", Account::new("1A2B", Some("0123456789ABCDEF")).unwrap()).contains("0123"),
            "the key never prints"
        );
    }
}

//! Links that acknowledge an incident: what an alarm's e-mail carries so
//! that the person it reached can say "I've seen it" from their phone,
//! without logging in. Acknowledging stops the escalation (see the
//! security response).

use chrono::{DateTime, Duration, Utc};
use homeguard_runtime::FnError;
use homeguard_runtime::auth::{ACK_AUDIENCE, AckClaims, AuthKeys, issue_ack};
use homeguard_runtime::outbound::Outbound;
use uuid::Uuid;

/// How long a link acknowledges for: an incident lasts minutes; a link
/// read the next morning has nothing left to stop.
pub const LINK_LIFETIME: Duration = Duration::hours(24);

/// The app's page that acknowledges `incident` of `home` for `by` (a
/// member's or an emergency contact's name and id), signed, valid for
/// [`LINK_LIFETIME`] from `now` (the wall clock).
pub fn ack_link(
    keys: &AuthKeys,
    outbound: &Outbound,
    home: Uuid,
    incident: Uuid,
    by: (&str, Uuid),
    now: DateTime<Utc>,
) -> Result<String, FnError> {
    let claims = AckClaims {
        aud: ACK_AUDIENCE.to_owned(),
        sub: home,
        inc: incident,
        by: by.0.to_owned(),
        by_id: by.1,
        iat: now.timestamp(),
        exp: (now + LINK_LIFETIME).timestamp(),
    };
    Ok(outbound.link(&format!("/ack?token={}", issue_ack(keys, &claims)?)))
}

#[cfg(test)]
mod tests {
    use homeguard_runtime::auth::verify_ack;

    use super::*;

    #[test]
    fn a_link_names_the_incident_and_whom_it_was_sent_to() {
        let keys = AuthKeys::new(b"a-test-secret-a-test-secret-abcd", Duration::hours(1));
        let out = Outbound::without_mail().with_public_url(Some("https://home.example.org"), 8080).unwrap();
        let (home, incident, sarah) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let now = Utc::now();
        let link = ack_link(&keys, &out, home, incident, ("Sarah", sarah), now).unwrap();
        let token = link.strip_prefix("https://home.example.org/ack?token=").unwrap();
        let claims = verify_ack(&keys, token, now).unwrap();
        assert_eq!((claims.sub, claims.inc, claims.by.as_str(), claims.by_id), (home, incident, "Sarah", sarah));
        assert!(verify_ack(&keys, token, now + LINK_LIFETIME).is_err(), "expires");
    }
}

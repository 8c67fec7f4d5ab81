//! Access control storage: tokens only as hashes, expiry and revocation, sessions, teams,
//! the audit log, on both back ends.

use posture_model::Timestamp;
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use posture_store::{AuditEntry, NewSession, NewToken, Role};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn token(hash: &str, role: Role) -> NewToken {
    NewToken {
        user: "alice".into(),
        name: format!("{role} token"),
        role,
        teams: Vec::new(),
        service_account: false,
        assets: Vec::new(),
        secret_hash: hash.into(),
        prefix: "pst_abcd1234".into(),
        expires_at: None,
        created_by: "test".into(),
        at: at("2026-01-01T00:00:00Z"),
    }
}

on_both_backends!(
    a_token_authenticates_by_hash_until_revoked_or_expired,
    scoped_roles_need_their_scope,
    sessions_expire_and_end_with_their_token,
    the_audit_log_keeps_every_entry_newest_first,
);

fn a_token_authenticates_by_hash_until_revoked_or_expired(b: &TestBackend) {
    let s = b.access_store();
    let now = at("2026-02-01T00:00:00Z");
    assert_eq!(s.active_token_count(now).unwrap_or(99), 0);
    let t = s
        .create_token(token("h1", Role::Appsec))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.role, Role::Appsec);
    let p = s.authenticate("h1", now).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.as_ref().map(|p| p.user.as_str()), Some("alice"));
    assert!(
        s.authenticate("h2", now)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
    assert_eq!(s.active_token_count(now).unwrap_or(0), 1);
    // Used: last_used_at is noted.
    let listed = s.tokens().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed[0].last_used_at, Some(now));

    let mut expiring = token("h3", Role::Reader);
    expiring.expires_at = Some(at("2026-03-01T00:00:00Z"));
    s.create_token(expiring).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        s.authenticate("h3", now)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_some()
    );
    assert!(
        s.authenticate("h3", at("2026-03-01T00:00:01Z"))
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );

    let revoked = s.revoke_token(t.id, now).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(revoked.revoked_at, Some(now));
    assert!(
        s.authenticate("h1", now)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
    assert!(s.revoke_token(9999, now).is_err());
}

fn scoped_roles_need_their_scope(b: &TestBackend) {
    let s = b.access_store();
    assert!(
        s.create_token(token("c", Role::Ci)).is_err(),
        "ci without assets"
    );
    assert!(
        s.create_token(token("d", Role::Developer)).is_err(),
        "developer without team"
    );
    let mut ci = token("c", Role::Ci);
    ci.assets = vec!["payments-api".into(), "web".into()];
    let ci = s.create_token(ci).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ci.assets, vec!["payments-api", "web"]);
    let mut dev = token("d", Role::Developer);
    dev.user = "bob".into();
    dev.teams = vec!["payments".into()];
    s.create_token(dev).unwrap_or_else(|e| panic!("{e}"));
    let p = s
        .authenticate("d", at("2026-01-02T00:00:00Z"))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("developer token"));
    assert_eq!(p.teams, vec!["payments"]);
    let teams = s.teams().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0].members, vec!["bob"]);
    // The same hash twice is refused (tokens are unique).
    let mut dup = token("d", Role::Reader);
    dup.user = "carol".into();
    assert!(s.create_token(dup).is_err());
}

fn sessions_expire_and_end_with_their_token(b: &TestBackend) {
    let s = b.access_store();
    let t = s
        .create_token(token("h", Role::Reader))
        .unwrap_or_else(|e| panic!("{e}"));
    let now = at("2026-01-01T10:00:00Z");
    s.create_session(NewSession {
        secret_hash: "s1".into(),
        token_id: t.id,
        at: now,
        expires_at: at("2026-01-01T22:00:00Z"),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        s.session_principal("s1", now)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_some()
    );
    assert!(
        s.session_principal("s1", at("2026-01-01T22:00:00Z"))
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
    s.delete_session("s1").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        s.session_principal("s1", now)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
    s.create_session(NewSession {
        secret_hash: "s2".into(),
        token_id: t.id,
        at: now,
        expires_at: at("2026-01-01T22:00:00Z"),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    s.revoke_token(t.id, now).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        s.session_principal("s2", now)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
}

fn the_audit_log_keeps_every_entry_newest_first(b: &TestBackend) {
    let s = b.access_store();
    for (i, action) in ["scan.upload", "finding.triage"].iter().enumerate() {
        s.record_audit(AuditEntry {
            at: at("2026-01-01T00:00:00Z"),
            actor: "alice".into(),
            token_id: Some(7),
            client: Some("127.0.0.1".into()),
            action: action.to_string(),
            target: format!("finding {i}"),
            detail: serde_json::json!({ "i": i }),
        })
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let log = s.audit_log(10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].action, "finding.triage");
    assert_eq!(log[0].detail["i"], 1);
    assert_eq!(log[1].client.as_deref(), Some("127.0.0.1"));
    assert_eq!(s.audit_log(1).unwrap_or_default().len(), 1);
}

//! Issue 14, observations 5 and 7: secrets masked in every field of every occurrence of a
//! finding, for every format; secret evidence that cannot be guessed back (keyed hashes, no
//! SHA-1, fixed-length masks, diagnostics that do not repeat values); the installation's key
//! kept outside the database, and one key per database. On both back ends.

use posture_app::{IngestRequest, ReportSource, ingest};
use posture_model::{SECRET_MASK, SecretKey, Timestamp};
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use posture_store::{FindingQuery, ScanQuery, StoreError};
use std::path::{Path, PathBuf};

const PASSWORD: &str = "am0r3C0mpl3xK3y";

fn flask() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
        .join("multiscan/vulnerable-flask-app");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("NOTICE: no corpus at {}: test SKIPPED", dir.display());
        None
    }
}

fn at() -> Timestamp {
    "2026-12-01T10:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn request(asset: &str) -> IngestRequest {
    IngestRequest {
        asset: asset.into(),
        branch: "main".into(),
        target: None,
        commit: None,
        format: None,
        kind: posture_store::ScanKind::Findings,
        at: at(),
        force: false,
        thresholds: Default::default(),
        branches: Default::default(),
    }
}

fn source(dir: &Path, name: &str) -> ReportSource {
    let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    ReportSource {
        name: name.into(),
        bytes,
        format: None,
    }
}

/// Observation 5: Bandit's B105 title and code context carried the password in plaintext
/// while the ripsecrets occurrence of the same finding was masked.
fn a_hardcoded_password_is_masked_in_every_occurrence_of_its_finding(b: &TestBackend) {
    let Some(dir) = flask() else { return };
    let store = b.store();
    for report in [
        "bandit.json",
        "bandit.sarif",
        "ripsecrets.txt",
        "semgrep.json",
    ] {
        ingest(store.as_ref(), &[source(&dir, report)], request("flask"))
            .unwrap_or_else(|e| panic!("{report}: {e}"));
    }
    let findings = store
        .findings(&FindingQuery {
            asset: Some("flask".into()),
            status: None,
            ..FindingQuery::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::to_string(&findings.iter().map(|f| {
        serde_json::json!({"title": f.title, "occurrences": f.occurrences.iter().map(|o| &o.data).collect::<Vec<_>>()})
    }).collect::<Vec<_>>()).unwrap_or_default();
    assert!(!json.contains(PASSWORD), "the password is stored: {json}");
    assert!(
        !b.raw_contents()
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes())
    );

    // the B105 finding at app.py:27 holds bandit's (JSON and SARIF) and ripsecrets' reports of
    // the password: one finding, identified by the secret's hash
    let at_27: Vec<_> = findings
        .iter()
        .filter(|f| {
            f.occurrences.iter().any(|o| {
                o.data.location.start_line == Some(27)
                    && o.data
                        .location
                        .path
                        .as_deref()
                        .is_some_and(|p| p.ends_with("app.py"))
                    && (o.data.rule_id == "B105" || o.tool == "ripsecrets")
            })
        })
        .collect();
    assert_eq!(
        at_27.len(),
        1,
        "{:#?}",
        at_27
            .iter()
            .map(|f| (
                &f.title,
                f.occurrences
                    .iter()
                    .map(|o| (&o.tool, &o.data.rule_id))
                    .collect::<Vec<_>>()
            ))
            .collect::<Vec<_>>()
    );
    let f = at_27[0];
    assert_eq!(
        f.title,
        format!("Possible hardcoded password: '{SECRET_MASK}'")
    );
    let tools: Vec<&str> = f.occurrences.iter().map(|o| o.tool.as_str()).collect();
    assert!(
        tools.contains(&"bandit") && tools.contains(&"ripsecrets"),
        "{tools:?}"
    );
    let hashes: Vec<&str> = f
        .occurrences
        .iter()
        .filter_map(|o| o.data.secret.as_ref().map(|s| s.hash.as_str()))
        .collect();
    assert!(
        hashes.len() >= 2,
        "{:?}",
        f.occurrences
            .iter()
            .map(|o| (&o.tool, &o.report, &o.data.title, &o.data.secret))
            .collect::<Vec<_>>()
    );
    assert!(
        hashes
            .iter()
            .all(|h| *h == hashes[0] && h.starts_with("keyed-blake3:"))
    );
    for o in &f.occurrences {
        assert_eq!(o.identity_tier, "secret", "{} {}", o.tool, o.data.rule_id);
        let ctx = o.data.identity.context.clone().unwrap_or_default();
        assert!(!ctx.contains(PASSWORD), "{ctx}");
    }
}

/// Observation 7: readers got a plain SHA-1, a hash keyed with a public constant, and the
/// exact length of short secrets in the mask.
fn secret_evidence_cannot_be_guessed_back(b: &TestBackend) {
    let secrets = ["hunter2hunter2", "AKIAIOSFODNN7EXAMPLE", "abc123xy"];
    let items: Vec<String> = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                r#"{{"RuleID": "generic-api-key", "Description": "key", "File": "f{i}.py", "StartLine": 3, "EndLine": 3, "StartColumn": 1, "EndColumn": 9, "Secret": "{s}", "Match": "key = '{s}'", "Commit": "", "Fingerprint": "f{i}.py:generic-api-key:3"}}"#
            )
        })
        .collect();
    let report = format!("[{}]", items.join(","));
    let store = b.store();
    ingest(
        store.as_ref(),
        &[ReportSource {
            name: "gitleaks.json".into(),
            bytes: report.into_bytes(),
            format: None,
        }],
        request("svc"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let findings = store
        .findings(&FindingQuery::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(findings.len(), 3);
    let shown = serde_json::to_string(
        &findings
            .iter()
            .flat_map(|f| f.occurrences.iter().map(|o| &o.data))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    assert!(!shown.contains("sha1"), "a SHA-1 is shown: {shown}");
    let raw = b.raw_contents();
    for s in secrets {
        // neither the secret, nor its SHA-1, nor its hash under the public constant of old
        let sha1 = posture_model::SecretEvidence::from_plaintext(s).hash;
        let sha1_hex = sha1.trim_start_matches("sha1:");
        let old = blake3::Hasher::new_derive_key("posture 2026 secret evidence v1")
            .update(s.as_bytes())
            .finalize()
            .to_hex()
            .to_string();
        for needle in [s, sha1_hex, old.as_str()] {
            assert!(!shown.contains(needle), "{needle} shown");
            assert!(
                !raw.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} stored"
            );
        }
    }
    // the masks: one length whatever the secret's
    let masks: Vec<String> = findings
        .iter()
        .flat_map(|f| f.occurrences.iter())
        .filter_map(|o| o.data.secret.as_ref().map(|s| s.masked.clone()))
        .collect();
    assert_eq!(masks.len(), 3);
    assert!(masks.contains(&SECRET_MASK.to_string()));
    assert!(masks.contains(&format!("AKIA{SECRET_MASK}")));
    assert!(
        masks.iter().all(|m| m.chars().count() == SECRET_MASK.len()
            || m.chars().count() == SECRET_MASK.len() + 4)
    );
    // the hashes are keyed with the installation's key: another key, other hashes
    let mut mine = posture_model::SecretEvidence::from_plaintext(secrets[0]);
    store
        .secret_key()
        .unwrap_or_else(|e| panic!("{e}"))
        .seal(&mut mine);
    assert!(shown.contains(&mine.hash));
    let mut theirs = posture_model::SecretEvidence::from_plaintext(secrets[0]);
    key("someone else's key material, 32 bytes or more").seal(&mut theirs);
    assert!(!shown.contains(&theirs.hash));
}

/// Observation 7: a numeric `Secret` ended up in `scans.diagnostics`.
fn diagnostics_never_repeat_a_value(b: &TestBackend) {
    let store = b.store();
    let report = r#"[
      {"RuleID": "aws", "File": "a.py", "StartLine": 1, "Secret": 98765432109876543210987, "Match": "x"},
      {"RuleID": "aws", "File": "b.py", "StartLine": 1, "Secret": "AKIAIOSFODNN7EXAMPLE", "Match": "AKIAIOSFODNN7EXAMPLE"}
    ]"#;
    let (_, summaries) = ingest(
        store.as_ref(),
        &[ReportSource {
            name: "gitleaks.json".into(),
            bytes: report.as_bytes().to_vec(),
            format: None,
        }],
        request("svc"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summaries[0].skipped, 1, "{:?}", summaries[0].diagnostics);
    let scans = store
        .scans(&ScanQuery::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let said = format!("{:?} {:?}", summaries[0].diagnostics, scans[0].diagnostics);
    assert!(said.contains("item skipped"), "{said}");
    for digits in ["98765", "9.876", "8765432"] {
        assert!(!said.contains(digits), "the value is repeated: {said}");
    }
    let raw = b.raw_contents();
    assert!(!raw.windows(5).any(|w| w == b"98765" || w == b"9.876"));
}

fn key(material: &str) -> SecretKey {
    SecretKey::from_material(material.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

/// All writers of one database use one key: another key is refused, with a message, rather
/// than silently giving the same secrets other hashes.
fn another_key_is_refused(b: &TestBackend) {
    let report = br#"[{"RuleID": "aws", "File": "a.py", "StartLine": 1, "Secret": "AKIAIOSFODNN7EXAMPLE", "Match": "AKIAIOSFODNN7EXAMPLE"}]"#;
    let src = || ReportSource {
        name: "gitleaks.json".into(),
        bytes: report.to_vec(),
        format: None,
    };
    let first = b.store();
    ingest(first.as_ref(), &[src()], request("svc")).unwrap_or_else(|e| panic!("{e}"));
    let other = posture_store::open(b.location()).unwrap_or_else(|e| panic!("{e}"));
    other.use_secret_key(key("another installation's key material, 32+ bytes"));
    let err = ingest(other.as_ref(), &[src()], request("svc"))
        .err()
        .unwrap_or_else(|| panic!("another key was accepted"));
    let text = err.to_string();
    assert!(
        text.contains("another secret key") && text.contains("POSTURE_SECRET_KEY"),
        "{text}"
    );
    assert!(matches!(
        err,
        posture_app::AppError::Store(StoreError::SecretKey(_))
    ));
    // the first key still works
    let again = b.store();
    ingest(again.as_ref(), &[src()], request("svc")).unwrap_or_else(|e| panic!("{e}"));
}

/// The store itself refuses evidence nobody keyed (fail closed, whatever the caller).
fn the_store_refuses_unkeyed_evidence(b: &TestBackend) {
    let store = b.store();
    let mut o = posture_model::Occurrence::new(
        posture_model::Category::Secret,
        "aws",
        "AWS key",
        posture_model::Severity::High,
        "/0",
    );
    o.location.path = Some("a.py".into());
    o.secret = Some(posture_model::SecretEvidence::from_plaintext(
        "AKIAIOSFODNN7EXAMPLE",
    ));
    let tool = posture_model::ToolInfo::new("gitleaks", None);
    let identified = posture_engine::identify(&tool.name, vec![o]);
    let err = store
        .ingest(posture_store::IngestBatch {
            asset: "svc".into(),
            branch: "main".into(),
            target: String::new(),
            commit: None,
            kind: posture_store::ScanKind::Findings,
            at: at(),
            reports: vec![posture_store::ReportInput {
                name: "r.json".into(),
                sha256: "00".into(),
                format: "gitleaks-json".into(),
                runs: vec![(tool, identified)],
                diagnostics: Vec::new(),
                components: Vec::new(),
            }],
            force: false,
            thresholds: Default::default(),
        })
        .err()
        .unwrap_or_else(|| panic!("unkeyed evidence was stored"));
    assert!(
        err.to_string().contains("installation's secret key"),
        "{err}"
    );
}

on_both_backends!(
    the_store_refuses_unkeyed_evidence,
    a_hardcoded_password_is_masked_in_every_occurrence_of_its_finding,
    secret_evidence_cannot_be_guessed_back,
    diagnostics_never_repeat_a_value,
    another_key_is_refused,
);

/// SQLite without a configured key: a key file beside the database, mode 0600, created on the
/// first ingest and used by every later handle; lost, it is an error, never a new key.
#[test]
fn sqlite_keeps_its_key_in_a_file_beside_the_database() {
    if std::env::var_os("POSTURE_SECRET_KEY").is_some()
        || std::env::var_os("POSTURE_SECRET_KEY_FILE").is_some()
    {
        eprintln!("NOTICE: a secret key is configured in the environment: test SKIPPED");
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("posture.db");
    let db = db.to_string_lossy().into_owned();
    let report = br#"[{"RuleID": "aws", "File": "a.py", "StartLine": 1, "Secret": "AKIAIOSFODNN7EXAMPLE", "Match": "AKIAIOSFODNN7EXAMPLE"}]"#;
    let src = || ReportSource {
        name: "gitleaks.json".into(),
        bytes: report.to_vec(),
        format: None,
    };
    let store = posture_store::open(&db).unwrap_or_else(|e| panic!("{e}"));
    ingest(store.as_ref(), &[src()], request("svc")).unwrap_or_else(|e| panic!("{e}"));
    let key_file = dir.path().join("posture.db.key");
    assert!(key_file.is_file(), "no key file beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600, "the key file is readable by others");
    }
    let material = std::fs::read_to_string(&key_file).unwrap_or_default();
    let db_bytes = std::fs::read(&db).unwrap_or_default();
    assert!(
        !db_bytes
            .windows(16)
            .any(|w| w == &material.as_bytes()[..16])
    );
    let first = store.secret_key().unwrap_or_else(|e| panic!("{e}"));
    drop(store);

    let again = posture_store::open(&db).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.secret_key().unwrap_or_else(|e| panic!("{e}")), first);
    drop(again);

    std::fs::remove_file(&key_file).unwrap_or_else(|e| panic!("{e}"));
    let lost = posture_store::open(&db).unwrap_or_else(|e| panic!("{e}"));
    let err = ingest(lost.as_ref(), &[src()], request("svc"))
        .err()
        .unwrap_or_else(|| panic!("a new key was made for a database that had one"));
    assert!(err.to_string().contains("posture.db.key"), "{err}");
    assert!(!key_file.exists(), "a new key file was made");
}

/// PostgreSQL has no default key: without one, an ingest is refused, saying how to set it.
#[test]
fn postgres_without_a_key_fails_closed() {
    if std::env::var_os("POSTURE_SECRET_KEY").is_some()
        || std::env::var_os("POSTURE_SECRET_KEY_FILE").is_some()
    {
        eprintln!("NOTICE: a secret key is configured in the environment: test SKIPPED");
        return;
    }
    let Some(b) = TestBackend::postgres("postgres_without_a_key_fails_closed") else {
        return;
    };
    let store = posture_store::open(b.location()).unwrap_or_else(|e| panic!("{e}"));
    let src = ReportSource {
        name: "gitleaks.json".into(),
        bytes: b"[]".to_vec(),
        format: None,
    };
    let err = ingest(store.as_ref(), &[src], request("svc"))
        .err()
        .unwrap_or_else(|| panic!("an ingest without a key was accepted"));
    let text = err.to_string();
    assert!(
        text.contains("POSTURE_SECRET_KEY") && text.contains("openssl rand"),
        "{text}"
    );
    assert!(
        store
            .scans(&ScanQuery::default())
            .unwrap_or_default()
            .is_empty()
    );
}

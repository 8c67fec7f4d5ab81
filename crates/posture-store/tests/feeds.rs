//! Threat feeds in the store (SQLite, and PostgreSQL when reachable): an import replaces the previous data of its feed, lookups
//! are set-based, imports are recorded.

use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use posture_store::{EpssImport, EpssRow, KevImport, KevRow};

fn kev(cve: &str, ransomware: bool) -> KevRow {
    KevRow {
        cve: cve.to_string(),
        date_added: Some("2025-01-02".to_string()),
        ransomware,
        catalog_version: None,
        due_date: None,
    }
}

fn imports_replace_and_facts_join(b: &TestBackend) {
    let store = b.store();
    store
        .import_kev(KevImport {
            catalog_version: Some("2025.01.01".into()),
            entries: vec![kev("CVE-2021-44228", true), kev("CVE-2020-0001", false)],
            ..KevImport::default()
        })
        .expect("kev 1");
    store
        .import_kev(KevImport {
            catalog_version: Some("2025.01.02".into()),
            entries: vec![kev("CVE-2021-44228", true)],
            ..KevImport::default()
        })
        .expect("kev 2");
    store
        .import_epss(EpssImport {
            model_version: Some("v2025.03.14".into()),
            score_date: Some("2026-01-02".into()),
            entries: vec![EpssRow {
                cve: "CVE-2020-0001".into(),
                probability: 0.5,
                percentile: 0.9,
                ..EpssRow::default()
            }],
            ..EpssImport::default()
        })
        .expect("epss");
    let ids: Vec<String> = ["CVE-2021-44228", "CVE-2020-0001", "CVE-1999-0001"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let facts = store.feed_facts(&ids).expect("facts");
    let log4j = &facts["CVE-2021-44228"];
    let k = log4j.kev.as_ref().expect("listed");
    assert!(k.ransomware);
    assert_eq!(k.catalog_version.as_deref(), Some("2025.01.02"));
    assert!(log4j.epss.is_none());
    let other = &facts["CVE-2020-0001"];
    assert!(other.kev.is_none(), "replaced by the second catalog");
    let e = other.epss.as_ref().expect("scored");
    assert_eq!(e.model_version.as_deref(), Some("v2025.03.14"));
    assert_eq!(e.score_date.as_deref(), Some("2026-01-02"));
    assert!(!facts.contains_key("CVE-1999-0001"));
    let imports = store.feed_imports().expect("imports");
    let kinds: Vec<&str> = imports.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(kinds, ["epss", "kev", "kev"]);
    assert_eq!(imports[1].entries, 1);
}

on_both_backends!(imports_replace_and_facts_join);

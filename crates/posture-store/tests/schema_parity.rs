//! Both back ends hold the same schema: every table and every column of one is in the other
//! (SQLite's `sqlite_master` and `pragma_table_info` against PostgreSQL's
//! `information_schema.columns`, both after every migration). The statements of `src/sql/` are
//! written once for both, so a column added by one back end's migration only would break
//! them on the other.

use posture_store::testing::TestBackend;
use std::collections::BTreeSet;

/// (table, column) of the SQLite database, its own bookkeeping left out.
fn sqlite_columns(path: &str) -> BTreeSet<(String, String)> {
    let conn = rusqlite::Connection::open(path).expect("open the SQLite file");
    let mut st = conn
        .prepare(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
              WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .expect("prepare");
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("read")
}

/// (table, column) of the PostgreSQL database, without the migration bookkeeping table
/// (`posture_schema`: SQLite keeps the version in `PRAGMA user_version`).
fn postgres_columns(url: &str) -> BTreeSet<(String, String)> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    client
        .query(
            "SELECT c.table_name::text, c.column_name::text
               FROM information_schema.columns c
               JOIN information_schema.tables t
                 ON t.table_schema = c.table_schema AND t.table_name = c.table_name
              WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
                AND c.table_name <> 'posture_schema'",
            &[],
        )
        .expect("list columns")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[test]
fn both_back_ends_have_the_same_tables_and_columns() {
    let sqlite = TestBackend::sqlite();
    drop(sqlite.store()); // creates and migrates the file
    let Some(pg) = TestBackend::postgres("both_back_ends_have_the_same_tables_and_columns") else {
        return;
    };
    drop(pg.store());
    let lite = sqlite_columns(sqlite.location());
    let post = postgres_columns(pg.location());
    assert!(lite.len() > 50, "too few SQLite columns read: {lite:?}");
    let only_sqlite: Vec<_> = lite.difference(&post).collect();
    let only_postgres: Vec<_> = post.difference(&lite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "schemas differ:\n  only on SQLite: {only_sqlite:?}\n  only on PostgreSQL: {only_postgres:?}"
    );
    let tables = |cols: &BTreeSet<(String, String)>| -> BTreeSet<String> {
        cols.iter().map(|(t, _)| t.clone()).collect()
    };
    assert_eq!(tables(&lite), tables(&post));
}

//! One clock (issue 19): over PostgreSQL, "now" is the database server's
//! (`Store::database_time`, read by `posture_app::now_on` and `DatabaseClock`); a SQLite file
//! has no clock of its own.

use posture_store::testing::TestBackend;

fn the_database_clock_is_postgres_own(b: &TestBackend) {
    let store = b.store();
    let before = posture_model::Timestamp::now();
    let db = store.database_time().unwrap_or_else(|e| panic!("{e}"));
    let after = posture_model::Timestamp::now();
    match b.kind() {
        "sqlite" => assert_eq!(db, None),
        _ => {
            let db = db.unwrap_or_else(|| panic!("PostgreSQL has a clock"));
            // the same machine here: within the round trip, give or take a second
            let (db, before, after) = (
                db.as_millisecond(),
                before.as_millisecond(),
                after.as_millisecond(),
            );
            assert!(
                db >= before - 1000 && db <= after + 1000,
                "{before} <= {db} <= {after}"
            );
        }
    }
}

posture_store::on_both_backends!(the_database_clock_is_postgres_own);

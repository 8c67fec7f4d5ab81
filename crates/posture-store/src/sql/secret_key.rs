//! The check value of the installation's secret key (the key itself is never in the database;
//! see `crate::secret_key`): recorded by the first writer, read by every handle to refuse
//! another key.

use super::{Db, Sql, args};
use crate::StoreError;

static RECORD: Sql = Sql::new(
    "recording the secret key's check value",
    "INSERT INTO secret_key_check (id, check_value) VALUES (1, ?)
     ON CONFLICT (id) DO NOTHING",
);

static READ: Sql = Sql::new(
    "reading the secret key's check value",
    "SELECT check_value FROM secret_key_check WHERE id = 1",
);

/// The check value the database records, after recording `record` when it has none.
pub(crate) fn key_check(
    db: &mut dyn Db,
    record: Option<&str>,
) -> Result<Option<String>, StoreError> {
    if let Some(check) = record {
        db.execute(&RECORD, args![check])?;
    }
    db.opt(&READ, args![], |r| r.get(0))
}

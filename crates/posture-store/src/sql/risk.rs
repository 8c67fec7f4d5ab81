//! Stored risk: the basis the scores were computed under, and the reset. (The scores
//! themselves are a bulk write of each back end: see `sqlite/risk.rs` for why the store keeps
//! them.)

use super::{Db, Sql, args};
use crate::StoreError;

static BASIS: Sql = Sql::new(
    "reading the risk basis",
    "SELECT basis FROM risk_state WHERE id = 1",
);

static INVALIDATE_ALL: Sql = Sql::new(
    "resetting stored risk",
    "UPDATE findings SET risk_score = -1",
);

static SET_BASIS: Sql = Sql::new(
    "resetting stored risk",
    "INSERT INTO risk_state (id, basis) VALUES (1, ?)
     ON CONFLICT (id) DO UPDATE SET basis = excluded.basis",
);

/// The configuration fingerprint the stored scores were computed under, if any.
pub(crate) fn risk_basis(db: &mut dyn Db) -> Result<Option<String>, StoreError> {
    db.opt(&BASIS, args![], |r| r.get(0))
}

/// Marks every finding "to assess" and records the new basis (inside the caller's
/// transaction); answers how many findings were marked.
pub(crate) fn reset_risk(db: &mut dyn Db, basis: &str) -> Result<usize, StoreError> {
    let n = db.execute(&INVALIDATE_ALL, args![])?;
    db.execute(&SET_BASIS, args![basis])?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

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

/// The last stored assessment in short of these findings (`risk_last`), where one was stored.
pub(crate) fn last_assessments(
    db: &mut dyn Db,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sql = Sql::dynamic(
            "reading the last assessments",
            format!(
                "SELECT id, risk_last FROM findings WHERE id IN ({list}) AND risk_last IS NOT NULL"
            ),
        );
        for (id, last) in db.rows(&sql, args![], |r| {
            Ok((r.get::<i64>(0)?, r.get::<String>(1)?))
        })? {
            out.insert(id, last);
        }
    }
    Ok(out)
}

static RESCORED: Sql = Sql::new(
    "recording a score change",
    "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason)
     VALUES (?, ?, 'rescored', ?, ?, ?, ?)",
);

/// Records a `rescored` event (inside the caller's transaction, after its score was stored).
pub(crate) fn record_change(
    db: &mut dyn Db,
    finding_id: i64,
    c: &crate::RiskChange,
) -> Result<(), StoreError> {
    db.execute(
        &RESCORED,
        args![
            finding_id,
            crate::stored::to_ms(c.at),
            c.actor.as_str(),
            c.from_band.as_str(),
            c.to_band.as_str(),
            c.reason.as_str()
        ],
    )?;
    Ok(())
}

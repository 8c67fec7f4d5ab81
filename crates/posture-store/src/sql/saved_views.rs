//! Saved views (`saved_views`, migration 17): a person's named filters of the findings list.

use super::{Db, Sql, args};
use crate::stored::to_ms;
use crate::{SavedViewRecord, StoreError};
use posture_model::Timestamp;

static LIST: Sql = Sql::new(
    "reading the saved views",
    "SELECT id, user_name, name, query, created_at FROM saved_views
      WHERE user_name = ? ORDER BY name COLLATE \"C\", id",
);

static SAVE: Sql = Sql::new(
    "saving a view",
    "INSERT INTO saved_views (user_name, name, query, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_name, name) DO UPDATE SET query = excluded.query,
        created_at = excluded.created_at
     RETURNING id",
);

static DELETE: Sql = Sql::new(
    "deleting a saved view",
    "DELETE FROM saved_views WHERE id = ? AND user_name = ?",
);

pub(crate) fn list(db: &mut dyn Db, user: &str) -> Result<Vec<SavedViewRecord>, StoreError> {
    db.rows(&LIST, args![user], |r| {
        Ok(SavedViewRecord {
            id: r.get(0)?,
            user: r.get(1)?,
            name: r.get(2)?,
            query: r.get(3)?,
            created_at: r.time(4)?,
        })
    })
}

/// Saves (or replaces, by name) a view of `user`; answers its id.
pub(crate) fn save(
    db: &mut dyn Db,
    user: &str,
    name: &str,
    query: &str,
    at: Timestamp,
) -> Result<i64, StoreError> {
    db.one(&SAVE, args![user, name, query, to_ms(at)], |r| r.get(0))
}

/// Deletes a view of `user`; answers whether there was one.
pub(crate) fn delete(db: &mut dyn Db, user: &str, id: i64) -> Result<bool, StoreError> {
    Ok(db.execute(&DELETE, args![id, user])? > 0)
}

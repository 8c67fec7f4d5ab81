//! The SQL written once, for both back ends, over a small port.
//!
//! Why it exists: the same statement written in `sqlite/` and again in `postgres/` drifts (the
//! copies differed in ordering, clamping and error handling). Here a statement is written once
//! in one dialect ([`Sql`]), with typed arguments ([`Value`]), and read back with getters that
//! answer a [`StoreError`] naming the column and the statement's context instead of panicking
//! ([`Row::get`]). Each back end implements [`Db`] for its connections and transactions; what
//! truly differs (connections and pools, locking, DDL and migrations, the bulk write,
//! `data_version`) stays in `sqlite/` and `postgres/`.
//!
//! The dialect: PostgreSQL's, with `?` placeholders, translated once per statement and back end
//! (the text is cached in the [`Sql`]):
//! * `?` is the next argument (`$1..$n` on PostgreSQL); `?N` names argument N.
//! * `= ANY(?)` matches a list argument ([`Value::Texts`], [`Value::Ints`]); on SQLite it
//!   becomes `IN (SELECT value FROM json_each(?))`, the list bound as a JSON array.
//! * `COLLATE "C"` (byte order, SQLite's own) is dropped on SQLite.
//! * `FOR UPDATE` (a plain row lock; SQLite's single writer already serializes the
//!   transaction) is dropped on SQLite.
//! * `col::json ->> 'key'` reads a key of a JSON text column (`col::json -> 'a' ->> 'b'` a
//!   nested one); SQLite's `->` and `->>` read the text itself, so the cast is dropped there.
//! * booleans are `TRUE`/`FALSE` (SQLite reads them as 1 and 0); casts are `CAST(x AS T)`.
//!
//! Text bound on PostgreSQL has its NUL characters stored as U+FFFD (PostgreSQL text cannot
//! hold NUL; SQLite keeps them), the one difference of values the port hides.

pub(crate) mod access;
pub(crate) mod branches;
pub(crate) mod components;
pub(crate) mod coverage;
pub(crate) mod decisions;
pub(crate) mod feeds;
pub(crate) mod ingest;
pub(crate) mod integrations;
pub(crate) mod jobs;
pub(crate) mod query;
pub(crate) mod risk;
pub(crate) mod runtime;
pub(crate) mod saved_views;
pub(crate) mod secret_key;
pub(crate) mod sso;
pub(crate) mod summary;
pub(crate) mod upload_jobs;
pub(crate) mod workflow;

use crate::StoreError;
use std::borrow::Cow;
use std::sync::OnceLock;

/// The back end a statement runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// One SQL statement, written once, with what Posture was doing when it runs (the context of
/// its errors). Its text for each back end is translated on first use and kept.
pub(crate) struct Sql {
    context: &'static str,
    text: Cow<'static, str>,
    /// A fixed text is worth a place in the connection's statement cache (SQLite).
    fixed: bool,
    sqlite: OnceLock<String>,
    postgres: OnceLock<String>,
}

impl Sql {
    /// A statement whose text is fixed (a `static`: translated once per process).
    pub(crate) const fn new(context: &'static str, text: &'static str) -> Sql {
        Sql {
            context,
            text: Cow::Borrowed(text),
            fixed: true,
            sqlite: OnceLock::new(),
            postgres: OnceLock::new(),
        }
    }

    /// A statement built at run time (filters, inlined bounds).
    pub(crate) fn dynamic(context: &'static str, text: String) -> Sql {
        Sql {
            context,
            text: Cow::Owned(text),
            fixed: false,
            sqlite: OnceLock::new(),
            postgres: OnceLock::new(),
        }
    }

    pub(crate) fn context(&self) -> &'static str {
        self.context
    }

    /// The statement's text for a back end.
    pub(crate) fn text(&self, dialect: Dialect) -> &str {
        let cell = match dialect {
            Dialect::Sqlite => &self.sqlite,
            Dialect::Postgres => &self.postgres,
        };
        cell.get_or_init(|| translate(&self.text, dialect))
    }
}

/// Translates the written-once dialect (see the module's documentation) to a back end's.
pub(crate) fn translate(text: &str, dialect: Dialect) -> String {
    let text = match dialect {
        Dialect::Sqlite => text
            .replace("= ANY(?)", "IN (SELECT value FROM json_each(?))")
            .replace(" COLLATE \"C\"", "")
            .replace(" FOR UPDATE", "")
            .replace("::json ->", " ->"),
        Dialect::Postgres => text.to_string(),
    };
    let mut out = String::with_capacity(text.len() + 16);
    let mut next = 0usize;
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                let n = if digits.is_empty() {
                    next += 1;
                    next.to_string()
                } else {
                    digits
                };
                out.push(match dialect {
                    Dialect::Sqlite => '?',
                    Dialect::Postgres => '$',
                });
                out.push_str(&n);
            }
            None => out.push(c),
        }
    }
    out
}

/// A typed argument both drivers accept.
#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(Cow<'a, str>),
    Blob(&'a [u8]),
    /// A list, matched with `= ANY(?)`.
    Texts(Vec<Cow<'a, str>>),
    /// A list, matched with `= ANY(?)`.
    Ints(Vec<i64>),
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&i64> for Value<'_> {
    fn from(v: &i64) -> Self {
        Value::Int(*v)
    }
}

impl From<i32> for Value<'_> {
    fn from(v: i32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<usize> for Value<'_> {
    fn from(v: usize) -> Self {
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<f64> for Value<'_> {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(Cow::Borrowed(v))
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(v: &'a String) -> Self {
        Value::Text(Cow::Borrowed(v))
    }
}

impl From<String> for Value<'_> {
    fn from(v: String) -> Self {
        Value::Text(Cow::Owned(v))
    }
}

impl<'a> Value<'a> {
    /// A text argument.
    pub(crate) fn text(v: impl Into<Cow<'a, str>>) -> Self {
        Value::Text(v.into())
    }

    /// A list of texts, matched with `= ANY(?)`.
    pub(crate) fn texts<S: Into<Cow<'a, str>>>(v: impl IntoIterator<Item = S>) -> Self {
        Value::Texts(v.into_iter().map(Into::into).collect())
    }
}

impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(v: &'a [u8]) -> Self {
        Value::Blob(v)
    }
}

impl<'a> From<&'a Vec<u8>> for Value<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Value::Blob(v)
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The arguments of a statement: `args![a, b]` is `&[Value::from(a), Value::from(b)]`.
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        &[$($crate::sql::Value::from($v)),*][..]
    };
}
pub(crate) use args;

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value as V, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(V::Null),
            Value::Int(v) => ToSqlOutput::Owned(V::Integer(*v)),
            Value::Real(v) => ToSqlOutput::Owned(V::Real(*v)),
            Value::Bool(v) => ToSqlOutput::Owned(V::Integer(i64::from(*v))),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Value::Blob(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
            Value::Texts(v) => ToSqlOutput::Owned(V::Text(
                serde_json::to_string(v)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
            )),
            Value::Ints(v) => ToSqlOutput::Owned(V::Text(
                serde_json::to_string(v)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
            )),
        })
    }
}

/// PostgreSQL text cannot hold NUL characters (SQLite can): a NUL in a scanner's text is
/// stored as U+FFFD. JSON text never needs this (serde_json escapes control characters).
pub(crate) fn pg_text(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

impl postgres::types::ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::{IsNull, Type};
        let mismatch = |what: &str| -> Box<dyn std::error::Error + Sync + Send> {
            format!("cannot bind {what} to a parameter of type {ty}").into()
        };
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                _ => Err(mismatch("an integer")),
            },
            Value::Real(v) => match *ty {
                Type::FLOAT8 => v.to_sql(ty, out),
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                _ => Err(mismatch("a real number")),
            },
            Value::Bool(v) => match *ty {
                Type::BOOL => v.to_sql(ty, out),
                Type::INT8 => i64::from(*v).to_sql(ty, out),
                Type::INT4 => i32::from(*v).to_sql(ty, out),
                _ => Err(mismatch("a boolean")),
            },
            Value::Text(v) => pg_text(v).as_ref().to_sql(ty, out),
            Value::Blob(v) => v.to_sql(ty, out),
            Value::Texts(v) => v
                .iter()
                .map(|s| pg_text(s))
                .collect::<Vec<_>>()
                .to_sql(ty, out),
            Value::Ints(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        // each variant checks the parameter's type when it is bound
        true
    }

    postgres::types::to_sql_checked!();
}

/// A column of a result row that can be read on both back ends.
pub(crate) trait Column: Sized {
    fn from_sqlite(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Self>;
    fn from_postgres(row: &postgres::Row, idx: usize) -> Result<Self, postgres::Error>;
}

impl<T> Column for T
where
    T: rusqlite::types::FromSql + for<'b> postgres::types::FromSql<'b>,
{
    fn from_sqlite(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Self> {
        row.get(idx)
    }

    fn from_postgres(row: &postgres::Row, idx: usize) -> Result<Self, postgres::Error> {
        row.try_get(idx)
    }
}

/// One result row, on either back end.
pub(crate) struct Row<'r> {
    inner: RowInner<'r>,
    context: &'static str,
}

enum RowInner<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r postgres::Row),
}

/// A value of a row could not be read as what the statement expects.
#[derive(Debug, thiserror::Error)]
#[error("column {index} ({name}): {cause}")]
pub(crate) struct ColumnError {
    index: usize,
    name: String,
    cause: String,
}

impl<'r> Row<'r> {
    pub(crate) fn sqlite(row: &'r rusqlite::Row<'r>, context: &'static str) -> Self {
        Row {
            inner: RowInner::Sqlite(row),
            context,
        }
    }

    pub(crate) fn postgres(row: &'r postgres::Row, context: &'static str) -> Self {
        Row {
            inner: RowInner::Postgres(row),
            context,
        }
    }

    /// Column `idx` (from 0) as a `T`; a value of another type (or a NULL where `T` is not an
    /// `Option`) is a [`StoreError`] naming the column and the statement.
    pub(crate) fn get<T: Column>(&self, idx: usize) -> Result<T, StoreError> {
        let failed = |name: String, cause: String| StoreError::Database {
            context: self.context,
            source: Box::new(ColumnError {
                index: idx,
                name,
                cause,
            }),
        };
        match self.inner {
            RowInner::Sqlite(r) => T::from_sqlite(r, idx).map_err(|e| {
                let name = r
                    .as_ref()
                    .column_name(idx)
                    .map_or_else(|_| "?".to_string(), str::to_string);
                failed(name, e.to_string())
            }),
            RowInner::Postgres(r) => T::from_postgres(r, idx).map_err(|e| {
                let name = r
                    .columns()
                    .get(idx)
                    .map_or_else(|| "?".to_string(), |c| c.name().to_string());
                failed(name, crate::error::pg_message(&e))
            }),
        }
    }

    /// A timestamp column (integer milliseconds UTC).
    pub(crate) fn time(&self, idx: usize) -> Result<posture_model::Timestamp, StoreError> {
        self.get::<i64>(idx).map(crate::stored::from_ms)
    }

    /// A count or size column (never negative when Posture wrote it; a negative value reads
    /// as 0).
    pub(crate) fn count(&self, idx: usize) -> Result<usize, StoreError> {
        self.get::<i64>(idx)
            .map(|n| usize::try_from(n.max(0)).unwrap_or(usize::MAX))
    }
}

/// A connection or transaction of either back end: the port the statements of this module run
/// on.
pub(crate) trait Db {
    /// Runs a statement that returns no rows; answers how many rows it changed.
    fn execute(&mut self, sql: &Sql, args: &[Value<'_>]) -> Result<u64, StoreError>;

    /// Runs a query and hands each row to `f`, in order.
    fn each(
        &mut self,
        sql: &Sql,
        args: &[Value<'_>],
        f: &mut dyn FnMut(&Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
}

impl dyn Db + '_ {
    /// Every row, each read by `f`.
    pub(crate) fn rows<T>(
        &mut self,
        sql: &Sql,
        args: &[Value<'_>],
        mut f: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        self.each(sql, args, &mut |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row read by `f`, or `None` when the query returns no row.
    pub(crate) fn opt<T>(
        &mut self,
        sql: &Sql,
        args: &[Value<'_>],
        mut f: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let mut out = None;
        self.each(sql, args, &mut |r| {
            if out.is_none() {
                out = Some(f(r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The one row the statement returns (an `INSERT … RETURNING`, an aggregate); no row is
    /// an error.
    pub(crate) fn one<T>(
        &mut self,
        sql: &Sql,
        args: &[Value<'_>],
        f: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.opt(sql, args, f)?.ok_or_else(|| StoreError::Database {
            context: sql.context(),
            source: "the statement returned no row".into(),
        })
    }
}

// SQLite: a connection (a transaction derefs to one) behind a shared reference, as rusqlite
// takes it.
impl Db for &rusqlite::Connection {
    fn execute(&mut self, sql: &Sql, args: &[Value<'_>]) -> Result<u64, StoreError> {
        let mut st = sqlite_prepare(self, sql)?;
        let n = st
            .execute(rusqlite::params_from_iter(args.iter()))
            .map_err(StoreError::db(sql.context()))?;
        Ok(n as u64)
    }

    fn each(
        &mut self,
        sql: &Sql,
        args: &[Value<'_>],
        f: &mut dyn FnMut(&Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let context = sql.context();
        let mut st = sqlite_prepare(self, sql)?;
        let mut rows = st
            .query(rusqlite::params_from_iter(args.iter()))
            .map_err(StoreError::db(context))?;
        while let Some(r) = rows.next().map_err(StoreError::db(context))? {
            f(&Row::sqlite(r, context))?;
        }
        Ok(())
    }
}

/// A prepared statement: from the connection's cache when its text is fixed.
fn sqlite_prepare<'c>(
    conn: &'c rusqlite::Connection,
    sql: &Sql,
) -> Result<SqliteStatement<'c>, StoreError> {
    let text = sql.text(Dialect::Sqlite);
    if sql.fixed {
        conn.prepare_cached(text).map(SqliteStatement::Cached)
    } else {
        conn.prepare(text).map(SqliteStatement::Once)
    }
    .map_err(StoreError::db(sql.context()))
}

enum SqliteStatement<'c> {
    Cached(rusqlite::CachedStatement<'c>),
    Once(rusqlite::Statement<'c>),
}

impl<'c> std::ops::Deref for SqliteStatement<'c> {
    type Target = rusqlite::Statement<'c>;
    fn deref(&self) -> &Self::Target {
        match self {
            SqliteStatement::Cached(s) => s,
            SqliteStatement::Once(s) => s,
        }
    }
}

impl std::ops::DerefMut for SqliteStatement<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            SqliteStatement::Cached(s) => s,
            SqliteStatement::Once(s) => s,
        }
    }
}

fn pg_params<'v>(args: &'v [Value<'_>]) -> Vec<&'v (dyn postgres::types::ToSql + Sync)> {
    args.iter()
        .map(|a| a as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

fn pg_execute(
    c: &mut impl postgres::GenericClient,
    sql: &Sql,
    args: &[Value<'_>],
) -> Result<u64, StoreError> {
    c.execute(sql.text(Dialect::Postgres), &pg_params(args))
        .map_err(StoreError::pg(sql.context()))
}

fn pg_each(
    c: &mut impl postgres::GenericClient,
    sql: &Sql,
    args: &[Value<'_>],
    f: &mut dyn FnMut(&Row<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let rows = c
        .query(sql.text(Dialect::Postgres), &pg_params(args))
        .map_err(StoreError::pg(sql.context()))?;
    for r in &rows {
        f(&Row::postgres(r, sql.context()))?;
    }
    Ok(())
}

macro_rules! postgres_db {
    ($t:ty) => {
        impl Db for $t {
            fn execute(&mut self, sql: &Sql, args: &[Value<'_>]) -> Result<u64, StoreError> {
                pg_execute(self, sql, args)
            }

            fn each(
                &mut self,
                sql: &Sql,
                args: &[Value<'_>],
                f: &mut dyn FnMut(&Row<'_>) -> Result<(), StoreError>,
            ) -> Result<(), StoreError> {
                pg_each(self, sql, args, f)
            }
        }
    };
}

postgres_db!(postgres::Client);
postgres_db!(postgres::Transaction<'_>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        let sql = "SELECT a FROM t WHERE b = ? AND c = '?' AND d = ANY(?) ORDER BY a COLLATE \"C\"";
        assert_eq!(
            translate(sql, Dialect::Postgres),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = ANY($2) ORDER BY a COLLATE \"C\""
        );
        assert_eq!(
            translate(sql, Dialect::Sqlite),
            "SELECT a FROM t WHERE b = ?1 AND c = '?' AND d IN (SELECT value FROM json_each(?2)) ORDER BY a"
        );
        assert_eq!(translate("?2 + ?1", Dialect::Postgres), "$2 + $1");
        assert_eq!(translate("?2 + ?1", Dialect::Sqlite), "?2 + ?1");
    }

    #[test]
    fn statements_keep_their_translation() {
        static S: Sql = Sql::new("testing", "SELECT ? , ?");
        let first: *const str = S.text(Dialect::Postgres);
        assert_eq!(S.text(Dialect::Postgres), "SELECT $1 , $2");
        assert!(std::ptr::eq(first, S.text(Dialect::Postgres)));
    }

    #[test]
    fn a_value_of_the_wrong_type_is_an_error_naming_the_column() {
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        let mut db: &rusqlite::Connection = &conn;
        let db: &mut dyn Db = &mut db;
        static Q: Sql = Sql::new("reading a test row", "SELECT 'text' AS label");
        let err = db
            .one(&Q, args![], |r| r.get::<i64>(0))
            .expect_err("text is not an integer");
        let msg = err.to_string();
        assert!(msg.contains("reading a test row"), "{msg}");
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert!(
            source.as_deref().is_some_and(|s| s.contains("label")),
            "{source:?}"
        );
    }

    #[test]
    fn lists_match_on_sqlite() {
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        let mut db: &rusqlite::Connection = &conn;
        let db: &mut dyn Db = &mut db;
        static Q: Sql = Sql::new(
            "testing lists",
            "SELECT x FROM (SELECT 'a' AS x UNION ALL SELECT 'b' UNION ALL SELECT 'c') WHERE x = ANY(?) ORDER BY x",
        );
        let got = db
            .rows(&Q, args![Value::texts(["c", "a", "z"])], |r| {
                r.get::<String>(0)
            })
            .expect("query");
        assert_eq!(got, ["a", "c"]);
    }
}

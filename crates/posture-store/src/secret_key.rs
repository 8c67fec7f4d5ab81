//! The installation's secret key: the key of every secret hash the store keeps.
//!
//! The key is kept outside the database, so that a copy of the database (a backup, a dump, a
//! reader's SQL access) cannot check a guess against a stored secret hash. Where it comes
//! from, first found wins:
//!
//! 1. a key given to the store handle ([`crate::Store::use_secret_key`]);
//! 2. `POSTURE_SECRET_KEY`: the key material itself (32 characters or more, e.g.
//!    `openssl rand -hex 32`);
//! 3. `POSTURE_SECRET_KEY_FILE`: a file holding it;
//! 4. SQLite only: the key file beside the database (`<database>.key`), created with mode
//!    0600 and 32 random bytes the first time a database without a key is written; an
//!    in-memory database gets a key of its own that dies with it.
//!
//! PostgreSQL has no default: without 1-3 the store refuses to write secret evidence (fail
//! closed). The database records the key's check value on first use; a writer with another
//! key is refused with a message, never allowed to fork the identities of secrets.

use crate::StoreError;
use posture_model::SecretKey;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The environment variable holding the key material.
pub const KEY_ENV: &str = "POSTURE_SECRET_KEY";
/// The environment variable naming a file holding the key material.
pub const KEY_FILE_ENV: &str = "POSTURE_SECRET_KEY_FILE";

/// How to configure a key, for messages.
pub const HOW_TO_CONFIGURE: &str = "set POSTURE_SECRET_KEY to at least 32 random characters \
     (e.g. the output of `openssl rand -hex 32`), or POSTURE_SECRET_KEY_FILE to a file holding \
     them; every process that writes to one database must use the same key";

/// The key from the environment (`POSTURE_SECRET_KEY`, else `POSTURE_SECRET_KEY_FILE`), if
/// one is set.
pub fn key_from_environment() -> Result<Option<SecretKey>, StoreError> {
    if let Some(material) = std::env::var_os(KEY_ENV).filter(|v| !v.is_empty()) {
        let material = material.into_encoded_bytes();
        return SecretKey::from_material(&material)
            .map(Some)
            .map_err(|e| StoreError::SecretKey(format!("{KEY_ENV}: {e}")));
    }
    if let Some(file) = std::env::var_os(KEY_FILE_ENV).filter(|v| !v.is_empty()) {
        return read_key_file(Path::new(&file)).map(Some);
    }
    Ok(None)
}

/// The default key file of a SQLite database: `<database>.key`.
pub fn key_file_beside(database: &str) -> PathBuf {
    let path = database.strip_prefix("file:").unwrap_or(database);
    let path = path.split('?').next().unwrap_or(path);
    PathBuf::from(format!("{path}.key"))
}

/// Reads a key file.
pub fn read_key_file(path: &Path) -> Result<SecretKey, StoreError> {
    let material = std::fs::read(path).map_err(|e| {
        StoreError::SecretKey(format!(
            "cannot read the secret key file {}: {e}",
            path.display()
        ))
    })?;
    SecretKey::from_material(&material)
        .map_err(|e| StoreError::SecretKey(format!("{}: {e}", path.display())))
}

/// Reads the key file at `path`, creating it (mode 0600, 32 random bytes in hex) when it does
/// not exist and `may_create`.
pub fn load_or_create_key_file(path: &Path, may_create: bool) -> Result<SecretKey, StoreError> {
    if path.exists() || !may_create {
        return read_key_file(path);
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::SecretKey(format!("cannot draw a random secret key: {e}")))?;
    let material: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{material}\n").as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| {
                    StoreError::SecretKey(format!(
                        "cannot write the secret key file {}: {e}",
                        path.display()
                    ))
                })?;
            SecretKey::from_material(material.as_bytes()).map_err(StoreError::SecretKey)
        }
        // another process made it first: use theirs
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key_file(path),
        Err(e) => Err(StoreError::SecretKey(format!(
            "cannot create the secret key file {}: {e}",
            path.display()
        ))),
    }
}

/// A key for a database that lives only in memory.
pub fn ephemeral_key() -> Result<SecretKey, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::SecretKey(format!("cannot draw a random secret key: {e}")))?;
    let material: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    SecretKey::from_material(material.as_bytes()).map_err(StoreError::SecretKey)
}

/// Compares the check value recorded in the database (`stored`, after recording `key`'s when
/// there was none) with `key`'s.
pub fn verify(key: &SecretKey, stored: &str, database: &str) -> Result<(), StoreError> {
    if stored == key.check_value() {
        return Ok(());
    }
    Err(StoreError::SecretKey(format!(
        "the database {database} was written with another secret key than the one configured: \
         secrets hashed with two keys would never meet again, so nothing is written. Use the \
         key this database was first written with ({HOW_TO_CONFIGURE})"
    )))
}

/// The message for a PostgreSQL store without a key.
pub fn missing_for_postgres(database: &str) -> StoreError {
    StoreError::SecretKey(format!(
        "the PostgreSQL database {database} needs the installation's secret key to store \
         secret evidence: {HOW_TO_CONFIGURE}"
    ))
}

/// The message for a SQLite database that has a key check value but lost its key file.
pub fn missing_key_file(path: &Path, database: &str) -> StoreError {
    StoreError::SecretKey(format!(
        "the database {database} was written with a secret key, but its key file {} is \
         missing: restore it, or {HOW_TO_CONFIGURE}",
        path.display()
    ))
}

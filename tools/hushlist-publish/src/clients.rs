//! The evaluation service's clients: who may ask (a token each, kept as its
//! hash), how many evaluations each may have per salt epoch, and how many it
//! had. One SQLite file, migrated on open, so that quotas and usage survive
//! a restart; back it up with the keys.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// The schema versions, in order; `PRAGMA user_version` says how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: clients and their usage per epoch (an epoch is its OPRF public key).
    "CREATE TABLE clients (
         name TEXT PRIMARY KEY,
         token_hash BLOB NOT NULL UNIQUE,
         quota INTEGER NOT NULL CHECK (quota >= 0),
         created INTEGER NOT NULL
     );
     CREATE TABLE usage (
         client TEXT NOT NULL REFERENCES clients(name) ON DELETE CASCADE,
         epoch_key BLOB NOT NULL,
         used INTEGER NOT NULL,
         PRIMARY KEY (client, epoch_key)
     );",
];

/// The client database.
pub struct Clients {
    db: Connection,
}

/// One client as listed.
pub struct ClientRow {
    pub name: String,
    pub quota: u64,
    /// Evaluations used per epoch key (hex), newest epochs last.
    pub used: Vec<(String, u64)>,
}

/// What a request may do.
pub enum Admission {
    /// Counted; go on.
    Granted { client: String },
    /// No client has this token.
    UnknownToken,
    /// The batch would pass the client's quota for this epoch.
    OverQuota {
        client: String,
        used: u64,
        quota: u64,
    },
}

fn token_hash(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
}

impl Clients {
    /// Opens (or creates, mode 0600) the database at `path`, migrating it.
    pub fn open(path: &Path) -> Result<Self, String> {
        let shown = path.display();
        let fresh = !path.exists();
        let db = Connection::open(path).map_err(|e| format!("{shown}: {e}"))?;
        if fresh {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("{shown}: {e}"))?;
        }
        db.execute_batch("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;")
            .map_err(|e| format!("{shown}: {e}"))?;
        let version: usize = db
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| format!("{shown}: {e}"))?;
        if version > MIGRATIONS.len() {
            return Err(format!(
                "{shown}: schema version {version} is newer than this hushlist-publish knows ({}); upgrade it",
                MIGRATIONS.len()
            ));
        }
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(version) {
            db.execute_batch(&format!(
                "BEGIN; {migration} PRAGMA user_version = {}; COMMIT;",
                i + 1
            ))
            .map_err(|e| format!("{shown}: migrating to schema {}: {e}", i + 1))?;
        }
        Ok(Clients { db })
    }

    /// Registers `name` with a fresh token (returned once, never stored) and
    /// `quota` evaluations per epoch.
    pub fn add(&self, name: &str, quota: u64, now: i64) -> Result<String, String> {
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).map_err(|e| format!("no randomness from the OS: {e}"))?;
        let token = format!("hlt_{}", hex::encode(raw));
        self.db
            .execute(
                "INSERT INTO clients (name, token_hash, quota, created) VALUES (?1, ?2, ?3, ?4)",
                params![name, &token_hash(&token)[..], quota as i64, now],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    format!("a client named {name:?} exists already")
                }
                e => e.to_string(),
            })?;
        Ok(token)
    }

    /// Sets a client's quota per epoch.
    pub fn set_quota(&self, name: &str, quota: u64) -> Result<(), String> {
        let changed = self
            .db
            .execute(
                "UPDATE clients SET quota = ?2 WHERE name = ?1",
                params![name, quota as i64],
            )
            .map_err(|e| e.to_string())?;
        if changed == 0 {
            return Err(format!("no client named {name:?}"));
        }
        Ok(())
    }

    /// Every client with its usage.
    pub fn list(&self) -> Result<Vec<ClientRow>, String> {
        let mut clients = self
            .db
            .prepare("SELECT name, quota FROM clients ORDER BY name")
            .map_err(|e| e.to_string())?;
        let rows = clients
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for row in rows {
            let (name, quota) = row.map_err(|e| e.to_string())?;
            let mut usage = self
                .db
                .prepare("SELECT epoch_key, used FROM usage WHERE client = ?1 ORDER BY rowid")
                .map_err(|e| e.to_string())?;
            let used = usage
                .query_map([&name], |r| {
                    Ok((
                        hex::encode(r.get::<_, Vec<u8>>(0)?),
                        r.get::<_, i64>(1)? as u64,
                    ))
                })
                .map_err(|e| e.to_string())?
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?;
            out.push(ClientRow {
                name,
                quota: quota as u64,
                used,
            });
        }
        Ok(out)
    }

    /// Counts `count` evaluations for the client holding `token` in the
    /// epoch of `epoch_key`, unless that passes its quota: one transaction,
    /// so concurrent requests cannot both take the last of a quota.
    pub fn admit(
        &mut self,
        token: &str,
        epoch_key: &[u8; 32],
        count: u64,
    ) -> Result<Admission, String> {
        let tx = self.db.transaction().map_err(|e| e.to_string())?;
        let client: Option<(String, i64)> = tx
            .query_row(
                "SELECT name, quota FROM clients WHERE token_hash = ?1",
                [&token_hash(token)[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| e.to_string())?;
        let Some((client, quota)) = client else {
            return Ok(Admission::UnknownToken);
        };
        let used: i64 = tx
            .query_row(
                "SELECT used FROM usage WHERE client = ?1 AND epoch_key = ?2",
                params![client, &epoch_key[..]],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| e.to_string())?
            .unwrap_or(0);
        let (used, quota) = (used as u64, quota as u64);
        if used + count > quota {
            return Ok(Admission::OverQuota {
                client,
                used,
                quota,
            });
        }
        tx.execute(
            "INSERT INTO usage (client, epoch_key, used) VALUES (?1, ?2, ?3)
             ON CONFLICT (client, epoch_key) DO UPDATE SET used = used + ?3",
            params![client, &epoch_key[..], count as i64],
        )
        .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
        Ok(Admission::Granted { client })
    }
}

/// `hushlist-publish clients ...`.
pub fn command(db: &Path, command: crate::ClientsCommand) -> Result<(), String> {
    let clients = Clients::open(db)?;
    match command {
        crate::ClientsCommand::Add {
            name,
            quota,
            token_file,
        } => {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            // The file first: a token never written anywhere is never registered.
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&token_file)
                .map_err(|e| format!("{}: {e}", token_file.display()))?;
            let token = match clients.add(&name, quota, hushlist::format::time::now()) {
                Ok(token) => token,
                Err(e) => {
                    let _ = std::fs::remove_file(&token_file);
                    return Err(e);
                }
            };
            file.write_all(format!("{token}\n").as_bytes())
                .and_then(|_| file.sync_all())
                .map_err(|e| format!("{}: {e}", token_file.display()))?;
            println!(
                "client {name:?} registered, {quota} evaluations per epoch; its token is in {} \
                 (mode 0600): hand it over as you would a password",
                token_file.display()
            );
        }
        crate::ClientsCommand::Quota { name, quota } => {
            clients.set_quota(&name, quota)?;
            println!("client {name:?}: {quota} evaluations per epoch");
        }
        crate::ClientsCommand::List => {
            for c in clients.list()? {
                println!("{}  quota {} per epoch", c.name, c.quota);
                for (key, used) in c.used {
                    println!("    epoch key {}…  used {used}", &key[..16]);
                }
            }
        }
    }
    Ok(())
}

//! Fresh stores for tests: always a SQLite file in a temporary directory,
//! and also a fresh PostgreSQL database when `PARTNERSHIP_TEST_DATABASE_URL`
//! points at a server (CI sets it), so the same store tests run on both.

use anyhow::Context;
use sqlx::Connection;
use sqlx::AnyConnection;

/// The variable naming a PostgreSQL server for tests, e.g.
/// `postgres://root@127.0.0.1:5432/test`.
pub const TEST_DATABASE_URL: &str = "PARTNERSHIP_TEST_DATABASE_URL";

/// The prefix of every database the tests create; CI drops them first.
pub const TEST_DATABASE_PREFIX: &str = "partnership_test_";

/// A store location for one test; keeps its temporary directory alive.
pub struct TestStore {
    /// `sqlite` or `postgres`, for assertion messages.
    pub label: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// One fresh SQLite store, and one fresh PostgreSQL store if configured.
pub async fn test_stores(service: &str) -> anyhow::Result<Vec<TestStore>> {
    let mut stores = vec![sqlite_store(service)?];
    if let Some(url) = postgres_store().await? {
        stores.push(TestStore { label: "postgres", url, _dir: None });
    }
    Ok(stores)
}

/// A fresh SQLite store in its own temporary directory.
pub fn sqlite_store(service: &str) -> anyhow::Result<TestStore> {
    let dir = tempfile::tempdir()?;
    let url = crate::store::sqlite_url(dir.path(), service);
    Ok(TestStore { label: "sqlite", url, _dir: Some(dir) })
}

/// A fresh, empty PostgreSQL database, if a test server is configured.
pub async fn postgres_store() -> anyhow::Result<Option<String>> {
    let Ok(admin_url) = std::env::var(TEST_DATABASE_URL) else { return Ok(None) };
    if admin_url.is_empty() {
        return Ok(None);
    }
    sqlx::any::install_default_drivers();
    let name = format!("{TEST_DATABASE_PREFIX}{}", uuid_like());
    let mut conn = AnyConnection::connect(&admin_url)
        .await
        .with_context(|| format!("connecting to {TEST_DATABASE_URL}"))?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
    conn.close().await?;
    Ok(Some(with_database(&admin_url, &name)))
}

/// The URL with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}_{}_{}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_name() {
        assert_eq!(super::with_database("postgres://root@127.0.0.1:5432/test", "x"), "postgres://root@127.0.0.1:5432/x");
        assert_eq!(super::with_database("postgres://h/test?sslmode=disable", "x"), "postgres://h/x?sslmode=disable");
        assert_eq!(super::with_database("postgres://h", "x"), "postgres://h/x");
    }
}

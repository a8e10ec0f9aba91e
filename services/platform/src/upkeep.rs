//! What a SQLite store needs beside its writes: WAL checkpoints, mostly
//! off the write path, and statistics for the query planner.
//!
//! **Checkpoints.** SQLite copies the WAL back into the database file (a
//! checkpoint) on the connection whose commit pushed the WAL past a
//! threshold: under a steady stream of writes that is the one write
//! connection, and every queued writer waits for the copy. So a task
//! copies instead, on a reader connection, beside the writer and the
//! readers (PASSIVE), shortly after commits. The write connection keeps a
//! checkpoint of its own, at a higher threshold ([`WRITER_PRAGMA`]): only
//! a checkpoint that catches up completely while no write is under way
//! lets the next write start the WAL from its beginning again, and under
//! continuous writes only the writer, between two of its transactions,
//! sees such a moment. By then the task has copied nearly everything, so
//! the writer's share is the tail and two short fsyncs; the WAL file stays
//! at about the threshold and is rewritten in place rather than grown.
//! Durability is unchanged: a commit is durable once its WAL frames are
//! synced (`synchronous = FULL`); a checkpoint only moves them.
//!
//! **Planner statistics.** Without them SQLite guesses which index serves
//! a query best, and for the report's aggregates it guessed wrong (all of
//! a municipality's contracts read to find a year's completed
//! trajectories, instead of that year's few). `PRAGMA optimize` analyses
//! the tables whose size changed much since they were last analysed, each
//! from a sample ([`OPTIMIZE`]): when the store opens and, while writes
//! come in, at most every [`OPTIMIZE_EVERY`]. It runs as a write of its own
//! (the statistics are a table), in turn with the others.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::AnyPool;
use tokio::sync::Notify;

use crate::group_commit::GroupWriter;

/// After a commit, how long the task lets further commits gather before it
/// copies them (at most this many checkpoints a second, none when idle).
pub const AFTER: Duration = Duration::from_millis(20);

/// The write connection's own checkpoint threshold, in pages (SQLite's
/// default is 1,000): 16 MB of WAL at the default page size.
pub(crate) const WRITER_PRAGMA: &str = "PRAGMA wal_autocheckpoint = 4000";

/// How often, at most, the statistics are brought up to date while writes
/// come in.
pub const OPTIMIZE_EVERY: Duration = Duration::from_secs(10);

/// Analyses what changed much, reading at most about a thousand rows of
/// each index (a bounded cost at any size).
pub(crate) const OPTIMIZE: &str = "PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002";

/// Wakes the upkeep task when something was committed, or to stop.
#[derive(Debug, Default)]
pub(crate) struct Committed {
    wake: Notify,
    closed: AtomicBool,
}

impl Committed {
    pub(crate) fn tell(&self) {
        self.wake.notify_one();
    }

    /// The store is closing: the task ends.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
}

/// Keeps `pool`'s database up after `writer`'s commits, until the store
/// is closed.
pub(crate) fn spawn(pool: AnyPool, writer: Arc<GroupWriter>) {
    let committed = writer.committed();
    tokio::spawn(async move {
        let mut optimized = Instant::now();
        loop {
            committed.wake.notified().await;
            tokio::time::sleep(AFTER).await;
            if committed.closed.load(Ordering::SeqCst) || pool.is_closed() {
                return;
            }
            if let Err(err) = checkpoint(&pool).await {
                if pool.is_closed() {
                    return;
                }
                // Tried again after the next commit; the writer's own
                // checkpoint bounds the WAL meanwhile.
                tracing::warn!(%err, "WAL checkpoint failed");
            }
            if optimized.elapsed() >= OPTIMIZE_EVERY {
                optimized = Instant::now();
                if let Err(err) = optimize(&writer).await {
                    tracing::warn!(%err, "updating the planner's statistics failed");
                }
            }
        }
    });
}

async fn checkpoint(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut *conn).await.map(drop)
}

/// Brings the planner's statistics up to date, as one of the writes.
pub(crate) async fn optimize(writer: &Arc<GroupWriter>) -> Result<(), sqlx::Error> {
    let mut tx = writer.begin().await?;
    sqlx::raw_sql(OPTIMIZE).execute(tx.conn()).await?;
    tx.commit(false).await
}

#[cfg(test)]
mod tests {
    use crate::Db;

    fn len(path: std::path::PathBuf) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commits_are_checkpointed_beside_the_writer_and_the_wal_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let (file, wal) = (dir.path().join("c.db"), dir.path().join("c.db-wal"));
        let table = crate::Migration { version: 1, name: "t", sql: "CREATE TABLE t (id BIGINT PRIMARY KEY, pad TEXT NOT NULL)" };
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", file.display()), &[table]).await.unwrap();
        let pad = "x".repeat(1000);
        let write = |batch: i64| {
            let (db, pad) = (db.clone(), pad.clone());
            async move {
                let mut tx = db.begin_write().await.unwrap();
                for i in 0..100 {
                    sqlx::query("INSERT INTO t (id, pad) VALUES ($1, $2)").bind(batch * 100 + i).bind(&pad).execute(tx.conn()).await.unwrap();
                }
                tx.commit().await.unwrap();
            }
        };
        // About 250 pages, far below the writer's own threshold: only the
        // task can have copied them into the database file.
        let before = len(file.clone());
        for batch in 0..10 {
            write(batch).await;
        }
        tokio::time::sleep(10 * super::AFTER).await;
        assert!(len(file.clone()) > before + 900_000, "the database file holds the commits: {} bytes", len(file.clone()));
        // 24 MB more, without a pause: the writer's checkpoint at 4,000
        // pages (16 MB) lets the WAL start over, so it never holds it all.
        let mut largest = 0;
        for batch in 10..250 {
            write(batch).await;
            largest = largest.max(len(wal.clone()));
        }
        assert!(largest < 20_000_000, "the WAL grew to {largest} bytes");
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(db.pool()).await.unwrap();
        assert_eq!(rows, 25_000);
        db.close().await;
    }

    #[tokio::test]
    async fn a_store_opened_again_knows_its_tables_for_the_planner() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
        let table = crate::Migration { version: 1, name: "t", sql: "CREATE TABLE t (id BIGINT PRIMARY KEY, k TEXT NOT NULL); CREATE INDEX t_by_k ON t (k)" };
        let db = Db::connect(&url, &[table]).await.unwrap();
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO t (id, k) WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 5000) SELECT v, 'k' || (v % 10) FROM n").execute(tx.conn()).await.unwrap();
        tx.commit().await.unwrap();
        db.close().await;
        let db = Db::connect(&url, &[table]).await.unwrap();
        let stats: Vec<(String, String)> = sqlx::query_as("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 't' ORDER BY idx").fetch_all(db.pool()).await.unwrap();
        let by_k = stats.iter().find(|(idx, _)| idx == "t_by_k").unwrap_or_else(|| panic!("no statistics of t_by_k: {stats:?}"));
        assert!(by_k.1.starts_with("5000 "), "the rows of t, then about how many share a k: {stats:?}");
        db.close().await;
    }
}

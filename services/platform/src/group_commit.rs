//! Group commit for SQLite: concurrent write transactions share one durable
//! commit (one WAL fsync) instead of paying one each.
//!
//! SQLite has one writer at a time. Writers queue for the one write
//! connection; each runs inside a SAVEPOINT of a transaction that stays open
//! while others are queued. Its `commit` releases the savepoint and waits;
//! the last writer of the group (nobody queued behind it, or the group is
//! full) commits the transaction for all of them, and every writer of the
//! group is answered with that commit's outcome — nobody is told "done"
//! before the commit that makes its change durable (`synchronous = FULL`)
//! has returned. A writer that fails or is dropped rolls back to its
//! savepoint, taking nothing of the others with it.
//!
//! Durability is not weakened: a group commits exactly like one transaction
//! would; writers only stop paying for an fsync each.
//!
//! A writer that only inserts rows it has ready (a batch of new
//! registrations, of audit records) need not take turns statement by
//! statement: `write_at_once` sends BEGIN, its INSERTs and COMMIT to the
//! connection's thread as one script, a group of one; if a group is open
//! and waiting for it, the rows join that group, also in one round trip.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex as StdMutex;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use crate::store::{JsonRows, Script};
use crate::upkeep::Committed;

/// The most writers one commit carries (bounds the work lost to one
/// failing commit and the latency of the first writer in a group).
pub const MAX_GROUP: usize = 128;

/// Outcomes kept for writers still to read theirs.
const OUTCOMES_KEPT: usize = 1024;

pub(crate) struct Writer {
    /// `None` once the store is closed.
    conn: Option<PoolConnection<Any>>,
    /// A transaction is open on `conn`.
    open: bool,
    /// Writers whose savepoints were released into the open transaction.
    members: usize,
    /// The number of the group the open transaction belongs to.
    group: u64,
}

/// The write connection and what waits for it.
pub(crate) struct GroupWriter {
    writer: Arc<Mutex<Writer>>,
    /// Writers waiting for the connection: while there are any, a group
    /// stays open for them.
    queued: AtomicUsize,
    /// The number of the last group whose commit finished.
    finished: watch::Sender<u64>,
    /// (group, error) of recent groups, for writers reading theirs.
    outcomes: StdMutex<VecDeque<(u64, Option<String>)>>,
    /// Told of every commit, for the store's upkeep.
    committed: Arc<Committed>,
}

impl std::fmt::Debug for GroupWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter").field("queued", &self.queued.load(Ordering::Relaxed)).finish()
    }
}

/// One writer's turn on the connection.
pub(crate) struct GroupTx {
    writer: Option<OwnedMutexGuard<Writer>>,
    shared: Arc<GroupWriter>,
}

/// Counts a writer as queued until it holds the connection (or gives up).
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl GroupWriter {
    pub(crate) fn new(conn: PoolConnection<Any>) -> Arc<Self> {
        let (finished, _) = watch::channel(0);
        Arc::new(Self {
            writer: Arc::new(Mutex::new(Writer { conn: Some(conn), open: false, members: 0, group: 1 })),
            queued: AtomicUsize::new(0),
            finished,
            outcomes: StdMutex::new(VecDeque::new()),
            committed: Arc::default(),
        })
    }

    /// What is told of every commit (see [`crate::upkeep`]).
    pub(crate) fn committed(&self) -> Arc<Committed> {
        self.committed.clone()
    }

    /// How many group commits have finished.
    pub(crate) fn groups_committed(&self) -> u64 {
        *self.finished.borrow()
    }

    /// Waits for the writers in flight, then gives the connection back to
    /// the pool (which closes it); later writers get an error.
    pub(crate) async fn close(&self) {
        let mut writer = self.writer.lock().await;
        writer.conn = None;
        self.committed.close();
    }

    /// Waits for the connection and opens this writer's savepoint.
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<GroupTx, sqlx::Error> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let queued = Queued(&self.queued);
        let mut writer = self.writer.clone().lock_owned().await;
        drop(queued);
        let opened = async {
            if writer.open {
                return sqlx::query("SAVEPOINT writer").execute(conn(&mut writer)?).await.map(drop);
            }
            // Both in one round trip to the connection's thread.
            if let Err(err) = sqlx::raw_sql("BEGIN IMMEDIATE; SAVEPOINT writer").execute(conn(&mut writer)?).await {
                // The BEGIN may have run without the SAVEPOINT.
                let _ = sqlx::query("ROLLBACK").execute(conn(&mut writer)?).await;
                return Err(err);
            }
            writer.open = true;
            Ok(())
        }
        .await;
        match opened {
            Ok(()) => Ok(GroupTx { writer: Some(writer), shared: self.clone() }),
            Err(err) => {
                self.hand_over(writer);
                Err(err)
            }
        }
    }

    /// Leaves the connection: commits the group if nobody else is coming
    /// to join it (or it is full); otherwise the next writer carries on.
    fn hand_over(self: &Arc<Self>, writer: OwnedMutexGuard<Writer>) {
        if writer.open && self.closes_group(&writer) {
            self.spawn_commit(writer, "COMMIT");
        }
    }

    /// Nobody is coming to join the open group, or it is full.
    fn closes_group(&self, writer: &Writer) -> bool {
        self.queued.load(Ordering::SeqCst) == 0 || writer.members >= MAX_GROUP
    }

    /// Commits the group with `sql` (ending in COMMIT) in a task of its
    /// own, so a cancelled request cannot leave a group half-committed and
    /// its writers waiting.
    fn spawn_commit(self: &Arc<Self>, writer: OwnedMutexGuard<Writer>, sql: &'static str) {
        let shared = self.clone();
        tokio::spawn(async move { shared.commit_group(writer, sql).await });
    }

    async fn commit_group(&self, mut writer: OwnedMutexGuard<Writer>, sql: &'static str) {
        let started = std::time::Instant::now();
        let committed = match conn(&mut writer) {
            Ok(conn) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(conn).await.map(drop),
            Err(err) => Err(err),
        };
        crate::metrics::record_commit(started, committed.is_ok());
        if committed.is_ok() {
            self.committed.tell();
        }
        if committed.is_err() {
            // Whatever is left of the transaction goes; the writers hear why.
            if let Ok(conn) = conn(&mut writer) {
                let _ = sqlx::query("ROLLBACK").execute(conn).await;
            }
        }
        writer.open = false;
        writer.members = 0;
        // Published before the connection is let go: a later group cannot
        // finish first, and its number is never seen before this one's outcome.
        self.finish_group(&mut writer, committed.err().map(|e| e.to_string()));
    }

    /// Writes rows in a transaction of their own, in one round trip to the
    /// connection's thread (see `Db::write_at_once`); if a group is open,
    /// waiting for this writer, the rows join it instead (also one round
    /// trip: savepoint, rows, release).
    pub(crate) async fn write_at_once(self: &Arc<Self>, tables: &[&JsonRows]) -> Result<(), sqlx::Error> {
        let tables: Vec<&JsonRows> = tables.iter().copied().filter(|t| !t.is_empty()).collect();
        if tables.is_empty() {
            return Ok(());
        }
        self.queued.fetch_add(1, Ordering::SeqCst);
        let queued = Queued(&self.queued);
        let writer = self.writer.clone().lock_owned().await;
        drop(queued);
        let joins = writer.open;
        let script = if joins {
            JsonRows::sqlite_script(&tables, "SAVEPOINT writer", "RELEASE SAVEPOINT writer", "INSERT")
        } else {
            JsonRows::sqlite_script(&tables, "BEGIN IMMEDIATE", "COMMIT", "INSERT OR ROLLBACK")
        };
        let script = match script {
            Ok(script) => script,
            Err(err) => {
                self.hand_over(writer);
                return Err(err);
            }
        };
        // In a task of its own, like a group's commit: a cancelled caller
        // cannot leave the connection in the middle of a transaction.
        let shared = self.clone();
        let task = tokio::spawn(async move {
            if joins { shared.join_group(writer, script).await } else { shared.commit_alone(writer, script).await }
        });
        task.await.map_err(|err| sqlx::Error::Protocol(format!("the write stopped: {err}")))?
    }

    /// Runs `script` (savepoint, rows, release) in the open group, then
    /// waits for the group's commit like any member.
    async fn join_group(self: &Arc<Self>, mut writer: OwnedMutexGuard<Writer>, script: Script) -> Result<(), sqlx::Error> {
        let written = match conn(&mut writer) {
            Ok(conn) => script.execute(conn).await.map(drop),
            Err(err) => Err(err),
        };
        if let Err(err) = written {
            rollback_savepoint(self, &mut writer).await;
            self.hand_over(writer);
            return Err(err);
        }
        writer.members += 1;
        let group = writer.group;
        self.hand_over(writer);
        self.outcome(group).await
    }

    /// Runs `script` (BEGIN, rows, COMMIT): a group of one, finished when
    /// the script returns.
    async fn commit_alone(&self, mut writer: OwnedMutexGuard<Writer>, script: Script) -> Result<(), sqlx::Error> {
        let started = std::time::Instant::now();
        let committed = match conn(&mut writer) {
            Ok(conn) => script.execute(conn).await.map(drop),
            Err(err) => Err(err),
        };
        // Recorded as the commit's duration, INSERTs included: one script.
        crate::metrics::record_commit(started, committed.is_ok());
        match &committed {
            Ok(()) => self.committed.tell(),
            // Whatever of it ran goes. (A broken constraint has rolled it
            // back already, and so has a failed BEGIN: this ROLLBACK then
            // fails, harmlessly.)
            Err(_) => {
                if let Ok(conn) = conn(&mut writer) {
                    let _ = sqlx::query("ROLLBACK").execute(conn).await;
                }
            }
        }
        self.finish_group(&mut writer, committed.as_ref().err().map(|e| e.to_string()));
        committed
    }

    /// Tells the writers of the writer's current group its outcome and
    /// moves on to the next group number.
    fn finish_group(&self, writer: &mut Writer, error: Option<String>) {
        let group = writer.group;
        writer.group += 1;
        self.publish(group, error);
    }

    fn publish(&self, group: u64, error: Option<String>) {
        if let Ok(mut outcomes) = self.outcomes.lock() {
            outcomes.push_back((group, error));
            while outcomes.len() > OUTCOMES_KEPT {
                outcomes.pop_front();
            }
        }
        self.finished.send_replace(group);
    }

    /// Waits for `group`'s commit and gives its outcome.
    async fn outcome(&self, group: u64) -> Result<(), sqlx::Error> {
        let mut finished = self.finished.subscribe();
        finished
            .wait_for(|&last| last >= group)
            .await
            .map_err(|_| sqlx::Error::Protocol("the store's writer stopped".into()))?;
        let outcomes = self.outcomes.lock().map_err(|_| sqlx::Error::Protocol("outcomes poisoned".into()))?;
        match outcomes.iter().find(|(g, _)| *g == group) {
            Some((_, None)) => Ok(()),
            Some((_, Some(error))) => Err(sqlx::Error::Protocol(format!("the group commit failed: {error}"))),
            None => Err(sqlx::Error::Protocol("the outcome of the group commit is no longer known".into())),
        }
    }
}

/// The write connection, or the error of a closed store.
fn conn(writer: &mut Writer) -> Result<&mut AnyConnection, sqlx::Error> {
    writer.conn.as_deref_mut().ok_or(sqlx::Error::PoolClosed)
}

impl GroupTx {
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        let writer = self.writer.as_mut().expect("the writer is held until commit or drop");
        // A transaction is only handed out on an open connection (`begin`),
        // and the store is closed only between transactions.
        writer.conn.as_deref_mut().expect("the store is open while a transaction runs")
    }

    /// Releases the savepoint into the group and waits for the group's
    /// commit. `promptly`: the group commits now, with whoever joined it
    /// before, instead of staying open for the writers queued behind.
    pub(crate) async fn commit(mut self, promptly: bool) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.take().expect("the writer is held until commit");
        let shared = self.shared.clone();
        if promptly || shared.closes_group(&writer) {
            // The last of its group: released and committed in one round
            // trip to the connection's thread. Should the savepoint not
            // release, nothing commits and the whole group hears why.
            writer.members += 1;
            let group = writer.group;
            shared.spawn_commit(writer, "RELEASE SAVEPOINT writer; COMMIT");
            return shared.outcome(group).await;
        }
        let released = match conn(&mut writer) {
            Ok(conn) => sqlx::query("RELEASE SAVEPOINT writer").execute(conn).await.map(drop),
            Err(err) => Err(err),
        };
        match released {
            Ok(_) => {
                writer.members += 1;
                let group = writer.group;
                shared.hand_over(writer);
                shared.outcome(group).await
            }
            Err(err) => {
                rollback_savepoint(&shared, &mut writer).await;
                shared.hand_over(writer);
                Err(err)
            }
        }
    }
}

impl Drop for GroupTx {
    /// Not committed: undo this writer's changes only, then pass on.
    fn drop(&mut self) {
        if let Some(mut writer) = self.writer.take() {
            let shared = self.shared.clone();
            tokio::spawn(async move {
                rollback_savepoint(&shared, &mut writer).await;
                shared.hand_over(writer);
            });
        }
    }
}

async fn rollback_savepoint(shared: &GroupWriter, writer: &mut Writer) {
    let undone = async {
        sqlx::query("ROLLBACK TO SAVEPOINT writer").execute(conn(writer)?).await?;
        sqlx::query("RELEASE SAVEPOINT writer").execute(conn(writer)?).await
    }
    .await;
    if let Err(err) = undone {
        // SQLite rolled the whole transaction back (e.g. out of disk): the
        // group is lost, and its writers are told so.
        tracing::error!(%err, "a write transaction was lost; failing its group");
        if let Ok(conn) = conn(writer) {
            let _ = sqlx::query("ROLLBACK").execute(conn).await;
        }
        writer.open = false;
        writer.members = 0;
        shared.finish_group(writer, Some(err.to_string()));
    }
}

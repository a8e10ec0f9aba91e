//! Batched writes: many concurrent requests that each write a few rows
//! hand them to one writer task, which writes as many as are waiting in
//! one transaction — a few multi-row statements and one durable commit
//! instead of a transaction each — and answers every request once that
//! commit has returned. Nobody is told "written" before it is durable.
//!
//! A batch that fails is written again one item at a time, so one bad
//! item (a duplicate key, say) fails alone, with its own error, and the
//! others are still written.
//!
//! Used by the audit log (every request's record) and intake's new
//! registrations (the write path the benchmarks load).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::store::{Db, JsonRows};

/// What a batch of items writes: rows, inserted and committed in one
/// transaction of their own ([`Db::write_at_once`]).
pub trait BatchWrite: Send + Sync + 'static {
    type Item: Send + Sync + 'static;

    /// The rows of `items` (at least one), in the order they are inserted.
    fn rows(&self, items: &[Self::Item]) -> Vec<JsonRows>;
}

/// An item waiting to be written, and who waits for it.
struct Waiting<T> {
    item: T,
    written: oneshot::Sender<Result<(), sqlx::Error>>,
}

/// The queue to one writer task.
pub struct Batcher<W: BatchWrite> {
    queue: mpsc::Sender<Waiting<W::Item>>,
}

impl<W: BatchWrite> Clone for Batcher<W> {
    fn clone(&self) -> Self {
        Self { queue: self.queue.clone() }
    }
}

impl<W: BatchWrite> std::fmt::Debug for Batcher<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").field("capacity", &self.queue.capacity()).finish()
    }
}

impl<W: BatchWrite> Batcher<W> {
    /// A writer task for `db` that writes at most `max_batch` items a time.
    pub fn new(db: Db, writer: W, max_batch: usize) -> Self {
        let (queue, waiting) = mpsc::channel(4 * max_batch.max(1));
        tokio::spawn(write_waiting(db, Arc::new(writer), waiting, max_batch.max(1)));
        Self { queue }
    }

    /// Writes one item; returns once it is durable (or why it is not).
    pub async fn write(&self, item: W::Item) -> Result<(), sqlx::Error> {
        let (written, answer) = oneshot::channel();
        let stopped = || sqlx::Error::Protocol("the batch writer has stopped".into());
        self.queue.send(Waiting { item, written }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The writer: takes what waits, writes it, answers everyone; until every
/// sender is gone.
async fn write_waiting<W: BatchWrite>(db: Db, writer: Arc<W>, mut waiting: mpsc::Receiver<Waiting<W::Item>>, max: usize) {
    while let Some(first) = waiting.recv().await {
        let mut batch = vec![first];
        while batch.len() < max {
            match waiting.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (items, answers): (Vec<W::Item>, Vec<_>) = batch.into_iter().map(|w| (w.item, w.written)).unzip();
        match write_in_transaction(&db, writer.as_ref(), &items).await {
            Ok(()) => answers.into_iter().for_each(|a| drop(a.send(Ok(())))),
            Err(err) if items.len() == 1 => drop(answers.into_iter().next().map(|a| a.send(Err(err)))),
            Err(err) => {
                tracing::debug!(%err, items = items.len(), "a batch failed; writing its items one by one");
                for (item, answer) in items.iter().zip(answers) {
                    let _ = answer.send(write_in_transaction(&db, writer.as_ref(), std::slice::from_ref(item)).await);
                }
            }
        }
    }
}

async fn write_in_transaction<W: BatchWrite>(db: &Db, writer: &W, items: &[W::Item]) -> Result<(), sqlx::Error> {
    let rows = writer.rows(items);
    db.write_at_once(&rows.iter().collect::<Vec<_>>()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Numbers;

    impl BatchWrite for Numbers {
        type Item = i64;

        fn rows(&self, items: &[i64]) -> Vec<JsonRows> {
            let mut numbers = JsonRows::new("numbers", &["n"], &["n"]);
            items.iter().for_each(|n| numbers.push(&[(*n).into()]));
            vec![numbers]
        }
    }

    #[tokio::test]
    async fn concurrent_items_are_written_together_and_a_bad_one_fails_alone() {
        for store in crate::testing::test_stores("batch").await.unwrap() {
            let migration = crate::Migration { version: 1, name: "numbers", sql: "CREATE TABLE numbers (n BIGINT PRIMARY KEY)" };
            let db = Db::connect(&store.url, &[migration]).await.unwrap();
            let batcher = Batcher::new(db.clone(), Numbers, 64);
            batcher.write(7).await.unwrap();
            // 200 writers at once, one of them a duplicate of 7.
            let writes: Vec<_> = (0..200)
                .map(|i| {
                    let batcher = batcher.clone();
                    tokio::spawn(async move { batcher.write(if i == 100 { 7 } else { 1000 + i }).await })
                })
                .collect();
            let mut failed = Vec::new();
            for (i, write) in writes.into_iter().enumerate() {
                if let Err(err) = write.await.unwrap() {
                    failed.push((i, err.as_database_error().map(|e| e.is_unique_violation())));
                }
            }
            assert_eq!(failed, [(100, Some(true))], "only the duplicate fails, as a unique violation");
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM numbers").fetch_one(db.pool()).await.unwrap();
            assert_eq!(count, 200, "7 and the 199 others");
        }
    }
}

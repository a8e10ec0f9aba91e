//! Benchmark (not a test): durable writes per second on SQLite with group
//! commit against one commit per write, at 1, 16 and 64 concurrent
//! writers, measured in the same run on the same machine. Both modes run
//! `synchronous = FULL` (every acknowledged write survives a power cut);
//! grouping only shares the fsync.
//!
//! `cargo bench -p partnership-platform --bench group_commit`
//! (`GROUP_COMMIT_WRITES=N` writes per run, default 3000).

use std::time::{Duration, Instant};

use partnership_platform::store::{Db, Migration, sqlite_url};

const SCHEMA: Migration = Migration {
    version: 1,
    name: "writes",
    sql: "CREATE TABLE writes (id BIGINT PRIMARY KEY, writer BIGINT NOT NULL, payload TEXT NOT NULL);",
};

struct Run {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    commits: Option<u64>,
}

async fn run(db: &Db, writers: usize, writes: usize) -> Run {
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for i in (w..writes).step_by(writers) {
                    let begun = Instant::now();
                    let mut tx = db.begin_write().await.expect("begin");
                    sqlx::query("INSERT INTO writes (id, writer, payload) VALUES ($1, $2, $3)")
                        .bind(i as i64)
                        .bind(w as i64)
                        .bind("a registration's worth of text, more or less")
                        .execute(tx.conn())
                        .await
                        .expect("insert");
                    tx.commit().await.expect("commit");
                    latencies.push(begun.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(writes);
    for task in tasks {
        latencies.extend(task.await.expect("writer"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Run { per_second: writes as f64 / elapsed.as_secs_f64(), p50: at(0.50), p99: at(0.99), commits: db.group_commits() }
}

#[tokio::main]
async fn main() {
    let writes: usize = std::env::var("GROUP_COMMIT_WRITES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    println!("durable SQLite writes (synchronous=FULL, WAL), {writes} single-row transactions per run");
    println!("{:>8} {:>22} {:>22} {:>7} {:>16}", "writers", "one commit per write", "group commit", "ratio", "writes/commit");
    for writers in [1, 16, 64] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let grouped = Db::connect(&sqlite_url(dir.path(), "grouped"), &[SCHEMA]).await.expect("store");
        let single = Db::connect(&sqlite_url(dir.path(), "single"), &[SCHEMA]).await.expect("store").one_commit_per_write();
        let baseline = run(&single, writers, writes).await;
        let grouped_run = run(&grouped, writers, writes).await;
        let per_commit = grouped_run.commits.map(|c| writes as f64 / c.max(1) as f64).unwrap_or(1.0);
        println!(
            "{writers:>8} {:>9.0}/s p50 {:>5.1}ms {:>9.0}/s p50 {:>5.1}ms {:>6.1}x {:>16.1}",
            baseline.per_second,
            baseline.p50.as_secs_f64() * 1e3,
            grouped_run.per_second,
            grouped_run.p50.as_secs_f64() * 1e3,
            grouped_run.per_second / baseline.per_second,
            per_commit,
        );
        println!(
            "{:>8} {:>22} {:>22}",
            "p99",
            format!("{:.1}ms", baseline.p99.as_secs_f64() * 1e3),
            format!("{:.1}ms", grouped_run.p99.as_secs_f64() * 1e3)
        );
    }
}

//! Store setup, the same for every service: SQLite (the embedded default,
//! one file per service, WAL with durable commits) or PostgreSQL (by URL),
//! with the service's migrations applied at start-up.
//!
//! Services write their SQL once, for both backends, through sqlx's `Any`
//! driver: dates are `TEXT` (`YYYY-MM-DD`, which sorts as dates do),
//! integers `BIGINT`, money integer cents, placeholders `$1`, `$2`, ….

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyConnection;
use sqlx::{Any, AnyPool, Connection, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::group_commit::{GroupTx, GroupWriter};

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a connection talks to.
    pub fn of(conn: &AnyConnection) -> Self {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") { Self::Postgres } else { Self::Sqlite }
    }

    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!("unsupported database URL (use sqlite:… or postgres://…)")
        }
    }
}

/// One versioned schema change, embedded in the service's binary.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// How long a statement waits for a free connection before the call is
/// answered UNAVAILABLE. Long enough for a queue of report reads at national
/// scale (each a scan of seconds, four SQLite readers) to drain instead of
/// failing half of them; a store that stays this busy is overloaded, and
/// the client hears so as a retryable status.
pub const CONNECTION_WAIT: Duration = Duration::from_secs(60);

/// A service's store: a connection pool and the rule for writing.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    writes: Writes,
}

/// How write transactions reach the database.
#[derive(Clone, Debug)]
enum Writes {
    /// SQLite: one writer connection, concurrent writers grouped into one
    /// durable commit (see [`crate::group_commit`]).
    Grouped(Arc<GroupWriter>),
    /// SQLite, one commit per transaction: writers queue here instead of
    /// failing with SQLITE_BUSY (the benchmark's baseline).
    OneByOne(Arc<Mutex<()>>),
    /// PostgreSQL: a pooled transaction each; the server itself flushes
    /// concurrent commits' WAL together.
    Pooled,
}

/// A write transaction. Dropping it without `commit` rolls it back.
pub struct WriteTx {
    inner: TxInner,
}

enum TxInner {
    Pooled { tx: Transaction<'static, Any>, _gate: Option<OwnedMutexGuard<()>> },
    Grouped(GroupTx),
}

impl WriteTx {
    /// The connection to run statements on.
    pub fn conn(&mut self) -> &mut AnyConnection {
        match &mut self.inner {
            TxInner::Pooled { tx, .. } => tx,
            TxInner::Grouped(tx) => tx.conn(),
        }
    }

    /// Commits; returns once the change is durable.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.commit_grouped(false).await
    }

    /// Commits at once, with the writers grouped before it, instead of
    /// keeping the group open for those queued behind (SQLite). For a large
    /// transaction, such as an HR push: its own writing takes many times a
    /// commit, so grouping saves it little, while waiting for the next
    /// writer's rows would hold its answer for as long as they take.
    pub async fn commit_promptly(self) -> Result<(), sqlx::Error> {
        self.commit_grouped(true).await
    }

    async fn commit_grouped(self, promptly: bool) -> Result<(), sqlx::Error> {
        match self.inner {
            TxInner::Pooled { tx, _gate } => {
                let started = std::time::Instant::now();
                let committed = tx.commit().await;
                crate::metrics::record_commit(started, committed.is_ok());
                committed
            }
            TxInner::Grouped(tx) => tx.commit(promptly).await,
        }
    }
}

/// The URL of a SQLite file in `data_dir` named after the service.
pub fn sqlite_url(data_dir: &Path, service: &str) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join(format!("{service}.db")).display())
}

impl Db {
    /// Connects and applies pending migrations. A failing migration stops
    /// here with a message naming it.
    pub async fn connect(url: &str, migrations: &[Migration]) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        if backend == Backend::Sqlite {
            create_parent_dir(url)?;
        }
        let pool = AnyPoolOptions::new()
            // SQLite: one writer plus readers.
            .max_connections(if backend == Backend::Sqlite { 5 } else { 10 })
            .acquire_timeout(CONNECTION_WAIT)
            .idle_timeout(Duration::from_secs(300))
            .max_lifetime(Duration::from_secs(1800))
            // A SQLite connection is a file handle in this process: there is
            // no server to have gone away, so pinging it before every
            // acquire only costs a round trip to its worker thread.
            .test_before_acquire(backend != Backend::Sqlite)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; FULL makes
                        // every acknowledged commit survive a power cut.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = FULL",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA busy_timeout = 10000",
                            // 16 MiB of pages per connection (the default is
                            // 2): bulk writes into several indexes otherwise
                            // reread the same pages from the OS. Grown on
                            // demand, so an idle service stays small.
                            "PRAGMA cache_size = -16384",
                            // The savepoint journal of group commit (and
                            // temporary b-trees of sorts) in memory: on
                            // disk it spills past 64 KiB into a temp file
                            // written on every grouped write. Durability is
                            // the WAL's, not this journal's.
                            "PRAGMA temp_store = MEMORY",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    } else {
                        // A runaway query fails instead of holding a connection.
                        sqlx::query("SET statement_timeout = '30s'").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .with_context(|| format!("connecting to {}", crate::config::redact_url(url)))?;
        let mut db = Self { pool, backend, writes: Writes::Pooled };
        // Every store keeps its processing log beside the service's tables.
        let all: Vec<Migration> = migrations.iter().chain(crate::audit::migrations(backend)).copied().collect();
        db.migrate(&all).await?;
        crate::audit::protect(&db).await.context("protecting the audit log")?;
        if backend == Backend::Sqlite {
            let mut writer = db.pool.acquire().await.context("the write connection")?;
            sqlx::query(crate::upkeep::WRITER_PRAGMA).execute(&mut *writer).await?;
            let writer = GroupWriter::new(writer);
            crate::upkeep::optimize(&writer).await.context("the planner's statistics")?;
            crate::upkeep::spawn(db.pool.clone(), writer.clone());
            db.writes = Writes::Grouped(writer);
        }
        Ok(db)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction (queued behind other writers on SQLite).
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let inner = match &self.writes {
            Writes::Grouped(writer) => TxInner::Grouped(writer.begin().await?),
            Writes::OneByOne(gate) => {
                let gate = gate.clone().lock_owned().await;
                TxInner::Pooled { tx: self.pool.begin().await?, _gate: Some(gate) }
            }
            Writes::Pooled => TxInner::Pooled { tx: self.pool.begin().await?, _gate: None },
        };
        Ok(WriteTx { inner })
    }

    /// Writes `tables`' rows in a durable transaction of their own and
    /// returns once it is committed. On SQLite with group commit the whole
    /// transaction — BEGIN, the INSERTs, COMMIT — travels to the write
    /// connection's thread in one round trip, instead of one for each and
    /// a savepoint's (each round trip wakes that thread and then the task:
    /// tens of microseconds idle, more under load, while the connection
    /// serves nobody else); a group still open for it is joined instead.
    pub async fn write_at_once(&self, tables: &[&JsonRows]) -> Result<(), sqlx::Error> {
        if let Writes::Grouped(writer) = &self.writes {
            return writer.write_at_once(tables).await;
        }
        let mut tx = self.begin_write().await?;
        JsonRows::insert_all(tx.conn(), tables).await?;
        tx.commit().await
    }

    /// How many commits grouped writes have made so far (SQLite with group
    /// commit; `None` otherwise).
    pub fn group_commits(&self) -> Option<u64> {
        match &self.writes {
            Writes::Grouped(writer) => Some(writer.groups_committed()),
            _ => None,
        }
    }

    /// This store with one commit per write transaction instead of group
    /// commit (SQLite; for measuring what grouping buys).
    pub fn one_commit_per_write(mut self) -> Self {
        if self.backend == Backend::Sqlite {
            self.writes = Writes::OneByOne(Arc::new(Mutex::new(())));
        }
        self
    }

    async fn migrate(&self, migrations: &[Migration]) -> anyhow::Result<()> {
        let mut conn = self.pool.acquire().await?;
        if self.backend == Backend::Postgres {
            // Replicas starting together apply migrations one at a time.
            sqlx::query("SELECT pg_advisory_lock(7242001)").execute(&mut *conn).await?;
        }
        let result = apply_migrations(&mut conn, migrations).await;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_unlock(7242001)").execute(&mut *conn).await?;
        }
        result
    }

    /// Closes the store: waits for the writes in flight (a group commit
    /// included), then for connections in use to be returned.
    pub async fn close(&self) {
        if let Writes::Grouped(writer) = &self.writes {
            writer.close().await;
        }
        self.pool.close().await;
    }
}

async fn apply_migrations(conn: &mut AnyConnection, migrations: &[Migration]) -> anyhow::Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )
    .execute(&mut *conn)
    .await
    .context("creating schema_migrations")?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(&mut *conn)
        .await?;
    if let Some(unknown) = applied.iter().find(|v| !migrations.iter().any(|m| m.version == **v)) {
        anyhow::bail!("the store has migration {unknown}, which this build does not know; run a newer build");
    }
    for migration in migrations.iter().filter(|m| !applied.contains(&m.version)) {
        let mut tx = conn.begin().await?;
        sqlx::raw_sql(migration.sql).execute(&mut *tx).await.with_context(|| {
            format!("migration {} ({}) failed", migration.version, migration.name)
        })?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(chrono::Utc::now().to_rfc3339())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = migration.version, name = migration.name, "applied migration");
    }
    Ok(())
}

fn create_parent_dir(url: &str) -> anyhow::Result<()> {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    Ok(())
}

/// True if the error is a unique-constraint violation (a concurrent or
/// repeated insert of the same key), on either backend.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

/// A write that lost a race with another and may simply be retried: a
/// unique key taken first, or PostgreSQL's deadlock (40P01) and
/// serialization failure (40001).
pub fn is_lost_race(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation() || matches!(db.code().as_deref(), Some("40001" | "40P01")),
        _ => false,
    }
}

/// Reading stored values back: dates are `TEXT`, and a value that does not
/// decode is a fault on our side (INTERNAL), never the client's.
pub mod rows {
    use chrono::NaiveDate;
    use sqlx::Row;
    use sqlx::any::AnyRow;

    use crate::error::ServiceError;

    pub fn corrupt(what: &str, value: &str) -> ServiceError {
        ServiceError::Internal(format!("stored {what} {value:?} does not decode"))
    }

    pub fn date(row: &AnyRow, column: &str) -> Result<NaiveDate, ServiceError> {
        parsed_date(column, &row.try_get::<String, _>(column)?)
    }

    pub fn opt_date(row: &AnyRow, column: &str) -> Result<Option<NaiveDate>, ServiceError> {
        row.try_get::<Option<String>, _>(column)?.map(|t| parsed_date(column, &t)).transpose()
    }

    /// A stored date as text (from a packed answer, say).
    pub fn parsed_date(column: &str, text: &str) -> Result<NaiveDate, ServiceError> {
        text.parse().map_err(|_| corrupt(column, text))
    }
}

/// `table` (with its alias, if any) for a query, read in the table's own
/// order (`NOT INDEXED`, SQLite only) when `whole_table`: for a scope that
/// holds most rows, walking an index and looking every row up costs more
/// than reading the table, and SQLite's sampled statistics do not always
/// see that (BENCHMARKS.md has the figures).
pub fn table_for(conn: &AnyConnection, table: &str, whole_table: bool) -> String {
    if whole_table && Backend::of(conn) == Backend::Sqlite { format!("{table} NOT INDEXED") } else { table.to_owned() }
}

/// Statements with their bound values, ready to run.
pub(crate) type Script = sqlx::query::Query<'static, Any, sqlx::any::AnyArguments>;

/// Rows for one INSERT that travel as a single JSON parameter (an array
/// of arrays, one value per column), instead of a placeholder per value:
/// sqlx binds `$N` by looking its name up among all of the statement's,
/// so a multi-row INSERT of n values costs n²/2 compares on SQLite, and
/// the JSON text is read once. Each row is written as JSON text as it is
/// pushed: no tree of values per row to build, keep and free (an HR push
/// has 100,000 rows of fifteen values).
#[derive(Debug, Clone)]
pub struct JsonRows {
    table: &'static str,
    columns: &'static [&'static str],
    /// The BIGINT columns (PostgreSQL reads JSON values as text).
    integers: &'static [&'static str],
    /// `[[…],[…]`: the rows so far as JSON text, the closing bracket
    /// still to come.
    text: Vec<u8>,
    rows: usize,
    /// `ON CONFLICT (…) DO UPDATE SET c = table.c + excluded.c`: rows
    /// whose key is there already add to it.
    on_conflict: Option<String>,
}

/// One value of a [`JsonRows`] row: text, an integer or null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(text: &'a str) -> Self {
        Cell::Text(text)
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(text: &'a String) -> Self {
        Cell::Text(text)
    }
}

impl From<i64> for Cell<'_> {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

impl<'a, T: Into<Cell<'a>>> From<Option<T>> for Cell<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::Null, Into::into)
    }
}

impl JsonRows {
    pub fn new(table: &'static str, columns: &'static [&'static str], integers: &'static [&'static str]) -> Self {
        Self { table, columns, integers, text: b"[".to_vec(), rows: 0, on_conflict: None }
    }

    /// Rows whose `key` exists already add their `column` to the stored
    /// one instead of failing. The rows pushed must have distinct keys
    /// (PostgreSQL refuses to update one row twice in a statement).
    pub fn adding_on_conflict(mut self, key: &[&str], column: &str) -> Self {
        let table = self.table;
        self.on_conflict =
            Some(format!(" WHERE true ON CONFLICT ({}) DO UPDATE SET {column} = {table}.{column} + excluded.{column}", key.join(", ")));
        self
    }

    /// Rows whose `key` exists already replace the stored `columns` instead
    /// of failing (the same rule as [`JsonRows::adding_on_conflict`] on
    /// distinct keys).
    pub fn replacing_on_conflict(mut self, key: &[&str], columns: &[&str]) -> Self {
        let set: Vec<String> = columns.iter().map(|c| format!("{c} = excluded.{c}")).collect();
        self.on_conflict = Some(format!(" WHERE true ON CONFLICT ({}) DO UPDATE SET {}", key.join(", "), set.join(", ")));
        self
    }

    /// Rows that would break the unique index `target` names (its columns,
    /// and the `WHERE` of a partial index) are left out instead of failing
    /// the statement; the rows before them in this INSERT count, so of
    /// several rows for one key the first is kept.
    pub fn skipping_conflicts_on(mut self, target: &str) -> Self {
        self.on_conflict = Some(format!(" WHERE true ON CONFLICT {target} DO NOTHING"));
        self
    }

    /// The rows pushed so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Adds a row: one value per column, in order.
    pub fn push(&mut self, values: &[Cell<'_>]) {
        debug_assert_eq!(values.len(), self.columns.len(), "one value per column of {}", self.table);
        self.text.extend_from_slice(if self.rows == 0 { b"[" } else { b",[" });
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.text.push(b',');
            }
            // Writing into a Vec cannot fail.
            match value {
                Cell::Text(text) => drop(serde_json::to_writer(&mut self.text, text)),
                Cell::Int(n) => drop(serde_json::to_writer(&mut self.text, n)),
                Cell::Null => self.text.extend_from_slice(b"null"),
            }
        }
        self.text.push(b']');
        self.rows += 1;
    }

    /// The rows as one JSON array.
    fn json(&self) -> Result<String, sqlx::Error> {
        let mut json = Vec::with_capacity(self.text.len() + 1);
        json.extend_from_slice(&self.text);
        json.push(b']');
        String::from_utf8(json).map_err(|e| sqlx::Error::Encode(Box::new(e)))
    }

    /// Inserts the rows (none: nothing happens).
    pub async fn insert(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        Self::insert_all(conn, &[self]).await
    }

    /// Inserts the rows of several tables, in order. On SQLite the INSERTs
    /// travel to the connection's thread together, as one script (each
    /// statement's rows its own `$N`), instead of one round trip each;
    /// PostgreSQL prepares one statement at a time, so it gets them in turn.
    pub async fn insert_all(conn: &mut AnyConnection, tables: &[&JsonRows]) -> Result<(), sqlx::Error> {
        Self::insert_all_counting(conn, tables).await.map(drop)
    }

    /// [`JsonRows::insert_all`], answering how many rows were stored (rows
    /// left out on a conflict, see [`JsonRows::skipping_conflicts_on`], not
    /// counted).
    pub async fn insert_all_counting(conn: &mut AnyConnection, tables: &[&JsonRows]) -> Result<u64, sqlx::Error> {
        let tables: Vec<&JsonRows> = tables.iter().copied().filter(|t| t.rows > 0).collect();
        let postgres = Backend::of(conn) == Backend::Postgres;
        if postgres {
            let mut stored = 0;
            for table in tables {
                let sql = table.statement(postgres, 1, "INSERT");
                stored += sqlx::query(sqlx::AssertSqlSafe(sql)).bind(table.json()?).execute(&mut *conn).await?.rows_affected();
            }
            return Ok(stored);
        }
        if tables.is_empty() {
            return Ok(0);
        }
        Ok(Self::sqlite_script(&tables, "", "", "INSERT")?.execute(conn).await?.rows_affected())
    }

    /// The SQLite INSERTs of `tables` (each with rows) as one script
    /// between `before` and `after`, each statement's rows its own `$N`.
    /// `insert` is the statements' verb: `INSERT OR ROLLBACK` in a
    /// transaction of the script's own, which a broken constraint may undo
    /// whole; SQLite then keeps no statement journal to undo one statement
    /// partway (a copy of every page the INSERTs change, ~7% of the write
    /// connection's time in a registration batch).
    pub(crate) fn sqlite_script(
        tables: &[&JsonRows],
        before: &str,
        after: &str,
        insert: &str,
    ) -> Result<Script, sqlx::Error> {
        let statements = tables.iter().enumerate().map(|(n, table)| table.statement(false, n + 1, insert));
        let script: Vec<String> = std::iter::once(before.to_owned()).chain(statements).chain([after.to_owned()]).filter(|s| !s.is_empty()).collect();
        let mut query = sqlx::query(sqlx::AssertSqlSafe(script.join(";\n")));
        for table in tables {
            query = query.bind(table.json()?);
        }
        Ok(query)
    }

    /// The INSERT of these rows (`insert`: the verb), reading them from
    /// parameter `$n`.
    fn statement(&self, postgres: bool, n: usize, insert: &str) -> String {
        let values: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| match (postgres, self.integers.contains(column)) {
                (false, _) => format!("value ->> {i}"),
                (true, false) => format!("r->>{i}"),
                (true, true) => format!("CAST(r->>{i} AS BIGINT)"),
            })
            .collect();
        // SQLite: `jsonb_each` hands each row over as binary JSON, which
        // `->>` reads in place; `json_each` would hand it over as text, to
        // be parsed again for every column.
        let source = if postgres { format!("jsonb_array_elements(CAST(${n} AS jsonb)) AS r") } else { format!("jsonb_each(${n})") };
        format!(
            "{insert} INTO {} ({}) SELECT {} FROM {source}{}",
            self.table,
            self.columns.join(", "),
            values.join(", "),
            self.on_conflict.as_deref().unwrap_or("")
        )
    }
}

/// The most ids one `IN` list carries ([`Sql::bind_json_list`]); longer
/// lists are queried in chunks of this size. Binding costs nothing per id
/// (the list is one JSON parameter); the bound keeps one query's work and
/// memory in proportion.
pub const JSON_LIST: usize = 10_000;

/// A value bound to a placeholder of a [`Sql`] statement.
#[derive(Debug, Clone)]
pub enum SqlArg {
    Text(String),
    Int(i64),
}

/// A statement assembled from fixed SQL and bound values, numbering the
/// placeholders (`$1`, `$2`, …) the way both backends accept. Only SQL text
/// written in the code goes into the statement; every value is bound.
#[derive(Debug, Default, Clone)]
pub struct Sql {
    text: String,
    args: Vec<SqlArg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self { text: text.to_owned(), args: Vec::new() }
    }

    /// Appends fixed SQL.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<SqlArg>) -> &mut Self {
        self.args.push(value.into());
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// `(SELECT …)` of the values of one JSON parameter, for `x IN` with a
    /// long list: one bound value instead of one each (sqlx binds by name,
    /// a cost that grows with the square of a statement's placeholders).
    pub fn bind_json_list(&mut self, backend: Backend, values: &[String]) -> &mut Self {
        let list = serde_json::Value::from(values.to_vec()).to_string();
        match backend {
            Backend::Sqlite => self.push("(SELECT value FROM json_each(").bind(list).push("))"),
            Backend::Postgres => self.push("(SELECT jsonb_array_elements_text(CAST(").bind(list).push(" AS jsonb)))"),
        }
    }

    /// Appends `(<p1>, <p2>, …)` bound to the values, for `IN` lists.
    /// An empty list becomes `(NULL)`, which matches nothing.
    pub fn bind_list<T: Into<SqlArg>>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self {
        self.text.push('(');
        let mut first = true;
        for value in values {
            if !first {
                self.text.push_str(", ");
            }
            first = false;
            self.bind(value);
        }
        if first {
            self.text.push_str("NULL");
        }
        self.text.push(')');
        self
    }

    /// Runs the query and returns its rows as `T`s (tuples in the order of
    /// `columns`), all of them packed into one JSON value by the database.
    /// For long answers: sqlx's SQLite driver hands every row across from
    /// its worker thread (a wake-up each), and copies every column of
    /// every row into an `AnyRow`; one row of text costs one hand-over
    /// and one parse. The order of the rows is not kept.
    pub async fn fetch_packed<T: serde::de::DeserializeOwned>(
        &self,
        conn: &mut AnyConnection,
        columns: &[&str],
    ) -> Result<Vec<T>, sqlx::Error> {
        let text = self.fetch_packed_text(conn, columns).await?;
        serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }

    /// The answer of [`Sql::fetch_packed`] as its JSON text: a list of
    /// rows, each a list in the order of `columns`. Read it with
    /// [`for_each_packed`] to fold a long answer without building a value
    /// per row.
    pub async fn fetch_packed_text(&self, conn: &mut AnyConnection, columns: &[&str]) -> Result<String, sqlx::Error> {
        let row = columns.join(", ");
        let pack = match Backend::of(conn) {
            Backend::Sqlite => format!("SELECT json_group_array(json_array({row})) FROM ("),
            Backend::Postgres => format!("SELECT CAST(COALESCE(json_agg(json_build_array({row})), '[]') AS TEXT) FROM ("),
        };
        let packed = Self { text: format!("{pack}{}) AS packed", self.text), args: self.args.clone() };
        sqlx::Row::try_get(&packed.query().fetch_one(&mut *conn).await?, 0)
    }

    /// The query, ready to run.
    pub fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            query = match arg {
                SqlArg::Text(text) => query.bind(text.clone()),
                SqlArg::Int(int) => query.bind(*int),
            };
        }
        query
    }
}

impl From<String> for SqlArg {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&str> for SqlArg {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<&String> for SqlArg {
    fn from(value: &String) -> Self {
        Self::Text(value.clone())
    }
}

impl From<i64> for SqlArg {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<chrono::NaiveDate> for SqlArg {
    fn from(value: chrono::NaiveDate) -> Self {
        Self::Text(value.to_string())
    }
}

/// Hands each row of a packed answer ([`Sql::fetch_packed_text`]) to
/// `each`, in the answer's order, as it is read: a row may borrow its text
/// (`&str` for values that hold no JSON escapes, such as codes and dates)
/// and no list of rows is built.
pub fn for_each_packed<'de, T: serde::Deserialize<'de>>(text: &'de str, each: impl FnMut(T)) -> Result<(), sqlx::Error> {
    struct Rows<F, T>(F, std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>, F: FnMut(T)> serde::de::Visitor<'de> for Rows<F, T> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of rows")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut rows: A) -> Result<(), A::Error> {
            while let Some(row) = rows.next_element::<T>()? {
                (self.0)(row);
            }
            Ok(())
        }
    }
    let mut reader = serde_json::Deserializer::from_str(text);
    let read = serde::Deserializer::deserialize_seq(&mut reader, Rows(each, std::marker::PhantomData)).and_then(|()| reader.end());
    read.map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: Migration = Migration { version: 1, name: "first", sql: "CREATE TABLE a (x BIGINT);" };

    async fn sqlite(dir: &tempfile::TempDir, migrations: &[Migration]) -> anyhow::Result<Db> {
        Db::connect(&sqlite_url(dir.path(), "t"), migrations).await
    }

    #[tokio::test]
    async fn sqlite_runs_in_wal_with_full_synchronous_commits() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite(&dir, &[FIRST]).await.unwrap();
        let mut conn = db.pool().acquire().await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *conn).await.unwrap();
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "2 is FULL");
    }

    #[tokio::test]
    async fn sqlite_is_built_without_its_process_wide_mutexes() {
        // The flags of .cargo/config.toml reached the bundled SQLite: no
        // memory statistics, no page cache shared by every connection.
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite(&dir, &[FIRST]).await.unwrap();
        let mut conn = db.pool().acquire().await.unwrap();
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options").fetch_all(&mut *conn).await.unwrap();
        assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
        assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
        let temp_store: i64 = sqlx::query_scalar("PRAGMA temp_store").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(temp_store, 2, "2 is MEMORY");
    }

    #[tokio::test]
    async fn a_failing_migration_names_itself_and_leaves_nothing_half_done() {
        let dir = tempfile::tempdir().unwrap();
        let broken = Migration { version: 2, name: "broken", sql: "CREATE TABLE b (y BIGINT); CREATE TABLE oops (" };
        let err = sqlite(&dir, &[FIRST, broken]).await.unwrap_err();
        assert!(format!("{err:#}").contains("migration 2 (broken) failed"), "{err:#}");
        let db = sqlite(&dir, &[FIRST]).await.unwrap();
        let mut conn = db.pool().acquire().await.unwrap();
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(&mut *conn).await.unwrap();
        assert_eq!(applied, [1, 9_000_001, 9_000_002], "the service's migration and the audit log's");
        let b: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(b, 0, "the broken migration's first statement was rolled back");
    }

    #[tokio::test]
    async fn a_store_newer_than_the_build_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let second = Migration { version: 2, name: "second", sql: "CREATE TABLE c (z BIGINT);" };
        sqlite(&dir, &[FIRST, second]).await.unwrap();
        let err = sqlite(&dir, &[FIRST]).await.unwrap_err();
        assert!(err.to_string().contains("run a newer build"), "{err}");
    }

    #[tokio::test]
    async fn a_packed_answer_holds_every_row_with_its_types_on_both_backends() {
        let table = Migration {
            version: 1,
            name: "k",
            sql: "CREATE TABLE k (id TEXT PRIMARY KEY, n BIGINT NOT NULL, note TEXT);",
        };
        for store in crate::testing::test_stores("packed").await.unwrap() {
            let db = Db::connect(&store.url, &[table]).await.unwrap();
            let mut conn = db.pool().acquire().await.unwrap();
            let mut rows = JsonRows::new("k", &["id", "n", "note"], &["n"]);
            for i in 0..2_500i64 {
                let (id, note) = (format!("k{i:05}"), format!("\"quoted\" \\ {i}\n"));
                rows.push(&[(&id).into(), i.into(), (i % 2 == 0).then_some(&note).into()]);
            }
            rows.insert(&mut conn).await.unwrap();
            let mut sql = Sql::new("SELECT id, n, note FROM k WHERE n >= ");
            sql.bind(1_000i64);
            let mut got = sql.fetch_packed::<(String, i64, Option<String>)>(&mut conn, &["id", "n", "note"]).await.unwrap();
            got.sort();
            assert_eq!(got.len(), 1_500, "{}", store.label);
            assert_eq!(got[0], ("k01000".to_owned(), 1_000, Some("\"quoted\" \\ 1000\n".to_owned())), "{}", store.label);
            assert_eq!(got[1], ("k01001".to_owned(), 1_001, None), "{}", store.label);
            let text = sql.fetch_packed_text(&mut conn, &["id", "n"]).await.unwrap();
            let (mut seen, mut sum) = (0, 0);
            for_each_packed(&text, |(id, n): (&str, i64)| {
                assert_eq!(id, format!("k{n:05}"), "{}", store.label);
                (seen, sum) = (seen + 1, sum + n);
            })
            .unwrap();
            assert_eq!((seen, sum), (1_500, (1_000..2_500).sum::<i64>()), "every row folded on {}", store.label);
            let none = Sql::new("SELECT id FROM k WHERE n < 0").fetch_packed::<(String,)>(&mut conn, &["id"]).await.unwrap();
            assert!(none.is_empty(), "an empty answer is an empty list on {}", store.label);
        }
    }

    #[tokio::test]
    async fn rows_meeting_a_partial_unique_index_are_left_out_and_the_first_of_a_key_is_kept() {
        let table = Migration {
            version: 1,
            name: "open",
            sql: "CREATE TABLE t (id TEXT PRIMARY KEY, who TEXT NOT NULL, closed TEXT);
                  CREATE UNIQUE INDEX t_one_open ON t (who) WHERE closed IS NULL;",
        };
        for store in crate::testing::test_stores("skipping").await.unwrap() {
            let db = Db::connect(&store.url, &[table]).await.unwrap();
            let mut conn = db.pool().acquire().await.unwrap();
            sqlx::query("INSERT INTO t (id, who, closed) VALUES ('t1', 'a', NULL), ('t2', 'b', '2024-01-01')")
                .execute(&mut *conn)
                .await
                .unwrap();
            let mut rows = JsonRows::new("t", &["id", "who"], &[]).skipping_conflicts_on("(who) WHERE closed IS NULL");
            for (id, who) in [("t3", "a"), ("t4", "b"), ("t5", "c"), ("t6", "c")] {
                rows.push(&[id.into(), who.into()]);
            }
            // Two statements (the second table's rows alone), counted together.
            let mut more = JsonRows::new("t", &["id", "who"], &[]).skipping_conflicts_on("(who) WHERE closed IS NULL");
            more.push(&["t7".into(), "c".into()]);
            let stored = JsonRows::insert_all_counting(&mut conn, &[&rows, &more]).await.unwrap();
            let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM t ORDER BY id").fetch_all(&mut *conn).await.unwrap();
            assert_eq!(ids, ["t1", "t2", "t4", "t5"], "a's open row stays alone, b opens again, c once, on {}", store.label);
            assert_eq!(stored, 2, "only the rows stored are counted, on {}", store.label);
            // Any other key still refuses.
            let mut again = JsonRows::new("t", &["id", "who"], &[]).skipping_conflicts_on("(who) WHERE closed IS NULL");
            again.push(&["t1".into(), "d".into()]);
            assert!(again.insert(&mut conn).await.unwrap_err().as_database_error().is_some_and(|e| e.is_unique_violation()), "{}", store.label);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_share_durable_commits_and_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite(&dir, &[FIRST]).await.unwrap();
        let writers: Vec<_> = (0..64)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let mut tx = db.begin_write().await?;
                    sqlx::query("INSERT INTO a (x) VALUES ($1)").bind(i as i64).execute(tx.conn()).await?;
                    tx.commit().await
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap().unwrap();
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM a").fetch_one(db.pool()).await.unwrap();
        assert_eq!(count, 64, "every acknowledged write is there");
        let commits = db.group_commits().unwrap();
        assert!(commits < 64, "64 writers took {commits} commits");
        tokio::time::timeout(std::time::Duration::from_secs(10), db.close()).await.expect("the store closes");
        assert!(db.begin_write().await.is_err(), "a closed store takes no writes");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_prompt_commit_is_durable_without_waiting_for_the_writer_queued_behind() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite(&dir, &[FIRST]).await.unwrap();
        let mut first = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO a (x) VALUES (1)").execute(first.conn()).await.unwrap();
        // A second writer queues for the connection and, once it has it,
        // holds its transaction open until told to commit.
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let second = tokio::spawn({
            let db = db.clone();
            async move {
                let mut tx = db.begin_write().await?;
                sqlx::query("INSERT INTO a (x) VALUES (2)").execute(tx.conn()).await?;
                let _ = released.await;
                tx.commit().await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // A plain commit would keep the group open for the second writer,
        // which waits for this one to be answered: never.
        tokio::time::timeout(std::time::Duration::from_secs(10), first.commit_promptly())
            .await
            .expect("answered while the writer behind still writes")
            .unwrap();
        let seen: Vec<i64> = sqlx::query_scalar("SELECT x FROM a ORDER BY x").fetch_all(db.pool()).await.unwrap();
        assert_eq!(seen, [1], "the first is committed, the second not yet");
        release.send(()).unwrap();
        second.await.unwrap().unwrap();
        let seen: Vec<i64> = sqlx::query_scalar("SELECT x FROM a ORDER BY x").fetch_all(db.pool()).await.unwrap();
        assert_eq!(seen, [1, 2]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_or_abandoned_writer_undoes_only_its_own_changes() {
        let dir = tempfile::tempdir().unwrap();
        let keyed = Migration { version: 1, name: "keyed", sql: "CREATE TABLE k (id BIGINT PRIMARY KEY);" };
        let db = sqlite(&dir, &[keyed]).await.unwrap();
        let mut first = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO k (id) VALUES (1)").execute(first.conn()).await.unwrap();
        let committed = tokio::spawn(first.commit());
        let mut abandoned = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO k (id) VALUES (2)").execute(abandoned.conn()).await.unwrap();
        drop(abandoned);
        let mut failing = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO k (id) VALUES (3)").execute(failing.conn()).await.unwrap();
        assert!(sqlx::query("INSERT INTO k (id) VALUES (1)").execute(failing.conn()).await.is_err());
        drop(failing);
        let mut last = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO k (id) VALUES (4)").execute(last.conn()).await.unwrap();
        last.commit().await.unwrap();
        committed.await.unwrap().unwrap();
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM k ORDER BY id").fetch_all(db.pool()).await.unwrap();
        assert_eq!(ids, [1, 4]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rows_written_at_once_commit_alone_or_join_the_open_group_and_a_failure_undoes_only_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let keyed = Migration { version: 1, name: "keyed", sql: "CREATE TABLE k (id BIGINT PRIMARY KEY);" };
        let db = sqlite(&dir, &[keyed]).await.unwrap();
        let rows = |ids: &[i64]| {
            let mut rows = JsonRows::new("k", &["id"], &["id"]);
            ids.iter().for_each(|id| rows.push(&[(*id).into()]));
            rows
        };
        let stored = || async { sqlx::query_scalar::<_, i64>("SELECT id FROM k ORDER BY id").fetch_all(db.pool()).await.unwrap() };

        // Alone: a commit of its own.
        let before = db.group_commits().unwrap();
        db.write_at_once(&[&rows(&[1]), &rows(&[2])]).await.unwrap();
        assert_eq!(db.group_commits().unwrap(), before + 1);
        // A failing one leaves nothing of itself and the connection usable.
        let err = db.write_at_once(&[&rows(&[3, 1])]).await.unwrap_err();
        assert!(err.as_database_error().is_some_and(|e| e.is_unique_violation()), "{err}");
        db.write_at_once(&[&rows(&[4])]).await.unwrap();
        assert_eq!(stored().await, [1, 2, 4]);

        // Queued behind a writer, it joins that writer's group: one commit.
        for (ours, theirs, joined) in [(10, vec![11], true), (20, vec![21, 10], false)] {
            let mut tx = db.begin_write().await.unwrap();
            sqlx::query("INSERT INTO k (id) VALUES ($1)").bind(ours).execute(tx.conn()).await.unwrap();
            let before = db.group_commits().unwrap();
            let at_once = tokio::spawn({
                let (db, rows) = (db.clone(), rows(&theirs));
                async move { db.write_at_once(&[&rows]).await }
            });
            // Queued by then; if it were not, it would commit alone and
            // the count below would tell.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            tx.commit().await.unwrap();
            assert_eq!(at_once.await.unwrap().is_ok(), joined, "rows {theirs:?}");
            assert_eq!(db.group_commits().unwrap(), before + 1, "one commit for both writers");
        }
        assert_eq!(stored().await, [1, 2, 4, 10, 11, 20], "21 went with its failing row, 20 stayed");
    }

    #[test]
    fn the_backend_follows_the_url() {
        assert_eq!(Backend::from_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::from_url("postgres://h/db").unwrap(), Backend::Postgres);
        assert!(Backend::from_url("mysql://h/db").is_err());
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind("x").push(" AND b IN ").bind_list(["p", "q"]).push(" AND c IN ").bind_list(Vec::<String>::new());
        assert_eq!(sql.text, "SELECT 1 WHERE a = $1 AND b IN ($2, $3) AND c IN (NULL)");
        assert_eq!(sql.args.len(), 3);
    }
}

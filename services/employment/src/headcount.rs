//! The headcount kept on write. The headcount counts persons, and a person
//! may have several contracts, so what a change does to it depends on the
//! person's other contracts: a push puts the persons whose contracts it
//! changed on a list (`headcount_due`, in its own transaction), and they
//! are counted again from all their contracts — by a task beside the
//! server right after the push, and by every headcount figure before it
//! sums, so a figure never misses a change that was acknowledged.
//!
//! Counting a person again takes back what was kept of them and adds what
//! their contracts add now (`tallies::person_counts`), in one transaction
//! with taking them off the list. A store written before this was kept
//! puts everybody on the list (migration 8).

use std::collections::HashMap;
use std::time::Duration;

use partnership_platform::tally::Tallies;
use partnership_platform::{CancellationToken, ServiceError};

use crate::Employment;
use crate::domain::contract::Contract;
use crate::store;
use crate::tallies::{self, PersonCounts};

/// Persons counted again in one transaction.
const PERSONS_AT_ONCE: i64 = 5_000;

/// How often the task looks for persons due when nothing wakes it.
pub const INTERVAL: Duration = Duration::from_secs(5);

/// Counts the persons due, until `shutdown`: right after a push, and every
/// `interval` (in case a wake-up came while it was busy).
pub async fn keep_until(employment: Employment, interval: Duration, shutdown: CancellationToken) {
    loop {
        if let Err(err) = employment.count_due_persons().await {
            tracing::warn!(error = %err, "counting the headcount of changed persons failed; it is tried again");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = employment.headcount_wake.notified() => {}
            () = tokio::time::sleep(interval) => {}
        }
    }
}

impl Employment {
    /// Counts every person on the list again, a batch per transaction.
    pub async fn count_due_persons(&self) -> Result<(), ServiceError> {
        loop {
            {
                let mut conn = self.db.pool().acquire().await?;
                if !store::any_due(&mut conn).await? {
                    return Ok(());
                }
            }
            let mut tx = self.db.begin_write().await?;
            let due = store::take_due(tx.conn(), PERSONS_AT_ONCE).await?;
            if due.is_empty() {
                return Ok(());
            }
            store::lock_persons(tx.conn(), &due).await?;
            let kept = store::kept_counts(tx.conn(), &due).await?;
            let mut contracts: HashMap<&str, Vec<Contract>> = due.iter().map(|id| (id.as_str(), Vec::new())).collect();
            for contract in store::contracts_of_candidates(tx.conn(), &due).await? {
                if let Some(of_person) = contracts.get_mut(contract.candidate_id.as_str()) {
                    of_person.push(contract);
                }
            }
            let mut changes = Tallies::new();
            let mut counted: Vec<(String, PersonCounts)> = Vec::with_capacity(due.len());
            for (candidate, of_person) in contracts {
                let now = tallies::person_counts(&of_person);
                if let Some(before) = kept.get(candidate) {
                    tallies::add_person(&mut changes, before, -1)
                        .ok_or_else(|| ServiceError::Internal(format!("the kept headcount of {candidate} names a figure not kept")))?;
                }
                tallies::add_person(&mut changes, &now, 1).expect("person_counts names kept figures only");
                counted.push((candidate.to_owned(), now));
            }
            changes.write(tx.conn()).await?;
            store::insert_rows(tx.conn(), &store::counts_rows(&counted)).await?;
            tx.commit().await?;
        }
    }
}

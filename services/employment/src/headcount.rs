//! The headcount kept on write. The headcount counts persons, and a person
//! may have several contracts, so what a change does to it depends on the
//! person's other contracts: a push reads, in its write transaction and
//! before it writes, every contract of the persons it changes, and takes
//! back what those contracts added (`tallies::person_counts`) and adds what
//! the persons' contracts add after the push.
//!
//! A store written before this was kept lists everybody as not counted
//! yet (migration 8); a task beside the server counts them from their
//! contracts, every headcount figure first counts those still listed, and
//! a push leaves a listed person to them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use partnership_platform::tally::Tallies;
use partnership_platform::{CancellationToken, ServiceError};

use crate::Employment;
use crate::domain::contract::Contract;
use crate::domain::figures::Counted;
use crate::store;
use crate::tallies;

/// Persons counted in one transaction.
const PERSONS_AT_ONCE: i64 = 5_000;

/// How long the task waits before trying again after a failure.
const RETRY: Duration = Duration::from_secs(5);

/// Counts the persons not counted yet (a store written before), until
/// none is left or `shutdown`.
pub async fn count_listed_until(employment: Employment, shutdown: CancellationToken) {
    loop {
        match employment.count_due_persons().await {
            Ok(()) => return,
            Err(err) => tracing::warn!(error = %err, "counting the headcount of an older store failed; it is tried again"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(RETRY) => {}
        }
    }
}

impl Employment {
    /// Counts every person listed as not counted yet, a batch per
    /// transaction.
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
                // Taken by another counting meanwhile; see whether any is left.
                continue;
            }
            let contracts = store::contracts_of_candidates(tx.conn(), &due).await?;
            let mut counted = Tallies::new();
            let mut apart = add_persons(&mut counted, &due, &contracts, 1);
            // Not counted before, so none of them has a row yet.
            apart.retain(|(_, categories)| !categories.is_empty());
            counted.write(tx.conn()).await?;
            store::set_apart(tx.conn(), &apart).await?;
            tx.commit().await?;
        }
    }
}

/// What a push's changes do to the headcount of the persons it changes
/// (`persons`; for a contract moved to another person, both): `before`,
/// every contract of those persons as stored before the push (read in its
/// write transaction, after [`store::lock_persons`]), counted back; the
/// same with the push's `created` contracts and `replaced` versions
/// (old, new; in order) counted. Persons still listed as not counted
/// (`due`) are left to their counting. Answers the change to the figures
/// and the persons whose counting apart changed, for [`store::set_apart`].
pub fn push_changed(
    persons: &[String],
    before: &[Contract],
    created: &[Contract],
    replaced: &[(Contract, Contract)],
    due: &HashSet<String>,
) -> (Tallies, Vec<(String, Vec<Counted>)>) {
    let persons: Vec<String> = persons.iter().filter(|p| !due.contains(*p)).cloned().collect();
    let mut after: HashMap<&str, &Contract> = before.iter().map(|c| (c.hr_contract_id.as_str(), c)).collect();
    for c in created.iter().chain(replaced.iter().map(|(_, new)| new)) {
        after.insert(c.hr_contract_id.as_str(), c);
    }
    let mut changes = Tallies::new();
    let apart_before = add_persons(&mut changes, &persons, before, -1);
    let mut apart = add_persons(&mut changes, &persons, after.into_values(), 1);
    // Only a change of who is counted apart is written (both in person order).
    let mut was = apart_before.into_iter();
    apart.retain(|(person, now)| was.next().is_none_or(|(p, before)| p != *person || before != *now));
    (changes, apart)
}

/// Adds (`sign` 1) or takes back (-1) what the contracts of `persons` add;
/// contracts of other persons are passed over. Answers, per person, the
/// categories the person is counted apart in.
fn add_persons<'a>(
    tallies: &mut Tallies,
    persons: &[String],
    contracts: impl IntoIterator<Item = &'a Contract>,
    sign: i64,
) -> Vec<(String, Vec<Counted>)> {
    let mut of_person: BTreeMap<&str, Vec<&Contract>> = persons.iter().map(|p| (p.as_str(), Vec::new())).collect();
    for c in contracts {
        if let Some(list) = of_person.get_mut(c.candidate_id.as_str()) {
            list.push(c);
        }
    }
    of_person
        .into_iter()
        .map(|(person, contracts)| {
            let counts = tallies::person_counts(contracts);
            tallies::add_person(tallies, &counts, sign);
            (person.to_owned(), counts.apart)
        })
        .collect()
}

//! The figures: this service's indications and placements, with how many
//! of those persons are employed beschut at IBN, and the fte, from the
//! employment service.

use std::ops::Range;

use chrono::{Datelike, NaiveDate};
use foldhash::{HashMap, HashSet, HashSetExt};
use partnership_platform::decimals;
use partnership_platform::{ServiceError, peer};
use partnership_proto::common as cpb;
use partnership_proto::employment as epb;
use rust_decimal::Decimal;

use crate::Beschut;
use crate::domain::figures::{Figures, Inputs, figures, placed_and_indicated};
use crate::domain::taakstelling::For;
use crate::domain::indication::Indication;
use crate::store::{self, Filter, PlacementRow};

impl Beschut {
    /// The municipality codes of a scope, from intake (for the whole
    /// partnership: every code, merged municipalities included).
    pub(crate) async fn scope_codes(&self, scope: cpb::Scope) -> Result<Vec<String>, ServiceError> {
        self.scopes.resolve(scope).await
    }

    /// The figures on each of `dates` (in their order). Employment is
    /// asked once for all dates (in [`batches`] at national volume, all
    /// under way at once): of the persons indicated (and of those
    /// also placed) on each date, how many it employs beschut per
    /// werkladder step, and the scope's fte. It answers in counts, so no
    /// person's employment leaves it.
    pub async fn figures(&self, scope: cpb::Scope, dates: &[NaiveDate]) -> Result<Vec<Figures>, ServiceError> {
        let partnership = scope.level == cpb::ScopeLevel::Partnership as i32;
        let codes = self.scope_codes(scope.clone()).await?;
        let (indications, placements) = self.indications_and_placements(&codes, dates, partnership).await?;
        let on_dates: Vec<OnDate<'_>> = dates.iter().map(|&on| on_date(&indications, &placements, on)).collect();
        let groups: Vec<[Vec<&str>; 2]> = on_dates
            .iter()
            .map(|(indicated, placed)| [indicated.iter().copied().collect(), placed_and_indicated(indicated, placed)])
            .collect();
        let named: Vec<usize> = groups.iter().map(|g| g.iter().map(Vec::len).sum()).collect();
        // The requests are under way at once: employment reads each
        // request's contracts on its own connection.
        let mut requests = Vec::new();
        for batch in batches(&named, NAMED_PER_ASK) {
            let mut persons = Ask::default();
            let asked = dates[batch.clone()]
                .iter()
                .zip(&groups[batch])
                .map(|(&on, groups)| epb::BeschutGroupsOn {
                    on: Some(partnership_platform::dates::to_proto(on)),
                    groups: groups.iter().map(|ids| persons.group(ids)).collect(),
                })
                .collect();
            let ask = epb::CountBeschutEmployeesRequest { scope: Some(scope.clone()), dates: asked, named: persons.named };
            let mut employment = self.employment.clone();
            requests.push(async move {
                let answer = employment.count_beschut_employees(peer::request(ask, peer::DEFAULT_DEADLINE)).await;
                answer.map(|a| a.into_inner().dates).map_err(|s| unavailable(&s))
            });
        }
        let counted: Vec<epb::BeschutCountsOn> = futures::future::try_join_all(requests).await?.into_iter().flatten().collect();
        if counted.len() != dates.len() {
            return Err(sent(format!("counts for {} dates, asked for {}", counted.len(), dates.len())));
        }
        let mut figures_on = Vec::with_capacity(dates.len());
        for ((&on, (indicated, placed)), counts) in dates.iter().zip(on_dates).zip(counted) {
            let [indicated_at_ibn, placed_at_ibn] = <[_; 2]>::try_from(counts.groups)
                .map_err(|groups| sent(format!("{} groups counted, asked for 2", groups.len())))?
                .map(|g| g.by_step.iter().map(|c| (step_name(c.step), c.persons.max(0) as u64)).collect());
            let taakstelling = if partnership {
                self.taakstelling.fte(on.year(), For::Partnership)
            } else {
                self.taakstelling.fte(on.year(), For::Municipalities(&codes))
            };
            let inputs = Inputs {
                indicated,
                placed,
                indicated_at_ibn,
                placed_at_ibn,
                fte_at_ibn: decimals::optional("fte", counts.fte.as_ref()).map_err(|e| sent(e.to_string()))?.unwrap_or_default(),
                taakstelling,
            };
            figures_on.push(figures(&inputs));
        }
        Ok(figures_on)
    }

    /// The indications applying and the placements running on a day
    /// between the first and the last of `dates`: read once for all dates.
    async fn indications_and_placements(
        &self,
        codes: &[String],
        dates: &[NaiveDate],
        whole_table: bool,
    ) -> Result<(Vec<(String, Indication)>, Vec<PlacementRow>), ServiceError> {
        let (Some(&first), Some(&last)) = (dates.iter().min(), dates.iter().max()) else { return Ok(Default::default()) };
        let mut conn = self.db.pool().acquire().await?;
        let indications = store::indications_applying(&mut conn, codes, (first, last), whole_table).await?;
        let placements = store::placements_running(&mut conn, codes, (first, last), whole_table).await?;
        Ok((indications, placements))
    }

    /// Schakeltrajecten started and ended in the period, running at its end.
    pub async fn schakeltraject_figures(&self, scope: cpb::Scope, first: NaiveDate, last: NaiveDate) -> Result<(u64, u64, u64), ServiceError> {
        let codes = self.scope_codes(scope).await?;
        let filter = Filter { municipality_codes: Some(codes), ..Default::default() };
        let mut conn = self.db.pool().acquire().await?;
        let all = store::schakeltrajecten(&mut conn, &filter).await?;
        let within = |d: NaiveDate| first <= d && d <= last;
        let started = all.iter().filter(|s| within(s.start_date)).count() as u64;
        let ended = all.iter().filter(|s| s.end_date.is_some_and(within)).count() as u64;
        let running = all.iter().filter(|s| s.start_date <= last && s.end_date.is_none_or(|e| e >= last)).count() as u64;
        Ok((started, ended, running))
    }
}

/// The most places named in the groups of one request to employment. Each
/// person travels once (about 40 bytes), each place as a number (up to 5):
/// however many the same persons, at most about 55 MB, within what it
/// takes (64 MiB). At national volume one date names about 300,000 places
/// of ~250,000 persons, mostly the same on every date: a report's three
/// dates go in one request of about 15 MB.
const NAMED_PER_ASK: usize = 1_200_000;

/// The persons of one request to employment, each named once, and its
/// groups as places in that list.
#[derive(Default)]
struct Ask<'a> {
    named: Vec<String>,
    places: HashMap<&'a str, u32>,
}

impl<'a> Ask<'a> {
    fn group(&mut self, ids: &[&'a str]) -> epb::CandidateGroup {
        let named = ids
            .iter()
            .map(|&id| {
                *self.places.entry(id).or_insert_with(|| {
                    self.named.push(id.to_owned());
                    (self.named.len() - 1) as u32
                })
            })
            .collect();
        epb::CandidateGroup { candidate_ids: Vec::new(), named }
    }
}

/// Consecutive dates, given how many ids each names, cut into requests of
/// at most `most` ids (a date that names more goes alone).
fn batches(named: &[usize], most: usize) -> Vec<Range<usize>> {
    let mut batches: Vec<Range<usize>> = Vec::new();
    let mut in_last = 0;
    for (i, &n) in named.iter().enumerate() {
        match batches.last_mut() {
            Some(last) if in_last + n <= most => {
                last.end = i + 1;
                in_last += n;
            }
            _ => {
                batches.push(i..i + 1);
                in_last = n;
            }
        }
    }
    batches
}

/// Who is indicated on a date, and who is placed there with their hours
/// (borrowed from the rows read).
type OnDate<'a> = (HashSet<&'a str>, Vec<(&'a str, Decimal)>);

/// Who of `indications` is indicated on the date, and who of `placements`
/// is placed then. The set is sized for every indication read: at
/// national volume ~250,000 ids, which growing step by step hashed twice
/// (with a fast hasher: SipHash took most of the batch's own time).
fn on_date<'a>(indications: &'a [(String, Indication)], placements: &'a [PlacementRow], on: NaiveDate) -> OnDate<'a> {
    let mut indicated = HashSet::with_capacity(indications.len());
    indicated.extend(indications.iter().filter(|(_, i)| i.active_on(on)).map(|(c, _)| c.as_str()));
    let placed = placements.iter().filter(|p| p.runs_on(on)).map(|p| (p.subject.candidate_id.as_str(), p.hours_per_week)).collect();
    (indicated, placed)
}

/// A werkladder step as employment sends it, by its name in domain.md.
fn step_name(step: i32) -> String {
    epb::WerkladderStep::try_from(step).map(|s| s.as_str_name().trim_start_matches("WERKLADDER_STEP_").to_owned()).unwrap_or_default()
}

fn sent(what: String) -> ServiceError {
    ServiceError::Internal(format!("employment sent {what}"))
}

fn unavailable(status: &tonic::Status) -> ServiceError {
    ServiceError::Unavailable(format!("asking employment: {:?}: {}", status.code(), status.message()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_asked_together_until_a_request_would_name_too_many() {
        assert_eq!(batches(&[3, 4, 2], 10), [0..3]);
        assert_eq!(batches(&[6, 4, 2, 9, 12, 1], 10), [0..2, 2..3, 3..4, 4..5, 5..6]);
        assert_eq!(batches(&[0, 0], 0), [0..2], "dates that name nobody still get asked");
        assert!(batches(&[], 10).is_empty());
    }
}

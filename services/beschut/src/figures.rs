//! The figures: this service's indications and placements, with who is
//! employed beschut at IBN and their fte from the employment service.

use chrono::{Datelike, NaiveDate};
use partnership_platform::decimals::{self, fte};
use partnership_platform::{ServiceError, peer};
use partnership_proto::common as cpb;
use partnership_proto::employment as epb;
use rust_decimal::Decimal;

use crate::Beschut;
use crate::domain::figures::{Figures, IbnEmployee, Inputs, figures};
use crate::domain::taakstelling::For;
use crate::store::{self, Filter};

/// The most candidates named in one request for beschut employees: what
/// employment looks up in one query; more are cheaper as one scan of
/// everybody.
const CANDIDATES_PER_ASK: usize = partnership_platform::store::JSON_LIST;

impl Beschut {
    /// The municipality codes of a scope, from intake (for the whole
    /// partnership: every code, merged municipalities included).
    pub(crate) async fn scope_codes(&self, scope: cpb::Scope) -> Result<Vec<String>, ServiceError> {
        self.scopes.resolve(scope).await
    }

    /// The figures on each of `dates` (in their order). Employment is
    /// asked once for the persons at work on all of them, so each person
    /// is handed out, and logged there, once.
    pub async fn figures(&self, scope: cpb::Scope, dates: &[NaiveDate]) -> Result<Vec<Figures>, ServiceError> {
        let partnership = scope.level == cpb::ScopeLevel::Partnership as i32;
        let codes = self.scope_codes(scope.clone()).await?;
        // For the partnership the list holds every beschut employee with
        // their hours, which is what employment's fte counts; for a smaller
        // scope employment counts the contracts its municipalities pay,
        // asked while the indications are read.
        let at_ibn = async { if partnership { Ok(None) } else { fte_at_ibn_on(&self.employment, &scope, dates).await.map(Some) } };
        let (listed, at_ibn) = tokio::join!(self.indicated_and_listed(&codes, partnership, dates), at_ibn);
        let (on_dates, employees) = listed?;
        let listed = listed_per_date(employees, dates)?;
        let at_ibn = match at_ibn? {
            Some(at_ibn) => at_ibn,
            None => listed.iter().map(|l| fte(l.hours)).collect(),
        };
        let mut figures_on = Vec::with_capacity(dates.len());
        for (((&on, (indicated, placed)), fte_at_ibn), listed) in dates.iter().zip(on_dates).zip(at_ibn).zip(listed) {
            let taakstelling = if partnership {
                self.taakstelling.fte(on.year(), For::Partnership)
            } else {
                self.taakstelling.fte(on.year(), For::Municipalities(&codes))
            };
            let inputs = Inputs {
                indicated: indicated.into_iter().collect(),
                ibn: listed.ibn,
                placed: placed.into_iter().collect(),
                fte_at_ibn,
                taakstelling,
            };
            figures_on.push(figures(&inputs));
        }
        Ok(figures_on)
    }

    /// The indications and placements on each date, and the beschut
    /// employees employment lists on them. Only the persons with an
    /// indication in scope can count as working; for a municipality or an
    /// area they are few, and asking for them alone keeps employment from
    /// handing out (and logging) every beschut employee of the
    /// partnership. For the partnership, or a scope with more than a
    /// list's worth, everyone is asked for.
    async fn indicated_and_listed(
        &self,
        codes: &[String],
        partnership: bool,
        dates: &[NaiveDate],
    ) -> Result<(Vec<OnDate>, Vec<epb::BeschutEmployee>), ServiceError> {
        let mut on_dates = Vec::with_capacity(dates.len());
        {
            let mut conn = self.db.pool().acquire().await?;
            for &on in dates {
                on_dates.push((store::indicated_on(&mut conn, codes, on).await?, store::placed_on(&mut conn, codes, on).await?));
            }
        }
        let mut indicated_any: Vec<String> = on_dates.iter().flat_map(|(indicated, _)| indicated.iter().cloned()).collect();
        indicated_any.sort_unstable();
        indicated_any.dedup();
        let everyone = partnership || indicated_any.len() > CANDIDATES_PER_ASK;
        let candidate_ids = if everyone { Vec::new() } else { indicated_any };
        let ask = epb::ListBeschutEmployeesRequest {
            on: None,
            municipality_codes: Vec::new(),
            candidate_ids,
            dates: dates.iter().map(|&d| partnership_platform::dates::to_proto(d)).collect(),
        };
        let employees = self.employment.clone().list_beschut_employees(peer::request(ask, peer::DEFAULT_DEADLINE)).await;
        Ok((on_dates, employees.map_err(|s| unavailable(&s))?.into_inner().employees))
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

/// Who is indicated on a date, and who is placed there with their hours.
type OnDate = (Vec<String>, Vec<(String, Decimal)>);

/// The beschut employees employment listed on one date, and their hours
/// per week.
#[derive(Default)]
struct Listed {
    ibn: Vec<IbnEmployee>,
    hours: Decimal,
}

/// Employment's list sorted out by date, in one pass: one [`Listed`] per
/// date of `dates`, in that order.
fn listed_per_date(employees: Vec<epb::BeschutEmployee>, dates: &[NaiveDate]) -> Result<Vec<Listed>, ServiceError> {
    let days: Vec<_> = dates.iter().map(|&d| Some(partnership_platform::dates::to_proto(d))).collect();
    let mut listed: Vec<Listed> = dates.iter().map(|_| Listed::default()).collect();
    for e in employees {
        let Some(at) = days.iter().position(|day| *day == e.on) else { continue };
        listed[at].hours += decimals::optional("hours_per_week", e.hours_per_week.as_ref())
            .map_err(|e| ServiceError::Internal(format!("employment sent {e}")))?
            .unwrap_or_default();
        listed[at].ibn.push(IbnEmployee {
            step: epb::WerkladderStep::try_from(e.step)
                .map(|s| s.as_str_name().trim_start_matches("WERKLADDER_STEP_").to_owned())
                .unwrap_or_default(),
            candidate_id: e.candidate_id,
        });
    }
    Ok(listed)
}

/// Employment's nieuw-beschut fte on each date (aggregates, no persons),
/// asked concurrently.
async fn fte_at_ibn_on(
    employment: &peer::EmploymentClient,
    scope: &cpb::Scope,
    dates: &[NaiveDate],
) -> Result<Vec<Decimal>, ServiceError> {
    let asks = dates.iter().map(|&on| {
        let mut employment = employment.clone();
        let request = epb::GetBeschutFiguresRequest { scope: Some(scope.clone()), on: Some(partnership_platform::dates::to_proto(on)) };
        async move {
            let figures = employment.get_beschut_figures(peer::request(request, peer::DEFAULT_DEADLINE)).await.map_err(|s| unavailable(&s))?.into_inner();
            Ok(decimals::optional("fte", figures.fte.as_ref()).ok().flatten().unwrap_or_default())
        }
    });
    futures::future::try_join_all(asks).await
}

fn unavailable(status: &tonic::Status) -> ServiceError {
    ServiceError::Unavailable(format!("asking employment: {:?}: {}", status.code(), status.message()))
}

//! The figures other services and reporting ask for: aggregates over this
//! service's data for a scope (resolved by intake) and a date or period.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use partnership_platform::ServiceError;
use partnership_proto::common as cpb;

use crate::Employment;
use crate::domain::contract::{ContractKind, WerkladderStep};
use crate::domain::figures::{self, Beschut, BeschutContract, BeschutEmployee, Counted, Headcount, Named, Period, Results, Started};
use crate::domain::contract::Uitstroomprofiel;
use crate::domain::norms::Norm;
use crate::store::{self, LksGroup};

/// What [`Employment::beschut_in_groups`] counts on one date.
pub struct BeschutInGroups {
    pub on: NaiveDate,
    /// Per group asked, in its order: persons per werkladder step.
    pub groups: Vec<Vec<(WerkladderStep, u64)>>,
    /// The scope's beschut figures.
    pub in_scope: Beschut,
}

impl Employment {
    /// The municipality codes of a scope; `None` for the whole partnership
    /// (which also holds contracts without a municipality).
    async fn codes(&self, scope: &cpb::Scope) -> Result<Option<Vec<String>>, ServiceError> {
        if scope.level == cpb::ScopeLevel::Partnership as i32 {
            return Ok(None);
        }
        self.scope_codes(scope.clone()).await.map(Some)
    }

    pub async fn started_figures(&self, scope: &cpb::Scope, period: Period) -> Result<(Started, Option<Norm>), ServiceError> {
        let codes = self.codes(scope).await?;
        let mut conn = self.db.pool().acquire().await?;
        // Counted per classification in SQL: hundreds of rows, not every
        // contract that started.
        let groups = store::started_pw_classifications(&mut conn, codes.as_deref(), period).await?;
        let norm = self.norms.for_year(chrono::Datelike::year(&period.last));
        Ok((figures::started_counted(&groups), norm))
    }

    pub async fn trajectory_figures(
        &self,
        scope: &cpb::Scope,
        period: Period,
    ) -> Result<(Results, Vec<(Uitstroomprofiel, Results)>), ServiceError> {
        let codes = self.codes(scope).await?;
        let mut conn = self.db.pool().acquire().await?;
        let completions = store::completions(&mut conn, codes.as_deref(), period).await?;
        Ok(figures::completed(&completions))
    }

    /// The headcount from what is kept on write (`crate::headcount`; the
    /// persons of an older store not counted yet are counted first), and
    /// the persons counted apart from their contracts. In- and outflow are
    /// kept per calendar year, so a period from 1 January into the year
    /// (what the reports ask) is a sum; any other period is counted from
    /// the contracts.
    pub async fn headcount_figures(&self, scope: &cpb::Scope, on: NaiveDate, period: Period) -> Result<Headcount, ServiceError> {
        let codes = self.codes(scope).await?;
        self.count_due_persons().await?;
        let mut conn = self.db.pool().acquire().await?;
        let codes = codes.as_deref();
        let apart = store::apart_contracts(&mut conn, codes).await?;
        let apart = || apart.iter().map(|(categories, c)| (categories.as_slice(), c));
        let mut employed: BTreeMap<Counted, u64> = store::employed_on(&mut conn, codes, on).await?.into_iter().collect();
        for (counted, n) in figures::apart_running(apart(), on) {
            *employed.entry(counted).or_default() += n;
        }
        let by_kind: Vec<(ContractKind, u64)> =
            employed.iter().filter_map(|(counted, n)| if let Counted::Kind(kind) = counted { Some((*kind, *n)) } else { None }).collect();
        let beschut = employed.get(&Counted::Beschut).copied().unwrap_or(0);
        let flows = if period.is_year_to_date() {
            let (inflow, outflow) = store::pw_flows_kept(&mut conn, codes, period.first, period.last).await?;
            let (apart_in, apart_out) = figures::apart_pw_flows(apart(), period);
            (inflow + apart_in, outflow + apart_out)
        } else {
            self.pw_flows_from_contracts(&mut conn, codes, on, period).await?
        };
        Ok(figures::headcount_counted(&by_kind, beschut, flows))
    }

    /// PW (inflow, outflow) in any period, from the contracts.
    async fn pw_flows_from_contracts(
        &self,
        conn: &mut sqlx::AnyConnection,
        codes: Option<&[String]>,
        on: NaiveDate,
        period: Period,
    ) -> Result<(u64, u64), ServiceError> {
        // Contracts touching the day before or after the period count too:
        // they tell a renewal from a new start or a real end.
        let window = Period {
            first: period.first.min(on).pred_opt().unwrap_or(period.first),
            last: period.last.max(on).succ_opt().unwrap_or(period.last),
        };
        let spells = store::pw_spells_changing(conn, codes, window, period).await?;
        Ok(figures::flows_of(&spells, period))
    }

    pub async fn beschut_figures(&self, scope: &cpb::Scope, on: NaiveDate) -> Result<Beschut, ServiceError> {
        let codes = self.codes(scope).await?;
        let (contracts, steps) = self.beschut_contracts(codes, None, Period { first: on, last: on }).await?;
        Ok(figures::beschut(&contracts, &steps, on))
    }

    /// For the beschut service: who is employed beschut on each of the
    /// dates (of these candidates only, if given), read in one pass over
    /// the contracts running between the first and the last date; by
    /// candidate id.
    pub async fn beschut_employees(
        &self,
        codes: Option<Vec<String>>,
        candidates: Option<&[String]>,
        dates: &[NaiveDate],
    ) -> Result<Vec<(NaiveDate, Vec<BeschutEmployee>)>, ServiceError> {
        let (Some(&first), Some(&last)) = (dates.iter().min(), dates.iter().max()) else { return Ok(Vec::new()) };
        let (contracts, steps) = self.beschut_contracts(codes, candidates, Period { first, last }).await?;
        let in_order = |on| {
            let mut employees = figures::beschut_employees(&contracts, &steps, on);
            employees.sort_unstable_by(|a, b| a.candidate_id.cmp(&b.candidate_id));
            employees
        };
        Ok(dates.iter().map(|&on| (on, in_order(on))).collect())
    }

    /// For the beschut service: of each group of persons named for a date
    /// (by their places in `named`), those employed beschut on it per
    /// werkladder step, and the scope's beschut figures on it (for the
    /// fte). The named persons' contracts are read in one pass over the
    /// span of the dates (everybody's, when they are more than a list's
    /// worth), the scope's in another unless the scope is the partnership,
    /// whose contracts are everybody's.
    pub async fn beschut_in_groups(&self, scope: &cpb::Scope, named: &Named, asks: &[(NaiveDate, Vec<Vec<u32>>)]) -> Result<Vec<BeschutInGroups>, ServiceError> {
        let (Some(first), Some(last)) = (asks.iter().map(|a| a.0).min(), asks.iter().map(|a| a.0).max()) else { return Ok(Vec::new()) };
        let span = Period { first, last };
        let codes = self.codes(scope).await?;
        // Those named, if few enough to ask the store for by name; for the
        // partnership every contract is read (they are all in scope).
        let by_name: Option<Vec<String>> = match &codes {
            None => None,
            Some(_) => {
                let persons: Vec<&str> = named.persons().collect();
                (persons.len() <= partnership_platform::store::JSON_LIST).then(|| persons.into_iter().map(str::to_owned).collect())
            }
        };
        let everyone = by_name.is_none();
        let (contracts, steps) = self.beschut_contracts(None, by_name.as_deref(), span).await?;
        // The scope's own contracts (with their steps, if read apart):
        // among everybody's if those were read.
        let of_scope = match &codes {
            None => None,
            Some(codes) if everyone => {
                let in_scope = |c: &&BeschutContract| c.municipality_code.as_ref().is_some_and(|code| codes.contains(code));
                Some((contracts.iter().filter(in_scope).cloned().collect(), None))
            }
            Some(codes) => {
                let (contracts, steps) = self.beschut_contracts(Some(codes.clone()), None, span).await?;
                Some((contracts, Some(steps)))
            }
        };
        Ok(asks
            .iter()
            .map(|(on, groups)| {
                let employed = figures::beschut_employees(&contracts, &steps, *on);
                let in_scope = match &of_scope {
                    None => figures::beschut_of(&employed),
                    Some((contracts, own_steps)) => figures::beschut(contracts, own_steps.as_ref().unwrap_or(&steps), *on),
                };
                BeschutInGroups { on: *on, groups: figures::beschut_in_groups(&employed, named, groups), in_scope }
            })
            .collect())
    }

    /// Beschut PW contracts running on a day of `span`, and their werkladder
    /// steps.
    async fn beschut_contracts(
        &self,
        codes: Option<Vec<String>>,
        candidates: Option<&[String]>,
        span: Period,
    ) -> Result<(Vec<BeschutContract>, HashMap<String, Vec<(NaiveDate, WerkladderStep)>>), ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        let contracts = store::running_beschut_contracts(&mut conn, codes.as_deref(), candidates, span).await?;
        let mut steps: HashMap<String, Vec<(NaiveDate, WerkladderStep)>> = HashMap::new();
        for event in store::events_of_running_beschut(&mut conn, "WERKLADDER_STEP", codes.as_deref(), candidates, span).await? {
            if let Some(step) = WerkladderStep::from_code(&event.value) {
                steps.entry(event.hr_contract_id).or_default().push((event.effective_date, step));
            }
        }
        Ok((contracts, steps))
    }

    /// For the finance service's LKS: the PW contracts of `codes` running
    /// in the period, grouped by the facts LKS is computed from (no person
    /// leaves the service). The few contracts with measurements are grouped
    /// here, with their measurements as part of the facts.
    pub async fn lks_groups(&self, codes: &[String], period: Period) -> Result<Vec<LksGroup>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        let (mut groups, measured) = store::lks_groups(&mut conn, codes, period).await?;
        let ids: Vec<String> = measured.iter().map(|(id, _)| id.clone()).collect();
        let mut measurements = crate::contracts::measurements_of(&mut conn, &ids).await?;
        let mut counted: BTreeMap<LksGroup, u64> = BTreeMap::new();
        for (id, mut group) in measured {
            group.measurements = measurements.remove(&id).unwrap_or_default();
            group.contracts = 0;
            *counted.entry(group).or_default() += 1;
        }
        groups.extend(counted.into_iter().map(|(group, n)| LksGroup { contracts: n, ..group }));
        groups.sort();
        Ok(groups)
    }

    pub async fn activity_figures(&self, scope: &cpb::Scope, period: Period) -> Result<Vec<(String, u64)>, ServiceError> {
        let codes = self.codes(scope).await?;
        let mut conn = self.db.pool().acquire().await?;
        store::activity_counts(&mut conn, codes.as_deref(), period).await
    }
}

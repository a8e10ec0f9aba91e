//! The figures: this service's indications and placements, with who is
//! employed beschut at IBN and their fte from the employment service.

use chrono::{Datelike, NaiveDate};
use partnership_platform::{ServiceError, decimals, peer};
use partnership_proto::common as cpb;
use partnership_proto::employment as epb;

use crate::Beschut;
use crate::domain::figures::{Figures, IbnEmployee, Inputs, figures};
use crate::domain::taakstelling::For;
use crate::store::{self, Filter};

/// The most candidates named in one request for beschut employees (they
/// travel as one JSON list; more are cheaper as one scan of everybody).
const CANDIDATES_PER_ASK: usize = 10_000;

impl Beschut {
    /// The municipality codes of a scope, from intake (for the whole
    /// partnership: every code, merged municipalities included).
    pub(crate) async fn scope_codes(&self, scope: cpb::Scope) -> Result<Vec<String>, ServiceError> {
        peer::resolve_scope(&self.intake, scope).await
    }

    pub async fn figures(&self, scope: cpb::Scope, on: NaiveDate) -> Result<Figures, ServiceError> {
        let partnership = scope.level == cpb::ScopeLevel::Partnership as i32;
        let codes = self.scope_codes(scope.clone()).await?;
        let (indicated, placed) = {
            let mut conn = self.db.pool().acquire().await?;
            (store::indicated_on(&mut conn, &codes, on).await?, store::placed_on(&mut conn, &codes, on).await?)
        };
        let on_proto = Some(partnership_platform::dates::to_proto(on));
        // Only the persons with an indication in scope can count as
        // working; for a municipality or an area they are few, and asking
        // for them alone keeps employment from handing out (and logging)
        // every beschut employee of the partnership. For the partnership,
        // or a scope with more than a list's worth, everyone is asked for.
        let candidate_ids = if partnership || indicated.len() > CANDIDATES_PER_ASK {
            Vec::new()
        } else {
            indicated.clone()
        };
        let employees = self
            .employment
            .clone()
            .list_beschut_employees(peer::request(
                epb::ListBeschutEmployeesRequest { on: on_proto.clone(), municipality_codes: Vec::new(), candidate_ids },
                peer::DEFAULT_DEADLINE,
            ))
            .await
            .map_err(|s| unavailable(&s))?
            .into_inner()
            .employees;
        let at_ibn = self
            .employment
            .clone()
            .get_beschut_figures(peer::request(epb::GetBeschutFiguresRequest { scope: Some(scope), on: on_proto }, peer::DEFAULT_DEADLINE))
            .await
            .map_err(|s| unavailable(&s))?
            .into_inner();
        let taakstelling = if partnership {
            self.taakstelling.fte(on.year(), For::Partnership)
        } else {
            self.taakstelling.fte(on.year(), For::Municipalities(&codes))
        };
        let inputs = Inputs {
            indicated: indicated.into_iter().collect(),
            ibn: employees
                .into_iter()
                .map(|e| IbnEmployee {
                    candidate_id: e.candidate_id,
                    step: epb::WerkladderStep::try_from(e.step)
                        .map(|s| s.as_str_name().trim_start_matches("WERKLADDER_STEP_").to_owned())
                        .unwrap_or_default(),
                })
                .collect(),
            placed: placed.into_iter().collect(),
            fte_at_ibn: decimals::optional("fte", at_ibn.fte.as_ref()).ok().flatten().unwrap_or_default(),
            taakstelling,
        };
        Ok(figures(&inputs))
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

fn unavailable(status: &tonic::Status) -> ServiceError {
    ServiceError::Unavailable(format!("asking employment: {:?}: {}", status.code(), status.message()))
}

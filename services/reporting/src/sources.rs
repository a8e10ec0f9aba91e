//! Everything a report needs from the other services, fetched at once.

use std::time::Duration;

use partnership_platform::dates;
use partnership_proto::beschut as bpb;
use partnership_proto::common as cpb;
use partnership_proto::employment as epb;
use partnership_proto::finance as fpb;
use partnership_proto::intake as ipb;

use crate::Reporting;
use crate::fanout::{Fetched, call, request};
use crate::period::ReportPeriod;

/// The figures of one report, each fetched or failed on its own.
pub struct Sources {
    pub areas: Fetched<ipb::ListAreasResponse>,
    /// Cohorts Y (to date), Y−1 and Y−2, as of the period's end.
    pub cohorts: [Fetched<ipb::CohortFigures>; 3],
    pub area_counts: Fetched<ipb::AreaRegistrationCounts>,
    /// Completed in Y through Q, in Y−1 and in Y−2.
    pub trajectories: [Fetched<epb::TrajectoryResultFigures>; 3],
    pub started: Fetched<epb::StartedContractFigures>,
    pub headcount: Fetched<epb::HeadcountFigures>,
    /// The same on the previous quarter's end (quarter on quarter).
    pub headcount_previous: Fetched<epb::HeadcountFigures>,
    pub activities: Fetched<epb::ActivityFigures>,
    /// On [`ReportPeriod::beschut_dates`], in that order, in one call.
    pub beschut: Fetched<bpb::BatchGetBeschutFiguresResponse>,
    pub finance: Fetched<fpb::FinanceFigures>,
}

fn period(first: chrono::NaiveDate, last: chrono::NaiveDate) -> Option<epb::Period> {
    Some(epb::Period { first_day: Some(dates::to_proto(first)), last_day: Some(dates::to_proto(last)) })
}

/// One fetch: `$client.$method($request)` as `$name`, with the deadline,
/// an owned future per attempt.
macro_rules! fetch {
    ($name:literal, $client:expr, $method:ident, $request:expr, $deadline:expr) => {{
        let client = $client.clone();
        let message = $request;
        let deadline = $deadline;
        async move {
            call($name, deadline, |d| {
                let mut client = client.clone();
                let message = message.clone();
                async move { client.$method(request(message, d)).await }
            })
            .await
        }
    }};
}

impl Reporting {
    /// Asks every service at once; returns when all have answered or failed.
    pub async fn fetch(&self, scope: &cpb::Scope, p: ReportPeriod) -> Sources {
        let d = Duration::from_millis(self.config.call_timeout_ms);
        let end = p.end();
        let y = p.year;
        let as_of = Some(dates::to_proto(end));
        let scope = Some(scope.clone());
        let cohort = |year: i32| {
            let req = ipb::GetCohortFiguresRequest { scope: scope.clone(), cohort_year: year, as_of: as_of.clone() };
            fetch!("intake.GetCohortFigures", self.intake, get_cohort_figures, req, d)
        };
        let trajectories = |first, last| {
            let req = epb::GetTrajectoryResultFiguresRequest { scope: scope.clone(), period: period(first, last) };
            fetch!("employment.GetTrajectoryResultFigures", self.employment, get_trajectory_result_figures, req, d)
        };
        let year_end = ReportPeriod::year_end;
        let year_start = |year: i32| chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(end);
        let period_to_date = period(p.year_start(), end);
        let previous = p.previous();
        let (areas, c0, c1, c2, area_counts, t0, t1, t2, started, headcount, headcount_previous, activities, beschut, finance) = tokio::join!(
            fetch!("intake.ListAreas", self.intake, list_areas, ipb::ListAreasRequest { as_of: as_of.clone() }, d),
            cohort(y),
            cohort(y - 1),
            cohort(y - 2),
            fetch!(
                "intake.GetAreaRegistrationCounts",
                self.intake,
                get_area_registration_counts,
                ipb::GetAreaRegistrationCountsRequest { scope: scope.clone(), from_year: y - 2, to_year: y, as_of: as_of.clone() },
                d
            ),
            trajectories(p.year_start(), end),
            trajectories(year_start(y - 1), year_end(y - 1)),
            trajectories(year_start(y - 2), year_end(y - 2)),
            fetch!(
                "employment.GetStartedContractFigures",
                self.employment,
                get_started_contract_figures,
                epb::GetStartedContractFiguresRequest { scope: scope.clone(), period: period_to_date.clone() },
                d
            ),
            fetch!(
                "employment.GetHeadcountFigures",
                self.employment,
                get_headcount_figures,
                epb::GetHeadcountFiguresRequest { scope: scope.clone(), on: as_of.clone(), period: period_to_date.clone() },
                d
            ),
            fetch!(
                "employment.GetHeadcountFigures",
                self.employment,
                get_headcount_figures,
                epb::GetHeadcountFiguresRequest {
                    scope: scope.clone(),
                    on: Some(dates::to_proto(previous.end())),
                    period: period(previous.year_start(), previous.end()),
                },
                d
            ),
            fetch!(
                "employment.GetActivityFigures",
                self.employment,
                get_activity_figures,
                epb::GetActivityFiguresRequest { scope: scope.clone(), period: period_to_date.clone() },
                d
            ),
            fetch!(
                "beschut.BatchGetBeschutFigures",
                self.beschut,
                batch_get_beschut_figures,
                bpb::BatchGetBeschutFiguresRequest {
                    scope: scope.clone(),
                    dates: p.beschut_dates().map(dates::to_proto).to_vec(),
                },
                d
            ),
            fetch!(
                "finance.GetFinanceFigures",
                self.finance,
                get_finance_figures,
                fpb::GetFinanceFiguresRequest { scope: scope.clone(), year: y, through_quarter: p.quarter as i32 },
                d
            ),
        );
        Sources {
            areas,
            cohorts: [c0, c1, c2],
            area_counts,
            trajectories: [t0, t1, t2],
            started,
            headcount,
            headcount_previous,
            activities,
            beschut,
            finance,
        }
    }
}

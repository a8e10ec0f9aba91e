//! The figures reporting asks for: aggregates only, never a person.

use chrono::NaiveDate;
use partnership_platform::{ServiceError, dates};

use crate::Intake;
use crate::domain::cohort::{AreaYears, CohortFigures, area_year_counts, cohort_figures};
use crate::domain::reference::Scope;
use crate::store;

/// The most years one area-count request may span.
pub const MAX_YEARS: i32 = 20;

impl Intake {
    fn scope_codes(&self, scope: &Scope) -> Result<Vec<String>, ServiceError> {
        self.reference.codes_in_scope(scope).map_err(|e| ServiceError::invalid("scope.code", e.to_string()))
    }

    /// The cohort figures of `year` as of `as_of` for the scope.
    pub async fn cohort_figures(&self, scope: &Scope, year: i32, as_of: NaiveDate) -> Result<CohortFigures, ServiceError> {
        let codes = self.scope_codes(scope)?;
        dates::year_bounds(year).ok_or_else(|| ServiceError::invalid("cohort_year", "out of range"))?;
        let mut conn = self.db.pool().acquire().await?;
        let counts = store::cohort_counts(&mut conn, &codes, year, as_of).await?;
        Ok(cohort_figures(&counts))
    }

    /// Registrations per today's area per year for the scope.
    pub async fn area_counts(
        &self,
        scope: &Scope,
        from_year: i32,
        to_year: i32,
        as_of: NaiveDate,
    ) -> Result<Vec<AreaYears>, ServiceError> {
        let codes = self.scope_codes(scope)?;
        if to_year < from_year || to_year - from_year >= MAX_YEARS {
            return Err(ServiceError::invalid("to_year", format!("must be from_year up to {} years on", MAX_YEARS - 1)));
        }
        let (first, _) = dates::year_bounds(from_year).ok_or_else(|| ServiceError::invalid("from_year", "out of range"))?;
        let (_, last) = dates::year_bounds(to_year).ok_or_else(|| ServiceError::invalid("to_year", "out of range"))?;
        let areas = self.areas_of_scope(scope)?;
        let mut conn = self.db.pool().acquire().await?;
        let counts = store::municipality_year_counts(&mut conn, &codes, first, last.min(as_of)).await?;
        Ok(area_year_counts(&self.reference, &areas, &counts, from_year..=to_year))
    }

    /// Today's areas a scope covers, in reference-data order.
    fn areas_of_scope(&self, scope: &Scope) -> Result<Vec<String>, ServiceError> {
        Ok(match scope {
            Scope::Partnership => self.reference.areas.iter().map(|a| a.code.clone()).collect(),
            Scope::Area(code) => vec![code.clone()],
            Scope::Municipality(code) => {
                let today = self
                    .reference
                    .current_municipality(code)
                    .map_err(|e| ServiceError::invalid("scope.code", e.to_string()))?;
                vec![today.area.clone()]
            }
        })
    }
}

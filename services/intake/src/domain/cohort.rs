//! Cohort figures (stroomcijfers, domain.md §2): a cohort's registrations
//! counted by their status as of a date, grouped, with percentages that add
//! up; youth apart. Also the registrations per area per year.
//!
//! The store counts (it knows the statuses as of the date); this module
//! turns counts into the figures reports show, so the rounding rule lives
//! here and in `apportion`, nowhere else.

use std::collections::BTreeMap;

use partnership_platform::apportion::percentages;

use super::reference::ReferenceData;
use super::status::{RegistrationStatus, StatusGroup, TerugmeldingReason};

/// How many registrations of a cohort had one status (and reason) as of the
/// date, youth or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCount {
    pub youth: bool,
    pub status: RegistrationStatus,
    pub reason: Option<TerugmeldingReason>,
    pub count: u64,
}

/// A count with its whole-percent share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Share {
    pub count: u64,
    pub percent: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFigure {
    pub group: StatusGroup,
    pub share: Share,
    pub statuses: Vec<(RegistrationStatus, Share)>,
}

/// Registrations by status; counts add up at every level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    pub total: u64,
    pub groups: Vec<GroupFigure>,
    /// Shares of the number handed back.
    pub reasons: Vec<(TerugmeldingReason, Share)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortFigures {
    pub all: Breakdown,
    pub youth: Breakdown,
    /// Youth as a share of all.
    pub youth_share: Share,
}

impl Breakdown {
    /// The share of one status.
    pub fn status(&self, status: RegistrationStatus) -> Share {
        self.groups.iter().flat_map(|g| &g.statuses).find(|(s, _)| *s == status).map(|(_, s)| *s).unwrap_or_default()
    }

    /// The share of one group.
    pub fn group(&self, group: StatusGroup) -> Share {
        self.groups.iter().find(|g| g.group == group).map(|g| g.share).unwrap_or_default()
    }

    /// The share of one terugmelding reason.
    pub fn reason(&self, reason: TerugmeldingReason) -> Share {
        self.reasons.iter().find(|(r, _)| *r == reason).map(|(_, s)| *s).unwrap_or_default()
    }
}

/// Composes the figures of a cohort from its counts.
pub fn cohort_figures(counts: &[StatusCount]) -> CohortFigures {
    let all = breakdown(counts.iter());
    let youth = breakdown(counts.iter().filter(|c| c.youth));
    let youth_percent = percentages(&[youth.total, all.total - youth.total])[0];
    let youth_share = Share { count: youth.total, percent: youth_percent };
    CohortFigures { all, youth, youth_share }
}

fn breakdown<'a>(counts: impl Iterator<Item = &'a StatusCount> + Clone) -> Breakdown {
    let count_of = |status: RegistrationStatus| -> u64 {
        counts.clone().filter(|c| c.status == status).map(|c| c.count).sum()
    };
    // Leaves in report order; percentages rounded together so they add up.
    let leaves: Vec<(StatusGroup, RegistrationStatus, u64)> = StatusGroup::REPORT_ORDER
        .iter()
        .flat_map(|&g| g.statuses().iter().map(move |&s| (g, s)))
        .map(|(g, s)| (g, s, count_of(s)))
        .collect();
    let leaf_percents = percentages(&leaves.iter().map(|l| l.2).collect::<Vec<_>>());
    let groups = StatusGroup::REPORT_ORDER
        .iter()
        .map(|&group| {
            let statuses: Vec<(RegistrationStatus, Share)> = leaves
                .iter()
                .zip(&leaf_percents)
                .filter(|((g, _, _), _)| *g == group)
                .map(|((_, s, count), &percent)| (*s, Share { count: *count, percent }))
                .collect();
            let share = Share {
                count: statuses.iter().map(|(_, s)| s.count).sum(),
                percent: statuses.iter().map(|(_, s)| s.percent).sum(),
            };
            GroupFigure { group, share, statuses }
        })
        .collect();

    let handed_back = counts.clone().filter(|c| c.status == RegistrationStatus::Teruggemeld);
    let reason_counts: Vec<u64> = TerugmeldingReason::REPORT_ORDER
        .iter()
        .map(|&reason| {
            handed_back
                .clone()
                // A handed-back registration always has a reason; should one
                // lack it, it counts as unknown rather than vanishing.
                .filter(|c| c.reason.unwrap_or(TerugmeldingReason::NietUitDeDataAfTeLeiden) == reason)
                .map(|c| c.count)
                .sum()
        })
        .collect();
    let reasons = TerugmeldingReason::REPORT_ORDER
        .into_iter()
        .zip(reason_counts.iter().zip(percentages(&reason_counts)))
        .map(|(reason, (&count, percent))| (reason, Share { count, percent }))
        .collect();
    Breakdown { total: counts.map(|c| c.count).sum(), groups, reasons }
}

/// How many registrations of one municipality (as recorded) fell in a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityYearCount {
    pub municipality_code: String,
    pub year: i32,
    pub count: u64,
    pub youth: u64,
}

/// Counts per year for one of today's areas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaYears {
    pub area_code: String,
    /// (year, count, of which youth), one per year asked for.
    pub years: Vec<(i32, u64, u64)>,
}

/// Registrations per today's area per year: each municipality's counts go
/// to the area of the municipality it maps onto today. `areas` gives the
/// areas to show, in order (all of them, or those of the scope).
pub fn area_year_counts(
    reference: &ReferenceData,
    areas: &[String],
    counts: &[MunicipalityYearCount],
    years: std::ops::RangeInclusive<i32>,
) -> Vec<AreaYears> {
    let mut totals: BTreeMap<(&str, i32), (u64, u64)> = BTreeMap::new();
    for c in counts {
        let Ok(today) = reference.current_municipality(&c.municipality_code) else { continue };
        let entry = totals.entry((reference.area_of(today).code.as_str(), c.year)).or_default();
        entry.0 += c.count;
        entry.1 += c.youth;
    }
    areas
        .iter()
        .map(|area| AreaYears {
            area_code: area.clone(),
            years: years
                .clone()
                .map(|year| {
                    let (count, youth) = totals.get(&(area.as_str(), year)).copied().unwrap_or_default();
                    (year, count, youth)
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RegistrationStatus::*;
    use super::TerugmeldingReason::*;
    use super::*;

    fn count(youth: bool, status: RegistrationStatus, reason: Option<TerugmeldingReason>, count: u64) -> StatusCount {
        StatusCount { youth, status, reason, count }
    }

    /// Cohort 2022 as of 2023-12-31, domain.md §2, split into youth and
    /// others the way the annual report 2023 gives it.
    pub(crate) fn cohort_2022() -> Vec<StatusCount> {
        vec![
            count(false, Opleiding, None, 1),
            count(true, DvbRegulierWerkgever, None, 9),
            count(false, DvbRegulierWerkgever, None, 16),
            count(true, DvbIbn, None, 60),
            count(false, DvbIbn, None, 83),
            count(true, Voortraject, None, 1),
            count(false, Voortraject, None, 5),
            count(false, Intake, None, 1),
            count(false, Verhuisd, None, 1),
            count(false, OnHold, None, 2),
            count(true, Teruggemeld, Some(TijdelijkNietInStaat), 10),
            count(false, Teruggemeld, Some(TijdelijkNietInStaat), 6),
            count(true, Teruggemeld, Some(VoldoetNietAanInstroomeisen), 5),
            count(false, Teruggemeld, Some(VoldoetNietAanInstroomeisen), 6),
            count(true, Teruggemeld, Some(OpVerzoekVanGemeente), 5),
            count(false, Teruggemeld, Some(OpVerzoekVanGemeente), 12),
            count(false, Teruggemeld, Some(Overig), 6),
            count(false, Teruggemeld, Some(NietUitDeDataAfTeLeiden), 7),
        ]
    }

    #[test]
    fn reproduces_the_cohort_2022_worked_example() {
        let f = cohort_figures(&cohort_2022());
        let all = &f.all;
        assert_eq!(all.total, 236);
        assert_eq!(all.group(StatusGroup::AanHetWerkOpleiding), Share { count: 169, percent: 72 });
        assert_eq!(all.status(Opleiding), Share { count: 1, percent: 0 });
        assert_eq!(all.status(DvbRegulierWerkgever), Share { count: 25, percent: 11 });
        assert_eq!(all.status(DvbIbn), Share { count: 143, percent: 61 });
        assert_eq!(all.group(StatusGroup::NogInTraject), Share { count: 7, percent: 3 });
        assert_eq!(all.status(Proefplaatsing).count, 0);
        assert_eq!(all.status(Voortraject).count, 6);
        assert_eq!(all.status(Intake).count, 1);
        assert_eq!(all.group(StatusGroup::NietInTraject), Share { count: 60, percent: 25 });
        assert_eq!(all.status(Verhuisd).count, 1);
        assert_eq!(all.status(OnHold).count, 2);
        assert_eq!(all.status(Teruggemeld), Share { count: 57, percent: 24 });
        assert_eq!(all.reason(TijdelijkNietInStaat), Share { count: 16, percent: 28 });
        assert_eq!(all.reason(VoldoetNietAanInstroomeisen), Share { count: 11, percent: 19 });
        assert_eq!(all.reason(OpVerzoekVanGemeente), Share { count: 17, percent: 30 });
        assert_eq!(all.reason(Overig), Share { count: 6, percent: 11 });
        assert_eq!(all.reason(NietUitDeDataAfTeLeiden), Share { count: 7, percent: 12 });
        assert_eq!(f.youth_share, Share { count: 90, percent: 38 });
        assert_eq!(f.youth.group(StatusGroup::AanHetWerkOpleiding).count, 69);
        assert_eq!(f.youth.status(DvbRegulierWerkgever).count, 9);
        assert_eq!(f.youth.status(DvbIbn).count, 60);
        assert_eq!(f.youth.group(StatusGroup::NogInTraject).count, 1);
        assert_eq!(f.youth.group(StatusGroup::NietInTraject).count, 20);
    }

    #[test]
    fn percentages_add_up_and_groups_are_the_sum_of_their_leaves() {
        for breakdown in [cohort_figures(&cohort_2022()).all, cohort_figures(&cohort_2022()).youth] {
            let groups: u64 = breakdown.groups.iter().map(|g| g.share.percent).sum();
            assert_eq!(groups, 100);
            for g in &breakdown.groups {
                assert_eq!(g.share.percent, g.statuses.iter().map(|(_, s)| s.percent).sum::<u64>());
                assert_eq!(g.share.count, g.statuses.iter().map(|(_, s)| s.count).sum::<u64>());
            }
            assert_eq!(breakdown.reasons.iter().map(|(_, s)| s.percent).sum::<u64>(), 100);
            assert_eq!(
                breakdown.reasons.iter().map(|(_, s)| s.count).sum::<u64>(),
                breakdown.status(Teruggemeld).count
            );
        }
    }

    #[test]
    fn an_empty_cohort_has_zero_everywhere() {
        let f = cohort_figures(&[]);
        assert_eq!(f.all.total, 0);
        assert!(f.all.groups.iter().all(|g| g.share == Share::default()));
        assert_eq!(f.youth_share, Share::default());
    }

    #[test]
    fn old_municipalities_count_for_todays_area() {
        let reference = ReferenceData::embedded().unwrap();
        let counts = vec![
            MunicipalityYearCount { municipality_code: "GM0856".into(), year: 2021, count: 3, youth: 1 },
            MunicipalityYearCount { municipality_code: "GM1685".into(), year: 2021, count: 2, youth: 0 },
            MunicipalityYearCount { municipality_code: "GM1991".into(), year: 2022, count: 4, youth: 2 },
            MunicipalityYearCount { municipality_code: "GM0828".into(), year: 2022, count: 7, youth: 3 },
        ];
        let areas = vec!["MAASHORST".to_string(), "OSS".to_string()];
        let result = area_year_counts(&reference, &areas, &counts, 2021..=2022);
        assert_eq!(result[0].years, vec![(2021, 5, 1), (2022, 4, 2)]);
        assert_eq!(result[1].years, vec![(2021, 0, 0), (2022, 7, 3)]);
    }
}

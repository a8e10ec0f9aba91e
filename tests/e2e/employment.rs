//! Employment end to end: IBN's HR system pushes contracts, trajectory staff
//! complete trajectories, a dashboard reads the figures, and intake learns
//! of new PW dienstverbanden through the outbox — also when it was down.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::NaiveDate;
use partnership_e2e::*;
use partnership_proto::employment as pb;
use partnership_proto::intake as ipb;
use partnership_suite::Service;

fn d(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn partnership_scope() -> Option<partnership_proto::common::Scope> {
    partnership()
}

fn period(first: &str, last: &str) -> Option<pb::Period> {
    Some(pb::Period { first_day: date(first), last_day: date(last) })
}

#[derive(Clone, Copy)]
struct Pw {
    soort: pb::SoortPlaatsing,
    doelgroep: pb::Doelgroep,
    profiel: pb::Uitstroomprofiel,
    loonwaarde: Option<u32>,
    step: pb::WerkladderStep,
}

fn contract(id: &str, n: u32, kind: pb::ContractKind, start: &str, end: Option<&str>, hours: &str, pw: Option<Pw>) -> pb::ContractInput {
    pb::ContractInput {
        hr_contract_id: id.to_owned(),
        bsn: bsn(n),
        kind: kind as i32,
        start_date: date(start),
        end_date: end.and_then(date),
        hours_per_week: decimal(hours),
        pw: pw.map(|p| pb::PwClassification {
            soort_plaatsing: p.soort as i32,
            doelgroep: p.doelgroep as i32,
            uitstroomprofiel: p.profiel as i32,
            loonwaarde: Some(pb::Loonwaarde {
                value: Some(match p.loonwaarde {
                    Some(percent) => pb::loonwaarde::Value::MeasuredPercent(decimal(&percent.to_string()).unwrap()),
                    None => pb::loonwaarde::Value::Forfaitair(true),
                }),
            }),
            werkladder_step: p.step as i32,
            paying_municipality_code: "GM0828".into(),
        }),
        municipality_code: if pw.is_some() { String::new() } else { "GM0828".into() },
    }
}

fn count_of(counts: &[pb::ClassCount], value: &str) -> i64 {
    counts.iter().find(|c| c.value == value).map(|c| c.count).unwrap_or_else(|| panic!("no count for {value}"))
}

/// The test's own view of a contract, to compute expected figures from.
#[derive(Clone)]
struct Own {
    person: u32,
    kind: pb::ContractKind,
    start: NaiveDate,
    end: Option<NaiveDate>,
    hours: u32,
    pw: Option<Pw>,
}

impl Own {
    fn runs_on(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.is_none_or(|e| day <= e)
    }
}

#[tokio::test]
async fn an_hr_push_of_thousands_gives_the_figures_of_its_own_data() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    let persons = 2400;
    import_candidates(&mut intake, 1, persons, "GM0828").await;

    let kinds = [pb::ContractKind::Pw, pb::ContractKind::Pw, pb::ContractKind::Pw, pb::ContractKind::Wsw, pb::ContractKind::Regulier, pb::ContractKind::Kader];
    let soorten = [pb::SoortPlaatsing::Aanbodgestuurd, pb::SoortPlaatsing::Aanbodgestuurd, pb::SoortPlaatsing::Vraaggestuurd];
    let doelgroepen = [pb::Doelgroep::NieuwRegulier, pb::Doelgroep::NieuwBeschut, pb::Doelgroep::RegulierVraaggestuurd];
    let profielen = [
        pb::Uitstroomprofiel::MetUitstroomprofielRegulier,
        pb::Uitstroomprofiel::ZonderUitstroomprofielRegulier,
        pb::Uitstroomprofiel::NietBekend,
        pb::Uitstroomprofiel::NvtVraaggestuurd,
    ];
    let steps = [pb::WerkladderStep::WerkenBinnenIbn, pb::WerkladderStep::WerkenOpLocatie, pb::WerkladderStep::ZelfstandigWerkenOpLocatie];
    let mut rng = Rng::new(2022);
    let mut own: BTreeMap<String, Own> = BTreeMap::new();
    let mut order = Vec::new();
    for person in 1..=persons {
        let kind = rng.pick(&kinds);
        let start = d("2021-01-01") + chrono::Duration::days(rng.below(3 * 365) as i64);
        let end = (rng.below(3) == 0).then(|| start + chrono::Duration::days(30 + rng.below(500) as i64));
        let hours = rng.pick(&[16u32, 20, 24, 32, 36]);
        let pw = (kind == pb::ContractKind::Pw).then(|| Pw {
            soort: rng.pick(&soorten),
            doelgroep: rng.pick(&doelgroepen),
            profiel: rng.pick(&profielen),
            loonwaarde: rng.pick(&[None, Some(25), Some(40), Some(65), Some(85)]),
            step: rng.pick(&steps),
        });
        let id = format!("HR-{person:05}-1");
        order.push(id.clone());
        own.insert(id, Own { person, kind, start, end, hours, pw });
        // A third of those whose PW contract ended get a renewal the next day.
        if let (Some(end), Some(pw)) = (end, pw) {
            if rng.below(3) == 0 {
                let id = format!("HR-{person:05}-2");
                order.push(id.clone());
                own.insert(id, Own { person, kind, start: end + chrono::Duration::days(1), end: None, hours, pw: Some(pw) });
            }
        }
    }
    let inputs = |own: &BTreeMap<String, Own>| -> Vec<pb::ContractInput> {
        order
            .iter()
            .map(|id| {
                let c = &own[id];
                let end = c.end.map(|e| e.to_string());
                contract(id, c.person, c.kind, &c.start.to_string(), end.as_deref(), &c.hours.to_string(), c.pw)
            })
            .collect()
    };

    let mut hr = suite.hr().await;
    let first: Vec<_> = hr.push(&inputs(&own), 1000).await;
    assert_eq!(first.iter().map(|a| a.created).sum::<i32>() as usize, own.len());
    let again = hr.push(&inputs(&own), 1000).await;
    assert_eq!(again.iter().map(|a| a.unchanged).sum::<i32>() as usize, own.len(), "a repeat changes nothing");

    // HR corrects 300 contracts: an end date, or different hours.
    let changed: Vec<String> = own.keys().filter(|_| rng.below(8) == 0).take(300).cloned().collect();
    for (k, id) in changed.iter().enumerate() {
        let c = own.get_mut(id).unwrap();
        c.hours += 2;
        if k % 3 == 0 && c.end.is_none() {
            c.end = Some(d("2023-06-30").max(c.start));
        }
    }
    let third = hr.push(&inputs(&own), 1000).await;
    assert_eq!(third.iter().map(|a| a.updated).sum::<i32>() as usize, changed.len());
    assert_eq!(third.iter().map(|a| a.rejected).sum::<i32>(), 0);

    // The expected figures, computed here from the test's own data.
    let on = d("2022-12-31");
    let year = (d("2022-01-01"), d("2022-12-31"));
    let running: Vec<&Own> = own.values().filter(|c| c.runs_on(on)).collect();
    let pw_persons: HashSet<u32> = running.iter().filter(|c| c.kind == pb::ContractKind::Pw).map(|c| c.person).collect();
    let beschut: Vec<&&Own> = running.iter().filter(|c| c.pw.is_some_and(|p| p.doelgroep == pb::Doelgroep::NieuwBeschut)).collect();
    let beschut_persons: HashSet<u32> = beschut.iter().map(|c| c.person).collect();
    let per_kind = |kind| running.iter().filter(|c| c.kind == kind).map(|c| c.person).collect::<HashSet<_>>().len() as i64;
    // Starters: each person's first PW contract pushed (renewals do not start a trajectory).
    let mut starters: HashMap<u32, &Own> = HashMap::new();
    for id in &order {
        let c = &own[id];
        if c.kind == pb::ContractKind::Pw {
            starters.entry(c.person).or_insert(c);
        }
    }
    let started_2022: Vec<&&Own> = starters.values().filter(|c| year.0 <= c.start && c.start <= year.1).collect();
    let spells_begin = |p: u32| own.values().filter(|c| c.person == p && c.kind == pb::ContractKind::Pw).map(|c| c.start).min();
    let inflow = pw_persons_all(&own).into_iter().filter(|&p| spells_begin(p).is_some_and(|s| year.0 <= s && s <= year.1)).count();
    let outflow = pw_persons_all(&own)
        .into_iter()
        .filter(|&p| {
            let contracts: Vec<&Own> = own.values().filter(|c| c.person == p && c.kind == pb::ContractKind::Pw).collect();
            let last_end = if contracts.iter().any(|c| c.end.is_none()) { None } else { contracts.iter().filter_map(|c| c.end).max() };
            last_end.is_some_and(|e| year.0 <= e && e <= year.1)
        })
        .count();

    // The data is rich enough for the comparisons to mean something.
    assert!(pw_persons.len() > 300 && beschut_persons.len() > 50, "{} {}", pw_persons.len(), beschut_persons.len());
    assert!(started_2022.len() > 100 && inflow > 100 && outflow > 50, "{} {inflow} {outflow}", started_2022.len());

    let mut employment = suite.employment().await;
    let headcount = employment
        .get_headcount_figures(pb::GetHeadcountFiguresRequest { scope: partnership_scope(), on: date("2022-12-31"), period: period("2022-01-01", "2022-12-31") })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(headcount.pw_persons, pw_persons.len() as i64);
    assert_eq!(headcount.pw_beschut, beschut_persons.len() as i64);
    assert_eq!(headcount.pw_niet_beschut, (pw_persons.len() - beschut_persons.len()) as i64);
    assert_eq!(headcount.pw_inflow, inflow as i64);
    assert_eq!(headcount.pw_outflow, outflow as i64);
    for kind in [pb::ContractKind::Pw, pb::ContractKind::Wsw, pb::ContractKind::Regulier, pb::ContractKind::Kader] {
        let got = headcount.by_kind.iter().find(|k| k.kind == kind as i32).unwrap().persons;
        assert_eq!(got, per_kind(kind), "{kind:?}");
    }

    let started = employment
        .get_started_contract_figures(pb::GetStartedContractFiguresRequest { scope: partnership_scope(), period: period("2022-01-01", "2022-12-31") })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.total, started_2022.len() as i64);
    let with = |f: &dyn Fn(&Pw) -> bool| started_2022.iter().filter(|c| f(&c.pw.unwrap())).count() as i64;
    assert_eq!(count_of(&started.by_soort_plaatsing, "AANBODGESTUURD"), with(&|p| p.soort == pb::SoortPlaatsing::Aanbodgestuurd));
    assert_eq!(count_of(&started.by_doelgroep, "NIEUW_BESCHUT"), with(&|p| p.doelgroep == pb::Doelgroep::NieuwBeschut));
    assert_eq!(count_of(&started.by_uitstroomprofiel, "NIET_BEKEND"), with(&|p| p.profiel == pb::Uitstroomprofiel::NietBekend));
    assert_eq!(count_of(&started.by_loonwaardeklasse, "FORFAITAIR"), with(&|p| p.loonwaarde.is_none()));
    assert_eq!(count_of(&started.by_loonwaardeklasse, "50_TOT_EN_MET_80"), with(&|p| p.loonwaarde == Some(65)));
    assert_eq!(count_of(&started.by_instroom_trede, "WERKEN_OP_LOCATIE"), with(&|p| p.step == pb::WerkladderStep::WerkenOpLocatie));
    assert_eq!((started.norm_total, started.norm_aanbodgestuurd, started.norm_vraaggestuurd), (200, 140, 60));

    let figures = employment
        .get_beschut_figures(pb::GetBeschutFiguresRequest { scope: partnership_scope(), on: date("2022-12-31") })
        .await
        .unwrap()
        .into_inner();
    let hours: u32 = beschut.iter().map(|c| c.hours).sum();
    assert_eq!(figures.hours_per_week.unwrap().value, hours.to_string());
    let fte = rust_decimal::Decimal::from(hours) / rust_decimal::Decimal::from(31);
    assert_eq!(figures.fte.unwrap().value, fte.round_dp(6).normalize().to_string());
    assert_eq!(figures.persons, beschut_persons.len() as i64);
    let on_step = |s: pb::WerkladderStep| figures.by_step.iter().find(|x| x.step == s as i32).unwrap().persons;
    let expected_binnen = beschut.iter().filter(|c| c.pw.unwrap().step == pb::WerkladderStep::WerkenBinnenIbn).map(|c| c.person).collect::<HashSet<_>>().len();
    assert_eq!(on_step(pb::WerkladderStep::WerkenBinnenIbn), expected_binnen as i64);

    // A municipality outside the data sees nothing of it.
    let none = employment
        .get_headcount_figures(pb::GetHeadcountFiguresRequest { scope: municipality("GM1721"), on: date("2022-12-31"), period: period("2022-01-01", "2022-12-31") })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(none.pw_persons, 0);
}

fn pw_persons_all(own: &BTreeMap<String, Own>) -> HashSet<u32> {
    own.values().filter(|c| c.kind == pb::ContractKind::Pw).map(|c| c.person).collect()
}

fn pw(doelgroep: pb::Doelgroep, profiel: pb::Uitstroomprofiel) -> Option<Pw> {
    Some(Pw {
        soort: pb::SoortPlaatsing::Aanbodgestuurd,
        doelgroep,
        profiel,
        loonwaarde: Some(40),
        step: pb::WerkladderStep::WerkenBinnenIbn,
    })
}

#[tokio::test]
async fn reproduces_the_trajectories_completed_in_2022() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 125, "GM0828").await;
    use pb::TrajectoryResult as R;
    let plan = [
        (R::DvbReguliereWerkgever, 20),
        (R::DvbIbnRegulierContract, 2),
        (R::DvbIbnKernbezetting, 55),
        (R::OpEigenVerzoek, 14),
        (R::NietPassend, 26),
        (R::Verhuisd, 3),
    ];
    let mut contracts = Vec::new();
    let mut results = Vec::new();
    let mut n = 0;
    for (result, count) in plan {
        for _ in 0..count {
            n += 1;
            let profiel = if n % 2 == 0 { pb::Uitstroomprofiel::MetUitstroomprofielRegulier } else { pb::Uitstroomprofiel::ZonderUitstroomprofielRegulier };
            contracts.push(contract(&format!("T-{n}"), n, pb::ContractKind::Pw, "2021-02-01", None, "32", pw(pb::Doelgroep::NieuwRegulier, profiel)));
            results.push((format!("T-{n}"), result, format!("2022-{:02}-15", 1 + n % 12), profiel));
        }
    }
    // Two more, completed in 2023 and still open: not counted for 2022.
    for k in [121, 122] {
        contracts.push(contract(&format!("T-{k}"), k, pb::ContractKind::Pw, "2021-03-01", None, "24", pw(pb::Doelgroep::NieuwRegulier, pb::Uitstroomprofiel::NietBekend)));
    }
    let mut hr = suite.hr().await;
    hr.push(&contracts, 500).await;

    let mut employment = suite.employment().await;
    let trajectories = employment
        .list_trajectories(pb::ListTrajectoriesRequest { page_size: 1000, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .trajectories;
    assert_eq!(trajectories.len(), 122);
    let by_contract: HashMap<String, String> = trajectories.into_iter().map(|t| (t.hr_contract_id, t.id)).collect();
    for (contract_id, result, when, _) in &results {
        employment
            .complete_trajectory(pb::CompleteTrajectoryRequest {
                trajectory_id: by_contract[contract_id].clone(),
                completion_date: date(when),
                result: *result as i32,
            })
            .await
            .expect("completed");
    }
    employment
        .complete_trajectory(pb::CompleteTrajectoryRequest { trajectory_id: by_contract["T-121"].clone(), completion_date: date("2023-01-10"), result: R::Opleiding as i32 })
        .await
        .unwrap();
    let twice = employment
        .complete_trajectory(pb::CompleteTrajectoryRequest { trajectory_id: by_contract["T-121"].clone(), completion_date: date("2023-01-11"), result: R::Opleiding as i32 })
        .await
        .unwrap_err();
    assert_eq!(twice.code(), tonic::Code::FailedPrecondition);

    let figures = employment
        .get_trajectory_result_figures(pb::GetTrajectoryResultFiguresRequest { scope: partnership_scope(), period: period("2022-01-01", "2022-12-31") })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(figures.completed, 120);
    let group = |g: pb::TrajectoryResultGroup| figures.groups.iter().find(|x| x.group == g as i32).unwrap();
    let to_work = group(pb::TrajectoryResultGroup::NaarWerkOfOpleiding);
    let other = group(pb::TrajectoryResultGroup::Overig);
    assert_eq!((to_work.count, other.count), (77, 43));
    let result = |g: &pb::GroupCount, r: R| g.results.iter().find(|x| x.result == r as i32).unwrap().count;
    assert_eq!(result(to_work, R::Opleiding), 0);
    assert_eq!(result(to_work, R::DvbReguliereWerkgever), 20);
    assert_eq!(result(to_work, R::DvbIbnRegulierContract), 2);
    assert_eq!(result(to_work, R::DvbIbnKernbezetting), 55);
    assert_eq!(result(other, R::OpEigenVerzoek), 14);
    assert_eq!(result(other, R::NietPassend), 26);
    assert_eq!(result(other, R::Verhuisd), 3);

    // The development KPI: results per uitstroomprofiel at the start.
    let with_profile = results.iter().filter(|r| r.3 == pb::Uitstroomprofiel::MetUitstroomprofielRegulier).count() as i64;
    let kpi = figures
        .by_uitstroomprofiel
        .iter()
        .find(|p| p.uitstroomprofiel_at_start == pb::Uitstroomprofiel::MetUitstroomprofielRegulier as i32)
        .unwrap();
    assert_eq!(kpi.completed, with_profile);

    // The one still open since 2021-03-01 is past its 23 months today.
    let past = employment
        .list_trajectories(pb::ListTrajectoriesRequest { past_maximum_on: date("2023-02-01"), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .trajectories;
    assert_eq!(past.iter().map(|t| t.hr_contract_id.as_str()).collect::<Vec<_>>(), ["T-122"]);
}

#[tokio::test]
async fn malformed_contracts_are_rejected_one_by_one() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 3, "GM0828").await;
    let good = contract("OK-1", 1, pb::ContractKind::Wsw, "2022-01-01", None, "36", None);
    let unknown = contract("BAD-1", 99, pb::ContractKind::Wsw, "2022-01-01", None, "36", None);
    let backwards = contract("BAD-2", 2, pb::ContractKind::Wsw, "2022-05-01", Some("2022-04-30"), "36", None);
    let no_hours = contract("BAD-3", 2, pb::ContractKind::Wsw, "2022-05-01", None, "0", None);
    let too_many = contract("BAD-4", 2, pb::ContractKind::Wsw, "2022-05-01", None, "41", None);
    let unclassified = contract("BAD-5", 3, pb::ContractKind::Pw, "2022-05-01", None, "20", None);
    let good_pw = contract("OK-2", 3, pb::ContractKind::Pw, "2022-05-01", None, "20", pw(pb::Doelgroep::NieuwBeschut, pb::Uitstroomprofiel::NietBekend));
    let batch = vec![good, unknown, backwards, no_hours, too_many, unclassified, good_pw];
    let answer = suite.hr().await.push(&batch, 100).await.remove(0);
    let outcome: Vec<(&str, i32, &str)> = answer.results.iter().map(|r| (r.hr_contract_id.as_str(), r.outcome, r.field.as_str())).collect();
    let rejected = pb::ContractOutcome::Rejected as i32;
    let created = pb::ContractOutcome::Created as i32;
    assert_eq!(
        outcome,
        [
            ("OK-1", created, ""),
            ("BAD-1", rejected, "bsn"),
            ("BAD-2", rejected, "end_date"),
            ("BAD-3", rejected, "hours_per_week"),
            ("BAD-4", rejected, "hours_per_week"),
            ("BAD-5", rejected, "pw"),
            ("OK-2", created, ""),
        ]
    );
    assert!(answer.results[1].reason.contains("no candidate"), "{}", answer.results[1].reason);
    let mut employment = suite.employment().await;
    let stored = employment.list_contracts(pb::ListContractsRequest::default()).await.unwrap().into_inner().contracts;
    let ids: Vec<&str> = stored.iter().map(|c| c.hr_contract_id.as_str()).collect();
    assert_eq!(ids, ["OK-1", "OK-2"], "nothing of a rejected contract remains");
}

#[tokio::test]
async fn a_changed_contract_keeps_its_earlier_version() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 1, "GM0828").await;
    let mut hr = suite.hr().await;
    let first = contract("C-1", 1, pb::ContractKind::Pw, "2022-01-01", None, "20", pw(pb::Doelgroep::NieuwBeschut, pb::Uitstroomprofiel::NietBekend));
    let mut second = first.clone();
    second.end_date = date("2022-12-31");
    second.hours_per_week = decimal("24");
    let outcomes: Vec<i32> = hr.push(&[first, second.clone()], 10).await[0].results.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [pb::ContractOutcome::Created as i32, pb::ContractOutcome::Updated as i32]);
    let mut employment = suite.employment().await;
    let stored = employment.get_contract(pb::GetContractRequest { hr_contract_id: "C-1".into() }).await.unwrap().into_inner();
    assert_eq!((stored.version, stored.hours_per_week.unwrap().value.as_str()), (2, "24"));
    assert_eq!(stored.earlier_versions.len(), 1);
    assert_eq!(stored.earlier_versions[0].contract.as_ref().unwrap().hours_per_week.as_ref().unwrap().value, "20");
    // As of a date after the new end date, the person no longer counts.
    let h = employment
        .get_headcount_figures(pb::GetHeadcountFiguresRequest { scope: partnership_scope(), on: date("2023-01-01"), period: period("2022-01-01", "2022-12-31") })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((h.pw_persons, h.pw_inflow, h.pw_outflow), (0, 1, 1));

    // Pushed again, the stored one unchanged, then a change twice in one
    // push: compared with what is stored, then with the push's own change.
    let mut third = second.clone();
    third.hours_per_week = decimal("28");
    let outcomes: Vec<i32> = hr.push(&[second.clone(), third.clone(), third], 10).await[0].results.iter().map(|r| r.outcome).collect();
    use pb::ContractOutcome::{Unchanged, Updated};
    assert_eq!(outcomes, [Unchanged as i32, Updated as i32, Unchanged as i32]);
    let again: Vec<i32> = hr.push(&[second], 10).await[0].results.iter().map(|r| r.outcome).collect();
    assert_eq!(again, [Updated as i32], "back to 24 hours is a change too");
    let stored = employment.get_contract(pb::GetContractRequest { hr_contract_id: "C-1".into() }).await.unwrap().into_inner();
    assert_eq!((stored.version, stored.hours_per_week.unwrap().value.as_str(), stored.earlier_versions.len()), (4, "24", 3));
}

#[tokio::test]
async fn pushes_under_way_at_once_store_each_contract_once() {
    // Three pushes at once, two of them the same 300 contracts and the
    // third overlapping both: every contract is created by exactly one of
    // them, and each person gets one trajectory, whichever push came first.
    // (Each push plans against the store as it read it; one that meets a
    // contract or a trajectory another push stored in between is answered
    // ABORTED, stores nothing, and is sent again.)
    let suite = spawn_suite_with(|config| config.employment.deliver_outbox = false).await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 450, "GM0828").await;
    let of = |n: u32| contract(&format!("HR-{n:03}"), n, pb::ContractKind::Pw, "2022-01-01", None, "32", pw(pb::Doelgroep::NieuwRegulier, pb::Uitstroomprofiel::NietBekend));
    let mut contracts: Vec<pb::ContractInput> = (1..=300).map(of).collect();
    contracts.extend((1..=300).map(of));
    contracts.extend((151..=450).map(of));
    let answers = suite.hr().await.push_in_flight(&contracts, 300, 3).await;
    let total = |f: fn(&pb::PushContractsResponse) -> i32| answers.iter().map(f).sum::<i32>();
    assert_eq!((total(|a| a.created), total(|a| a.unchanged), total(|a| a.updated), total(|a| a.rejected)), (450, 450, 0, 0));
    let mut employment = suite.employment().await;
    let mut open = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = employment
            .list_trajectories(pb::ListTrajectoriesRequest { page_size: 1000, page_token, open_only: true, ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        open.extend(page.trajectories.into_iter().map(|t| t.candidate_id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let persons: HashSet<&String> = open.iter().collect();
    assert_eq!((open.len(), persons.len()), (450, 450), "one open trajectory for each of the 450 persons");
}

#[tokio::test]
async fn a_stream_of_batches_is_stored_in_order_and_each_batch_audited() {
    // HR streams six batches. The first creates ten contracts; each of the
    // next four changes S-01 again (and repeats S-02, creates one more):
    // a batch is planned while the one before it is written, so these
    // plans may meet a version written after they read — they must then be
    // planned again, never stored stale or answered ABORTED. The last
    // batch holds only an unknown person.
    let suite = spawn_suite_with(|config| config.employment.deliver_outbox = false).await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 20, "GM0828").await;
    let persons = candidate_ids(&mut intake, 1, 20).await;
    let of = |n: u32, hours: u32| {
        let profile = pw(pb::Doelgroep::NieuwRegulier, pb::Uitstroomprofiel::NietBekend);
        contract(&format!("S-{n:02}"), n, pb::ContractKind::Pw, "2022-01-01", None, &hours.to_string(), profile)
    };
    let batch = |contracts: Vec<pb::ContractInput>| pb::PushContractsRequest { contracts };
    let mut batches = vec![batch((1..=10).map(|n| of(n, 20)).collect())];
    batches.extend((1..=4).map(|k| batch(vec![of(1, 20 + k), of(10 + k, 20), of(2, 20)])));
    batches.push(batch(vec![contract("S-99", 99, pb::ContractKind::Wsw, "2022-01-01", None, "36", None)]));
    let (answers, ended) = suite.hr().await.push_batches(batches).await;
    assert!(ended.is_none(), "the stream ends when HR stops sending: {ended:?}");
    let totals: Vec<[i32; 4]> = answers.iter().map(|a| [a.created, a.updated, a.unchanged, a.rejected]).collect();
    assert_eq!(totals, [[10, 0, 0, 0], [1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 1]], "one answer per batch, in order");
    assert_eq!(answers[5].results[0].field, "bsn");

    let mut employment = suite.employment().await;
    let s01 = employment.get_contract(pb::GetContractRequest { hr_contract_id: "S-01".into() }).await.unwrap().into_inner();
    assert_eq!((s01.version, s01.hours_per_week.unwrap().value.as_str(), s01.earlier_versions.len()), (5, "24", 4), "each change once, in order");
    let stored = employment.list_contracts(pb::ListContractsRequest { page_size: 100, ..Default::default() }).await.unwrap().into_inner().contracts;
    assert_eq!(stored.len(), 14);
    let open = employment
        .list_trajectories(pb::ListTrajectoriesRequest { page_size: 100, open_only: true, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .trajectories;
    assert_eq!(open.len(), 14, "one trajectory per new PW dienstverband");

    // One record per batch, naming that batch's persons only.
    let mut log = partnership_proto::audit::audit_log_service_client::AuditLogServiceClient::new(suite.admin_channel(Service::Employment).await);
    let records = log.list_audit_records(partnership_proto::audit::ListAuditRecordsRequest::default()).await.unwrap().into_inner().records;
    let mut named: Vec<Vec<String>> = records
        .iter()
        .filter(|r| r.operation.ends_with("/PushContractBatches"))
        .map(|r| {
            assert_eq!(r.status_code, 0);
            let mut ids = r.data_subject_ids.clone();
            ids.sort();
            ids
        })
        .collect();
    named.sort_by_key(|ids| (ids.len(), ids.clone()));
    let sorted = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };
    let mut expected: Vec<Vec<String>> = vec![Vec::new(), sorted(persons[..10].to_vec())];
    expected.extend((1..=4).map(|k| sorted(vec![persons[0].clone(), persons[1].clone(), persons[9 + k].clone()])));
    expected.sort_by_key(|ids| (ids.len(), ids.clone()));
    assert_eq!(named, expected);
}

#[tokio::test]
async fn a_bad_batch_ends_the_stream_and_keeps_the_batches_answered_before_it() {
    let suite = spawn_suite_with(|config| config.employment.deliver_outbox = false).await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 3, "GM0828").await;
    let wsw = |id: &str, n: u32| contract(id, n, pb::ContractKind::Wsw, "2022-01-01", None, "36", None);
    let too_many: Vec<pb::ContractInput> = (0..10_001).map(|n| wsw(&format!("X-{n}"), 1)).collect();
    let batches = vec![
        pb::PushContractsRequest { contracts: vec![wsw("A-1", 1)] },
        pb::PushContractsRequest { contracts: too_many },
        pb::PushContractsRequest { contracts: vec![wsw("A-3", 3)] },
    ];
    let (answers, ended) = suite.hr().await.push_batches(batches).await;
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].created, 1);
    let status = ended.expect("the oversized batch ends the stream");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["contracts"]);
    let mut employment = suite.employment().await;
    let stored = employment.list_contracts(pb::ListContractsRequest::default()).await.unwrap().into_inner().contracts;
    let ids: Vec<&str> = stored.iter().map(|c| c.hr_contract_id.as_str()).collect();
    assert_eq!(ids, ["A-1"], "nothing of the bad batch, nor of the batch after it");
    let mut log = partnership_proto::audit::audit_log_service_client::AuditLogServiceClient::new(suite.admin_channel(Service::Employment).await);
    let records = log.list_audit_records(partnership_proto::audit::ListAuditRecordsRequest::default()).await.unwrap().into_inner().records;
    let mut codes: Vec<i32> = records.iter().filter(|r| r.operation.ends_with("/PushContractBatches")).map(|r| r.status_code).collect();
    codes.sort();
    assert_eq!(codes, [0, tonic::Code::InvalidArgument as i32], "the answered batch and the refused one");
}

/// The DVB_IBN entries in a registration's effective history.
async fn dvb_ibn_entries(intake: &mut ipb::intake_service_client::IntakeServiceClient<partnership_e2e::Authed>, id: &str) -> Vec<ipb::StatusEntry> {
    let registration = intake.get_registration(ipb::GetRegistrationRequest { id: id.to_owned() }).await.unwrap().into_inner();
    registration
        .history
        .into_iter()
        .filter(|e| e.status == Status::DvbIbn as i32 && e.superseded_by_sequence == 0)
        .collect()
}

#[tokio::test]
async fn the_outbox_delivers_dvb_ibn_exactly_once_after_intake_was_down() {
    // Delivery paused at first, so the messages are certainly still in the
    // outbox when intake goes down.
    let mut suite = spawn_suite_with(|config| config.employment.deliver_outbox = false).await;
    let mut oss = suite.municipality("GM0828").await;
    let mut registrations = Vec::new();
    for n in 1..=5 {
        let candidate = oss.register_candidate(n, "1998-03-01").await;
        let id = oss.register(&candidate, "GM0828", "2022-01-10").await;
        if n % 2 == 0 {
            oss.move_to(&id, Status::Voortraject, "2022-02-01", None).await.unwrap();
        }
        registrations.push(id);
    }
    let contracts: Vec<pb::ContractInput> = (1..=5)
        .map(|n| contract(&format!("PW-{n}"), n, pb::ContractKind::Pw, "2022-04-01", None, "32", pw(pb::Doelgroep::NieuwRegulier, pb::Uitstroomprofiel::NietBekend)))
        .collect();
    let mut hr = suite.hr().await;
    assert_eq!(hr.push(&contracts, 10).await[0].created, 5);
    let mut intake = suite.intake().await;
    for id in &registrations {
        assert!(dvb_ibn_entries(&mut intake, id).await.is_empty(), "delivery is paused: still in the outbox");
    }

    suite.suite.stop_service(Service::Intake).await.unwrap();
    suite.suite.stop_service(Service::Employment).await.unwrap();
    suite.suite.config_mut().employment.deliver_outbox = true;
    suite.suite.start_service(Service::Employment).await.unwrap();
    // Employment now tries, and fails, to reach intake; give it a few rounds.
    tokio::time::sleep(Duration::from_millis(500)).await;
    suite.suite.start_service(Service::Intake).await.unwrap();

    let mut intake = suite.intake().await;
    for id in &registrations {
        let mut waited = Duration::ZERO;
        while dvb_ibn_entries(&mut intake, id).await.is_empty() {
            assert!(waited < Duration::from_secs(60), "registration {id} never got DVB_IBN");
            tokio::time::sleep(Duration::from_millis(100)).await;
            waited += Duration::from_millis(100);
        }
    }
    // The same contracts pushed again, and employment restarted: still once.
    let mut hr = suite.hr().await;
    assert_eq!(hr.push(&contracts, 10).await[0].unchanged, 5);
    suite.suite.stop_service(Service::Employment).await.unwrap();
    suite.suite.start_service(Service::Employment).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for id in &registrations {
        let entries = dvb_ibn_entries(&mut intake, id).await;
        assert_eq!(entries.len(), 1, "exactly once for {id}");
        assert_eq!(entries[0].effective_date, date("2022-04-01"), "as of the contract's start");
    }
}

#[tokio::test]
async fn development_is_recorded_over_time_and_shows_in_the_figures() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 3, "GM0828").await;
    let mut forfaitair = pw(pb::Doelgroep::NieuwBeschut, pb::Uitstroomprofiel::Forfaitair);
    forfaitair.as_mut().unwrap().loonwaarde = None;
    let contracts = vec![
        contract("F-1", 1, pb::ContractKind::Pw, "2024-01-15", Some("2024-07-14"), "20", forfaitair),
        contract("F-2", 2, pb::ContractKind::Pw, "2024-01-15", Some("2024-07-14"), "31", forfaitair),
        contract("M-3", 3, pb::ContractKind::Pw, "2024-01-15", None, "20", pw(pb::Doelgroep::NieuwBeschut, pb::Uitstroomprofiel::NietBekend)),
    ];
    suite.hr().await.push(&contracts, 10).await;
    let mut employment = suite.employment().await;
    let record = |id: &str, when: &str, change: pb::development_event::Change, request: &str| pb::RecordDevelopmentRequest {
        request_id: request.into(),
        event: Some(pb::DevelopmentEvent { hr_contract_id: id.into(), effective_date: date(when), change: Some(change) }),
    };
    use pb::development_event::Change;
    // F-1 is measured in time; F-2 never is.
    employment.record_development(record("F-1", "2024-03-01", Change::LoonwaardePercent(decimal("35").unwrap()), "m-1")).await.unwrap();
    employment.record_development(record("F-1", "2024-03-01", Change::LoonwaardePercent(decimal("35").unwrap()), "m-1")).await.unwrap();
    employment.record_development(record("M-3", "2024-05-01", Change::WerkladderStep(pb::WerkladderStep::ZelfstandigWerkenOpLocatie as i32), "s-1")).await.unwrap();
    let before_start = employment
        .record_development(record("M-3", "2023-12-31", Change::WerkladderStep(pb::WerkladderStep::WerkenOpLocatie as i32), "s-2"))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&before_start), ["event.effective_date"]);

    let overdue = |as_of: &str| pb::ListForfaitairOverdueRequest { as_of: date(as_of), municipality_codes: vec![] };
    let on_deadline = employment.list_forfaitair_overdue(overdue("2024-04-14")).await.unwrap().into_inner();
    assert!(on_deadline.contracts.is_empty(), "due by the end of the third month, not before");
    let after = employment.list_forfaitair_overdue(overdue("2024-04-15")).await.unwrap().into_inner();
    assert_eq!(after.contracts.iter().map(|c| c.hr_contract_id.as_str()).collect::<Vec<_>>(), ["F-2"]);
    assert_eq!(after.contracts[0].deadline, date("2024-04-14"));

    let beschut = |on: &str| pb::GetBeschutFiguresRequest { scope: partnership(), on: date(on) };
    let april = employment.get_beschut_figures(beschut("2024-04-30")).await.unwrap().into_inner();
    let may = employment.get_beschut_figures(beschut("2024-05-31")).await.unwrap().into_inner();
    let step = |f: &pb::BeschutFigures, s: pb::WerkladderStep| f.by_step.iter().find(|x| x.step == s as i32).unwrap().persons;
    assert_eq!(step(&april, pb::WerkladderStep::WerkenBinnenIbn), 3);
    assert_eq!(step(&may, pb::WerkladderStep::WerkenBinnenIbn), 2);
    assert_eq!(step(&may, pb::WerkladderStep::ZelfstandigWerkenOpLocatie), 1);
    assert_eq!((may.hours_per_week.clone().unwrap().value.as_str(), may.fte.clone().unwrap().value.as_str()), ("71", "2.290323"));
    let after_end = employment.get_beschut_figures(beschut("2024-07-15")).await.unwrap().into_inner();
    assert_eq!((after_end.persons, after_end.fte.unwrap().value.as_str()), (1, "0.645161"), "20 hours is 20/31 fte");

    // The beschut service asks about the persons it knows, and learns of nobody else.
    let ids = candidate_ids(&mut intake, 1, 3).await;
    let ask = |candidate_ids: Vec<String>| pb::ListBeschutEmployeesRequest { on: date("2024-05-31"), candidate_ids, ..Default::default() };
    let everyone = employment.list_beschut_employees(ask(vec![])).await.unwrap().into_inner().employees;
    assert_eq!(everyone.len(), 3);
    let asked = employment.list_beschut_employees(ask(vec![ids[2].clone(), "unknown".into()])).await.unwrap().into_inner().employees;
    assert_eq!(asked.iter().map(|e| e.candidate_id.as_str()).collect::<Vec<_>>(), [ids[2].as_str()]);
    assert_eq!(asked[0].step, pb::WerkladderStep::ZelfstandigWerkenOpLocatie as i32, "M-3's step on the day");

    // Several dates in one call (a report's quarter end and year ends):
    // each person listed for every date they work, logged once for the call.
    let dates = ["2024-04-30", "2024-05-31", "2024-07-15"];
    let several = pb::ListBeschutEmployeesRequest { on: date(dates[0]), dates: vec![date(dates[1]).unwrap(), date(dates[2]).unwrap()], ..Default::default() };
    let listed = employment.list_beschut_employees(several).await.unwrap().into_inner().employees;
    let mut log = partnership_proto::audit::audit_log_service_client::AuditLogServiceClient::new(suite.admin_channel(Service::Employment).await);
    let records = log.list_audit_records(partnership_proto::audit::ListAuditRecordsRequest::default()).await.unwrap().into_inner().records;
    let record = records.iter().find(|r| r.operation.ends_with("/ListBeschutEmployees")).expect("the call is logged");
    let mut everyone_ids = ids.clone();
    everyone_ids.sort();
    assert_eq!(record.data_subject_ids, everyone_ids, "each person once, though listed on several dates");
    let on = |d: &str| listed.iter().filter(|e| e.on == date(d)).map(|e| (e.candidate_id.clone(), e.step)).collect::<Vec<_>>();
    assert_eq!(dates.map(|d| on(d).len()), [3, 3, 1], "F-1 and F-2 ended on 2024-07-14");
    assert_eq!(listed.len(), 7, "every entry is about one of the dates");
    for d in dates {
        let single = employment.list_beschut_employees(pb::ListBeschutEmployeesRequest { on: date(d), ..Default::default() }).await.unwrap().into_inner().employees;
        assert_eq!(on(d), single.iter().map(|e| (e.candidate_id.clone(), e.step)).collect::<Vec<_>>(), "as asked alone on {d}");
    }
    let m3 = |d: &str| on(d).into_iter().find(|(id, _)| *id == ids[2]).unwrap().1;
    assert_eq!((m3("2024-04-30"), m3("2024-05-31")), (pb::WerkladderStep::WerkenBinnenIbn as i32, pb::WerkladderStep::ZelfstandigWerkenOpLocatie as i32));
    let refused = |request: pb::ListBeschutEmployeesRequest| {
        let mut employment = employment.clone();
        async move { bad_fields(&employment.list_beschut_employees(request).await.unwrap_err()) }
    };
    assert_eq!(refused(pb::ListBeschutEmployeesRequest::default()).await, ["on"]);
    let thirteen = vec![date("2024-01-31").unwrap(); 13];
    assert_eq!(refused(pb::ListBeschutEmployeesRequest { dates: thirteen, ..Default::default() }).await, ["dates"]);
    let not_a_day = partnership_proto::google::r#type::Date { year: 2024, month: 2, day: 30 };
    assert_eq!(refused(pb::ListBeschutEmployeesRequest { dates: vec![date("2024-01-31").unwrap(), not_a_day], ..Default::default() }).await, ["dates[1]"]);

    // What the beschut service counts its persons with: per group and date,
    // the persons employed beschut per step, and the scope's fte.
    let groups = |on: &str, groups: Vec<Vec<String>>| pb::BeschutGroupsOn {
        on: date(on),
        groups: groups.into_iter().map(|candidate_ids| pb::CandidateGroup { candidate_ids, ..Default::default() }).collect(),
    };
    let all_and_unknown = vec![ids[0].clone(), ids[1].clone(), ids[2].clone(), "unknown".into()];
    let counted = employment
        .count_beschut_employees(pb::CountBeschutEmployeesRequest {
            scope: partnership(),
            dates: vec![groups("2024-04-30", vec![all_and_unknown.clone(), vec![ids[2].clone()]]), groups("2024-07-15", vec![all_and_unknown, vec![]])],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .dates;
    let persons = |c: &pb::BeschutGroupCount| c.by_step.iter().map(|s| (s.step, s.persons)).filter(|&(_, n)| n > 0).collect::<Vec<_>>();
    let (binnen, zelfstandig) = (pb::WerkladderStep::WerkenBinnenIbn as i32, pb::WerkladderStep::ZelfstandigWerkenOpLocatie as i32);
    assert_eq!(counted.iter().map(|d| d.on).collect::<Vec<_>>(), [date("2024-04-30"), date("2024-07-15")]);
    assert_eq!(counted[0].groups.iter().map(persons).collect::<Vec<_>>(), [vec![(binnen, 3)], vec![(binnen, 1)]]);
    assert_eq!(counted[1].groups.iter().map(persons).collect::<Vec<_>>(), [vec![(zelfstandig, 1)], vec![]], "F-1 and F-2 ended");
    assert_eq!(counted[0].groups[0].by_step.len(), 5, "every step, zeros included");
    // The same persons named once, by place for every date (as the beschut
    // service asks), the ways mixed: the same counts; a person at two
    // places, or named both ways, counts once.
    let by_place = |on: &str, groups: Vec<(Vec<u32>, Vec<String>)>| pb::BeschutGroupsOn {
        on: date(on),
        groups: groups.into_iter().map(|(named, candidate_ids)| pb::CandidateGroup { candidate_ids, named }).collect(),
    };
    let named = vec![ids[0].clone(), ids[1].clone(), ids[2].clone(), "unknown".into(), ids[0].clone()];
    let placed = employment
        .count_beschut_employees(pb::CountBeschutEmployeesRequest {
            scope: partnership(),
            dates: vec![
                by_place("2024-04-30", vec![(vec![0, 1, 3, 4], vec![ids[2].clone(), ids[1].clone()]), (vec![2], vec![])]),
                by_place("2024-07-15", vec![(vec![0, 1, 2, 3], vec![]), (vec![], vec![])]),
            ],
            named,
        })
        .await
        .unwrap()
        .into_inner()
        .dates;
    assert_eq!(placed, counted, "by place as by id");
    assert_eq!(counted[1].fte.as_ref().unwrap().value, "0.645161", "as GetBeschutFigures: 20/31");
    let fte_of = |scope, on: &str| {
        let mut employment = employment.clone();
        let ask = pb::CountBeschutEmployeesRequest { scope, dates: vec![groups(on, vec![vec![ids[0].clone()]])], ..Default::default() };
        async move { employment.count_beschut_employees(ask).await.unwrap().into_inner().dates[0].fte.clone().unwrap().value }
    };
    assert_eq!(fte_of(municipality("GM0828"), "2024-05-31").await, "2.290323", "the scope's fte, not the group's");
    assert_eq!(fte_of(municipality("GM1721"), "2024-05-31").await, "0", "nobody paid by Uden");
    let refused = |request: pb::CountBeschutEmployeesRequest| {
        let mut employment = employment.clone();
        async move { bad_fields(&employment.count_beschut_employees(request).await.unwrap_err()) }
    };
    assert_eq!(refused(pb::CountBeschutEmployeesRequest::default()).await, ["scope", "dates"]);
    let no_day = pb::BeschutGroupsOn { on: None, groups: vec![] };
    let empty_id = groups("2024-04-30", vec![vec![ids[0].clone()], vec![ids[1].clone(), " ".into()]]);
    assert_eq!(refused(pb::CountBeschutEmployeesRequest { scope: partnership(), dates: vec![empty_id, no_day], ..Default::default() }).await, ["dates[0].groups[1].candidate_ids[1]", "dates[1].on"]);
    let beyond = by_place("2024-04-30", vec![(vec![0, 2], vec![])]);
    let named = vec![" ".to_owned(), ids[1].clone()];
    assert_eq!(refused(pb::CountBeschutEmployeesRequest { scope: partnership(), dates: vec![beyond], named }).await, ["named[0]", "dates[0].groups[0].named[1]"]);
    let thirteen = vec![groups("2024-04-30", vec![]); 13];
    assert_eq!(refused(pb::CountBeschutEmployeesRequest { scope: partnership(), dates: thirteen, ..Default::default() }).await, ["dates"]);

    // What finance reads for LKS: PW contracts of a municipality in a quarter, with measurements.
    let listed = employment
        .list_contracts(pb::ListContractsRequest {
            kind: pb::ContractKind::Pw as i32,
            municipality_codes: vec!["GM0828".into()],
            active_from: date("2024-01-01"),
            active_to: date("2024-03-31"),
            page_size: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.contracts.len(), 2);
    assert_eq!(listed.contracts[0].loonwaarde_measurements.len(), 1, "measured once, though recorded twice");
    let rest = employment
        .list_contracts(pb::ListContractsRequest { page_token: listed.next_page_token, kind: pb::ContractKind::Pw as i32, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.contracts.iter().map(|c| c.hr_contract_id.as_str()).collect::<Vec<_>>(), ["M-3"]);

    for (kind, n) in [(pb::ActivityKind::Arbeidsonderzoek, 2), (pb::ActivityKind::Jobcoaching, 1)] {
        for k in 0..n {
            let request = pb::RecordActivityRequest {
                request_id: format!("{kind:?}-{k}"),
                kind: kind as i32,
                candidate_id: String::new(),
                municipality_code: "GM0828".into(),
                date: date("2024-02-01"),
            };
            employment.record_activity(request.clone()).await.unwrap();
            employment.record_activity(request).await.unwrap();
        }
    }
    let unknown = employment
        .record_activity(pb::RecordActivityRequest { kind: pb::ActivityKind::Jobcoaching as i32, municipality_code: "GM9999".into(), date: date("2024-02-01"), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&unknown), ["municipality_code"]);
    let activities = employment
        .get_activity_figures(pb::GetActivityFiguresRequest { scope: area("OSS"), period: period("2024-01-01", "2024-03-31") })
        .await
        .unwrap()
        .into_inner();
    let count = |k: pb::ActivityKind| activities.counts.iter().find(|c| c.kind == k as i32).unwrap().count;
    assert_eq!((count(pb::ActivityKind::Arbeidsonderzoek), count(pb::ActivityKind::Jobcoaching), count(pb::ActivityKind::TrainingMaatwerk)), (2, 1, 0));
}

/// What finance reads for its LKS figures: PW contracts grouped by their
/// LKS facts, dates cut to the period, no person or contract id; measured
/// contracts carry their measurements; bad requests name the field.
#[tokio::test]
async fn lks_contract_groups_count_contracts_with_the_same_facts_in_the_period() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 8, "GM0828").await;
    let regulier = pw(pb::Doelgroep::NieuwRegulier, pb::Uitstroomprofiel::NietBekend);
    let mut elsewhere = contract("G-6", 6, pb::ContractKind::Pw, "2023-06-01", None, "36", regulier);
    elsewhere.pw.as_mut().unwrap().paying_municipality_code = "GM1721".into();
    let contracts = vec![
        // G-1..G-3 differ only outside Q1 2024: one group of three.
        contract("G-1", 1, pb::ContractKind::Pw, "2023-06-01", None, "36", regulier),
        contract("G-2", 2, pb::ContractKind::Pw, "2022-01-01", None, "36", regulier),
        contract("G-3", 3, pb::ContractKind::Pw, "2023-11-01", Some("2024-12-31"), "36", regulier),
        contract("G-4", 4, pb::ContractKind::Pw, "2024-02-10", None, "36", regulier),
        contract("G-5", 5, pb::ContractKind::Pw, "2023-06-01", None, "36", regulier),
        elsewhere,
        contract("G-7", 7, pb::ContractKind::Pw, "2022-01-01", Some("2023-12-31"), "36", regulier),
        contract("W-8", 8, pb::ContractKind::Wsw, "2022-01-01", None, "36", None),
    ];
    suite.hr().await.push(&contracts, 10).await;
    let mut employment = suite.employment().await;
    let change = pb::development_event::Change::LoonwaardePercent(decimal("55").unwrap());
    let event = pb::DevelopmentEvent { hr_contract_id: "G-5".into(), effective_date: date("2024-03-01"), change: Some(change) };
    employment.record_development(pb::RecordDevelopmentRequest { request_id: "m-5".into(), event: Some(event) }).await.unwrap();
    // Measured twice: still one contract, out of the group it shares facts with.
    let change = pb::development_event::Change::LoonwaardePercent(decimal("60").unwrap());
    let event = pb::DevelopmentEvent { hr_contract_id: "G-5".into(), effective_date: date("2024-03-20"), change: Some(change) };
    employment.record_development(pb::RecordDevelopmentRequest { request_id: "m-5b".into(), event: Some(event) }).await.unwrap();

    let ask = |codes: &[&str], p: Option<pb::Period>| pb::GetLksContractGroupsRequest {
        municipality_codes: codes.iter().map(|c| c.to_string()).collect(),
        period: p,
    };
    let groups = employment
        .get_lks_contract_groups(ask(&["GM0828"], period("2024-01-01", "2024-03-31")))
        .await
        .unwrap()
        .into_inner()
        .groups;
    let seen: Vec<(&str, &str, i64, usize)> = groups
        .iter()
        .map(|g| {
            let first = g.first_day.as_ref().unwrap();
            let day = |d: &partnership_proto::google::r#type::Date| if d.month == 2 { "02-10" } else { "01-01" };
            assert_eq!(g.paying_municipality_code, "GM0828");
            assert_eq!(g.last_day, date("2024-03-31"), "cut to the period's end");
            assert_eq!(g.hours_per_week.as_ref().unwrap().value, "36");
            (day(first), g.loonwaarde_measurements.first().map_or("", |m| m.measured_percent.as_ref().unwrap().value.as_str()), g.contracts, g.loonwaarde_measurements.len())
        })
        .collect();
    let mut seen = seen;
    seen.sort();
    assert_eq!(seen, [("01-01", "", 3, 0), ("01-01", "55", 1, 2), ("02-10", "", 1, 0)]);

    // The whole partnership: the same groups for GM0828, and GM1721's
    // contract in a group of its own.
    let resolved = intake.resolve_scope(ipb::ResolveScopeRequest { scope: partnership_scope() }).await.unwrap().into_inner();
    let every: Vec<&str> = resolved.municipality_codes.iter().map(String::as_str).collect();
    assert!(every.contains(&"GM1721") && every.len() > 2, "{every:?}");
    let all = employment.get_lks_contract_groups(ask(&every, period("2024-01-01", "2024-03-31"))).await.unwrap().into_inner().groups;
    let (here, there): (Vec<_>, Vec<_>) = all.into_iter().partition(|g| g.paying_municipality_code == "GM0828");
    assert_eq!(here, groups, "the same groups, in the same order");
    assert_eq!(there.iter().map(|g| (g.paying_municipality_code.as_str(), g.contracts)).collect::<Vec<_>>(), [("GM1721", 1)]);

    let empty = employment.get_lks_contract_groups(ask(&[], period("2024-01-01", "2024-03-31"))).await.unwrap_err();
    assert_eq!(empty.code(), tonic::Code::InvalidArgument);
    assert_eq!(bad_fields(&empty), ["municipality_codes"]);
    let backwards = employment.get_lks_contract_groups(ask(&["GM0828"], period("2024-03-31", "2024-01-01"))).await.unwrap_err();
    assert_eq!(bad_fields(&backwards), ["period.last_day"]);
}

#[tokio::test]
async fn a_scope_resolved_once_is_kept_so_its_figures_answer_while_intake_is_down() {
    // Every figure of a municipality starts from the codes intake gives
    // for its scope (its merger history, reference data). Employment keeps
    // them: a report asks it for seven figures of the same scope.
    let mut suite = spawn_suite_with(|config| config.employment.deliver_outbox = false).await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 2, "GM0828").await;
    let pushed = suite.hr().await.push(&[contract("PW-1", 1, pb::ContractKind::Pw, "2022-01-01", None, "32", pw(pb::Doelgroep::NieuwRegulier, pb::Uitstroomprofiel::NietBekend))], 10).await;
    assert_eq!(pushed[0].created, 1);
    let mut employment = suite.employment().await;
    let headcount = |code: &str| pb::GetHeadcountFiguresRequest { scope: municipality(code), on: date("2022-12-31"), period: period("2022-01-01", "2022-12-31") };
    let before = employment.get_headcount_figures(headcount("GM0828")).await.unwrap().into_inner();
    assert_eq!(before.pw_persons, 1);

    suite.suite.stop_service(Service::Intake).await.unwrap();
    let kept = employment.get_headcount_figures(headcount("GM0828")).await.expect("answered from the kept scope").into_inner();
    assert_eq!(kept, before);
    // A scope not asked before needs intake, which is down.
    let unknown = employment.get_headcount_figures(headcount("GM1721")).await.unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::Unavailable, "{unknown:?}");
}

/// The test's own view of one person's contract and trajectory, for the
/// figures kept on write.
#[derive(Clone)]
struct Followed {
    person: u32,
    kind: pb::ContractKind,
    start: NaiveDate,
    end: Option<NaiveDate>,
    municipality: &'static str,
    pw: Option<Pw>,
    completion: Option<(NaiveDate, pb::TrajectoryResult)>,
}

impl Followed {
    fn input(&self, id: &str) -> pb::ContractInput {
        let end = self.end.map(|e| e.to_string());
        let mut input = contract(id, self.person, self.kind, &self.start.to_string(), end.as_deref(), "24", self.pw);
        match &mut input.pw {
            Some(pw) => pw.paying_municipality_code = self.municipality.into(),
            None => input.municipality_code = self.municipality.into(),
        }
        input
    }
}

#[tokio::test]
async fn the_figures_kept_on_write_follow_the_contracts_as_hr_changes_them() {
    use pb::TrajectoryResult as R;
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    let persons = 300;
    import_candidates(&mut intake, 1, persons, "GM0828").await;
    let municipalities = ["GM0828", "GM1721", "GM1948", "GM0856", "GM1991"];
    let area_of = |code: &str| match code {
        "GM0828" => "OSS",
        "GM1721" | "GM1948" => "MEIERIJSTAD_BERNHEZE_BOEKEL",
        _ => "MAASHORST",
    };
    let doelgroepen = [pb::Doelgroep::NieuwRegulier, pb::Doelgroep::NieuwBeschut, pb::Doelgroep::RegulierVraaggestuurd];
    let profielen = [pb::Uitstroomprofiel::MetUitstroomprofielRegulier, pb::Uitstroomprofiel::NietBekend, pb::Uitstroomprofiel::Forfaitair];
    let results = [R::Opleiding, R::DvbReguliereWerkgever, R::DvbIbnKernbezetting, R::OpEigenVerzoek, R::NietPassend, R::Verhuisd];
    let mut rng = Rng::new(1994);
    let classification = |rng: &mut Rng| Pw {
        soort: pb::SoortPlaatsing::Aanbodgestuurd,
        doelgroep: rng.pick(&doelgroepen),
        profiel: rng.pick(&profielen),
        loonwaarde: rng.pick(&[None, Some(25), Some(45), Some(65), Some(90)]),
        step: pb::WerkladderStep::WerkenBinnenIbn,
    };
    // One PW contract per person ("K-"): each starts one trajectory. A
    // third get a second contract ("L-", no trajectory: the first is open
    // when it arrives): a renewal the next day, an overlapping one, or one
    // after a gap; PW in another municipality or WSW.
    let mut own: BTreeMap<String, Followed> = BTreeMap::new();
    for person in 1..=persons {
        let start = d("2021-06-01") + chrono::Duration::days(rng.below(900) as i64);
        let end = (rng.below(3) != 0).then(|| start + chrono::Duration::days(60 + rng.below(400) as i64));
        let pw = Some(classification(&mut rng));
        let municipality = rng.pick(&municipalities);
        own.insert(format!("K-{person:03}"), Followed { person, kind: pb::ContractKind::Pw, start, end, municipality, pw, completion: None });
        if let (Some(end), 0) = (end, rng.below(3)) {
            let start = end + chrono::Duration::days(rng.pick(&[1, -20, 45]));
            let (kind, pw) = if rng.below(2) == 0 { (pb::ContractKind::Pw, Some(classification(&mut rng))) } else { (pb::ContractKind::Wsw, None) };
            let municipality = if rng.below(2) == 0 { municipality } else { rng.pick(&municipalities) };
            own.insert(format!("L-{person:03}"), Followed { person, kind, start, end: None, municipality, pw, completion: None });
        }
    }
    let mut hr = suite.hr().await;
    let push = async |hr: &mut Hr, own: &BTreeMap<String, Followed>| {
        let inputs: Vec<pb::ContractInput> = own.iter().map(|(id, c)| c.input(id)).collect();
        let answers = hr.push(&inputs, 100).await;
        assert_eq!(answers.iter().map(|a| a.rejected).sum::<i32>(), 0, "{:?}", answers.iter().flat_map(|a| &a.results).find(|r| !r.reason.is_empty()));
    };
    push(&mut hr, &own).await;

    let mut employment = suite.employment().await;
    let trajectories = employment
        .list_trajectories(pb::ListTrajectoriesRequest { page_size: 1000, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .trajectories;
    assert_eq!(trajectories.len(), persons as usize);
    let trajectory_of: HashMap<String, String> = trajectories.into_iter().map(|t| (t.hr_contract_id, t.id)).collect();
    let complete = async |employment: &mut pb::employment_service_client::EmploymentServiceClient<Authed>, own: &mut BTreeMap<String, Followed>, rng: &mut Rng, share: u64| {
        for (id, c) in own.iter_mut().filter(|(id, c)| id.starts_with("K-") && c.completion.is_none()) {
            if rng.below(share) != 0 {
                continue;
            }
            let completion = (c.start + chrono::Duration::days(30 + rng.below(600) as i64), rng.pick(&results));
            let request = pb::CompleteTrajectoryRequest { trajectory_id: trajectory_of[id].clone(), completion_date: date(&completion.0.to_string()), result: completion.1 as i32 };
            employment.complete_trajectory(request).await.expect("completed");
            c.completion = Some(completion);
        }
    };
    // A third are completed; then HR changes half the contracts: the
    // classification, the paying municipality, an earlier start, or the
    // kind (no longer PW); then more are completed, and HR moves some of
    // the completed ones to another municipality.
    complete(&mut employment, &mut own, &mut rng, 3).await;
    for c in own.values_mut() {
        match rng.below(8) {
            0 if c.kind == pb::ContractKind::Pw => c.pw = Some(classification(&mut rng)),
            1 => c.municipality = rng.pick(&municipalities),
            2 => c.start -= chrono::Duration::days(rng.below(20) as i64),
            3 => (c.kind, c.pw) = (pb::ContractKind::Wsw, None),
            _ => {}
        }
    }
    push(&mut hr, &own).await;
    complete(&mut employment, &mut own, &mut rng, 2).await;
    for c in own.values_mut().filter(|c| c.completion.is_some()) {
        if rng.below(3) == 0 {
            c.municipality = rng.pick(&municipalities);
        }
    }
    push(&mut hr, &own).await;

    let in_scope = |scope: &Option<partnership_proto::common::Scope>, code: &str| match scope.as_ref().map(|s| (s.level, s.code.as_str())) {
        Some((level, wanted)) if level == partnership_proto::common::ScopeLevel::Area as i32 => area_of(code) == wanted,
        Some((level, "GM1991")) if level == partnership_proto::common::ScopeLevel::Municipality as i32 => ["GM1991", "GM0856"].contains(&code),
        Some((level, wanted)) if level == partnership_proto::common::ScopeLevel::Municipality as i32 => code == wanted,
        _ => true,
    };
    let scopes = [partnership(), municipality("GM0828"), municipality("GM1991"), area("MEIERIJSTAD_BERNHEZE_BOEKEL"), area("MAASHORST")];
    let periods = [("2022-01-01", "2022-12-31"), ("2023-01-01", "2023-09-30"), ("2022-03-15", "2023-02-10"), ("2021-01-01", "2025-12-31")];
    let mut compared = 0;
    for scope in &scopes {
        for (first, last) in periods {
            let within = |day: NaiveDate| d(first) <= day && day <= d(last);
            let label = format!("{scope:?} {first}..{last}");
            let started: Vec<&Followed> = own
                .iter()
                .filter(|(id, c)| id.starts_with("K-") && c.kind == pb::ContractKind::Pw && within(c.start) && in_scope(scope, c.municipality))
                .map(|(_, c)| c)
                .collect();
            let figures = employment
                .get_started_contract_figures(pb::GetStartedContractFiguresRequest { scope: scope.clone(), period: period(first, last) })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(figures.total, started.len() as i64, "{label}");
            let with = |f: &dyn Fn(&Pw) -> bool| started.iter().filter(|c| f(&c.pw.unwrap())).count() as i64;
            assert_eq!(count_of(&figures.by_doelgroep, "NIEUW_BESCHUT"), with(&|p| p.doelgroep == pb::Doelgroep::NieuwBeschut), "{label}");
            assert_eq!(count_of(&figures.by_uitstroomprofiel, "NIET_BEKEND"), with(&|p| p.profiel == pb::Uitstroomprofiel::NietBekend), "{label}");
            assert_eq!(count_of(&figures.by_loonwaardeklasse, "FORFAITAIR"), with(&|p| p.loonwaarde.is_none()), "{label}");
            assert_eq!(count_of(&figures.by_loonwaardeklasse, "30_TOT_50"), with(&|p| p.loonwaarde == Some(45)), "{label}");

            let completed: Vec<&Followed> =
                own.values().filter(|c| c.completion.is_some_and(|(day, _)| within(day)) && in_scope(scope, c.municipality)).collect();
            let figures = employment
                .get_trajectory_result_figures(pb::GetTrajectoryResultFiguresRequest { scope: scope.clone(), period: period(first, last) })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(figures.completed, completed.len() as i64, "{label}");
            for group in &figures.groups {
                for counted in &group.results {
                    let expected = completed.iter().filter(|c| c.completion.unwrap().1 as i32 == counted.result).count() as i64;
                    assert_eq!(counted.count, expected, "{label}: result {}", counted.result);
                }
            }
            let profile = figures
                .by_uitstroomprofiel
                .iter()
                .find(|p| p.uitstroomprofiel_at_start == pb::Uitstroomprofiel::NietBekend as i32)
                .unwrap();
            let expected = completed.iter().filter(|c| c.pw.is_some_and(|p| p.profiel == pb::Uitstroomprofiel::NietBekend)).count() as i64;
            assert_eq!(profile.completed, expected, "{label}: by the profile of the contract as it is now");
            compared += started.len() + completed.len();

            // The headcount on the period's last day, with the in- and
            // outflow over the period (kept per calendar year: the first
            // two periods are sums, the others counted from the contracts).
            let on = d(last);
            let of_scope: Vec<&Followed> = own.values().filter(|c| in_scope(scope, c.municipality)).collect();
            let persons = |f: &dyn Fn(&Followed) -> bool| -> i64 {
                of_scope.iter().filter(|c| c.start <= on && c.end.is_none_or(|e| on <= e) && f(c)).map(|c| c.person).collect::<HashSet<_>>().len() as i64
            };
            let mut spells: BTreeMap<u32, Vec<(NaiveDate, Option<NaiveDate>)>> = BTreeMap::new();
            for c in of_scope.iter().filter(|c| c.kind == pb::ContractKind::Pw) {
                spells.entry(c.person).or_default().push((c.start, c.end));
            }
            let (mut inflow, mut outflow) = (0, 0);
            for mut contracts in spells.into_values() {
                contracts.sort();
                let mut merged: Vec<(NaiveDate, Option<NaiveDate>)> = Vec::new();
                for (start, end) in contracts {
                    if let Some((_, last_end)) = merged.last_mut() {
                        if last_end.is_none_or(|e| start <= e + chrono::Duration::days(1)) {
                            *last_end = last_end.zip(end).map(|(a, b)| a.max(b));
                            continue;
                        }
                    }
                    merged.push((start, end));
                }
                inflow += i64::from(merged.iter().any(|(start, _)| within(*start)));
                outflow += i64::from(merged.iter().any(|(_, end)| end.is_some_and(within)));
            }
            let headcount = employment
                .get_headcount_figures(pb::GetHeadcountFiguresRequest { scope: scope.clone(), on: date(last), period: period(first, last) })
                .await
                .unwrap()
                .into_inner();
            let pw_persons = persons(&|c| c.kind == pb::ContractKind::Pw);
            let beschut = persons(&|c| c.pw.is_some_and(|p| p.doelgroep == pb::Doelgroep::NieuwBeschut));
            assert_eq!((headcount.pw_persons, headcount.pw_beschut), (pw_persons, beschut), "{label}: PW and beschut persons");
            assert_eq!((headcount.pw_inflow, headcount.pw_outflow), (inflow, outflow), "{label}: in- and outflow");
            for kind in [pb::ContractKind::Pw, pb::ContractKind::Wsw] {
                let got = headcount.by_kind.iter().find(|k| k.kind == kind as i32).unwrap().persons;
                assert_eq!(got, persons(&|c| c.kind == kind), "{label}: {kind:?}");
            }
            compared += (pw_persons + inflow + outflow) as usize;
        }
    }
    // The data is rich enough for the comparisons to mean something.
    let wsw_completed = own.values().filter(|c| c.kind == pb::ContractKind::Wsw && c.completion.is_some()).count();
    let mut pw_in: HashMap<u32, HashSet<&str>> = HashMap::new();
    for c in own.values().filter(|c| c.kind == pb::ContractKind::Pw) {
        pw_in.entry(c.person).or_default().insert(area_of(c.municipality));
    }
    let pw_in_two_areas = pw_in.values().filter(|areas| areas.len() > 1).count();
    assert!(compared > 2000 && wsw_completed > 5 && pw_in_two_areas > 5, "{compared} compared, {wsw_completed} completed WSW, {pw_in_two_areas} in two areas");
}

//! Demo data: a realistic, internally consistent dataset for 2021–2024 —
//! registrations from all municipalities (the pre-merger ones in 2021),
//! their statuses, the contracts HR pushes for those who got a job at IBN
//! (and Wsw, regular and kader staff), completed trajectories, indications
//! and placements beschut, activities, pluspakket participants and the
//! lumpsum — generated deterministically as a [`Plan`] and loaded **through
//! the public gRPC APIs**, as municipalities, HR and controllers would.
//! Loading is idempotent (request ids everywhere), so it can run twice.
//!
//! The plan is also what tests compute expected figures from, independently
//! of the services' own code.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use partnership_intake::domain::bsn::Bsn;
use partnership_platform::{dates, peer};
use partnership_proto::beschut as bpb;
use partnership_proto::employment as epb;
use partnership_proto::finance as fpb;
use partnership_proto::intake as ipb;

/// The last day of the demo data.
pub fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).expect("a date")
}

/// Municipalities registering before the merger of 2022-01-01, and after,
/// with weights (Oss is the largest).
const BEFORE_MERGER: [(&str, u64); 11] = [
    ("GM0828", 30), ("GM1721", 8), ("GM0755", 3), ("GM1948", 14), ("GM0856", 10), ("GM1685", 4),
    ("GM0756", 7), ("GM1684", 7), ("GM0786", 3), ("GM0815", 3), ("GM1702", 2),
];
const AFTER_MERGER: [(&str, u64); 6] =
    [("GM0828", 30), ("GM1721", 8), ("GM0755", 3), ("GM1948", 14), ("GM1991", 14), ("GM1982", 22)];

/// Today's municipality of a code (for the contracts HR pushes today).
pub fn current_code(code: &str) -> &'static str {
    match code {
        "GM0856" | "GM1685" | "GM1991" => "GM1991",
        "GM0756" | "GM1684" | "GM0786" | "GM0815" | "GM1702" | "GM1982" => "GM1982",
        "GM1721" => "GM1721",
        "GM0755" => "GM0755",
        "GM1948" => "GM1948",
        _ => "GM0828",
    }
}

/// A status entry: status, date, reason (for TERUGGEMELD).
pub type Step = (ipb::RegistrationStatus, NaiveDate, Option<ipb::TerugmeldingReason>);

#[derive(Debug, Clone)]
pub struct PlannedRegistration {
    /// The person's number: their BSN is `Bsn::synthetic(n)`.
    pub n: u32,
    pub birth_date: NaiveDate,
    pub municipality_code: String,
    pub registration_date: NaiveDate,
    /// The statuses after INTAKE.
    pub history: Vec<Step>,
}

impl PlannedRegistration {
    pub fn youth(&self) -> bool {
        self.registration_date.years_since(self.birth_date).is_some_and(|age| age < 27)
    }

    /// The status in effect on a date.
    pub fn status_on(&self, day: NaiveDate) -> ipb::RegistrationStatus {
        self.history.iter().rev().find(|(_, d, _)| *d <= day).map(|s| s.0).unwrap_or(ipb::RegistrationStatus::Intake)
    }
}

#[derive(Debug, Clone)]
pub struct PlannedContract {
    pub hr_contract_id: String,
    pub n: u32,
    pub kind: epb::ContractKind,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub hours: u32,
    /// For PW: soort, doelgroep, profiel, loonwaarde (None: forfaitair), step.
    pub pw: Option<(epb::SoortPlaatsing, epb::Doelgroep, epb::Uitstroomprofiel, Option<u32>, epb::WerkladderStep)>,
    pub municipality_code: String,
}

impl PlannedContract {
    pub fn runs_on(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.is_none_or(|e| day <= e)
    }

    pub fn beschut(&self) -> bool {
        self.pw.is_some_and(|p| p.1 == epb::Doelgroep::NieuwBeschut)
    }
}

#[derive(Debug, Clone)]
pub struct PlannedIndication {
    pub n: u32,
    pub municipality_code: String,
    pub granted: NaiveDate,
    /// Expired from this day.
    pub expired: Option<NaiveDate>,
}

impl PlannedIndication {
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.granted <= day && self.expired.is_none_or(|e| day < e)
    }
}

#[derive(Debug, Clone)]
pub struct PlannedPlacement {
    pub n: u32,
    pub municipality_code: String,
    pub start: NaiveDate,
    pub hours: u32,
}

/// The whole demo dataset.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub registrations: Vec<PlannedRegistration>,
    /// People with only a contract (Wsw, regular and kader staff).
    pub staff: Vec<(u32, NaiveDate, String)>,
    pub contracts: Vec<PlannedContract>,
    /// (hr contract id, completion date, result).
    pub completions: Vec<(String, NaiveDate, epb::TrajectoryResult)>,
    pub indications: Vec<PlannedIndication>,
    pub placements: Vec<PlannedPlacement>,
    pub activities: Vec<(epb::ActivityKind, String, NaiveDate)>,
    pub pluspakket: Vec<(u32, String, &'static str, NaiveDate)>,
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn days(&mut self, from: u64, to: u64) -> chrono::Duration {
        chrono::Duration::days((from + self.below(to - from + 1)) as i64)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn weighted<'a>(&mut self, items: &[(&'a str, u64)]) -> &'a str {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut pick = self.below(total);
        for (item, weight) in items {
            if pick < *weight {
                return item;
            }
            pick -= weight;
        }
        items[0].0
    }
}

impl Plan {
    /// The dataset at `scale` (1: about 240 registrations a year, the
    /// partnership's size).
    pub fn generate(scale: u32, seed: u64) -> Self {
        use epb::WerkladderStep as W;
        use ipb::RegistrationStatus as S;
        use ipb::TerugmeldingReason as R;
        let mut rng = Rng(seed.max(1));
        let mut plan = Plan::default();
        let cap = last_day();
        let mut n = 0u32;
        let reasons = [
            (R::TijdelijkNietInStaat, 28),
            (R::VoldoetNietAanInstroomeisen, 19),
            (R::OpVerzoekVanGemeente, 30),
            (R::OpVerzoekVanKandidaat, 0),
            (R::Overig, 11),
            (R::NietUitDeDataAfTeLeiden, 12),
        ];
        let results = [
            (epb::TrajectoryResult::DvbReguliereWerkgever, 17),
            (epb::TrajectoryResult::DvbIbnRegulierContract, 2),
            (epb::TrajectoryResult::DvbIbnKernbezetting, 46),
            (epb::TrajectoryResult::Opleiding, 1),
            (epb::TrajectoryResult::OpEigenVerzoek, 12),
            (epb::TrajectoryResult::NietPassend, 19),
            (epb::TrajectoryResult::Verhuisd, 3),
        ];
        for year in 2021..=2024 {
            let start = NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January");
            for _ in 0..240 * scale {
                n += 1;
                let municipality = if year == 2021 { rng.weighted(&BEFORE_MERGER) } else { rng.weighted(&AFTER_MERGER) };
                let registration_date = start + rng.days(0, 360);
                let youth = rng.below(100) < 38;
                let age_days = if youth { rng.days(18 * 365, 26 * 365) } else { rng.days(28 * 365, 60 * 365) };
                let mut history: Vec<Step> = Vec::new();
                let at = |d: chrono::Duration| registration_date + d;
                let roll = rng.below(100);
                match roll {
                    0..=60 => {
                        history.push((S::Voortraject, at(rng.days(15, 60)), None));
                        history.push((S::DvbIbn, at(rng.days(61, 150)), None));
                    }
                    61..=71 => history.push((S::DvbReguliereWerkgever, at(rng.days(30, 120)), None)),
                    72 => history.push((S::Opleiding, at(rng.days(30, 120)), None)),
                    73..=75 => history.push((S::Voortraject, at(rng.days(10, 40)), None)),
                    76 => {}
                    77 => history.push((S::Verhuisd, at(rng.days(20, 90)), None)),
                    78 => {
                        history.push((S::Voortraject, at(rng.days(5, 15)), None));
                        history.push((S::OnHold, at(rng.days(16, 60)), None));
                    }
                    _ => {
                        let mut pick = rng.below(100);
                        let reason = reasons.iter().find(|(_, w)| if pick < *w { true } else { pick -= w; false }).map(|r| r.0).unwrap_or(R::Overig);
                        history.push((S::Teruggemeld, at(rng.days(30, 200)), Some(reason)));
                    }
                }
                history.retain(|(_, d, _)| *d <= cap);
                let registration = PlannedRegistration {
                    n,
                    birth_date: registration_date - age_days,
                    municipality_code: municipality.to_owned(),
                    registration_date,
                    history,
                };
                // A job at IBN: the PW contract HR pushes, from the same day.
                if let Some((_, dvb, _)) = registration.history.iter().find(|s| s.0 == S::DvbIbn) {
                    let beschut = rng.below(100) < 30;
                    let soort = if !beschut && rng.below(100) < 20 { epb::SoortPlaatsing::Vraaggestuurd } else { epb::SoortPlaatsing::Aanbodgestuurd };
                    let doelgroep = match (beschut, soort) {
                        (true, _) => epb::Doelgroep::NieuwBeschut,
                        (false, epb::SoortPlaatsing::Vraaggestuurd) => epb::Doelgroep::RegulierVraaggestuurd,
                        _ => epb::Doelgroep::NieuwRegulier,
                    };
                    let profiel = if soort == epb::SoortPlaatsing::Vraaggestuurd {
                        epb::Uitstroomprofiel::NvtVraaggestuurd
                    } else {
                        rng.pick(&[epb::Uitstroomprofiel::MetUitstroomprofielRegulier, epb::Uitstroomprofiel::ZonderUitstroomprofielRegulier, epb::Uitstroomprofiel::NietBekend])
                    };
                    let loonwaarde = rng.pick(&[None, Some(25), Some(40), Some(55), Some(70), Some(85)]);
                    let step = if beschut { rng.pick(&[W::WerkenBinnenIbn, W::WerkenOpLocatie, W::ZelfstandigWerkenOpLocatie]) } else { rng.pick(&[W::WerkenBinnenIbn, W::WerkenOpLocatie, W::RegulierWerkenMetVangnet]) };
                    let end = (rng.below(100) < 20).then(|| *dvb + rng.days(180, 540)).filter(|e| *e <= cap);
                    let contract = PlannedContract {
                        hr_contract_id: format!("DEMO-PW-{n}"),
                        n,
                        kind: epb::ContractKind::Pw,
                        start: *dvb,
                        end,
                        hours: rng.pick(&[16, 20, 24, 28, 32, 36]),
                        pw: Some((soort, doelgroep, profiel, loonwaarde, step)),
                        municipality_code: current_code(municipality).to_owned(),
                    };
                    if rng.below(100) < 45 {
                        let done = *dvb + rng.days(300, 660);
                        if done <= cap {
                            let mut pick = rng.below(100);
                            let result = results.iter().find(|(_, w)| if pick < *w { true } else { pick -= w; false }).map(|r| r.0).unwrap_or(epb::TrajectoryResult::NietPassend);
                            plan.completions.push((contract.hr_contract_id.clone(), done, result));
                        }
                    }
                    if beschut {
                        let expired = (rng.below(100) < 10).then(|| *dvb + rng.days(200, 700)).filter(|e| *e <= cap);
                        plan.indications.push(PlannedIndication { n, municipality_code: current_code(municipality).to_owned(), granted: *dvb - chrono::Duration::days(45), expired });
                    }
                    plan.contracts.push(contract);
                }
                plan.registrations.push(registration);
            }
            // Indications of people working elsewhere (vangnet) or not (yet) working.
            for _ in 0..25 * scale {
                n += 1;
                let municipality = current_code(rng.weighted(&AFTER_MERGER)).to_owned();
                let granted = start + rng.days(0, 330);
                plan.staff.push((n, NaiveDate::from_ymd_opt(1985, 5, 5).expect("a date"), municipality.clone()));
                plan.indications.push(PlannedIndication { n, municipality_code: municipality.clone(), granted, expired: None });
                if rng.below(100) < 60 {
                    plan.placements.push(PlannedPlacement { n, municipality_code: municipality, start: granted + rng.days(10, 30), hours: rng.pick(&[20, 24, 28, 32]) });
                }
            }
            for _ in 0..80 * scale {
                let kind = rng.pick(&[epb::ActivityKind::Arbeidsonderzoek, epb::ActivityKind::TrainingBasisvaardigheden, epb::ActivityKind::TrainingMaatwerk, epb::ActivityKind::Jobcoaching]);
                plan.activities.push((kind, current_code(rng.weighted(&AFTER_MERGER)).to_owned(), start + rng.days(0, 360)));
            }
            for _ in 0..20 * scale {
                let person = 1 + rng.below(u64::from(n)) as u32;
                let service = rng.pick(&["Z_ROUTE", "MAP_B1_ROUTE", "TRAJECT_OUDKOMERS", "TAAL_JOBCOACHING_STATUSHOUDERS"]);
                // Registered under the municipality as it was that year.
                let municipality = if year == 2021 { rng.weighted(&BEFORE_MERGER) } else { rng.weighted(&AFTER_MERGER) };
                plan.pluspakket.push((person, municipality.to_owned(), service, start + rng.days(0, 360)));
            }
        }
        // Staff on Wsw, regular and kader contracts.
        for k in 0..155 * scale {
            n += 1;
            let kind = match k % 31 {
                0..=23 => epb::ContractKind::Wsw,
                24..=27 => epb::ContractKind::Regulier,
                _ => epb::ContractKind::Kader,
            };
            let start = NaiveDate::from_ymd_opt(2000 + rng.below(15) as i32, 1 + rng.below(12) as u32, 1).expect("a date");
            let end = (rng.below(100) < 15).then(|| NaiveDate::from_ymd_opt(2021, 1, 31).expect("a date") + rng.days(0, 1400));
            let municipality = current_code(rng.weighted(&AFTER_MERGER)).to_owned();
            plan.staff.push((n, NaiveDate::from_ymd_opt(1970, 3, 3).expect("a date"), municipality.clone()));
            plan.contracts.push(PlannedContract { hr_contract_id: format!("DEMO-{}-{n}", kind.as_str_name()), n, kind, start, end, hours: 36, pw: None, municipality_code: municipality });
        }
        plan
    }
}

/// The services the demo data goes to, called with one token (the
/// administrator's: the loader acts for every municipality, HR and IBN).
pub struct Clients {
    pub intake: peer::IntakeClient,
    pub employment: peer::EmploymentClient,
    pub beschut: peer::BeschutClient,
    pub finance: peer::FinanceClient,
}

impl Clients {
    pub fn connect(intake: &str, employment: &str, beschut: &str, finance: &str, token: &str) -> anyhow::Result<Self> {
        Ok(Self {
            intake: peer::intake(intake, token)?,
            // HR's pushes of 10,000 contracts are more than 4 MiB.
            employment: peer::employment(employment, token)?
                .max_encoding_message_size(partnership_employment::MAX_PUSH_BYTES),
            beschut: peer::beschut(beschut, token)?,
            finance: peer::finance(finance, token)?,
        })
    }
}

fn bsn(n: u32) -> String {
    Bsn::synthetic(n).as_str().to_owned()
}

fn date(d: NaiveDate) -> Option<partnership_proto::google::r#type::Date> {
    Some(dates::to_proto(d))
}

fn req<T>(message: T) -> tonic::Request<T> {
    peer::request(message, Duration::from_secs(60))
}

/// A create that may have been done by an earlier run is fine.
fn done_before(status: &tonic::Status) -> bool {
    matches!(status.code(), tonic::Code::AlreadyExists | tonic::Code::FailedPrecondition)
}

/// Loads the plan through the public APIs. Returns what it did, in words.
pub async fn load(plan: &Plan, clients: &mut Clients) -> anyhow::Result<Vec<String>> {
    let mut said = Vec::new();
    // Municipalities register (historical data: the streaming import).
    let mut batches = Vec::new();
    for (k, chunk) in plan.registrations.chunks(5000).enumerate() {
        let registrations = chunk
            .iter()
            .map(|r| ipb::ImportedRegistration {
                bsn: bsn(r.n),
                birth_date: date(r.birth_date),
                municipality_code: r.municipality_code.clone(),
                kind: ipb::RegistrationKind::Dienstverband as i32,
                voortraject_kind: 0,
                registration_date: date(r.registration_date),
                history: r
                    .history
                    .iter()
                    .map(|(s, d, reason)| ipb::ImportedStatus { status: *s as i32, effective_date: date(*d), terugmelding_reason: reason.map(|x| x as i32).unwrap_or(0), note: String::new() })
                    .collect(),
            })
            .collect();
        batches.push(ipb::ImportRegistrationsRequest { request_id: format!("demo-registrations-{k}"), registrations });
    }
    let mut answers = clients.intake.import_registrations(tokio_stream::iter(batches)).await.context("import")?.into_inner();
    while let Some(answer) = answers.message().await? {
        anyhow::ensure!(answer.imported, "import refused: {:?}", answer.errors.first());
    }
    said.push(format!("{} registrations imported", plan.registrations.len()));
    for (n, birth, municipality) in &plan.staff {
        let request = ipb::CreateCandidateRequest { request_id: format!("demo-candidate-{n}"), bsn: bsn(*n), birth_date: date(*birth), municipality_code: municipality.clone() };
        if let Err(status) = clients.intake.create_candidate(req(request)).await {
            anyhow::ensure!(done_before(&status), "candidate {n}: {status}");
        }
    }

    // HR pushes the contracts, 10,000 a batch over one stream.
    let contracts: Vec<epb::ContractInput> = plan.contracts.iter().map(contract_input).collect();
    let batches: Vec<epb::PushContractsRequest> = contracts.chunks(10_000).map(|c| epb::PushContractsRequest { contracts: c.to_vec() }).collect();
    let mut answers = clients.employment.push_contract_batches(tokio_stream::iter(batches)).await.context("push")?.into_inner();
    while let Some(answer) = answers.message().await? {
        anyhow::ensure!(answer.rejected == 0, "contracts rejected: {:?}", answer.results.iter().find(|r| r.outcome == epb::ContractOutcome::Rejected as i32));
    }
    said.push(format!("{} contracts pushed", contracts.len()));

    // Trajectory staff complete trajectories.
    let mut trajectory_of: HashMap<String, String> = HashMap::new();
    let mut page_token = String::new();
    loop {
        let page = clients.employment.list_trajectories(req(epb::ListTrajectoriesRequest { page_size: 1000, page_token, ..Default::default() })).await?.into_inner();
        trajectory_of.extend(page.trajectories.into_iter().map(|t| (t.hr_contract_id, t.id)));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    for (hr, done, result) in &plan.completions {
        let Some(id) = trajectory_of.get(hr) else { continue };
        let request = epb::CompleteTrajectoryRequest { trajectory_id: id.clone(), completion_date: date(*done), result: *result as i32 };
        if let Err(status) = clients.employment.complete_trajectory(req(request)).await {
            anyhow::ensure!(done_before(&status), "trajectory {id}: {status}");
        }
    }
    for (k, (kind, municipality, day)) in plan.activities.iter().enumerate() {
        let request = epb::RecordActivityRequest { request_id: format!("demo-activity-{k}"), kind: *kind as i32, candidate_id: String::new(), municipality_code: municipality.clone(), date: date(*day) };
        clients.employment.record_activity(req(request)).await?;
    }
    said.push(format!("{} trajectories completed, {} activities recorded", plan.completions.len(), plan.activities.len()));

    // Beschut: indications and placements, by candidate id.
    let numbers: Vec<u32> = plan.indications.iter().map(|i| i.n).collect();
    let mut candidate_of: HashMap<u32, String> = HashMap::new();
    for chunk in numbers.chunks(10_000) {
        let answer = clients.intake.batch_resolve_candidates(req(ipb::BatchResolveCandidatesRequest { bsns: chunk.iter().map(|n| bsn(*n)).collect() })).await?.into_inner();
        candidate_of.extend(chunk.iter().copied().zip(answer.resolutions.into_iter().map(|r| r.candidate_id)));
    }
    for indication in &plan.indications {
        let candidate_id = candidate_of.get(&indication.n).cloned().unwrap_or_default();
        let granted = clients
            .beschut
            .grant_indication(req(bpb::GrantIndicationRequest {
                request_id: format!("demo-indication-{}", indication.n),
                candidate_id,
                municipality_code: indication.municipality_code.clone(),
                uwv_reference: format!("UWV-{}-{:06}", indication.granted.year(), indication.n),
                granted_date: date(indication.granted),
                valid_until: None,
            }))
            .await?
            .into_inner();
        if let Some(expired) = indication.expired {
            let end = bpb::EndIndicationRequest { indication_id: granted.id, end: bpb::IndicationEnd::Expired as i32, end_date: date(expired) };
            if let Err(status) = clients.beschut.end_indication(req(end)).await {
                anyhow::ensure!(done_before(&status), "indication {}: {status}", indication.n);
            }
        }
    }
    for placement in &plan.placements {
        clients
            .beschut
            .create_placement(req(bpb::CreatePlacementRequest {
                request_id: format!("demo-placement-{}", placement.n),
                candidate_id: candidate_of.get(&placement.n).cloned().unwrap_or_default(),
                municipality_code: placement.municipality_code.clone(),
                employer: "Regionale werkgever".into(),
                start_date: date(placement.start),
                end_date: None,
                hours_per_week: Some(partnership_platform::decimals::to_proto(placement.hours.into())),
            }))
            .await?;
    }
    said.push(format!("{} indications, {} placements", plan.indications.len(), plan.placements.len()));

    // Pluspakket participants.
    let people: Vec<u32> = plan.pluspakket.iter().map(|p| p.0).collect();
    let mut plus_candidate: HashMap<u32, String> = HashMap::new();
    for chunk in people.chunks(10_000) {
        let answer = clients.intake.batch_resolve_candidates(req(ipb::BatchResolveCandidatesRequest { bsns: chunk.iter().map(|n| bsn(*n)).collect() })).await?.into_inner();
        plus_candidate.extend(chunk.iter().copied().zip(answer.resolutions.into_iter().map(|r| r.candidate_id)));
    }
    for (k, (n, municipality, service, day)) in plan.pluspakket.iter().enumerate() {
        let request = ipb::CreatePluspakketRegistrationRequest {
            request_id: format!("demo-plus-{k}"),
            candidate_id: plus_candidate.get(n).cloned().unwrap_or_default(),
            municipality_code: municipality.clone(),
            service_code: (*service).to_owned(),
            registration_date: date(*day),
        };
        clients.intake.create_pluspakket_registration(req(request)).await?;
    }

    // The controllers fix the budget periods and lumpsums.
    let periods = [("2021-07-01", "2022-12-31", "Eerste periode"), ("2023-01-01", "2024-12-31", "Tweede periode")];
    for (k, (first, last, description)) in periods.iter().enumerate() {
        let request = fpb::CreateBudgetPeriodRequest {
            request_id: format!("demo-period-{k}"),
            first_day: date(first.parse()?),
            last_day: date(last.parse()?),
            description: (*description).into(),
        };
        let period = clients.finance.create_budget_period(req(request)).await?.into_inner();
        let years: &[(i32, &str)] = if k == 0 { &[(2021, "2180898.06"), (2022, "2180898.06")] } else { &[(2023, "2330000"), (2024, "2460000")] };
        for (year, base) in years {
            let request = fpb::CreateLumpsumRequest {
                request_id: format!("demo-lumpsum-{year}"),
                budget_period_id: period.id.clone(),
                year: *year,
                base: Some(partnership_proto::google::r#type::Decimal { value: (*base).into() }),
                key: Some(fpb::AllocationKeyRef { year: 2021, kind: fpb::AllocationKeyKind::PBudgetNieuweDoelgroepen as i32 }),
            };
            if let Err(status) = clients.finance.create_lumpsum(req(request)).await {
                anyhow::ensure!(done_before(&status), "lumpsum {year}: {status}");
            }
        }
    }
    said.push(format!("{} pluspakket participants, budget periods and lumpsums 2021–2024", plan.pluspakket.len()));
    Ok(said)
}

fn contract_input(c: &PlannedContract) -> epb::ContractInput {
    let decimal = |v: u32| Some(partnership_proto::google::r#type::Decimal { value: v.to_string() });
    epb::ContractInput {
        hr_contract_id: c.hr_contract_id.clone(),
        bsn: bsn(c.n),
        kind: c.kind as i32,
        start_date: date(c.start),
        end_date: c.end.and_then(date),
        hours_per_week: decimal(c.hours),
        pw: c.pw.map(|(soort, doelgroep, profiel, loonwaarde, step)| epb::PwClassification {
            soort_plaatsing: soort as i32,
            doelgroep: doelgroep as i32,
            uitstroomprofiel: profiel as i32,
            loonwaarde: Some(epb::Loonwaarde {
                value: Some(match loonwaarde {
                    Some(p) => epb::loonwaarde::Value::MeasuredPercent(partnership_proto::google::r#type::Decimal { value: p.to_string() }),
                    None => epb::loonwaarde::Value::Forfaitair(true),
                }),
            }),
            werkladder_step: step as i32,
            paying_municipality_code: c.municipality_code.clone(),
        }),
        municipality_code: if c.pw.is_some() { String::new() } else { c.municipality_code.clone() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_is_the_same_every_time_and_consistent() {
        let a = Plan::generate(1, 7);
        let b = Plan::generate(1, 7);
        assert_eq!(a.registrations.len(), b.registrations.len());
        assert_eq!(a.registrations.len(), 960);
        assert!(a.registrations.iter().zip(&b.registrations).all(|(x, y)| x.registration_date == y.registration_date && x.history == y.history));
        for r in &a.registrations {
            assert!(r.history.windows(2).all(|w| w[0].1 <= w[1].1), "dates in order");
            assert!(r.history.iter().all(|s| s.1 <= last_day() && s.1 >= r.registration_date));
            if r.registration_date.year() == 2021 {
                assert!(BEFORE_MERGER.iter().any(|(c, _)| *c == r.municipality_code));
            }
        }
        let pw = a.contracts.iter().filter(|c| c.kind == epb::ContractKind::Pw).count();
        let dvb_ibn = a.registrations.iter().filter(|r| r.history.iter().any(|s| s.0 == ipb::RegistrationStatus::DvbIbn)).count();
        assert_eq!(pw, dvb_ibn, "a PW contract for every job at IBN");
    }
}

//! Section 7: expertise and development activities, and pluspakket
//! participants per service per municipality.

use partnership_proto::employment as epb;
use partnership_proto::reporting as pb;

use super::{code, count, failures, row, section, table};
use crate::labels;
use crate::period::ReportPeriod;
use crate::sources::Sources;

pub fn activities(sources: &Sources, p: ReportPeriod) -> pb::Section {
    let fetched = [&sources.activities.fetch, &sources.finance.fetch];
    let mut failed = failures([&sources.activities]);
    failed.extend(failures([&sources.finance]));
    section("expertise", 7, "Expertise en pluspakket", &fetched, failed, || {
        let a = sources.activities.ok().expect("checked");
        let f = sources.finance.ok().expect("checked");
        let activity_rows = a
            .counts
            .iter()
            .map(|c| {
                let kind = code(epb::ActivityKind::try_from(c.kind).map(|x| x.as_str_name()).unwrap_or(""), "ACTIVITY_KIND_");
                row(kind, labels::activity(kind), 1, vec![count(c.count)])
            })
            .collect();
        let mut plus_rows: Vec<pb::Row> = f
            .pluspakket
            .iter()
            .map(|x| row(format!("{}/{}", x.municipality_code, x.service_code), format!("{} — {}", x.municipality_code, x.service_code), 1, vec![count(x.participants)]))
            .collect();
        plus_rows.push(row("total", "Totaal deelnemers", 0, vec![count(f.pluspakket_participants)]));
        pb::SectionBody {
            tables: vec![
                table("activiteiten", format!("Expertise en ontwikkeling, {}", p.year_to_date_label()), vec!["Activiteit".into(), "Aantal".into()], activity_rows),
                table("pluspakket", format!("Deelnemers pluspakket per dienst per gemeente, {}", p.year_to_date_label()), vec!["Gemeente — dienst".into(), "Deelnemers".into()], plus_rows),
            ],
            charts: Vec::new(),
        }
    })
}

//! Reports for people: an HTML page with tables and charts (printable, no
//! scripts, no CDN), and plain text for a terminal. Both show exactly what
//! the protobuf report holds.

pub mod html;
pub mod text;

use partnership_proto::reporting as pb;
use rust_decimal::Decimal;

/// A cell as people read it: "143 (61%)", "952.620,03", "69%", "–" when
/// empty. Exact values stay in the report (and in the page's data-value);
/// shown, a percentage is whole and other decimals have at most two places.
pub fn cell(c: &pb::Cell) -> String {
    match (&c.count, &c.number, c.percent) {
        (Some(n), _, Some(p)) => format!("{} ({p}%)", dutch_number(&Decimal::from(*n))),
        (Some(n), _, None) => dutch_number(&Decimal::from(*n)),
        (None, Some(_), Some(p)) => format!("{p}%"),
        (None, Some(d), None) => d.value.parse::<Decimal>().map(|d| dutch_number(&d.round_dp(2))).unwrap_or_else(|_| d.value.clone()),
        (None, None, _) if !c.text.is_empty() => c.text.clone(),
        _ => "–".to_owned(),
    }
}

/// The raw value of a cell, for machines: the count or the decimal.
pub fn raw(c: &pb::Cell) -> String {
    match (&c.count, &c.number) {
        (Some(n), _) => n.to_string(),
        (None, Some(d)) => d.value.clone(),
        _ => c.text.clone(),
    }
}

/// 952620.03 as 952.620,03.
pub fn dutch_number(d: &Decimal) -> String {
    let text = d.normalize().to_string();
    let (sign, text) = text.strip_prefix('-').map(|t| ("-", t)).unwrap_or(("", text.as_str()));
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    if fraction.is_empty() { format!("{sign}{grouped}") } else { format!("{sign}{grouped},{fraction}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_dutch_way() {
        assert_eq!(dutch_number(&"952620.03".parse().unwrap()), "952.620,03");
        assert_eq!(dutch_number(&"236".parse().unwrap()), "236");
        assert_eq!(dutch_number(&"-6.448763".parse().unwrap()), "-6,448763");
        assert_eq!(dutch_number(&"1234567".parse().unwrap()), "1.234.567");
    }

    #[test]
    fn cells_show_counts_with_percentages_and_dashes_for_nothing() {
        let c = pb::Cell { count: Some(143), percent: Some(61), ..Default::default() };
        assert_eq!(cell(&c), "143 (61%)");
        assert_eq!(cell(&pb::Cell::default()), "–");
        let exact = |v: &str| Some(partnership_proto::google::r#type::Decimal { value: v.into() });
        assert_eq!(cell(&pb::Cell { number: exact("68.551237"), percent: Some(69), ..Default::default() }), "69%");
        assert_eq!(cell(&pb::Cell { number: exact("68.903226"), ..Default::default() }), "68,9");
        assert_eq!(cell(&pb::Cell { number: exact("952620.03"), ..Default::default() }), "952.620,03");
    }
}

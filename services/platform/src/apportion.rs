//! Largest-remainder apportionment: dividing a whole number of units (100
//! percent, or a lumpsum's cents) over parts in proportion to their weights,
//! so that the rounded shares add up to exactly the whole. Published tables
//! that round each share on its own are off by one here and there; ours
//! must not be.

/// Divides `units` over `weights` in proportion. Each share is the floor of
/// its exact quota; the units left over go one each to the largest
/// remainders (the earlier part first on a tie). All weights zero gives all
/// zeros.
pub fn largest_remainder(units: u64, weights: &[u64]) -> Vec<u64> {
    let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    let units = u128::from(units);
    let mut shares: Vec<u64> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (index, &weight) in weights.iter().enumerate() {
        let exact = units * u128::from(weight);
        shares.push((exact / total) as u64);
        remainders.push((exact % total, index));
    }
    let given: u128 = shares.iter().map(|&s| u128::from(s)).sum();
    let left_over = (units - given) as usize;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, index) in remainders.iter().take(left_over) {
        shares[index] += 1;
    }
    shares
}

/// Whole percentages of `counts` that add up to 100 (or all 0 if empty).
pub fn percentages(counts: &[u64]) -> Vec<u64> {
    largest_remainder(100, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohort_2022_statuses_add_up_to_100() {
        // domain.md §2: 236 registrations as of 2023-12-31.
        let counts = [1, 25, 143, 0, 6, 1, 1, 2, 57];
        let p = percentages(&counts);
        assert_eq!(p, vec![0, 11, 61, 0, 3, 0, 0, 1, 24]);
        assert_eq!(p.iter().sum::<u64>(), 100);
    }

    #[test]
    fn cohort_2022_reasons_match_the_annual_report() {
        let p = percentages(&[16, 11, 17, 0, 6, 7]);
        assert_eq!(p, vec![28, 19, 30, 0, 11, 12]);
    }

    #[test]
    fn empty_totals_give_zeros() {
        assert_eq!(percentages(&[0, 0, 0]), vec![0, 0, 0]);
        assert_eq!(percentages(&[]), Vec::<u64>::new());
    }

    #[test]
    fn shares_always_add_up_and_stay_within_one_of_the_quota() {
        // A small deterministic generator instead of a property-test crate.
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..2000 {
            let n = (next() % 12) as usize + 1;
            let weights: Vec<u64> = (0..n).map(|_| next() % 2_000_000).collect();
            let units = next() % 300_000_000;
            let shares = largest_remainder(units, &weights);
            let total: u128 = weights.iter().map(|&w| w as u128).sum();
            if total == 0 {
                assert!(shares.iter().all(|&s| s == 0));
                continue;
            }
            assert_eq!(shares.iter().sum::<u64>(), units);
            for (share, weight) in shares.iter().zip(&weights) {
                let floor = (units as u128 * *weight as u128 / total) as u64;
                assert!(*share == floor || *share == floor + 1);
            }
        }
    }
}

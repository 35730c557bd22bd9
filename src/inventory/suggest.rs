//! Closest-name suggestions for names that the inventory does not know.

/// Edit distance (insertions, deletions, substitutions) between two names,
/// ignoring ASCII case.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The `count` candidates nearest to `target`, nearest first; ties keep the
/// candidates' order, and a name offered twice is listed once.
pub fn closest<'a, I>(target: &str, candidates: I, count: usize) -> Vec<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut seen = std::collections::HashSet::new();
    let mut scored: Vec<(usize, usize, &str)> = candidates
        .into_iter()
        .filter(|c| seen.insert(c.to_ascii_lowercase()))
        .enumerate()
        .map(|(order, c)| (distance(target, c), order, c))
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(count)
        .map(|(_, _, c)| c.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("csmx1", "csmx1"), 0);
        assert_eq!(distance("csmx3", "csmx1"), 1);
        assert_eq!(distance("CSMX1", "csmx1"), 0);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("mx", ""), 2);
    }

    #[test]
    fn closest_orders_by_distance_then_input_order() {
        let names = ["mx-cluster", "csmx1", "csmx2", "csmail1", "csmx1"];
        assert_eq!(
            closest("csmx3", names, 3),
            vec!["csmx1", "csmx2", "csmail1"]
        );
        assert_eq!(closest("mx-clustr", names, 1), vec!["mx-cluster"]);
        assert_eq!(closest("x", ["a"], 3), vec!["a"]);
    }
}

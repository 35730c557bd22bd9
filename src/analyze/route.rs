//! Matching a path of hosts against a declared route: steps with
//! alternatives and optional steps, like a tiny regular expression.

use super::{Site, StepSpec};

/// How a path compares with a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMatch {
    /// The whole route, every required step present.
    Full,
    /// A correct beginning of the route (the mail stopped early).
    Prefix,
    /// The path leaves the route: the first host that does not fit, and what was expected there.
    Unexpected {
        position: usize,
        host: String,
        expected: String,
    },
    /// The path ended while required steps were still missing.
    Missing { steps: Vec<String> },
}

/// Compares `path` with `route`. With `complete`, the path must reach the
/// end of the route; otherwise a correct beginning is enough.
pub fn match_route(path: &[String], route: &[StepSpec], site: &Site, complete: bool) -> RouteMatch {
    // reachable[j]: the first i path hosts can match the first j steps
    let n = route.len();
    let mut reachable = vec![false; n + 1];
    reachable[0] = true;
    skip_optional(&mut reachable, route);
    for (position, host) in path.iter().enumerate() {
        let mut next = vec![false; n + 1];
        for j in 0..n {
            if reachable[j] && site.step_matches(&route[j], host) {
                next[j + 1] = true;
            }
        }
        skip_optional(&mut next, route);
        if !next.iter().any(|r| *r) {
            let expected: Vec<String> = (0..n)
                .filter(|j| reachable[*j])
                .map(|j| route[j].describe())
                .collect();
            return RouteMatch::Unexpected {
                position,
                host: host.clone(),
                expected: if expected.is_empty() {
                    "the end of the route".into()
                } else {
                    expected.join(" or ")
                },
            };
        }
        reachable = next;
    }
    if reachable[n] {
        return RouteMatch::Full;
    }
    if !complete {
        return RouteMatch::Prefix;
    }
    let from = (0..=n).rev().find(|j| reachable[*j]).unwrap_or(0);
    RouteMatch::Missing {
        steps: route[from..]
            .iter()
            .filter(|s| !s.optional)
            .map(StepSpec::describe)
            .collect(),
    }
}

/// Optional steps may be skipped: reaching step j also reaches j+1 when j is optional.
fn skip_optional(reachable: &mut [bool], route: &[StepSpec]) {
    for j in 0..route.len() {
        if reachable[j] && route[j].optional {
            reachable[j + 1] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        let mut s = Site::default();
        for (c, hosts) in [
            ("mx-cluster", vec!["csmx1", "csmx2"]),
            ("maillist-cluster", vec!["maillist1"]),
            ("mailer-cluster", vec!["mailer4"]),
        ] {
            s.clusters
                .insert(c.into(), hosts.iter().map(|h| h.to_string()).collect());
        }
        s.hosts = ["csmx1", "csmx2", "maillist1", "mailer4", "maildirect1"]
            .iter()
            .map(|h| h.to_string())
            .collect();
        s
    }

    fn route(text: &str) -> Vec<StepSpec> {
        text.split(',')
            .map(|s| {
                let s = s.trim();
                StepSpec {
                    names: s
                        .trim_end_matches('?')
                        .split('|')
                        .map(|n| n.trim().to_string())
                        .collect(),
                    optional: s.ends_with('?'),
                }
            })
            .collect()
    }

    fn path(hosts: &str) -> Vec<String> {
        hosts.split_whitespace().map(str::to_string).collect()
    }

    const INBOUND: &str =
        "mx-cluster, maillist-cluster, mailer-cluster, maillist-cluster?, maildirect1";

    #[test]
    fn optional_revisit_matches_with_and_without_it() {
        let s = site();
        let r = route(INBOUND);
        assert_eq!(
            match_route(&path("csmx1 maillist1 mailer4 maildirect1"), &r, &s, true),
            RouteMatch::Full
        );
        assert_eq!(
            match_route(
                &path("csmx1 maillist1 mailer4 maillist1 maildirect1"),
                &r,
                &s,
                true
            ),
            RouteMatch::Full
        );
    }

    #[test]
    fn unexpected_host_is_named_with_what_was_expected() {
        let s = site();
        let r = route(INBOUND);
        assert_eq!(
            match_route(&path("csmx1 mailer4 maildirect1"), &r, &s, true),
            RouteMatch::Unexpected {
                position: 1,
                host: "mailer4".into(),
                expected: "maillist-cluster".into()
            }
        );
    }

    #[test]
    fn a_stopped_path_is_a_prefix_or_misses_steps() {
        let s = site();
        let r = route(INBOUND);
        assert_eq!(
            match_route(&path("csmx1 maillist1"), &r, &s, false),
            RouteMatch::Prefix
        );
        assert_eq!(
            match_route(&path("csmx1 maillist1"), &r, &s, true),
            RouteMatch::Missing {
                steps: vec!["mailer-cluster".into(), "maildirect1".into()]
            }
        );
    }

    #[test]
    fn external_means_outside_the_inventory_and_alternatives_work() {
        let s = site();
        assert_eq!(
            match_route(
                &path("csmx1 mailer4 mxlog.example.net"),
                &route("mx-cluster, mailer-cluster, external"),
                &s,
                true
            ),
            RouteMatch::Full
        );
        assert!(matches!(
            match_route(
                &path("csmx1 mailer4 maildirect1"),
                &route("mx-cluster, mailer-cluster, external"),
                &s,
                true
            ),
            RouteMatch::Unexpected { .. }
        ));
        assert_eq!(
            match_route(
                &path("csmx1 mailer4 maildirect1"),
                &route("mx-cluster, mailer-cluster, maillist-cluster | maildirect1"),
                &s,
                true
            ),
            RouteMatch::Full
        );
    }
}

//! Reads `routes:` as written: the directions, each route's steps, each
//! step's `|` alternatives and trailing `?`, every name checked against the
//! clusters and hosts. A mistake points at the name or character at fault.

use serde_saphyr::Spanned;

use super::error::{Located, Problem, UnknownRouteName};
use super::position::{self, Pos};
use super::routes::{DIRECTIONS, EXTERNAL};
use super::schema::RawRoute;
use super::{suggest, Cluster, Host, Route, Routes, Step};

/// The routes under `routes:`, checked against `hosts` and `clusters`.
/// `text` is the whole file, to place mistakes inside a step.
pub fn routes(
    raw: Vec<(Spanned<String>, RawRoute)>,
    text: &str,
    hosts: &[Host],
    clusters: &[Cluster],
) -> Result<Routes, Located> {
    let known = Known { hosts, clusters };
    let mut routes = Routes::default();
    for (key, steps) in raw {
        let direction = key.value.as_str();
        let slot = match direction {
            "inbound" => &mut routes.inbound,
            "outbound" => &mut routes.outbound,
            "internal" => &mut routes.internal,
            _ => {
                return Err(Located::new(
                    Pos::of(&key),
                    Problem::UnknownKey {
                        key: key.value.clone(),
                        section: "`routes`".to_string(),
                        expected: DIRECTIONS.iter().map(|d| d.to_string()).collect(),
                    },
                ))
            }
        };
        let steps = steps.unwrap_or_default();
        if steps.is_empty() {
            return Err(Located::new(
                Pos::of(&key),
                Problem::EmptyRoute(direction.to_string()),
            ));
        }
        let mut route = Route {
            steps: Vec::with_capacity(steps.len()),
        };
        for step in &steps {
            route.steps.push(read_step(step, direction, text, &known)?);
        }
        *slot = Some(route);
    }
    Ok(routes)
}

/// The names a route may use.
struct Known<'a> {
    hosts: &'a [Host],
    clusters: &'a [Cluster],
}

impl Known<'_> {
    /// The inventory's spelling of a step name, or the problem with it.
    fn spelling(&self, name: &str, direction: &str) -> Result<String, Problem> {
        if name.eq_ignore_ascii_case(EXTERNAL) {
            return Ok(EXTERNAL.to_string());
        }
        let cluster_names = self.clusters.iter().map(|c| c.name.as_str());
        let host_names = self.hosts.iter().map(|h| h.name.as_str());
        if let Some(found) = cluster_names
            .clone()
            .chain(host_names.clone())
            .find(|known| known.eq_ignore_ascii_case(name))
        {
            return Ok(found.to_string());
        }
        let candidates = cluster_names
            .clone()
            .chain(host_names.clone())
            .chain([EXTERNAL]);
        Err(Problem::UnknownRouteName(Box::new(UnknownRouteName {
            name: name.to_string(),
            route: direction.to_string(),
            closest: suggest::closest(name, candidates, 1).into_iter().next(),
            clusters: cluster_names.map(str::to_string).collect(),
            hosts: host_names.map(str::to_string).collect(),
        })))
    }
}

/// One step: `name { | name } [?]`.
fn read_step(
    value: &Spanned<String>,
    direction: &str,
    text: &str,
    known: &Known,
) -> Result<Step, Located> {
    let written = value.value.as_str();
    let start = Pos::of(value);
    let at = |offset: usize| position::within(text, start, written, offset);
    let step = || written.trim().to_string();

    let trimmed = written.trim_end();
    let (body, optional) = match trimmed.strip_suffix('?') {
        Some(body) => (body, true),
        None => (trimmed, false),
    };
    if let Some(offset) = body.find('?') {
        return Err(Located::new(
            at(offset),
            Problem::MisplacedOptional {
                step: step(),
                route: direction.to_string(),
            },
        ));
    }
    if body.trim().is_empty() {
        return Err(Located::new(
            start,
            Problem::EmptyStep(direction.to_string()),
        ));
    }

    let mut names = Vec::new();
    let mut offset: usize = 0;
    for (index, piece) in body.split('|').enumerate() {
        let name = piece.trim();
        if name.is_empty() {
            // The bar before the empty alternative, or after it for the first.
            let bar = if index == 0 {
                piece.len()
            } else {
                offset.saturating_sub(1)
            };
            return Err(Located::new(
                at(bar),
                Problem::EmptyAlternative {
                    step: step(),
                    route: direction.to_string(),
                },
            ));
        }
        let name_offset = offset + (piece.len() - piece.trim_start().len());
        let spelled = known
            .spelling(name, direction)
            .map_err(|problem| Located::new(at(name_offset), problem))?;
        names.push(spelled);
        offset += piece.len() + 1;
    }
    Ok(Step { names, optional })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use crate::inventory::{
        Env, Inventory, InventoryError, Limits, Problem, Routes, Step, UnknownRouteName,
    };

    /// Eight lines of hosts and clusters; a test's own text starts on line 9.
    const BASE: &str = "\
hosts:
  csmx1:
  csmx2:
  mailer4:
  maildirect1: {aliases: [10.2.9.51, direct.cs.example.edu]}
clusters:
  mx-cluster: [csmx1, csmx2]
  mailer-cluster: [mailer4]
";

    fn load(rest: &str) -> Result<Inventory, InventoryError> {
        let home = tempfile::tempdir().unwrap();
        let env = Env {
            home: Some(home.path().to_path_buf()),
            user: Some("tester".into()),
            cwd: home.path().to_path_buf(),
            inventory: None,
        };
        Inventory::parse_with(&format!("{BASE}{rest}"), Path::new("inventory.yaml"), &env)
    }

    fn parse(rest: &str) -> Inventory {
        load(rest).unwrap()
    }

    /// Line, column and problem of a text that must not load.
    fn invalid(rest: &str) -> (u64, u64, Problem) {
        match load(rest) {
            Err(InventoryError::Invalid {
                line,
                column,
                problem,
                ..
            }) => (line, column, problem),
            other => panic!("expected an invalid inventory, got {other:?}"),
        }
    }

    fn step(names: &[&str], optional: bool) -> Step {
        Step {
            names: names.iter().map(|n| n.to_string()).collect(),
            optional,
        }
    }

    fn inbound(inv: &Inventory) -> Vec<Step> {
        inv.routes.inbound.clone().unwrap().steps
    }

    #[test]
    fn steps_read_alternatives_and_optional_marks() {
        let inv = parse(
            "routes:\n  inbound: [mx-cluster, mailer-cluster|maildirect1, \
             mailer4 ?, csmx1 | External?, MX-Cluster]\n",
        );
        assert_eq!(
            inbound(&inv),
            vec![
                step(&["mx-cluster"], false),
                step(&["mailer-cluster", "maildirect1"], false),
                step(&["mailer4"], true),
                step(&["csmx1", "external"], true),
                step(&["mx-cluster"], false),
            ]
        );
        assert_eq!(inv.routes.outbound, None);
        assert_eq!(inv.routes.internal, None);
    }

    #[test]
    fn block_lists_and_every_direction() {
        let inv = parse(
            "routes:\n  internal:\n    - mx-cluster\n    - \"maildirect1 | external\"\n  \
             outbound: [external]\n  inbound: [csmx2]\n",
        );
        let routes = &inv.routes;
        assert_eq!(
            routes.internal.as_ref().unwrap().describe(),
            "mx-cluster → maildirect1 | external"
        );
        assert_eq!(
            routes.outbound.as_ref().unwrap().steps,
            vec![step(&["external"], false)]
        );
        assert_eq!(
            routes.inbound.as_ref().unwrap().steps,
            vec![step(&["csmx2"], false)]
        );
    }

    #[test]
    fn absent_sections_give_the_defaults() {
        for rest in ["", "routes:\nlimits:\n", "routes: {}\nlimits: {}\n"] {
            let inv = parse(rest);
            assert_eq!(inv.routes, Routes::default(), "{rest:?}");
            assert_eq!(inv.limits, Limits::default(), "{rest:?}");
        }
        let inv = parse("limits:\n  slow_total: 1h\n");
        assert_eq!(
            inv.limits,
            Limits {
                max_hops: 7,
                slow_hop: Duration::from_secs(60),
                slow_total: Duration::from_secs(3600),
            }
        );
        let inv = parse("limits: {max_hops: 12, slow_hop: 90}\n");
        assert_eq!(inv.limits.max_hops, 12);
        assert_eq!(inv.limits.slow_hop, Duration::from_secs(90));
        assert_eq!(inv.limits.slow_total, Duration::from_secs(600));
    }

    #[test]
    fn an_unknown_name_points_at_it_and_lists_what_is_known() {
        let (line, column, problem) = invalid("routes:\n  inbound: [mx-cluster, mailer-clustr]\n");
        assert_eq!((line, column), (10, 25));
        assert_eq!(
            problem,
            Problem::UnknownRouteName(Box::new(UnknownRouteName {
                name: "mailer-clustr".into(),
                route: "inbound".into(),
                closest: Some("mailer-cluster".into()),
                clusters: vec!["mx-cluster".into(), "mailer-cluster".into()],
                hosts: vec![
                    "csmx1".into(),
                    "csmx2".into(),
                    "mailer4".into(),
                    "maildirect1".into()
                ],
            }))
        );
        let err = load("routes:\n  inbound: [mx-cluster, mailer-clustr]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "inventory.yaml:10:25: unknown name `mailer-clustr` in route `inbound`: \
             did you mean `mailer-cluster`? (clusters: mx-cluster, mailer-cluster; \
             hosts: csmx1, csmx2, mailer4, maildirect1; or `external` for any host \
             outside the inventory)"
        );
    }

    #[test]
    fn an_unknown_name_among_alternatives_is_pointed_at_itself() {
        let (line, column, problem) =
            invalid("routes:\n  outbound: [mx-cluster,  csmx1 |  extrenal ?]\n");
        assert_eq!((line, column), (10, 36));
        let Problem::UnknownRouteName(unknown) = problem else {
            panic!("expected an unknown name, got {problem:?}")
        };
        assert_eq!(
            (unknown.name.as_str(), unknown.route.as_str()),
            ("extrenal", "outbound")
        );
        assert_eq!(unknown.closest.as_deref(), Some("external"));
        // Quoted and in a block list.
        let (line, column, _) =
            invalid("routes:\n  internal:\n    - mx-cluster\n    - 'csmx1|csmx3'\n");
        assert_eq!((line, column), (12, 14));
        // An alias is no inventory name.
        let (line, column, problem) = invalid("routes:\n  inbound: [10.2.9.51]\n");
        assert_eq!((line, column), (10, 13));
        assert!(matches!(problem, Problem::UnknownRouteName(ref u) if u.name == "10.2.9.51"));
    }

    #[test]
    fn columns_count_characters() {
        let text = "hosts:\n  é:\n  a:\nroutes:\n  inbound: [é, a | nope]\n";
        let home = tempfile::tempdir().unwrap();
        let env = Env {
            home: Some(home.path().to_path_buf()),
            user: None,
            cwd: home.path().to_path_buf(),
            inventory: None,
        };
        match Inventory::parse_with(text, Path::new("i.yaml"), &env) {
            Err(InventoryError::Invalid { line, column, .. }) => {
                assert_eq!((line, column), (5, 20))
            }
            other => panic!("expected an invalid inventory, got {other:?}"),
        }
    }

    #[test]
    fn empty_steps() {
        let route = |p: &Problem| matches!(p, Problem::EmptyStep(r) if r == "inbound");
        for rest in [
            "routes:\n  inbound: [csmx1, \"\"]\n",
            "routes:\n  inbound: [csmx1, \"?\"]\n",
            "routes:\n  inbound: [csmx1, \" ? \"]\n",
            "routes:\n  inbound: [csmx1, ?]\n",
        ] {
            let (line, column, problem) = invalid(rest);
            assert_eq!((line, column), (10, 20), "{rest:?}");
            assert!(route(&problem), "{rest:?}: {problem:?}");
        }
        let (line, column, problem) = invalid("routes:\n  inbound:\n    - csmx1\n    - ''\n");
        assert_eq!((line, column), (12, 7));
        assert!(route(&problem));
    }

    #[test]
    fn empty_alternatives_point_at_their_bar() {
        let cases = [
            ("routes:\n  inbound: [mx-cluster||csmx1]\n", 23),
            ("routes:\n  inbound: [mx-cluster | | csmx1]\n", 24),
            ("routes:\n  inbound: [\"|csmx1\"]\n", 14),
            ("routes:\n  inbound: [\" | csmx1\"]\n", 15),
            ("routes:\n  inbound: [mx-cluster |]\n", 24),
            ("routes:\n  inbound: [mx-cluster|?]\n", 23),
        ];
        for (rest, column) in cases {
            let (line, at, problem) = invalid(rest);
            assert_eq!((line, at), (10, column), "{rest:?}");
            assert!(
                matches!(problem, Problem::EmptyAlternative { ref route, .. } if route == "inbound"),
                "{rest:?}: {problem:?}"
            );
        }
        let (_, _, problem) = invalid("routes:\n  inbound: [mx-cluster||csmx1]\n");
        assert_eq!(
            problem.to_string(),
            "empty alternative in step `mx-cluster||csmx1` of route `inbound`: \
             write a name on each side of `|`"
        );
    }

    #[test]
    fn a_question_mark_must_end_its_step() {
        let (line, column, problem) = invalid("routes:\n  inbound: [mx-cluster? | csmx1]\n");
        assert_eq!((line, column), (10, 23));
        assert_eq!(
            problem,
            Problem::MisplacedOptional {
                step: "mx-cluster? | csmx1".into(),
                route: "inbound".into()
            }
        );
        let (line, column, problem) = invalid("routes:\n  internal: [\"csmx1??\"]\n");
        assert_eq!((line, column), (10, 20));
        assert!(matches!(problem, Problem::MisplacedOptional { .. }));
    }

    #[test]
    fn an_empty_route_points_at_its_direction() {
        assert_eq!(
            invalid("routes:\n  inbound: []\n"),
            (10, 3, Problem::EmptyRoute("inbound".into()))
        );
        assert_eq!(
            invalid("routes:\n  inbound: [csmx1]\n  outbound:\n"),
            (11, 3, Problem::EmptyRoute("outbound".into()))
        );
    }

    #[test]
    fn only_the_three_directions_are_keys() {
        let (line, column, problem) = invalid("routes:\n  inbound: [csmx1]\n  inbond: [csmx1]\n");
        assert_eq!((line, column), (11, 3));
        assert_eq!(
            problem,
            Problem::UnknownKey {
                key: "inbond".into(),
                section: "`routes`".into(),
                expected: vec!["inbound".into(), "outbound".into(), "internal".into()],
            }
        );
        let (line, column, problem) = invalid("routes:\n  inbound: [csmx1]\n  inbound: [csmx2]\n");
        assert_eq!((line, column), (11, 3));
        assert!(matches!(problem, Problem::DuplicateKey { ref key, .. } if key == "inbound"));
    }

    #[test]
    fn limits_are_checked() {
        let (line, column, problem) = invalid("limits:\n  max_hops: 5\n  max_hop: 3\n");
        assert_eq!((line, column), (11, 3));
        assert!(
            matches!(problem, Problem::UnknownKey { ref key, ref section, ref expected }
                if key == "max_hop" && section == "`limits`" && expected.len() == 3),
            "{problem:?}"
        );
        assert_eq!(
            invalid("limits:\n  max_hops: 0\n"),
            (10, 13, Problem::MaxHopsZero)
        );
        let (line, column, problem) = invalid("limits:\n  max_hops: -1\n");
        assert_eq!((line, column), (10, 13));
        assert!(matches!(problem, Problem::Syntax(_)), "{problem:?}");
        let (line, column, problem) = invalid("limits:\n  slow_hop: soon\n");
        assert_eq!((line, column), (10, 13));
        assert!(matches!(problem, Problem::BadDuration { ref key, .. } if key == "slow_hop"));
        let (line, column, problem) = invalid("limits:\n  slow_total: 0s\n");
        assert_eq!((line, column), (10, 15));
        assert!(matches!(problem, Problem::BadDuration { ref key, .. } if key == "slow_total"));
    }
}

//! The names hosts are known by: each host's aliases, checked to be unique
//! across hosts, and the clusters, checked to list known hosts.

use std::collections::HashMap;
use std::net::IpAddr;

use serde_saphyr::Spanned;

use super::error::{Located, Problem};
use super::position::Pos;
use super::schema::RawCluster;
use super::{normalize, suggest, Cluster, Host};

/// The names one host claims before they are checked.
#[derive(Debug, Clone, Default)]
pub struct Claims {
    /// Its name and the aliases written for it, with their positions: these
    /// must not be claimed by another host.
    pub written: Vec<(String, Pos)>,
    /// Names derived from others (the address, and the short forms of a
    /// dotted name and a dotted address):
    /// kept only where no other host claims them.
    pub derived: Vec<String>,
}

impl Claims {
    /// The claims of a host called `name`, with `aliases` written for it and
    /// reached at `address` (none for a local host).
    pub fn new(name: (&str, Pos), aliases: Vec<(String, Pos)>, address: Option<&str>) -> Claims {
        let name_key = normalize(name.0);
        let address = address.map(normalize);
        let mut derived: Vec<String> = address.iter().cloned().collect();
        derived.extend(short_form(&name_key));
        derived.extend(address.as_deref().and_then(short_form));
        let mut written = vec![(name_key, name.1)];
        written.extend(aliases.into_iter().map(|(a, pos)| (normalize(&a), pos)));
        Claims { written, derived }
    }
}

/// `csmx1` for `csmx1.test.cs.example.edu`; nothing for IP addresses and
/// undotted names.
fn short_form(name: &str) -> Option<String> {
    if name.parse::<IpAddr>().is_ok() {
        return None;
    }
    let (first, rest) = name.split_once('.')?;
    (!first.is_empty() && !rest.is_empty()).then(|| first.to_string())
}

/// Each host's aliases, in the order: name, written aliases, derived names.
/// A name written for two hosts is an error; a derived name that another
/// host also claims is dropped.
pub fn assign_aliases(names: &[&str], claims: &[Claims]) -> Result<Vec<Vec<String>>, Located> {
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (index, claim) in claims.iter().enumerate() {
        for (alias, pos) in &claim.written {
            match owner.get(alias.as_str()) {
                Some(&first) if first != index => {
                    return Err(Located::new(
                        *pos,
                        Problem::DuplicateAlias {
                            alias: alias.clone(),
                            first: names[first].to_string(),
                            second: names[index].to_string(),
                        },
                    ));
                }
                _ => {
                    owner.insert(alias, index);
                }
            }
        }
    }
    let mut derivers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, claim) in claims.iter().enumerate() {
        for alias in &claim.derived {
            let hosts = derivers.entry(alias).or_default();
            if !hosts.contains(&index) {
                hosts.push(index);
            }
        }
    }
    let aliases = claims
        .iter()
        .enumerate()
        .map(|(index, claim)| {
            let mut list: Vec<String> = Vec::new();
            let kept_derived =
                claim
                    .derived
                    .iter()
                    .filter(|alias| match owner.get(alias.as_str()) {
                        Some(&o) => o == index,
                        None => derivers
                            .get(alias.as_str())
                            .is_some_and(|d| d.as_slice() == [index]),
                    });
            for alias in claim.written.iter().map(|(a, _)| a).chain(kept_derived) {
                if !list.contains(alias) {
                    list.push(alias.clone());
                }
            }
            list
        })
        .collect();
    Ok(aliases)
}

/// Checks the clusters against the hosts and writes them with the hosts'
/// inventory names (a cluster may list a host by an alias).
pub fn resolve_clusters(
    raw: Vec<(Spanned<String>, RawCluster)>,
    hosts: &[Host],
) -> Result<Vec<Cluster>, Located> {
    let mut clusters = Vec::with_capacity(raw.len());
    for (name, members) in raw {
        let cluster = name.value.trim().to_string();
        let at = Pos::of(&name);
        if cluster.is_empty() {
            return Err(Located::new(at, Problem::Empty("cluster name".into())));
        }
        if hosts.iter().any(|h| h.name.eq_ignore_ascii_case(&cluster)) {
            return Err(Located::new(at, Problem::ClusterNamedLikeHost(cluster)));
        }
        let members = members.unwrap_or_default();
        if members.is_empty() {
            return Err(Located::new(at, Problem::EmptyCluster(cluster)));
        }
        let mut listed: Vec<String> = Vec::with_capacity(members.len());
        for member in &members {
            let host = find(hosts, &member.value).ok_or_else(|| {
                let known = suggest::closest(
                    &member.value,
                    hosts.iter().map(|h| h.name.as_str()),
                    hosts.len(),
                );
                Located::new(
                    Pos::of(member),
                    Problem::UnknownClusterHost {
                        host: member.value.clone(),
                        cluster: cluster.clone(),
                        known,
                    },
                )
            })?;
            if !listed.contains(&host.name) {
                listed.push(host.name.clone());
            }
        }
        clusters.push(Cluster {
            name: cluster,
            hosts: listed,
        });
    }
    Ok(clusters)
}

/// The host with this exact name, else the one with this alias.
fn find<'a>(hosts: &'a [Host], name: &str) -> Option<&'a Host> {
    let wanted = normalize(name);
    hosts
        .iter()
        .find(|h| h.name == name.trim())
        .or_else(|| hosts.iter().find(|h| h.aliases.contains(&wanted)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u64) -> Pos {
        Pos { line, column: 3 }
    }

    #[test]
    fn short_forms_skip_addresses() {
        assert_eq!(
            short_form("csmx1.test.cs.example.edu").as_deref(),
            Some("csmx1")
        );
        assert_eq!(short_form("10.2.9.11"), None);
        assert_eq!(short_form("csmx1"), None);
        assert_eq!(short_form(".x"), None);
    }

    #[test]
    fn aliases_include_name_written_aliases_and_derived_names() {
        let claims = vec![Claims::new(
            ("csmx1", at(1)),
            vec![
                ("CSMX1.test.cs.example.edu".into(), at(2)),
                ("10.2.9.11".into(), at(2)),
            ],
            Some("mx-a.cs.example.edu"),
        )];
        let aliases = assign_aliases(&["csmx1"], &claims).unwrap();
        assert_eq!(
            aliases[0],
            vec![
                "csmx1",
                "csmx1.test.cs.example.edu",
                "10.2.9.11",
                "mx-a.cs.example.edu",
                "mx-a"
            ]
        );
    }

    #[test]
    fn a_written_alias_of_two_hosts_is_an_error() {
        let claims = vec![
            Claims::new(("csmx1", at(1)), vec![("10.2.9.11".into(), at(2))], None),
            Claims::new(("csmx2", at(3)), vec![("10.2.9.11".into(), at(4))], None),
        ];
        let err = assign_aliases(&["csmx1", "csmx2"], &claims).unwrap_err();
        assert_eq!(err.pos, at(4));
        assert_eq!(
            err.problem,
            Problem::DuplicateAlias {
                alias: "10.2.9.11".into(),
                first: "csmx1".into(),
                second: "csmx2".into()
            }
        );
    }

    #[test]
    fn shared_derived_names_are_dropped() {
        let claims = vec![
            Claims::new(
                ("mail.a.example.edu", at(1)),
                vec![],
                Some("gw.example.edu"),
            ),
            Claims::new(
                ("mail.b.example.edu", at(2)),
                vec![("gw".into(), at(3))],
                Some("gw.example.edu"),
            ),
        ];
        let aliases =
            assign_aliases(&["mail.a.example.edu", "mail.b.example.edu"], &claims).unwrap();
        assert_eq!(aliases[0], vec!["mail.a.example.edu"]);
        assert_eq!(aliases[1], vec!["mail.b.example.edu", "gw"]);
    }
}

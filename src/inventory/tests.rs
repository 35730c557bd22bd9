//! Tests of the whole inventory: the example file, precedence of settings,
//! errors with their positions, and name lookups.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

const EXAMPLE: &str = include_str!("../../inventory.yaml.example");

/// An environment whose home is `home`, with no SSH configuration unless the
/// test writes one.
fn env_at(home: &Path) -> Env {
    Env {
        home: Some(home.to_path_buf()),
        user: Some("tester".into()),
        cwd: home.to_path_buf(),
        inventory: None,
    }
}

fn parse_in(home: &Path, text: &str) -> Result<Inventory, InventoryError> {
    Inventory::parse_with(
        text,
        Path::new("/etc/mailtrace/inventory.yaml"),
        &env_at(home),
    )
}

fn parse(text: &str) -> Inventory {
    let home = tempfile::tempdir().unwrap();
    parse_in(home.path(), text).unwrap()
}

/// The line, column and problem of a text that must not load.
fn invalid(text: &str) -> (u64, u64, Problem) {
    let home = tempfile::tempdir().unwrap();
    match Inventory::parse_with(text, Path::new("inventory.yaml"), &env_at(home.path())) {
        Err(InventoryError::Invalid {
            line,
            column,
            problem,
            ..
        }) => (line, column, problem),
        other => panic!("expected an invalid inventory, got {other:?}"),
    }
}

fn names(hosts: &[&Host]) -> Vec<String> {
    hosts.iter().map(|h| h.name.clone()).collect()
}

// --- the example file ---

#[test]
fn the_example_loads() {
    let home = tempfile::tempdir().unwrap();
    let inv = parse_in(home.path(), EXAMPLE).unwrap();
    let all: Vec<&str> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        all,
        vec![
            "csmx1",
            "csmx2",
            "csmail1",
            "csmail2",
            "mailer4",
            "maillist1",
            "maillist2",
            "maildirect1",
            "csmwproxy1",
            "mxlog"
        ]
    );
    let clusters: Vec<(&str, Vec<&str>)> = inv
        .clusters
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.hosts.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        clusters,
        vec![
            ("mx-cluster", vec!["csmx1", "csmx2"]),
            ("smtp-cluster", vec!["csmail1", "csmail2"]),
            ("mailer-cluster", vec!["mailer4"]),
            ("maillist-cluster", vec!["maillist1", "maillist2"]),
        ]
    );
    assert_eq!(inv.zone, Zone::parse("Asia/Taipei").unwrap());
    assert_eq!(inv.local_domains, vec!["cs.example.edu"]);
    assert_eq!(inv.concurrency, 32);

    let csmx1 = inv.host("csmx1").unwrap();
    assert_eq!(
        csmx1.address,
        Address::Ssh {
            host: "csmx1.test.cs.example.edu".into(),
            port: 22
        }
    );
    assert_eq!(csmx1.user, "mailtrace");
    assert_eq!(
        csmx1.identity_files,
        vec![home.path().join(".ssh/id_ed25519")]
    );
    assert_eq!(csmx1.known_hosts, home.path().join(".ssh/known_hosts"));
    assert_eq!(
        csmx1.aliases,
        vec!["csmx1", "10.2.9.11", "csmx1.test.cs.example.edu"]
    );
    assert_eq!(csmx1.clusters, vec!["mx-cluster"]);
    assert_eq!(csmx1.zone, inv.zone);
    assert!(!csmx1.sudo);

    assert_eq!(
        inv.host("mailer4").unwrap().address.to_string(),
        "mailer4.test.cs.example.edu:2222"
    );

    let tracked: Vec<&str> = inv.tracked_hosts().map(|h| h.name.as_str()).collect();
    assert_eq!(tracked.len(), 8);
    assert!(!tracked.contains(&"mxlog") && !tracked.contains(&"csmwproxy1"));
    assert!(inv.host("mxlog").unwrap().clusters.is_empty());
}

#[test]
fn the_example_merges_the_smtp_settings() {
    let inv = parse(EXAMPLE);
    let csmail1 = inv.host("csmail1").unwrap();
    let csmail2 = inv.host("csmail2").unwrap();
    for host in [csmail1, csmail2] {
        assert!(host.sudo);
        assert_eq!(host.command_timeout, Duration::from_secs(300));
        assert_eq!(host.logs, vec!["/var/log/maillog*", "/var/log/mail.log*"]);
    }
    assert_eq!(
        csmail2.address,
        Address::Ssh {
            host: "csmail2.test.cs.example.edu".into(),
            port: 22
        }
    );
    assert_eq!(
        csmail2.aliases,
        vec!["csmail2", "10.2.9.22", "csmail2.test.cs.example.edu"]
    );
    assert_eq!(
        inv.find_host("smtp.cs.example.edu").unwrap().name,
        "csmail1"
    );
}

// --- defaults and precedence ---

#[test]
fn built_in_defaults_fill_an_empty_entry() {
    let home = tempfile::tempdir().unwrap();
    let inv = parse_in(home.path(), "hosts:\n  relay.cs.example.edu:\n").unwrap();
    let h = &inv.hosts[0];
    assert_eq!(
        h.address,
        Address::Ssh {
            host: "relay.cs.example.edu".into(),
            port: 22
        }
    );
    assert_eq!(h.user, "tester");
    let ssh = home.path().join(".ssh");
    assert_eq!(
        h.identity_files,
        vec![
            ssh.join("id_ed25519"),
            ssh.join("id_ecdsa"),
            ssh.join("id_rsa")
        ]
    );
    assert!(h.use_agent);
    assert_eq!(h.password_env, None);
    assert_eq!(h.known_hosts, ssh.join("known_hosts"));
    assert_eq!(h.host_key_policy, HostKeyPolicy::Strict);
    assert!(!h.sudo);
    assert_eq!(h.logs, vec!["/var/log/maillog*", "/var/log/mail.log*"]);
    assert_eq!(h.zone, Zone::Local);
    assert_eq!(h.connect_timeout, Duration::from_secs(10));
    assert_eq!(h.command_timeout, Duration::from_secs(120));
    assert_eq!(h.aliases, vec!["relay.cs.example.edu", "relay"]);
    assert!(h.tracked);
    assert_eq!(inv.zone, Zone::Local);
    assert_eq!(inv.concurrency, 32);
    assert!(inv.clusters.is_empty());
}

#[test]
fn the_user_falls_back_to_root() {
    let home = tempfile::tempdir().unwrap();
    let env = Env {
        user: None,
        ..env_at(home.path())
    };
    let inv = Inventory::parse_with("hosts: {a: {}}\n", Path::new("i.yaml"), &env).unwrap();
    assert_eq!(inv.hosts[0].user, "root");
}

const SSH_CONFIG: &str = "\
Host viassh
    HostName 10.2.9.99
    User sshuser
    Port 2200
    IdentityFile ~/.ssh/from_ssh_config

Host *
    User anyone
";

#[test]
fn ssh_config_beats_built_in_defaults() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("ssh_config");
    std::fs::write(&config, SSH_CONFIG).unwrap();
    let text = format!(
        "defaults:\n  ssh_config: {}\nhosts:\n  viassh: {{}}\n  other: {{}}\n  named: {{address: x.example.edu}}\n",
        config.display()
    );
    let inv = parse_in(home.path(), &text).unwrap();
    let via = inv.host("viassh").unwrap();
    assert_eq!(
        via.address,
        Address::Ssh {
            host: "10.2.9.99".into(),
            port: 2200
        }
    );
    assert_eq!(via.user, "sshuser");
    assert_eq!(
        via.identity_files,
        vec![home.path().join(".ssh/from_ssh_config")]
    );
    assert!(via.aliases.contains(&"10.2.9.99".to_string()));
    let other = inv.host("other").unwrap();
    assert_eq!(other.user, "anyone");
    assert_eq!(other.identity_files.len(), 3);
    assert_eq!(inv.host("named").unwrap().user, "anyone");
}

#[test]
fn defaults_beat_ssh_config_and_host_entries_beat_defaults() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("ssh_config");
    std::fs::write(&config, SSH_CONFIG).unwrap();
    let text = format!(
        "\
defaults:
  ssh_config: {}
  user: fromdefaults
  port: 2022
  identity_files: [~/.ssh/from_defaults]
hosts:
  viassh: {{}}
  own:
    address: viassh
    user: fromhost
    port: 2122
    identity_files: [keys/own]
",
        config.display()
    );
    let inv = parse_in(home.path(), &text).unwrap();
    let via = inv.host("viassh").unwrap();
    assert_eq!(
        via.address,
        Address::Ssh {
            host: "10.2.9.99".into(),
            port: 2022
        }
    );
    assert_eq!(via.user, "fromdefaults");
    assert_eq!(
        via.identity_files,
        vec![home.path().join(".ssh/from_defaults")]
    );
    let own = inv.host("own").unwrap();
    // An address written in the inventory is used as written, not replaced by HostName.
    assert_eq!(
        own.address,
        Address::Ssh {
            host: "viassh".into(),
            port: 2122
        }
    );
    assert_eq!(own.user, "fromhost");
    assert_eq!(
        own.identity_files,
        vec![PathBuf::from("/etc/mailtrace/keys/own")]
    );
}

#[test]
fn host_settings_override_every_default() {
    let text = "\
defaults:
  use_agent: true
  password_env: MAILTRACE_SSH_PASSWORD
  known_hosts: /etc/ssh/known
  host_key_policy: strict
  sudo: false
  logs: [/var/log/maillog]
  timezone: UTC
  connect_timeout: 5s
  command_timeout: 1m
  concurrency: 4
hosts:
  plain: {}
  special:
    use_agent: false
    password_env: OTHER_PASSWORD
    known_hosts: ~/known
    host_key_policy: accept-new
    sudo: true
    logs: [/var/log/mail/*.log]
    timezone: \"+08:00\"
    connect_timeout: 30
    command_timeout: 1h30m
";
    let home = tempfile::tempdir().unwrap();
    let inv = parse_in(home.path(), text).unwrap();
    assert_eq!(inv.concurrency, 4);
    let plain = inv.host("plain").unwrap();
    assert!(plain.use_agent);
    assert_eq!(
        plain.password_env.as_deref(),
        Some("MAILTRACE_SSH_PASSWORD")
    );
    assert_eq!(plain.known_hosts, PathBuf::from("/etc/ssh/known"));
    assert_eq!(plain.logs, vec!["/var/log/maillog"]);
    assert_eq!(plain.zone, Zone::parse("UTC").unwrap());
    assert_eq!(plain.connect_timeout, Duration::from_secs(5));
    assert_eq!(plain.command_timeout, Duration::from_secs(60));
    let special = inv.host("special").unwrap();
    assert!(!special.use_agent);
    assert_eq!(special.password_env.as_deref(), Some("OTHER_PASSWORD"));
    assert_eq!(special.known_hosts, home.path().join("known"));
    assert_eq!(special.host_key_policy, HostKeyPolicy::AcceptNew);
    assert!(special.sudo);
    assert_eq!(special.logs, vec!["/var/log/mail/*.log"]);
    assert_eq!(special.zone, Zone::parse("+08:00").unwrap());
    assert_eq!(special.connect_timeout, Duration::from_secs(30));
    assert_eq!(special.command_timeout, Duration::from_secs(5400));
}

#[test]
fn debug_of_a_host_shows_only_the_password_variable_name() {
    let inv = parse("hosts:\n  a: {password_env: MAILTRACE_SSH_PASSWORD}\n");
    let shown = format!("{:?}", inv.hosts[0]);
    assert!(
        shown.contains("password_env: Some(\"MAILTRACE_SSH_PASSWORD\")"),
        "{shown}"
    );
}

// --- YAML features ---

#[test]
fn anchors_and_merge_keys_work() {
    let text = "\
hosts:
  base1: &relay
    user: relay
    port: 2525
    logs: &logs [/srv/log/mail*]
    timezone: Europe/Berlin
  base2:
    <<: *relay
    port: 2626
  base3:
    logs: *logs
";
    let inv = parse(text);
    let base2 = inv.host("base2").unwrap();
    assert_eq!(base2.user, "relay");
    assert_eq!(
        base2.address,
        Address::Ssh {
            host: "base2".into(),
            port: 2626
        }
    );
    assert_eq!(base2.logs, vec!["/srv/log/mail*"]);
    assert_eq!(base2.zone, Zone::parse("Europe/Berlin").unwrap());
    assert_eq!(inv.host("base3").unwrap().logs, vec!["/srv/log/mail*"]);
}

#[test]
fn a_bad_value_pulled_in_by_a_merge_key_points_at_the_merge() {
    let text = "hosts:\n  a: &t\n    address: local\n  b:\n    <<: *t\n    address: b.example.edu\n    port: 0\n";
    assert_eq!(invalid(text), (7, 11, Problem::PortZero));
    let text = "hosts:\n  a: {timezone: UTC}\n  b: &t\n    timezone: Nowhere/Land\n";
    assert_eq!(invalid(text).0, 4);
}

#[test]
fn empty_entries_in_both_spellings() {
    let inv = parse("hosts:\n  a:\n  b: {}\n");
    assert_eq!(inv.hosts.len(), 2);
    assert_eq!(
        inv.hosts[0].address,
        Address::Ssh {
            host: "a".into(),
            port: 22
        }
    );
}

#[test]
fn local_address_reads_this_machine() {
    let home = tempfile::tempdir().unwrap();
    let inv = parse_in(
        home.path(),
        "hosts:\n  here:\n    address: local\n    logs: [~/maillog, /var/log/maillog]\n",
    )
    .unwrap();
    let here = inv.host("here").unwrap();
    assert_eq!(here.address, Address::Local);
    assert_eq!(here.address.to_string(), "local");
    assert_eq!(
        here.logs,
        vec![
            format!("{}/maillog", home.path().display()),
            "/var/log/maillog".into()
        ]
    );
    assert_eq!(here.aliases, vec!["here"]);
}

#[test]
fn tilde_expands_to_the_given_home() {
    let home = tempfile::tempdir().unwrap();
    let text = "defaults:\n  known_hosts: ~/kh\nhosts:\n  a:\n    identity_files: [~/.ssh/a, /abs/b, rel/c]\n";
    let inv = parse_in(home.path(), text).unwrap();
    let a = &inv.hosts[0];
    assert_eq!(a.known_hosts, home.path().join("kh"));
    assert_eq!(
        a.identity_files,
        vec![
            home.path().join(".ssh/a"),
            PathBuf::from("/abs/b"),
            PathBuf::from("/etc/mailtrace/rel/c")
        ]
    );
}

#[test]
fn load_reads_a_file_and_reports_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.yaml");
    std::fs::write(&path, "hosts:\n  a: {address: local}\n").unwrap();
    let inv = Inventory::load(&path).unwrap();
    assert_eq!(inv.path, path);
    assert_eq!(inv.hosts[0].address, Address::Local);
    let missing = dir.path().join("missing.yaml");
    let err = Inventory::load(&missing).unwrap_err();
    assert!(matches!(err, InventoryError::Read { ref path, .. } if *path == missing));
    assert!(err
        .to_string()
        .starts_with(&format!("{}: cannot read", missing.display())));
}

// --- errors, each with its position ---

#[test]
fn yaml_syntax_errors_have_a_position() {
    let (line, column, problem) = invalid("hosts:\n  a: {port: 22\n  b: {}\n");
    assert!(matches!(problem, Problem::Syntax(_)), "{problem:?}");
    assert!(line >= 2, "line {line}");
    assert!(column >= 1);
    let (line, column, problem) = invalid("hosts:\n  a:\n    port: [22\n");
    assert!(matches!(problem, Problem::Syntax(_)), "{problem:?}");
    assert_eq!((line, column), (3, 11));
}

#[test]
fn type_errors_have_a_position() {
    let (line, column, problem) = invalid("hosts:\n  a:\n    port: 70000\n");
    assert_eq!((line, column), (3, 11));
    assert!(matches!(problem, Problem::Syntax(_)));
    let (line, column, _) = invalid("hosts:\n  a:\n    sudo: maybe\n");
    assert_eq!((line, column), (3, 11));
}

#[test]
fn unknown_keys_name_the_key_and_where_it_is() {
    let (line, column, problem) = invalid("hosts:\n  csmx1:\n    adress: x\n");
    assert_eq!((line, column), (3, 5));
    let Problem::UnknownKey {
        key,
        section,
        expected,
    } = problem
    else {
        panic!("expected an unknown key")
    };
    assert_eq!(key, "adress");
    assert_eq!(section, "`hosts.csmx1`");
    assert!(expected.contains(&"address".to_string()));

    let (line, column, problem) =
        invalid("defaults:\n  user: a\n  concurency: 3\nhosts: {a: {}}\n");
    assert_eq!((line, column), (3, 3));
    assert!(
        matches!(problem, Problem::UnknownKey { ref key, ref section, .. } if key == "concurency" && section == "`defaults`")
    );

    let (line, column, problem) = invalid("hosts: {a: {}}\ncluster: {}\n");
    assert_eq!((line, column), (2, 1));
    assert!(
        matches!(problem, Problem::UnknownKey { ref key, ref section, .. } if key == "cluster" && section == "the top level")
    );

    // Run-wide settings are not host settings.
    let (line, _, problem) = invalid("hosts:\n  a:\n    concurrency: 3\n");
    assert_eq!(line, 3);
    assert!(matches!(problem, Problem::UnknownKey { ref key, .. } if key == "concurrency"));
}

#[test]
fn unknown_host_in_a_cluster() {
    let text = "hosts:\n  csmx1:\n  csmx2:\n  csmail1:\nclusters:\n  mx-cluster: [csmx1, csmx3]\n";
    let (line, column, problem) = invalid(text);
    assert_eq!((line, column), (6, 23));
    assert_eq!(
        problem,
        Problem::UnknownClusterHost {
            host: "csmx3".into(),
            cluster: "mx-cluster".into(),
            known: vec!["csmx1".into(), "csmx2".into(), "csmail1".into()],
        }
    );
    let home = tempfile::tempdir().unwrap();
    let err =
        Inventory::parse_with(text, Path::new("inventory.yaml"), &env_at(home.path())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "inventory.yaml:6:23: unknown host `csmx3` in cluster `mx-cluster` (known hosts: csmx1, csmx2, csmail1)"
    );
}

#[test]
fn clusters_may_list_hosts_by_alias_and_must_not_be_empty() {
    let inv =
        parse("hosts:\n  csmx1: {aliases: [10.2.9.11]}\nclusters:\n  mx: [10.2.9.11, csmx1]\n");
    assert_eq!(inv.clusters[0].hosts, vec!["csmx1"]);
    assert_eq!(
        invalid("hosts:\n  a:\nclusters:\n  mx: []\n"),
        (4, 3, Problem::EmptyCluster("mx".into()))
    );
    assert_eq!(
        invalid("hosts:\n  a:\nclusters:\n  mx:\n"),
        (4, 3, Problem::EmptyCluster("mx".into()))
    );
    assert_eq!(
        invalid("hosts:\n  a:\nclusters:\n  A: [a]\n"),
        (4, 3, Problem::ClusterNamedLikeHost("A".into()))
    );
}

#[test]
fn an_alias_claimed_by_two_hosts_names_both() {
    let text =
        "hosts:\n  csmx1:\n    aliases: [10.2.9.11]\n  csmx2:\n    aliases: [mx2, 10.2.9.11]\n";
    assert_eq!(
        invalid(text),
        (
            5,
            20,
            Problem::DuplicateAlias {
                alias: "10.2.9.11".into(),
                first: "csmx1".into(),
                second: "csmx2".into()
            }
        )
    );
    // A host's name counts as one of its aliases, whatever its case.
    let text = "hosts:\n  csmx1:\n  csmx2:\n    aliases: [CSMX1]\n";
    let (line, column, problem) = invalid(text);
    assert_eq!((line, column), (4, 15));
    assert!(matches!(problem, Problem::DuplicateAlias { ref alias, .. } if alias == "csmx1"));
}

#[test]
fn bad_timezones() {
    let (line, column, problem) = invalid("hosts:\n  a:\n    timezone: Asia/Taipie\n");
    assert_eq!((line, column), (3, 15));
    assert!(matches!(problem, Problem::BadTimezone(ref m) if m.contains("Asia/Taipie")));
    // A mistake in `defaults:` is reported even when every host overrides it.
    let (line, column, problem) =
        invalid("defaults:\n  timezone: nowhere\nhosts:\n  a: {timezone: UTC}\n");
    assert_eq!((line, column), (2, 13));
    assert!(matches!(problem, Problem::BadTimezone(_)));
}

#[test]
fn bad_durations() {
    let (line, column, problem) =
        invalid("defaults:\n  connect_timeout: 10 seconds\nhosts: {a: {}}\n");
    assert_eq!((line, column), (2, 20));
    assert!(matches!(problem, Problem::BadDuration { ref key, .. } if key == "connect_timeout"));
    let (line, column, problem) = invalid("hosts:\n  a:\n    command_timeout: 0s\n");
    assert_eq!((line, column), (3, 22));
    assert!(matches!(problem, Problem::BadDuration { ref key, .. } if key == "command_timeout"));
}

#[test]
fn empty_logs() {
    assert_eq!(
        invalid("hosts:\n  a:\n    logs: []\n"),
        (3, 11, Problem::EmptyLogs)
    );
    assert_eq!(
        invalid("defaults:\n  logs: []\nhosts: {a: {}}\n"),
        (2, 9, Problem::EmptyLogs)
    );
}

#[test]
fn bad_host_key_policy() {
    assert_eq!(
        invalid("hosts:\n  a:\n    host_key_policy: trust-me\n"),
        (3, 22, Problem::BadHostKeyPolicy("trust-me".into()))
    );
}

#[test]
fn port_zero() {
    assert_eq!(
        invalid("hosts:\n  a:\n    port: 0\n"),
        (3, 11, Problem::PortZero)
    );
    assert_eq!(
        invalid("defaults:\n  port: 0\nhosts:\n  a:\n"),
        (2, 9, Problem::PortZero)
    );
}

#[test]
fn concurrency_zero() {
    assert_eq!(
        invalid("defaults:\n  concurrency: 0\nhosts:\n  a:\n"),
        (2, 16, Problem::ConcurrencyZero)
    );
}

#[test]
fn no_hosts_at_all() {
    assert_eq!(
        invalid("local_domains: [x]\nhosts: {}\n"),
        (2, 1, Problem::NoHosts)
    );
    assert_eq!(
        invalid("local_domains: [x]\nhosts:\n"),
        (2, 1, Problem::NoHosts)
    );
    assert_eq!(invalid("local_domains: [x]\n"), (1, 1, Problem::NoHosts));
    assert_eq!(invalid(""), (1, 1, Problem::NoHosts));
}

#[test]
fn other_bad_values() {
    assert_eq!(
        invalid("hosts:\n  a:\n    password_env: \"my secret\"\n"),
        (3, 19, Problem::BadEnvName("my secret".into()))
    );
    assert_eq!(
        invalid("hosts:\n  a:\n    user: \"\"\n"),
        (3, 11, Problem::Empty("user".into()))
    );
    assert_eq!(
        invalid("hosts:\n  a:\n    address: \" \"\n"),
        (3, 14, Problem::Empty("address".into()))
    );
}

#[test]
fn a_broken_ssh_config_points_at_its_setting() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("ssh_config");
    std::fs::write(&config, "Host a\n    Port notaport\n").unwrap();
    let text = format!(
        "defaults:\n  ssh_config: {}\nhosts:\n  a:\n",
        config.display()
    );
    match parse_in(home.path(), &text) {
        Err(InventoryError::Invalid {
            line: 2,
            column: 15,
            problem: Problem::SshConfig { path, .. },
            ..
        }) => {
            assert_eq!(path, config)
        }
        other => panic!("expected an SSH configuration error, got {other:?}"),
    }
}

#[test]
fn a_missing_ssh_config_is_ignored() {
    let inv = parse("defaults:\n  ssh_config: /nonexistent/ssh_config\nhosts:\n  a:\n");
    assert_eq!(inv.hosts[0].user, "tester");
}

// --- lookups ---

#[test]
fn resolve_target_by_cluster_host_alias_and_ip() {
    let inv = parse(EXAMPLE);
    assert_eq!(
        names(&inv.resolve_target("mx-cluster").unwrap()),
        vec!["csmx1", "csmx2"]
    );
    assert_eq!(
        names(&inv.resolve_target("MX-Cluster").unwrap()),
        vec!["csmx1", "csmx2"]
    );
    assert_eq!(
        names(&inv.resolve_target("maillist2").unwrap()),
        vec!["maillist2"]
    );
    assert_eq!(
        names(&inv.resolve_target("lists.cs.example.edu").unwrap()),
        vec!["maillist1"]
    );
    assert_eq!(
        names(&inv.resolve_target("10.2.9.22").unwrap()),
        vec!["csmail2"]
    );
    assert_eq!(
        names(&inv.resolve_target("csmx2.test.cs.example.edu.").unwrap()),
        vec!["csmx2"]
    );
    assert_eq!(names(&inv.resolve_target("mxlog").unwrap()), vec!["mxlog"]);
}

#[test]
fn resolve_target_suggests_the_closest_names() {
    let inv = parse(EXAMPLE);
    let err = inv.resolve_target("csmx3").unwrap_err();
    let InventoryError::UnknownTarget {
        target,
        closest,
        clusters,
        ..
    } = &err
    else {
        panic!("expected an unknown target, got {err:?}")
    };
    assert_eq!(target, "csmx3");
    assert_eq!(closest, &vec!["csmx1", "csmx2", "csmail1"]);
    assert_eq!(
        clusters,
        &vec![
            "mx-cluster",
            "smtp-cluster",
            "mailer-cluster",
            "maillist-cluster"
        ]
    );
    assert_eq!(
        err.to_string(),
        "`csmx3` is not a cluster, host or alias in /etc/mailtrace/inventory.yaml \
         (closest: csmx1, csmx2, csmail1; clusters: mx-cluster, smtp-cluster, mailer-cluster, maillist-cluster)"
    );
    let err = inv.resolve_target("smtp-clustr").unwrap_err();
    assert!(
        matches!(err, InventoryError::UnknownTarget { ref closest, .. } if closest[0] == "smtp-cluster")
    );
}

#[test]
fn find_host_ignores_case_and_trailing_dots() {
    let inv = parse(EXAMPLE);
    assert_eq!(inv.find_host("CSMX1").unwrap().name, "csmx1");
    assert_eq!(
        inv.find_host("CsMail2.Test.CS.Example.EDU.").unwrap().name,
        "csmail2"
    );
    assert_eq!(inv.find_host("csmail2").unwrap().name, "csmail2");
    assert_eq!(inv.find_host("10.2.9.51").unwrap().name, "maildirect1");
    assert_eq!(inv.find_host("mxlog.example.net").unwrap().name, "mxlog");
    assert!(inv.find_host("csmx9").is_none());
    assert!(inv.find_host("").is_none());
    assert!(inv.host("CSMX1").is_none());
    assert_eq!(inv.host("csmx1").unwrap().name, "csmx1");
}

#[test]
fn cluster_of_gives_the_first_cluster() {
    let inv = parse("hosts:\n  a:\n  b:\n  c:\nclusters:\n  one: [b]\n  two: [a, b]\n");
    assert_eq!(inv.cluster_of("a"), Some("two"));
    assert_eq!(inv.cluster_of("b"), Some("one"));
    assert_eq!(inv.cluster_of("B"), Some("one"));
    assert_eq!(inv.cluster_of("c"), None);
    assert_eq!(inv.cluster_of("zzz"), None);
    assert_eq!(inv.host("b").unwrap().clusters, vec!["one", "two"]);
}

#[test]
fn local_domains_are_normalized() {
    let inv = parse("local_domains: [CS.Example.EDU., cs.example.edu, \"\"]\nhosts: {a: {}}\n");
    assert_eq!(inv.local_domains, vec!["cs.example.edu"]);
}

// --- routes and limits ---

fn step(names: &[&str], optional: bool) -> Step {
    Step {
        names: names.iter().map(|n| n.to_string()).collect(),
        optional,
    }
}

#[test]
fn the_example_declares_the_site_routes_and_limits() {
    let inv = parse(EXAMPLE);
    let routes = &inv.routes;
    assert_eq!(
        routes.inbound.as_ref().unwrap().steps,
        vec![
            step(&["mx-cluster"], false),
            step(&["maillist-cluster"], false),
            step(&["mailer-cluster"], false),
            step(&["maillist-cluster"], true),
            step(&["maildirect1"], false),
        ]
    );
    assert_eq!(
        routes.outbound.as_ref().unwrap().steps,
        vec![
            step(&["smtp-cluster"], false),
            step(&["mailer-cluster"], false),
            step(&["external"], false),
        ]
    );
    assert_eq!(
        routes.internal.as_ref().unwrap().steps,
        vec![
            step(&["smtp-cluster"], false),
            step(&["mailer-cluster"], false),
            step(&["maillist-cluster", "maildirect1"], false),
        ]
    );
    assert_eq!(
        routes.inbound.as_ref().unwrap().describe(),
        "mx-cluster → maillist-cluster → mailer-cluster → maillist-cluster? → maildirect1"
    );
    assert_eq!(
        routes.internal.as_ref().unwrap().steps[2].describe(),
        "maillist-cluster | maildirect1"
    );
    assert_eq!(
        inv.limits,
        Limits {
            max_hops: 7,
            slow_hop: Duration::from_secs(60),
            slow_total: Duration::from_secs(600),
        }
    );
}

#[test]
fn an_inventory_without_routes_or_limits_gets_the_defaults() {
    let inv = parse("hosts:\n  a:\n");
    assert_eq!(inv.routes, Routes::default());
    assert!(inv.routes.inbound.is_none() && inv.routes.outbound.is_none());
    assert!(inv.routes.internal.is_none());
    assert_eq!(inv.limits, Limits::default());
}

#[test]
fn steps_match_clusters_by_their_hosts() {
    let inv = parse(EXAMPLE);
    let mx = step(&["mx-cluster"], false);
    assert!(mx.matches(&inv, "csmx1"));
    assert!(mx.matches(&inv, "csmx2"));
    assert!(mx.matches(&inv, "10.2.9.11"));
    assert!(mx.matches(&inv, "CSMX2.test.cs.example.edu."));
    assert!(!mx.matches(&inv, "mailer4"));
    assert!(!mx.matches(&inv, "mx.example.org"));
    assert!(!mx.matches(&inv, ""));
}

#[test]
fn steps_match_hosts_by_name_and_alias() {
    let inv = parse(EXAMPLE);
    let direct = step(&["maildirect1"], false);
    assert!(direct.matches(&inv, "maildirect1"));
    assert!(direct.matches(&inv, "10.2.9.51"));
    assert!(!direct.matches(&inv, "maillist1"));
    assert!(!direct.matches(&inv, "maildirect2.example.org"));
    let either = step(&["maillist-cluster", "maildirect1"], true);
    assert!(either.matches(&inv, "maillist2"));
    assert!(either.matches(&inv, "lists.cs.example.edu"));
    assert!(either.matches(&inv, "maildirect1"));
    assert!(!either.matches(&inv, "mailer4"));
}

#[test]
fn external_matches_only_hosts_outside_the_inventory() {
    let inv = parse(EXAMPLE);
    let external = step(&["external"], false);
    assert!(external.matches(&inv, "mx.google.com"));
    assert!(external.matches(&inv, "203.0.113.7"));
    assert!(!external.matches(&inv, "csmail1"));
    // Aliases of inventory hosts are not external, whatever their spelling.
    assert!(!external.matches(&inv, "smtp.cs.example.edu"));
    assert!(!external.matches(&inv, "10.2.9.22"));
    assert!(!external.matches(&inv, "CSMAIL2.test.cs.example.edu."));
    // A host whose logs are not searched is still an inventory host.
    assert!(!external.matches(&inv, "mxlog.example.net"));
    assert!(!external.matches(&inv, " "));
    let outbound = &inv.routes.outbound.as_ref().unwrap().steps;
    assert!(outbound[2].matches(&inv, "mx.example.org"));
    assert!(!outbound[2].matches(&inv, "mailer4"));
}

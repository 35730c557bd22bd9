//! The inventory file as written: the serde shape of `inventory.yaml`, with
//! source positions kept for every value a later check may complain about.
//! Unknown keys are rejected here.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInventory {
    pub defaults: Option<RawDefaults>,
    pub local_domains: Option<Vec<String>>,
    pub hosts: Option<Entries<Option<RawHost>>>,
    pub clusters: Option<Entries<RawCluster>>,
    /// Keyed by direction; the directions are checked when the routes are
    /// read, so that a misspelt one points at its key.
    pub routes: Option<Entries<RawRoute>>,
    pub limits: Option<RawLimits>,
    pub audit: Option<RawAudit>,
}

/// One entry under `clusters:`: its hosts, or nothing when left empty.
pub type RawCluster = Option<Vec<Spanned<String>>>;

/// One entry under `routes:`: its steps as written, or nothing when left
/// empty.
pub type RawRoute = Option<Vec<Spanned<String>>>;

/// `limits:` — what a trace is held to.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub max_hops: Option<Spanned<usize>>,
    pub slow_hop: Option<Spanned<DurationText>>,
    pub slow_total: Option<Spanned<DurationText>>,
}

/// `audit:` — thresholds of `mailtrace audit`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    pub stuck_after: Option<Spanned<DurationText>>,
}

/// `defaults:` — what every host inherits, plus the settings of the run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    pub user: Option<Spanned<String>>,
    pub port: Option<Spanned<u16>>,
    pub identity_files: Option<Vec<Spanned<String>>>,
    pub use_agent: Option<bool>,
    pub password_env: Option<Spanned<String>>,
    pub known_hosts: Option<Spanned<String>>,
    pub host_key_policy: Option<Spanned<String>>,
    pub sudo: Option<bool>,
    pub logs: Option<Spanned<Vec<String>>>,
    pub timezone: Option<Spanned<String>>,
    pub connect_timeout: Option<Spanned<DurationText>>,
    pub command_timeout: Option<Spanned<DurationText>>,
    pub concurrency: Option<Spanned<usize>>,
    pub ssh_config: Option<Spanned<String>>,
}

/// One entry under `hosts:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHost {
    pub address: Option<Spanned<String>>,
    pub user: Option<Spanned<String>>,
    pub port: Option<Spanned<u16>>,
    pub identity_files: Option<Vec<Spanned<String>>>,
    pub use_agent: Option<bool>,
    pub password_env: Option<Spanned<String>>,
    pub known_hosts: Option<Spanned<String>>,
    pub host_key_policy: Option<Spanned<String>>,
    pub sudo: Option<bool>,
    pub logs: Option<Spanned<Vec<String>>>,
    pub timezone: Option<Spanned<String>>,
    pub connect_timeout: Option<Spanned<DurationText>>,
    pub command_timeout: Option<Spanned<DurationText>>,
    pub aliases: Option<Vec<Spanned<String>>>,
    pub tracked: Option<bool>,
}

/// The connection settings that both `defaults:` and a host entry may set.
#[derive(Debug, Clone, Default)]
pub struct RawConnection {
    pub user: Option<Spanned<String>>,
    pub port: Option<Spanned<u16>>,
    pub identity_files: Option<Vec<Spanned<String>>>,
    pub use_agent: Option<bool>,
    pub password_env: Option<Spanned<String>>,
    pub known_hosts: Option<Spanned<String>>,
    pub host_key_policy: Option<Spanned<String>>,
    pub sudo: Option<bool>,
    pub logs: Option<Spanned<Vec<String>>>,
    pub timezone: Option<Spanned<String>>,
    pub connect_timeout: Option<Spanned<DurationText>>,
    pub command_timeout: Option<Spanned<DurationText>>,
}

impl RawDefaults {
    /// The connection settings of `defaults:`.
    pub fn connection(&self) -> RawConnection {
        RawConnection {
            user: self.user.clone(),
            port: self.port.clone(),
            identity_files: self.identity_files.clone(),
            use_agent: self.use_agent,
            password_env: self.password_env.clone(),
            known_hosts: self.known_hosts.clone(),
            host_key_policy: self.host_key_policy.clone(),
            sudo: self.sudo,
            logs: self.logs.clone(),
            timezone: self.timezone.clone(),
            connect_timeout: self.connect_timeout.clone(),
            command_timeout: self.command_timeout.clone(),
        }
    }
}

impl RawHost {
    /// The connection settings of this host entry.
    pub fn connection(&self) -> RawConnection {
        RawConnection {
            user: self.user.clone(),
            port: self.port.clone(),
            identity_files: self.identity_files.clone(),
            use_agent: self.use_agent,
            password_env: self.password_env.clone(),
            known_hosts: self.known_hosts.clone(),
            host_key_policy: self.host_key_policy.clone(),
            sudo: self.sudo,
            logs: self.logs.clone(),
            timezone: self.timezone.clone(),
            connect_timeout: self.connect_timeout.clone(),
            command_timeout: self.command_timeout.clone(),
        }
    }
}

impl RawConnection {
    /// Every setting of `self`, falling back to `fallback` where `self` has none.
    pub fn or(self, fallback: RawConnection) -> RawConnection {
        RawConnection {
            user: self.user.or(fallback.user),
            port: self.port.or(fallback.port),
            identity_files: self.identity_files.or(fallback.identity_files),
            use_agent: self.use_agent.or(fallback.use_agent),
            password_env: self.password_env.or(fallback.password_env),
            known_hosts: self.known_hosts.or(fallback.known_hosts),
            host_key_policy: self.host_key_policy.or(fallback.host_key_policy),
            sudo: self.sudo.or(fallback.sudo),
            logs: self.logs.or(fallback.logs),
            timezone: self.timezone.or(fallback.timezone),
            connect_timeout: self.connect_timeout.or(fallback.connect_timeout),
            command_timeout: self.command_timeout.or(fallback.command_timeout),
        }
    }
}

/// A duration as written: `10s`, `2m`, or a bare number of seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationText(pub String);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = DurationText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as 10s, 2m or 1h30m")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DurationText, E> {
                Ok(DurationText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DurationText, E> {
                Ok(DurationText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DurationText, E> {
                Ok(DurationText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DurationText, E> {
                Ok(DurationText(v.to_string()))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// A mapping read in file order, each key with its position.
#[derive(Debug)]
pub struct Entries<V>(pub Vec<(Spanned<String>, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of names to entries")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> RawInventory {
        serde_saphyr::from_str(text).unwrap()
    }

    #[test]
    fn hosts_keep_file_order_and_key_positions() {
        let raw = read("hosts:\n  zeta: {}\n  alpha:\n  mid: {port: 2222}\n");
        let hosts = raw.hosts.unwrap().0;
        let names: Vec<&str> = hosts.iter().map(|(k, _)| k.value.as_str()).collect();
        assert_eq!(names, vec!["zeta", "alpha", "mid"]);
        assert_eq!(
            (hosts[1].0.referenced.line(), hosts[1].0.referenced.column()),
            (3, 3)
        );
        assert!(hosts[1].1.is_none());
        let port = hosts[2].1.as_ref().unwrap().port.as_ref().unwrap();
        assert_eq!(
            (port.value, port.referenced.line(), port.referenced.column()),
            (2222, 4, 15)
        );
    }

    #[test]
    fn durations_read_as_text_or_seconds() {
        let raw = read("defaults:\n  connect_timeout: 15\n  command_timeout: 2m\n");
        let d = raw.defaults.unwrap();
        assert_eq!(d.connect_timeout.unwrap().value, DurationText("15".into()));
        assert_eq!(d.command_timeout.unwrap().value, DurationText("2m".into()));
    }

    #[test]
    fn host_settings_override_defaults() {
        let raw = read("defaults: {user: a, port: 2}\nhosts:\n  h: {user: b}\n");
        let defaults = raw.defaults.unwrap().connection();
        let hosts = raw.hosts.unwrap().0;
        let host = hosts[0].1.as_ref().unwrap().connection().or(defaults);
        assert_eq!(host.user.unwrap().value, "b");
        assert_eq!(host.port.unwrap().value, 2);
    }

    #[test]
    fn routes_keep_direction_order_and_limits_read_their_keys() {
        let raw =
            read("routes:\n  outbound: [a, b?]\n  inbound:\nlimits: {max_hops: 3, slow_hop: 2m}\n");
        let routes = raw.routes.unwrap().0;
        let keys: Vec<&str> = routes.iter().map(|(k, _)| k.value.as_str()).collect();
        assert_eq!(keys, vec!["outbound", "inbound"]);
        let steps: Vec<&str> = routes[0]
            .1
            .iter()
            .flatten()
            .map(|s| s.value.as_str())
            .collect();
        assert_eq!(steps, vec!["a", "b?"]);
        assert!(routes[1].1.is_none());
        let limits = raw.limits.unwrap();
        assert_eq!(limits.max_hops.unwrap().value, 3);
        assert_eq!(limits.slow_hop.unwrap().value, DurationText("2m".into()));
        assert!(limits.slow_total.is_none());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(serde_saphyr::from_str::<RawInventory>("hosts:\n  h: {adress: x}\n").is_err());
        assert!(serde_saphyr::from_str::<RawInventory>("host:\n  h: {}\n").is_err());
        assert!(serde_saphyr::from_str::<RawInventory>("limits: {max_hop: 3}\n").is_err());
    }
}

//! Turns the file as written into a resolved [`Inventory`]: built-in
//! defaults, then `~/.ssh/config`, then `defaults:`, then the host entry,
//! each overriding the one before; then every name is checked.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_saphyr::Spanned;

use super::env::Env;
use super::error::{InventoryError, Located, Problem};
use super::names::{self, Claims};
use super::position::{self, Pos};
use super::route_text;
use super::schema::{RawAudit, RawConnection, RawDefaults, RawHost, RawInventory, RawLimits};
use super::ssh_config::SshClientConfig;
use super::syntax;
use super::values;
use super::{normalize, Address, AuditSettings, Host, HostKeyPolicy, Inventory, Limits};
use crate::time::Zone;

/// Log files searched when the inventory names none.
pub const DEFAULT_LOGS: [&str; 2] = ["/var/log/maillog*", "/var/log/mail.log*"];
/// Key files tried when neither the inventory nor `~/.ssh/config` names any.
pub const DEFAULT_IDENTITY_FILES: [&str; 3] =
    ["~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"];
pub const DEFAULT_PORT: u16 = 22;
pub const DEFAULT_KNOWN_HOSTS: &str = "~/.ssh/known_hosts";
pub const DEFAULT_SSH_CONFIG: &str = "~/.ssh/config";
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
pub const DEFAULT_CONCURRENCY: usize = 32;

/// Reads, resolves and checks inventory text.
pub fn resolve(text: &str, path: &Path, env: &Env) -> Result<Inventory, InventoryError> {
    let raw: RawInventory =
        serde_saphyr::from_str(text).map_err(|e| syntax::located(&e, text).in_file(path))?;
    let base = path.parent().unwrap_or(Path::new(""));
    build(raw, text, base, path, env).map_err(|located| located.in_file(path))
}

fn build(
    raw: RawInventory,
    text: &str,
    base: &Path,
    path: &Path,
    env: &Env,
) -> Result<Inventory, Located> {
    let defaults = raw.defaults.unwrap_or_default();
    let defaults_connection = defaults.connection();
    // Checked on their own, so that a mistake in `defaults:` is reported even
    // when every host overrides the setting.
    Settings::resolve(&defaults_connection, env, base, false)?;
    let zone = defaults
        .timezone
        .as_ref()
        .map(values::zone)
        .transpose()?
        .unwrap_or(Zone::Local);
    let concurrency = defaults
        .concurrency
        .as_ref()
        .map(values::concurrency)
        .transpose()?
        .unwrap_or(DEFAULT_CONCURRENCY);
    let ssh = read_ssh_config(&defaults, env, base)?;

    let entries = raw.hosts.map(|h| h.0).unwrap_or_default();
    if entries.is_empty() {
        let at = position::top_level_key(text, "hosts").unwrap_or(Pos::START);
        return Err(Located::new(at, Problem::NoHosts));
    }
    let mut hosts = Vec::with_capacity(entries.len());
    let mut claims = Vec::with_capacity(entries.len());
    for (name, entry) in entries {
        let entry = entry.unwrap_or_default();
        let (host, claim) =
            build_host(&name, &entry, defaults_connection.clone(), &ssh, env, base)?;
        hosts.push(host);
        claims.push(claim);
    }
    let host_names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
    let aliases = names::assign_aliases(&host_names, &claims)?;
    for (host, aliases) in hosts.iter_mut().zip(aliases) {
        host.aliases = aliases;
    }

    let clusters = names::resolve_clusters(raw.clusters.map(|c| c.0).unwrap_or_default(), &hosts)?;
    for host in &mut hosts {
        host.clusters = clusters
            .iter()
            .filter(|c| c.hosts.contains(&host.name))
            .map(|c| c.name.clone())
            .collect();
    }

    let routes = route_text::routes(
        raw.routes.map(|r| r.0).unwrap_or_default(),
        text,
        &hosts,
        &clusters,
    )?;
    let limits = read_limits(raw.limits.unwrap_or_default())?;
    let audit = read_audit(raw.audit.unwrap_or_default())?;

    let mut local_domains: Vec<String> = Vec::new();
    for domain in raw
        .local_domains
        .unwrap_or_default()
        .iter()
        .map(|d| normalize(d))
    {
        if !domain.is_empty() && !local_domains.contains(&domain) {
            local_domains.push(domain);
        }
    }

    Ok(Inventory {
        path: path.to_path_buf(),
        zone,
        local_domains,
        concurrency,
        hosts,
        clusters,
        routes,
        limits,
        audit,
    })
}

/// `audit:` checked, with defaults for what is not written.
fn read_audit(raw: RawAudit) -> Result<AuditSettings, Located> {
    Ok(AuditSettings {
        stuck_after: raw
            .stuck_after
            .as_ref()
            .map(|d| values::duration(d, "stuck_after"))
            .transpose()?
            .unwrap_or_else(|| AuditSettings::default().stuck_after),
    })
}

/// `limits:` checked, with defaults for what is not written.
fn read_limits(raw: RawLimits) -> Result<Limits, Located> {
    let defaults = Limits::default();
    Ok(Limits {
        max_hops: raw
            .max_hops
            .as_ref()
            .map(values::max_hops)
            .transpose()?
            .unwrap_or(defaults.max_hops),
        slow_hop: raw
            .slow_hop
            .as_ref()
            .map(|d| values::duration(d, "slow_hop"))
            .transpose()?
            .unwrap_or(defaults.slow_hop),
        slow_total: raw
            .slow_total
            .as_ref()
            .map(|d| values::duration(d, "slow_total"))
            .transpose()?
            .unwrap_or(defaults.slow_total),
    })
}

/// The SSH client configuration named by `defaults.ssh_config`, or the
/// usual one; a file that does not exist is empty.
fn read_ssh_config(
    defaults: &RawDefaults,
    env: &Env,
    base: &Path,
) -> Result<SshClientConfig, Located> {
    let (written, at) = match &defaults.ssh_config {
        Some(value) => (values::non_empty(value, "ssh_config")?, Pos::of(value)),
        None => (DEFAULT_SSH_CONFIG.to_string(), Pos::START),
    };
    let path = env.local_path(&written, base);
    SshClientConfig::read(&path, env.home.as_deref())
        .map_err(|message| Located::new(at, Problem::SshConfig { path, message }))
}

/// One host entry resolved, and the names it claims.
fn build_host(
    name: &Spanned<String>,
    entry: &RawHost,
    defaults: RawConnection,
    ssh: &SshClientConfig,
    env: &Env,
    base: &Path,
) -> Result<(Host, Claims), Located> {
    let host_name = values::non_empty(name, "host name")?;
    let written_address = entry
        .address
        .as_ref()
        .map(|a| values::non_empty(a, "address"))
        .transpose()?;
    let local = written_address
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case("local"));
    let from_ssh = ssh.lookup(&host_name, written_address.as_deref().filter(|_| !local));

    let connection = entry.connection().or(defaults);
    let settings = Settings::resolve(&connection, env, base, local)?;
    let address = if local {
        Address::Local
    } else {
        Address::Ssh {
            host: written_address
                .clone()
                .or(from_ssh.host_name.clone())
                .unwrap_or_else(|| host_name.clone()),
            port: settings
                .port
                .or(from_ssh.port.filter(|p| *p != 0))
                .unwrap_or(DEFAULT_PORT),
        }
    };

    let mut written_aliases = Vec::new();
    for alias in entry.aliases.iter().flatten() {
        written_aliases.push((values::non_empty(alias, "alias")?, Pos::of(alias)));
    }
    let ssh_host = match &address {
        Address::Ssh { host, .. } => Some(host.as_str()),
        Address::Local => None,
    };
    let claims = Claims::new((&host_name, Pos::of(name)), written_aliases, ssh_host);

    let identity_files = settings
        .identity_files
        .or(from_ssh.identity_files)
        .unwrap_or_else(|| {
            DEFAULT_IDENTITY_FILES
                .iter()
                .map(|f| env.local_path(f, base))
                .collect()
        });
    let host = Host {
        name: host_name,
        address,
        user: settings
            .user
            .or(from_ssh.user)
            .unwrap_or_else(|| env.default_user()),
        identity_files,
        use_agent: settings.use_agent,
        password_env: settings.password_env,
        known_hosts: settings.known_hosts,
        host_key_policy: settings.host_key_policy,
        sudo: settings.sudo,
        logs: settings.logs,
        zone: settings.zone,
        connect_timeout: settings.connect_timeout,
        command_timeout: settings.command_timeout,
        aliases: Vec::new(),
        tracked: entry.tracked.unwrap_or(true),
        clusters: Vec::new(),
    };
    Ok((host, claims))
}

/// The connection settings of a host after `defaults:` and built-in
/// defaults; the ones `~/.ssh/config` may still supply stay open.
struct Settings {
    user: Option<String>,
    port: Option<u16>,
    identity_files: Option<Vec<PathBuf>>,
    use_agent: bool,
    password_env: Option<String>,
    known_hosts: PathBuf,
    host_key_policy: HostKeyPolicy,
    sudo: bool,
    logs: Vec<String>,
    zone: Zone,
    connect_timeout: Duration,
    command_timeout: Duration,
}

impl Settings {
    /// Checks and completes written settings. `local`: the logs are on this
    /// machine, so `~` in them expands here.
    fn resolve(
        c: &RawConnection,
        env: &Env,
        base: &Path,
        local: bool,
    ) -> Result<Settings, Located> {
        let user = c
            .user
            .as_ref()
            .map(|u| values::non_empty(u, "user"))
            .transpose()?;
        let port = c.port.as_ref().map(values::port).transpose()?;
        let mut identity_files = None;
        if let Some(files) = &c.identity_files {
            let mut paths = Vec::with_capacity(files.len());
            for file in files {
                paths.push(env.local_path(&values::non_empty(file, "identity_files")?, base));
            }
            identity_files = Some(paths);
        }
        let known_hosts = match &c.known_hosts {
            Some(k) => env.local_path(&values::non_empty(k, "known_hosts")?, base),
            None => env.local_path(DEFAULT_KNOWN_HOSTS, base),
        };
        let mut logs = match &c.logs {
            Some(logs) => values::logs(logs)?,
            None => DEFAULT_LOGS.iter().map(|l| l.to_string()).collect(),
        };
        if local {
            // logs read on this machine: `~` and relative paths as for keys
            logs = logs
                .iter()
                .map(|l| env.local_path(l, base).to_string_lossy().into_owned())
                .collect();
        }
        Ok(Settings {
            user,
            port,
            identity_files,
            use_agent: c.use_agent.unwrap_or(true),
            password_env: c.password_env.as_ref().map(values::env_name).transpose()?,
            known_hosts,
            host_key_policy: c
                .host_key_policy
                .as_ref()
                .map(values::host_key_policy)
                .transpose()?
                .unwrap_or(HostKeyPolicy::Strict),
            sudo: c.sudo.unwrap_or(false),
            logs,
            zone: c
                .timezone
                .as_ref()
                .map(values::zone)
                .transpose()?
                .unwrap_or(Zone::Local),
            connect_timeout: c
                .connect_timeout
                .as_ref()
                .map(|d| values::duration(d, "connect_timeout"))
                .transpose()?
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            command_timeout: c
                .command_timeout
                .as_ref()
                .map(|d| values::duration(d, "command_timeout"))
                .transpose()?
                .unwrap_or(DEFAULT_COMMAND_TIMEOUT),
        })
    }
}

//! The demo site: the bundled logs written to a temporary directory with
//! their rotation mtimes, one SSH server per host on its own loopback
//! address, a client key, a known_hosts file and an inventory that ties
//! them together, exactly as a real site's inventory would.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, PrivateKey};

use super::bundle::{FILES, MANIFEST};
use super::server::DemoServer;

/// The demo hosts: name, cluster, the address other hosts' logs use, and the
/// loopback address its SSH server listens on.
pub const HOSTS: &[(&str, &str, &str, &str)] = &[
    ("csmx1", "mx-cluster", "10.2.9.11", "127.0.0.11"),
    ("csmx2", "mx-cluster", "10.2.9.12", "127.0.0.12"),
    ("csmail1", "smtp-cluster", "10.2.9.21", "127.0.0.21"),
    ("csmail2", "smtp-cluster", "10.2.9.22", "127.0.0.22"),
    ("mailer4", "mailer-cluster", "10.2.9.17", "127.0.0.17"),
    ("maillist1", "maillist-cluster", "10.2.9.74", "127.0.0.74"),
    (
        "maildirect1",
        "maildirect-cluster",
        "10.2.9.81",
        "127.0.0.81",
    ),
];

/// How to build the site.
#[derive(Debug, Clone, Default)]
pub struct SiteOptions {
    /// Hold every remote command back this long (for timeout tests).
    pub exec_delay: Duration,
    /// Hosts whose server is not started (they are "down").
    pub down: Vec<String>,
    /// `command_timeout` of every host (default 30s).
    pub command_timeout: Option<Duration>,
    /// `host_key_policy` of every host (default strict).
    pub host_key_policy: Option<String>,
}

/// A running demo site. Dropping it stops the servers and removes the files.
pub struct DemoSite {
    pub dir: tempfile::TempDir,
    pub inventory: PathBuf,
    pub known_hosts: PathBuf,
    pub client_key: PathBuf,
    pub servers: Vec<(String, DemoServer)>,
}

impl Drop for DemoSite {
    fn drop(&mut self) {
        for (_, s) in &self.servers {
            s.stop();
        }
    }
}

impl DemoSite {
    /// Writes the logs, starts the servers and writes the inventory.
    pub async fn start(options: &SiteOptions) -> std::io::Result<DemoSite> {
        let dir = tempfile::Builder::new()
            .prefix("mailtrace-demo-")
            .tempdir()?;
        let mtimes = manifest()?;
        for (host, file, text) in FILES {
            let logs = dir.path().join("hosts").join(host).join("log");
            fs::create_dir_all(&logs)?;
            let (path, bytes) = if *file == "maillog.2" {
                let mut gz =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                gz.write_all(text.as_bytes())?;
                (logs.join("maillog.2.gz"), gz.finish()?)
            } else {
                (logs.join(file), text.as_bytes().to_vec())
            };
            fs::write(&path, bytes)?;
            if let Some(secs) = mtimes.get(&format!("{host}/{file}")) {
                let f = fs::File::options().write(true).open(&path)?;
                f.set_modified(UNIX_EPOCH + Duration::from_secs(*secs))?;
            }
        }

        let key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
            .map_err(std::io::Error::other)?;
        let client_key = dir.path().join("client_key");
        let pem = key
            .to_openssh(LineEnding::LF)
            .map_err(std::io::Error::other)?;
        write_private(&client_key, pem.as_bytes())?;

        let mut servers = Vec::new();
        let mut known = String::new();
        let mut hosts_yaml = String::new();
        for (name, _, site_ip, _) in HOSTS {
            let fqdn = format!("{name}.test.cs.example.edu");
            let logs = dir
                .path()
                .join("hosts")
                .join(name)
                .join("log")
                .join("maillog*");
            let (address, port) = if options.down.iter().any(|d| d == name) {
                // nothing listens on port 1 of this loopback address
                (loopback_of(name), 1)
            } else {
                let server = DemoServer::start(
                    key.public_key().clone(),
                    options.exec_delay,
                    &loopback_of(name),
                )
                .await?;
                let port = server.addr.port();
                known.push_str(&format!(
                    "[{}]:{port} {}\n",
                    server.addr.ip(),
                    server
                        .host_key
                        .to_openssh()
                        .map_err(std::io::Error::other)?
                ));
                servers.push((name.to_string(), server));
                (loopback_of(name), port)
            };
            hosts_yaml.push_str(&format!(
                "  {name}:\n    address: {address}\n    port: {port}\n    aliases: [{fqdn}, {site_ip}]\n    logs: [\"{}\"]\n",
                logs.display()
            ));
        }
        hosts_yaml.push_str(
            "  csmwproxy1:\n    address: 127.0.0.99\n    aliases: [csmwproxy1.test.cs.example.edu, 10.2.9.30]\n    tracked: false\n",
        );
        let known_hosts = dir.path().join("known_hosts");
        fs::write(&known_hosts, known)?;

        let mut clusters: Vec<(&str, Vec<&str>)> = Vec::new();
        for (name, cluster, _, _) in HOSTS {
            match clusters.iter_mut().find(|(c, _)| c == cluster) {
                Some((_, members)) => members.push(name),
                None => clusters.push((cluster, vec![name])),
            }
        }
        let clusters_yaml: String = clusters
            .iter()
            .map(|(c, m)| format!("  {c}: [{}]\n", m.join(", ")))
            .collect();
        let inventory_text = format!(
            "# Generated by `mailtrace demo`: the bundled site on loopback SSH servers.\n\
             defaults:\n  user: demo\n  identity_files: [\"{key}\"]\n  use_agent: false\n  known_hosts: \"{known}\"\n  \
             host_key_policy: {policy}\n  timezone: \"+08:00\"\n  connect_timeout: 5s\n  command_timeout: {timeout}s\n  ssh_config: /dev/null\n\
             local_domains: [cs.example.edu]\n\
             routes:\n  inbound: [mx-cluster, maillist-cluster, mailer-cluster, maillist-cluster?, maildirect1]\n  \
             outbound: [smtp-cluster, mailer-cluster, external]\n  internal: [smtp-cluster, mailer-cluster, maillist-cluster | maildirect1]\n\
             limits:\n  max_hops: 7\n\
             hosts:\n{hosts_yaml}clusters:\n{clusters_yaml}",
            key = client_key.display(),
            known = known_hosts.display(),
            policy = options.host_key_policy.as_deref().unwrap_or("strict"),
            timeout = options.command_timeout.map(|d| d.as_secs().max(1)).unwrap_or(30),
        );
        let inventory = dir.path().join("inventory.yaml");
        fs::write(&inventory, inventory_text)?;
        Ok(DemoSite {
            dir,
            inventory,
            known_hosts,
            client_key,
            servers,
        })
    }
}

/// The loopback address a demo host's server listens on.
pub fn loopback_of(name: &str) -> String {
    HOSTS
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(.., lo)| lo.to_string())
        .unwrap_or_else(|| "127.0.0.1".into())
}

fn manifest() -> std::io::Result<HashMap<String, u64>> {
    let mut out = HashMap::new();
    for line in MANIFEST.lines().filter(|l| !l.trim().is_empty()) {
        let bad = || std::io::Error::other(format!("bad manifest line: {line}"));
        let (file, time) = line.split_once(' ').ok_or_else(bad)?;
        let t = chrono::DateTime::parse_from_rfc3339(time.trim()).map_err(|_| bad())?;
        out.insert(file.to_string(), t.timestamp() as u64);
    }
    Ok(out)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

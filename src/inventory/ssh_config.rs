//! What an OpenSSH client configuration (`~/.ssh/config`) says about a host:
//! HostName, User, Port and IdentityFile, the only settings the inventory
//! takes from it.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use ssh2_config::{ParseRule, SshConfig};

/// The settings of one host found in the SSH client configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshHostSettings {
    pub host_name: Option<String>,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_files: Option<Vec<PathBuf>>,
}

/// A parsed SSH client configuration, or none when the file does not exist.
#[derive(Debug, Default)]
pub struct SshClientConfig {
    config: Option<SshConfig>,
}

impl SshClientConfig {
    /// Reads the file at `path`; a missing file is an empty configuration.
    /// `~` inside it expands to `home`.
    pub fn read(path: &Path, home: Option<&Path>) -> Result<SshClientConfig, String> {
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SshClientConfig::default())
            }
            Err(e) => return Err(e.to_string()),
        };
        let mut config = SshConfig::default();
        if let Some(home) = home {
            config = config.home_dir(home);
        }
        let rules = ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS;
        config
            .parse(&mut BufReader::new(file), rules)
            .map(|config| SshClientConfig {
                config: Some(config),
            })
            .map_err(|e| e.to_string())
    }

    /// The settings for a host called `name` in the inventory. When the
    /// inventory gives an `address`, the settings for that address fill in
    /// what the name's settings leave open, as `ssh address` would see them.
    pub fn lookup(&self, name: &str, address: Option<&str>) -> SshHostSettings {
        let Some(config) = &self.config else {
            return SshHostSettings::default();
        };
        let mut params = config.query(name);
        if let Some(address) = address.filter(|a| !a.eq_ignore_ascii_case(name)) {
            params.overwrite_if_none(&config.query(address));
        }
        SshHostSettings {
            host_name: params.host_name,
            user: params.user,
            port: params.port,
            identity_files: params
                .identity_file
                .map(unique)
                .filter(|files| !files.is_empty()),
        }
    }
}

/// The files in their first order, each once (IdentityFile lines add up
/// across matching `Host` blocks, and two lookups may repeat them).
fn unique(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut kept: Vec<PathBuf> = Vec::with_capacity(files.len());
    for file in files {
        if !kept.contains(&file) {
            kept.push(file);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
Host csmx1
    HostName 10.2.9.11
    User admin
    Port 2222
    IdentityFile ~/.ssh/mx_key

Host *.test.cs.example.edu
    User relay

Host *
    IdentityFile ~/.ssh/fallback
    ServerAliveInterval 30
    SomeFutureOption yes
";

    fn read(text: &str) -> SshClientConfig {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, text).unwrap();
        SshClientConfig::read(&path, Some(Path::new("/home/ops"))).unwrap()
    }

    #[test]
    fn reads_the_settings_of_a_host() {
        let settings = read(CONFIG).lookup("csmx1", None);
        assert_eq!(settings.host_name.as_deref(), Some("10.2.9.11"));
        assert_eq!(settings.user.as_deref(), Some("admin"));
        assert_eq!(settings.port, Some(2222));
        assert_eq!(
            settings.identity_files,
            Some(vec![
                PathBuf::from("/home/ops/.ssh/mx_key"),
                PathBuf::from("/home/ops/.ssh/fallback")
            ])
        );
    }

    #[test]
    fn the_address_fills_in_what_the_name_leaves_open() {
        let config = read(CONFIG);
        let settings = config.lookup("csmx2", Some("csmx2.test.cs.example.edu"));
        assert_eq!(settings.user.as_deref(), Some("relay"));
        assert_eq!(settings.port, None);
        assert_eq!(
            settings.identity_files,
            Some(vec![PathBuf::from("/home/ops/.ssh/fallback")])
        );
        assert_eq!(
            config
                .lookup("csmx1", Some("csmx1.test.cs.example.edu"))
                .user
                .as_deref(),
            Some("admin")
        );
    }

    #[test]
    fn a_missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let config = SshClientConfig::read(&dir.path().join("none"), None).unwrap();
        assert_eq!(config.lookup("csmx1", None), SshHostSettings::default());
    }
}

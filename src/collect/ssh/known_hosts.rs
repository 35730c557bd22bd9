//! OpenSSH-compatible `known_hosts` handling: looks a server's host key up the
//! way `ssh` does (whitespace-separated fields, comma-separated host patterns
//! with `*`/`?` wildcards and `!` negation, `[host]:port` names, hashed
//! `|1|salt|hmac` entries, `@revoked` markers) and appends newly accepted keys.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use russh::keys::ssh_key::{self, HashAlg};
use russh::keys::PublicKey;
use sha1::Sha1;

/// The port for which known_hosts names the host without brackets.
const DEFAULT_SSH_PORT: u16 = 22;

/// Outcome of looking a server's host key up in a known_hosts file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// An entry for this host has this key.
    Match { file: PathBuf, line: usize },
    /// No entry names this host (with this port).
    Unknown,
    /// Entries name this host but none has this key: the first conflicting
    /// entry (same key algorithm preferred, else any) is reported.
    Mismatch {
        file: PathBuf,
        line: usize,
        expected_fingerprint: String,
    },
    /// A `@revoked` entry lists this key.
    Revoked { file: PathBuf, line: usize },
}

/// Errors while reading or appending to a known_hosts file.
#[derive(Debug, thiserror::Error)]
pub enum KnownHostsError {
    #[error("known_hosts I/O error on {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot record host {host:?} in known_hosts: {reason}")]
    InvalidHost { host: String, reason: &'static str },
    #[error("cannot encode host key for known_hosts")]
    KeyEncoding {
        #[source]
        source: ssh_key::Error,
    },
}

/// Looks `host`:`port` and its `key` up in the known_hosts file at `path`.
///
/// A missing file yields [`HostKeyStatus::Unknown`]; lines that cannot be
/// parsed are skipped, as OpenSSH does. A matching `@revoked` entry wins over
/// any plain entry; a plain entry with this key wins over conflicting ones.
pub fn check_host_key(
    path: &Path,
    host: &str,
    port: u16,
    key: &PublicKey,
) -> Result<HostKeyStatus, KnownHostsError> {
    let contents = match fs::read(path) {
        Ok(contents) => contents,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HostKeyStatus::Unknown),
        Err(source) => {
            return Err(KnownHostsError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    Ok(evaluate(path, &contents, &lookup_name(host, port), key))
}

/// Appends `host`:`port` with `key` to the known_hosts file at `path`
/// (OpenSSH's "accept-new").
///
/// Creates the file (mode 0600) and its parent directory (mode 0700) if
/// missing. The host is written plain, as `host` for port 22 and
/// `[host]:port` otherwise, followed by the key in OpenSSH format without a
/// comment. Existing lines are never rewritten; if the file does not end with
/// a newline, one is added before the new entry.
pub fn append_host_key(
    path: &Path,
    host: &str,
    port: u16,
    key: &PublicKey,
) -> Result<(), KnownHostsError> {
    validate_host(host)?;
    let entry = format!("{} {}\n", lookup_name(host, port), openssh_key(key)?);

    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent).map_err(|source| KnownHostsError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let io_err = |source| KnownHostsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = open_for_append(path).map_err(io_err)?;
    let mut data = Vec::with_capacity(entry.len() + 1);
    if !ends_with_newline(&mut file).map_err(io_err)? {
        data.push(b'\n');
    }
    data.extend_from_slice(entry.as_bytes());
    file.write_all(&data).map_err(io_err)
}

/// The key's SHA-256 fingerprint as OpenSSH prints it (`SHA256:<base64>`).
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise,
/// lower-cased as `ssh` does before matching or hashing.
fn lookup_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == DEFAULT_SSH_PORT {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// Scans the file contents and decides the status of `key` for `name`.
fn evaluate(path: &Path, contents: &[u8], name: &str, key: &PublicKey) -> HostKeyStatus {
    let mut matched: Option<usize> = None;
    let mut same_algorithm_conflict: Option<(usize, String)> = None;
    let mut any_conflict: Option<(usize, String)> = None;

    for (index, raw) in contents.split(|b| *b == b'\n').enumerate() {
        let line = index + 1;
        let Some(entry) = std::str::from_utf8(raw).ok().and_then(parse_line) else {
            continue;
        };
        if !host_field_matches(entry.hosts, name) {
            continue;
        }
        let same_key = entry.key.key_data() == key.key_data();
        match entry.marker {
            Marker::Revoked if same_key => {
                return HostKeyStatus::Revoked {
                    file: path.to_path_buf(),
                    line,
                }
            }
            Marker::Revoked => {}
            Marker::None if same_key => {
                matched.get_or_insert(line);
            }
            Marker::None => {
                if entry.key.algorithm() == key.algorithm() && same_algorithm_conflict.is_none() {
                    same_algorithm_conflict = Some((line, fingerprint(&entry.key)));
                }
                if any_conflict.is_none() {
                    any_conflict = Some((line, fingerprint(&entry.key)));
                }
            }
        }
    }

    if let Some(line) = matched {
        return HostKeyStatus::Match {
            file: path.to_path_buf(),
            line,
        };
    }
    match same_algorithm_conflict.or(any_conflict) {
        Some((line, expected_fingerprint)) => HostKeyStatus::Mismatch {
            file: path.to_path_buf(),
            line,
            expected_fingerprint,
        },
        None => HostKeyStatus::Unknown,
    }
}

/// Marker at the start of a known_hosts line that applies to host keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    None,
    Revoked,
}

/// One parsed known_hosts line relevant to plain host keys.
#[derive(Debug)]
struct Entry<'a> {
    marker: Marker,
    hosts: &'a str,
    key: PublicKey,
}

/// Parses one line; `None` for comments, blank lines, `@cert-authority`
/// lines, unknown markers and anything malformed.
fn parse_line(line: &str) -> Option<Entry<'_>> {
    let mut fields = line
        .split([' ', '\t', '\r'])
        .filter(|field| !field.is_empty());
    let first = fields.next()?;
    if first.starts_with('#') {
        return None;
    }
    let (marker, hosts) = match first {
        "@revoked" => (Marker::Revoked, fields.next()?),
        marker if marker.starts_with('@') => return None,
        hosts => (Marker::None, hosts),
    };
    let algorithm = fields.next()?;
    let data = fields.next()?;
    let key = PublicKey::from_openssh(&format!("{algorithm} {data}")).ok()?;
    Some(Entry { marker, hosts, key })
}

/// Whether a host field (hashed entry or pattern list) names `name`.
fn host_field_matches(field: &str, name: &str) -> bool {
    if field.starts_with('|') {
        hashed_host_matches(field, name)
    } else {
        pattern_list_matches(field, name)
    }
}

/// Checks a `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` host field.
fn hashed_host_matches(field: &str, name: &str) -> bool {
    let Some((salt, hash)) = field
        .strip_prefix("|1|")
        .and_then(|rest| rest.split_once('|'))
    else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&salt) else {
        return false;
    };
    mac.update(name.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

/// OpenSSH `match_hostname`: true if some pattern matches and no negated
/// (`!`) pattern does. Case-insensitive.
fn pattern_list_matches(patterns: &str, name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let mut positive = false;
    for pattern in patterns.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        if wildcard_matches(&pattern.to_ascii_lowercase(), &name) {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

/// Glob match where `*` matches any run of characters and `?` exactly one.
fn wildcard_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Position of the last `*` seen and the text position it was tried at.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, tried)) => {
                    p = star + 1;
                    t = tried + 1;
                    backtrack = Some((star, tried + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Rejects host names that would corrupt or change the meaning of a line.
fn validate_host(host: &str) -> Result<(), KnownHostsError> {
    let reason = if host.is_empty() {
        Some("empty host name")
    } else if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("host name contains whitespace or control characters")
    } else if host.contains([',', '*', '?']) {
        Some("host name contains a pattern character")
    } else if host.starts_with(['#', '@', '|', '!', '[']) {
        Some("host name starts with a character special to known_hosts")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(KnownHostsError::InvalidHost {
            host: host.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// `<algorithm> <base64 key>` without a comment, as OpenSSH writes entries.
fn openssh_key(key: &PublicKey) -> Result<String, KnownHostsError> {
    let blob = key
        .to_bytes()
        .map_err(|source| KnownHostsError::KeyEncoding { source })?;
    Ok(format!(
        "{} {}",
        key.algorithm().as_str(),
        STANDARD.encode(blob)
    ))
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn open_for_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// True for an empty file or one whose last byte is `\n`.
fn ends_with_newline(file: &mut File) -> io::Result<bool> {
    if file.metadata()?.len() == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempfile::TempDir;

    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID+SYfNQ9htslgy+xNhVctXUGRqm54B/Tzp82V9hlCj7 test-a";
    const KEY_A_FINGERPRINT: &str = "SHA256:Df8Y4scHo/B/yVcJ/sFFJHHbZGAv7nGjM9u84aH2A5w";
    const KEY_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICGGGa+5TywLUw5b8DJbOeJELk3J/jh3cKwRQNMYMBDf test-b";
    const KEY_B_FINGERPRINT: &str = "SHA256:l70tMXedxHDkeWwvaGD8i1cfRpxXzP8oUnWDrluAemo";
    const KEY_C: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBH4FC9IBccKiwd7g2fBwlGYOsMdvW0GNTCPScnpgWV1Cyb6xHN+Oygura0JNYGIR9p+t0hBZ7Z1sejkKqoVYk28= test-c";
    const KEY_C_FINGERPRINT: &str = "SHA256:wG40ODPY23Wwmm5u7QG+X5xRl37vCzXollYmWBrHgqM";

    /// Produced by `ssh-keygen -H` for `relay1.example.org` with KEY_A.
    const HASHED_RELAY1: &str = "|1|+H9RKMBkuc2J53QQp8fq6RUDhMA=|N5f/TbEJkN7gvGR0i0V7HXOtXso= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID+SYfNQ9htslgy+xNhVctXUGRqm54B/Tzp82V9hlCj7";
    /// Produced by `ssh-keygen -H` for `[relay2.example.org]:2222` with KEY_A.
    const HASHED_RELAY2_2222: &str = "|1|ERdauM54bjjNZUyS2SeLu43Q7Jw=|D+qiFXHCBDLP/53ag7AvlbdhQOw= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID+SYfNQ9htslgy+xNhVctXUGRqm54B/Tzp82V9hlCj7";

    fn key(openssh: &str) -> PublicKey {
        PublicKey::from_openssh(openssh).unwrap()
    }

    /// `<algorithm> <base64>` of a test key, without its comment.
    fn bare(openssh: &str) -> String {
        openssh.split(' ').take(2).collect::<Vec<_>>().join(" ")
    }

    fn known_hosts(contents: &str) -> (TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        fs::write(&path, contents).unwrap();
        (dir, path)
    }

    fn check(path: &Path, host: &str, port: u16, openssh: &str) -> HostKeyStatus {
        check_host_key(path, host, port, &key(openssh)).unwrap()
    }

    fn matched(path: &Path, line: usize) -> HostKeyStatus {
        HostKeyStatus::Match {
            file: path.to_path_buf(),
            line,
        }
    }

    /// Builds a hashed host field the way `ssh-keygen -H` does.
    fn hashed_field(salt: &[u8], name: &str) -> String {
        let mut mac = Hmac::<Sha1>::new_from_slice(salt).unwrap();
        mac.update(name.as_bytes());
        format!(
            "|1|{}|{}",
            STANDARD.encode(salt),
            STANDARD.encode(mac.finalize().into_bytes())
        )
    }

    #[test]
    fn plain_match_reports_line_after_comments_and_blanks() {
        let (_dir, path) = known_hosts(&format!(
            "# relays\n\nmx1.example.org {}\nrelay1.example.org {KEY_A}\n",
            bare(KEY_B)
        ));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 4)
        );
        assert_eq!(
            check(&path, "mx1.example.org", 22, KEY_B),
            matched(&path, 3)
        );
        assert_eq!(
            check(&path, "relay9.example.org", 22, KEY_A),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn tab_separated_fields() {
        let (_dir, path) = known_hosts(&format!(
            "relay1.example.org\t{}\n",
            bare(KEY_A).replace(' ', "\t")
        ));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 1)
        );
    }

    #[test]
    fn runs_of_spaces_and_tabs_and_leading_whitespace() {
        let (_dir, path) = known_hosts(&format!(
            "   relay1.example.org  \t  {}   comment with words\r\n",
            bare(KEY_A).replace(' ', " \t  ")
        ));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 1)
        );
    }

    #[test]
    fn comma_separated_host_list() {
        let (_dir, path) = known_hosts(&format!(
            "mx1.example.org,relay1.example.org,192.0.2.10 {KEY_A}\n"
        ));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 1)
        );
        assert_eq!(check(&path, "192.0.2.10", 22, KEY_A), matched(&path, 1));
        assert_eq!(
            check(&path, "mx1.example.org", 22, KEY_A),
            matched(&path, 1)
        );
        assert_eq!(
            check(&path, "mx2.example.org", 22, KEY_A),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn host_matching_is_case_insensitive() {
        let (_dir, path) = known_hosts(&format!("Relay1.EXAMPLE.org {KEY_A}\n"));
        assert_eq!(
            check(&path, "relay1.example.ORG", 22, KEY_A),
            matched(&path, 1)
        );
    }

    #[test]
    fn star_wildcard() {
        let (_dir, path) = known_hosts(&format!("*.example.org {KEY_A}\n"));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 1)
        );
        assert_eq!(
            check(&path, "a.b.example.org", 22, KEY_A),
            matched(&path, 1)
        );
        for other in [
            "example.org",
            "relay1.example.net",
            "relay1.example.org.evil",
        ] {
            assert_eq!(
                check(&path, other, 22, KEY_A),
                HostKeyStatus::Unknown,
                "{other}"
            );
        }
    }

    #[test]
    fn question_mark_wildcard() {
        let (_dir, path) = known_hosts(&format!("relay?.example.org {KEY_A}\n"));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 1)
        );
        assert_eq!(
            check(&path, "relayx.example.org", 22, KEY_A),
            matched(&path, 1)
        );
        assert_eq!(
            check(&path, "relay10.example.org", 22, KEY_A),
            HostKeyStatus::Unknown
        );
        assert_eq!(
            check(&path, "relay.example.org", 22, KEY_A),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn negated_pattern_excludes_host_whatever_the_order() {
        for hosts in [
            "*.example.org,!bad.example.org",
            "!bad.example.org,*.example.org",
        ] {
            let (_dir, path) = known_hosts(&format!("{hosts} {KEY_A}\n"));
            assert_eq!(
                check(&path, "good.example.org", 22, KEY_A),
                matched(&path, 1)
            );
            assert_eq!(
                check(&path, "bad.example.org", 22, KEY_A),
                HostKeyStatus::Unknown,
                "{hosts}"
            );
        }
    }

    #[test]
    fn negation_alone_matches_nothing() {
        let (_dir, path) = known_hosts(&format!("!bad.example.org {KEY_A}\n"));
        assert_eq!(
            check(&path, "good.example.org", 22, KEY_A),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn non_default_port_uses_bracketed_name() {
        let (_dir, path) = known_hosts(&format!(
            "[relay1.example.org]:2222 {KEY_A}\nrelay1.example.org {KEY_B}\n"
        ));
        assert_eq!(
            check(&path, "relay1.example.org", 2222, KEY_A),
            matched(&path, 1)
        );
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_B),
            matched(&path, 2)
        );
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            HostKeyStatus::Mismatch {
                file: path.clone(),
                line: 2,
                expected_fingerprint: KEY_B_FINGERPRINT.to_string(),
            }
        );
        assert_eq!(
            check(&path, "relay1.example.org", 2222, KEY_B),
            HostKeyStatus::Mismatch {
                file: path.clone(),
                line: 1,
                expected_fingerprint: KEY_A_FINGERPRINT.to_string(),
            }
        );
        assert_eq!(
            check(&path, "relay1.example.org", 2200, KEY_A),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn bracketed_pattern_with_wildcard() {
        let (_dir, path) = known_hosts(&format!("[*.example.org]:2222 {KEY_A}\n"));
        assert_eq!(
            check(&path, "relay1.example.org", 2222, KEY_A),
            matched(&path, 1)
        );
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            HostKeyStatus::Unknown
        );
        assert_eq!(
            check(&path, "relay1.example.org", 2223, KEY_A),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn hashed_entry_with_known_salt() {
        let salt: Vec<u8> = (0u8..20).collect();
        let (_dir, path) = known_hosts(&format!(
            "{} {KEY_A}\n{} {KEY_B}\n",
            hashed_field(&salt, "relay1.example.org"),
            hashed_field(&salt, "[relay1.example.org]:2222"),
        ));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 1)
        );
        assert_eq!(
            check(&path, "Relay1.Example.org", 22, KEY_A),
            matched(&path, 1)
        );
        assert_eq!(
            check(&path, "relay1.example.org", 2222, KEY_B),
            matched(&path, 2)
        );
        assert_eq!(
            check(&path, "relay2.example.org", 22, KEY_A),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn hashed_entries_written_by_ssh_keygen() {
        let (_dir, path) = known_hosts(&format!("{HASHED_RELAY1}\n{HASHED_RELAY2_2222}\n"));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 1)
        );
        assert_eq!(
            check(&path, "relay2.example.org", 2222, KEY_A),
            matched(&path, 2)
        );
        assert_eq!(
            check(&path, "relay2.example.org", 22, KEY_A),
            HostKeyStatus::Unknown
        );
        assert!(matches!(
            check(&path, "relay1.example.org", 22, KEY_B),
            HostKeyStatus::Mismatch { line: 1, .. }
        ));
    }

    #[test]
    fn mismatch_prefers_entry_with_same_algorithm() {
        let (_dir, path) = known_hosts(&format!(
            "mx1.example.org {KEY_A}\nrelay1.example.org {KEY_C}\n# rotated\nrelay1.example.org {KEY_B}\n"
        ));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            HostKeyStatus::Mismatch {
                file: path.clone(),
                line: 4,
                expected_fingerprint: KEY_B_FINGERPRINT.to_string(),
            }
        );
    }

    #[test]
    fn mismatch_falls_back_to_any_algorithm() {
        let (_dir, path) = known_hosts(&format!(
            "mx1.example.org {KEY_B}\n*.example.org,!mx1.example.org {KEY_C}\n"
        ));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            HostKeyStatus::Mismatch {
                file: path.clone(),
                line: 2,
                expected_fingerprint: KEY_C_FINGERPRINT.to_string(),
            }
        );
    }

    #[test]
    fn match_wins_over_conflicting_entries() {
        let (_dir, path) = known_hosts(&format!(
            "relay1.example.org {KEY_B}\nrelay1.example.org {KEY_A}\n"
        ));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 2)
        );
    }

    #[test]
    fn revoked_key_wins_over_match() {
        let (_dir, path) = known_hosts(&format!(
            "relay1.example.org {KEY_A}\nrelay1.example.org {KEY_B}\n@revoked * {KEY_A}\n"
        ));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            HostKeyStatus::Revoked {
                file: path.clone(),
                line: 3,
            }
        );
        // Revoking one key leaves the host's other key valid.
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_B),
            matched(&path, 2)
        );
    }

    #[test]
    fn revoked_entry_for_other_host_does_not_apply() {
        let (_dir, path) = known_hosts(&format!(
            "@revoked\tmx1.example.org {KEY_A}\nrelay1.example.org {KEY_A}\n"
        ));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 2)
        );
        assert!(matches!(
            check(&path, "mx1.example.org", 22, KEY_A),
            HostKeyStatus::Revoked { line: 1, .. }
        ));
    }

    #[test]
    fn cert_authority_and_unknown_markers_are_ignored() {
        let (_dir, path) = known_hosts(&format!(
            "@cert-authority *.example.org {KEY_A}\n@bogus relay1.example.org {KEY_B}\n"
        ));
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn unparseable_lines_are_skipped() {
        let mut contents =
            b"garbage\nrelay1.example.org\nrelay1.example.org ssh-ed25519 !!notbase64\n".to_vec();
        contents.extend_from_slice(b"relay1.example.org \xff\xfe\n");
        contents.extend_from_slice(
            format!(
                "relay1.example.org ssh-rsa {}\n",
                bare(KEY_A).split(' ').nth(1).unwrap()
            )
            .as_bytes(),
        );
        contents.extend_from_slice(format!("relay1.example.org {KEY_A}\n").as_bytes());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        fs::write(&path, contents).unwrap();
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 6)
        );
    }

    #[test]
    fn missing_file_is_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent").join("known_hosts");
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn unreadable_path_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_host_key(dir.path(), "relay1.example.org", 22, &key(KEY_A)).unwrap_err();
        assert!(matches!(err, KnownHostsError::Io { ref path, .. } if path == dir.path()));
    }

    #[test]
    fn append_creates_file_and_directory_then_matches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ssh").join("known_hosts");
        append_host_key(&path, "relay1.example.org", 22, &key(KEY_A)).unwrap();
        append_host_key(&path, "relay1.example.org", 2222, &key(KEY_B)).unwrap();

        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!(
                "relay1.example.org {}\n[relay1.example.org]:2222 {}\n",
                bare(KEY_A),
                bare(KEY_B)
            )
        );
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 1)
        );
        assert_eq!(
            check(&path, "relay1.example.org", 2222, KEY_B),
            matched(&path, 2)
        );

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }

    #[test]
    fn append_adds_missing_newline_and_keeps_existing_lines() {
        let existing = format!("# managed\nmx1.example.org\t{}", bare(KEY_B));
        let (_dir, path) = known_hosts(&existing);
        append_host_key(&path, "relay1.example.org", 22, &key(KEY_A)).unwrap();

        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{existing}\nrelay1.example.org {}\n", bare(KEY_A))
        );
        assert_eq!(
            check(&path, "mx1.example.org", 22, KEY_B),
            matched(&path, 2)
        );
        assert_eq!(
            check(&path, "relay1.example.org", 22, KEY_A),
            matched(&path, 3)
        );
    }

    #[test]
    fn append_to_file_ending_with_newline_adds_no_blank_line() {
        let existing = format!("mx1.example.org {}\n", bare(KEY_B));
        let (_dir, path) = known_hosts(&existing);
        append_host_key(&path, "relay1.example.org", 22, &key(KEY_A)).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{existing}relay1.example.org {}\n", bare(KEY_A))
        );
    }

    #[test]
    fn append_rejects_hosts_that_would_corrupt_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        for host in [
            "",
            "relay 1",
            "a,b",
            "*.example.org",
            "#x",
            "@revoked",
            "|1|x",
            "a\nb",
        ] {
            let err = append_host_key(&path, host, 22, &key(KEY_A)).unwrap_err();
            assert!(
                matches!(err, KnownHostsError::InvalidHost { .. }),
                "{host:?}"
            );
        }
        assert!(!path.exists());
    }

    #[test]
    fn fingerprint_matches_ssh_keygen() {
        assert_eq!(fingerprint(&key(KEY_A)), KEY_A_FINGERPRINT);
        assert_eq!(fingerprint(&key(KEY_C)), KEY_C_FINGERPRINT);
    }

    #[test]
    fn wildcard_matching() {
        assert!(wildcard_matches("*", ""));
        assert!(wildcard_matches("*", "[relay1.example.org]:2222"));
        assert!(wildcard_matches("a*b*c", "axxbyyc"));
        assert!(wildcard_matches("a*b*c", "abbbc"));
        assert!(!wildcard_matches("a*b*c", "axxbyy"));
        assert!(wildcard_matches("??", "ab"));
        assert!(!wildcard_matches("??", "abc"));
        assert!(wildcard_matches("**x", "yyx"));
        assert!(!wildcard_matches("", "a"));
    }
}

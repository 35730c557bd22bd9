//! The client side's host key decision, made the way OpenSSH makes it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use russh::client;
use russh::keys::PublicKeyOrCertificate;

use super::known_hosts::{append_host_key, check_host_key, fingerprint, HostKeyStatus};
use crate::inventory::{Host, HostKeyPolicy};

/// Checks the server's key against `known_hosts` under the host's policy and
/// leaves the reason for a refusal in `verdict`.
pub struct HostKeyHandler {
    name: String,
    addr: String,
    port: u16,
    known_hosts: PathBuf,
    policy: HostKeyPolicy,
    verdict: Arc<Mutex<Option<String>>>,
}

impl HostKeyHandler {
    pub fn new(host: &Host, addr: &str, port: u16, verdict: Arc<Mutex<Option<String>>>) -> Self {
        HostKeyHandler {
            name: host.name.clone(),
            addr: addr.to_string(),
            port,
            known_hosts: host.known_hosts.clone(),
            policy: host.host_key_policy,
            verdict,
        }
    }

    fn refuse(&self, reason: String) -> Result<bool, russh::Error> {
        if let Ok(mut v) = self.verdict.lock() {
            *v = Some(reason);
        }
        Ok(false)
    }
}

impl client::Handler for HostKeyHandler {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        if self.policy == HostKeyPolicy::Off {
            return Ok(true);
        }
        let PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            return self.refuse(format!(
                "{}: the server offered a host certificate; only plain host keys are verified",
                self.name
            ));
        };
        let file = self.known_hosts.display();
        match check_host_key(&self.known_hosts, &self.addr, self.port, key) {
            Ok(HostKeyStatus::Match { .. }) => Ok(true),
            Ok(HostKeyStatus::Unknown) if self.policy == HostKeyPolicy::AcceptNew => {
                match append_host_key(&self.known_hosts, &self.addr, self.port, key) {
                    Ok(()) => Ok(true),
                    Err(e) => self.refuse(format!("{}: cannot record the new host key: {e}", self.name)),
                }
            }
            Ok(HostKeyStatus::Unknown) => self.refuse(format!(
                "{}: host key {} for {} is not in {file}; verify it and add it (ssh-keyscan), or set host_key_policy: accept-new",
                self.name,
                fingerprint(key),
                self.addr
            )),
            Ok(HostKeyStatus::Mismatch { file, line, expected_fingerprint }) => self.refuse(format!(
                "{}: HOST KEY MISMATCH for {}: the server offered {} but {}:{line} expects {expected_fingerprint}; refusing to connect",
                self.name,
                self.addr,
                fingerprint(key),
                file.display()
            )),
            Ok(HostKeyStatus::Revoked { file, line }) => self.refuse(format!(
                "{}: host key {} is revoked at {}:{line}",
                self.name,
                fingerprint(key),
                file.display()
            )),
            Err(e) => self.refuse(format!("{}: cannot read {file}: {e}", self.name)),
        }
    }
}

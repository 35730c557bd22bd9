//! Logging in: agent keys, then identity files (each decrypted once and
//! shared by every host), then a password. Secrets never leave this file in
//! messages or debug output.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use russh::client;
use russh::keys::agent::AgentIdentity;
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg};
use tokio::sync::Mutex;

use super::handler::HostKeyHandler;
use super::SshError;
use crate::inventory::Host;

/// Environment variable holding the passphrase of encrypted identity files.
pub const PASSPHRASE_ENV: &str = "MAILTRACE_KEY_PASSPHRASE";

/// Secrets and decrypted keys shared by all connections of one run.
pub struct Credentials {
    passphrase: Option<String>,
    password: Option<String>,
    may_prompt: bool,
    keys: Mutex<HashMap<PathBuf, Result<Arc<PrivateKey>, String>>>,
    prompted_passphrase: Mutex<Option<String>>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "<redacted>"),
            )
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("may_prompt", &self.may_prompt)
            .finish()
    }
}

impl Credentials {
    /// `password` is one typed at `--ask-pass`; `may_prompt` allows asking for
    /// a key passphrase on the terminal.
    pub fn new(password: Option<String>, may_prompt: bool) -> Self {
        Credentials {
            passphrase: std::env::var(PASSPHRASE_ENV).ok(),
            password,
            may_prompt,
            keys: Mutex::new(HashMap::new()),
            prompted_passphrase: Mutex::new(None),
        }
    }

    /// Credentials that never prompt and carry no password.
    pub fn non_interactive() -> Self {
        Credentials::new(None, false)
    }

    /// Uses this passphrase for encrypted identity files.
    pub fn with_passphrase(mut self, passphrase: String) -> Self {
        self.passphrase = Some(passphrase);
        self
    }

    /// How many identity files were read (each is decrypted once per run).
    pub async fn keys_loaded(&self) -> usize {
        self.keys.lock().await.len()
    }

    async fn key(&self, path: &Path) -> Result<Arc<PrivateKey>, String> {
        let mut keys = self.keys.lock().await;
        if let Some(known) = keys.get(path) {
            return known.clone();
        }
        let loaded = self.load(path).await;
        keys.insert(path.to_path_buf(), loaded.clone());
        loaded
    }

    async fn load(&self, path: &Path) -> Result<Arc<PrivateKey>, String> {
        let shown = path.display();
        match russh::keys::load_secret_key(path, None) {
            Ok(key) => return Ok(Arc::new(key)),
            Err(russh::keys::Error::KeyIsEncrypted) => {}
            Err(e) => return Err(format!("{shown}: {e}")),
        }
        let passphrase = match &self.passphrase {
            Some(p) => p.clone(),
            None => self.prompt_passphrase(path).await?,
        };
        russh::keys::load_secret_key(path, Some(&passphrase))
            .map(Arc::new)
            .map_err(|_| format!("{shown}: wrong passphrase (from {PASSPHRASE_ENV} or the prompt)"))
    }

    async fn prompt_passphrase(&self, path: &Path) -> Result<String, String> {
        let mut remembered = self.prompted_passphrase.lock().await;
        if let Some(p) = remembered.as_ref() {
            return Ok(p.clone());
        }
        if !self.may_prompt {
            return Err(format!(
                "{} is encrypted: set {PASSPHRASE_ENV} or run on a terminal",
                path.display()
            ));
        }
        let question = format!("Passphrase for {}: ", path.display());
        let typed = tokio::task::spawn_blocking(move || rpassword::prompt_password(question))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot read the passphrase: {e}"))?;
        *remembered = Some(typed.clone());
        Ok(typed)
    }
}

/// Tries every configured method in order until one succeeds; says which.
pub async fn authenticate(
    handle: &mut client::Handle<HostKeyHandler>,
    host: &Host,
    credentials: &Credentials,
) -> Result<String, SshError> {
    let user = host.user.as_str();
    let mut tried: Vec<String> = Vec::new();
    let rsa_hash = handle
        .best_supported_rsa_hash()
        .await
        .ok()
        .flatten()
        .flatten();

    if host.use_agent && std::env::var_os("SSH_AUTH_SOCK").is_some() {
        match russh::keys::agent::client::AgentClient::connect_env().await {
            Ok(mut agent) => {
                let identities = agent.request_identities().await.unwrap_or_default();
                for identity in identities {
                    let AgentIdentity::PublicKey { key, .. } = identity else {
                        continue;
                    };
                    let ok = handle
                        .authenticate_publickey_with(user, key, rsa_hash, &mut agent)
                        .await
                        .map(|r| r.success())
                        .unwrap_or(false);
                    if ok {
                        return Ok("agent key".to_string());
                    }
                }
                tried.push("agent keys".into());
            }
            Err(_) => tried.push("agent (unreachable)".into()),
        }
    }

    for path in &host.identity_files {
        if !path.exists() {
            continue;
        }
        let key = match credentials.key(path).await {
            Ok(key) => key,
            Err(e) => {
                tried.push(e);
                continue;
            }
        };
        let with_hash = PrivateKeyWithHashAlg::new(key, rsa_hash);
        let result = handle
            .authenticate_publickey(user, with_hash)
            .await
            .map_err(|e| SshError::Protocol(e.to_string()))?;
        if result.success() {
            return Ok(format!("key {}", path.display()));
        }
        tried.push(format!("key {}", path.display()));
    }

    let password = match (&credentials.password, &host.password_env) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(var)) => std::env::var(var).ok(),
        _ => None,
    };
    if let Some(password) = password {
        let result = handle
            .authenticate_password(user, password)
            .await
            .map_err(|e| SshError::Protocol(e.to_string()))?;
        if result.success() {
            return Ok("password".to_string());
        }
        tried.push("password".into());
    }

    if tried.is_empty() {
        tried.push("nothing: no agent, no identity file found, no password".into());
    }
    Err(SshError::Auth {
        user: user.to_string(),
        tried: tried.join(", "),
    })
}

//! One SSH connection to one host: connect, verify the host key, authenticate,
//! and run commands on exec channels with a deadline, streaming their output.

mod auth;
mod handler;
pub mod known_hosts;

pub use auth::Credentials;

use std::sync::Arc;
use std::time::Duration;

use russh::client;
use russh::ChannelMsg;

use crate::inventory::{Address, Host};
use handler::HostKeyHandler;

/// Most stderr text kept from one command.
const MAX_STDERR: usize = 4096;

/// Why a connection or a command failed.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("connecting to {addr} timed out after {secs}s")]
    ConnectTimeout { addr: String, secs: u64 },
    #[error("{0}")]
    HostKey(String),
    #[error("authentication as `{user}` failed (tried: {tried})")]
    Auth { user: String, tried: String },
    #[error("{0}")]
    Key(String),
    #[error("ssh: {0}")]
    Protocol(String),
    #[error("remote command timed out after {secs}s (command_timeout)")]
    CommandTimeout { secs: u64 },
    #[error("{0}")]
    NotSsh(String),
}

/// What a finished command left behind besides its streamed stdout.
#[derive(Debug, Default)]
pub struct CommandEnd {
    pub exit_status: Option<u32>,
    pub stderr: String,
}

/// An authenticated connection, shared by every command sent to the host.
pub struct SshSession {
    handle: client::Handle<HostKeyHandler>,
    /// How the login succeeded: `agent key`, `key PATH` or `password`.
    pub auth_method: String,
}

impl SshSession {
    /// Connects, checks the host key against the host's policy and logs in.
    pub async fn open(host: &Host, credentials: &Credentials) -> Result<SshSession, SshError> {
        let Address::Ssh { host: addr, port } = &host.address else {
            return Err(SshError::NotSsh(format!("{} is read locally", host.name)));
        };
        let shown = format!("{addr}:{port}");
        let config = Arc::new(client::Config {
            inactivity_timeout: None,
            keepalive_interval: Some(Duration::from_secs(15)),
            keepalive_max: 3,
            nodelay: true,
            ..Default::default()
        });
        let verdict = Arc::new(std::sync::Mutex::new(None));
        let handler = HostKeyHandler::new(host, addr, *port, verdict.clone());
        let connect = client::connect(config, (addr.as_str(), *port), handler);
        let mut handle = match tokio::time::timeout(host.connect_timeout, connect).await {
            Err(_) => {
                return Err(SshError::ConnectTimeout {
                    addr: shown,
                    secs: host.connect_timeout.as_secs(),
                })
            }
            Ok(Err(e)) => {
                if let Some(reason) = verdict.lock().ok().and_then(|mut v| v.take()) {
                    return Err(SshError::HostKey(reason));
                }
                return Err(SshError::Connect {
                    addr: shown,
                    reason: describe(&e),
                });
            }
            Ok(Ok(handle)) => handle,
        };
        let login = auth::authenticate(&mut handle, host, credentials);
        match tokio::time::timeout(host.connect_timeout, login).await {
            Err(_) => Err(SshError::ConnectTimeout {
                addr: shown,
                secs: host.connect_timeout.as_secs(),
            }),
            Ok(Err(e)) => Err(e),
            Ok(Ok(auth_method)) => Ok(SshSession {
                handle,
                auth_method,
            }),
        }
    }

    /// Runs `command` on a new channel, handing stdout chunks to `on_stdout`
    /// as they arrive. The whole command may take at most `timeout`.
    pub async fn run(
        &self,
        command: &str,
        timeout: Duration,
        mut on_stdout: impl FnMut(&[u8]),
    ) -> Result<CommandEnd, SshError> {
        let protocol = |e: russh::Error| SshError::Protocol(describe(&e));
        let mut channel = self.handle.channel_open_session().await.map_err(protocol)?;
        channel.exec(true, command).await.map_err(protocol)?;
        let mut end = CommandEnd::default();
        let mut stderr = Vec::new();
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => {
                    let _ = channel.close().await;
                    return Err(SshError::CommandTimeout { secs: timeout.as_secs() });
                }
                message = channel.wait() => match message {
                    None => break,
                    Some(ChannelMsg::Data { data }) => on_stdout(&data),
                    Some(ChannelMsg::ExtendedData { data, .. }) => {
                        let room = MAX_STDERR.saturating_sub(stderr.len());
                        stderr.extend_from_slice(&data[..data.len().min(room)]);
                    }
                    Some(ChannelMsg::ExitStatus { exit_status }) => end.exit_status = Some(exit_status),
                    Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                        end.stderr.push_str(&format!("killed by signal {signal_name:?}; "));
                    }
                    Some(_) => {}
                },
            }
        }
        end.stderr.push_str(String::from_utf8_lossy(&stderr).trim());
        Ok(end)
    }

    /// Whether the connection has gone away.
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Says goodbye to the server.
    pub async fn close(&self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}

/// A readable one-line description of a russh error.
fn describe(e: &russh::Error) -> String {
    match e {
        russh::Error::IO(io) => io.to_string(),
        other => other.to_string(),
    }
}

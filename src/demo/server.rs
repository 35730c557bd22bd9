//! The demo's SSH server: russh's server side on 127.0.0.1, one per demo
//! host, with its own host key. It accepts one client key and runs each exec
//! request with this machine's `sh`, as a real sshd would hand it to the
//! user's shell, streaming stdout, stderr and the exit status back.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use russh::keys::{Algorithm, PrivateKey, PublicKey};
use russh::server::{self, Auth, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// A running demo server.
pub struct DemoServer {
    pub addr: SocketAddr,
    pub host_key: PublicKey,
    task: tokio::task::JoinHandle<()>,
}

impl DemoServer {
    /// Starts a server on an ephemeral loopback port. `exec_delay` holds every
    /// command back that long (tests use it to provoke timeouts).
    pub async fn start(
        client_key: PublicKey,
        exec_delay: Duration,
        ip: &str,
    ) -> std::io::Result<DemoServer> {
        let host_key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
            .map_err(std::io::Error::other)?;
        let public = host_key.public_key().clone();
        let config = Arc::new(server::Config {
            keys: vec![host_key],
            auth_rejection_time: Duration::from_millis(50),
            auth_rejection_time_initial: Some(Duration::ZERO),
            inactivity_timeout: Some(Duration::from_secs(3600)),
            ..Default::default()
        });
        let listener = TcpListener::bind((ip, 0)).await?;
        let addr = listener.local_addr()?;
        let factory = Factory {
            client_key,
            exec_delay,
        };
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let config = config.clone();
                let handler = factory.clone();
                tokio::spawn(async move {
                    if let Ok(session) = server::run_stream(config, stream, handler).await {
                        let _ = session.await;
                    }
                });
            }
        });
        Ok(DemoServer {
            addr,
            host_key: public,
            task,
        })
    }

    /// Stops accepting connections.
    pub fn stop(&self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct Factory {
    client_key: PublicKey,
    exec_delay: Duration,
}

impl server::Handler for Factory {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(self.judge(offer.public_key))
    }

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(self.judge(key.public_key))
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let command = String::from_utf8_lossy(data).into_owned();
        let handle = session.handle();
        let delay = self.exec_delay;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let status = run_shell(&command, &handle, channel).await;
            let _ = handle.exit_status_request(channel, status).await;
            let _ = handle.eof(channel).await;
            let _ = handle.close(channel).await;
        });
        Ok(())
    }
}

impl Factory {
    fn judge(&self, offered: &PublicKey) -> Auth {
        if offered.key_data() == self.client_key.key_data() {
            Auth::Accept
        } else {
            Auth::reject()
        }
    }
}

/// Runs `command` with `sh -c`, forwarding its output to the channel.
async fn run_shell(command: &str, handle: &server::Handle, channel: ChannelId) -> u32 {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            let _ = handle
                .extended_data(channel, 1, format!("sh: {e}\n").into_bytes())
                .await;
            return 127;
        }
    };
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return 1;
    };
    let errors = {
        let handle = handle.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            while let Ok(n) = stderr.read(&mut buf).await {
                if n == 0
                    || handle
                        .extended_data(channel, 1, buf[..n].to_vec())
                        .await
                        .is_err()
                {
                    break;
                }
            }
        })
    };
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        match stdout.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if handle.data(channel, buf[..n].to_vec()).await.is_err() {
                    // the client went away: stop the command
                    let _ = child.kill().await;
                    break;
                }
            }
        }
    }
    let _ = errors.await;
    match child.wait().await {
        Ok(status) => status.code().map(|c| c as u32).unwrap_or(255),
        Err(_) => 255,
    }
}

//! The embedded demo: a bundled site whose logs are served by russh SSH
//! servers on loopback, so `mailtrace demo` and the tests exercise the real
//! collector (SSH, host keys, remote commands) with nothing installed.

mod bundle;
mod server;
mod site;

pub use server::DemoServer;
pub use site::{loopback_of, DemoSite, SiteOptions, HOSTS};

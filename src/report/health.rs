//! What the doctor hands on: each host's health with its findings and the
//! facts the probe gathered.

use serde::Serialize;

use crate::collect::probe::Facts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Pass,
    Warn,
    Fail,
}

/// One finding about a host.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub health: Health,
    pub detail: String,
    pub hint: Option<String>,
}

/// One host's row.
#[derive(Debug, Clone, Serialize)]
pub struct HostHealth {
    pub host: String,
    pub health: Health,
    pub auth: Option<String>,
    pub files: usize,
    pub findings: Vec<Finding>,
    pub facts: Facts,
}

//! The tools: their descriptions and schemas (written for an assistant), and
//! how a call becomes an engine request and a JSON answer. Adding a tool is
//! one entry in [`definitions`] and one arm in [`McpServer::call`].
//!
//! [`McpServer::call`]: super::server::McpServer

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use serde_json::{json, Map, Value};

use super::args::{keywords, optional_string, required_string, window, FOLLOW};
use crate::collect::Collector;
use crate::engine::{run_query, run_trace, QueryRequest, TraceRequest};
use crate::inventory::Inventory;

pub const QUERY: &str = "mailtrace_query_logs";
pub const TRACE: &str = "mailtrace_trace_mail";
pub const FLOW: &str = "mailtrace_check_flow";

/// The tool list, with the inventory's zone and clusters written in.
pub fn definitions(inventory: &Inventory) -> Vec<Tool> {
    let zone = inventory.zone.to_string();
    let clusters: Vec<&str> = inventory.clusters.iter().map(|c| c.name.as_str()).collect();
    let clusters = clusters.join(", ");
    let time = json!({"type": "string", "description": format!("Centre of the search window, \"YYYY-MM-DD HH:MM:SS\" read in the inventory's time zone {zone}. Needs time_range.")});
    let range = json!({"type": "string", "description": "Span before AND after `time` (e.g. \"30m\", \"4h\", \"1d\"). Without `time`: the span up to now. Default: the last 24h."});
    let host = json!({"type": "string", "description": format!("Where to search: a cluster ({clusters}), a host name, or any alias/IP of a host. Read mailtrace://clusters for the list.")});
    let annotations = || {
        ToolAnnotations::new()
            .read_only(true)
            .destructive(false)
            .idempotent(true)
            .open_world(true)
    };
    vec![
        Tool::new(
            QUERY,
            format!(
                "Find mail in the Postfix logs of a cluster or host by keyword, to learn its queue IDs (mail IDs). \
                 Keywords are case-insensitive substrings of the log message: sender or recipient address, domain, user name, \
                 SASL user name, or a queue ID. Returns, per host, every log line of every queue ID that matched (not only the \
                 matching line), grouped by queue ID, plus `mail_ids` and the resolved window. Use this first when you do not know \
                 the queue ID; then call {TRACE} with one of the mail_ids. Times are in {zone}. \
                 Example: {{\"host\": \"mx-cluster\", \"keywords\": [\"alice@example.org\"], \"time\": \"2026-01-27 21:58:00\", \"time_range\": \"1h\"}}"
            ),
            schema(json!({
                "type": "object",
                "properties": {"host": host, "keywords": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                    "description": "Fixed strings, any case: addresses, domains, user names, SASL user names, queue IDs."},
                    "time": time, "time_range": range},
                "required": ["host", "keywords"],
            })),
        )
        .annotate(annotations()),
        Tool::new(
            TRACE,
            format!(
                "Follow one mail across every relay and report where it went: `nodes` (hosts in path order), `edges` \
                 ({{from, to, mail_id, next_mail_id, status, dsn, smtp_code, reply}} per hop), `hop_count`, `graph_dot`, and \
                 `recipients` with each final state (delivered, relayed, untracked, deferred, bounced, expired, rejected, discarded, \
                 held, unknown) and the SMTP reply, plus per-message detail and per-host errors. It follows the queue ID through \
                 every hop itself (queued-as IDs, Message-IDs, notifications), so no manual multi-hop tracing is needed. Start from \
                 a mail_id found with {QUERY} (on the host where it was found), a message_id (searched on every tracked host), or \
                 keywords (like {QUERY}). Times are in {zone}. \
                 Example: {{\"host\": \"smtp-cluster\", \"mail_id\": \"E217D11F770\", \"time\": \"2026-01-27 21:58:00\", \"time_range\": \"4h\"}}"
            ),
            schema(json!({
                "type": "object",
                "properties": {"host": host,
                    "mail_id": {"type": "string", "description": "A Postfix queue ID on `host` (from mailtrace_query_logs)."},
                    "message_id": {"type": "string", "description": "A Message-ID, with or without angle brackets."},
                    "keywords": {"type": "array", "items": {"type": "string"}, "description": "Instead of an ID: keywords as for mailtrace_query_logs."},
                    "time": time, "time_range": range},
                "required": ["host"],
            })),
        )
        .annotate(annotations()),
        Tool::new(
            FLOW,
            format!(
                "Account for every message that entered a cluster from outside in a time window: each recipient ends \
                 delivered (inside the cluster), relayed_out (to which host), bounced, deferred (still queued: where), expired, \
                 rejected, or incomplete (no terminal evidence: last seen where), with counts and a diagnosis for each problem. \
                 Use it for \"is mail flowing through mx-cluster?\" questions rather than one message. Times are in {zone}. \
                 Example: {{\"cluster\": \"mx-cluster\", \"time\": \"2026-01-27 21:00:00\", \"time_range\": \"1h\"}}"
            ),
            schema(json!({
                "type": "object",
                "properties": {"cluster": {"type": "string", "description": format!("A cluster ({clusters}) or host.")},
                    "keywords": {"type": "array", "items": {"type": "string"}, "description": "Only messages matching these keywords (default: every arrival)."},
                    "time": time, "time_range": range},
                "required": ["cluster"],
            })),
        )
        .annotate(annotations()),
    ]
}

fn schema(value: Value) -> Arc<JsonObject> {
    Arc::new(value.as_object().cloned().unwrap_or_default())
}

/// A tool error the assistant can act on.
pub fn failure(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

fn answer(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The hosts a `host` argument stands for, or an error naming the choices.
fn targets(inventory: &Inventory, args: &Map<String, Value>) -> Result<Vec<String>, String> {
    targets_of(inventory, args, "host")
}

fn targets_of(
    inventory: &Inventory,
    args: &Map<String, Value>,
    field: &str,
) -> Result<Vec<String>, String> {
    let host = required_string(args, field)?;
    let hosts: Vec<String> = inventory
        .resolve_target(&host)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|h| h.name.clone())
        .collect();
    let tracked: Vec<String> = hosts
        .iter()
        .filter(|h| inventory.host(h).is_some_and(|h| h.tracked))
        .cloned()
        .collect();
    if tracked.is_empty() {
        return Err(format!(
            "{host} is not tracked: its logs are not searched. Mail it forwarded appears on the hosts it hands mail to; try {}",
            clusters_hint(inventory)
        ));
    }
    Ok(hosts)
}

fn clusters_hint(inventory: &Inventory) -> String {
    inventory
        .clusters
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What to say when nothing matched.
fn nothing_found(
    inventory: &Inventory,
    what: &str,
    window: &crate::engine::WindowView,
) -> CallToolResult {
    let untracked: Vec<&str> = inventory
        .hosts
        .iter()
        .filter(|h| !h.tracked)
        .map(|h| h.name.as_str())
        .collect();
    let mut text = format!(
        "No mail matched {what} between {} and {} ({}). Try a wider time_range (e.g. \"12h\" or \"1d\"), \
         check the time zone ({}), or search another cluster ({}): inbound mail enters at the MX cluster, \
         outbound and internal mail at the submission cluster.",
        window.from,
        window.to,
        window.zone,
        inventory.zone,
        clusters_hint(inventory)
    );
    if !untracked.is_empty() {
        text.push_str(&format!(
            " These hosts are not searched and may hold the mail: {}.",
            untracked.join(", ")
        ));
    }
    failure(text)
}

/// The hosts that reported an error, with it.
fn failed<'a>(
    hosts: impl Iterator<Item = (&'a String, &'a Option<String>)>,
) -> Vec<(String, String)> {
    hosts
        .filter_map(|(name, error)| error.clone().map(|e| (name.clone(), e)))
        .collect()
}

/// A result with failed hosts: an error that still carries the partial answer.
fn partial(failures: Vec<(String, String)>, json: String) -> CallToolResult {
    let list: Vec<String> = failures.iter().map(|(h, e)| format!("{h}: {e}")).collect();
    CallToolResult::error(vec![
        ContentBlock::text(format!(
            "Some hosts could not be searched; the result below covers the others.\n{}",
            list.join("\n")
        )),
        ContentBlock::text(json),
    ])
}

pub async fn query(collector: &Arc<Collector>, args: &Map<String, Value>) -> CallToolResult {
    let inventory = collector.inventory();
    let prepared = (|| -> Result<QueryRequest, String> {
        let hosts = targets(inventory, args)?;
        let keywords = keywords(args, "keywords", true)?;
        let window = window(args, inventory)?;
        Ok(QueryRequest {
            hosts: hosts
                .into_iter()
                .filter(|h| inventory.host(h).is_some_and(|h| h.tracked))
                .collect(),
            keywords,
            window,
            follow: FOLLOW,
        })
    })();
    let request = match prepared {
        Ok(r) => r,
        Err(e) => return failure(e),
    };
    let run = run_query(collector, &request).await;
    let failures = failed(run.hosts.iter().map(|h| (&h.name, &h.error)));
    if !failures.is_empty() {
        return partial(failures, answer(&run));
    }
    if run.line_count() == 0 {
        return nothing_found(inventory, &format!("{:?}", request.keywords), &run.window);
    }
    CallToolResult::success(vec![ContentBlock::text(answer(&run))])
}

pub async fn trace(collector: &Arc<Collector>, args: &Map<String, Value>) -> CallToolResult {
    let inventory = collector.inventory();
    let prepared = (|| -> Result<TraceRequest, String> {
        let hosts = targets(inventory, args)?;
        let mail_id = optional_string(args, "mail_id")?;
        let message_id = optional_string(args, "message_id")?.map(|m| {
            if m.starts_with('<') {
                m
            } else {
                format!("<{m}>")
            }
        });
        let keywords = keywords(args, "keywords", false)?;
        let given = usize::from(mail_id.is_some())
            + usize::from(message_id.is_some())
            + usize::from(!keywords.is_empty());
        if given != 1 {
            return Err("give exactly one of `mail_id`, `message_id` or `keywords`".into());
        }
        for id in mail_id.iter().chain(message_id.iter()) {
            if id.contains(['\0', '\n', '\r']) {
                return Err(format!("{id:?} contains a NUL byte or a line break"));
            }
        }
        Ok(TraceRequest {
            hosts,
            keywords,
            mail_id,
            message_id,
            window: window(args, inventory)?,
            follow: FOLLOW,
            max_rounds: crate::engine::MAX_ROUNDS,
        })
    })();
    let request = match prepared {
        Ok(r) => r,
        Err(e) => return failure(e),
    };
    let run = run_trace(collector, &request, &|_| {}).await;
    let failures = failed(run.hosts.iter().map(|h| (&h.name, &h.error)));
    if !failures.is_empty() {
        return partial(failures, answer(&run));
    }
    if run.trace.messages.is_empty() {
        let what = request
            .mail_id
            .clone()
            .or(request.message_id.clone())
            .unwrap_or_else(|| format!("{:?}", request.keywords));
        return nothing_found(inventory, &what, &run.query.window);
    }
    CallToolResult::success(vec![ContentBlock::text(answer(&run))])
}

pub async fn flow(collector: &Arc<Collector>, args: &Map<String, Value>) -> CallToolResult {
    let inventory = collector.inventory();
    let prepared = (|| -> Result<crate::engine::FlowRequest, String> {
        let hosts = targets_of(inventory, args, "cluster")?;
        Ok(crate::engine::FlowRequest {
            cluster: required_string(args, "cluster")?,
            hosts: hosts
                .into_iter()
                .filter(|h| inventory.host(h).is_some_and(|h| h.tracked))
                .collect(),
            window: window(args, inventory)?,
            keywords: keywords(args, "keywords", false)?,
            follow: FOLLOW,
        })
    })();
    let request = match prepared {
        Ok(r) => r,
        Err(e) => return failure(e),
    };
    let run = crate::engine::run_flow(collector, &request).await;
    let failures = failed(run.hosts.iter().map(|h| (&h.name, &h.error)));
    if !failures.is_empty() {
        return partial(failures, answer(&run));
    }
    if run.summary.flows.is_empty() {
        return nothing_found(
            inventory,
            &format!("arrivals at {}", request.cluster),
            &run.window,
        );
    }
    CallToolResult::success(vec![ContentBlock::text(answer(&run))])
}

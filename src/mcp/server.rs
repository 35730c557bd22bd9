//! The MCP server: one long-lived collector whose SSH connections stay open
//! between calls (closed after an idle timeout, reopened on demand), stdio
//! transport, logs on stderr only.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};

use super::{resources, tools};
use crate::collect::{Collector, Credentials};
use crate::inventory::Inventory;

/// The server state shared by every call.
#[derive(Clone)]
pub struct McpServer {
    collector: Arc<Collector>,
}

impl McpServer {
    pub fn new(inventory: Inventory) -> McpServer {
        McpServer {
            collector: Collector::new(Arc::new(inventory), Credentials::non_interactive()),
        }
    }

    pub fn collector(&self) -> &Arc<Collector> {
        &self.collector
    }

    /// Runs one tool call.
    pub async fn call(
        &self,
        name: &str,
        args: &serde_json::Map<String, serde_json::Value>,
    ) -> rmcp::model::CallToolResult {
        // a connection that broke since the last call is reopened, not reused
        self.collector.forget_broken();
        match name {
            tools::QUERY => tools::query(&self.collector, args).await,
            tools::TRACE => tools::trace(&self.collector, args).await,
            tools::FLOW => tools::flow(&self.collector, args).await,
            other => tools::failure(format!(
                "unknown tool `{other}`: use {}, {} or {}",
                tools::QUERY,
                tools::TRACE,
                tools::FLOW
            )),
        }
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let zone = self.collector.inventory().zone;
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(Implementation::new("mailtrace", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "Trace mail across this site's Postfix relays. Read {} first for the clusters. Find queue IDs with {}, \
                 then follow them with {}. Times are read in {zone}.",
                resources::CLUSTERS,
                tools::QUERY,
                tools::TRACE
            ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::definitions(
            self.collector.inventory(),
        )))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        Ok(self.call(&request.name, &args).await.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new(resources::CLUSTERS, "clusters")
                .with_description("Each cluster and its member hosts")
                .with_mime_type("application/json"),
            Resource::new(resources::HOSTS, "hosts")
                .with_description("Each host with its aliases, clusters, whether its logs are searched, and its time zone")
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let inventory = self.collector.inventory();
        let value = match request.uri.as_str() {
            resources::CLUSTERS => resources::clusters(inventory),
            resources::HOSTS => resources::hosts(inventory),
            other => {
                return Err(ErrorData::resource_not_found(
                    format!(
                        "no resource {other}: try {} or {}",
                        resources::CLUSTERS,
                        resources::HOSTS
                    ),
                    None,
                ))
            }
        };
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, request.uri).with_mime_type("application/json")
        ])
        .into())
    }
}

/// Serves MCP on stdin/stdout until the client goes away.
pub async fn serve_stdio(inventory: Inventory, idle: Duration) -> anyhow::Result<()> {
    let server = McpServer::new(inventory);
    let collector = server.collector.clone();
    let reaper = tokio::spawn(async move {
        let tick = (idle / 4).max(Duration::from_secs(1));
        loop {
            tokio::time::sleep(tick).await;
            collector.close_idle(idle).await;
        }
    });
    let running = server.clone().serve(rmcp::transport::stdio()).await?;
    let result = running.waiting().await;
    reaper.abort();
    server.collector.close().await;
    result?;
    Ok(())
}

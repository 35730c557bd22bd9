//! The MCP front end (`mailtrace mcp`): the tools and resources an assistant
//! uses to debug mail, served over stdio. Thin: arguments become the same
//! engine requests the CLI makes, answers are the same JSON.

mod args;
mod resources;
mod server;
mod tools;

pub use server::{serve_stdio, McpServer};

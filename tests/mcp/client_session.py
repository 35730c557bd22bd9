"""Drives `mailtrace mcp` with the official Python MCP SDK, the way an
assistant following the mail-debug playbook would, against the demo site.

usage: client_session.py MAILTRACE_BINARY INVENTORY
Prints one line per check and closes with `N passed, N failed`.
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

BINARY, INVENTORY = sys.argv[1], sys.argv[2]
SECRET = "hunter2-never-print-me"
WINDOW = {"time": "2026-11-28 21:58:00", "time_range": "1h"}
results = []
seen_text = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def text_of(result):
    texts = [c.text for c in result.content if getattr(c, "type", "") == "text"]
    seen_text.extend(texts)
    return texts


def answer(result):
    """The JSON answer of a successful call (the last text block)."""
    return json.loads(text_of(result)[-1])


def cli_trace(*args):
    out = subprocess.run(
        [BINARY, "trace", "-i", INVENTORY, "--format", "json", *args],
        capture_output=True, text=True, check=False,
    )
    return json.loads(out.stdout)


def shape(trace):
    return {
        "nodes": trace["nodes"],
        "edges": [(e["from"], e["to"], e["mail_id"], e["next_mail_id"], e["status"]) for e in trace["edges"]],
        "states": [(r["address"], r["state"], r["host"], r["dsn"]) for r in trace["recipients"]],
    }


async def session(inventory, env=None, extra=()):
    params = StdioServerParameters(
        command=BINARY,
        args=["mcp", "-i", inventory, "-v", *extra],
        env={**os.environ, **(env or {})},
    )
    return stdio_client(params, errlog=open(os.devnull, "w"))


async def main_session():
    async with await session(INVENTORY, {"MAILTRACE_SSH_PASSWORD": SECRET}) as (read, write):
        async with ClientSession(read, write) as s:
            init = await s.initialize()
            check("initialize names the server", init.server_info.name == "mailtrace", init.server_info)

            tools = {t.name: t for t in (await s.list_tools()).tools}
            check("the playbook tools and check_flow are listed",
                  {"mailtrace_query_logs", "mailtrace_trace_mail", "mailtrace_check_flow"} <= set(tools), list(tools))
            trace_tool = tools.get("mailtrace_trace_mail")
            check("tools are read-only and idempotent",
                  all(t.annotations and t.annotations.read_only_hint and t.annotations.idempotent_hint for t in tools.values()))
            check("descriptions state the time zone", trace_tool is not None and "+08:00" in (trace_tool.description or ""))

            uris = [str(r.uri) for r in (await s.list_resources()).resources]
            check("resources list clusters and hosts", "mailtrace://clusters" in uris and "mailtrace://hosts" in uris, uris)
            clusters = json.loads((await s.read_resource("mailtrace://clusters")).contents[0].text)
            check("mailtrace://clusters maps clusters to hosts", clusters.get("mx-cluster") == ["csmx1", "csmx2"], clusters)
            hosts = json.loads((await s.read_resource("mailtrace://hosts")).contents[0].text)
            check("mailtrace://hosts lists aliases and tracking",
                  any(h["name"] == "csmwproxy1" and h["tracked"] is False for h in hosts)
                  and any("10.2.9.11" in h["aliases"] for h in hosts), hosts)

            q = await s.call_tool("mailtrace_query_logs", {"host": "mx-cluster", "keywords": ["alice@example.org"], **WINDOW})
            qa = answer(q) if not q.is_error else {}
            check("query by keyword finds the queue ID", "260601E0209" in qa.get("mail_ids", []), text_of(q)[:1])
            lines = [l for h in qa.get("hosts", []) for m in h["mails"] if m["mail_id"] == "260601E0209" for l in m["lines"]]
            check("query returns every line of the queue ID", any("message-id=" in l for l in lines) and any("removed" in l for l in lines), lines)

            t = await s.call_tool("mailtrace_trace_mail", {"host": "csmx1", "mail_id": "260601E0209", **WINDOW})
            ta = answer(t) if not t.is_error else {}
            check("trace by queue ID follows every hop", ta.get("nodes") == ["csmx1", "maillist1", "mailer4", "maildirect1"] and ta.get("hop_count") == 3, ta.get("nodes"))
            check("trace edges carry from/to/mail_id", all({"from", "to", "mail_id"} <= set(e) for e in ta.get("edges", [])) and ta.get("graph_dot", "").startswith("digraph"))
            cli = cli_trace("--host", "csmx1", "--mail-id", "260601E0209", "--time", WINDOW["time"], "--range", WINDOW["time_range"])
            check("MCP trace equals the CLI trace", shape(ta) == shape(cli), (shape(ta), shape(cli)))
            check("the first calls opened each host's connection once", ta.get("stats", {}).get("connections_opened") == 5, ta.get("stats"))
            t2 = await s.call_tool("mailtrace_trace_mail", {"host": "csmx1", "mail_id": "260601E0209", **WINDOW})
            t2a = answer(t2) if not t2.is_error else {}
            check("a repeated call reuses every SSH connection", t2a.get("stats", {}).get("connections_opened") == 0 and shape(t2a) == shape(ta), t2a.get("stats"))

            k = await s.call_tool("mailtrace_trace_mail", {"host": "smtp-cluster", "keywords": ["nosuchuser@cs.example.edu"], "time": "2026-11-28 22:15:00", "time_range": "30m"})
            ka = answer(k) if not k.is_error else {}
            states = {(r["address"], r["state"], r["dsn"]) for r in ka.get("recipients", [])}
            check("trace by keyword reports the bounce", ("nosuchuser@cs.example.edu", "bounced", "5.1.1") in states, states)
            first = (ka.get("messages") or [{}])[0]
            check("the answer carries checks, verdict and diagnosis",
                  ka.get("verdict", "").startswith("PROBLEM") and first.get("checks")
                  and any(d.get("rule") == "user_unknown" for d in first.get("diagnosis", [])), ka.get("verdict"))
            ok = answer(t)
            check("a delivered inbound trace is CORRECT", ok.get("verdict") == "CORRECT", ok.get("verdict"))

            f = await s.call_tool("mailtrace_check_flow", {"cluster": "mx-cluster", "time": "2026-11-28 22:00:00", "time_range": "1h"})
            fa = answer(f) if not f.is_error else {}
            check("check_flow accounts for every arrival at the MX cluster",
                  fa.get("counts", {}).get("delivered", 0) >= 10 and fa.get("counts", {}).get("rejected") == 1, fa.get("counts"))

            async def expect_error(name, tool, args, pattern):
                r = await s.call_tool(tool, args)
                text = " ".join(text_of(r))
                check(name, bool(r.is_error) and re.search(pattern, text) is not None, text[:300])

            await expect_error("unknown host lists clusters and closest names", "mailtrace_trace_mail",
                               {"host": "csmx3", "mail_id": "X1"}, r"closest: csmx1.*clusters: mx-cluster")
            await expect_error("bad time shows the format", "mailtrace_query_logs",
                               {"host": "mx-cluster", "keywords": ["a"], "time": "yesterday", "time_range": "1h"}, r"YYYY-MM-DD HH:MM:SS")
            await expect_error("time without time_range", "mailtrace_query_logs",
                               {"host": "mx-cluster", "keywords": ["a"], "time": "2026-11-28 21:58:00"}, r"time_range")
            await expect_error("nothing found suggests what to try", "mailtrace_trace_mail",
                               {"host": "mx-cluster", "keywords": ["nobody@nowhere.invalid"], **WINDOW}, r"wider time_range.*csmwproxy1")
            await expect_error("missing host", "mailtrace_query_logs", {"keywords": ["a"]}, r"missing argument `host`")
            await expect_error("wrong type", "mailtrace_query_logs", {"host": 3, "keywords": ["a"]}, r"must be a string")
            await expect_error("empty keywords", "mailtrace_query_logs", {"host": "mx-cluster", "keywords": []}, r"empty")
            await expect_error("untracked host", "mailtrace_query_logs", {"host": "csmwproxy1", "keywords": ["a"]}, r"not tracked")
            again = await s.call_tool("mailtrace_query_logs", {"host": "csmx1", "keywords": ["alice@example.org"], **WINDOW})
            check("the server keeps serving after errors", not again.is_error)


async def partial_session():
    # the same site with one MX pointing at a port where nothing listens
    text = open(INVENTORY).read()
    broken = re.sub(r"(  csmx2:\n    address: \S+\n    port: )\d+", r"\g<1>1", text)
    path = os.path.join(tempfile.mkdtemp(), "inventory.yaml")
    with open(path, "w") as f:
        f.write(broken)
    async with await session(path) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            r = await s.call_tool("mailtrace_trace_mail", {"host": "mx-cluster", "keywords": ["alice@example.org"], **WINDOW})
            texts = text_of(r)
            partial = json.loads(texts[-1]) if len(texts) > 1 else {}
            check("a failed host gives a partial result with its error",
                  bool(r.is_error) and "csmx2" in texts[0] and partial.get("nodes", [None])[0] == "csmx1", texts[:1])


async def idle_session():
    async with await session(INVENTORY, extra=["--idle-timeout", "1s"]) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            args = {"host": "csmx1", "keywords": ["alice@example.org"], **WINDOW}
            opened = []
            for pause in (0, 0, 3):
                await asyncio.sleep(pause)
                r = await s.call_tool("mailtrace_query_logs", args)
                opened.append(answer(r).get("connections_opened") if not r.is_error else None)
            check("idle connections are closed and reopened on demand", opened == [1, 0, 1], opened)


asyncio.run(main_session())
asyncio.run(idle_session())
asyncio.run(partial_session())
check("no secret appears in any answer", all(SECRET not in t for t in seen_text))
failed = results.count(False)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)

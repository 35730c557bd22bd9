#!/usr/bin/env python3
"""testbed/lib/compare.py: compares `mailtrace trace --format json` output
with the scenarios' ground truth (out/truth.json).

Usage: compare.py TRUTH_JSON TRACE_DIR
TRACE_DIR holds, per scenario, NN-NAME.json (stdout of the trace),
NN-NAME.err (its stderr) and NN-NAME.rc (its exit status).

Per scenario it checks: the trace exited 0 and every host was searched
without error; exactly the expected messages are present (the scenario's
message, found by Message-ID, or the NOQUEUE rejection when it has none,
plus one bounce notification per expected one, and nothing else); the
message's sender and entry (host and queue ID); that each notification
names the entry queue ID; the set of recipients; and per recipient its
state, DSN, original address, host path and the retries of each hop. The path of a recipient is the `from` of
every edge carrying it (under its address, its original, or an address it
travelled as) followed by the last such edge's `to`, or the message's entry
host when no edge carries it.

Prints one line per scenario (details indented below a failure) and the
closing line `N passed, N failed`; exits 1 on any failure.
"""

import json
import os
import sys


def load(path):
    with open(path) as fh:
        return json.load(fh)


def carrying_edges(message, addresses):
    return [e for e in message.get("edges", []) if addresses & set(e.get("recipients", []))]


def recipient_path(message, addresses):
    # a hop the next host never answered (connection refused or timed out)
    # is an edge, but the mail did not reach that host
    carrying = [e for e in carrying_edges(message, addresses)
                if e.get("status") == "sent" or e.get("smtp_code") is not None]
    if not carrying:
        nodes = message.get("nodes") or []
        return nodes[:1]
    return [e["from"] for e in carrying] + [carrying[-1]["to"]]


def describe(message):
    rcpts = ", ".join(
        f"{r.get('address')}={r.get('state')}/{r.get('dsn')}" for r in message.get("recipients", [])
    )
    return (
        f"message_id={message.get('message_id')} notification_of={message.get('notification_of')} "
        f"nodes={message.get('nodes')} recipients=[{rcpts}]"
    )


def check_recipients(label, message, expected, problems):
    """expected: list of dicts with address, original, via, state, dsn, path."""
    outcomes = message.get("recipients", [])
    got = sorted(o.get("address") for o in outcomes)
    want = sorted(r["address"] for r in expected)
    if got != want:
        problems.append(f"{label}: recipients {got}, expected {want}")
    for r in expected:
        matches = [o for o in outcomes if o.get("address") == r["address"]]
        if len(matches) != 1:
            continue
        o = matches[0]
        who = f"{label} {r['address']}"
        if o.get("state") != r["state"]:
            problems.append(f"{who}: state {o.get('state')!r}, expected {r['state']!r}"
                            + (f" (note: {o['note']})" if o.get("note") else ""))
        if o.get("dsn") != r["dsn"]:
            problems.append(f"{who}: dsn {o.get('dsn')!r}, expected {r['dsn']!r}")
        if "original" in r and o.get("original") != r["original"]:
            problems.append(f"{who}: original {o.get('original')!r}, expected {r['original']!r}")
        addresses = {r["address"]} | set(r.get("via", []))
        if r.get("original"):
            addresses.add(r["original"])
        if o.get("original"):
            addresses.add(o["original"])
        path = recipient_path(message, addresses)
        if path != r["path"]:
            problems.append(f"{who}: path {' -> '.join(path) or '(none)'}, expected {' -> '.join(r['path'])}")
        own = (o.get("path") or []) + ([o["failed_hop"]] if o.get("failed_hop") else [])
        if own != r["path"]:
            problems.append(f"{who}: the recipient's own path {' -> '.join(own) or '(none)'}, "
                            f"expected {' -> '.join(r['path'])}")
        retries = r.get("retries", {})
        for e in carrying_edges(message, addresses):
            want = retries.get(e["from"], 0)
            if e.get("retries") != want:
                problems.append(f"{who}: hop {e['from']} -> {e['to']} ({e.get('mail_id')}): "
                                f"retries {e.get('retries')}, expected {want}")


def check_scenario(s, trace_dir):
    base = os.path.join(trace_dir, f"{s['number']:02d}-{s['name']}")
    problems = []
    rc = open(base + ".rc").read().strip() if os.path.exists(base + ".rc") else "missing"
    if rc != "0":
        err = open(base + ".err").read().strip() if os.path.exists(base + ".err") else ""
        problems.append(f"mailtrace exited {rc}" + (f": {err.splitlines()[-1]}" if err else ""))
    try:
        trace = load(base + ".json")
    except (OSError, ValueError) as e:
        problems.append(f"no JSON trace: {e}")
        return problems
    for h in trace.get("hosts", []):
        if h.get("error"):
            problems.append(f"host {h.get('name')}: {h['error']}")
    messages = trace.get("messages", [])
    used = set()

    if s["message_id"] is not None:
        mains = [i for i, m in enumerate(messages)
                 if m.get("message_id") == s["message_id"] and not m.get("notification_of")]
    else:
        want = {r["address"] for r in s["recipients"]}
        mains = [i for i, m in enumerate(messages)
                 if m.get("message_id") is None and not m.get("notification_of")
                 and {r.get("address") for r in m.get("recipients", [])} <= want]
    if len(mains) != 1:
        problems.append(f"{len(mains)} messages match {s['message_id'] or 'the rejection'}, expected 1")
    if mains:
        used.add(mains[0])
        main = messages[mains[0]]
        if (main.get("sender") or "") != s["sender"]:
            problems.append(f"sender {main.get('sender')!r}, expected {s['sender']!r}")
        entry = s.get("entry")
        first = (main.get("instances") or [{}])[0]
        if entry and (first.get("host"), first.get("mail_id")) != (entry["host"], entry["mail_id"]):
            problems.append(f"entry {first.get('host')} {first.get('mail_id')}, "
                            f"expected {entry['host']} {entry['mail_id']}")
        check_recipients("message", main, s["recipients"], problems)
        if "verdict" in s:
            verdict = main.get("verdict") or ""
            if not verdict.startswith(s["verdict"]):
                problems.append(f"verdict {verdict!r}, expected {s['verdict']}")
            rules = [d.get("rule") for d in main.get("diagnosis", [])]
            want = s.get("first_diagnosis", "-")
            if (rules[0] if rules else "-") != want:
                problems.append(f"first diagnosis {rules[:1] or '-'}, expected {want}")

    for n in s.get("notifications", []):
        found = [i for i, m in enumerate(messages)
                 if m.get("notification_of") and i not in used
                 and n["recipient"] in {r.get("address") for r in m.get("recipients", [])}]
        if len(found) != 1:
            problems.append(f"{len(found)} bounce notifications to {n['recipient']}, expected 1")
            continue
        used.add(found[0])
        about = messages[found[0]].get("notification_of")
        if s.get("entry") and about != s["entry"]["mail_id"]:
            problems.append(f"notification to {n['recipient']} is about {about}, "
                            f"expected {s['entry']['mail_id']}")
        expected = [{"address": n["recipient"], "state": n["state"], "dsn": n["dsn"], "path": n["path"]}]
        check_recipients("notification", messages[found[0]], expected, problems)

    for i, m in enumerate(messages):
        if i not in used:
            problems.append(f"unexpected message: {describe(m)}")
    return problems


def site_checks(truth, trace_dir):
    """doctor, audit (every format) and check-flow against the truth: (label, problems)."""
    def read(name):
        path = os.path.join(trace_dir, name)
        rc = open(path + ".rc").read().strip() if os.path.exists(path + ".rc") else "missing"
        text = open(path).read() if os.path.exists(path) else ""
        return rc, text

    out = []
    rc, text = read("doctor.json")
    problems = [] if rc == "0" else [f"doctor exited {rc}"]
    try:
        for row in json.loads(text or "[]"):
            if row.get("health") == "fail":
                problems.append(f"doctor: {row.get('host')} fails: {row.get('findings')}")
    except ValueError as e:
        problems.append(f"doctor JSON: {e}")
    out.append(("doctor", problems))

    rc, text = read("doctor-faults.json")
    problems = [] if rc == "3" else [f"doctor with faults exited {rc}, expected 3"]
    expected = {"csmx1": ("ssh", "HOST KEY MISMATCH", "remove the old entry"),
                "csmail2": ("logs", "no file matches", "fix `logs`"),
                "maillist1": ("reach", "", "sshd running")}
    try:
        rows = {r.get("host"): r for r in json.loads(text or "[]")}
        for host, (check, detail, hint) in expected.items():
            found = [f for f in rows.get(host, {}).get("findings", [])
                     if f.get("check") == check and f.get("health") == "fail"
                     and detail in f.get("detail", "") and hint in (f.get("hint") or "")]
            if not found:
                problems.append(f"doctor: {host} should fail {check} with {hint!r}: {rows.get(host, {}).get('findings')}")
        for host, row in rows.items():
            if host not in expected and row.get("health") == "fail":
                problems.append(f"doctor: healthy {host} fails: {row.get('findings')}")
    except ValueError as e:
        problems.append(f"doctor JSON: {e}")
    out.append(("doctor pinpoints injected faults", problems))

    recipients = [r for s in truth["scenarios"] for r in s["recipients"]]
    rc, text = read("audit.json")
    problems = [] if rc == "4" else [f"audit --fail-on problems exited {rc}, expected 4 (mail is stuck)"]
    try:
        report = json.loads(text or "{}")
        stuck = {s.get("recipient") for s in report.get("stuck", [])}
        for r in recipients:
            if r["state"] == "deferred" and r["address"] not in stuck:
                problems.append(f"audit: {r['address']} is deferred but not listed as stuck")
        classes = {(f.get("state"), f.get("dsn")) for f in report.get("failures", [])}
        for r in recipients:
            if r["state"] in ("bounced", "rejected") and (r["state"], r["dsn"]) not in classes:
                problems.append(f"audit: no {r['state']} {r['dsn']} class for {r['address']}")
    except ValueError as e:
        problems.append(f"audit JSON: {e}")
    for name, needle in (("audit.txt", "Stuck mail"), ("audit.md", "## Stuck mail"), ("audit.html", "<svg")):
        frc, ftext = read(name)
        if frc != "0" or needle not in ftext:
            problems.append(f"{name}: exit {frc}, {'has' if needle in ftext else 'lacks'} {needle!r}")
    out.append(("audit", problems))

    rc, text = read("flow-mx.json")
    problems = [] if rc == "0" else [f"check-flow mx-cluster exited {rc}, expected 0"]
    try:
        flows = {(f.get("recipient"), f.get("class")) for f in json.loads(text or "{}").get("flows", [])}
        for s in truth["scenarios"]:
            if s["trace"]["host"] != "mx-cluster":
                continue
            for r in s["recipients"]:
                cls = "relayed_out" if r["state"] == "relayed" else r["state"]
                if (r["address"], cls) not in flows:
                    problems.append(f"check-flow: {r['address']} not counted as {cls}")
    except ValueError as e:
        problems.append(f"check-flow JSON: {e}")
    out.append(("check-flow mx-cluster", problems))
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    truth = load(sys.argv[1])
    passed = failed = 0
    for s in truth["scenarios"]:
        problems = check_scenario(s, sys.argv[2])
        label = f"{s['number']:02d} {s['name']}"
        if problems:
            failed += 1
            print(f"FAIL {label}")
            for p in problems:
                print(f"     {p}")
        else:
            passed += 1
            print(f"ok   {label}")
    if os.path.exists(os.path.join(sys.argv[2], "audit.json.rc")):
        for label, problems in site_checks(truth, sys.argv[2]):
            if problems:
                failed += 1
                print(f"FAIL {label}")
                for p in problems:
                    print(f"     {p}")
            else:
                passed += 1
                print(f"ok   {label}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

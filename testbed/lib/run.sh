# shellcheck shell=bash
# testbed/lib/run.sh: what scenarios do to a running site: send with swaks,
# wait for log lines and quiet queues, rotate logs, change and reload a
# host's Postfix, and record the ground truth. Sourced; needs lib/common.sh.

TB_TRUTH_PARTS="$TB_OUT/truth.d"
TB_SWAKS="$TB_OUT/swaks"

# tb_send NAME SERVER_HOST FROM TO[,TO...] MESSAGE_ID SUBJECT: submit one
# message with swaks from the outside client; the whole SMTP dialogue goes
# to out/swaks/NAME.log. Returns swaks's status.
tb_send() {
    local name=$1 host=$2 from=$3 to=$4 mid=$5 subject=$6
    mkdir -p "$TB_SWAKS"
    swaks --server "$(tb_ip "$host")" --port 25 --helo client.example.org \
        --from "$from" --to "$to" --timeout 15s \
        --header "Message-Id: $mid" --header "Subject: $subject" \
        --body "testbed scenario $name" >"$TB_SWAKS/$name.log" 2>&1
}

# tb_send_ok: as tb_send, and the message must be queued.
tb_send_ok() {
    if ! tb_send "$@" || ! grep -q '^<-  250 .*queued as' "$TB_SWAKS/$1.log"; then
        echo "testbed: scenario $1: $2 did not queue the message:" >&2
        tail -8 "$TB_SWAKS/$1.log" >&2
        return 1
    fi
}

# tb_log_has HOST ERE: the host's current maillog has a matching line.
tb_log_has() { grep -Eq -- "$2" "$TB_HOSTS/$1/log/maillog"; }

# tb_wait_log HOST ERE WHAT: wait (at most 30 s) for a line in HOST's maillog.
tb_wait_log() {
    tb_wait 30 "$1 logs $3" tb_log_has "$1" "$2" || {
        echo "testbed: last lines of $1's maillog:" >&2
        tail -8 "$TB_HOSTS/$1/log/maillog" >&2
        return 1
    }
}

# tb_queue_id HOST ERE: the queue ID of the last line matching ERE.
tb_queue_id() {
    grep -E -- "$2" "$TB_HOSTS/$1/log/maillog" | tail -1 |
        sed -E 's/^.*postfix\/[a-z]+\[[0-9]+\]: ([0-9A-F]+): .*$/\1/'
}

# tb_queue_counts HOST: "active incoming deferred hold" counts of the host's queue.
tb_queue_counts() {
    hx "$1" postqueue -j 2>/dev/null | python3 -c '
import json, sys
n = {"active": 0, "incoming": 0, "deferred": 0, "hold": 0, "maildrop": 0}
for line in sys.stdin:
    if line.strip():
        q = json.loads(line).get("queue_name", "")
        n[q] = n.get(q, 0) + 1
print(n["active"] + n["incoming"] + n["maildrop"], n["deferred"], n["hold"])'
}

# tb_quiet SPEC: every host's queue holds nothing in flight and exactly the
# deferred messages SPEC names ("mailer4=1 maillist1=1"; others 0).
tb_quiet() {
    local spec=" $1 " h want counts
    for h in $(tb_hosts); do
        [ "$(tb_role "$h")" = direct ] && ! tb_listening "$h" 25 && continue
        want=$(sed -nE "s/.* $h=([0-9]+) .*/\1/p" <<<"$spec")
        counts=$(tb_queue_counts "$h")
        [ "$counts" = "0 ${want:-0} 0" ] || return 1
    done
}

# tb_settle SPEC: tb_quiet twice in a row, half a second apart (a message
# between two hosts is in one of their queues at every moment), at most 60 s.
tb_settle() {
    local deadline=$((SECONDS + 60))
    while :; do
        if tb_quiet "$1"; then
            sleep 0.5
            tb_quiet "$1" && return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "testbed: queues did not settle in 60s (expected deferred: ${1:-none}):" >&2
            local h
            for h in $(tb_hosts); do echo "  $h: $(tb_queue_counts "$h" || echo down) (in-flight deferred hold)" >&2; done
            return 1
        fi
        sleep 0.2
    done
}

# tb_logging_to_new HOST: no postlogd of the host still writes into a
# rotated file (after `postfix reload` the old one exits once idle, and the
# next log line starts one that opens the new maillog).
tb_logging_to_new() {
    local p fd
    for p in $(ip netns pids "tb-$1"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = postlogd ] || continue
        for fd in "/proc/$p/fd/"*; do
            case $(readlink "$fd" 2>/dev/null) in */maillog.*) return 1 ;; esac
        done
    done
    return 0
}

# tb_rotate: logrotate on every host (compress, delaycompress, postfix reload
# in postrotate), then wait until no Postfix writes into a rotated file.
tb_rotate() {
    local h
    for h in $(tb_hosts); do
        hx "$h" logrotate -f -s /var/lib/postfix/logrotate.status /etc/postfix/testbed-logrotate.conf ||
            tb_die "$h: logrotate failed"
    done
    for h in $(tb_hosts); do
        tb_wait 15 "$h: postlogd writing into the new maillog after rotation" tb_logging_to_new "$h"
    done
}

# tb_reload HOST: postfix reload, waiting until the new configuration is in
# force (the reload line in the log and the new master children).
tb_reload() {
    local before
    before=$(grep -c 'postfix/master\[[0-9]*\]: reload' "$TB_HOSTS/$1/log/maillog" || true)
    hx "$1" postfix reload >/dev/null 2>&1 || tb_die "$1: postfix reload failed"
    tb_wait 15 "$1: reload logged" sh -c \
        "[ \$(grep -c 'postfix/master\[[0-9]*\]: reload' '$TB_HOSTS/$1/log/maillog') -gt $before ]"
}

# tb_postconf HOST 'name = value': change one main.cf parameter (backdated so
# Postfix takes it at once).
tb_postconf() {
    postconf -c "$TB_HOSTS/$1/postfix" -e "$2"
    touch -d '-1 minute' "$TB_HOSTS/$1/postfix/main.cf"
}

# tb_truth NAME JSON: one scenario's ground truth.
tb_truth() {
    mkdir -p "$TB_TRUTH_PARTS"
    printf '%s\n' "$2" >"$TB_TRUTH_PARTS/$1.json"
}

# tb_write_truth: out/truth.json from the parts, in scenario order.
tb_write_truth() {
    python3 - "$TB_TRUTH_PARTS" "$TB_OUT/truth.json" "$TB_TZ" <<'EOF'
import json, os, sys
parts, out, zone = sys.argv[1], sys.argv[2], sys.argv[3]
scenarios = []
for f in sorted(os.listdir(parts)):
    with open(os.path.join(parts, f)) as fh:
        scenarios.append(json.load(fh))
scenarios.sort(key=lambda s: (s["number"], s["name"]))
truth = {
    "timezone": zone,
    "inventory": "inventory.yaml",
    "note": "path: inventory host names in the order the message reached them, "
            "ending with the host that decided the state (for relayed: the outside "
            "host as Postfix names it in relay=NAME[IP]); a refused hand-off counts "
            "the refusing host, a connection that never opened does not",
    "scenarios": scenarios,
}
with open(out + ".tmp", "w") as fh:
    json.dump(truth, fh, indent=2)
    fh.write("\n")
os.replace(out + ".tmp", out)
EOF
}

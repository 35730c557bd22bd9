# shellcheck shell=bash
# testbed/lib/common.sh: the site's hosts, paths, and the helpers every
# testbed command shares (logging, running a command inside a host, bounded
# waits). Sourced, never run.

# shellcheck disable=SC2034 # used by the commands that source this file
TB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TB_REPO=$(cd "$TB_DIR/.." && pwd)
TB_OUT="$TB_DIR/out"
# Host roots, namespace files and pid files live outside the work tree.
TB_STATE=${TESTBED_STATE:-/run/mailtrace-testbed}
TB_NS="$TB_STATE/ns"
TB_HOSTS="$TB_STATE/hosts"
# Zone every host logs in (TZ of Postfix) and the inventory's timezone.
TB_TZ=${TESTBED_TZ:-UTC}
TB_BRIDGE=${TESTBED_BRIDGE:-tb-mail0}
TB_NET=10.77.0
TB_GATEWAY="$TB_NET.1"
TB_DOMAIN=cs.example.edu
TB_SUB=test.cs.example.edu

# name  last-octet  role
TB_SITE="
csmx1       11 mx
csmx2       12 mx
csmail1     21 smtp
csmail2     22 smtp
mailer4     34 mailer
maillist1   41 list
maildirect1 51 direct
csmwproxy1  61 proxy
mxlog        6 sink
"

tb_hosts() { awk 'NF {print $1}' <<<"$TB_SITE"; }
tb_ip() { awk -v h="$1" -v n="$TB_NET" '$1 == h {print n "." $2}' <<<"$TB_SITE"; }
tb_role() { awk -v h="$1" '$1 == h {print $3}' <<<"$TB_SITE"; }
# The name other hosts' logs use for a host (mxlog is outside the site).
tb_fqdn() {
    if [ "$1" = mxlog ]; then echo mxlog.example.net; else echo "$1.$TB_SUB"; fi
}

tb_log() { printf '%s testbed: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
tb_die() { printf 'testbed: error: %s\n' "$*" >&2; exit 1; }

tb_require_root() {
    [ "$(id -u)" = 0 ] || tb_die "must run as root (network namespaces, mounts)"
}

# hx HOST CMD...: run CMD inside HOST's network, mount and UTS namespaces,
# with the zone the host logs in.
# Bounded: a command still running after TB_CMD_TIMEOUT seconds is killed.
hx() {
    local h=$1 rc=0
    shift
    nsenter --net="/run/netns/tb-$h" --mount="$TB_NS/$h.mnt" --uts="$TB_NS/$h.uts" \
        -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TZ="$TB_TZ" LANG=C \
        timeout "${TB_CMD_TIMEOUT:-60}" "$@" || rc=$?
    [ "$rc" != 124 ] || echo "testbed: $h: timed out after ${TB_CMD_TIMEOUT:-60}s: $*" >&2
    return "$rc"
}

# tb_wait SECONDS WHAT CMD...: retry CMD every 0.1 s until it succeeds; on
# timeout say what was awaited and fail.
tb_wait() {
    local secs=$1 what=$2
    shift 2
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "testbed: timed out after ${secs}s waiting for: $what" >&2
            return 1
        fi
        sleep 0.1
    done
}

# tb_listening HOST PORT: something listens on the host's own address.
tb_listening() {
    hx "$1" ss -Hltn "sport = :$2" | grep -q LISTEN
}

# tb_time: now, in the zone the hosts log in, as mailtrace's --time reads it.
tb_time() { TZ="$TB_TZ" date '+%Y-%m-%d %H:%M:%S'; }

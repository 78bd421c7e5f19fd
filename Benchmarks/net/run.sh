#!/usr/bin/env bash
# Networking figures (issue #11), each as a ratio against the same workload natively, measured
# in one run with the two interleaved round by round (this machine is noisy). Median of REPS.
#   guest-to-guest TCP in one machine, 64 KiB writes (Gbit/s)
#   new guest-to-guest TCP connections per second
#   bulk transfer from the host into a guest through --publish (Gbit/s)
#   nginx (2 workers) through --publish: keep-alive (ab -k) and a connection per request
#   busybox httpd through --publish (a connection per request)
# Prints a markdown table. MODES: the x86-64 modes to measure (default skas seccomp tt);
# FIGURES: which groups to run (default "bytes http": bytes = stream, connect, bulk; http = the
# nginx and busybox request rates).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
UMLAB="${UMLAB:-$REPO/.build/release/umlab}"
REPS="${REPS:-3}"
MODES="${MODES:-skas seccomp tt}"
STREAM_MB="${STREAM_MB:-1024}"
CONNECTS="${CONNECTS:-5000}"
BULK_MB="${BULK_MB:-1024}"
REQUESTS="${REQUESTS:-20000}"
FIGURES="${FIGURES:-bytes http}"
wants() { case " $FIGURES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
B="$HERE/build"
mkdir -p "$B/www" "$B/logs"
gcc -O2 -static -o "$B/tcpbench" "$HERE/tcpbench.c"
# A small page, as an HTTP benchmark's.
head -c 612 /dev/zero | tr '\0' 'x' > "$B/www/index.html"
nginx_conf() {  # $1: port, $2: where the config goes, $3: nginx's run directory; prints the path
    mkdir -p "$2"
    sed -e "s#@WWW@#$B/www#; s#@PORT@#$1#; s#@RUN@#$3#" "$HERE/nginx.conf.in" > "$2/nginx.conf"
    echo "$2/nginx.conf"
}

PORT_BASE=$((20000 + RANDOM % 20000))
next_port() { PORT_BASE=$((PORT_BASE + 1)); echo $PORT_BASE; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# umlab takes (and resets) a published port's clients before the guest listens: an HTTP server
# is ready when it answers.
wait_http() { for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$1/index.html" && return 0; sleep 0.05; done; return 1; }
rps() { sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p'; }

declare -A samples
add() { samples[$1]+="$2 "; printf '\r[round %d/%d] %-28s %10s ' "$r" "$REPS" "$1" "$2" >&2; }

# One server run natively or in a guest with --publish; $1: native|MODE, $2: guest port,
# the rest: the server command. Sets SERVER_PID and HOST_PORT.
start_server() {
    local where=$1 gport=$2; shift 2
    HOST_PORT=$(next_port)
    if [ "$where" = native ]; then
        "${@//@PORT@/$HOST_PORT}" >/dev/null 2>&1 &
    else
        "$UMLAB" run --mode "$where" --publish "$HOST_PORT:$gport" -- "${@//@PORT@/$gport}" >/dev/null 2>&1 &
    fi
    SERVER_PID=$!
    wait_port "$HOST_PORT"
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }

for r in $(seq "$REPS"); do
    for where in native $MODES; do
        if wants bytes; then
            run=("$B/tcpbench")
            [ "$where" = native ] || run=("$UMLAB" run --mode "$where" -- "$B/tcpbench")
            add "stream/$where" "$("${run[@]}" stream "$STREAM_MB" 65536 | awk '{print $2}')"
            add "connect/$where" "$("${run[@]}" connect "$CONNECTS" | awk '{print $2}')"

            start_server "$where" 9000 "$B/tcpbench" sink @PORT@
            add "bulk/$where" "$("$B/tcpbench" send 127.0.0.1 "$HOST_PORT" "$BULK_MB" | awk '{print $2}')"
            stop_server
        fi
        wants http || continue

        # A guest's root is read-only: its nginx keeps its run files in the guest's /tmp.
        if [ "$where" = native ]; then
            conf=$(nginx_conf "$((PORT_BASE + 1))" "$B/logs/native" "$B/logs/native")
        else
            conf=$(nginx_conf 8080 "$B/logs/$where" /tmp)
        fi
        start_server "$where" 8080 nginx -e stderr -c "$conf"
        wait_http "$HOST_PORT"
        add "nginx-keepalive/$where" "$(ab -q -k -n "$REQUESTS" -c 16 "http://127.0.0.1:$HOST_PORT/index.html" 2>/dev/null | rps)"
        add "nginx-close/$where" "$(ab -q -n $((REQUESTS / 4)) -c 16 "http://127.0.0.1:$HOST_PORT/index.html" 2>/dev/null | rps)"
        stop_server

        start_server "$where" 8081 busybox httpd -f -p @PORT@ -h "$B/www"
        wait_http "$HOST_PORT"
        add "busybox-httpd/$where" "$(ab -q -n $((REQUESTS / 4)) -c 8 "http://127.0.0.1:$HOST_PORT/index.html" 2>/dev/null | rps)"
        stop_server
    done
done
echo >&2

median() { tr ' ' '\n' | { grep -v '^$' || true; } | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "| figure | unit | native | $(for m in $MODES; do printf 'umlab %s | ratio | ' "$m"; done)"
echo "|---|---|---:|$(for m in $MODES; do printf -- '---:|---:|'; done)"
for f in stream connect bulk nginx-keepalive nginx-close busybox-httpd; do
    [ -n "${samples[$f/native]:-}" ] || continue
    case $f in stream|bulk) unit="Gbit/s" ;; connect) unit="conn/s" ;; *) unit="req/s" ;; esac
    n=$(echo "${samples[$f/native]}" | median)
    line="| $f | $unit | $n |"
    for m in $MODES; do
        v=$(echo "${samples[$f/$m]}" | median)
        line+=" $v | $(awk -v a="$v" -v b="$n" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') |"
    done
    echo "$line"
done

#!/usr/bin/env bash
# wrk-per-request.sh counts what the net/http server of `evbench -serve`
# does per request under wrk, for net and for evnet, in interleaved rounds:
# syscalls by kind, context switches, wake-ups and migrations of its threads
# (perf stat on tracepoints, which work without a PMU), and req/s. It runs
# itself inside a private network namespace (loopback only).
#
#   bash bench/wrk-per-request.sh [rounds] [wrk connections] [seconds]
#
# Needs root, perf (Debian's linux-perf), wrk and unshare. Prints one line
# per round and stack, then the medians per request.
set -euo pipefail
rounds=${1:-5} conns=${2:-1} secs=${3:-3}
cd "$(dirname "$0")/.."
. bench/wrk-lib.sh
wrk_sandbox "bench/$(basename "$0")" "$rounds" "$conns" "$secs" # relative to the root we are in now

events=syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_sendto
events+=,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_futex,syscalls:sys_enter_nanosleep
events+=,syscalls:sys_enter_epoll_ctl,raw_syscalls:sys_enter
events+=,sched:sched_switch,sched:sched_wakeup,sched:sched_migrate_task

# one STACK: serve on STACK, count over a wrk run, print "STACK req/s k=v/req ..."
one() {
  local stack=$1
  serve_start "$stack"
  perf stat -x, -e "$events" -p "$srv" -o "$tmp/perf" &
  local pst=$!
  sleep 0.2 # perf attaches
  wrk -t1 -c"$conns" -d"${secs}s" "http://$addr/" >"$tmp/wrk"
  kill -INT "$pst"
  wait "$pst" || true
  serve_stop
  local reqs rps
  reqs=$(awk '/requests in/ {print $1}' "$tmp/wrk")
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk")
  awk -F, -v s="$stack" -v n="$reqs" -v rps="$rps" '
    NF > 3 && $1 ~ /^[0-9]+$/ { k = $3; sub(/.*:(sys_enter_)?/, "", k); c[k] += $1 }
    END {
      printf "%s req/s=%s", s, rps
      split("read write sendto epoll_pwait futex nanosleep epoll_ctl sys_enter sched_switch sched_wakeup sched_migrate_task", ks, " ")
      for (i = 1; i in ks; i++) printf " %s=%.3f", ks[i], c[ks[i]] / n
      printf "\n"
    }' "$tmp/perf"
}

interleave "$rounds" "per request" one

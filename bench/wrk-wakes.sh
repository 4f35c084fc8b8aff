#!/usr/bin/env bash
# wrk-wakes.sh measures where the kernel runs the net/http server's thread
# that wrk wakes with each request, for net and for evnet, in interleaved
# rounds: it records the scheduler's tracepoints system-wide for 1 s in the
# middle of a wrk run against `evbench -serve`, pairs each wake-up of a
# server thread by wrk (sched_waking) with the CPU the thread was put on
# (sched_wakeup) and the moment it ran (sched_switch), and prints the share
# of wake-ups on wrk's own CPU and the mean wake-to-run time. It runs itself
# inside a private network namespace (loopback only).
#
#   bash bench/wrk-wakes.sh [rounds] [wrk connections]
#
# Needs root, perf (Debian's linux-perf), wrk and unshare. Prints one line
# per round and stack, then the medians.
set -euo pipefail
rounds=${1:-5} conns=${2:-1}
cd "$(dirname "$0")/.."
. bench/wrk-lib.sh
wrk_sandbox "bench/$(basename "$0")" "$rounds" "$conns" # relative to the root we are in now

# one STACK: prints "STACK req/s=… wakes=… same-cpu=…% run-µs=… same-run-µs=… other-run-µs=…"
one() {
  local stack=$1
  serve_start "$stack"
  wrk -t1 -c"$conns" -d4s "http://$addr/" >"$tmp/wrk" &
  local w=$!
  sleep 1
  perf record -q -a -e sched:sched_waking,sched:sched_wakeup,sched:sched_switch \
    -o "$tmp/data" -- sleep 1 2>/dev/null
  wait "$w"
  serve_stop
  local rps
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk")
  perf script -i "$tmp/data" 2>/dev/null | awk -v s="$stack" -v rps="$rps" '
    function field(name) {
      if (!match($0, name "=[^ ]+")) return ""
      return substr($0, RSTART + length(name) + 1, RLENGTH - length(name) - 1)
    }
    {
      if (!match($0, /\[[0-9]+\]/)) next
      cpu = substr($0, RSTART + 1, RLENGTH - 2) + 0
      if (!match($0, / [0-9]+\.[0-9]+: /)) next
      t = substr($0, RSTART + 1, RLENGTH - 3) * 1e6
    }
    /sched:sched_waking:/ {
      if ($1 == "wrk" && index(field("comm"), "evbench") == 1) { p = field("pid"); wt[p] = t; wc[p] = cpu; tc[p] = -1 }
      next
    }
    /sched:sched_wakeup:/ {
      p = field("pid")
      if (p in wt) tc[p] = field("target_cpu") + 0
      next
    }
    /sched:sched_switch:/ {
      p = field("next_pid")
      if ((p in wt) && tc[p] >= 0) {
        d = t - wt[p]; n++; sum += d
        if (tc[p] == wc[p]) { same++; ssum += d } else { osum += d }
        delete wt[p]
      }
    }
    END {
      if (n == 0) { printf "%s req/s=%s wakes=0\n", s, rps; exit }
      # (no comparison among the printf arguments: awk reads ">" there as a redirection)
      sm = same ? ssum / same : 0
      om = (n - same) ? osum / (n - same) : 0
      printf "%s req/s=%s wakes=%d same-cpu=%.1f%% run-µs=%.1f same-run-µs=%.1f other-run-µs=%.1f\n",
        s, rps, n, 100 * same / n, sum / n, sm, om
    }'
}

interleave "$rounds" "per wake-up" one

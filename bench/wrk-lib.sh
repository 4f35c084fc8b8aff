# wrk-lib.sh is sourced by the bench/wrk-*.sh scripts: it puts the calling
# script in a private network namespace (loopback only) with a fresh
# evbench, starts and stops the `evbench -serve` HTTP server, and runs the
# script's measurement for net and evnet in interleaved rounds.

# wrk_sandbox SCRIPT ARGS... re-executes SCRIPT inside `unshare -n`, after
# building evbench to $EVBENCH; inside, it returns and sets up $tmp.
wrk_sandbox() {
  EVBENCH=/tmp/evbench-wrk
  if [ -z "${EVNET_WRK_INNER:-}" ]; then
    go build -o "$EVBENCH" ./cmd/evbench
    exec unshare -n env EVNET_WRK_INNER=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' "$@"
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
}

# serve_start STACK starts `evbench -serve STACK`, which serves until its
# standard input closes, and sets $srv (its pid) and $addr.
serve_start() {
  mkfifo "$tmp/in"
  sleep 600 >"$tmp/in" &
  holder=$!
  "$EVBENCH" -serve "$1" <"$tmp/in" >"$tmp/addr" &
  srv=$!
  for _ in $(seq 100); do [ -s "$tmp/addr" ] && break; sleep 0.05; done
  addr=$(head -1 "$tmp/addr")
}

# serve_stop stops the server serve_start started.
serve_stop() {
  kill "$holder"
  wait "$srv" || true
  rm -f "$tmp/in" "$tmp/addr"
}

# interleave ROUNDS LABEL FUNC runs FUNC net and FUNC evnet ROUNDS times,
# alternating which goes first; FUNC prints "STACK key=value ...". Then it
# prints the medians of every key (bench/medians.awk).
interleave() {
  local rounds=$1 label=$2 fn=$3 r s order
  for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then order="net evnet"; else order="evnet net"; fi
    for s in $order; do "$fn" "$s" | tee -a "$tmp/all"; done
  done
  awk -v label="$label" -f bench/medians.awk "$tmp/all"
}

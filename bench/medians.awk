# medians.awk prints, for lines "STACK key=value key=value ...", the median
# of each key per stack (net and evnet) and their ratio evnet/net. Used by
# interleave in wrk-lib.sh: awk -v label=WHAT -f bench/medians.awk
{
  for (f = 2; f <= NF; f++) {
    split($f, kv, "=")
    cnt = ++n[$1 SUBSEP kv[1]]
    v[$1 SUBSEP kv[1] SUBSEP cnt] = kv[2]
    keys[f] = kv[1]
  }
}
function median(s, k,   m, x, p, q, t) {
  m = n[s SUBSEP k]
  for (p = 1; p <= m; p++) x[p] = v[s SUBSEP k SUBSEP p] + 0
  for (p = 1; p <= m; p++) for (q = p + 1; q <= m; q++) if (x[q] < x[p]) { t = x[p]; x[p] = x[q]; x[q] = t }
  return m % 2 ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2
}
END {
  printf "%-20s %10s %10s %8s\n", label, "net", "evnet", "ratio"
  for (f = 2; f in keys; f++) {
    mn = median("net", keys[f]); me = median("evnet", keys[f])
    r = mn > 0 ? sprintf("%.2f", me / mn) : "-"
    printf "%-20s %10.3f %10.3f %8s\n", keys[f], mn, me, r
  }
}

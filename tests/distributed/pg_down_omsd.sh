#!/usr/bin/env bash
# pg_down_omsd.sh OMSD CONFIG WORKDIR - omsd starts and trades while its
# PostgreSQL projection is down (docs/store.md, "PostgreSQL down"): a
# throwaway cluster of its own (initdb in WORKDIR, 127.0.0.1 on a free port)
# that is NOT started; omsd with store.projection = "postgres" must start
# anyway, say so loudly (log, GET /healthz: journal_only), take orders over
# FIX (tests/distributed/fix_orders.py), answer order reads from the journal
# and the parents' read with 503 PROJECTION_DOWN. Then PostgreSQL starts:
# the projection catches up by itself (healthz: live, lag 0) and holds every
# order and every event once (seqs 1..N without a gap); a restart of omsd
# adds no row twice. Every process is stopped by its PID or by pg_ctl.
# Without PostgreSQL: skipped loudly, or failed under CI.
set -u
omsd=$1 conf=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
log=$work/omsd.log
. "$here/lib.sh"
pg_init pg_down_omsd
pg_omsd_conf "$conf" down1
auth="Authorization: Bearer trader1-secret-change-me"
get() { curl -s -m 5 -H "$auth" "$base$1"; }
code() { curl -s -m 5 -o "$work/body" -w '%{http_code}' -H "$auth" "$base$1"; }
state() { get /healthz | python3 -c 'import json,sys; p=json.load(sys.stdin)["projection"]; print(p["state"], p["lag_records"])'; }

omsd_start                           # PostgreSQL is down: omsd starts all the same
grep -q 'PostgreSQL unreachable: trading from the journal' "$log" || fail "no loud line about PostgreSQL"
[ -n "$fix" ] || fail "no FIX port in the log"
set -- $(state)
[ "$1" = journal_only ] || fail "healthz: projection $*, not journal_only"
n=50
out=$(python3 "$here/fix_orders.py" "$fix" CLIENT1 client1-secret f "$n") || fail "FIX orders: $out"
echo "$out" | grep -q "acked=$n" || fail "FIX orders: $out"
listed=$(get "/v1/orders?limit=500" | python3 -c 'import json,sys; print(sum(1 for o in json.load(sys.stdin)["orders"] if o["client_order_id"].startswith("f")))')
[ "$listed" = "$n" ] || fail "the journal's view lists $listed of $n orders"
c=$(code /v1/parents)
[ "$c" = 503 ] && grep -q PROJECTION_DOWN "$work/body" || fail "GET /v1/parents: $c $(cat "$work/body")"

t0=$(date +%s%N)
pg_start
ok=
for _ in $(seq 1 300); do # the projector backs off up to 5 s, runs at SCHED_IDLE
  set -- $(state)
  [ "$1" = live ] && [ "$2" = 0 ] && { ok=1; break; }
  sleep 0.1
done
[ -n "$ok" ] || fail "the projection is $* 30 s after PostgreSQL started"
t1=$(date +%s%N)
grep -q 'PostgreSQL caught up with the journal' "$log" || fail "the catch-up was not logged"
check() {
  ev=$(sql "SELECT count(*) || ' ' || coalesce(max(seq), 0) || ' ' || count(DISTINCT seq) FROM events WHERE instance = 'down1'")
  set -- $ev
  [ "$1" = "$2" ] && [ "$1" = "$3" ] || fail "events: count, max seq, distinct seqs = $ev (a gap or a duplicate)"
  [ "$1" -ge $((2 * n)) ] || fail "$1 events in PostgreSQL for $n orders (at least 2 each)"
  events=$1
  ids=$(sql "SELECT count(*) || ' ' || count(DISTINCT client_order_id) FROM orders WHERE instance = 'down1' AND client_order_id LIKE 'f%'")
  [ "$ids" = "$n $n" ] || fail "orders in PostgreSQL (rows, distinct ClOrdIDs): $ids of $n"
}
check
first=$events
stop_pid "$pid" TERM; rc=$?; pid=
[ "$rc" = 0 ] || fail "omsd exited $rc on SIGTERM"
omsd_start                           # PostgreSQL up: an ordinary start, nothing twice
set -- $(state)
[ "$1" = live ] || fail "healthz after the restart: $*"
stop_pid "$pid" TERM; pid=
check
[ "$events" -ge "$first" ] || fail "events went from $first to $events"
pg_stop
echo "pg_down_omsd: ok orders=$n events=$events catch_up_ms=$(( (t1 - t0) / 1000000 ))"

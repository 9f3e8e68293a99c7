#!/usr/bin/env bash
# pg_omsd.sh OMSD CONFIG WORKDIR - the journal's projection in PostgreSQL
# through a real omsd (docs/deployment.md): a throwaway cluster of its own
# (initdb in WORKDIR, 127.0.0.1 on a free port, its socket in WORKDIR; run as
# the postgres user when we are root) and omsd with store.projection =
# "postgres". Orders go in through the admin API while PostgreSQL is stopped
# and started again (omsd must keep taking every order meanwhile: the journal
# keeps them), then while omsd is killed (-9) and restarted. At the end
# PostgreSQL must hold every order, every event once with seqs 1..N without
# a gap, each row carrying the instance. Every process is stopped by its PID
# or by pg_ctl. Without PostgreSQL: skipped loudly, or failed under CI.
set -u
omsd=$1 conf=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
log=$work/omsd.log
. "$(dirname "$0")/lib.sh"
pg_init pg_omsd
pg_start
pg_omsd_conf "$conf" e2e1
trader="Authorization: Bearer trader1-secret-change-me"
placed=0
orders() { # from to: one BUY LIMIT each (resting: submitted, accepted)
  for i in $(seq "$1" "$2"); do
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "$trader" -H 'Content-Type: application/json' \
      -X POST "$base/v1/orders" \
      -d "{\"client_order_id\":\"p$i\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"qty\":\"0.01\",\"price\":\"64990\"}")
    [ "$code" = 201 ] || fail "order p$i: HTTP $code"
    placed=$((placed + 1))
  done
}

omsd_start
orders 1 40
pg_stop                         # PostgreSQL goes away mid-stream
t0=$(date +%s%N)
orders 41 80                    # trading goes on; the journal keeps the events
t1=$(date +%s%N)
grep -q 'component=store' "$log" || true
sleep 0.5
pg_start
orders 81 120
stop_pid "$pid" KILL; pid=   # omsd dies mid-stream
omsd_start                      # its open catches PostgreSQL up from the journal
orders 121 160
ok=
for _ in $(seq 1 300); do # the projector runs at SCHED_IDLE: 30 s on a saturated machine
  n=$(sql "SELECT count(*) FROM orders WHERE instance = 'e2e1'")
  [ "$n" = "$placed" ] && { ok=1; break; }
  sleep 0.1
done
[ -n "$ok" ] || fail "PostgreSQL holds ${n:-?} orders of $placed after 30 s"
stop_pid "$pid" TERM; rc=$?; pid=
[ "$rc" = 0 ] || fail "omsd exited $rc on SIGTERM"
ev=$(sql "SELECT count(*) || ' ' || coalesce(max(seq), 0) || ' ' || count(DISTINCT seq) FROM events WHERE instance = 'e2e1'")
set -- $ev
[ "$1" = "$2" ] && [ "$1" = "$3" ] || fail "events: count, max seq, distinct seqs = $ev (a gap or a duplicate)"
[ "$1" -ge $((2 * placed)) ] || fail "$1 events in PostgreSQL for $placed orders (at least 2 each)"
ids=$(sql "SELECT count(DISTINCT client_order_id) FROM orders WHERE instance = 'e2e1' AND client_order_id LIKE 'p%'")
[ "$ids" = "$placed" ] || fail "$ids distinct client order ids of $placed"
other=$(sql "SELECT count(*) FROM events WHERE instance <> 'e2e1'")
[ "$other" = 0 ] || fail "$other rows of another instance"
grep -q 'component=store.*PostgreSQL\|component=store.*projection' "$log" || fail "the projection's failure was not logged"
cur=$(sql "SELECT lsn FROM journal_projection WHERE instance = 'e2e1'")
pg_stop
echo "pg_omsd: ok orders=$placed events=$1 cursor_lsn=$cur pg_down_orders_ms=$(( (t1 - t0) / 1000000 ))"

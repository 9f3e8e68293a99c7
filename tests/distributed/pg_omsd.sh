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
bin=/usr/lib/postgresql/15/bin
rm -rf "$work" && mkdir -p "$work"
log=$work/omsd.log
pid=
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_stop() { as_pg "$bin/pg_ctl" -D "$work/pg/data" -m fast -w -t 30 stop >>"$work/pg.log" 2>&1; }
fail() {
  echo "FAIL: $*"
  echo "--- omsd log (last 40 lines)"; tail -n 40 "$log"
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  pg_stop
  exit 1
}
if [ ! -x "$bin/initdb" ]; then
  [ -n "${CI:-}" ] && { echo "FAIL: PostgreSQL 15 not found under CI (make deps installs it)"; exit 1; }
  echo "SKIP: PostgreSQL 15 not found in $bin (make deps installs it): pg_omsd: skipped"
  exit 0
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
as_pg "$bin/initdb" -D "$work/pg/data" -A trust -E UTF8 -U postgres >>"$work/pg.log" 2>&1 ||
  { echo "FAIL: initdb"; cat "$work/pg.log"; exit 1; }
pg_start() {
  as_pg "$bin/pg_ctl" -D "$work/pg/data" -w -t 30 -o "-k $work/pg -h 127.0.0.1 -p $port" start \
    >>"$work/pg.log" 2>&1 || fail "PostgreSQL did not start"
}
sql() { "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "$1"; }
chmod o+rx "$work" 2>/dev/null
pg_start

{ cat "$conf"; printf '\n'; } | sed 's/^store = {/store = { projection = "postgres"; pg_conninfo = "host=127.0.0.1 port='"$port"' user=postgres dbname=postgres connect_timeout=2"; instance = "e2e1";/' >"$work/omsd.conf"
grep -q 'projection = "postgres"' "$work/omsd.conf" || fail "cannot set store.projection in the config"

starts=0
omsd_start() {
  "$omsd" --config "$work/omsd.conf" --port 0 --admin-port 0 --data-dir "$work/data" --durability os 2>>"$log" &
  pid=$!
  base=
  for _ in $(seq 1 100); do
    local p
    p=$(sed -n 's/.*admin listening.* port=\([0-9][0-9]*\).*/\1/p' "$log" | sed -n "$((starts + 1))p")
    if [ -n "$p" ]; then base=http://127.0.0.1:$p; starts=$((starts + 1)); return 0; fi
    kill -0 "$pid" 2>/dev/null || fail "omsd exited at start"
    sleep 0.1
  done
  fail "no \"admin listening\" line within 10 s"
}
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
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=   # omsd dies mid-stream
omsd_start                      # its open catches PostgreSQL up from the journal
orders 121 160
ok=
for _ in $(seq 1 300); do # the projector runs at SCHED_IDLE: 30 s on a saturated machine
  n=$(sql "SELECT count(*) FROM orders WHERE instance = 'e2e1'")
  [ "$n" = "$placed" ] && { ok=1; break; }
  sleep 0.1
done
[ -n "$ok" ] || fail "PostgreSQL holds ${n:-?} orders of $placed after 30 s"
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
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

#!/usr/bin/env bash
# failover.sh OMSD OMSVENUE SOURCE_DIR WORKDIR - several omsd instances
# (docs/deployment.md, "Several instances"), through real processes: a
# throwaway PostgreSQL, omsvenue (the exchange, over FIX), and two omsd on
# one configuration (etc/omsd-fix-venue.conf with the PostgreSQL projection
# and a cluster group: instance ny1, number 7, account ACC1) and one shared
# data directory: node a (the owner) and node b (the standby, another FIX
# port). A FIX client (failover_client.py) sends a stream of orders to a
# and kills a (-9) mid-stream, an order in flight; b takes the lease with a
# new token, recovers the journal, reconciles with omsvenue, listens; the
# client logs on to b and goes on. Then a is started again: it waits as a
# standby (fenced out). Then b is paused (SIGSTOP) past its lease: a takes
# the lease and waits for the data directory; b resumed (SIGCONT) finds it
# lost the lease, says FENCED (GET /healthz 503), and exits 3; a serves.
# Checked: every order the client was told of is in PostgreSQL once, live
# (the venue has it: reconciled), with an order id carrying the instance
# number; the events' seqs have no gap; an account the instance does not own
# is refused (ACCOUNT_NOT_OWNED).
# Every process is stopped by its PID (PostgreSQL by pg_ctl). Without
# PostgreSQL: skipped loudly, or failed under CI.
set -u
omsd=$1 venue=$2 src=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
pa= pb= pv= pc= pa2=
. "$src/tests/distributed/lib.sh"
fail() {
  echo "FAIL: $*"
  for f in a b a2 venue; do
    [ -f "$work/$f.log" ] && { echo "--- $f.log (last 25 lines)"; tail -n 25 "$work/$f.log"; }
  done
  [ -f "$work/client.log" ] && { echo "--- client.log (last 10 lines)"; tail -n 10 "$work/client.log"; }
  ab=$(admin_of b 2>/dev/null)
  [ -n "$ab" ] && [ -n "$pb" ] && for q in readyz v1/venues; do
    echo "--- b: GET /$q"
    curl -s -m 2 -H "Authorization: Bearer ops-secret-change-me" "http://127.0.0.1:$ab/$q"; echo
  done
  for p in $pa $pb $pv $pc $pa2; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
  pg_stop
  exit 1
}
t_start=$(date +%s%N)
pg_init failover
vport=$(free_port) fa=$(free_port) fb=$(free_port)
pg_start -c fsync=off

# The exchange: its book does not walk, so the orders rest (inside the collar).
sed 's/step_ms = 1000/step_ms = 0/' "$src/etc/omsvenue.conf" >"$work/omsvenue.conf"
"$venue" --config "$work/omsvenue.conf" --port "$vport" --data-dir "$work/venue" 2>"$work/venue.log" &
pv=$!

conninfo="host=127.0.0.1 port=$pg_port user=postgres dbname=postgres connect_timeout=2"
{
  sed -e "s/host = \"127.0.0.1\"; port = 9879;/host = \"127.0.0.1\"; port = $vport;/" \
      -e 's/reconnect_min_ms = 1000; reconnect_max_ms = 30000;/reconnect_min_ms = 100; reconnect_max_ms = 500;/' \
      -e 's/cancel_on_disconnect = true/cancel_on_disconnect = false/' \
      -e "s/^store = {/store = { projection = \"postgres\"; pg_conninfo = \"$conninfo\"; instance = \"ny1\";/" \
      "$src/etc/omsd-fix-venue.conf"
  printf '\ncluster = { node = "a"; number = 7; accounts = [ "ACC1" ]; lease_ms = 1500; fenced_linger_ms = 3000; };\n'
} >"$work/omsd.conf"
grep -q "port = $vport" "$work/omsd.conf" && grep -q 'projection = "postgres"' "$work/omsd.conf" ||
  fail "cannot rewrite the configuration"

start() { # node fix_port log: the PID in $started
  "$omsd" --config "$work/omsd.conf" --node "$1" --port "$2" --admin-port 0 --data-dir "$work/data" \
    --durability os 2>>"$work/$3.log" &
  started=$!
}
wait_log() { # log pattern seconds pid
  for _ in $(seq 1 $(($3 * 10))); do
    grep -q "$2" "$work/$1.log" 2>/dev/null && return 0
    [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null && fail "$1 exited while waiting for \"$2\""
    sleep 0.1
  done
  fail "no \"$2\" in $1.log within $3 s"
}
admin_of() { sed -n 's/.*admin listening.* port=\([0-9][0-9]*\).*/\1/p' "$work/$1.log" | tail -n 1; }

start a "$fa" a; pa=$started
wait_log a "msg=listening" 30 "$pa"
wait_log a "instance owned" 1 "$pa"
start b "$fb" b; pb=$started
wait_log b "standby: the instance is owned by another node" 20 "$pb"
grep -q "msg=listening" "$work/b.log" && fail "the standby listens while a owns the instance"

# The owner refuses an account it does not own, through the admin API.
aa=$(admin_of a)
body=$(curl -s -m 5 -w ' HTTP%{http_code}' -H "Authorization: Bearer ops-secret-change-me" \
  -H 'Content-Type: application/json' -X POST "http://127.0.0.1:$aa/v1/orders" \
  -d '{"client_order_id":"x1","account":"ACC2","symbol":"BTC-USD","side":"BUY","type":"LIMIT","qty":"0.001","price":"64900"}')
case "$body" in *ACCOUNT_NOT_OWNED*HTTP422) ;; *) fail "an order for ACC2: $body" ;; esac
health=$(curl -s -m 5 "http://127.0.0.1:$aa/healthz")
case "$health" in *'"state":"held"'*'"token":1'*) ;; *) fail "a's health: $health" ;; esac

# The stream of orders; the client kills a (-9) just after it sent its 21st,
# so that an order is in flight (unread, journaled, at the venue or answered).
n=60
python3 "$src/tests/distributed/failover_client.py" "$fa" "$fb" "$n" "$work/client.out" "$pa" \
  >"$work/client.log" 2>&1 &
pc=$!
alive() { [ -n "$(ps -o stat= -p "$1" | grep -v Z)" ]; } # a killed child is a zombie until waited
for _ in $(seq 1 2000); do
  alive "$pa" || break
  kill -0 "$pc" 2>/dev/null || fail "the client exited: $(cat "$work/client.log")"
  sleep 0.01
done
t_kill=$(date +%s%N)
alive "$pa" && fail "the client did not kill a within 20 s"
wait "$pa" 2>/dev/null; pa=
wait_log b "instance owned.*previous_node=a" 20 "$pb"
wait_log b "msg=listening" 30 "$pb"
t_up=$(date +%s%N)
wait_log b "venue reconciled: new orders go\" venue=XV" 20 "$pb"
for _ in $(seq 1 600); do kill -0 "$pc" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pc" 2>/dev/null && fail "the client did not finish within 60 s: $(tail -3 "$work/client.log")"
wait "$pc" || fail "the client failed: $(cat "$work/client.log")"
pc=
answered=$(awk '{ sub(/r[0-9]+$/, "", $1); print $1 }' "$work/client.out" | sort -u | wc -l)
[ "$answered" = "$n" ] || fail "the client has answers for $answered orders of $n"

# The old owner comes back: b holds the lease, a waits (fenced out).
start a "$fa" a2; pa2=$started
wait_log a2 "standby: the instance is owned by another node.*owner=b" 20 "$pa2"
grep -q "msg=listening" "$work/a2.log" && fail "the old owner listens while b owns the instance"

# What the client was told, against PostgreSQL (b's projection).
acked=$(awk '$2 == "ack"' "$work/client.out" | wc -l)
[ "$acked" = "$n" ] || fail "$acked of $n orders acknowledged: $(awk '$2 != "ack"' "$work/client.out" | head -3)"
ok=
for _ in $(seq 1 300); do
  rows=$(sql "SELECT count(*) FROM orders WHERE instance = 'ny1' AND client_order_id LIKE 'f%'")
  [ "$rows" -ge "$acked" ] && { ok=1; break; }
  sleep 0.1
done
[ -n "$ok" ] || fail "PostgreSQL holds $rows client orders, $acked acknowledged"
sql "SELECT client_order_id || ' ' || order_id || ' ' || state FROM orders WHERE instance = 'ny1' AND client_order_id LIKE 'f%'" \
  | sort >"$work/pg.orders"
dups=$(cut -d' ' -f1 "$work/pg.orders" | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "$dups client order ids twice in PostgreSQL"
lost=0
while read -r clid what oid _; do
  [ "$what" = ack ] || continue
  line=$(grep "^$clid " "$work/pg.orders") || { echo "lost: $clid"; lost=$((lost + 1)); continue; }
  set -- $line
  [ "$2" = "$oid" ] || fail "$clid: OrderID $oid told, $2 stored"
  [ $(($2 >> 40)) = 7 ] || fail "$clid: order id $2 does not carry the instance number 7"
  case "$3" in ACCEPTED|NEW|PARTIALLY_FILLED|FILLED) ;; *) fail "$clid acknowledged, now $3 (the venue lost it?)" ;; esac
done <"$work/client.out"
[ "$lost" = 0 ] || fail "$lost acknowledged orders missing from PostgreSQL"
ev=$(sql "SELECT count(*) || ' ' || coalesce(max(seq), 0) || ' ' || count(DISTINCT seq) FROM events WHERE instance = 'ny1'")
set -- $ev
[ "$1" = "$2" ] && [ "$1" = "$3" ] || fail "events: count, max seq, distinct seqs = $ev"
lease=$(sql "SELECT owner || ' ' || token FROM oms_lease WHERE grp = 'ny1'")
[ "$lease" = "b 2" ] || fail "the lease row is \"$lease\", not b 2"

# b paused past its lease: a takes it, b resumed is fenced and exits 3.
ab=$(admin_of b)
kill -STOP "$pb"
wait_log a2 "instance owned.*previous_node=b" 20 "$pa2"
wait_log a2 "data directory is locked" 10 "$pa2"
kill -CONT "$pb"
for _ in $(seq 1 100); do
  health=$(curl -s -m 1 "http://127.0.0.1:$ab/healthz")
  case "$health" in *fenced*) break ;; esac
  sleep 0.1
done
case "$health" in *'"status":"fenced"'*'"state":"lost"'*) ;; *) fail "b's health after the takeover: $health" ;; esac
wait_log b "FENCED: another node took the instance" 10
for _ in $(seq 1 150); do kill -0 "$pb" 2>/dev/null || break; sleep 0.1; done
wait "$pb"; rc=$?; pb=
[ "$rc" = 3 ] || fail "the fenced b exited $rc, not 3"
wait_log a2 "msg=listening" 30 "$pa2"
lease=$(sql "SELECT owner || ' ' || token FROM oms_lease WHERE grp = 'ny1'")
[ "$lease" = "a 3" ] || fail "the lease row is \"$lease\", not a 3"
grep -q "lease fence.*fenced" "$work/b.log" || echo "note: b made no PostgreSQL write after the takeover"

stop_pid "$pa2" TERM; rc=$?; pa2=
[ "$rc" = 0 ] || fail "omsd a exited $rc on SIGTERM"
stop_pid "$pv" TERM; pv=
pg_stop
echo "failover: ok orders=$n acked=$acked lost=0 duplicated=0 events=$1" \
  "takeover_ms=$(( (t_up - t_kill) / 1000000 )) total_s=$(( ($(date +%s%N) - t_start) / 1000000000 ))"

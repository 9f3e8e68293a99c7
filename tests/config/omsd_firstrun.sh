#!/usr/bin/env bash
# omsd_firstrun.sh OMSD CONFIG WORKDIR - what a person sees first (issue 12):
# omsd on the sample configuration (free FIX and admin ports, a fresh data
# directory) ends its start with the ready banner: the FIX address and every
# session (never a password), the admin API and blotter addresses, the tokens
# with their roles (the sample's placeholder values with a warning, shown at a
# terminal only: run under script(1) for that part) and an omsctl line to try. Then an order placed through the admin API shows in the
# log at info level as a sentence, and so does a risk refusal with its reason
# and check.
set -u
omsd=$1 conf=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
log=$work/omsd.log
fail() { echo "FAIL: $*"; echo "--- omsd log"; cat "$log"; [ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null; exit 1; }

"$omsd" --config "$conf" --port 0 --admin-port 0 --data-dir "$work/data" --durability os 2>"$log" &
pid=$!
for _ in $(seq 1 100); do
  grep -q "omsd is ready" "$log" && break
  kill -0 "$pid" 2>/dev/null || fail "omsd exited at start"
  sleep 0.1
done
grep -q "omsd is ready" "$log" || fail "no ready banner within 10 s"
sleep 0.2 # the banner is written in one go; let it land
port=$(sed -n 's/.*msg=listening .*port=\([0-9]*\).*/\1/p' "$log")
aport=$(sed -n 's/.*msg="admin listening" .*port=\([0-9]*\).*/\1/p' "$log")
[ -n "$port" ] && [ -n "$aport" ] || fail "the FIX or admin port is not in the log"
url=http://127.0.0.1:$aport

expect() { grep -qF -- "$1" "$log" || fail "the banner lacks: $1"; }
expect " FIX 4.4    127.0.0.1:$port"
expect "SenderCompID=CLIENT1    TargetCompID=OMS    account=ACC1"
expect "SenderCompID=CLIENT2    TargetCompID=OMS    account=ACC2"
expect " Admin API  $url/v1/"
expect " Blotter    $url/"
expect "ops      admin"
expect "trader1  trade (ACC1)"
expect "viewer   read"
expect "WARNING: these are the sample's tokens"
expect "omsctl --url $url --token TOKEN orders"
if grep -q "client1-secret\|client2-secret" "$log"; then fail "a FIX password is in the output"; fi
# stderr is a file here: not even the sample's placeholder tokens are written.
if grep -q "change-me" "$log"; then fail "a token is in the log file"; fi
# The banner is the last thing the start prints.
tail -n 3 "$log" | grep -q -- "------" || fail "the banner is not the end of the start's output"

post() {
  curl -s -o "$work/body" -w '%{http_code}' -H "Authorization: Bearer trader1-secret-change-me" \
    -H 'Content-Type: application/json' -X POST --data "$1" "$url/v1/orders"
}
code=$(post '{"client_order_id":"fr-1","account":"ACC1","symbol":"AAPL","side":"BUY","type":"LIMIT","qty":"10","price":"180"}')
[ "$code" = 201 ] || fail "POST /v1/orders answered $code: $(cat "$work/body")"
# 50000 AAPL at 190 is 9.5 M, above the sample's max_order_notional of 5 M.
code=$(post '{"client_order_id":"fr-2","account":"ACC1","symbol":"AAPL","side":"BUY","type":"LIMIT","qty":"50000","price":"190"}')
[ "$code" = 422 ] || fail "the order above the notional limit answered $code: $(cat "$work/body")"
for _ in $(seq 1 50); do grep -q 'order 2 refused' "$log" && break; sleep 0.1; done
grep -q 'level=info msg="order 1 accepted: BUY 10 AAPL @ 180 LIMIT DAY" order=1 event=OrderAccepted acct=ACC1 strat=trader1 venue=SIM clordid=fr-1 ' "$log" ||
  fail "no readable info line for the accepted order"
grep -q 'level=info msg="order 2 refused: RISK_[A-Z_]*: [a-z_]*: .* (BUY 50000 AAPL @ 190 LIMIT DAY)" order=2 event=OrderDenied .* reason=RISK_[A-Z_]* check=[a-z_]* ' "$log" ||
  fail "no readable info line for the refused order"

kill -TERM "$pid"
wait "$pid"
status=$?
[ "$status" -eq 0 ] || fail "omsd exited with $status after SIGTERM"
pid=

# At a terminal (make run), the sample's placeholder tokens are shown, to copy.
tty=$work/tty.txt
script -qfec "exec '$omsd' --config '$conf' --port 0 --admin-port 0 --data-dir '$work/data2' \
  --durability os" "$tty" >/dev/null 2>&1 &
spid=$!
for _ in $(seq 1 100); do grep -q "Orders, fills and refusals" "$tty" 2>/dev/null && break; sleep 0.1; done
opid=$(cat "$work/data2/omsd.lock" 2>/dev/null)
[ -n "$opid" ] && kill -TERM "$opid"
wait "$spid"
log=$tty
grep -q "ops      admin                ops-secret-change-me" "$tty" || fail "no sample token at the terminal"
grep -q "omsctl --url http://127.0.0.1:[0-9]* --token ops-secret-change-me orders" "$tty" ||
  fail "no omsctl line with the sample's admin token at the terminal"
grep -q "client1-secret" "$tty" && fail "a FIX password at the terminal"
echo "omsd_firstrun: ok"

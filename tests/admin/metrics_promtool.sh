#!/usr/bin/env bash
# metrics_promtool.sh OMSD CONFIG WORKDIR - GET /metrics of a real omsd as
# Prometheus reads it: start omsd on CONFIG (free FIX and admin ports, a fresh
# data directory), place an order and a refused one through the admin API,
# then check that /metrics wants a token, answers text format 0.0.4 that
# `promtool check metrics` accepts without a complaint, and shows what
# happened (the build, the orders, the order-to-ack latencies, the requests).
# omsd is stopped by its PID with SIGTERM and must exit 0.
set -u
omsd=$1 conf=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
log=$work/omsd.log
pid=
fail() {
  echo "FAIL: $*"
  echo "--- omsd log"; cat "$log"
  [ -f "$work/metrics.txt" ] && { echo "--- /metrics"; cat "$work/metrics.txt"; }
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  exit 1
}
command -v promtool >/dev/null || fail "promtool not found (apt-get install prometheus)"
command -v curl >/dev/null || fail "curl not found"

"$omsd" --config "$conf" --port 0 --admin-port 0 --data-dir "$work/data" --durability os 2>"$log" &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*admin listening.* port=\([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "omsd exited at start"
  sleep 0.1
done
[ -n "$port" ] || fail "no \"admin listening\" line within 10 s"
base=http://127.0.0.1:$port
viewer="Authorization: Bearer viewer-secret-change-me"
trader="Authorization: Bearer trader1-secret-change-me"

code=$(curl -s -o /dev/null -w '%{http_code}' "$base/metrics")
[ "$code" = 401 ] || fail "/metrics without a token: HTTP $code, wanted 401"

order() { # client_order_id qty: a BUY LIMIT BTC-USD at 64990 for ACC1
  curl -s -o "$work/order-$1.json" -w '%{http_code}' -H "$trader" -H 'Content-Type: application/json' \
    -X POST "$base/v1/orders" \
    -d "{\"client_order_id\":\"$1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"qty\":\"$2\",\"price\":\"64990\"}"
}
code=$(order m1 0.01)
[ "$code" = 201 ] || fail "POST /v1/orders: HTTP $code: $(cat "$work/order-m1.json")"
code=$(order m2 99) # notional 6.4M over the sample's 5M limit: refused by risk
[ "$code" = 422 ] || fail "POST /v1/orders (refused): HTTP $code: $(cat "$work/order-m2.json")"

# The events thread counts asynchronously: wait until it saw both orders.
ok=
for _ in $(seq 1 50); do
  curl -s -D "$work/headers.txt" -o "$work/metrics.txt" -H "$viewer" "$base/metrics" ||
    fail "GET /metrics failed"
  if grep -q '^oms_order_ack_latency_seconds_count{path="internal"} [1-9]' "$work/metrics.txt" &&
     grep -q '^oms_order_rejections_total{reason="RISK_MAX_ORDER_NOTIONAL"} 1$' "$work/metrics.txt"; then
    ok=1
    break
  fi
  sleep 0.1
done
[ -n "$ok" ] || fail "/metrics did not show the two orders within 5 s"
grep -qi '^content-type: text/plain; version=0.0.4' "$work/headers.txt" ||
  fail "Content-Type is not text/plain; version=0.0.4: $(grep -i '^content-type' "$work/headers.txt")"

complaints=$(promtool check metrics <"$work/metrics.txt" 2>&1) || fail "promtool check metrics: $complaints"
[ -z "$complaints" ] || fail "promtool check metrics: $complaints"

for want in '^oms_build_info{version="[0-9.]*",commit="[^"]*"} 1$' \
            '^oms_orders_submitted_total 2$' \
            '^oms_orders{state="ACCEPTED"} 1$' \
            '^oms_risk_denials_total{check="max_order_size"} 1$' \
            '^oms_queue_depth{queue="router_SIM"} [0-9]' \
            '^oms_queue_depth{queue="admin"} [0-9]' \
            '^oms_fix_sessions_up{peer="client"} 0$' \
            '^oms_store_commit_latency_seconds_count [1-9]' \
            '^oms_events_total [1-9]' \
            '^oms_admin_requests_total{code="201"} 1$' \
            '^oms_admin_requests_total{code="401"} 1$'; do
  grep -q "$want" "$work/metrics.txt" || fail "/metrics has no line matching $want"
done
grep -q 'order_id' "$work/metrics.txt" && fail "/metrics names an order id"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] || fail "omsd exited $rc after SIGTERM"
echo "metrics_promtool: ok ($(grep -vc '^#' "$work/metrics.txt") samples)"

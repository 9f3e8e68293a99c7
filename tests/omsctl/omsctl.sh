#!/usr/bin/env bash
# omsctl.sh OMSCTL OMSD CONFIG WORKDIR - omsctl against a real omsd, as a
# person or a script uses it (docs/omsctl.md): omsd started on a copy of
# CONFIG with the FIX and admin ports at 0 (any free port; the admin port
# read back from its log) and a fresh data directory; then every subcommand with its exit
# code and what it prints, the messages for a wrong token and a stopped
# omsd, --json parsed by node, and `events --follow` printing events as they
# happen and resuming after omsd restarts (no gap, no duplicate).
set -u
omsctl=$1 omsd=$2 conf_src=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
conf=$work/omsd.conf log=$work/omsd.log
out=$work/out err=$work/err
pids=()
fail() {
  echo "FAIL: $*"
  echo "--- stdout"; cat "$out" 2>/dev/null
  echo "--- stderr"; cat "$err" 2>/dev/null
  echo "--- omsd log (last 30 lines)"; tail -30 "$log"
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  exit 1
}

cp "$conf_src" "$conf"

# Starts omsd (admin API on port $1, 0 for any; configuration $2, data
# directory $3, http or https $4) and sets $omsd_pid and $url.
start_omsd() {
  : >"$log"
  "$omsd" --config "${2:-$conf}" --port 0 --admin-port "$1" --data-dir "${3:-$work/data}" \
    --durability os 2>"$log" &
  omsd_pid=$!
  pids+=("$omsd_pid")
  local port=
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*admin listening.* port=\([0-9]*\).*/\1/p' "$log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$omsd_pid" 2>/dev/null || fail "omsd exited at start"
    sleep 0.1
  done
  [ -n "$port" ] || fail "omsd did not log its admin port within 10 s"
  url=${4:-http}://127.0.0.1:$port
}

stop_omsd() {
  kill -TERM "$omsd_pid"
  wait "$omsd_pid" || fail "omsd did not stop cleanly"
}

# run EXPECTED_RC ARGS...: omsctl with its output in $out and $err.
run() {
  local want=$1
  shift
  "$omsctl" "$@" >"$out" 2>"$err"
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "omsctl $* exited $rc, not $want"
}
has() { grep -qE -- "$1" "${2:-$out}" || fail "expected /$1/ in ${2:-$out}"; }

# Polls omsctl until it prints what is expected (the venue answers
# asynchronously): until TRIES ARGS... with the pattern in $want_re.
until_has() {
  local re=$1
  shift
  for _ in $(seq 1 50); do
    "$omsctl" "$@" >"$out" 2>"$err" && grep -qE -- "$re" "$out" && return 0
    sleep 0.1
  done
  fail "omsctl $* never printed /$re/"
}

start_omsd 0
export HOME=$work/home OMSCTL_URL=$url OMSCTL_TOKEN=ops-secret-change-me
unset XDG_CONFIG_HOME OMSCTL_CONFIG
mkdir -p "$HOME"

# health: alive at once, ready once recovered and the venue reconciled.
until_has '^ready +yes' health
has '^alive +yes'

# submit: exit 0 and the order id; orders lists it, order shows its trail.
run 0 submit buy 10 AAPL 185 --account ACC1
has '^order [0-9]+ [A-Z_]+: BUY 10 AAPL LIMIT @ 185 DAY, account ACC1'
id=$(sed -n 's/^order \([0-9]*\) .*/\1/p' "$out")
run 0 orders
has '^ORDER_ID +CLIENT_ORDER_ID +ACCOUNT_ID'
has "^ *$id +ctl-[0-9-]+ +ACC1 .* AAPL +BUY +LIMIT +DAY +10 +185 "
run 0 orders --state open --symbol AAPL --limit 5
has "^ *$id "
run 0 order "$id"
has '^client_order_id +ctl-'
has '^audit trail'
has "OrderSubmitted +$id +AAPL +BUY +10 +185"
has '^fills'

# modify: PENDING_REPLACE then replaced by the venue.
run 0 modify "$id" --qty 20
has "^order $id PENDING_REPLACE: .* \(asked: qty 20\)$"
until_has "OrderReplaced +$id +AAPL +BUY +20" order "$id"

# cancel: accepted; a second cancel of the finished order is refused (409).
run 0 cancel "$id"
has "^order $id PENDING_CANCEL"
until_has "^state +CANCELLED" order "$id"
run 5 cancel "$id"
has "omsd refused the request \(409 CONFLICT[,)]" "$err"
run 7 cancel 999999
has "not found \(404 NOT_FOUND" "$err"
run 7 order 999999

# cancel-all in a scope, once the venue has both orders.
run 0 submit buy 1 AAPL 180 --account ACC1 -q
has '^[0-9]+$'
a=$(cat "$out")
run 0 submit sell 1 AAPL 200 --account ACC1 -q
b=$(cat "$out")
until_has "^state +ACCEPTED" order "$a"
until_has "^state +ACCEPTED" order "$b"
run 0 cancel-all --account ACC1
has "^cancel requested for 2 open orders$"
until_has "^state +CANCELLED" order "$b"
run 0 cancel-all --account ACC1
has "^cancel requested for 0 open orders$"

# The views (positions, risk, sessions, events) come with the admin views;
# an omsd whose views still answer 501 skips their checks, saying so.
views=yes
if "$omsctl" positions >"$out" 2>"$err"; then :; else
  grep -q '501 NOT_IMPLEMENTED' "$err" || fail "positions: $(cat "$err")"
  views=
  echo "omsctl: this omsd does not serve the views yet: their checks are skipped"
fi

# A marketable order fills: its fills, and a position.
run 0 submit buy 1 AAPL 195 --account ACC1 -q
f=$(cat "$out")
until_has "^state +FILLED" order "$f"
has '^EXEC_ID +QTY +PRICE +FEE'
has 'OrderFilled'
if [ -n "$views" ]; then
    run 0 positions --account ACC1
    has 'ACC1 +AAPL +1 '
fi

# halt refuses the next order (exit 5, the reason printed); resume.
run 0 halt --reason "omsctl test"
has '^GLOBAL: ACTIVE -> HALTED'
run 5 submit buy 1 AAPL 185 --account ACC1
has "omsd refused the request \(422 REJECTED, reason [A-Z_]+" "$err"
run 0 resume
has '^GLOBAL: HALTED -> ACTIVE'
run 0 reduce-only ACCOUNT ACC2
has '^ACCOUNT ACC2: ACTIVE -> REDUCE_ONLY'
run 0 resume account ACC2

# Parent orders: a TWAP worked to the end, its progress and children; one
# cancelled; a refused parameter names the FIX gateway's reason.
run 0 parent submit twap buy 4 AAPL --account ACC1 --price 195 end_ns=+2s slice_ns=500ms \
  aggression=CROSS
has '^parent [0-9]+ ACCEPTED: TWAP BUY 4 AAPL, account ACC1, client order id ctlp-'
p=$(sed -n 's/^parent \([0-9]*\) .*/\1/p' "$out")
run 0 parents
has '^PARENT_ORDER_ID +CLIENT_ORDER_ID +ACCOUNT +SYMBOL +SIDE +ALGO +STATUS'
has "^ *$p +ctlp-[0-9-]+ +ACC1 +AAPL +BUY +TWAP "
until_has "^status +COMPLETED" parent show "$p"
has '^filled_qty +4$'
has '^slices +[0-9]+/[0-9]+$'
has '^params.aggression +CROSS$'
has '^children$'
has "^ *[0-9]+ +1 +P$p\.1 +BUY "
run 0 parents --status COMPLETED --account ACC1 --json
node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (!d.parents.some(p => p.parent_order_id == process.argv[2] && p.filled_qty === "4"))
    process.exit(1);' "$out" "$p" || fail "parents --json: $(cat "$out")"
run 0 parent submit TWAP sell 3 AAPL --account ACC1 --price 150 end_ns=+10m slice_ns=1m -q
q=$(cat "$out")
run 0 parent modify "$q" --qty 5
until_has "^qty +5$" parent show "$q"
run 0 parent cancel "$q"
has "^parent $q (PENDING_CANCEL|CANCELLED)"
until_has "^status +CANCELLED" parent show "$q"
run 5 parent submit POV buy 5 AAPL --account ACC1 pov_rate=1.5
has "422 REJECTED, reason ALGO_PARTICIPATION" "$err"
run 5 parent submit TWAP buy 5 AAPL --account ACC1 end_ns=+1m colour=red
has "reason ALGO_UNKNOWN_TAG" "$err"
run 7 parent show "$a"
run 2 parent show x

# bestex: a smart parent's best-execution record; a plain order has none.
run 7 bestex "$a"
has "404" "$err"
run 7 bestex 999999
run 2 bestex x
run 2 parent frobnicate 1

# limits set: an order above the new limit is refused with the risk check.
if [ -n "$views" ]; then
  run 0 limits set ACCOUNT ACC1 max_order_qty=5 --reason "omsctl test"
  has 'max_order_qty .*-> 5'
  run 5 submit buy 6 AAPL 185 --account ACC1
  has "422 REJECTED, reason RISK_[A-Z_]+" "$err"
  run 0 submit buy 5 AAPL 185 --account ACC1
  run 0 limits changes
  has 'ops +ACCOUNT +ACC1 +max_order_qty .*-> 5 +omsctl test'
  run 2 limits set ACCOUNT ACC1 max_order_qty=lots

  # Views print tables.
  run 0 positions
  has '^positions'
  has '^accounts'
  has 'ACC1'
  run 0 risk
  has '^trading states'
  has '^limits'
  has '^usage'
  has 'GLOBAL +max_order_qty +100000'
  run 0 sessions
  has '^FIX sessions'
  has 'CLIENT1'
  has '^venues'
  has 'SIM'
  run 0 events --after 0 --limit 5
  has '^SEQ +TIME +TYPE'
fi

# --json: the API's JSON, for scripts.
node=$(command -v node || command -v nodejs || true)
if [ -n "$node" ]; then
  run 0 orders --json --all
  "$node" -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
    if(!Array.isArray(d.orders)||d.orders.length<3||!(d.as_of_seq>0)) process.exit(1);' "$out" ||
    fail "orders --json is not the API's JSON (with as_of_seq)"
  run 0 order "$id" --json
  "$node" -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
    if(d.order.order_id!=+process.argv[2]||!d.events.length) process.exit(1);' "$out" "$id" ||
    fail "order --json is not the API's JSON"
  if [ -n "$views" ]; then
    run 0 --json risk
    "$node" -e 'JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).limits.length||process.exit(1)' \
      "$out" || fail "risk --json"
  fi
else
  echo "node not found: the --json checks are skipped"
fi

# Tokens: wrong, missing, read-only.
run 4 orders --token not-the-token
has "^omsctl: the token was refused \(401 UNAUTHORIZED\): check --token / OMSCTL_TOKEN$" "$err"
OMSCTL_TOKEN= run 4 orders
has "no token was given \(401 UNAUTHORIZED\)" "$err"
run 4 submit buy 1 AAPL 185 --account ACC1 --token viewer-secret-change-me
has "the token may not do this \(403 FORBIDDEN\)" "$err"

# The config file, when neither a flag nor the environment says.
printf 'url = %s\ntoken = "viewer-secret-change-me"\n' "$url" >"$work/ctl.conf"
env -u OMSCTL_URL -u OMSCTL_TOKEN "$omsctl" --config "$work/ctl.conf" orders >"$out" 2>"$err" ||
  fail "orders with --config"
mkdir -p "$HOME/.config" && cp "$work/ctl.conf" "$HOME/.config/omsctl.conf"
env -u OMSCTL_URL -u OMSCTL_TOKEN "$omsctl" order "$id" >"$out" 2>"$err" ||
  fail "order with ~/.config/omsctl.conf"
run 2 --config "$work/missing.conf" orders

# Local checks: exit 2 before anything is sent.
run 2 submit buy 1x AAPL --account ACC1
has 'qty: "1x" is not a decimal' "$err"
run 2 submit sideways 1 AAPL --account ACC1
run 2 frobnicate
run 0 submit --help
has '^usage: omsctl submit'

# events --follow prints events as they happen (from the first one: the
# sequence numbers must run without a gap), and resumes after omsd restarts
# with no gap and no duplicate.
if [ -n "$views" ]; then
  follow=$work/follow.out
  "$omsctl" events --follow --json --after 0 >"$follow" 2>"$work/follow.err" &
  fpid=$!
  pids+=("$fpid")
  run 0 submit buy 2 AAPL 185 --account ACC1 -q
  id2=$(cat "$out")
  for _ in $(seq 1 50); do grep -q "\"order_id\":$id2," "$follow" && break; sleep 0.1; done
  grep -q "\"order_id\":$id2," "$follow" || fail "events --follow did not print order $id2"
  port=${url##*:}
  stop_omsd
  start_omsd "$port"
  until_has '^ready +yes' health
  run 0 submit buy 3 AAPL 185 --account ACC1 -q
  id3=$(cat "$out")
  for _ in $(seq 1 100); do grep -q "\"order_id\":$id3," "$follow" && break; sleep 0.1; done
  grep -q "\"order_id\":$id3," "$follow" || fail "events --follow did not resume: $(cat "$work/follow.err")"
  grep -q "reconnecting after event" "$work/follow.err" || fail "no word of the dropped stream"
  kill -INT "$fpid"
  wait "$fpid" || fail "events --follow did not end with 0 on SIGINT"
  seqs=$(sed -n 's/^{"seq":\([0-9]*\),.*/\1/p' "$follow" | grep -v '^0$')
  [ -n "$seqs" ] || fail "no sequenced events in the stream"
  [ "$(echo "$seqs" | sort -n | uniq -d)" = "" ] || fail "an event was printed twice"
  first=$(echo "$seqs" | head -1) last=$(echo "$seqs" | tail -1)
  [ "$(echo "$seqs" | wc -l)" -eq $((last - first + 1)) ] ||
    fail "a gap in the stream: $(echo "$seqs" | tr '\n' ' ')"
fi

# omsd down: exit 3 and what to do.
stop_omsd
run 3 health
has "^omsctl: cannot reach omsd at $url \(connection refused\): is it running\? \(make run\)$" "$err"

# HTTPS: the certificate checked against --cacert, or not with --insecure.
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/admin.key" -out "$work/admin.crt" \
    >/dev/null 2>&1 || fail "openssl could not make a certificate"
  sed "/^admin *=/a\\  tls_cert = \"$work/admin.crt\"; tls_key = \"$work/admin.key\";" "$conf" \
    >"$work/tls.conf"
  start_omsd 0 "$work/tls.conf" "$work/tls-data" https
  export OMSCTL_URL=$url
  until_has '^ready +yes' health --cacert "$work/admin.crt"
  run 0 orders --cacert "$work/admin.crt"
  run 0 health --insecure
  run 3 health
  has "^omsctl: cannot reach omsd at $url \(.*\): check --cacert \(or --insecure for a test certificate\)$" "$err"
  run 3 health --url "http${url#https}"
  has "does it serve https\? \(--url https://...\)$" "$err"
  printf 'cacert = %s\n' "$work/admin.crt" >"$work/tls-ctl.conf"
  run 0 --config "$work/tls-ctl.conf" health
  stop_omsd
else
  echo "openssl not found: the HTTPS checks are skipped"
fi
echo "omsctl: ok"

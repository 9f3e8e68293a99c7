#!/usr/bin/env bash
# omsd_riskmodel.sh OMSCTL OMSD CONFIG WORKDIR - the market risk model in a
# real omsd (docs/risk.md): CONFIG (the sample configuration) with a
# riskmodel group added (a history file for a cold start: BTC-USD and
# ETH-USD moving together about 1% a day, AAPL flat; a daily sample),
# max_var = 1000 for ACC1, and correlation groups above 0.8 limited to
# 100000 (BTC-USD and ETH-USD: one group). Then, through the admin API with omsctl: half a BTC at
# 65000 (VaR ~754) passes; another half, counted with the first (an open
# order as if filled, or a position), would make ~1508 and is refused by
# var_stress with the number; omsd stops (the state saved), starts again
# (the state loaded, the books entered from the recovered positions and
# orders) and refuses the same order the same way. Between the two, VaR and
# stress are read with omsctl risk var|stress, and ACC2 is refused an ETH
# order that takes its correlated group above 100000.
set -u
omsctl=$1 omsd=$2 conf_src=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
conf=$work/omsd.conf log=$work/omsd.log out=$work/out err=$work/err
omsd_pid=
fail() {
  echo "FAIL: $*"
  echo "--- stdout"; cat "$out" 2>/dev/null
  echo "--- stderr"; cat "$err" 2>/dev/null
  echo "--- omsd log (last 30 lines)"; tail -30 "$log"
  [ -n "$omsd_pid" ] && kill -KILL "$omsd_pid" 2>/dev/null
  exit 1
}

# 100 days: BTC-USD 100, 101, 100, ... and ETH-USD with it (correlation 1);
# AAPL flat.
hist=$work/history.csv
for i in $(seq 1 100); do
  if [ $((i % 2)) -eq 0 ]; then echo "101,3535,190"; else echo "100,3500,190"; fi
done >"$hist"
sed 's/^risk = {$/risk = {\n  accounts = ( { id = "ACC1"; max_var = "1000"; } );/' "$conf_src" >"$conf"
grep -q 'max_var = "1000"' "$conf" || fail "could not add max_var to the configuration"
cat >>"$conf" <<CONF
riskmodel = {
  lambda = 0.94; confidence = 0.99; horizon_days = 1;
  sample_interval_ms = 86400000;
  correlation_threshold = 0.8; correlation_max_exposure = "100000";
  event_interval_s = 1;
  history_file = "$hist";
  scenarios = ( { name = "crypto -40%"; shocks = ( { symbol = "BTC-USD"; pct = -0.4; },
                                                  { symbol = "ETH-USD"; pct = -0.4; } ); } );
};
CONF
"$omsd" --config "$conf" --check-config >"$out" 2>"$err" || fail "--check-config refused it"

start_omsd() {
  : >"$log"
  "$omsd" --config "$conf" --port 0 --admin-port 0 --data-dir "$work/data" --durability os \
    2>"$log" &
  omsd_pid=$!
  local port=
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*admin listening.* port=\([0-9]*\).*/\1/p' "$log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$omsd_pid" 2>/dev/null || fail "omsd exited at start"
    sleep 0.1
  done
  [ -n "$port" ] || fail "omsd did not log its admin port within 10 s"
  export OMSCTL_URL=http://127.0.0.1:$port
  for _ in $(seq 1 50); do
    "$omsctl" health >"$out" 2>"$err" && grep -qE '^ready +yes' "$out" && return 0
    sleep 0.1
  done
  fail "omsd never ready"
}
stop_omsd() {
  kill -TERM "$omsd_pid"
  wait "$omsd_pid" || fail "omsd did not stop cleanly"
  omsd_pid=
}
run() {
  local want=$1
  shift
  "$omsctl" "$@" >"$out" 2>"$err"
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "omsctl $* exited $rc, not $want"
}
has() { grep -qE -- "$1" "${2:-$out}" || fail "expected /$1/ in ${2:-$out}"; }

export HOME=$work/home OMSCTL_TOKEN=ops-secret-change-me
unset XDG_CONFIG_HOME OMSCTL_CONFIG
mkdir -p "$HOME"

start_omsd
has 'risk model attached.* instruments=3 .*scenarios=1' "$log"
has 'history loaded.* samples=99' "$log"
run 0 submit buy 0.5 BTC-USD 65000 --account ACC1
run 5 submit buy 0.5 BTC-USD 65000 --account ACC1
has 'RISK_VAR' "$err"
has 'var_stress: VaR of account ACC1 would be 15[0-9][0-9]\.[0-9]+ \(from 75[0-9]\.[0-9]+\) above limit 1000' "$err"
# The numbers people see: VaR per account and the firm, stress per scenario.
run 0 risk var
has '^ACCOUNT +VAR +HVAR'
has '^\(firm\) +75[0-9]\.[0-9]+ +[0-9.]+'
has '^ACC1 +75[0-9]\.[0-9]+ +[0-9.]+'
has '^ACC2 +0 +0'
run 0 --json risk var
has '"firm": *\{"var": *"75[0-9]\.[0-9]+"'
run 0 risk stress
has '^ACCOUNT +WORST_LOSS +CRYPTO -40% +WORST_SCENARIO'
has '^ACC1 +13000 +-13000 +crypto -40%'
has '^\(firm\) +13000 +-13000 +crypto -40%'
has '^ACC2 +0 +0$'
# RiskReport events, once a second at most, only when the numbers moved.
until_events() {
  for _ in $(seq 1 50); do
    "$omsctl" events >"$out" 2>"$err" && grep -qE -- "$1" "$out" && return 0
    sleep 0.1
  done
  fail "omsctl events never printed /$1/"
}
until_events 'RiskReport .*text=var=75[0-9]\.[0-9]+ hvar=321\.78217822 stress_loss=13000 worst=crypto -40% scope_id=ACC1'
has 'RiskReport +text=var=75[0-9]\.[0-9]+ hvar=321\.78217822 stress_loss=13000 worst=crypto -40%$'
[ "$(grep -c 'scope_id=ACC1' "$out")" -eq 1 ] || fail "ACC1 reported twice with the same numbers"
grep -q 'scope_id=ACC2' "$out" && fail "ACC2, with nothing at risk, was reported"

# Correlated: 1 BTC (65000) then 11 ETH (38500) make 103500 in corr.BTC-USD.
has 'correlation groups installed" groups=1' "$log"
run 0 submit buy 1 BTC-USD 65000 --account ACC2
run 5 submit buy 11 ETH-USD 3500 --account ACC2
has 'RISK_CORRELATION' "$err"
has 'concentration: correlation group corr.BTC-USD exposure 103500 \(positions [0-9.]+ \+ open orders [0-9.]+ \+ order 38500\) exceeds limit 100000 \(absolute\) for account ACC2' "$err"
run 0 submit buy 10 ETH-USD 3500 --account ACC2
stop_omsd
has 'state saved' "$log"
[ -s "$work/data/riskmodel.state" ] || fail "no riskmodel.state after the stop"

start_omsd
has 'state loaded.* samples=99' "$log"
run 5 submit buy 0.5 BTC-USD 65000 --account ACC1
has 'var_stress: VaR of account ACC1 would be 15[0-9][0-9]\.[0-9]+ \(from 75[0-9]\.[0-9]+\) above limit 1000' "$err"
stop_omsd
echo "omsd_riskmodel: ok"

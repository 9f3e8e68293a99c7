#!/usr/bin/env bash
# omsd_core_thread.sh OMSD CONFIG WORKDIR - omsd.core_thread refused by the OS
# stops the start with a message naming the call and why: a CPU that does
# not exist, and (where setpriv can drop CAP_SYS_NICE) a real-time policy
# without the right to it. Never a silent start on the ordinary policy. And
# spin_us, which needs no right, starts and is logged; omsd's threads are
# named.
set -u
omsd=$1 conf=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; echo "--- omsd log"; cat "$work/omsd.log"; exit 1; }

# refused CONF_TAIL WANT [WRAPPER...]: omsd exits non-zero and logs WANT.
refused() {
  local tail=$1 want=$2
  shift 2
  { cat "$conf"; echo "$tail"; } >"$work/omsd.conf"
  rm -rf "$work/data"
  timeout 30 "$@" "$omsd" --config "$work/omsd.conf" --port 0 --admin-port 0 \
    --data-dir "$work/data" --durability os 2>"$work/omsd.log"
  rc=$?
  [ "$rc" -ne 0 ] || fail "omsd started although omsd.core_thread was refused ($tail)"
  [ "$rc" -ne 124 ] || fail "omsd did not stop ($tail)"
  grep -q "$want" "$work/omsd.log" || fail "no \"$want\" in the log ($tail)"
  grep -q 'msg="core thread scheduled"' "$work/omsd.log" && fail "scheduled line logged ($tail)"
  return 0
}

refused 'omsd = { core_thread = { cpu = 1023; }; };' \
  'msg="omsd.core_thread refused by the OS" call=pthread_setaffinity_np cpu=1023'

if setpriv --inh-caps=-sys_nice --bounding-set=-sys_nice true 2>/dev/null &&
  prlimit --rtprio=0 true 2>/dev/null; then
  refused 'omsd = { core_thread = { policy = "fifo"; priority = 10; }; };' \
    'call=pthread_setschedparam policy=fifo priority=10 errno=1' \
    prlimit --rtprio=0 setpriv --inh-caps=-sys_nice --bounding-set=-sys_nice
else
  echo "omsd_core_thread: setpriv/prlimit unavailable, the policy refusal is not tried"
fi
# started CONF_TAIL: omsd started on it in the background ($pid), once it
# logged where its core thread is scheduled (or 10 s went by).
started() {
  { cat "$conf"; echo "$1"; } >"$work/omsd.conf"
  rm -rf "$work/data"
  "$omsd" --config "$work/omsd.conf" --port 0 --admin-port 0 --data-dir "$work/data" \
    --durability os 2>"$work/omsd.log" &
  pid=$!
  for _ in $(seq 100); do
    grep -q 'msg="core thread scheduled"' "$work/omsd.log" && break
    sleep 0.1
  done
}

# spin_us alone needs no right: omsd starts, logs it and stops cleanly.
started 'omsd = { core_thread = { spin_us = 100; }; };'
grep -q 'msg="core thread scheduled" policy=other priority=0 cpu=-1 spin_us=100' "$work/omsd.log" ||
  { kill -9 "$pid"; fail "spin_us not applied"; }
kill -TERM "$pid"
wait "$pid" || fail "omsd with spin_us did not stop cleanly"
# cpu: the core thread alone on its CPU, every other omsd thread kept off it
# (where the process may run on another CPU).
if [ "$(nproc)" -ge 2 ]; then
  started 'omsd = { core_thread = { cpu = 1; }; };'
  grep -q 'msg="core thread scheduled" policy=other priority=0 cpu=1 spin_us=0 others=0' \
    "$work/omsd.log" || { kill -9 "$pid"; fail "cpu = 1 not logged with others=0"; }
  n=0
  for t in /proc/"$pid"/task/*; do
    cpus=$(awk '/^Cpus_allowed_list/ {print $2}' "$t/status")
    if [ "${t##*/}" = "$pid" ]; then
      [ "$cpus" = 1 ] || { kill -9 "$pid"; fail "core thread on CPUs $cpus, not 1"; }
    else
      [ "$cpus" = 0 ] || { kill -9 "$pid"; fail "thread ${t##*/} ($(cat "$t/comm")) on CPUs $cpus"; }
      n=$((n + 1))
    fi
  done
  [ "$n" -ge 2 ] || { kill -9 "$pid"; fail "only $n other threads seen"; }
  # Each background thread by name, for top -H, ps -L and perf.
  names=$(cat /proc/"$pid"/task/*/comm | tr '\n' ' ')
  for want in oms-projector oms-prefault; do
    case " $names" in *" $want "*) ;; *) kill -9 "$pid"; fail "no thread $want in: $names" ;; esac
  done
  kill -TERM "$pid"
  wait "$pid" || fail "omsd with cpu = 1 did not stop cleanly"
fi
echo "omsd_core_thread: ok"

#!/usr/bin/env bash
# omsd_ports.sh LOG [SECONDS] - waits until omsd's log LOG names its bound
# ports (started with --port 0 --admin-port 0) and prints "FIX_PORT ADMIN_PORT"
# (ADMIN_PORT "-" when the configuration has no admin group). Exits 1 if they
# do not appear within SECONDS (default 10). For tests and scripts:
#   read -r fix_port admin_port < <(tests/admin/omsd_ports.sh "$work/omsd.log")
set -u
log=$1 secs=${2:-10}
for _ in $(seq 1 $((secs * 20))); do
  fix=$(sed -n 's/.*msg=listening address=[^ ]* port=\([0-9]*\).*/\1/p' "$log" 2>/dev/null | head -n 1)
  admin=$(sed -n 's/.*msg="admin listening" address=[^ ]* port=\([0-9]*\).*/\1/p' "$log" 2>/dev/null | head -n 1)
  grep -q 'msg="no admin API' "$log" 2>/dev/null && admin=${admin:--}
  if [ -n "$fix" ] && [ -n "$admin" ]; then
    echo "$fix $admin"
    exit 0
  fi
  sleep 0.05
done
echo "omsd_ports.sh: no ports in $log after ${secs}s" >&2
exit 1

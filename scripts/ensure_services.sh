#!/usr/bin/env bash
# PostgreSQL must answer at 127.0.0.1:5432 for the PostgreSQL half of the tests. The machines this
# project runs on start it at boot; if it is down, start it the way those machines do.
set -euo pipefail
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 >&2 || { echo "PostgreSQL is not running at 127.0.0.1:5432" >&2; exit 1; }

#!/usr/bin/env bash
# Integration tests need the machine's PostgreSQL (127.0.0.1:5432, trust auth, database `test`).
# Start it when it is down rather than skipping the PostgreSQL half of the suite.
set -euo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ready; then exit 0; fi
version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
if [ -z "$version" ]; then
  echo "PostgreSQL is not installed; integration tests need it" >&2
  exit 1
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start
for _ in $(seq 1 60); do ready && exit 0; sleep 0.5; done
echo "PostgreSQL did not become ready" >&2
exit 1

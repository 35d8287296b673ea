#!/usr/bin/env bash
# Tests that share the gateway's rate limits across processes need Debian's redis-server (the harness starts it
# on a free port, as production's gateways share one Redis). Install it on demand, like PostgreSQL's script.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends redis-server >/dev/null
command -v redis-server >/dev/null

#!/usr/bin/env bash
# Install Debian packages a run needs when their command is missing (CI starts from a clean machine).
# Usage: ensure-debian.sh [<command>=<package>=<version glob> ...]; without arguments, every line of
# scripts/debian-packages.txt (the one list: Redis for the shared limits, nginx for the replicated run, Chromium
# for the console's browser tests). A <command> that is an absolute path is a file the package installs (fonts).
set -euo pipefail
if [ $# -eq 0 ]; then
  mapfile -t specs < <(grep -v '^\s*#' "$(dirname "$0")/debian-packages.txt" | grep -v '^\s*$')
  set -- "${specs[@]}"
fi
missing=()
for spec in "$@"; do
  IFS='=' read -r cmd pkg version <<<"$spec"
  if [[ "$cmd" == /* ]]; then
    [ -e "$cmd" ] || missing+=("$pkg=$version")
  elif ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
    missing+=("$pkg=$version")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root or install them: apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The package's own service is not wanted: the run starts the program itself, on its own ports.
for spec in "$@"; do
  IFS='=' read -r cmd pkg version <<<"$spec"
  service "$pkg" stop >/dev/null 2>&1 || true
done

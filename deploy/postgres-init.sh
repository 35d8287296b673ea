#!/bin/bash
# One database and one login role per service: <service> owns database <service> and can connect to no other
# (PUBLIC loses CONNECT), so a service cannot read another's data even with its own credentials.
# Passwords come from <SERVICE>_DB_PASSWORD (compose requires them). Runs once, on an empty data directory.
set -euo pipefail
for svc in donor inventory waiver gateway; do
  var="${svc^^}_DB_PASSWORD"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --set=svc="$svc" --set=pw="${!var}" <<'SQL'
CREATE ROLE :"svc" LOGIN PASSWORD :'pw' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE DATABASE :"svc" OWNER :"svc";
REVOKE ALL ON DATABASE :"svc" FROM PUBLIC;
SQL
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$svc" -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC; ALTER SCHEMA public OWNER TO \"$svc\";"
done

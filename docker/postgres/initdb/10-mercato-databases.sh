#!/bin/sh
# One database per service that owns one (deploy/services.json "database"), each owned by a
# login role of the same name that can connect to it and to nothing else. Runs once, when the
# PostgreSQL container initialises an empty data volume (official `postgres` image convention;
# docker/postgres/entrypoint.sh follows it too).
#
#   MERCATO_DATABASES     space-separated names (catalog users checkout payment)
#   MERCATO_DB_PASSWORD   password of those roles (compose.yaml: a development-only default)
set -eu
: "${MERCATO_DATABASES:?set MERCATO_DATABASES}"
: "${MERCATO_DB_PASSWORD:?set MERCATO_DB_PASSWORD}"

for db in $MERCATO_DATABASES; do
  echo "mercato: creating role and database $db"
  psql -v ON_ERROR_STOP=1 -X -q --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    -v db="$db" -v password="$MERCATO_DB_PASSWORD" <<'SQL'
CREATE ROLE :"db" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"db";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
done

#!/bin/sh
# Initialises an empty data directory (initdb, then /docker-entrypoint-initdb.d/*.sql|*.sh
# against a socket-only server), then runs PostgreSQL in the foreground as PID 1.
set -eu

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export POSTGRES_USER POSTGRES_DB
socket_dir=/var/run/postgresql

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "mercato-postgres: POSTGRES_PASSWORD must be set to initialise the database" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 > /dev/null
  rm -f "$pwfile"
  # Clients on the compose network: password (SCRAM) only.
  printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"

  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k $socket_dir" -w start > /dev/null
  export PGHOST=$socket_dir PGUSER="$POSTGRES_USER"
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -X -q -d postgres -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) echo "mercato-postgres: running $f"; psql -v ON_ERROR_STOP=1 -X -q -d "$POSTGRES_DB" -f "$f" ;;
      *.sh) echo "mercato-postgres: running $f"; "$f" ;;
      *) ;;
    esac
  done
  unset PGHOST PGUSER
  pg_ctl -D "$PGDATA" -m fast -w stop > /dev/null
  echo "mercato-postgres: database initialised"
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' -k "$socket_dir" "$@"

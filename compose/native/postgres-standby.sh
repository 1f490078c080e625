#!/usr/bin/env bash
# A streaming physical standby of a native PostgreSQL on loopback, and a failover to it, without Docker.
# Sources postgres.sh. Functions:
#   pg_native_standby_start PRIMARY_PORT STATE_DIR PORT   pg_basebackup -R from the primary, then start it
#                                                         (PG_EXTRA_OPTS as for the primary, e.g. wal_level=logical)
#   pg_native_promote STATE_DIR                            promote the standby to a primary, and wait for it
#   pg_native_stop STATE_DIR immediate                     (postgres.sh) stop a server as a crash would
# Example: a primary on 55440 and a standby on 55441, then a failover:
#   source compose/native/postgres-standby.sh
#   PG_EXTRA_OPTS="-c wal_level=logical" pg_native_start .local/pg-primary 55440
#   PG_EXTRA_OPTS="-c wal_level=logical" pg_native_standby_start 55440 .local/pg-standby 55441
#   pg_native_stop .local/pg-primary immediate && pg_native_promote .local/pg-standby
# The service then follows the primary with ConnectionStrings:Postgres naming both hosts:
#   Host=127.0.0.1:55440,127.0.0.1:55441;Username=postgres;Database=postgres;Target Session Attributes=primary

source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"

pg_native_standby_start() {
  local primary_port=$1 state_dir=$2 port=$3 bindir data
  bindir=$(pg_native_bindir)
  data=$(pg_native_datadir "$state_dir")
  if [ ! -f "$data/data/PG_VERSION" ]; then
    echo "==> pg_basebackup from 127.0.0.1:$primary_port into $data/data"
    pg_native_as_owner "$bindir/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$data/data" -R -X stream -c fast >"$data/basebackup.log" 2>&1 \
      || { cat "$data/basebackup.log" >&2; return 1; }
  fi
  pg_native_start "$state_dir" "$port" "${4:-durable}"
}

pg_native_promote() {
  local state_dir=$1 bindir data
  bindir=$(pg_native_bindir)
  data=$(pg_native_datadir "$state_dir")
  echo "==> promoting the standby in $data/data"
  pg_native_as_owner "$bindir/pg_ctl" -D "$data/data" -w -t 60 promote >/dev/null
}

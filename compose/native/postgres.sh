#!/usr/bin/env bash
# Starts and stops a private PostgreSQL server on loopback, without Docker.
# Sourced by test.sh and run.sh. Functions:
#   pg_native_start STATE_DIR PORT [fast]   initdb on first use, then pg_ctl start; 'fast' turns fsync off (tests only);
#                                           PG_EXTRA_OPTS adds server options (e.g. -c shared_preload_libraries=...)
#   pg_native_stop STATE_DIR [MODE]         pg_ctl stop -m MODE: fast (the default), or immediate (as a crash)
# initdb and pg_ctl refuse to run as root, so as root they run as the postgres user,
# on a data directory that user owns.

pg_native_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    echo "==> PostgreSQL binaries not found; installing the Debian package 'postgresql'" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$dir"
}

# Runs a command as the server's owner: postgres when we are root, ourselves otherwise.
pg_native_as_owner() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Where the data lives: STATE_DIR when the postgres user can reach it, otherwise a folder
# under /var/tmp named after STATE_DIR (a clone inside a mode-700 temporary directory is not
# reachable by the postgres user).
pg_native_datadir() {
  local state_dir=$1
  mkdir -p "$state_dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$state_dir"
    if ! runuser -u postgres -- test -w "$state_dir"; then
      local alt
      alt="/var/tmp/prebuilds-messaging-pg-$(echo -n "$state_dir" | md5sum | cut -c1-12)"
      mkdir -p "$alt" && chown postgres:postgres "$alt"
      state_dir=$alt
    fi
  fi
  echo "$state_dir"
}

pg_native_start() {
  local state_dir port mode bindir data
  state_dir=$1; port=$2; mode=${3:-durable}
  bindir=$(pg_native_bindir)
  data=$(pg_native_datadir "$state_dir")
  if [ ! -f "$data/data/PG_VERSION" ]; then
    echo "==> initdb in $data/data"
    pg_native_as_owner "$bindir/initdb" -D "$data/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$data/initdb.log" 2>&1 \
      || { cat "$data/initdb.log" >&2; return 1; }
  fi
  local opts="-c listen_addresses=127.0.0.1 -p $port -k $data -c max_connections=200"
  if [ "$mode" = fast ]; then opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
  if [ -n "${PG_EXTRA_OPTS:-}" ]; then opts="$opts $PG_EXTRA_OPTS"; fi
  if pg_native_as_owner "$bindir/pg_ctl" -D "$data/data" status >/dev/null 2>&1; then
    echo "==> PostgreSQL already running in $data/data"
  else
    echo "==> starting PostgreSQL on 127.0.0.1:$port"
    pg_native_as_owner "$bindir/pg_ctl" -D "$data/data" -l "$data/server.log" -o "$opts" -w -t 60 start >/dev/null \
      || { tail -n 30 "$data/server.log" >&2; return 1; }
  fi
}

pg_native_stop() {
  local state_dir bindir data mode
  state_dir=$1; mode=${2:-fast}
  bindir=$(pg_native_bindir)
  data=$(pg_native_datadir "$state_dir")
  if pg_native_as_owner "$bindir/pg_ctl" -D "$data/data" status >/dev/null 2>&1; then
    echo "==> stopping PostgreSQL"
    pg_native_as_owner "$bindir/pg_ctl" -D "$data/data" -m "$mode" -w stop >/dev/null || true
  fi
}

# Prints the first TCP port P on 127.0.0.1 at or above $1 such that the $2 ports from P on (1 when not given) are
# free, and, when $3 is given, the ports $3 above each of them too: a RabbitMQ node also listens on its AMQP port
# + 20000 (Erlang distribution), so `free_port_from 5691 3 20000` finds three nodes' ports that are all free.
free_port_from() {
  local port=$1 count=${2:-1} offset=${3:-}
  while ! ports_free "$port" "$count" "$offset"; do port=$((port + 1)); done
  echo "$port"
}

# Succeeds when nothing listens on 127.0.0.1 at the $2 ports from $1 on, nor at the ports $3 above them when given.
ports_free() {
  local first=$1 count=${2:-1} offset=${3:-} i
  for ((i = 0; i < count; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$((first + i))") 2>/dev/null; then return 1; fi
    if [ -n "$offset" ] && (exec 3<>"/dev/tcp/127.0.0.1/$((first + i + offset))") 2>/dev/null; then return 1; fi
  done
  return 0
}

#!/usr/bin/env bash
# The quick start: PostgreSQL and RabbitMQ on loopback, the schema and migrations, the demo data,
# then the worker in the foreground (Ctrl-C stops it; the servers keep running for the CLI).
#   ./run.sh         start everything and run the worker
#   ./run.sh stop    stop the servers that ./run.sh started
# It runs natively: the Debian packages postgresql and rabbitmq-server, installed when missing. Docker
# (compose/docker-compose.yml) only when asked: ./run.sh --docker, or PREBUILDS_RUN_MODE=docker; or when the
# native path is impossible (no binaries and no apt-get). Natively, data lives in .local/run-postgres and
# .local/run-rabbitmq; a second run reuses it.
set -euo pipefail
cd "$(dirname "$0")"
repo=$(pwd)
source compose/native/postgres.sh
source compose/native/rabbitmq.sh

pg_port=${PREBUILDS_PG_PORT:-55442}
amqp_port=${PREBUILDS_AMQP_PORT:-5672}
management_port=${PREBUILDS_MANAGEMENT_PORT:-15672}

mode=${PREBUILDS_RUN_MODE:-native}
if [ "${1:-}" = --docker ]; then mode=docker; shift; fi
if [ "$mode" = native ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v apt-get >/dev/null 2>&1; then
  echo "==> no PostgreSQL binaries and no apt-get: using Docker instead" >&2
  mode=docker
fi
if [ "$mode" = docker ]; then
  if [ "${1:-}" = stop ]; then exec docker compose -p prebuilds-messaging -f compose/docker-compose.yml down; fi
  echo "==> docker compose (PostgreSQL, RabbitMQ, migrate, seed-demo, worker)"
  exec docker compose -p prebuilds-messaging -f compose/docker-compose.yml up --build
fi

if [ "${1:-}" = stop ]; then
  rabbit_native_stop "$repo/.local/run-rabbitmq"
  pg_native_stop "$repo/.local/run-postgres"
  exit 0
fi

pg_native_start "$repo/.local/run-postgres" "$pg_port"
rabbit_native_start "$repo/.local/run-rabbitmq" "$amqp_port" "$management_port"

export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
export ConnectionStrings__RabbitMq="amqp://guest:guest@127.0.0.1:$amqp_port/"
cat >"$repo/.local/run.env" <<ENV
export ConnectionStrings__Postgres="$ConnectionStrings__Postgres"
export ConnectionStrings__RabbitMq="$ConnectionStrings__RabbitMq"
ENV

echo "==> building"
dotnet build src/PrebuildsMessaging -c Release --nologo -v quiet
app="dotnet src/PrebuildsMessaging/bin/Release/net10.0/PrebuildsMessaging.dll"
echo "==> migrate --with-dev-schema"
$app migrate --with-dev-schema
echo "==> seed-demo"
$app seed-demo
echo "==> worker (Ctrl-C to stop; 'source .local/run.env' gives other shells the same settings)"
exec $app run

#!/usr/bin/env bash
# The end-to-end benchmark on the real thing: a local PostgreSQL with fsync on (and pg_stat_statements, to
# count statements) and a local RabbitMQ, both started here on loopback and stopped afterwards.
#   tests/PrebuildsMessaging.Benchmarks/e2e.sh [--organizations 10000] [--burst-events 1000] [--skip-loop] ...
#   tests/PrebuildsMessaging.Benchmarks/e2e.sh feed-latency [--changes 200]   (the server with wal_level = logical)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
source compose/native/postgres.sh
source compose/native/rabbitmq.sh

pg_port=$(free_port_from 55452)
amqp_port=$(free_port_from 5683)
management_port=$(free_port_from 15683)
cleanup() {
  rabbit_native_stop "$repo/.local/bench-rabbitmq"
  pg_native_stop "$repo/.local/bench-postgres"
}
trap cleanup EXIT
mode=e2e
if [ "${1:-}" = feed-latency ]; then mode=feed-latency; shift; fi
pg_opts="-c shared_preload_libraries=pg_stat_statements"
if [ "$mode" = feed-latency ]; then pg_opts="$pg_opts -c wal_level=logical -c max_replication_slots=8 -c max_wal_senders=8"; fi
PG_EXTRA_OPTS="$pg_opts" pg_native_start "$repo/.local/bench-postgres" "$pg_port" durable
rabbit_native_start "$repo/.local/bench-rabbitmq" "$amqp_port" "$management_port"

echo "==> dotnet build (Release)"
dotnet build tests/PrebuildsMessaging.Benchmarks -c Release --nologo -v quiet
if [ "$mode" = feed-latency ]; then
  echo "==> change-feed latency benchmark"
  dotnet tests/PrebuildsMessaging.Benchmarks/bin/Release/net10.0/PrebuildsMessaging.Benchmarks.dll feed-latency \
    --connection "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres" \
    --rabbitmq "amqp://guest:guest@127.0.0.1:$amqp_port/" "$@"
  exit 0
fi
echo "==> end-to-end benchmark"
dotnet tests/PrebuildsMessaging.Benchmarks/bin/Release/net10.0/PrebuildsMessaging.Benchmarks.dll e2e \
  --connection "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres" \
  --rabbitmq "amqp://guest:guest@127.0.0.1:$amqp_port/" \
  --management "http://127.0.0.1:$management_port" "$@"

#!/usr/bin/env bash
# The fault soak on the real thing: PostgreSQL 15 with fsync on and logical WAL (loaded with the dev schema of Coder's
# tables and triggers), a 3-node RabbitMQ cluster, and 3 workers with the change feed on, all on loopback; Coder-like
# writes and bursts of events while faults drawn from the seed hit them. Everything starts fresh and stops afterwards.
#   tests/PrebuildsMessaging.Benchmarks/soak.sh [--seed N] [--minutes 20] [--rate 20] [--burst-events 500] [--idle-seconds 120]
# Prints the seed and the plan first, progress every minute, then the report; exits 1 when a check fails.
# The same seed replays the same fault schedule and the same sequence of writes.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
source compose/native/postgres.sh
source compose/native/rabbitmq-cluster.sh

pg_state="$repo/.local/soak-postgres"
rabbit_state="$repo/.local/soak-rabbitmq"
output="$repo/.local/soak"
cleanup() {
  rabbit_cluster_stop "$rabbit_state" || true
  pg_native_stop "$pg_state" || true
}
trap cleanup EXIT
# Fresh every time: no queue, message or row of an earlier run.
cleanup >/dev/null 2>&1
rm -rf "$rabbit_state" "$output" "$(pg_native_datadir "$pg_state")/data"
mkdir -p "$output"

pg_port=$(free_port_from 55462)
amqp_base=$(free_port_from 5691 3 20000) # three nodes, each with its Erlang distribution port
management_base=$(free_port_from 15691 3)
PG_EXTRA_OPTS="-c shared_preload_libraries=pg_stat_statements -c wal_level=logical -c max_replication_slots=16 -c max_wal_senders=16" \
  pg_native_start "$pg_state" "$pg_port" durable
rabbit_cluster_start "$rabbit_state" "$amqp_base" "$management_base"

echo "==> dotnet build (Release)"
dotnet build tests/PrebuildsMessaging.Benchmarks -c Release --nologo -v quiet
# The workers run as the image ships them. PREBUILDS_PUBLISHED_APP names a folder where this commit is published so
# already (CI: the container lane's); otherwise it is published here.
app="${PREBUILDS_PUBLISHED_APP:-}"
if [ -z "$app" ]; then
  app="$repo/.local/soak-app"
  echo "==> dotnet publish (linux-x64, self-contained, trimmed, composite ReadyToRun, as the image ships it) into .local/soak-app"
  dotnet publish src/PrebuildsMessaging/PrebuildsMessaging.csproj -c Release -r linux-x64 --self-contained -o "$app" --nologo -v quiet
elif [ ! -x "$app/PrebuildsMessaging" ]; then
  echo "PREBUILDS_PUBLISHED_APP=$app holds no published PrebuildsMessaging executable" >&2
  exit 2
else
  echo "==> the app as published in $app"
fi
echo "==> fault soak"
dotnet tests/PrebuildsMessaging.Benchmarks/bin/Release/net10.0/PrebuildsMessaging.Benchmarks.dll soak \
  --connection "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres" \
  --amqp-ports "$amqp_base,$((amqp_base + 1)),$((amqp_base + 2))" \
  --management-ports "$management_base,$((management_base + 1)),$((management_base + 2))" \
  --app "$app" --repository "$repo" \
  --postgres-state "$pg_state" --rabbitmq-state "$rabbit_state" --output "$output" "$@"

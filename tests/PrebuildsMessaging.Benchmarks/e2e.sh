#!/usr/bin/env bash
# The end-to-end benchmark on the real thing: a local PostgreSQL with fsync on, logical WAL (for the change feed)
# and pg_stat_statements (to count statements), and a local RabbitMQ, both started here on loopback and stopped
# afterwards. The worker runs as it ships: published for linux-x64, self-contained, trimmed, with composite ReadyToRun.
#   tests/PrebuildsMessaging.Benchmarks/e2e.sh [--organizations 10000] [--large-organizations 100000] [--rounds 3] [--skip-loop]
#       [--burst-events 1000] [--feed-changes 200] [--feed-steady-rate 200] [--feed-steady-seconds 30] [--idle-seconds 600] ...
# Every phase prints its progress; a full run takes 40 to 80 minutes (the two idle windows are 10 minutes each and wait for scheduled passes).
#   tests/PrebuildsMessaging.Benchmarks/e2e.sh image-profile [--organizations 10000]
# records instead the profile the worker's composite image is laid out by, into src/PrebuildsMessaging/PrebuildsMessaging.mibc
# (a cold worker traced through one reconcile; docs/benchmarks.md). Record it again when the pass's code changes: a stale
# profile is still correct, the code it no longer names is only laid out with the rest.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
command=e2e
if [ "${1:-}" = image-profile ]; then
  command=image-profile
  shift
  set -- --out "$repo/src/PrebuildsMessaging/PrebuildsMessaging.mibc" "$@"
fi
source compose/native/postgres.sh
source compose/native/rabbitmq.sh

pg_port=$(free_port_from 55452)
amqp_port=$(free_port_from 5683 1 20000) # and its Erlang distribution port
management_port=$(free_port_from 15683)
cleanup() {
  rabbit_native_stop "$repo/.local/bench-rabbitmq"
  pg_native_stop "$repo/.local/bench-postgres"
}
trap cleanup EXIT
PG_EXTRA_OPTS="-c shared_preload_libraries=pg_stat_statements -c wal_level=logical -c max_replication_slots=8 -c max_wal_senders=8" \
  pg_native_start "$repo/.local/bench-postgres" "$pg_port" durable
rabbit_native_start "$repo/.local/bench-rabbitmq" "$amqp_port" "$management_port"

echo "==> dotnet build (Release) and dotnet publish (linux-x64, self-contained, trimmed, composite ReadyToRun, as the image ships it) into .local/bench-app"
dotnet build tests/PrebuildsMessaging.Benchmarks -c Release --nologo -v quiet
dotnet publish src/PrebuildsMessaging/PrebuildsMessaging.csproj -c Release -r linux-x64 --self-contained -o "$repo/.local/bench-app" --nologo -v quiet
echo "==> $command"
dotnet tests/PrebuildsMessaging.Benchmarks/bin/Release/net10.0/PrebuildsMessaging.Benchmarks.dll "$command" \
  --connection "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres" \
  --rabbitmq "amqp://guest:guest@127.0.0.1:$amqp_port/" \
  --management "http://127.0.0.1:$management_port" \
  --app "$repo/.local/bench-app" --psql "$(pg_native_bindir)/psql" "$@"

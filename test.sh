#!/usr/bin/env bash
# The test command: starts what the tests need on loopback, runs every test, stops it again.
#   PREBUILDS_TEST_POSTGRES  an admin connection string to a running PostgreSQL (needs CREATEDB);
#                            when set, no server is started.
#   PREBUILDS_TEST_RABBITMQ  an amqp:// URI of a running RabbitMQ; when set, no broker is started.
#   PREBUILDS_TEST_USE_TESTCONTAINERS=1  start nothing natively; the tests use Testcontainers
#                            (needs a Docker engine that can pull images).
#   PREBUILDS_TEST_TIMING    1 (default): the suite, then the timing-bound tests; 0: the suite alone;
#                            only: the timing-bound tests alone.
#   PREBUILDS_TEST_FILTER    a test filter that narrows both runs (dotnet test --filter syntax).
#   PREBUILDS_TEST_PUBLISHED_APP  a folder where the app is published (linux-x64, self-contained): the tests that
#                            start the executable start that one instead of the build output.
set -euo pipefail
cd "$(dirname "$0")"
repo=$(pwd)
source compose/native/postgres.sh
source compose/native/rabbitmq.sh

started_pg=""
started_rabbit=""
cleanup() {
  # The cluster tests start a three-node cluster on first use (compose/native/rabbitmq-cluster.sh) and leave it running.
  bash -c "source compose/native/rabbitmq-cluster.sh && rabbit_cluster_stop '$repo/.local/test-rabbitmq-cluster'" || true
  if [ -n "$started_rabbit" ]; then rabbit_native_stop "$repo/.local/test-rabbitmq"; fi
  if [ -n "$started_pg" ]; then pg_native_stop "$repo/.local/test-postgres"; fi
}
trap cleanup EXIT

if [ -z "${PREBUILDS_TEST_POSTGRES:-}" ] && [ "${PREBUILDS_TEST_USE_TESTCONTAINERS:-0}" != 1 ]; then
  port=$(free_port_from "${PREBUILDS_TEST_PG_PORT:-55432}")
  # Logical decoding, for the change feed's tests.
  PG_EXTRA_OPTS="${PG_EXTRA_OPTS:-} -c wal_level=logical -c max_replication_slots=32 -c max_wal_senders=16" \
    pg_native_start "$repo/.local/test-postgres" "$port" fast
  started_pg=1
  export PREBUILDS_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
fi

if [ -z "${PREBUILDS_TEST_RABBITMQ:-}" ] && [ "${PREBUILDS_TEST_USE_TESTCONTAINERS:-0}" != 1 ]; then
  amqp_port=$(free_port_from "${PREBUILDS_TEST_AMQP_PORT:-5673}" 1 20000) # and its Erlang distribution port
  management_port=$(free_port_from "${PREBUILDS_TEST_MANAGEMENT_PORT:-15673}")
  rabbit_native_start "$repo/.local/test-rabbitmq" "$amqp_port" "$management_port"
  started_rabbit=1
  export PREBUILDS_TEST_RABBITMQ="amqp://guest:guest@127.0.0.1:$amqp_port/"
  export PREBUILDS_TEST_RABBITMQ_MANAGEMENT="http://127.0.0.1:$management_port"
fi

echo "==> dotnet build"
dotnet build PrebuildsMessaging.sln -c Release --nologo -v quiet
status=0
# The suite, then the timing-bound tests (Category=Timing: those that wait on the service's own timers, such as
# retry intervals, lease handovers, kill detection and failovers), each with its wall time. The suite runs 8 test
# classes at once; the timing-bound tests 4, so that the machine's load does not stretch the timers they measure.
run_tests() { # name filter threads [args...]
  local name=$1 filter=$2 threads=$3 started
  shift 3
  started=$(date +%s)
  echo "==> dotnet test: $name"
  if [ -n "${PREBUILDS_TEST_FILTER:-}" ]; then filter="($filter)&($PREBUILDS_TEST_FILTER)"; fi
  dotnet test tests/PrebuildsMessaging.Tests -c Release --no-build --nologo --filter "$filter" --logger "console;verbosity=minimal" "$@" \
    -- xUnit.MaxParallelThreads="$threads" || status=1
  echo "==> $name wall time: $(( $(date +%s) - started )) s (build excluded)"
}
if [ "${PREBUILDS_TEST_TIMING:-1}" != only ]; then run_tests "suite" "Category!=Timing" 8 "$@"; fi
if [ "${PREBUILDS_TEST_TIMING:-1}" != 0 ]; then run_tests "timing-bound tests" "Category=Timing" 4 "$@"; fi
exit $status

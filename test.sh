#!/usr/bin/env bash
# The test command: starts what the tests need on loopback, runs every test, stops it again.
#   PREBUILDS_TEST_POSTGRES  an admin connection string to a running PostgreSQL (needs CREATEDB);
#                            when set, no server is started.
#   PREBUILDS_TEST_USE_TESTCONTAINERS=1  start nothing natively; the tests use Testcontainers
#                            (needs a Docker engine that can pull images).
set -euo pipefail
cd "$(dirname "$0")"
repo=$(pwd)
source compose/native/postgres.sh

started_pg=""
cleanup() { if [ -n "$started_pg" ]; then pg_native_stop "$repo/.local/test-postgres"; fi; }
trap cleanup EXIT

if [ -z "${PREBUILDS_TEST_POSTGRES:-}" ] && [ "${PREBUILDS_TEST_USE_TESTCONTAINERS:-0}" != 1 ]; then
  port=$(free_port_from "${PREBUILDS_TEST_PG_PORT:-55432}")
  pg_native_start "$repo/.local/test-postgres" "$port" fast
  started_pg=1
  export PREBUILDS_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
fi

echo "==> dotnet build"
dotnet build PrebuildsMessaging.sln -c Release --nologo -v quiet
echo "==> dotnet test"
dotnet test PrebuildsMessaging.sln -c Release --no-build --nologo --logger "console;verbosity=normal" "$@"

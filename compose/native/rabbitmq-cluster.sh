#!/usr/bin/env bash
# A three-node RabbitMQ cluster on loopback, without Docker and without the system service. Source it, or run it:
#   compose/native/rabbitmq-cluster.sh start [STATE_DIR] [AMQP_BASE_PORT] [MANAGEMENT_BASE_PORT]
#   compose/native/rabbitmq-cluster.sh stop  [STATE_DIR]
# Defaults: .local/rabbitmq-cluster, AMQP on 5681-5683, management on 15681-15683. Functions:
#   rabbit_cluster_start STATE_DIR AMQP_BASE MANAGEMENT_BASE   start nodes 1..3 and join 2 and 3 to 1
#   rabbit_cluster_stop STATE_DIR                              stop every node
#   rabbit_cluster_node_stop_app STATE_DIR N                   stop node N's broker (its Erlang VM stays up)
#   rabbit_cluster_node_start_app STATE_DIR N                  start it again; it rejoins the cluster
#   rabbit_cluster_node_name STATE_DIR N                       the node's name, e.g. prebuilds-c1a2b3c4-2@localhost
# The nodes share one HOME, so they share one Erlang cookie. Each has its own node name, data, log and ports.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/rabbitmq.sh"

rabbit_cluster_node_name() {
  local state_dir=$1 n=$2
  echo "prebuilds-c$(echo -n "$state_dir" | md5sum | cut -c1-8)-$n@localhost"
}

rabbit_cluster_node_env() {
  local state_dir=$1 n=$2
  export HOME="$state_dir/home"
  export RABBITMQ_NODENAME=$(rabbit_cluster_node_name "$state_dir" "$n")
  export RABBITMQ_MNESIA_BASE="$state_dir/node$n/mnesia"
  export RABBITMQ_LOG_BASE="$state_dir/node$n/log"
  export RABBITMQ_CONFIG_FILE="$state_dir/node$n/rabbitmq.conf"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$state_dir/node$n/enabled_plugins"
  export RABBITMQ_PID_FILE="$state_dir/node$n/rabbitmq.pid"
  export ERL_CRASH_DUMP="$state_dir/node$n/erl_crash.dump" # not the working directory's
  mkdir -p "$HOME" "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
}

rabbit_cluster_ctl() {
  local state_dir=$1 n=$2
  shift 2
  (rabbit_cluster_node_env "$state_dir" "$n" && /usr/lib/rabbitmq/bin/rabbitmqctl -q -n "$RABBITMQ_NODENAME" "$@")
}

rabbit_cluster_start() {
  local state_dir=$1 amqp_base=$2 management_base=$3
  rabbit_native_install
  mkdir -p "$state_dir"
  state_dir=$(cd "$state_dir" && pwd)
  local n
  for n in 1 2 3; do
    (
      rabbit_cluster_node_env "$state_dir" "$n"
      local port=$((amqp_base + n - 1)) management_port=$((management_base + n - 1))
      export RABBITMQ_NODE_PORT=$port RABBITMQ_DIST_PORT=$((port + 20000))
      cat >"$RABBITMQ_CONFIG_FILE" <<CONF
listeners.tcp.default = 127.0.0.1:$port
management.tcp.ip = 127.0.0.1
management.tcp.port = $management_port
log.console = false
CONF
      echo "[rabbitmq_management]." >"$RABBITMQ_ENABLED_PLUGINS_FILE"
      if /usr/lib/rabbitmq/bin/rabbitmqctl -q status >/dev/null 2>&1; then
        echo "==> RabbitMQ node $n already running ($RABBITMQ_NODENAME)"
        exit 0
      fi
      echo "==> starting RabbitMQ node $n on 127.0.0.1:$port (management on $management_port)"
      rm -f "$RABBITMQ_PID_FILE" # a stale one (a node that was killed) would make the wait below fail at once
      ERL_EPMD_ADDRESS=127.0.0.1 nohup /usr/lib/rabbitmq/bin/rabbitmq-server >"$state_dir/node$n/server.out" 2>&1 &
    ) || return 1
  done
  for n in 1 2 3; do
    if ! (rabbit_cluster_node_env "$state_dir" "$n" && /usr/lib/rabbitmq/bin/rabbitmqctl -q wait --timeout 90 "$RABBITMQ_PID_FILE" >/dev/null 2>&1); then
      tail -n 40 "$state_dir/node$n/server.out" >&2
      return 1
    fi
  done
  local first
  first=$(rabbit_cluster_node_name "$state_dir" 1)
  for n in 2 3; do
    if rabbit_cluster_ctl "$state_dir" "$n" cluster_status 2>/dev/null | grep -q "$first"; then
      continue
    fi
    echo "==> joining node $n to $first"
    rabbit_cluster_ctl "$state_dir" "$n" stop_app >/dev/null &&
      rabbit_cluster_ctl "$state_dir" "$n" join_cluster "$first" >/dev/null &&
      rabbit_cluster_ctl "$state_dir" "$n" start_app >/dev/null || return 1
  done
  echo "==> RabbitMQ cluster of 3 nodes: 127.0.0.1:$amqp_base,127.0.0.1:$((amqp_base + 1)),127.0.0.1:$((amqp_base + 2))"
}

rabbit_cluster_node_stop_app() { rabbit_cluster_ctl "$(cd "$1" && pwd)" "$2" stop_app; }

rabbit_cluster_node_start_app() { rabbit_cluster_ctl "$(cd "$1" && pwd)" "$2" start_app; }

rabbit_cluster_stop() {
  local state_dir=$1 n
  [ -d "$state_dir" ] || return 0
  state_dir=$(cd "$state_dir" && pwd)
  for n in 3 2 1; do
    (
      rabbit_cluster_node_env "$state_dir" "$n"
      if /usr/lib/rabbitmq/bin/rabbitmqctl -q status >/dev/null 2>&1; then
        echo "==> stopping RabbitMQ node $n"
        /usr/lib/rabbitmq/bin/rabbitmqctl -q stop "$RABBITMQ_PID_FILE" >/dev/null 2>&1 || true
      fi
    )
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    start) rabbit_cluster_start "${2:-.local/rabbitmq-cluster}" "${3:-5681}" "${4:-15681}" ;;
    stop) rabbit_cluster_stop "${2:-.local/rabbitmq-cluster}" ;;
    *) echo "usage: $0 start [STATE_DIR] [AMQP_BASE_PORT] [MANAGEMENT_BASE_PORT] | stop [STATE_DIR]" >&2; exit 2 ;;
  esac
fi

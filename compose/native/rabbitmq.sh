#!/usr/bin/env bash
# Starts and stops a private RabbitMQ broker on loopback, without Docker and without the system service.
# Sourced by test.sh and run.sh. Functions:
#   rabbit_native_start STATE_DIR AMQP_PORT MANAGEMENT_PORT
#   rabbit_native_stop STATE_DIR
# /usr/sbin/rabbitmq-server switches to the rabbitmq user and fails on root-owned folders, so the broker
# runs from /usr/lib/rabbitmq/bin with its node name, data, logs, config and HOME under STATE_DIR.

rabbit_native_install() {
  if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
    echo "==> rabbitmq-server not found; installing the Debian package" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >&2
    # The package starts its own system service; this project runs a private broker instead.
    (systemctl stop rabbitmq-server || service rabbitmq-server stop) >/dev/null 2>&1 || true
  fi
}

rabbit_native_env() {
  local state_dir=$1
  export HOME="$state_dir/home"
  export RABBITMQ_NODENAME="prebuilds-$(echo -n "$state_dir" | md5sum | cut -c1-8)@localhost"
  export RABBITMQ_MNESIA_BASE="$state_dir/mnesia"
  export RABBITMQ_LOG_BASE="$state_dir/log"
  export RABBITMQ_CONFIG_FILE="$state_dir/rabbitmq.conf"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$state_dir/enabled_plugins"
  export RABBITMQ_PID_FILE="$state_dir/rabbitmq.pid"
  export ERL_CRASH_DUMP="$state_dir/erl_crash.dump" # not the working directory's
  mkdir -p "$HOME" "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
}

rabbit_native_start() {
  local state_dir=$1 port=$2 management_port=$3
  rabbit_native_install
  mkdir -p "$state_dir"
  state_dir=$(cd "$state_dir" && pwd)
  (
    rabbit_native_env "$state_dir"
    # The Erlang distribution port defaults to 25672 whatever the AMQP port; derive it so brokers side by side never collide.
    export RABBITMQ_NODE_PORT=$port RABBITMQ_DIST_PORT=$((port + 20000))
    cat >"$RABBITMQ_CONFIG_FILE" <<CONF
listeners.tcp.default = 127.0.0.1:$port
management.tcp.ip = 127.0.0.1
management.tcp.port = $management_port
log.console = false
CONF
    echo "[rabbitmq_management]." >"$RABBITMQ_ENABLED_PLUGINS_FILE"
    if /usr/lib/rabbitmq/bin/rabbitmqctl -q status >/dev/null 2>&1; then
      echo "==> RabbitMQ already running ($RABBITMQ_NODENAME)"
      exit 0
    fi
    echo "==> starting RabbitMQ on 127.0.0.1:$port (management on $management_port)"
    ERL_EPMD_ADDRESS=127.0.0.1 nohup /usr/lib/rabbitmq/bin/rabbitmq-server >"$state_dir/server.out" 2>&1 &
    if ! /usr/lib/rabbitmq/bin/rabbitmqctl -q wait --timeout 60 "$RABBITMQ_PID_FILE" >/dev/null 2>&1; then
      tail -n 40 "$state_dir/server.out" >&2
      exit 1
    fi
  )
}

rabbit_native_stop() {
  local state_dir=$1
  [ -d "$state_dir" ] || return 0
  state_dir=$(cd "$state_dir" && pwd)
  (
    rabbit_native_env "$state_dir"
    if /usr/lib/rabbitmq/bin/rabbitmqctl -q status >/dev/null 2>&1; then
      echo "==> stopping RabbitMQ"
      /usr/lib/rabbitmq/bin/rabbitmqctl -q stop "$RABBITMQ_PID_FILE" >/dev/null 2>&1 || true
    fi
  )
}

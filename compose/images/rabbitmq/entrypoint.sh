#!/bin/sh
# The official image's contract, from Debian's packages: the default user from RABBITMQ_DEFAULT_USER and
# RABBITMQ_DEFAULT_PASS, allowed from any host; the Erlang cookie from RABBITMQ_ERLANG_COOKIE (without it, the
# node makes a random one of its own: the image holds none).
set -eu
{
  echo "loopback_users = none"
  echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
  echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
} > /etc/rabbitmq/conf.d/10-defaults.conf
if [ -n "${RABBITMQ_ERLANG_COOKIE:-}" ]; then
  rm -f "$HOME/.erlang.cookie" # a cookie made earlier is read-only
  umask 077
  printf '%s' "$RABBITMQ_ERLANG_COOKIE" > "$HOME/.erlang.cookie"
fi
exec "$@"

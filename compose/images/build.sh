#!/usr/bin/env bash
# Builds the service's images from Debian packages alone, for a site with a Debian mirror and no registry:
#   compose/images/build.sh [base|postgres|rabbitmq|worker|all]      (default: all)
# base      prebuilds-messaging/debian:bookworm, made by debootstrap (minbase) and `docker import`;
# postgres  prebuilds-messaging/postgres:15, PostgreSQL 15 from Debian's packages, with the official image's contract;
# rabbitmq  prebuilds-messaging/rabbitmq:3-management, RabbitMQ from Debian's packages, management plugin on;
# worker    prebuilds-messaging:latest, the app published on this host (self-contained) on the Debian base.
# Settings: DEBIAN_MIRROR (http://deb.debian.org/debian), DEBIAN_SECURITY_MIRROR (http://deb.debian.org/debian-security),
# DOCKER (docker), IMAGE_PREFIX (prebuilds-messaging), and IMAGE_REFRESH=1 to rebuild everything from today's
# packages (security fixes included) instead of reusing the base image and cached layers.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
docker=${DOCKER:-docker}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
no_cache=()
if [ "${IMAGE_REFRESH:-0}" = 1 ]; then no_cache=(--no-cache); fi # rebuilt from today's packages
prefix=${IMAGE_PREFIX:-prebuilds-messaging}
base="$prefix/debian:bookworm"

step() { echo "==> $*"; }

build_base() {
  if [ "${IMAGE_REFRESH:-0}" != 1 ] && $docker image inspect "$base" >/dev/null 2>&1; then step "$base is there"; return; fi
  local rootfs
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs" "$rootfs.log"' EXIT
  step "debootstrap bookworm (minbase) from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$rootfs.log" 2>&1 || { tail -20 "$rootfs.log"; exit 1; }
  # The point release, its updates and its security fixes, as apt-get in every image sees them.
  cat > "$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  step "docker import $base"
  tar -C "$rootfs" -c . | $docker import --change 'CMD ["/bin/bash"]' - "$base" > /dev/null
  rm -rf "$rootfs" "$rootfs.log"
  trap - EXIT
}

build_image() { # name folder
  step "docker build $1"
  $docker build -q "${no_cache[@]}" --build-arg BASE_IMAGE="$base" -t "$1" "$2" > /dev/null
}

build_worker() {
  local publish="$repo/.local/image-publish"
  step "dotnet publish (linux-x64, self-contained, trimmed, composite ReadyToRun) into .local/image-publish"
  rm -rf "$publish"
  dotnet publish src/PrebuildsMessaging/PrebuildsMessaging.csproj -c Release -r linux-x64 --self-contained -o "$publish/app" --nologo -v quiet
  step "docker build $prefix:latest (air-gapped: the Debian base, the app published on this host)"
  $docker build -q "${no_cache[@]}" -f src/PrebuildsMessaging/Dockerfile \
    --build-arg BUILD_IMAGE="$base" --build-arg RUNTIME_IMAGE="$base" --build-arg APP_PUBLISHED=1 \
    --build-arg RUNTIME_PACKAGES="ca-certificates libssl3 zlib1g libgssapi-krb5-2 tzdata" \
    -t "$prefix:latest" "$publish" > /dev/null
}

what=${1:-all}
case "$what" in
  base) build_base ;;
  postgres) build_base; build_image "$prefix/postgres:15" compose/images/postgres ;;
  rabbitmq) build_base; build_image "$prefix/rabbitmq:3-management" compose/images/rabbitmq ;;
  worker) build_base; build_worker ;;
  all) build_base; build_image "$prefix/postgres:15" compose/images/postgres; build_image "$prefix/rabbitmq:3-management" compose/images/rabbitmq; build_worker ;;
  *) echo "usage: $0 [base|postgres|rabbitmq|worker|all]" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Usage: tools/netns_run.sh CMD [ARG...]
# Runs CMD in a private network namespace whose only interface is loopback, with multicast on and
# a 224.0.0.0/4 route, so that DDS discovery (ROS 2) works but never leaves this machine.
# Exit status: CMD's own; 77 (the "skipped" code of automake and friends) when the namespace
# cannot be made here, with the reason on stderr; 2 for a usage error.
set -euo pipefail

if (($# == 0)); then
  echo "usage: tools/netns_run.sh CMD [ARG...]" >&2
  exit 2
fi

skip() {
  echo "netns_run: cannot create a private network namespace: $*" >&2
  exit 77
}

command -v unshare >/dev/null 2>&1 || skip "unshare not found (Debian package util-linux)"
command -v ip >/dev/null 2>&1 || skip "ip not found (Debian package iproute2)"

# As root a plain network namespace; otherwise (or where root lacks CAP_SYS_ADMIN, as in an
# unprivileged container) one inside a new user namespace, in which we are root.
flag_sets=()
[[ $(id -u) -eq 0 ]] && flag_sets+=("-n")
flag_sets+=("-rn")
flags=
errors=
for f in "${flag_sets[@]}"; do
  if err=$(unshare "$f" true 2>&1); then
    flags=$f
    break
  fi
  errors+="'unshare $f': ${err:-failed}; "
done
[[ -n $flags ]] || skip "${errors%; }"

# Inside: bring loopback up with multicast, then replace this shell with CMD (its exit status is ours).
# shellcheck disable=SC2016  # expanded by the inner shell
exec unshare "$flags" -- bash -c '
  if ! err=$( { ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo; } 2>&1 ); then
    echo "netns_run: cannot create a private network namespace: setting up loopback failed: $err" >&2
    exit 77
  fi
  exec "$@"
' netns_run "$@"

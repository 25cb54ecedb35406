#!/usr/bin/env bash
# Install Debian's SLURM, munge and MariaDB packages when any is missing (idempotent).
# Exit 77 when this machine cannot install them (not root, or no apt-get): tests then skip.
set -euo pipefail

required_commands=(munged mungekey slurmctld slurmd slurmdbd sbatch sacct sacctmgr mariadbd
  mariadb-install-db mariadb)
missing=()
for command in "${required_commands[@]}"; do
  command -v "$command" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$command" \
    >/dev/null 2>&1 || missing+=("$command")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "cannot install SLURM here (needs root and apt-get); missing: ${missing[*]}" >&2
  exit 77
fi

echo "installing SLURM, munge and MariaDB (missing: ${missing[*]})" >&2
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d keeps the packages' init scripts from starting daemons: the tests start their own.
policy=/usr/sbin/policy-rc.d
created_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=true
fi
trap '$created_policy && rm -f "$policy"' EXIT
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
  munge slurmctld slurmd slurmdbd slurm-client mariadb-server mariadb-client >/dev/null

#!/usr/bin/env bash
# Stop the cluster that start.sh started in STATE_DIR: cancel its jobs, end each daemon it
# started, by the pid file it wrote, and nothing else; remove its /etc/slurm/slurm.conf link.
#
# usage: stop.sh STATE_DIR
set -uo pipefail

state=${1:?usage: stop.sh STATE_DIR}
run=$state/run
export PATH="$PATH:/usr/sbin:/sbin"

if [ -f "$state/slurm.conf" ] && [ -f "$run/slurmctld.pid" ]; then
  SLURM_CONF=$state/slurm.conf timeout 10 scancel --user="$(id -un)" 2>/dev/null
fi

# Ends the process in pid file $1 if it is still the program $2; waits for it to exit.
stop_daemon() {
  local pid_file=$1 program=$2 pid
  [ -f "$pid_file" ] || return 0
  pid=$(cat "$pid_file")
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$program" ]; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$pid_file"
}

stop_daemon "$run/slurmd.pid" slurmd
stop_daemon "$run/slurmctld.pid" slurmctld
stop_daemon "$run/slurmdbd.pid" slurmdbd
stop_daemon "$run/mariadbd.pid" mariadbd
stop_daemon "$run/munged.pid" munged
if [ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$state/slurm.conf" ]; then
  rm -f /etc/slurm/slurm.conf
fi
exit 0

#!/usr/bin/env bash
# Start a one-node SLURM cluster on this machine, by hand (no systemd), loopback only: munged,
# MariaDB, slurmdbd, slurmctld and slurmd, each with its own free port, socket, pid file and log
# under STATE_DIR. Stop it with stop.sh. Writes STATE_DIR/cluster.env: SLURM_CONF (export it to
# use the cluster) and the partition and account that jobs must name.
#
# Commands run inside a job (the Snakemake job step's srun) drop SLURM_CONF and read
# /etc/slurm/slurm.conf, so that path links to this cluster's configuration while it runs: one
# such cluster per machine, and none where a real SLURM is configured (exit 77).
#
# usage: start.sh STATE_DIR
set -euo pipefail

state=${1:?usage: start.sh STATE_DIR}
partition=fieldcorpus-test
account=fieldcorpus-test
export PATH="$PATH:/usr/sbin:/sbin"
mkdir -p "$state"
state=$(cd "$state" && pwd)
run=$state/run
mkdir -p "$run" "$state/log" "$state/ctld" "$state/slurmd" "$state/munge"
# munged runs as the munge user and must reach its directory.
chmod 755 "$state" "$run"
chmod 700 "$state/munge"
chown munge:munge "$state/munge"

node=$(hostname -s)
cluster=fieldcorpus
cpus=$(nproc)
memory_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)
mem_per_cpu=$((memory_mb / cpus))

system_conf=/etc/slurm/slurm.conf
marker="# fieldcorpus local test cluster (tests/slurm/start.sh)"
if [ -e "$system_conf" ] || [ -L "$system_conf" ]; then
  if ! [ -L "$system_conf" ] || { [ -e "$system_conf" ] && [ "$(head -n 1 "$system_conf")" != "$marker" ]; }; then
    echo "start.sh: $system_conf belongs to a SLURM configured on this machine; not touching it" >&2
    exit 77
  fi
fi

fail() {
  echo "start.sh: $*" >&2
  echo "start.sh: logs are in $state/log" >&2
  exit 1
}

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

read -r ctld_port slurmd_port dbd_port mariadb_port < <(
  python3 - <<'PY'
import socket

sockets = [socket.socket() for _ in range(4)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))
PY
)

# munge: a fresh key and a private socket.
munge_socket=$state/munge/munge.socket
runuser -u munge -- mungekey --create --keyfile="$state/munge/munge.key" --force
runuser -u munge -- munged --force \
  --socket="$munge_socket" \
  --key-file="$state/munge/munge.key" \
  --pid-file="$state/munge/munged.pid" \
  --seed-file="$state/munge/munged.seed" \
  --log-file="$state/munge/munged.log"
wait_for 10 test -s "$state/munge/munged.pid" || fail "munged did not start"
cp "$state/munge/munged.pid" "$run/munged.pid"
wait_for 10 sh -c "munge -S '$munge_socket' -n | unmunge -S '$munge_socket'" ||
  fail "munged does not answer"

# MariaDB for slurmdbd: a private data directory, TCP on loopback only.
db_password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
mariadb_socket=$run/mariadb.socket
mariadb-install-db --no-defaults --user=root --datadir="$state/mysql" \
  --auth-root-authentication-method=socket --skip-test-db >"$state/log/mariadb-install.log" 2>&1 ||
  fail "mariadb-install-db failed"
setsid mariadbd --no-defaults --user=root --datadir="$state/mysql" \
  --socket="$mariadb_socket" --port="$mariadb_port" --bind-address=127.0.0.1 \
  --pid-file="$state/mysql/mariadbd.pid" --log-error="$state/log/mariadb.log" \
  --skip-log-bin --performance-schema=OFF --innodb-buffer-pool-size=64M \
  --innodb-log-file-size=64M --innodb-lock-wait-timeout=900 \
  </dev/null >/dev/null 2>&1 &
echo $! >"$run/mariadbd.pid"
wait_for 30 mariadb --no-defaults --socket="$mariadb_socket" -u root -e "SELECT 1" ||
  fail "MariaDB did not start"
mariadb --no-defaults --socket="$mariadb_socket" -u root -e "
  CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$db_password';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"

cat >"$state/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$munge_socket
DbdAddr=127.0.0.1
DbdHost=$node
DbdPort=$dbd_port
SlurmUser=root
PidFile=$run/slurmdbd.pid
LogFile=$state/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$mariadb_port
StorageUser=slurm
StoragePass=$db_password
StorageLoc=slurm_acct_db
EOF
chmod 600 "$state/slurmdbd.conf"

# A one-node cluster with this machine's cores and ~80% of its memory. DefMemPerCPU keeps a job
# without --mem from taking the whole node; MinJobAge keeps finished jobs visible to squeue.
cat >"$state/slurm.conf" <<EOF
$marker
ClusterName=$cluster
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$munge_socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/slurmd
SlurmctldPidFile=$run/slurmctld.pid
SlurmdPidFile=$run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$mem_per_cpu
MinJobAge=300
MailProg=/bin/true
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$dbd_port
# With munge, this names the socket used to reach slurmdbd.
AccountingStoragePass=$munge_socket
AccountingStorageEnforce=associations
NodeName=$node NodeHostname=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=$partition Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$state/slurm.conf
mkdir -p "$(dirname "$system_conf")"
ln -sfn "$SLURM_CONF" "$system_conf"

slurmdbd || fail "slurmdbd did not start"
wait_for 30 sacctmgr --noheader list cluster || fail "slurmdbd does not answer"
sacctmgr --immediate add cluster "$cluster" >/dev/null
sacctmgr --immediate add account "$account" Description=fieldcorpus-tests \
  Organization=fieldcorpus >/dev/null
sacctmgr --immediate add user root Account="$account" DefaultAccount="$account" >/dev/null

slurmctld -i || fail "slurmctld did not start"
wait_for 30 scontrol ping || fail "slurmctld does not answer"
slurmd -N "$node" || fail "slurmd did not start"
# The node reports idle a few seconds before it accepts work: a real job proves it does.
wait_for 60 timeout 20 srun --partition="$partition" --account="$account" --time=1 --mem=10 true ||
  fail "the node does not run jobs"
printf 'SLURM_CONF=%s\nSLURM_PARTITION=%s\nSLURM_ACCOUNT=%s\n' "$SLURM_CONF" "$partition" \
  "$account" >"$state/cluster.env"

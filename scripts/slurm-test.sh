#!/usr/bin/env bash
# slurm-test.sh — end-to-end test of `myoseg batch --shard` under real Slurm.
#
# Starts a one-node Slurm cluster in a temporary folder (munged, slurmctld and
# slurmd from Debian's slurm-wlm and munge packages, no cgroups, no
# accounting, everything run as root), writes a phantom dataset, submits
# docs/slurm/myoseg-array.sbatch as a 3-task array with `sbatch --wait`,
# merges the shards with `myoseg merge`, and checks the merged results and
# the masks against one plain run: byte for byte. Then it stops the daemons
# it started and removes the folder.
#
# Usage: scripts/slurm-test.sh [--install]
#   --install   apt-get install slurm-wlm munge first when missing (root, Debian)
# Environment:
#   SLURM_TEST_N=12          phantom images
#   SLURM_TEST_REQUIRED=1    fail (exit 1) instead of skipping when Slurm cannot start
#   SLURM_TEST_KEEP=1        keep the temporary folder (logs) for debugging
#   SLURM_TEST_PORT=NNNNN    slurmctld port (slurmd uses the next one); default: a free one
#
# Exit: 0 passed (or skipped, with a line starting "SKIP"), 1 failed.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
N=${SLURM_TEST_N:-12}
TASKS=3

log() { printf 'slurm-test: %s\n' "$*" >&2; }
skip() {
  if [ "${SLURM_TEST_REQUIRED:-0}" = 1 ]; then
    log "FAIL (SLURM_TEST_REQUIRED=1): $*"
    exit 1
  fi
  printf 'SKIP slurm test: %s\n' "$*"
  exit 0
}

if [ "${1:-}" = "--install" ] && ! command -v slurmctld >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing slurm-wlm and munge"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq slurm-wlm munge >/dev/null ||
      skip "apt-get install slurm-wlm munge failed"
  fi
fi
for tool in munged slurmctld slurmd sbatch sinfo scontrol; do
  command -v "$tool" >/dev/null || skip "$tool not installed (Debian: apt-get install slurm-wlm munge; or run with --install)"
done
[ "$(id -u)" = 0 ] || skip "needs root (the test cluster runs SlurmUser=root)"

T=$(mktemp -d /tmp/myoseg-slurm.XXXXXX) || exit 1
chmod 700 "$T"
pids=()
cleanup() {
  local rc=$?
  # Stop only what this script started, by PID; slurmd's job steps end with it.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  if [ $rc -ne 0 ] || [ "${SLURM_TEST_KEEP:-0}" = 1 ]; then
    for f in "$T"/log/*.log; do
      [ -f "$f" ] && { echo "---- $f (last 15 lines)" >&2; tail -n 15 "$f" >&2; }
    done
  fi
  if [ "${SLURM_TEST_KEEP:-0}" = 1 ]; then log "kept $T"; else rm -rf "$T"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$T"/{log,state,spool,run,bin}

# A free port pair for slurmctld and slurmd.
free_port() {
  local p
  for p in $(seq "$1" "$(($1 + 200))"); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1))") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}
PORT=${SLURM_TEST_PORT:-$(free_port $((20000 + $$ % 20000)))} || skip "no free port"

log "building myoseg and writing $N phantoms"
(cd "$here" && timeout 600 go build -o "$T/bin/myoseg" .) || { log "FAIL: go build"; exit 1; }
"$T/bin/myoseg" phantom --out "$T/data" --n "$N" --seed 7 --quiet >/dev/null || { log "FAIL: phantom"; exit 1; }

# munge: its own key and socket, so it never meets a system munged.
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge.key"
MUNGE_SOCKET="$T/run/munge.socket"
munged --foreground --force --socket="$MUNGE_SOCKET" --key-file="$T/munge.key" \
  --pid-file="$T/run/munged.pid" --log-file="$T/log/munged.log" --seed-file="$T/run/munged.seed" \
  >"$T/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$MUNGE_SOCKET" ] && break; sleep 0.1; done
[ -S "$MUNGE_SOCKET" ] || skip "munged did not start: $(tail -n 3 "$T/log/munged.log" "$T/log/munged.out" 2>/dev/null | tr '\n' ' ')"

CPUS=2
cat >"$T/slurm.conf" <<EOF
ClusterName=myosegtest
SlurmctldHost=localhost
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
PlugStackConfig=$T/plugstack.conf
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=30 State=UP
EOF
: >"$T/plugstack.conf"
export SLURM_CONF="$T/slurm.conf"

slurmctld -D -c -f "$SLURM_CONF" >"$T/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$T/log/slurmd.out" 2>&1 &
pids+=($!)

# Wait (30 s at most) for the node to be ready.
state=""
for _ in $(seq 60); do
  for p in "${pids[@]}"; do
    kill -0 "$p" 2>/dev/null || skip "a Slurm daemon exited at start: $(tail -n 3 "$T"/log/slurm*.log "$T"/log/slurm*.out 2>/dev/null | tr '\n' ' ')"
  done
  state=$(timeout 5 sinfo -h -N -o '%T' 2>/dev/null | head -n1)
  case "$state" in
    idle | mixed | allocated) break ;;
    down* | drain* | *unknown*) timeout 5 scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 ;;
  esac
  sleep 0.5
done
case "$state" in
  idle | mixed | allocated) log "cluster up: node localhost $state, port $PORT" ;;
  *) skip "the Slurm node did not become ready (state '${state:-none}')" ;;
esac

# The array: 3 tasks of one CPU each (the node has $CPUS: they queue).
export MYOSEG="$T/bin/myoseg" MYOSEG_DATA="$T/data" MYOSEG_OUT="$T/sharded" MYOSEG_ARGS="--overlays"
log "sbatch --wait --array=0-$((TASKS - 1))"
if ! timeout 900 sbatch --wait --array=0-$((TASKS - 1)) --cpus-per-task=1 --mem-per-cpu=0 --time=20 \
  --output="$T/log/task-%A_%a.log" --chdir="$T" "$here/docs/slurm/myoseg-array.sbatch" >"$T/log/sbatch.out" 2>&1; then
  log "FAIL: the job array failed: $(cat "$T/log/sbatch.out")"
  for f in "$T"/log/task-*.log; do echo "---- $f" >&2; cat "$f" >&2; done
  exit 1
fi
for i in $(seq 0 $((TASKS - 1))); do
  [ -f "$T/sharded/manifest.shard-$i-of-$TASKS.json" ] || { log "FAIL: shard $i wrote no manifest"; exit 1; }
done
log "array done; $(ls "$T"/log/task-*.log | wc -l) task logs"

"$MYOSEG" merge --out "$T/merged" "$T/sharded" >"$T/log/merge.out" 2>&1 ||
  { log "FAIL: merge: $(cat "$T/log/merge.out")"; exit 1; }
"$MYOSEG" batch --progress none --overlays --workers 2 --out "$T/single" "$T/data" >"$T/log/single.out" 2>&1 ||
  { log "FAIL: single run: $(cat "$T/log/single.out")"; exit 1; }

fail=0
for f in results.csv results.jsonl errors.csv manifest.json; do
  cmp -s "$T/merged/$f" "$T/single/$f" || { log "FAIL: merged $f differs from the single run's"; fail=1; }
done
for d in masks overlays records; do
  diff -r -q "$T/sharded/$d" "$T/single/$d" >&2 || { log "FAIL: $d differ between the array and the single run"; fail=1; }
done
rows=$(($(wc -l <"$T/merged/results.csv") - 1))
[ "$rows" -eq "$N" ] || { log "FAIL: merged results.csv has $rows rows, want $N"; fail=1; }
[ $fail -eq 0 ] || exit 1
log "PASS: $TASKS-task Slurm array + merge == one run ($N images, byte-identical results, masks and overlays)"

#!/usr/bin/env bash
# Submits a permrsa study as a Slurm array + merge chain and prints the job ids.
#
#   jobs/submit.sh CONFIG --tasks 16 [--workdir DIR] [--out results.h5] [--partition P]
#                  [--time 02:00:00] [--cpus 4] [--sbatch "--account=x --qos=y"] [--two-stage|--one-stage]
#                  [-- permrsa run options, e.g. --set analysis.permutations=10000]
#
# The chain (each job --dependency=afterok on the one before, so nothing merges a failed array):
#   one pass:  array (TASKS tasks, jobs/array_task.sbatch stage 1) -> merge (jobs/merge.sbatch)
#   two passes (correction.cluster_threshold = "permutation-p": the cluster-forming threshold
#   needs the whole null first):
#              array 1 -> threshold merge (WORKDIR/pass1.h5) -> array 2 (--pass1-from) -> merge
# Task i runs `permrsa run CONFIG --permutations i/TASKS --shard-out WORKDIR/shardsS/part-i.h5
# --checkpoint WORKDIR/checkpoints/...`: part i of 0..K, with its own checkpoint.
#
# #SBATCH options used (see the scripts' headers): array tasks --ntasks=1 --cpus-per-task=CPUS
# --signal=B:USR1@120 --requeue --open-mode=append (a task near its time limit saves its checkpoint
# and requeues itself); merges --ntasks=1. --partition, --time and --sbatch apply to every job.
# The permrsa binary: $PERMRSA, else `permrsa` on PATH (exported to the jobs).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
config=$(realpath "$1")
shift
[ -f "$config" ] || { echo "submit.sh: $config: expected a config file, found none" >&2; exit 2; }
tasks="" workdir="" out="" cpus=1 stages="" common=() extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tasks) tasks=$2; shift 2 ;;
    --workdir) workdir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --partition) common+=(--partition "$2"); shift 2 ;;
    --time) common+=(--time "$2"); shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --sbatch) read -r -a more <<<"$2"; common+=("${more[@]}"); shift 2 ;;
    --two-stage) stages=2; shift ;;
    --one-stage) stages=1; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "submit.sh: unknown option $1" >&2; usage ;;
  esac
done
[[ "$tasks" =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: --tasks: expected a whole number >= 1, found '$tasks'" >&2; exit 2; }
workdir=$(realpath -m "${workdir:-permrsa-study-$(date +%Y%m%d-%H%M%S)}")
out=$(realpath -m "${out:-$workdir/results.h5}")
if [ -z "$stages" ]; then
  # The permutation-p threshold, in the config or in a --set override, takes two stages.
  if grep -Eq '^[[:space:]]*cluster_threshold[[:space:]]*=[[:space:]]*"permutation-p"' "$config" ||
     printf '%s\n' "${extra[@]+"${extra[@]}"}" | grep -q 'correction.cluster_threshold=.*permutation-p'; then
    stages=2
  else
    stages=1
  fi
fi
mkdir -p "$workdir/logs"
export PERMRSA=${PERMRSA:-$(command -v permrsa || echo permrsa)}
sb=(sbatch --parsable --export=ALL "${common[@]+"${common[@]}"}")
array() {  # stage, dependency
  local dep=()
  [ -n "$2" ] && dep=(--dependency="afterok:$2")
  "${sb[@]}" "${dep[@]+"${dep[@]}"}" --array="0-$((tasks - 1))" --cpus-per-task="$cpus" \
    --output="$workdir/logs/stage$1-%a.log" "$here/array_task.sbatch" "$config" "$1" "$workdir" "$tasks" \
    "${extra[@]+"${extra[@]}"}"
}
merge() {  # dependency, out, inputs...
  local dep=$1 target=$2
  shift 2
  "${sb[@]}" --dependency="afterok:$dep" --output="$workdir/logs/merge-$(basename "$target" .h5).log" \
    "$here/merge.sbatch" "$target" "$@"
}
a1=$(array 1 "")
echo "array (stage 1): $a1  ($tasks tasks, shards in $workdir/shards1)"
if [ "$stages" = 2 ]; then
  m1=$(merge "$a1" "$workdir/pass1.h5" "$workdir/shards1")
  echo "threshold merge: $m1  (-> $workdir/pass1.h5)"
  a2=$(array 2 "$m1")
  echo "array (stage 2): $a2  ($tasks tasks, shards in $workdir/shards2)"
  m2=$(merge "$a2" "$out" "$workdir/pass1.h5" "$workdir/shards2")
  echo "merge: $m2  (-> $out)"
else
  m2=$(merge "$a1" "$out" "$workdir/shards1")
  echo "merge: $m2  (-> $out)"
fi
echo "logs: $workdir/logs; follow with: squeue -u ${USER:-$(id -un)}"

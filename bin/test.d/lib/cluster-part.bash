# The body of the cluster part of bin/test (40-cluster.sh, Spark 3.5; by hand with spark4 for Spark
# 4.0): the embedded demo, shortened, through submit/finerewards-submit on a stock Spark
# distribution, in local mode, then on a standalone master with one worker running two
# single-core executors on 127.0.0.1, in client mode (one executor killed with SIGKILL in the
# middle of generate and another in the middle of caption) and in cluster mode. It checks:
# - the shaded jar bundles no class that the distribution's jars/ also has;
# - every run exits 0, and a cluster-mode run whose driver fails makes the wrapper exit non-zero;
# - one load per model per executor JVM, from the model cache's load records;
# - the killed tasks really were generate and caption tasks (Spark's event log);
# - the client- and cluster-mode tables equal the local run's, value for value.
# Everything it starts is stopped by a trap, also on failure; KEEP_CLUSTER_SCRATCH=1 keeps the
# scratch directory (logs, tables) for a look.
#   bash bin/test.d/lib/cluster-part.bash spark35|spark4
# shellcheck shell=bash
set -euo pipefail
line="${1:?usage: cluster-part.bash spark35|spark4}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$repo"
# shellcheck source=standalone.bash
source bin/test.d/lib/standalone.bash

SPARK_HOME="$(bin/spark-home "$line")"
export SPARK_HOME
python="$(bin/tool-env "$line")/bin/python"
checks=(timeout 300 "$python" bin/test.d/lib/cluster_checks.py)
profile=()
[ "$line" = spark4 ] && profile=(-Pspark4)

scratch="$(mktemp -d "${TMPDIR:-/tmp}/finerewards-cluster.XXXXXX")"
background=()
cleanup() {
  local pid
  for pid in "${background[@]+"${background[@]}"}"; do kill "$pid" 2>/dev/null || true; done
  pkill -TERM -P $$ 2>/dev/null || true # a foreground spark-submit still running (killed part)
  standalone_stop
  if [ "${KEEP_CLUSTER_SCRATCH:-0}" = 1 ]; then echo "cluster: scratch kept: $scratch"; else rm -rf "$scratch"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT # so that the EXIT trap runs
step() { echo "== cluster[$line] $(date -u +%H:%M:%S) $*"; }
failed_run() { echo "cluster: $1 exited $2; the last lines of $3:" >&2; grep -v '^\s*at ' "$3" | tail -n 40 >&2; exit 1; }

step "build (mvn -DskipTests package ${profile[*]:-})"
mvn -B -ntp -q "${profile[@]+"${profile[@]}"}" -DskipTests package
# shellcheck source=../../../submit/spark-line.sh
source submit/spark-line.sh
version="$(finerewards_spark_version "$SPARK_HOME")"
jar="$(finerewards_app_jar "$(finerewards_build_dir "$repo" "$version")" "$version")"

step "no class of $(basename "$jar") is also in the distribution's jars/ (Spark $version)"
unzip -Z1 "$jar" | grep '\.class$' | grep -v '^ai/finerewards/' | sort -u > "$scratch/app-classes"
for j in "$SPARK_HOME"/jars/*.jar; do unzip -Z1 "$j" 2>/dev/null | grep '\.class$' || true; done | sort -u > "$scratch/spark-classes"
overlap="$(comm -12 "$scratch/app-classes" "$scratch/spark-classes")"
if [ -n "$overlap" ]; then
  echo "cluster: the shaded jar bundles $(echo "$overlap" | wc -l) classes that Spark $version ships, e.g.:" >&2
  echo "$overlap" | head -n 10 >&2
  exit 1
fi

# The demo (conf/local.conf, relative model paths) shortened: 6 prompts, 2 samples each, one round
# of generate, caption and rank (rank on the caption reward alone).
head -n 6 conf/demo/prompts.txt > "$scratch/prompts.txt"
sets=(--set run.rounds=1 --set "prompts.path=$scratch/prompts.txt" --set generate.samples-per-prompt=2
      --set 'jobs.run-stages=[generate,caption,rank]' --set 'rank.rewards=[caption_reward]'
      --set 'jobs.rank-inputs=[{table=captions,columns=[caption_reward]}]')
tables=(prompts samples captions ranked)
log4j="-Dlog4j2.configurationFile=$repo/conf/log4j2.properties"
export SPARK_LOCAL_IP=127.0.0.1

step "local mode: submit/finerewards-submit --local"
rc=0
submit/finerewards-submit --local --master 'local[2]' --driver-memory 2g --driver-java-options "$log4j" \
  -- run --conf conf/local.conf "${sets[@]}" --set "run.root=$scratch/local" > "$scratch/local.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || failed_run "local mode" "$rc" "$scratch/local.log"

step "standalone master and worker on 127.0.0.1"
SA_WORKER_CORES=3 standalone_start "$scratch/standalone"
mkdir -p "$scratch/events"
# Two single-core executors in either mode (the worker has a third core for a cluster-mode driver).
executors=(--master "$SA_MASTER" --conf spark.executor.cores=1 --conf spark.cores.max=2 --conf spark.executor.memory=1g
           --conf spark.driver.host=127.0.0.1 --conf spark.ui.enabled=false)

step "client mode, SIGKILL of an executor in generate and in caption"
submit/finerewards-submit "${executors[@]}" --deploy-mode client --driver-java-options "$log4j" \
  --conf "spark.executorEnv.FINEREWARDS_MODEL_LOAD_LOG=$scratch/loads-client" \
  --conf spark.eventLog.enabled=true --conf "spark.eventLog.dir=$scratch/events" \
  --conf spark.eventLog.compress=false \
  -- run --conf conf/local.conf "${sets[@]}" --set "run.root=$scratch/client" > "$scratch/client.log" 2>&1 &
client=$!
background+=("$client")
# An executor loads the UNet when its first generate task starts, the captioner's vision tower when
# its first caption task starts: the load records name the JVM to kill while that task runs.
kill_on_load() {
  local component="$1" pid="" i
  for i in $(seq 1 1200); do
    pid="$(cat "$scratch"/loads-client/loads-*.jsonl 2>/dev/null \
           | jq -r --arg c "$component" 'select(.component == $c) | .pid' | head -n 1 || true)"
    [ -n "$pid" ] && break
    kill -0 "$client" 2>/dev/null || { echo "cluster: the client run ended before any '$component' load" >&2; return 1; }
    sleep 0.2
  done
  [ -n "$pid" ] || { echo "cluster: no '$component' load within 240 s" >&2; return 1; }
  kill -9 "$pid"
  echo "cluster: killed executor JVM $pid (SIGKILL) as it loaded $component"
}
kill_on_load unet
kill_on_load vision_prefix
rc=0
wait "$client" || rc=$?
[ "$rc" = 0 ] || failed_run "client mode" "$rc" "$scratch/client.log"
"${checks[@]}" loads "$scratch/loads-client" --min-jvms 3
"${checks[@]}" lost-tasks "$scratch/events" "finerewards generate" "finerewards caption"

step "cluster mode (the driver runs on the worker: absolute paths, as on a real cluster)"
# A cluster-mode driver's working directory is the worker's driver-* directory: a user gives
# absolute paths or URIs; this config is conf/local.conf with the model directories made absolute.
{
  echo "include file(\"$repo/conf/local.conf\")"
  for family in diffusion clip captioner segmenter llm; do
    echo "finerewards.models.$family = \"$repo/models/tiny/$family\""
  done
} > "$scratch/cluster.conf"
rc=0
submit/finerewards-submit "${executors[@]}" --deploy-mode cluster --driver-memory 1g \
  --driver-java-options "$log4j" \
  --conf "spark.executorEnv.FINEREWARDS_MODEL_LOAD_LOG=$scratch/loads-cluster" \
  -- run --conf "$scratch/cluster.conf" "${sets[@]}" --set "run.root=$scratch/cluster" > "$scratch/cluster.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$SA_WORK"/driver-*/stderr > "$scratch/drivers.log" 2>/dev/null || true
                   failed_run "cluster mode" "$rc" "$scratch/drivers.log"; }
"${checks[@]}" loads "$scratch/loads-cluster" --min-jvms 2

step "cluster mode with a failing driver: the wrapper's exit code says so"
rc=0
submit/finerewards-submit "${executors[@]}" --deploy-mode cluster --driver-memory 1g \
  -- run --conf "$scratch/cluster.conf" --set run.rounds=0 --set "run.root=$scratch/bad" > "$scratch/bad.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || { echo "cluster: a cluster-mode driver that failed (run.rounds=0) gave exit 0" >&2; exit 1; }
grep -E 'State of (driver )?driver-[0-9-]+ is FAILED' "$scratch/bad.log" >/dev/null \
  || failed_run "the failing cluster-mode run" "$rc (not the driver's FAILED state)" "$scratch/bad.log"
echo "cluster: the failed driver gave exit $rc"

step "tables of client and cluster mode equal the local run's"
"${checks[@]}" same-tables "$scratch/local" "$scratch/client" "${tables[@]}"
"${checks[@]}" same-tables "$scratch/local" "$scratch/cluster" "${tables[@]}"
step "passed"

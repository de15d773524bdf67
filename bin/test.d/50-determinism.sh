#!/usr/bin/env bash
# Run-level determinism across deployment shapes (issue 11): the demo config, cut down to 3 prompts x
# 2 samples and 2 rounds, runs in local[1], local[2] and local-cluster[2,1,2048] (two executor JVMs
# started from a stock Spark distribution); every table must match: byte-identical images, identical
# caption_reward / sam_reward bits, identical selected flags, and the same LoRA sha256 for both rounds.
# Builds the default Spark line itself (parts 20/30 may have left another line's jar); cleans up.
# DETERMINISM_SKIP_BUILD=1 reuses the current build; DETERMINISM_KEEP=1 keeps the run roots.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
[ "${DETERMINISM_SKIP_BUILD:-0}" = 1 ] || mvn -B -ntp -q -DskipTests clean package  # clean: part 30 leaves the Spark 4 build in target/
SPARK_HOME="$(bin/spark-home spark35)"
# local-cluster is Spark's test harness: its workers build the executor command in test mode, which
# asks for the Scala version a pip-installed distribution cannot infer from build directories.
export SPARK_HOME SPARK_SCALA_VERSION=2.12
python="$SPARK_HOME/../../../../bin/python"
work="$(mktemp -d)"
trap '[ "${DETERMINISM_KEEP:-0}" = 1 ] && echo "determinism: kept $work" || rm -rf "$work"' EXIT
source submit/java17-opens.sh
jar="$(ls pipeline-jobs/target/finerewards-*-spark*.jar | head -n 1)"
native="$(ls pipeline-jobs/target/native/pytorch-native-*.jar | head -n 1)"
head -n 3 conf/demo/prompts.txt > "$work/prompts.txt"

# Absolute model paths: executors of local-cluster run in their own working directories.
models=()
for f in diffusion clip captioner segmenter llm; do models+=(--set "models.$f=$repo/models/tiny/$f"); done
shapes=("local[1]" "local[2]" "local-cluster[2,1,2048]")
for shape in "${shapes[@]}"; do
  name="$(echo "$shape" | tr -c 'a-z0-9\n' '_')"
  echo "determinism: run in $shape"
  # Executors need the app and libtorch jars, Java 17's opens and the same DJL cache; local-cluster
  # starts them from SPARK_HOME. The jars go first on their classpath (extraClassPath), ahead of the
  # distribution's gson 2.2.4, which lacks the JsonParser.parseString the manifest reader calls.
  bin/finerewards run --conf conf/local.conf --force \
    --set "run.root=$work/$name" --set "prompts.path=$work/prompts.txt" \
    --set generate.samples-per-prompt=2 --set "jobs.local-master=$shape" "${models[@]}" \
    --set "jobs.spark-conf.\"spark.executor.extraClassPath\"=$repo/$jar:$repo/$native" \
    --set "jobs.spark-conf.\"spark.executor.extraJavaOptions\"=$FINEREWARDS_JAVA_OPENS -Dai.djl.offline=true" \
    --set "jobs.spark-conf.\"spark.executorEnv.DJL_CACHE_DIR\"=${DJL_CACHE_DIR:-$HOME/.djl.ai}" \
    > "$work/$name.log" 2>&1 || { tail -n 40 "$work/$name.log"; echo "determinism: run in $shape failed" >&2; exit 1; }
done
roots=()
for shape in "${shapes[@]}"; do roots+=("$work/$(echo "$shape" | tr -c 'a-z0-9\n' '_')"); done
"$python" bin/test.d/determinism_compare.py "${roots[@]}"

#!/usr/bin/env bash
# Spark GPU scheduling without a GPU (issue 19, item 3): a Spark 3.5 standalone master and worker on
# 127.0.0.1 whose worker offers two fake GPUs (a discovery script that reports addresses 0 and 1),
# two single-core executors with spark.executor.resource.gpu.amount=1 and tasks with
# spark.task.resource.gpu.amount=1. It checks:
# - under models.device=auto, every model stage (generate, caption, segment, score, train) logs, per
#   task, the gpu address Spark gave it and the device the policy mapped it to: the CPU, since the
#   engine sees no GPU; both fake addresses are handed out; the run exits 0;
# - under models.device=gpu, generate fails at its first task with an error that names the task's
#   address and the reason (the engine sees no GPU), and the CLI exits non-zero.
# Free ports are picked at start (no clash with part 40 or a developer's cluster). Everything it
# starts is stopped by a trap, also on failure; GPU_SCHEDULING_KEEP=1 keeps the scratch directory.
# Skip with bin/test --skip gpu-scheduling. See docs/gpu-scheduling.md.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
# shellcheck source=lib/standalone.bash
source bin/test.d/lib/standalone.bash
SPARK_HOME="$(bin/spark-home spark35)"
export SPARK_HOME

scratch="$(mktemp -d "${TMPDIR:-/tmp}/finerewards-gpu-scheduling.XXXXXX")"
cleanup() {
  standalone_stop
  if [ "${GPU_SCHEDULING_KEEP:-0}" = 1 ]; then echo "gpu-scheduling: scratch kept: $scratch"; else rm -rf "$scratch"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT # so that the EXIT trap runs
step() { echo "== gpu-scheduling $(date -u +%H:%M:%S) $*"; }
fail() { echo "gpu-scheduling: FAILED: $*" >&2; exit 1; }

step "build (mvn -DskipTests clean package)"
# clean: part 30 leaves the Spark 4 build in target/.
[ "${GPU_SCHEDULING_SKIP_BUILD:-0}" = 1 ] || mvn -B -ntp -q -DskipTests clean package

# Three free ports for the master, its UI and the worker's UI.
read -r SA_MASTER_PORT SA_MASTER_UI_PORT SA_WORKER_UI_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()')
export SA_MASTER_PORT SA_MASTER_UI_PORT SA_WORKER_UI_PORT

# The worker's resources: what nvidia-smi would list on a two-GPU node, from a script (Spark's
# resource discovery contract: one JSON ResourceInformation on stdout).
cat > "$scratch/gpus.sh" <<'SCRIPT'
#!/usr/bin/env bash
echo '{"name": "gpu", "addresses": ["0", "1"]}'
SCRIPT
chmod +x "$scratch/gpus.sh"
export SPARK_WORKER_OPTS="-Dspark.worker.resource.gpu.amount=2 -Dspark.worker.resource.gpu.discoveryScript=$scratch/gpus.sh"

step "standalone master and a worker with 2 fake GPUs on 127.0.0.1 (ports $SA_MASTER_PORT, $SA_MASTER_UI_PORT, $SA_WORKER_UI_PORT)"
SA_WORKER_CORES=2 standalone_start "$scratch/standalone"

# The demo shortened to 4 prompts x 2 samples, one round through every model stage.
head -n 4 conf/demo/prompts.txt > "$scratch/prompts.txt"
sets=(--set run.rounds=1 --set "prompts.path=$scratch/prompts.txt" --set generate.samples-per-prompt=2
      --set 'jobs.run-stages=[generate,caption,segment,score,rank,train]')
for family in diffusion clip captioner segmenter llm; do sets+=(--set "models.$family=$repo/models/tiny/$family"); done
gpu_conf=(--master "$SA_MASTER" --conf spark.executor.cores=1 --conf spark.cores.max=2 --conf spark.executor.memory=1g
          --conf spark.executor.resource.gpu.amount=1 --conf spark.task.resource.gpu.amount=1
          --conf spark.driver.host=127.0.0.1 --conf spark.ui.enabled=false)
log4j="-Dlog4j2.configurationFile=$repo/conf/log4j2.properties"

step "models.device=auto: every model stage's tasks get an address and run on the CPU"
rc=0
submit/finerewards-submit "${gpu_conf[@]}" --driver-memory 1g --driver-java-options "$log4j" \
  -- run --conf conf/local.conf "${sets[@]}" --set models.device=auto --set "run.root=$scratch/auto" \
  > "$scratch/auto.log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then grep -v '^\s*at ' "$scratch/auto.log" | tail -n 40 >&2; fail "the auto run exited $rc"; fi
cat "$SA_WORK"/app-*/*/stderr > "$scratch/executors.log"
for stage in generate caption segment score train; do
  lines="$(grep -E "TaskGpus: $stage task [0-9]+ " "$scratch/executors.log" || true)"
  [ -n "$lines" ] || fail "no $stage task logged its gpu address (executor logs: $scratch/executors.log)"
  bad="$(echo "$lines" | grep -vE 'gpu address\(es\) \[[01]\] -> device cpu\(\) \(finerewards.models.device = auto\)' || true)"
  [ -z "$bad" ] || fail "a $stage task without a fake address or not mapped to the CPU: $bad"
  echo "gpu-scheduling: $stage: $(echo "$lines" | wc -l) task(s), each with address 0 or 1 -> cpu()"
done
for address in 0 1; do
  grep -qE "gpu address\(es\) \[$address\] -> device cpu\(\)" "$scratch/executors.log" \
    || fail "no task was given fake address $address (two executors, one GPU each)"
done

step "models.device=gpu: generate fails at its first task, naming the address and the reason"
rc=0
submit/finerewards-submit "${gpu_conf[@]}" --conf spark.task.maxFailures=1 --driver-memory 1g --driver-java-options "$log4j" \
  -- generate --conf conf/local.conf "${sets[@]}" --set models.device=gpu --set "run.root=$scratch/gpu" \
  > "$scratch/gpu.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "models.device=gpu on a machine without a GPU exited 0"
pattern='generate task [0-9]+ \(stage [0-9]+, partition [0-9]+, attempt [0-9]+\) with gpu address\(es\) \[[01]\]: finerewards.models.device = gpu but the PyTorch engine sees no GPU'
grep -qE "$pattern" "$scratch/gpu.log" || { grep -v '^\s*at ' "$scratch/gpu.log" | tail -n 30 >&2; fail "the gpu run's error does not name the address and the reason"; }
echo "gpu-scheduling: exit $rc: $(grep -oE "$pattern" "$scratch/gpu.log" | head -n 1)"
step "passed"

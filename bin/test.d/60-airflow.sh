#!/usr/bin/env bash
# The Airflow DAG (submit/airflow/finerewards_dag.py) run by a pinned Airflow (requirements/
# airflow.txt, installed once into the project's cache by bin/tool-env) with `airflow dags test`,
# its SparkSubmitOperators running spark-submit of the stock Spark 3.5 distribution (bin/spark-home)
# in local mode: one round of generate, caption and rank on the demo's tiny models. Checks that
# every task succeeded (Airflow's own database), that each stage's table was committed, and that
# the DAG's Java 17 opens equal submit/java17-opens.sh. Airflow's home (SQLite) and the run root
# live in a scratch directory removed on exit. Skip with bin/test --skip airflow.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
step() { echo "== airflow $(date -u +%H:%M:%S) $*"; }

step "Airflow and Spark distribution (bin/tool-env airflow, bin/spark-home)"
venv="$(bin/tool-env airflow)"
SPARK_HOME="$(bin/spark-home spark35)"
# The provider runs `spark-submit` from PATH; its own pyspark 4.x put one into the venv's bin/.
export SPARK_HOME PATH="$SPARK_HOME/bin:$venv/bin:$PATH"

step "the DAG's Java 17 opens are submit/java17-opens.sh's"
# shellcheck source=../../submit/java17-opens.sh
source submit/java17-opens.sh
dag_opens="$(python3 - <<'PY'
import ast
tree = ast.parse(open("submit/airflow/finerewards_dag.py").read())
for node in ast.walk(tree):
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "JAVA17_OPENS":
        print(" ".join(e.value for e in node.value.args[0].elts))
PY
)"
if [ "$dag_opens" != "$(echo $FINEREWARDS_JAVA_OPENS)" ]; then
  echo "airflow: JAVA17_OPENS in submit/airflow/finerewards_dag.py differs from submit/java17-opens.sh" >&2
  exit 1
fi

step "build (mvn -DskipTests package)"
mvn -B -ntp -q -DskipTests package
# shellcheck source=../../submit/spark-line.sh
source submit/spark-line.sh
version="$(finerewards_spark_version "$SPARK_HOME")"
target="$(finerewards_build_dir "$repo" "$version")"
jar="$(finerewards_app_jar "$target" "$version")"
native="$(ls "$target"/native/pytorch-native-*.jar | head -n 1)"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/finerewards-airflow.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
export AIRFLOW_HOME="$scratch/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$repo/submit/airflow"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$scratch/airflow/airflow.db"
# Variables and the connection as environment variables, as a deployment may set them.
export AIRFLOW_VAR_FINEREWARDS_JAR="$jar"
export AIRFLOW_VAR_FINEREWARDS_NATIVE_JAR="$native"
export AIRFLOW_VAR_FINEREWARDS_ROUNDS=1
export AIRFLOW_VAR_FINEREWARDS_STAGES="generate,caption,rank"
export AIRFLOW_CONN_SPARK_DEFAULT='{"conn_type": "spark", "host": "local[2]"}'
export SPARK_LOCAL_IP=127.0.0.1
mkdir -p "$AIRFLOW_HOME"

# The demo config, shortened (as the cluster part): 6 prompts, 2 samples each, rank on the
# caption reward alone. Model paths stay relative: tasks run from the repository root.
head -n 6 conf/demo/prompts.txt > "$scratch/prompts.txt"
cat > "$scratch/run.conf" <<CONF
include file("$repo/conf/local.conf")
finerewards {
  run.root = "$scratch/run"
  prompts.path = "$scratch/prompts.txt"
  generate.samples-per-prompt = 2
  rank.rewards = [caption_reward]
  jobs.rank-inputs = [{ table = captions, columns = [caption_reward] }]
  jobs.run-stages = [generate, caption, rank]
}
CONF

step "airflow db migrate"
airflow db migrate > "$scratch/db.log" 2>&1 || { tail -n 30 "$scratch/db.log" >&2; exit 1; }
step "airflow dags test finerewards"
rc=0
airflow dags test finerewards -c "{\"conf\": \"$scratch/run.conf\"}" > "$scratch/dags-test.log" 2>&1 || rc=$?

# Airflow's database says how each task ended; `dags test` may exit 0 after a failed task.
states="$(python3 - "$scratch/airflow/airflow.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for task_id, state in db.execute(
        "select task_id, state from task_instance where dag_id = 'finerewards' order by start_date"):
    print(task_id, state)
PY
)"
echo "$states"
expected="round0_generate round0_caption round0_rank"
if [ "$rc" != 0 ] || [ "$(echo "$states" | awk '$2 == "success" {print $1}' | tr '\n' ' ')" != "$expected " ]; then
  echo "airflow: dags test exited $rc; expected tasks $expected to succeed in order; the log's end:" >&2
  grep -v '^\s*at ' "$scratch/dags-test.log" | tail -n 40 >&2
  exit 1
fi
for table in prompts samples captions ranked; do
  [ -f "$scratch/run/$table/round=0/_SUCCESS" ] \
    || { echo "airflow: table $table has no committed round 0 under $scratch/run" >&2; exit 1; }
done
step "passed: every task succeeded, tables prompts, samples, captions and ranked committed"

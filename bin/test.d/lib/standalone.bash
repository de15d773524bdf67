# Sourced by the cluster parts of bin/test: a Spark standalone master and one worker on 127.0.0.1,
# from a stock distribution ($SPARK_HOME), with every file they write (logs, pids, executor work
# directories) under one scratch directory, and stopped by standalone_stop (call it from a trap).
# shellcheck shell=bash

# standalone_start SCRATCH: starts a master and a worker with SA_WORKER_CORES cores (default 2)
# and SA_WORKER_MEMORY (default 6g); sets SA_MASTER (spark://127.0.0.1:PORT) and SA_WORK (the
# worker's directory: app-*/N/stderr, driver-*/stderr).
standalone_start() {
  local scratch="$1"
  export SPARK_LOG_DIR="$scratch/logs" SPARK_PID_DIR="$scratch/pids" SPARK_IDENT_STRING="finerewards-test"
  export SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_DIRS="$scratch/local"
  SA_WORK="$scratch/work"
  mkdir -p "$SPARK_LOG_DIR" "$SPARK_PID_DIR" "$SA_WORK" "$SPARK_LOCAL_DIRS"
  # Ports away from Spark's defaults (7077, 8080, 8081), so a developer's own cluster is untouched.
  local port="${SA_MASTER_PORT:-17077}"
  SA_MASTER="spark://127.0.0.1:$port"
  SA_MASTER_UI="http://127.0.0.1:${SA_MASTER_UI_PORT:-18080}"
  "$SPARK_HOME/sbin/spark-daemon.sh" start org.apache.spark.deploy.master.Master 1 \
    --host 127.0.0.1 --port "$port" --webui-port "${SA_MASTER_UI_PORT:-18080}"
  "$SPARK_HOME/sbin/spark-daemon.sh" start org.apache.spark.deploy.worker.Worker 1 \
    --host 127.0.0.1 --webui-port "${SA_WORKER_UI_PORT:-18081}" --cores "${SA_WORKER_CORES:-2}" \
    --memory "${SA_WORKER_MEMORY:-6g}" --work-dir "$SA_WORK" "$SA_MASTER"
  # Ready when the master's JSON lists the worker as ALIVE.
  local i
  for i in $(seq 1 60); do
    if curl -fsS "$SA_MASTER_UI/json/" 2>/dev/null | grep -q '"state" *: *"ALIVE"'; then
      echo "standalone: master $SA_MASTER with one worker (${SA_WORKER_CORES:-2} cores) is up"
      return 0
    fi
    sleep 1
  done
  echo "standalone: the worker did not register within 60 s; master log:" >&2
  tail -n 30 "$SPARK_LOG_DIR"/*Master*.out >&2 || true
  return 1
}

# standalone_stop: stops the worker (and with it its executors and drivers) and the master.
standalone_stop() {
  [ -n "${SPARK_PID_DIR:-}" ] || return 0
  "$SPARK_HOME/sbin/spark-daemon.sh" stop org.apache.spark.deploy.worker.Worker 1 >/dev/null 2>&1 || true
  "$SPARK_HOME/sbin/spark-daemon.sh" stop org.apache.spark.deploy.master.Master 1 >/dev/null 2>&1 || true
}

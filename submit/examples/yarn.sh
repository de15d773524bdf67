#!/usr/bin/env bash
# All rounds on YARN, CPU executors, tables and models on HDFS (conf/yarn.conf). The driver runs on
# the cluster (cluster mode), so the config file is read from HDFS: copy it there first, e.g.
#   hdfs dfs -put -f conf/yarn.conf /user/finerewards/conf/yarn.conf
# Needs SPARK_HOME and HADOOP_CONF_DIR (or YARN_CONF_DIR) pointing at the cluster's configuration.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
submit/finerewards-submit \
  --master yarn --deploy-mode cluster \
  --name finerewards-raft \
  --driver-memory 8g \
  --num-executors 8 --executor-cores 4 --executor-memory 24g \
  --conf spark.executor.memoryOverhead=8g \
  --conf spark.task.cpus=4 \
  --conf spark.sql.shuffle.partitions=200 \
  -- run --rounds 3 --conf hdfs:///user/finerewards/conf/yarn.conf "$@"

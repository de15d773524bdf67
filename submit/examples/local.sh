#!/usr/bin/env bash
# The embedded demo through spark-submit on this machine (needs SPARK_HOME; without a Spark
# installation use bin/finerewards, which runs the same CLI). Run from the repository root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
submit/finerewards-submit --local \
  --driver-memory 4g \
  --conf spark.sql.shuffle.partitions=4 \
  --driver-java-options "-Dlog4j2.configurationFile=conf/log4j2.properties -Dai.djl.offline=true" \
  -- run --rounds 1 --conf conf/local.conf "$@"

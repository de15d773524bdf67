#!/usr/bin/env bash
# The pipeline on a Spark 3.5 standalone cluster through spark-submit (local, client and cluster
# mode, executors killed mid-stage); see bin/test.d/lib/cluster-part.bash. Skip with
# bin/test --skip cluster.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/lib/cluster-part.bash" spark35

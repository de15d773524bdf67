#!/usr/bin/env bash
# The Java build and tests on the Spark 4 line (4.0 / Scala 2.13).
set -euo pipefail
mvn -B -ntp -Pspark4 clean install

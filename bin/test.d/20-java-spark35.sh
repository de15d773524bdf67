#!/usr/bin/env bash
# The Java build and tests on the default Spark line (3.5 / Scala 2.12).
set -euo pipefail
mvn -B -ntp clean install

# Sourced by bin/finerewards and submit/finerewards-submit: which build goes with which Spark line.
# Each Maven profile builds into its own directory (pipeline-jobs/target/ for Spark 3.5,
# pipeline-jobs/target/spark4/ for -Pspark4), holding the shaded jar, native/ and
# classpath-provided.txt of that line only.
# shellcheck shell=bash

# The Spark version of a distribution, from its spark-core jar (pip installs have no RELEASE file).
finerewards_spark_version() {
  local core
  core="$(ls "$1"/jars/spark-core_*.jar 2>/dev/null | head -n 1 || true)"
  [ -n "$core" ] || return 1
  basename "$core" .jar | sed -E 's/^spark-core_[0-9.]+-//'
}

# The build directory of the line a Spark version belongs to.
finerewards_build_dir() {
  local repo="$1" version="$2"
  case "$version" in
    3.*) echo "$repo/pipeline-jobs/target" ;;
    4.*) echo "$repo/pipeline-jobs/target/spark4" ;;
    *) return 1 ;;
  esac
}

# The application jar in $1 built for Spark $2: the exact version, else the same major.minor.
finerewards_app_jar() {
  local dir="$1" version="$2" jar
  jar="$(ls "$dir"/finerewards-*-spark"$version".jar 2>/dev/null | head -n 1 || true)"
  [ -n "$jar" ] || jar="$(ls "$dir"/finerewards-*-spark"${version%.*}".*.jar 2>/dev/null | head -n 1 || true)"
  [ -n "$jar" ] && echo "$jar"
}

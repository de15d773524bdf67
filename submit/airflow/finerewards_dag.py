"""The FineRewards RAFT loop as an Airflow DAG: one SparkSubmitOperator task per stage per round,
chained in pipeline order (round 0 generate -> caption -> ... -> train -> round 1 generate ...).

Each task runs `finerewards run --rounds R+1 --from-stage S --to-stage S --conf FILE`: stage S of
rounds 0..R, where the rounds before R are already committed and skipped as up to date (the CLI's
resume check), so a retried or re-triggered task redoes only what is missing.

Deploying it (details in submit/README.md):
- Airflow Variables, read when the DAG file is parsed (they shape the DAG):
    finerewards_jar         the shaded application jar (a path or URI spark-submit accepts)
    finerewards_native_jar  the libtorch jar shipped with --jars ("" = the cluster provides it)
    finerewards_rounds      rounds of the loop (default 2): one chain of tasks per round
    finerewards_stages      comma-separated stages per round (default: generate..train, report)
    finerewards_conn_id     the Spark connection (default spark_default: master, deploy mode)
- DAG params, per run: `conf`, the finerewards HOCON file (local path or Hadoop URI).
- spark-submit comes from PATH (or the connection's spark binary): put the Spark distribution's
  bin/ first on the PATH of the Airflow workers, and SPARK_HOME beside it.
"""
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.models import Variable
from airflow.models.param import Param
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

STAGES = ["generate", "caption", "segment", "score", "rank", "train", "report"]

# Spark on Java 17 needs these opens in every JVM: the same list as submit/java17-opens.sh
# (bin/test.d/60-airflow.sh checks that the two agree).
JAVA17_OPENS = " ".join([
    "-XX:+IgnoreUnrecognizedVMOptions",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
    "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
    "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
    "-Djdk.reflect.useDirectMethodHandle=false",
    "-Dio.netty.tryReflectionSetAccessible=true",
])


def stages_from(value):
    stages = [s.strip() for s in value.split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if not stages or unknown:
        raise ValueError(f"Variable finerewards_stages={value!r}: expected stages among {STAGES}")
    return sorted(stages, key=STAGES.index)  # always pipeline order


jar = Variable.get("finerewards_jar", default_var="")
native_jar = Variable.get("finerewards_native_jar", default_var="")
rounds = int(Variable.get("finerewards_rounds", default_var="2"))
stages = stages_from(Variable.get("finerewards_stages", default_var=",".join(STAGES)))
conn_id = Variable.get("finerewards_conn_id", default_var="spark_default")
if rounds < 1:
    raise ValueError(f"Variable finerewards_rounds={rounds}: expected an integer >= 1")

spark_conf = {
    "spark.driver.defaultJavaOptions": JAVA17_OPENS,
    "spark.executor.defaultJavaOptions": JAVA17_OPENS,
    # A cluster-mode driver on a standalone worker gets defaultJavaOptions only as a property.
    "spark.driver.extraJavaOptions": JAVA17_OPENS,
}

with DAG(
    dag_id="finerewards",
    description="FineRewards RAFT loop: generate, reward, rank, fine-tune, per round",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # two runs on one run root would race on the same partitions
    params={"conf": Param("conf/local.conf", type="string",
                          description="finerewards HOCON file: a local path or a Hadoop URI")},
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["finerewards", "spark"],
) as dag:
    previous = None
    for r in range(rounds):
        for stage in stages:
            task = SparkSubmitOperator(
                task_id=f"round{r}_{stage}",
                conn_id=conn_id,
                application=jar,
                java_class="ai.finerewards.jobs.FineRewardsCli",
                jars=native_jar or None,
                conf=spark_conf,
                name=f"finerewards-round{r}-{stage}",
                application_args=["run", "--rounds", str(r + 1), "--from-stage", stage,
                                  "--to-stage", stage, "--conf", "{{ params.conf }}"],
            )
            if previous is not None:
                previous >> task
            previous = task

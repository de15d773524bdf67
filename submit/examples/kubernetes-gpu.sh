#!/usr/bin/env bash
# All rounds on Kubernetes with one NVIDIA GPU per executor and per task (conf/kubernetes-gpu.conf),
# using Spark's GPU resource scheduling: each executor requests a GPU, discovers its address with
# Spark's getGpusResources.sh, and each task gets one GPU, whose address the model cache uses.
#
# Prerequisites:
# - An image with Spark 3.5 (Scala 2.12), Java 17, the NVIDIA container runtime, and at
#   /opt/finerewards/ the shaded jar and DJL's CUDA libtorch jar for PyTorch 2.7.1,
#   ai.djl.pytorch:pytorch-native-cu128:2.7.1:linux-x86_64 from Maven Central (route (a) of
#   docs/gpu.md; kubernetes-gpu-installed-torch.sh uses a PyTorch installed in the image instead).
#   The CPU jar must not be shipped as well.
# - The NVIDIA device plugin on the GPU nodes (pods request nvidia.com/gpu).
# - The config on S3 (the driver runs in the cluster):
#     aws s3 cp conf/kubernetes-gpu.conf s3://my-bucket/finerewards/conf/kubernetes-gpu.conf
# Environment: SPARK_HOME, K8S_API (https://host:port), IMAGE, NAMESPACE (default finerewards).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
: "${K8S_API:?set K8S_API to the Kubernetes API server, e.g. https://10.0.0.1:6443}"
: "${IMAGE:?set IMAGE to the Spark + finerewards container image}"
export FINEREWARDS_JAR="local:///opt/finerewards/finerewards-0.1.0-SNAPSHOT-spark3.5.9.jar"
submit/finerewards-submit \
  --native-jar "local:///opt/finerewards/pytorch-native-cu128-2.7.1-linux-x86_64.jar" \
  --master "k8s://$K8S_API" --deploy-mode cluster \
  --name finerewards-raft \
  --conf spark.kubernetes.namespace="${NAMESPACE:-finerewards}" \
  --conf spark.kubernetes.container.image="$IMAGE" \
  --conf spark.kubernetes.authenticate.driver.serviceAccountName=spark \
  --conf spark.executor.instances=4 \
  --conf spark.executor.cores=4 \
  --conf spark.executor.memory=32g \
  --conf spark.executor.memoryOverhead=16g \
  --conf spark.executor.resource.gpu.amount=1 \
  --conf spark.executor.resource.gpu.vendor=nvidia.com \
  --conf spark.executor.resource.gpu.discoveryScript=/opt/spark/examples/src/main/scripts/getGpusResources.sh \
  --conf spark.task.resource.gpu.amount=1 \
  --conf spark.task.cpus=4 \
  -- run --rounds 3 --conf s3a://my-bucket/finerewards/conf/kubernetes-gpu.conf "$@"

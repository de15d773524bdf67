#!/usr/bin/env bash
# As kubernetes-gpu.sh, but libtorch comes from a PyTorch installed in the container image (route (b)
# of docs/gpu.md) instead of DJL's CUDA libtorch jar: no libtorch jar is shipped (--no-native), and the
# finerewards.models.libtorch keys tell every driver and executor JVM where torch is. No environment
# variable is needed.
#
# Prerequisites, beyond kubernetes-gpu.sh's (Spark 3.5, Java 17, NVIDIA runtime, device plugin):
# - In the image, a venv with a pip torch, e.g. /opt/venv with torch 2.11.0+cu130 (Python 3.12), and
#   its nvidia-* wheels (pip installs them with torch).
# - For any torch but 2.7.1: DJL's JNI built against that torch, in the image at the cache-dir below:
#     bin/build-djl-jni --djl-src <DJL v0.36.0 checkout> --torch /opt/venv/lib/python3.12/site-packages \
#       --cuda --cache-dir /opt/djl-cache
#   (torch 2.7.1 needs none: use flavour cu128 and the JNI inside the application jar.)
# - Check a node once with: bin/finerewards doctor --conf <this config> (exit 0, "GPUs visible: 1").
# Environment: SPARK_HOME, K8S_API (https://host:port), IMAGE, NAMESPACE (default finerewards).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
: "${K8S_API:?set K8S_API to the Kubernetes API server, e.g. https://10.0.0.1:6443}"
: "${IMAGE:?set IMAGE to the Spark + finerewards + PyTorch container image}"
site=/opt/venv/lib/python3.12/site-packages
export FINEREWARDS_JAR="local:///opt/finerewards/finerewards-0.1.0-SNAPSHOT-spark3.5.9.jar"
submit/finerewards-submit --no-native \
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
  -- run --rounds 3 --conf s3a://my-bucket/finerewards/conf/kubernetes-gpu.conf \
  --set "models.libtorch.path=$site/torch/lib" --set models.libtorch.flavor=cu130 \
  --set "models.libtorch.cuda-runtime-path=$site/nvidia/cu13/lib" --set models.libtorch.cache-dir=/opt/djl-cache "$@"

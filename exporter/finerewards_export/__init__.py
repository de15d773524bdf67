"""FineRewards model exporter: Hugging Face checkpoints to DJL-loadable TorchScript directories."""

EXPORTER_VERSION = "0.1.0"

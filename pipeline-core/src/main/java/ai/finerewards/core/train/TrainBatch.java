package ai.finerewards.core.train;

import ai.finerewards.core.io.HostTensor;

/**
 * One micro-batch of training pairs: images RGB in [-1, 1] as [B, 3, H, W] float32 and the
 * prompts' token ids as [B, L] int64 (padded to the text encoder's length).
 */
public record TrainBatch(HostTensor images, HostTensor inputIds) {
  public TrainBatch {
    long[] is = images.shape();
    long[] ts = inputIds.shape();
    if (is.length != 4 || is[1] != 3 || images.dtype() != HostTensor.DType.FLOAT32) {
      throw new IllegalArgumentException("training images must be float32 [B, 3, H, W], got " + images);
    }
    if (ts.length != 2 || ts[0] != is[0] || inputIds.dtype() != HostTensor.DType.INT64) {
      throw new IllegalArgumentException("token ids must be int64 [B, L] with B = " + is[0]
          + ", got " + inputIds);
    }
  }

  public int size() {
    return (int) images.shape()[0];
  }
}

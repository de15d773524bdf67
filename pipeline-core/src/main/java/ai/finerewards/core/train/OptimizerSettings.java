package ai.finerewards.core.train;

/**
 * How the trainer updates the LoRA weights.
 *
 * @param learningRate peak learning rate
 * @param warmupSteps linear warm-up length; as diffusers' {@code constant_with_warmup}, step k
 *     (1-based) uses {@code lr * min(1, (k - 1) / warmupSteps)}; 0 = constant
 * @param maxGradNorm clip the LoRA gradients' total L2 norm to this; 0 = no clipping
 * @param adam AdamW's betas, epsilon and weight decay
 */
public record OptimizerSettings(
    double learningRate, int warmupSteps, double maxGradNorm, TorchAdamW.Hyper adam) {
  public OptimizerSettings {
    if (!(learningRate > 0) || warmupSteps < 0 || !(maxGradNorm >= 0)) {
      throw new IllegalArgumentException("learning rate must be > 0, warm-up >= 0 and max grad"
          + " norm >= 0: " + learningRate + ", " + warmupSteps + ", " + maxGradNorm);
    }
  }

  /** The learning rate of optimiser step {@code step} (1-based). */
  public double lrAt(long step) {
    if (warmupSteps == 0 || step - 1 >= warmupSteps) {
      return learningRate;
    }
    return learningRate * (double) (step - 1) / warmupSteps;
  }
}

package ai.finerewards.core.train;

/**
 * Where the random draws of a training step come from: the noise that samples the VAE's latent
 * distribution, the diffusion noise (the regression target for epsilon prediction) and one
 * training timestep per example. A draw is a pure function of (step, micro-batch), so a run
 * resumed at step k draws exactly what an uninterrupted run would.
 */
public interface NoiseSource {
  /**
   * The draws of one micro-batch.
   *
   * @param step optimiser step, 1-based
   * @param micro micro-batch within the step (gradient accumulation), 0-based
   * @param batch examples in the micro-batch
   * @param latentSize values of one example's latent (channels * height * width)
   * @param numTrainTimesteps timesteps are drawn uniformly from [0, numTrainTimesteps)
   */
  Draw draw(long step, int micro, int batch, int latentSize, int numTrainTimesteps);

  /** One micro-batch's draws, row-major over the batch. */
  record Draw(float[] encodeNoise, float[] noise, long[] timesteps) {}
}

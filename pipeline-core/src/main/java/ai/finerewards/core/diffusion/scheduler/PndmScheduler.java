package ai.finerewards.core.diffusion.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * PNDM in its PLMS form (Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models on
 * Manifolds"; skip_prk_steps = true, as Stable Diffusion is configured), at parity with diffusers
 * 0.31.0 {@code PNDMScheduler}: linear multistep (Adams-Bashforth) combinations of past noise
 * predictions (eq. 12) fed to the transfer function phi (eq. 9); the first step is a second-order
 * pseudo improved-Euler step, so one timestep is visited twice.
 *
 * <p>Honoured fields and class defaults: num_train_timesteps 1000, beta_start 0.0001, beta_end 0.02,
 * beta_schedule linear, trained_betas, skip_prk_steps false, set_alpha_to_one false, prediction_type
 * epsilon (or v_prediction), timestep_spacing leading, steps_offset 0. Rejected: skip_prk_steps
 * false (the Runge-Kutta warm-up of full PNDM is not implemented) and prediction_type sample.
 */
public final class PndmScheduler extends BaseScheduler {
  private static final String OWNER = "PndmScheduler";

  private final NoiseSchedule schedule;
  private final Prediction prediction;
  private final String spacing;
  private final int stepsOffset;
  private final float finalAlphaCumprod;

  private int numInferenceSteps;
  private int counter;
  private final List<float[]> ets = new ArrayList<>();
  private float[] curSample;

  public PndmScheduler(SchedulerConfig config) {
    super(config, OWNER);
    boolean skipPrk = Fields.or(config.skipPrkSteps(), false);
    Fields.require(skipPrk, OWNER, "skip_prk_steps", skipPrk,
        "true (the PRK warm-up steps are not implemented; Stable Diffusion uses PLMS only)");
    this.schedule = NoiseSchedule.from(config, OWNER, false);
    this.prediction = Prediction.parse(OWNER, config.predictionType(), Prediction.EPSILON, Prediction.V_PREDICTION);
    this.spacing = Fields.oneOf(OWNER, "timestep_spacing", config.timestepSpacing(), "leading",
        "leading", "trailing", "linspace");
    this.stepsOffset = Fields.or(config.stepsOffset(), 0);
    this.finalAlphaCumprod = Fields.or(config.setAlphaToOne(), false) ? 1.0f : schedule.alphasCumprod[0];
  }

  @Override
  public String name() {
    return "pndm";
  }

  @Override
  public float initNoiseSigma() {
    return 1.0f;
  }

  @Override
  public void setTimesteps(int numInferenceSteps) {
    checkSteps(OWNER, numInferenceSteps, schedule.numTrainTimesteps);
    this.numInferenceSteps = numInferenceSteps;
    float[] desc = DiscreteSpacing.descending(spacing, schedule.numTrainTimesteps, numInferenceSteps, stepsOffset);
    // PLMS order: the noisiest timestep, then the second one twice (the warm-up step and its
    // correction), then the rest: ascending ts[:-1] + ts[-2:-1] + ts[-1:], reversed.
    float[] plms;
    if (desc.length == 1) {
      plms = desc.clone();
    } else {
      plms = new float[desc.length + 1];
      plms[0] = desc[0];
      plms[1] = desc[1];
      System.arraycopy(desc, 1, plms, 2, desc.length - 1);
    }
    installTimesteps(plms);
    counter = 0;
    ets.clear();
    curSample = null;
  }

  @Override
  public float[] scaleModelInput(float[] sample, float timestep) {
    return sample;
  }

  @Override
  public float[] step(float[] modelOutput, float timestep, float[] sample) {
    currentIndex(timestep);
    checkLengths(modelOutput, sample);
    int stride = schedule.numTrainTimesteps / numInferenceSteps;
    int t = discreteTimestep(timestep, schedule.numTrainTimesteps);
    int prevT = t - stride;
    if (counter != 1) {
      if (ets.size() > 3) {
        ets.remove(0);
      }
      ets.add(modelOutput.clone());
    } else {
      // The correction of the first step: redo the step from the first sample, from t + stride to t.
      prevT = t;
      t = t + stride;
      if (t >= schedule.numTrainTimesteps) {
        throw new IllegalStateException(OWNER + ": PLMS warm-up needs timestep " + t + " beyond num_train_timesteps "
            + schedule.numTrainTimesteps + " (timestep_spacing " + spacing + ")");
      }
    }

    int n = modelOutput.length;
    float[] eps = new float[n];
    float[] x = sample;
    if (ets.size() == 1 && counter == 0) {
      System.arraycopy(modelOutput, 0, eps, 0, n);
      curSample = sample.clone();
    } else if (ets.size() == 1 && counter == 1) {
      // Second-order start: average the noise estimates at both ends of the first interval.
      float[] e1 = ets.get(0);
      for (int i = 0; i < n; i++) {
        eps[i] = (modelOutput[i] + e1[i]) / 2.0f;
      }
      x = curSample;
      curSample = null;
    } else {
      combine(eps);
    }
    float[] prev = transfer(x, t, prevT, eps);
    counter++;
    advance();
    return prev;
  }

  /** Adams-Bashforth combinations of the stored noise predictions, Liu et al. eq. 12 and lower orders. */
  private void combine(float[] eps) {
    int k = ets.size();
    float[] e1 = ets.get(k - 1);
    float[] e2 = ets.get(k - 2);
    if (k == 2) {
      for (int i = 0; i < eps.length; i++) {
        eps[i] = (3.0f * e1[i] - e2[i]) / 2.0f;
      }
    } else if (k == 3) {
      float[] e3 = ets.get(0);
      for (int i = 0; i < eps.length; i++) {
        eps[i] = (23.0f * e1[i] - 16.0f * e2[i] + 5.0f * e3[i]) / 12.0f;
      }
    } else {
      float[] e3 = ets.get(k - 3);
      float[] e4 = ets.get(k - 4);
      float oneOver24 = (float) (1.0 / 24);
      for (int i = 0; i < eps.length; i++) {
        eps[i] = oneOver24 * (55.0f * e1[i] - 59.0f * e2[i] + 37.0f * e3[i] - 9.0f * e4[i]);
      }
    }
  }

  /**
   * The transfer function phi of Liu et al. eq. 9, from x_t to x_{t-delta} given a noise estimate:
   * x' = sqrt(a'/a) x - (a' - a) eps / (a sqrt(1 - a') + sqrt(a (1 - a) a')), a = alpha-bar.
   */
  private float[] transfer(float[] x, int t, int prevT, float[] eps) {
    float alphaT = schedule.alphasCumprod[t];
    float alphaPrev = schedule.alphaCumprodAt(prevT, finalAlphaCumprod);
    float betaT = 1.0f - alphaT;
    float betaPrev = 1.0f - alphaPrev;
    if (prediction == Prediction.V_PREDICTION) {
      // eps = sqrt(a) v + sqrt(1 - a) x
      float sa = (float) Math.sqrt(alphaT);
      float sb = (float) Math.sqrt(betaT);
      for (int i = 0; i < eps.length; i++) {
        eps[i] = sa * eps[i] + sb * x[i];
      }
    }
    float sampleCoeff = (float) Math.sqrt(alphaPrev / alphaT);
    float denom = alphaT * (float) Math.sqrt(betaPrev) + (float) Math.sqrt(alphaT * betaT * alphaPrev);
    float diff = alphaPrev - alphaT;
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = sampleCoeff * x[i] - (diff * eps[i]) / denom;
    }
    return out;
  }

  @Override
  public float[] addNoise(float[] original, float[] noise, float[] timesteps) {
    return addNoiseDdpm(schedule, original, noise, timesteps);
  }
}

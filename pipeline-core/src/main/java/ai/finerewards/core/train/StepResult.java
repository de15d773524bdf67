package ai.finerewards.core.train;

/**
 * What one optimiser step did.
 *
 * @param step the step, 1-based
 * @param loss mean denoising loss over the step's micro-batches (before the update)
 * @param lr learning rate applied
 * @param gradNorm L2 norm of the LoRA gradients before clipping
 * @param samples examples in the step (all micro-batches)
 */
public record StepResult(long step, double loss, double lr, double gradNorm, int samples) {}

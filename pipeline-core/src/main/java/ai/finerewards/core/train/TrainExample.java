package ai.finerewards.core.train;

/**
 * One (prompt, image) training pair as the train stage reads it.
 *
 * @param id the sample's key, e.g. {@code round=0/prompt_id=ab12/sample_idx=3}, named in errors
 * @param prompt the prompt text
 * @param image the encoded image (PNG or another format ImageIO reads)
 */
public record TrainExample(String id, String prompt, byte[] image) {}

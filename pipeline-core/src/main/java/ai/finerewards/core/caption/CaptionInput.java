package ai.finerewards.core.caption;

/**
 * One sample to caption and score.
 *
 * @param prompt the text the image was generated from
 * @param imageBytes the encoded image (PNG); null or undecodable bytes give an error result
 */
public record CaptionInput(String prompt, byte[] imageBytes) {}

package ai.finerewards.core.caption;

/**
 * The caption stage's result for one sample: either a caption and its reward, or an error.
 *
 * @param caption the greedy caption; null when {@code error} is set
 * @param reward cosine similarity of the CLIP text embeddings of prompt and caption; null with an error
 * @param error why the sample has no result (an undecodable image); null on success
 */
public record CaptionResult(String caption, Double reward, String error) {
  public static CaptionResult failed(String error) {
    return new CaptionResult(null, null, error);
  }

  public boolean isError() {
    return error != null;
  }
}

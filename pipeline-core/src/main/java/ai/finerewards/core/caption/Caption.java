package ai.finerewards.core.caption;

/**
 * One image's greedy caption.
 *
 * @param text the decoded caption: special tokens skipped, surrounding whitespace stripped
 * @param tokenIds what transformers' generate returns for the row: [bos] + generated ids, the eos
 *     kept, padded with the pad id after it when other rows of the batch ran longer
 */
public record Caption(String text, long[] tokenIds) {}

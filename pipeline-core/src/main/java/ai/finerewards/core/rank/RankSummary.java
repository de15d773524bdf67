package ai.finerewards.core.rank;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the rank stage did to one round, for the job's log and the report. Mergeable, so a Spark
 * job can build one per partition and reduce them; example prompt ids are the smallest ones in
 * code point order, so the summary is the same whatever the partitioning.
 *
 * @param prompts prompts seen
 * @param candidates candidates seen
 * @param validCandidates candidates ranked (not excluded)
 * @param excludedByReason excluded candidates per reason (see {@link Exclusions})
 * @param promptsWithNoValidCandidate prompts whose every candidate was excluded
 * @param noValidCandidateExamples up to {@link #EXAMPLES} of those prompt ids
 * @param promptsWithTooFewValidCandidates prompts below {@code min-candidates-per-prompt}
 * @param tooFewValidCandidatesExamples up to {@link #EXAMPLES} of those prompt ids
 * @param selectedInPrompt candidates selected in their prompt
 * @param selected candidates finally selected (after the global top fraction, if any)
 */
public record RankSummary(
    long prompts,
    long candidates,
    long validCandidates,
    SortedMap<String, Long> excludedByReason,
    long promptsWithNoValidCandidate,
    List<String> noValidCandidateExamples,
    long promptsWithTooFewValidCandidates,
    List<String> tooFewValidCandidatesExamples,
    long selectedInPrompt,
    long selected)
    implements Serializable {

  /** How many example prompt ids a summary keeps per problem. */
  public static final int EXAMPLES = 10;

  public RankSummary {
    excludedByReason = Collections.unmodifiableSortedMap(new TreeMap<>(excludedByReason));
    noValidCandidateExamples = List.copyOf(noValidCandidateExamples);
    tooFewValidCandidatesExamples = List.copyOf(tooFewValidCandidatesExamples);
  }

  public static RankSummary empty() {
    return new RankSummary(0, 0, 0, new TreeMap<>(), 0, List.of(), 0, List.of(), 0, 0);
  }

  public long excluded() {
    return candidates - validCandidates;
  }

  /** Summary of many prompt rankings. */
  public static RankSummary of(Iterable<PromptRanking> rankings) {
    Builder builder = new Builder();
    for (PromptRanking ranking : rankings) {
      builder.add(ranking);
    }
    return builder.build();
  }

  /** The sum of two summaries (e.g. of two Spark partitions). */
  public RankSummary merge(RankSummary other) {
    SortedMap<String, Long> reasons = new TreeMap<>(excludedByReason);
    other.excludedByReason.forEach((k, v) -> reasons.merge(k, v, Long::sum));
    return new RankSummary(
        prompts + other.prompts,
        candidates + other.candidates,
        validCandidates + other.validCandidates,
        reasons,
        promptsWithNoValidCandidate + other.promptsWithNoValidCandidate,
        smallest(noValidCandidateExamples, other.noValidCandidateExamples),
        promptsWithTooFewValidCandidates + other.promptsWithTooFewValidCandidates,
        smallest(tooFewValidCandidatesExamples, other.tooFewValidCandidatesExamples),
        selectedInPrompt + other.selectedInPrompt,
        selected + other.selected);
  }

  /**
   * This summary with the final selected count replaced: for a Spark job that summarised the
   * per-prompt pass and then counted the rows the global cut kept.
   */
  public RankSummary withSelected(long finalSelected) {
    return new RankSummary(
        prompts, candidates, validCandidates, excludedByReason, promptsWithNoValidCandidate,
        noValidCandidateExamples, promptsWithTooFewValidCandidates, tooFewValidCandidatesExamples,
        selectedInPrompt, finalSelected);
  }

  /** A few readable lines for the job log. */
  public String describe() {
    StringBuilder s = new StringBuilder();
    s.append(String.format(
        "rank: %d prompts, %d candidates, %d ranked, %d excluded, %d selected in prompt, %d selected%n",
        prompts, candidates, validCandidates, excluded(), selectedInPrompt, selected));
    excludedByReason.forEach((reason, count) ->
        s.append(String.format("rank:   excluded %s: %d%n", reason, count)));
    if (promptsWithNoValidCandidate > 0) {
      s.append(String.format("rank:   prompts with no valid candidate: %d, e.g. %s%n",
          promptsWithNoValidCandidate, noValidCandidateExamples));
    }
    if (promptsWithTooFewValidCandidates > 0) {
      s.append(String.format("rank:   prompts with too few valid candidates: %d, e.g. %s%n",
          promptsWithTooFewValidCandidates, tooFewValidCandidatesExamples));
    }
    return s.toString();
  }

  private static List<String> smallest(List<String> a, List<String> b) {
    TreeSet<String> all = new TreeSet<>(SelectionKey::compareCodePoints);
    all.addAll(a);
    all.addAll(b);
    List<String> out = new ArrayList<>(EXAMPLES);
    for (String id : all) {
      if (out.size() == EXAMPLES) {
        break;
      }
      out.add(id);
    }
    return out;
  }

  /** Accumulates prompt rankings; not thread-safe (one per partition). */
  public static final class Builder {
    private long prompts;
    private long candidates;
    private long valid;
    private final TreeMap<String, Long> reasons = new TreeMap<>();
    private long noValid;
    private final TreeSet<String> noValidExamples = new TreeSet<>(SelectionKey::compareCodePoints);
    private long tooFew;
    private final TreeSet<String> tooFewExamples = new TreeSet<>(SelectionKey::compareCodePoints);
    private long selectedInPrompt;
    private long selected;

    public Builder add(PromptRanking ranking) {
      prompts++;
      candidates += ranking.candidateCount();
      valid += ranking.validCount();
      for (RankedCandidate c : ranking.candidates()) {
        if (c.excluded()) {
          reasons.merge(c.excludedReason(), 1L, Long::sum);
        }
        if (c.selectedInPrompt()) {
          selectedInPrompt++;
        }
        if (c.selected()) {
          selected++;
        }
      }
      if (ranking.status() == PromptStatus.NO_VALID_CANDIDATE) {
        noValid++;
        keepSmallest(noValidExamples, ranking.promptId());
      } else if (ranking.status() == PromptStatus.TOO_FEW_VALID_CANDIDATES) {
        tooFew++;
        keepSmallest(tooFewExamples, ranking.promptId());
      }
      return this;
    }

    public RankSummary build() {
      return new RankSummary(
          prompts, candidates, valid, reasons, noValid, new ArrayList<>(noValidExamples),
          tooFew, new ArrayList<>(tooFewExamples), selectedInPrompt, selected);
    }

    private static void keepSmallest(TreeSet<String> examples, String promptId) {
      examples.add(promptId);
      if (examples.size() > EXAMPLES) {
        examples.pollLast();
      }
    }
  }

}

package ai.finerewards.core.prompts;

import ai.finerewards.core.prompts.PromptValidationReport.Example;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Validates prompt records one at a time, in input order, and builds the report.
 *
 * <p>Checks, first match wins: undecodable (flagged by the reader, or a prompt holding U+FFFD, the
 * mark of bytes that were not UTF-8), null prompt, blank prompt (nothing left after
 * normalisation), duplicate id (an id already taken by a different text), duplicate prompt (a
 * normalised text already accepted, under the same or another id). Of duplicates the first record
 * is kept. A null or blank given id is replaced by {@link PromptIds#derive}. Memory grows with the
 * number of distinct prompts (two small map entries each).
 */
public final class PromptValidator {

  /** Accepted prompts and the report, for a whole input at once. */
  public record Result(List<ValidPrompt> accepted, PromptValidationReport report) {}

  private record Seen(String other, String file, long row) {}

  private static final int DETAIL_CHARS = 80;
  /** What a UTF-8 decoder (Spark's included) puts in place of bytes that are not UTF-8. */
  private static final char REPLACEMENT_CHAR = '\uFFFD';

  private final String input;
  private final String positionName;
  private final int maxExamples;
  private final Map<String, Seen> textById = new HashMap<>();
  private final Map<String, Seen> idByText = new HashMap<>();
  private final Map<PromptIssue, Long> counts = new EnumMap<>(PromptIssue.class);
  private final Map<PromptIssue, List<Example>> examples = new EnumMap<>(PromptIssue.class);
  private long rowsRead;
  private long accepted;
  private long derived;

  /**
   * @param input how the input is named in the report (path and format)
   * @param positionName "line" or "row" (see {@link PromptFormat#positionName()})
   * @param maxExamples examples kept per issue
   */
  public PromptValidator(String input, String positionName, int maxExamples) {
    if (maxExamples < 0) {
      throw new IllegalArgumentException("maxExamples must be >= 0, was " + maxExamples);
    }
    this.input = input;
    this.positionName = positionName;
    this.maxExamples = maxExamples;
  }

  public static Result validateAll(Iterator<RawPrompt> records, String input, String positionName, int maxExamples) {
    PromptValidator v = new PromptValidator(input, positionName, maxExamples);
    List<ValidPrompt> ok = new ArrayList<>();
    while (records.hasNext()) {
      v.accept(records.next()).ifPresent(ok::add);
    }
    return new Result(ok, v.report());
  }

  /** The record as a valid prompt, or empty when it is invalid (then it is counted in the report). */
  public Optional<ValidPrompt> accept(RawPrompt r) {
    rowsRead++;
    if (r.undecodable() != null) {
      return reject(PromptIssue.UNDECODABLE, r, quote(r.undecodable()));
    }
    if (r.prompt() == null) {
      return reject(PromptIssue.NULL_PROMPT, r, "no prompt" + (blank(r.promptId()) ? "" : " (id '" + r.promptId() + "')"));
    }
    if (r.prompt().indexOf(REPLACEMENT_CHAR) >= 0) {
      return reject(PromptIssue.UNDECODABLE, r, "invalid UTF-8 (decoded as U+FFFD): " + quote(r.prompt()));
    }
    String normalised = PromptIds.normalise(r.prompt());
    if (normalised.isEmpty()) {
      return reject(PromptIssue.BLANK_PROMPT, r, "prompt is " + (r.prompt().isEmpty() ? "empty" : "blank: " + quote(r.prompt())));
    }
    boolean derive = blank(r.promptId());
    String id = derive ? PromptIds.derive(r.prompt()) : r.promptId().strip();
    String text = PromptIds.textKey(r.prompt());
    Seen sameId = textById.get(id);
    if (sameId != null) {
      return sameId.other().equals(text)
          ? reject(PromptIssue.DUPLICATE_PROMPT, r, "same text as " + where(sameId) + " (id '" + id + "'): " + quote(r.prompt()))
          : reject(PromptIssue.DUPLICATE_ID, r, "id '" + id + "' already used at " + where(sameId)
              + " for a different prompt; this one: " + quote(r.prompt()));
    }
    Seen sameText = idByText.get(text);
    if (sameText != null) {
      return reject(PromptIssue.DUPLICATE_PROMPT, r,
          "same text as " + where(sameText) + " (id '" + sameText.other() + "'): " + quote(r.prompt()));
    }
    textById.put(id, new Seen(text, r.sourceFile(), r.sourceRow()));
    idByText.put(text, new Seen(id, r.sourceFile(), r.sourceRow()));
    accepted++;
    if (derive) {
      derived++;
    }
    return Optional.of(new ValidPrompt(id, r.prompt(), derive, r.sourceFile(), r.sourceRow()));
  }

  public PromptValidationReport report() {
    return new PromptValidationReport(input, positionName, rowsRead, accepted, derived, counts, examples);
  }

  private Optional<ValidPrompt> reject(PromptIssue issue, RawPrompt r, String detail) {
    counts.merge(issue, 1L, Long::sum);
    List<Example> list = examples.computeIfAbsent(issue, k -> new ArrayList<>());
    if (list.size() < maxExamples) {
      list.add(new Example(r.sourceFile(), r.sourceRow(), detail));
    }
    return Optional.empty();
  }

  private String where(Seen s) {
    return s.file() + " " + positionName + " " + s.row();
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static String quote(String s) {
    String oneLine = s.replace("\r", "\\r").replace("\n", "\\n");
    return "'" + (oneLine.length() > DETAIL_CHARS ? oneLine.substring(0, DETAIL_CHARS) + "..." : oneLine) + "'";
  }
}

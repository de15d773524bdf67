package ai.finerewards.core.prompts;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What validation found in a prompt input: how many records were read and accepted, how many ids
 * were derived, and for each {@link PromptIssue} the complete count and the first examples (file,
 * line or row, and what was wrong). Built by {@link PromptValidator}; immutable.
 */
public final class PromptValidationReport {

  /** One invalid record: where it is and what was wrong with it. */
  public record Example(String file, long row, String detail) {}

  private final String input;
  private final String positionName;
  private final long rowsRead;
  private final long accepted;
  private final long derivedIds;
  private final Map<PromptIssue, Long> counts;
  private final Map<PromptIssue, List<Example>> examples;

  PromptValidationReport(String input, String positionName, long rowsRead, long accepted, long derivedIds,
      Map<PromptIssue, Long> counts, Map<PromptIssue, List<Example>> examples) {
    this.input = input;
    this.positionName = positionName;
    this.rowsRead = rowsRead;
    this.accepted = accepted;
    this.derivedIds = derivedIds;
    this.counts = Collections.unmodifiableMap(new EnumMap<>(counts));
    Map<PromptIssue, List<Example>> ex = new EnumMap<>(PromptIssue.class);
    examples.forEach((k, v) -> ex.put(k, List.copyOf(v)));
    this.examples = Collections.unmodifiableMap(ex);
  }

  public String input() {
    return input;
  }

  public long rowsRead() {
    return rowsRead;
  }

  public long accepted() {
    return accepted;
  }

  public long derivedIds() {
    return derivedIds;
  }

  public long count(PromptIssue issue) {
    return counts.getOrDefault(issue, 0L);
  }

  public List<Example> examples(PromptIssue issue) {
    return examples.getOrDefault(issue, List.of());
  }

  public long invalid() {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  public boolean hasIssues() {
    return invalid() > 0;
  }

  /**
   * Applies the policy: under {@code FAIL} any invalid record throws {@link InvalidPromptsException}
   * with this report; under either policy an input with no valid prompt throws.
   */
  public void enforce(InvalidPromptPolicy policy) {
    if (policy == InvalidPromptPolicy.FAIL && hasIssues()) {
      throw new InvalidPromptsException("prompt input " + input + " has " + invalid()
          + " invalid records and finerewards.prompts.on-invalid = fail", this);
    }
    if (accepted == 0) {
      throw new InvalidPromptsException("prompt input " + input + " has no valid prompt", this);
    }
  }

  /** A multi-line human summary: totals, then each issue with its count and examples. */
  public String summary() {
    StringBuilder sb = new StringBuilder();
    sb.append("prompt input ").append(input).append(": ").append(rowsRead).append(" records read, ")
        .append(accepted).append(" valid (").append(derivedIds).append(" with derived ids), ")
        .append(invalid()).append(" invalid");
    for (PromptIssue issue : PromptIssue.values()) {
      long n = count(issue);
      if (n == 0) {
        continue;
      }
      sb.append("\n  ").append(issue.description()).append(": ").append(n);
      List<String> lines = new ArrayList<>();
      for (Example e : examples(issue)) {
        lines.add("\n    " + e.file() + " " + positionName + " " + e.row() + ": " + e.detail());
      }
      lines.forEach(sb::append);
      if (n > lines.size()) {
        sb.append("\n    ... and ").append(n - lines.size()).append(" more");
      }
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return summary();
  }
}

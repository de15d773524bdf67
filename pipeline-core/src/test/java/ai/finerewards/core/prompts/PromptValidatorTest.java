package ai.finerewards.core.prompts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.prompts.PromptValidationReport.Example;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PromptValidatorTest {

  private static final String F = "in.jsonl";

  private static RawPrompt row(long n, String id, String prompt) {
    return new RawPrompt(F, n, id, prompt, null);
  }

  private static PromptValidator.Result validate(int examples, RawPrompt... rows) {
    return PromptValidator.validateAll(List.of(rows).iterator(), F + " (jsonl)", "line", examples);
  }

  @Test
  void eachKindOfInvalidRecordIsCountedWithItsPositionAndTheFirstOfDuplicatesIsKept() {
    PromptValidator.Result r = validate(5,
        row(1, "a", "a cat"),
        new RawPrompt(F, 2, null, null, "{\"prompt\": \"broken"),
        row(3, "b", null),
        row(4, "c", "   "),
        row(5, "d", ""),
        row(6, "a", "a dog"),           // same id, different text
        row(7, "a", "a  cat "),         // same id, same normalised text
        row(8, "e", "a cat"),           // other id, same text
        row(9, null, "a bird"),         // derived id
        row(10, "  ", "a fish"),        // blank id: derived
        row(11, null, "caf\uFFFD"));   // bytes that were not UTF-8

    assertThat(r.accepted()).extracting(ValidPrompt::promptId)
        .containsExactly("a", PromptIds.derive("a bird"), PromptIds.derive("a fish"));
    assertThat(r.accepted().get(1)).isEqualTo(new ValidPrompt(PromptIds.derive("a bird"), "a bird", true, F, 9));
    PromptValidationReport rep = r.report();
    assertThat(rep.rowsRead()).isEqualTo(11);
    assertThat(rep.accepted()).isEqualTo(3);
    assertThat(rep.derivedIds()).isEqualTo(2);
    assertThat(rep.count(PromptIssue.UNDECODABLE)).isEqualTo(2);
    assertThat(rep.count(PromptIssue.NULL_PROMPT)).isEqualTo(1);
    assertThat(rep.count(PromptIssue.BLANK_PROMPT)).isEqualTo(2);
    assertThat(rep.count(PromptIssue.DUPLICATE_ID)).isEqualTo(1);
    assertThat(rep.count(PromptIssue.DUPLICATE_PROMPT)).isEqualTo(2);
    assertThat(rep.invalid()).isEqualTo(8);
    assertThat(rep.examples(PromptIssue.UNDECODABLE).get(1).detail()).isEqualTo("invalid UTF-8 (decoded as U+FFFD): 'caf\uFFFD'");
    assertThat(rep.examples(PromptIssue.DUPLICATE_ID)).containsExactly(
        new Example(F, 6, "id 'a' already used at in.jsonl line 1 for a different prompt; this one: 'a dog'"));
    assertThat(rep.examples(PromptIssue.DUPLICATE_PROMPT)).extracting(Example::row).containsExactly(7L, 8L);
    assertThat(rep.examples(PromptIssue.UNDECODABLE).get(0).detail()).isEqualTo("'{\"prompt\": \"broken'");
    assertThat(rep.summary())
        .startsWith("prompt input in.jsonl (jsonl): 11 records read, 3 valid (2 with derived ids), 8 invalid")
        .contains("empty or blank prompts: 2\n    in.jsonl line 4: prompt is blank: '   '\n    in.jsonl line 5: prompt is empty")
        .contains("null prompts (field missing or null): 1\n    in.jsonl line 3: no prompt (id 'b')");
  }

  @Test
  void onlyTheFirstExamplesAreKeptButTheCountIsComplete() {
    List<RawPrompt> rows = new ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      rows.add(row(i, null, ""));
    }
    rows.add(row(9, null, "ok"));
    PromptValidationReport rep = PromptValidator.validateAll(rows.iterator(), F, "line", 5).report();
    assertThat(rep.count(PromptIssue.BLANK_PROMPT)).isEqualTo(8);
    assertThat(rep.examples(PromptIssue.BLANK_PROMPT)).extracting(Example::row).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(rep.summary()).contains("... and 3 more");
  }

  @Test
  void failPolicyThrowsWithTheReportSkipPolicyPasses() {
    PromptValidationReport rep = validate(5, row(1, null, "a cat"), row(2, null, "a cat")).report();
    rep.enforce(InvalidPromptPolicy.SKIP);
    assertThatThrownBy(() -> rep.enforce(InvalidPromptPolicy.FAIL))
        .isInstanceOf(InvalidPromptsException.class)
        .hasMessageContaining("has 1 invalid records and finerewards.prompts.on-invalid = fail")
        .hasMessageContaining("duplicate prompts (same normalised text as an earlier row): 1")
        .hasMessageContaining("in.jsonl line 2: same text as in.jsonl line 1");
  }

  @Test
  void anInputWithNoValidPromptFailsUnderEitherPolicy() {
    PromptValidationReport rep = validate(5, row(1, null, " ")).report();
    assertThatThrownBy(() -> rep.enforce(InvalidPromptPolicy.SKIP))
        .isInstanceOf(InvalidPromptsException.class)
        .hasMessageContaining("has no valid prompt");
  }
}

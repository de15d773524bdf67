package ai.finerewards.core.prompts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PromptFormatTest {

  @Test
  void autoPicksByExtensionLookingThroughCompression() {
    assertThat(PromptFormat.AUTO.resolve("hdfs://nn/p/prompts.parquet")).isEqualTo(PromptFormat.PARQUET);
    assertThat(PromptFormat.AUTO.resolve("part-00000-1a2b.snappy.parquet")).isEqualTo(PromptFormat.PARQUET);
    assertThat(PromptFormat.AUTO.resolve("coco.jsonl.gz")).isEqualTo(PromptFormat.JSONL);
    assertThat(PromptFormat.AUTO.resolve("/d/P.CSV")).isEqualTo(PromptFormat.CSV);
    assertThat(PromptFormat.AUTO.resolve("x.tsv")).isEqualTo(PromptFormat.TSV);
    assertThat(PromptFormat.AUTO.resolve("x.txt.bz2")).isEqualTo(PromptFormat.TEXT);
    assertThat(PromptFormat.CSV.resolve("whatever.txt")).isEqualTo(PromptFormat.CSV);
  }

  @Test
  void unknownExtensionAsksForTheFormatKey() {
    assertThatThrownBy(() -> PromptFormat.AUTO.resolve("/data/prompts.xlsx"))
        .isInstanceOf(PromptInputException.class)
        .hasMessageContaining("cannot tell the prompt format of /data/prompts.xlsx")
        .hasMessageContaining("set finerewards.prompts.format");
  }
}

package ai.finerewards.core.prompts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromptIdsTest {

  @Test
  void derivedIdIsTheSha256PrefixComputedBySha256sum() {
    // printf '%s' 'a cat on a mat' | sha256sum | cut -c1-16
    assertThat(PromptIds.derive("a cat on a mat")).isEqualTo("b2281618d7e4848f");
    // printf '%s' 'A red bicycle leaning against a wall' | sha256sum | cut -c1-16
    assertThat(PromptIds.derive("A red bicycle leaning against a wall")).isEqualTo("00f09e47315c2c26");
  }

  @Test
  void normalisationCollapsesWhitespaceAndComposesUnicodeButKeepsCase() {
    assertThat(PromptIds.derive("  a \t cat\u00a0on  a\nmat \r\n")).isEqualTo("b2281618d7e4848f");
    // "cafe" + combining acute accent (NFD) derives the id of the composed "café" (NFC):
    // printf '%s' 'café au lait' | sha256sum | cut -c1-16
    assertThat(PromptIds.derive("cafe\u0301 au lait")).isEqualTo("7c413039fbb2248e");
    assertThat(PromptIds.derive("A cat on a mat")).isNotEqualTo("b2281618d7e4848f");
  }
}

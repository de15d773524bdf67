package ai.finerewards.core.prompts;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Stable prompt ids for inputs without one.
 *
 * <p>{@code derive(p)} = the first 16 lower-case hex characters (64 bits) of SHA-256 over the UTF-8
 * bytes of {@code normalise(p)}. Normalisation: Unicode NFC, every run of whitespace replaced by
 * one space, leading and trailing whitespace removed; case is kept. The id depends on the text
 * only, so it is the same on every run, machine and JVM, and for any input format. By shell:
 * {@code printf '%s' 'a cat on a mat' | sha256sum | cut -c1-16}.
 */
public final class PromptIds {

  public static final int ID_HEX_CHARS = 16;
  private static final Pattern WHITESPACE = Pattern.compile("[\\s\\p{Z}]+");

  private PromptIds() {}

  public static String normalise(String prompt) {
    String nfc = Normalizer.normalize(prompt, Normalizer.Form.NFC);
    return WHITESPACE.matcher(nfc).replaceAll(" ").strip();
  }

  public static String derive(String prompt) {
    return sha256Hex(normalise(prompt)).substring(0, ID_HEX_CHARS);
  }

  /** Full SHA-256 of the normalised text: the key under which duplicate prompts are found. */
  static String textKey(String prompt) {
    return sha256Hex(normalise(prompt));
  }

  private static String sha256Hex(String s) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}

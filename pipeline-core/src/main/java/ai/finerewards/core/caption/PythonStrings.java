package ai.finerewards.core.caption;

/** Python's {@code str.strip()} with no argument, which strips more than Java's {@code String.strip()}. */
final class PythonStrings {
  private PythonStrings() {}

  /** Removes leading and trailing characters Python's {@code str.isspace()} accepts. */
  static String strip(String s) {
    int begin = 0;
    int end = s.length();
    while (begin < end && isPythonSpace(s.charAt(begin))) {
      begin++;
    }
    while (end > begin && isPythonSpace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(begin, end);
  }

  /**
   * Python's whitespace: Unicode category Zs or bidirectional class WS, B or S. Java's
   * isWhitespace misses the no-break spaces (U+00A0, U+2007, U+202F) and U+0085; isSpaceChar
   * covers Zs, Zl and Zp.
   */
  static boolean isPythonSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
  }
}

package ai.finerewards.core.rank;

import java.util.Arrays;

/**
 * Fractional ranking ("1 2.5 2.5 4"): rank 1 goes to the largest value, and tied values share the
 * mean of the positions they occupy. This is a rank, not an argsort index: the result at position
 * i is the rank of value i.
 */
final class FractionalRanks {

  private FractionalRanks() {}

  /**
   * Ranks of {@code values}, largest first. Values must be finite; equal means {@code ==} (callers
   * pass values with -0.0 already turned into 0.0).
   */
  static double[] descending(double[] values) {
    int n = values.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    // Ties keep any order among themselves: they receive the same mean rank anyway.
    Arrays.sort(order, (a, b) -> Double.compare(values[b], values[a]));
    double[] ranks = new double[n];
    int start = 0;
    while (start < n) {
      int end = start + 1;
      while (end < n && values[order[end]] == values[order[start]]) {
        end++;
      }
      // Positions start..end-1 hold 1-based ranks start+1..end; their mean is (start+1+end)/2.
      double shared = (start + 1 + end) / 2.0;
      for (int p = start; p < end; p++) {
        ranks[order[p]] = shared;
      }
      start = end;
    }
    return ranks;
  }
}

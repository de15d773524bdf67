package ai.finerewards.core.io;

import java.util.Arrays;

/**
 * A tensor in plain Java memory: a shape and a flat row-major array of float, long or int. It is
 * what translators return and accept, so no native memory outlives a predict call, and what
 * {@link Safetensors} reads. The array is shared, not copied: treat it as read-only.
 */
public final class HostTensor {
  /** How the values are stored in Java. Half-precision values are widened to FLOAT32. */
  public enum DType {
    FLOAT32,
    INT64,
    INT32
  }

  private final DType dtype;
  private final long[] shape;
  private final Object data;

  private HostTensor(DType dtype, long[] shape, Object data, int length) {
    long n = numel(shape);
    if (n != length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " needs " + n + " values, got " + length);
    }
    this.dtype = dtype;
    this.shape = shape.clone();
    this.data = data;
  }

  public static HostTensor ofFloats(float[] data, long... shape) {
    return new HostTensor(DType.FLOAT32, shape, data, data.length);
  }

  public static HostTensor ofLongs(long[] data, long... shape) {
    return new HostTensor(DType.INT64, shape, data, data.length);
  }

  public static HostTensor ofInts(int[] data, long... shape) {
    return new HostTensor(DType.INT32, shape, data, data.length);
  }

  public DType dtype() {
    return dtype;
  }

  public long[] shape() {
    return shape.clone();
  }

  public long numel() {
    return numel(shape);
  }

  /** The values of a FLOAT32 tensor. */
  public float[] floats() {
    return (float[]) require(DType.FLOAT32);
  }

  /** The values of an INT64 tensor. */
  public long[] longs() {
    return (long[]) require(DType.INT64);
  }

  /** The values of an INT32 tensor. */
  public int[] ints() {
    return (int[]) require(DType.INT32);
  }

  private Object require(DType wanted) {
    if (dtype != wanted) {
      throw new IllegalStateException("tensor is " + dtype + ", not " + wanted);
    }
    return data;
  }

  static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  @Override
  public String toString() {
    return "HostTensor[" + dtype + " " + Arrays.toString(shape) + "]";
  }
}

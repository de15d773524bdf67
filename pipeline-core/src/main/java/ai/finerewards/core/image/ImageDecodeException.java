package ai.finerewards.core.image;

/** Image bytes that cannot be decoded into an RGB image; the message says why. */
public final class ImageDecodeException extends Exception {
  private static final long serialVersionUID = 1L;

  public ImageDecodeException(String message) {
    super(message);
  }

  public ImageDecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}

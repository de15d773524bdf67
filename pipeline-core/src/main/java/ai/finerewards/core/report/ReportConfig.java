package ai.finerewards.core.report;

import ai.finerewards.core.config.SectionReader;
import com.typesafe.config.Config;

/** The {@code finerewards.report} section: gallery size, thumbnail size and histogram bins. */
public record ReportConfig(int gallerySize, int thumbnailSize, int histogramBins) {
  public static final String SECTION = "report";

  public static ReportConfig from(Config section) {
    SectionReader r = new SectionReader(section, SECTION);
    return new ReportConfig(r.intInRange("gallery-size", 0, 100), r.intInRange("thumbnail-size", 16, 1024),
        r.intInRange("histogram-bins", 2, 200));
  }
}

package ai.finerewards.core.report;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;

/**
 * Renders a {@link ReportModel} to one self-contained HTML page with the jte templates under
 * {@code src/main/jte} (compiled to Java at build time, so no compiler is needed at run time). jte's
 * HTML mode escapes every {@code ${...}} for its context (text or attribute), so prompts, captions,
 * labels and ids can never become markup; the page carries no script at all and a Content Security
 * Policy that forbids any.
 */
public final class ReportRenderer {
  private static final String PACKAGE = "ai.finerewards.core.report.templates";
  private static final TemplateEngine ENGINE =
      TemplateEngine.createPrecompiled(null, ContentType.Html, ReportRenderer.class.getClassLoader(), PACKAGE);

  private ReportRenderer() {}

  public static String render(ReportModel model) {
    StringOutput out = new StringOutput(1 << 16);
    ENGINE.render("index.jte", model, out);
    return out.toString();
  }
}

package ai.finerewards.jobs;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.ConfigPaths;
import ai.finerewards.core.config.ModelsConfig;
import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.model.EngineReport;
import ai.finerewards.core.run.ExitCode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code finerewards doctor [--conf FILE] [--set key=value]...}: the engine report of
 * {@link EngineReport} for this JVM under the configuration, without Spark. Exit 0 when every
 * family can run, 1 with a {@code FAIL <reason>: ...} line when not (no GPU under
 * {@code models.device = gpu}, an unusable libtorch), 64 bad arguments, 78 bad configuration.
 */
final class DoctorCommand {
  static final String USAGE = "usage: finerewards doctor [--conf FILE] [--set key=value]...";

  private DoctorCommand() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    String conf = null;
    List<String> sets = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if ((a.equals("--conf") || a.equals("--set")) && i + 1 < args.length) {
        if (a.equals("--conf")) {
          conf = args[++i];
        } else {
          sets.add(args[++i]);
        }
      } else {
        err.println("finerewards doctor: unknown or incomplete argument '" + a + "'");
        err.println(USAGE);
        return ExitCode.USAGE.code();
      }
    }
    ModelsConfig models;
    try {
      Config config = ConfigPaths.absolutize(new PipelineConfigLoader().load(conf, sets), java.nio.file.Path.of(""));
      models = ModelsConfig.from(PipelineConfigLoader.section(config, ModelsConfig.SECTION));
    } catch (ConfigError | ConfigException e) {
      err.println("finerewards doctor: " + e.getMessage());
      return ExitCode.CONFIG.code();
    }
    Optional<String> failure = EngineReport.print(models, out);
    return failure.isPresent() ? ExitCode.STAGE_FAILED.code() : ExitCode.OK.code();
  }
}

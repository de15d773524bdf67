package ai.finerewards.jobs.prompts;

import ai.finerewards.core.prompts.PromptFormat;
import ai.finerewards.core.prompts.PromptInputException;
import ai.finerewards.core.prompts.PromptValidationReport;
import ai.finerewards.core.prompts.PromptValidator;
import ai.finerewards.core.prompts.PromptsConfig;
import ai.finerewards.core.prompts.RawPrompt;
import ai.finerewards.core.prompts.ValidPrompt;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the configured prompt input (finerewards.prompts) into a Dataset that conforms to the
 * {@code prompts} table contract, with a report of every invalid record.
 *
 * <p>Steps: resolve the files (a file, or the data files of a directory, in name order) and the
 * format; read them into raw records with file and line/row ({@link PromptReader}); stream the
 * records in (file, row) order through the {@link PromptValidator} on the driver; log the report;
 * apply the policy (skip or fail); return the valid prompts for {@code round}. Validation runs on
 * the driver because duplicate detection needs every id and text seen so far: memory grows with
 * the number of distinct prompts (fine for millions of prompts).
 */
public final class PromptSource {

  private static final Logger LOG = LoggerFactory.getLogger(PromptSource.class);
  private static final int ROWS_PER_SLICE = 10_000;

  /** The valid prompts (the prompts contract) and what validation found. */
  public record Result(Dataset<Row> prompts, PromptValidationReport report) {}

  private PromptSource() {}

  /**
   * @throws PromptInputException when the input cannot be read (no such path, unknown format,
   *     missing prompt column) or, via its subclass InvalidPromptsException, when the policy is
   *     {@code fail} and a record is invalid, or no valid prompt remains
   */
  public static Result read(SparkSession spark, PromptsConfig config, int round) {
    if (round < 0) {
      throw new IllegalArgumentException("round must be >= 0, was " + round);
    }
    List<String> files = dataFiles(spark, config.path());
    PromptFormat format = formatOf(config, files);
    String input = config.path() + " (" + format.configName() + ")";
    Dataset<Row> raw = reader(format).read(spark, config.path(), files, config);

    PromptValidator validator = new PromptValidator(input, format.positionName(), config.reportExamples());
    List<ValidPrompt> valid = new ArrayList<>();
    Iterator<Row> it = raw.orderBy(PromptReader.SOURCE_FILE, PromptReader.SOURCE_ROW).toLocalIterator();
    while (it.hasNext()) {
      Row r = it.next();
      RawPrompt record = new RawPrompt(r.getString(0), r.getLong(1), r.getString(2), r.getString(3), r.getString(4));
      validator.accept(record).ifPresent(valid::add);
    }
    PromptValidationReport report = validator.report();
    if (report.hasIssues()) {
      LOG.warn("{}\n(finerewards.prompts.on-invalid = {})", report.summary(), config.onInvalid().name().toLowerCase(java.util.Locale.ROOT));
    } else {
      LOG.info("{}", report.summary());
    }
    report.enforce(config.onInvalid());
    return new Result(toDataset(spark, valid, round), report);
  }

  private static Dataset<Row> toDataset(SparkSession spark, List<ValidPrompt> valid, int round) {
    List<Row> rows = new ArrayList<>(valid.size());
    for (ValidPrompt p : valid) {
      rows.add(RowFactory.create(round, p.promptId(), p.prompt(), p.idDerived(), p.sourceFile(), p.sourceRow()));
    }
    int slices = Math.max(1, Math.min(spark.sparkContext().defaultParallelism(), rows.size() / ROWS_PER_SLICE + 1));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Dataset<Row> df = spark.createDataFrame(jsc.parallelize(rows, slices), SparkSchemas.toStructType(Tables.PROMPTS));
    return SparkSchemas.conform(df, Tables.PROMPTS);
  }

  /** The file itself, or the visible files of a directory (not starting with _ or .), sorted. */
  static List<String> dataFiles(SparkSession spark, String path) {
    Path p = new Path(path);
    try {
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(p)) {
        throw new PromptInputException("prompt input " + path + " does not exist (finerewards.prompts.path)");
      }
      FileStatus status = fs.getFileStatus(p);
      if (status.isFile()) {
        return List.of(fs.makeQualified(p).toString());
      }
      Set<String> files = new TreeSet<>();
      for (FileStatus s : fs.listStatus(p)) {
        String name = s.getPath().getName();
        if (s.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
          files.add(s.getPath().toString());
        }
      }
      if (files.isEmpty()) {
        throw new PromptInputException("prompt input directory " + path + " holds no data files (finerewards.prompts.path)");
      }
      return List.copyOf(files);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list prompt input " + path, e);
    }
  }

  private static PromptFormat formatOf(PromptsConfig config, List<String> files) {
    Set<PromptFormat> formats = new TreeSet<>();
    for (String f : files) {
      formats.add(config.format().resolve(f));
    }
    if (formats.size() > 1) {
      throw new PromptInputException("prompt input " + config.path() + " mixes formats " + formats
          + " (files " + files + "); use one format per input or set finerewards.prompts.format");
    }
    return formats.iterator().next();
  }

  private static PromptReader reader(PromptFormat format) {
    switch (format) {
      case PARQUET: return new ParquetPromptReader();
      case JSONL: return new JsonLinesPromptReader();
      case CSV: return new DelimitedPromptReader(",");
      case TSV: return new DelimitedPromptReader("\t");
      case TEXT: return new TextPromptReader();
      default: throw new IllegalStateException("format " + format + " is resolved before reading");
    }
  }
}

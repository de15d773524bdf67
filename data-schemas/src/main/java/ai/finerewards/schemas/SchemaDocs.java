package ai.finerewards.schemas;

import ai.finerewards.schemas.ColumnType.ArrayOf;
import ai.finerewards.schemas.ColumnType.MapOf;
import ai.finerewards.schemas.ColumnType.StructOf;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders the human-readable schema documents ({@code data-schemas/docs/<table>.md} and the
 * {@code README.md} index) from {@link Tables}. The committed documents are checked against this
 * output by {@code SchemaDocsTest}; regenerate with {@link #REGENERATE_COMMAND}.
 */
public final class SchemaDocs {

  public static final String REGENERATE_COMMAND =
      "mvn -o -q -pl data-schemas test -Dtest=SchemaDocsTest -Dfinerewards.docs.regenerate=true";

  private static final String GENERATED =
      "<!-- Generated from ai.finerewards.schemas.Tables by SchemaDocs: do not edit by hand.\n"
          + "     Regenerate: " + REGENERATE_COMMAND + " -->\n\n";

  private SchemaDocs() {}

  /** File name to content, for every document (the index and one per contract). */
  public static Map<String, String> render(List<TableContract> contracts) {
    Map<String, String> docs = new LinkedHashMap<>();
    docs.put("README.md", renderIndex(contracts));
    for (TableContract c : contracts) {
      docs.put(c.name() + ".md", renderTable(c));
    }
    return docs;
  }

  public static void write(Path dir, List<TableContract> contracts) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, String> e : render(contracts).entrySet()) {
      Files.writeString(dir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
    }
  }

  /** Writes the documents into the directory given as the only argument. */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: SchemaDocs <output directory, e.g. data-schemas/docs>");
    }
    write(Path.of(args[0]), Tables.all());
  }

  static String renderTable(TableContract c) {
    StringBuilder sb = new StringBuilder(GENERATED);
    sb.append("# ").append(c.name()).append(" (contract version ").append(c.version()).append(")\n\n");
    sb.append(c.doc()).append("\n\n");
    sb.append("| | |\n|---|---|\n");
    sb.append("| stored as | ").append(c.storage() == Storage.PARQUET ? "Parquet" : "JSON document")
        .append(" at `<root>/").append(c.location()).append("` |\n");
    sb.append("| written by | ").append(c.writtenBy()).append(" |\n");
    sb.append("| read by | ").append(String.join(", ", c.readBy())).append(" |\n");
    sb.append("| key | ").append(codeList(c.keyColumns())).append(" |\n");
    sb.append("| partitioned by | ").append(c.partitionColumns().isEmpty() ? "none" : codeList(c.partitionColumns())).append(" |\n\n");
    sb.append("## Columns\n\n");
    sb.append("| column | type | nullable | unit | meaning |\n|---|---|---|---|---|\n");
    for (ColumnSpec col : c.columns()) {
      row(sb, col.name(), col);
    }
    sb.append("\nNested fields are listed as `column.field`; `[]` marks an array's elements and `{}` a map's values.\n");
    return sb.toString();
  }

  private static void row(StringBuilder sb, String path, ColumnSpec col) {
    sb.append("| `").append(path).append("` | `").append(shortType(col.type())).append("` | ")
        .append(col.nullable() ? "yes" : "no").append(" | ").append(escape(col.unit())).append(" | ")
        .append(escape(col.doc())).append(" |\n");
    nested(sb, path, col.type());
  }

  private static void nested(StringBuilder sb, String path, ColumnType type) {
    if (type instanceof StructOf s) {
      for (ColumnSpec f : s.fields()) {
        row(sb, path + "." + f.name(), f);
      }
    } else if (type instanceof ArrayOf a) {
      nested(sb, path + "[]", a.element());
    } else if (type instanceof MapOf m) {
      nested(sb, path + "{}", m.value());
    }
  }

  /** Structs are spelled out field by field in their own rows, so the type cell stays short. */
  private static String shortType(ColumnType t) {
    if (t instanceof StructOf) {
      return "struct";
    }
    if (t instanceof ArrayOf a) {
      return "array<" + shortType(a.element()) + ">";
    }
    if (t instanceof MapOf m) {
      return "map<string," + shortType(m.value()) + ">";
    }
    return t.ddl();
  }

  static String renderIndex(List<TableContract> contracts) {
    StringBuilder sb = new StringBuilder(GENERATED);
    sb.append("# Table contracts\n\n");
    sb.append("Every table of a run lives under one run root as `<root>/<table>/round=<r>/` (Parquet). ")
        .append("Each has a versioned contract in `ai.finerewards.schemas.Tables`; these documents are generated from it.\n\n");
    sb.append("| table | version | written by | read by | key |\n|---|---|---|---|---|\n");
    for (TableContract c : contracts) {
      sb.append("| [").append(c.name()).append("](").append(c.name()).append(".md) | ").append(c.version())
          .append(" | ").append(c.writtenBy()).append(" | ").append(String.join(", ", c.readBy()))
          .append(" | ").append(codeList(c.keyColumns())).append(" |\n");
    }
    sb.append("""

        ## How contracts are checked

        - **Version.** `SparkSchemas.toStructType` puts the metadata `finerewards.table` and
          `finerewards.version` on every top-level data column (and `comment` with its meaning). Spark keeps
          field metadata in the Parquet footer (`org.apache.spark.sql.parquet.row.metadata`), so a reader
          sees it after a round trip. A reader fails when a column carries another version, another table's
          name, or no version at all (data not written through the contract).
        - **Writing.** A stage passes its Dataset through `SparkSchemas.conform(dataset, contract)`: it checks
          every column's presence and type (nested fields included), rejects unknown columns (a table holds
          exactly its contract), orders the columns as the contract does, stamps the version metadata and
          fails the write at run time if a non-nullable top-level column holds a null.
        - **Reading.** `SchemaValidator.validateForRead` checks presence, type and version of every contract
          column and tolerates extra columns. Spark marks every column read from Parquet nullable, so
          nullability is not checked on read; it is enforced when writing.
        - **Partition column.** `round` is not stored in the files: Spark writes it as the directory
          `round=<r>` (`partitionBy("round")`) and partition discovery adds it back as an int column on
          read. Read the table directory (or pass `basePath=<root>/<table>` when reading one partition
          directory), otherwise `round` is missing and the read check says so.
        - **JSON documents** (`checkpoint`): the writer puts `contract_version` in the object; a reader
          parses it untyped (Gson/Jackson to maps and lists) and calls
          `JsonDocumentValidator.validate(contract, document, path)`: every field present (null only where
          nullable), no unknown fields, types as listed, timestamps as ISO-8601 UTC strings.
        - **Mismatch.** Any difference throws `SchemaMismatchException` naming the table, each column, what
          the contract expects and what was found.
        - **Changing a contract.** Edit `Tables`, bump the table's version, regenerate these documents
          (`""" + REGENERATE_COMMAND + "`), and re-run the stages that write the table.\n");
    sb.append("""

        ## Reading the tables elsewhere

        - Spark: `spark.read.parquet("<root>/samples")`; one reward of `ranked`: `rewards['caption']`.
        - DuckDB: `SELECT * FROM read_parquet('<root>/samples/*/*.parquet', hive_partitioning = true)`.
        - Hugging Face datasets: `samples.image` is a `{bytes, path}` struct, the Image feature's storage.
          Every table with an image column carries the `datasets` features of its contract in the Parquet
          footer (key `huggingface`, see `HuggingFaceFeatures`), so
          `load_dataset("parquet", data_files=...)` gives PIL images with no cast.
        - Recipes for the usual questions, in DuckDB, Spark SQL and pandas: `docs/analysis.md`.
        - Timestamps: writers should set `spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS` so that
          `created_at` is a standard Parquet timestamp rather than Spark's legacy INT96.
        """);
    return sb.toString();
  }

  private static String codeList(List<String> names) {
    return names.isEmpty() ? "none" : "`" + String.join("`, `", names) + "`";
  }

  private static String escape(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }
}

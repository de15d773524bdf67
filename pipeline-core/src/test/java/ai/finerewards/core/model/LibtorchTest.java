package ai.finerewards.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.ModelsConfig;
import ai.finerewards.core.config.PipelineConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checks that keep a JNI away from a torch it was not built for (that pairing loads, then
 * crashes the JVM at the first model load, so it must fail before the engine starts). The installs
 * here are folder layouts as pip writes them (torch/lib/libtorch.so, torch/version.py); the checks
 * read only names and version files, never load the libraries, so empty files stand in for them.
 */
class LibtorchTest {
  @TempDir Path tmp;

  private Path pipTorch(String version) throws IOException {
    Path lib = Files.createDirectories(tmp.resolve("site-packages/torch/lib"));
    Files.writeString(lib.resolve("libtorch.so"), "");
    Files.writeString(lib.getParent().resolve("version.py"),
        "__version__ = '" + version + "'\ndebug = False\ncuda: Optional[str] = '13.0'\n");
    return lib;
  }

  private Path cache() {
    return tmp.resolve("djl-cache");
  }

  private Path builtJni(String folder, String stamp) throws IOException {
    Path dir = Files.createDirectories(cache().resolve("pytorch").resolve(folder));
    Path jni = dir.resolve(Libtorch.DJL_VERSION + "-libdjl_torch.so");
    Files.writeString(jni, "");
    if (stamp != null) {
      Files.writeString(dir.resolve(jni.getFileName() + Libtorch.STAMP_SUFFIX), stamp + "\n");
    }
    return jni;
  }

  @Test
  void versionIsReadFromTheInstallWithoutItsLocalPart() throws IOException {
    Libtorch t = new Libtorch(pipTorch("2.11.0+cu130").toString(), "", "cu130", "", cache().toString());
    assertThat(t.torchVersion()).isEqualTo("2.11.0");
    assertThat(t.jniFile()).isEqualTo(cache().resolve("pytorch/2.11.0-cu130-linux-x86_64")
        .resolve(Libtorch.DJL_VERSION + "-libdjl_torch.so"));
  }

  @Test
  void aVersionKeyThatDisagreesWithTheInstallFailsNamingBoth() throws IOException {
    Libtorch t = new Libtorch(pipTorch("2.11.0+cu130").toString(), "2.7.1", "cpu", "", cache().toString());
    assertThatThrownBy(t::check).isInstanceOf(ModelError.class)
        .hasMessageContaining("version = 2.7.1").hasMessageContaining("torch 2.11.0+cu130");
  }

  @Test
  void anotherTorchWithoutABuiltJniFailsNamingTheBuildCommand() throws IOException {
    Libtorch t = new Libtorch(pipTorch("2.11.0+cu130").toString(), "", "cu130", "", cache().toString());
    assertThatThrownBy(t::check).isInstanceOf(ModelError.class)
        .hasMessageContaining("no DJL JNI for torch 2.11.0 (cu130)")
        .hasMessageContaining("for torch " + Libtorch.JAR_TORCH_VERSION + " only")
        .hasMessageContaining("bin/build-djl-jni").hasMessageContaining("--cuda");
  }

  @Test
  void aJniBuiltForAnotherTorchIsRefusedNamingBothVersions() throws IOException {
    Path lib = pipTorch("2.11.0+cu130");
    Path jni = builtJni("2.11.0-cpu-linux-x86_64", "2.10.0+cpu");
    Libtorch t = new Libtorch(lib.toString(), "", "cpu", "", cache().toString());
    assertThatThrownBy(t::check).isInstanceOf(ModelError.class)
        .hasMessageContaining(jni.toString())
        .hasMessageContaining("built for torch 2.10.0").hasMessageContaining("holds torch 2.11.0");
  }

  @Test
  void anUnstampedJniForAnotherTorchIsRefused() throws IOException {
    Path lib = pipTorch("2.11.0+cu130");
    builtJni("2.11.0-cpu-linux-x86_64", null);
    Libtorch t = new Libtorch(lib.toString(), "", "cpu", "", cache().toString());
    assertThatThrownBy(t::check).isInstanceOf(ModelError.class)
        .hasMessageContaining("no .torch-version stamp").hasMessageContaining("torch 2.11.0")
        .hasMessageContaining("for torch " + Libtorch.JAR_TORCH_VERSION);
  }

  @Test
  void aJniStampedWithTheInstalledTorchIsAcceptedAndEveryOverrideIsSet() throws IOException {
    Path lib = pipTorch("2.11.0+cu130");
    Path jni = builtJni("2.11.0-cu130-linux-x86_64", "2.11.0+cu130");
    Path cudart = tmp.resolve("site-packages/nvidia/cu13/lib");
    Libtorch t = new Libtorch(lib.toString(), "", "cu130", cudart.toString(), cache().toString());
    assertThat(t.check()).contains("torch 2.11.0").contains(jni.toString()).contains("built for torch 2.11.0");
    assertThat(t.properties()).containsEntry("PYTORCH_LIBRARY_PATH", lib.toString())
        .containsEntry("PYTORCH_VERSION", "2.11.0").containsEntry("PYTORCH_FLAVOR", "cu130")
        .containsEntry("ENGINE_CACHE_DIR", cache().toString())
        .containsEntry("jna.library.path", cudart.toString());
  }

  @Test
  void theJarsTorchVersionUsesTheJarsJniInItsFlavoursOnly() throws IOException {
    Path lib = pipTorch(Libtorch.JAR_TORCH_VERSION + "+cu126");
    Libtorch cpu = new Libtorch(lib.toString(), "", "cpu", "", cache().toString());
    assertThat(cpu.jniFromJar()).isTrue();
    assertThat(cpu.check()).contains("JNI of the pytorch-jni jar");
    Libtorch cu126 = new Libtorch(lib.toString(), "", "cu126", "", cache().toString());
    assertThatThrownBy(cu126::check).isInstanceOf(ModelError.class)
        .hasMessageContaining("flavor = cu126").hasMessageContaining("[cpu, cu128]");
  }

  @Test
  void aFolderWithoutLibtorchFailsNamingTheKey() {
    Libtorch t = new Libtorch(tmp.toString(), "2.11.0", "cpu", "", "");
    assertThatThrownBy(t::check).isInstanceOf(ModelError.class)
        .hasMessageContaining("finerewards.models.libtorch.path = " + tmp).hasMessageContaining("no libtorch.so");
  }

  @Test
  void theDefaultIsTheNativeJarAndSetsNothing() {
    ModelsConfig m = ModelsConfig.from(PipelineConfigLoader.section(
        new PipelineConfigLoader().load(null, List.of()), ModelsConfig.SECTION));
    assertThat(m.libtorch()).isEqualTo(Libtorch.fromJar());
    assertThat(m.libtorch().properties()).isEmpty();
    assertThat(m.libtorch().check()).contains("pytorch-native jar");
  }

  @Test
  void aBadFlavorIsAConfigErrorNamingTheKey() {
    assertThatThrownBy(() -> ModelsConfig.from(PipelineConfigLoader.section(
            new PipelineConfigLoader().load(null, List.of("models.libtorch.flavor=cuda")), ModelsConfig.SECTION)))
        .isInstanceOf(ConfigError.class).hasMessageContaining("finerewards.models.libtorch.flavor = cuda");
  }

  @Test
  void anInstalledLibtorchAfterTheEngineLoadedTheJarsIsRefusedBeforeSettingAnything() throws IOException {
    ai.djl.engine.Engine.getEngine("PyTorch"); // loads the pytorch-native jar's libtorch, as a stray NDArray would
    Path lib = pipTorch(Libtorch.JAR_TORCH_VERSION + "+cpu");
    Libtorch t = new Libtorch(lib.toString(), "", "cpu", "", cache().toString());
    assertThatThrownBy(t::apply).isInstanceOf(ModelError.class)
        .hasMessageContaining("already loaded").hasMessageContaining("libtorch.so");
    assertThat(System.getProperty("PYTORCH_LIBRARY_PATH")).isNull();
  }
}

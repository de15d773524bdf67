package ai.finerewards.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.List;
import org.junit.jupiter.api.Test;

class DevicesTest {
  @Test
  void cpuPolicyAndNoVisibleGpuGiveTheCpu() {
    assertThat(Devices.choose("cpu", List.of("0"), 4)).isEqualTo(Device.cpu());
    assertThat(Devices.choose("auto", List.of("0"), 0)).isEqualTo(Device.cpu());
  }

  @Test
  void theTasksGpuAddressPicksTheGpu() {
    assertThat(Devices.choose("auto", List.of("1"), 2)).isEqualTo(Device.gpu(1));
    assertThat(Devices.choose("gpu", List.of("0", "1"), 2)).isEqualTo(Device.gpu(0));
    assertThat(Devices.choose("auto", List.of(), 2)).isEqualTo(Device.gpu(0));
    // An isolated container sees its one GPU as ordinal 0 whatever Spark's address.
    assertThat(Devices.choose("auto", List.of("3"), 1)).isEqualTo(Device.gpu(0));
  }

  @Test
  void impossibleChoicesFailClearly() {
    assertThatThrownBy(() -> Devices.choose("gpu", List.of(), 0))
        .hasMessageContaining("finerewards.models.device = gpu")
        .hasMessageContaining("no GPU");
    assertThatThrownBy(() -> Devices.choose("auto", List.of("5"), 2))
        .hasMessageContaining("address 5")
        .hasMessageContaining("sees 2 GPUs");
    assertThatThrownBy(() -> Devices.choose("auto", List.of("GPU-ab12"), 2))
        .hasMessageContaining("'GPU-ab12'");
    assertThatThrownBy(() -> Devices.choose("tpu", List.of(), 2))
        .hasMessageContaining("expected auto, cpu or gpu");
  }

  @Test
  void theEngineDecidesWhatIsVisible() {
    int gpus = Engine.getEngine("PyTorch").getGpuCount();
    assertThat(Devices.choose("auto", List.of("0")))
        .isEqualTo(gpus == 0 ? Device.cpu() : Device.gpu(0));
  }
}

"""Part (c) of the device check (docs/gpu.md): a random-weight UNet of Stable Diffusion 1.5's real
configuration, traced on the device, saved, loaded back as TorchScript and timed from PyTorch the
way DeviceCheck's `unet` command times it from Java (same file, shapes, warm-up and step count).

    python sd15_unet.py OUT.pt [--side 512] [--batch 8] [--steps 25] [--device cuda] [--tiny]

--tiny keeps SD 1.5's block types and cross-attention width but 2 small blocks, for the CPU
rehearsal. Prints one line starting with PYTHON. Writes only OUT.pt (3.4 GB at full size).
"""
import argparse
import time

import torch
from diffusers import UNet2DConditionModel

# unet/config.json of the SD 1.5 snapshot (stable-diffusion-v1-5), architecture fields only (as
# pipeline-core/src/test/python/export_sd15_unet_random.py).
SD15_UNET = dict(
    act_fn="silu", attention_head_dim=8, block_out_channels=[320, 640, 1280, 1280], center_input_sample=False,
    cross_attention_dim=768, down_block_types=["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"], downsample_padding=1,
    flip_sin_to_cos=True, freq_shift=0, in_channels=4, layers_per_block=2, mid_block_scale_factor=1, norm_eps=1e-5,
    norm_num_groups=32, out_channels=4, sample_size=64, up_block_types=["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
)
TINY = dict(SD15_UNET, block_out_channels=[32, 64], down_block_types=["CrossAttnDownBlock2D", "DownBlock2D"],
            up_block_types=["UpBlock2D", "CrossAttnUpBlock2D"], layers_per_block=1, sample_size=8)


class UNetCall(torch.nn.Module):
    """(sample, timestep, encoder_hidden_states) -> noise prediction, the exporter's UNet signature."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]


def used_mib(device):
    if device.type != "cuda":
        return 0
    free, total = torch.cuda.mem_get_info(device)
    return (total - free) >> 20


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--side", type=int, default=512)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--device", default="cuda")
    p.add_argument("--tiny", action="store_true")
    a = p.parse_args()
    device = torch.device(a.device)
    torch.manual_seed(0)
    lat = a.side // 8
    with torch.no_grad():
        unet = UNet2DConditionModel(**(TINY if a.tiny else SD15_UNET)).eval().to(device)
        params = sum(t.numel() for t in unet.parameters())
        example = (torch.randn(a.batch, 4, lat, lat, device=device), torch.full((a.batch,), 999.0, device=device),
                   torch.randn(a.batch, 77, 768, device=device))
        t0 = time.perf_counter()
        torch.jit.trace(UNetCall(unet), example).save(a.out)
        trace = time.perf_counter() - t0
        del unet
        if device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)
        t0 = time.perf_counter()
        m = torch.jit.load(a.out, map_location=device).eval()
        load = time.perf_counter() - t0
        sample, _, text = example
        first = timed = 0.0
        peak = 0
        for i in range(-2, a.steps):  # calls -2 and -1 warm up, as in Java
            ts = torch.full((a.batch,), 999.0 - max(i, 0) * (999.0 / a.steps), device=device)
            s = time.perf_counter()
            out = m(sample, ts, text)
            out[0, 0, 0, 0].item()  # waits for the device
            sec = time.perf_counter() - s
            if i == -2:
                first = sec
            elif i >= 0:
                timed += sec
            assert tuple(out.shape) == (a.batch, 4, lat, lat), out.shape
            del out
            peak = max(peak, used_mib(device))
    per_step = timed / a.steps
    allocated = torch.cuda.max_memory_allocated(device) >> 20 if device.type == "cuda" else 0
    print(f"PYTHON sd15-unet {a.side}x{a.side} batch {a.batch}, {a.steps} steps: load {load:.1f} s, first call"
          f" {first:.2f} s, {per_step:.4f} s per step, {a.batch / (per_step * a.steps):.3f} images/s, peak device"
          f" memory used {peak} MiB (torch {torch.__version__}, {params / 1e6:.0f}M parameters, traced in"
          f" {trace:.1f} s, torch's own peak allocation {allocated} MiB)")


if __name__ == "__main__":
    main()

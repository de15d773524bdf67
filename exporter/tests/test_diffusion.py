"""diffusion family: TorchScript parity with diffusers on the goldens, regeneration, LoRA round trips."""

from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

EXPORTER_DIR = Path(__file__).resolve().parents[1]
if str(EXPORTER_DIR) not in sys.path:  # tests import the package from the source tree
    sys.path.insert(0, str(EXPORTER_DIR))

from finerewards_export import diffusion, diffusion_golden, diffusion_lora, diffusion_tiny  # noqa: E402

COMMITTED = EXPORTER_DIR.parent / "models" / "tiny" / "diffusion"
ATOL = 1e-5


def _g(model_dir: Path, case: str) -> dict[str, torch.Tensor]:
    return load_file(str(model_dir / "golden" / f"{case}.safetensors"))


def _gj(model_dir: Path, case: str) -> dict:
    return json.loads((model_dir / "golden" / f"{case}.json").read_text())


_F32_EPS = float(torch.finfo(torch.float32).eps)  # one float32 ulp of 1


def _diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, f"shape {tuple(a.shape)} != {tuple(b.shape)}"
    return (a.double() - b.double()).abs().max().item()


def _jit(model_dir: Path, name: str):
    return torch.jit.load(str(model_dir / f"{name}.pt"), map_location="cpu").eval()


def _set_lora(traced_unet, manifest: dict, state: dict[str, torch.Tensor]) -> None:
    params = dict(traced_unet.named_parameters())
    with torch.no_grad():
        for entry in manifest["extra"]["lora"]["parameters"]:
            params[entry["torchscript_name"]].copy_(state[entry["diffusers_key"]])


@pytest.fixture(autouse=True)
def _plain_executor():
    """Run TorchScript without the profiling optimizer: each new input shape would otherwise be
    re-profiled and re-optimized, which costs far more than these tiny forwards."""
    with torch.jit.optimized_execution(False):
        yield


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A fresh build of the tiny model and its goldens (the documented regeneration)."""
    return Path(diffusion.build_tiny(str(tmp_path_factory.mktemp("tiny"))))


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    """The tiny model as a diffusers snapshot directory, as build_tiny writes it."""
    torch.manual_seed(diffusion_tiny.SEED)
    return Path(diffusion_tiny.write_snapshot(str(tmp_path_factory.mktemp("snap"))))


@pytest.fixture(scope="module")
def eager(snapshot):
    text_encoder, unet, vae, tokenizer, _ = diffusion.load_snapshot(str(snapshot))
    diffusion_lora.add_lora(unet, diffusion_tiny.LORA_RANK, diffusion.LORA_SEED)
    for m in (text_encoder, unet, vae):
        m.eval()
    return text_encoder, unet, vae, tokenizer


@pytest.fixture(scope="module")
def traced() -> dict:
    """The committed TorchScript files, loaded once for the tests that only run them."""
    return {n: _jit(COMMITTED, n) for n in ("text_encoder", "unet", "vae_encoder", "vae_decoder")}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((COMMITTED / "manifest.json").read_text())


# ---------------------------------------------------------------- TorchScript vs eager goldens


@pytest.mark.parametrize("model_dir", ["committed", "built"])
def test_torchscript_files_reproduce_component_goldens(model_dir, built, manifest):
    d = COMMITTED if model_dir == "committed" else built
    with torch.no_grad():
        g = _g(COMMITTED, "text_encoder")
        assert _diff(_jit(d, "text_encoder")(g["input_ids"]), g["last_hidden_state"]) <= ATOL

        g = _g(COMMITTED, "unet")
        unet = _jit(d, "unet")
        assert _diff(unet(g["sample"], g["timestep"], g["encoder_hidden_states"]), g["out_lora_zero"]) <= ATOL
        _set_lora(unet, manifest, _g(COMMITTED, "lora_nonzero"))
        out = unet(g["sample"], g["timestep"], g["encoder_hidden_states"])
        assert _diff(out, g["out_lora_nonzero"]) <= ATOL
        assert _diff(out, g["out_lora_zero"]) > 1e-3, "the nonzero LoRA must change the output"

        g = _g(COMMITTED, "vae_decoder")
        assert _diff(_jit(d, "vae_decoder")(g["latents"]), g["image"]) <= ATOL

        g = _g(COMMITTED, "vae_encoder")
        mean, logvar = _jit(d, "vae_encoder")(g["image"])
        assert _diff(mean, g["latent_mean"]) <= ATOL
        assert _diff(logvar, g["latent_logvar"]) <= ATOL


def test_traced_files_accept_other_batches_sizes_and_timestep_forms(eager, traced):
    """Tracing fixes some shapes; these are the variations the Java side relies on."""
    text_encoder, unet, vae, _ = eager
    g = torch.Generator().manual_seed(7)
    te, tu, tenc, tdec = (traced[n] for n in ("text_encoder", "unet", "vae_encoder", "vae_decoder"))
    with torch.no_grad():
        for b in (1, 3, 4):  # traced at batch 2
            ids = torch.randint(0, text_encoder.config.vocab_size, (b, 77), generator=g)
            assert _diff(te(ids), text_encoder(ids)[0]) <= ATOL
            x, states = torch.randn(b, 4, 8, 8, generator=g), torch.randn(b, 77, 32, generator=g)
            t = torch.randint(0, 1000, (b,), generator=g)
            expected = unet(x, t, states).sample
            assert _diff(tu(x, t.float(), states), expected) <= ATOL  # float32 [B], the documented form
            assert _diff(tu(x, t, states), expected) <= ATOL  # int64 [B] gives the same
        x, states = torch.randn(2, 4, 8, 8, generator=g), torch.randn(2, 77, 32, generator=g)
        assert _diff(tu(x, torch.tensor(500.0), states), unet(x, 500, states).sample) <= ATOL  # 0-dim broadcasts
        x, states = torch.randn(2, 4, 16, 8, generator=g), torch.randn(2, 77, 32, generator=g)  # other latent size
        assert _diff(tu(x, torch.tensor([3.0, 900.0]), states), unet(x, torch.tensor([3, 900]), states).sample) <= ATOL
        image = torch.rand(3, 3, 128, 64, generator=g) * 2 - 1
        dist = vae.encode(image).latent_dist
        mean, logvar = tenc(image)
        assert _diff(mean, dist.mean) <= ATOL and _diff(logvar, dist.logvar) <= ATOL
        z = torch.randn(3, 4, 16, 8, generator=g)
        assert _diff(tdec(z), vae.decode(z).sample) <= ATOL


def test_files_name_no_fixed_device():
    """Device constants of the trace were rewritten to the inputs' device (CPU files run on GPU)."""
    from finerewards_export.device_agnostic import fixed_devices_in_file

    for name in ("text_encoder", "unet", "vae_encoder", "vae_decoder"):
        assert fixed_devices_in_file(str(COMMITTED / f"{name}.pt")) == [], name


def test_traced_unet_exposes_lora_as_trainable_named_parameters(manifest, traced):
    unet = traced["unet"]
    params = dict(unet.named_parameters())
    table = manifest["extra"]["lora"]["parameters"]
    assert len(table) == 64  # 4 transformer blocks (1 down, 1 mid, 2 up) x attn1/attn2 x 4 projections x A/B
    for entry in table:
        p = params[entry["torchscript_name"]]
        assert list(p.shape) == entry["shape"]
        assert p.requires_grad, entry["torchscript_name"]
        assert entry["diffusers_key"] == entry["torchscript_name"].replace(".default.", ".")
        if entry["matrix"] == "B":
            assert torch.count_nonzero(p) == 0, "B starts at zero so round 0 is the base model"
        else:
            assert 0.1 < p.std().item() < 0.5, "A is gaussian with std 1/rank"
    frozen = [n for n, p in params.items() if ".lora_" not in n]
    assert frozen and not any(params[n].requires_grad for n in frozen)
    lora = manifest["extra"]["lora"]
    assert (lora["rank"], lora["alpha"], lora["scaling"]) == (4, 4, 1.0)
    assert lora["target_modules"] == ["to_k", "to_q", "to_v", "to_out.0"]


def test_manifest_describes_the_model(manifest):
    assert manifest["family"] == "diffusion" and manifest["dtype"] == "float32"
    assert manifest["torch_version"] == "2.7.1"
    cfg = manifest["config"]
    assert cfg["vae_scaling_factor"] == pytest.approx(0.18215)
    assert (cfg["latent_channels"], cfg["vae_scale_factor"], cfg["sample_size"], cfg["height"]) == (4, 8, 8, 64)
    assert cfg["prediction_type"] == "epsilon" and cfg["text_max_length"] == 77
    comps = manifest["components"]
    assert [i["name"] for i in comps["unet"]["inputs"]] == ["sample", "timestep", "encoder_hidden_states"]
    assert comps["unet"]["inputs"][1] == {"name": "timestep", "shape": [-1], "dtype": "float32"}
    assert comps["text_encoder"]["inputs"][0] == {"name": "input_ids", "shape": [-1, 77], "dtype": "int64"}
    assert [o["name"] for o in comps["vae_encoder"]["outputs"]] == ["latent_mean", "latent_logvar"]
    for c in comps.values():
        assert (COMMITTED / c["file"]).is_file()
    tok = manifest["preprocessing"]["tokenizer"]
    assert tok["pad_token_id"] == tok["eos_token_id"] == tok["bos_token_id"] + 1
    assert len(manifest["source"]["weights_sha256"]) == 64


def test_scheduler_config_is_the_sd15_file():
    cfg = json.loads((COMMITTED / "scheduler_config.json").read_text())
    assert cfg == diffusion_tiny.SD15_SCHEDULER_CONFIG


# ---------------------------------------------------------------- regeneration


def _assert_same_json(a, b, where: str) -> None:
    if isinstance(a, float) or isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-5), f"{where}: {a} != {b}"
    elif isinstance(a, dict):
        assert sorted(a) == sorted(b), f"{where}: keys differ"
        for k in a:
            _assert_same_json(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same_json(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


FLOAT32_EPS = 2.0 ** -23


def _regeneration_error(name, key, a, b):
    """(max |a - b|, its tolerance) for a regenerated golden tensor against the committed one.

    The goldens were computed once on one machine; this one may run other kernels (tests/conftest.py
    pins them, which makes that rarer, not impossible). One float32 forward differs across kernels by
    a few units in the last place (ulps) of the largest values it touches (1e-6 on the unet golden),
    so a single forward gets ATOL plus 8 ulps of the tensor's largest value. A sampler trajectory
    (pipeline_*/latents, one row per scheduler step) feeds each step's difference into the next;
    measured per step against the committed goldens, the difference stays at 7 to 15 ulps of that
    step's largest latent for all four schedulers (DDIM 13, Euler 15, DPM-Solver++ 10, PNDM 9, with
    and without the pins, on an AVX-512 Xeon; the AMD EPYC report, 3.77e-5 on DDIM's last step,
    latents up to 26, is 12): the schedulers do not amplify it, the latents grow. So each step gets
    ATOL plus 32 ulps of its own largest latent, twice the worst measured.
    """
    diff = (a - b).abs()
    if name.startswith("pipeline_") and key == "latents":
        per_step = diff.flatten(1).amax(1)
        tol = ATOL + 32 * FLOAT32_EPS * b.abs().flatten(1).amax(1)
        k = int((per_step - tol).argmax())
        return per_step[k].item(), tol[k].item()
    return diff.max().item(), ATOL + 8 * FLOAT32_EPS * b.abs().max().item()


def test_regeneration_reproduces_committed_goldens(built):
    new, old = built / "golden", COMMITTED / "golden"
    names = sorted(p.name for p in old.iterdir())
    assert sorted(p.name for p in new.iterdir()) == names
    for name in names:
        if name.endswith(".safetensors"):
            a, b = load_file(str(new / name)), load_file(str(old / name))
            assert sorted(a) == sorted(b), name
            for k in a:
                assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, f"{name}/{k}"
                if a[k].is_floating_point():
                    err, tol = _regeneration_error(name, k, a[k].double(), b[k].double())
                    assert err <= tol, f"{name}/{k} differs from committed: {err:.3g} > {tol:.3g}"
                else:
                    assert torch.equal(a[k], b[k]), f"{name}/{k} differs from committed"
        elif name.endswith(".json"):
            pixel_hashes = "pixels_uint8_sha256"
            ja, jb = json.loads((new / name).read_text()), json.loads((old / name).read_text())
            ja.pop(pixel_hashes, None), jb.pop(pixel_hashes, None)  # PNGs are compared below, within 1 level
            _assert_same_json(ja, jb, name)
        elif name.endswith(".png"):
            pa = np.asarray(Image.open(new / name), dtype=np.int16)
            pb = np.asarray(Image.open(old / name), dtype=np.int16)
            assert pa.shape == pb.shape == (64, 64, 3) and np.abs(pa - pb).max() <= 1, name
        else:
            assert (new / name).read_bytes() == (old / name).read_bytes(), name


def test_regeneration_reproduces_committed_model_files(built):
    for name in ("tokenizer.json", "scheduler_config.json"):
        assert (built / name).read_bytes() == (COMMITTED / name).read_bytes(), name
    # The files table (SHA-256 per file) is written by the CLI after the build and holds the .pt zip
    # hashes, which depend on the installed diffusers' source paths: test_file_hashes checks it.
    fresh, committed = (json.loads((d / "manifest.json").read_text()) for d in (built, COMMITTED))
    committed.pop("files", None)
    _assert_same_json(fresh, committed, "manifest")
    for name in ("text_encoder", "unet", "vae_encoder", "vae_decoder"):
        # The zip bytes hold source paths of the installed diffusers, so compare the weights instead.
        a, b = dict(_jit(built, name).named_parameters()), dict(_jit(COMMITTED, name).named_parameters())
        assert sorted(a) == sorted(b), name
        assert all(torch.equal(a[k], b[k]) for k in a), f"{name}: regenerated weights differ"


# ---------------------------------------------------------------- pipelines and schedulers


@pytest.mark.parametrize("name", sorted(diffusion_golden.SCHEDULERS))
def test_denoising_with_traced_files_follows_the_pipeline_golden(name, traced):
    """The recipe the Java sampler follows (manifest + golden README), run on the TorchScript files."""
    import diffusers

    inputs, g, meta = _g(COMMITTED, "pipeline_inputs"), _g(COMMITTED, f"pipeline_{name}"), _gj(COMMITTED, f"pipeline_{name}")
    manifest = json.loads((COMMITTED / "manifest.json").read_text())
    config = json.loads((COMMITTED / "scheduler_config.json").read_text())
    sched = getattr(diffusers, diffusion_golden.SCHEDULERS[name]).from_config(config)
    sched.set_timesteps(meta["num_inference_steps"])
    assert sched.timesteps.tolist() == meta["timesteps"]
    te, unet, dec = traced["text_encoder"], traced["unet"], traced["vae_decoder"]
    with torch.no_grad():
        states = torch.cat([te(inputs["negative_ids"]), te(inputs["prompt_ids"])])
        latents = inputs["initial_latents"] * sched.init_noise_sigma
        for i, t in enumerate(sched.timesteps):
            x = sched.scale_model_input(torch.cat([latents] * 2), t)
            uncond, text = unet(x, t.float().expand(x.shape[0]), states).chunk(2)
            latents = sched.step(uncond + meta["guidance_scale"] * (text - uncond), t, latents).prev_sample
            # The golden ran diffusers' pipeline on the eager modules; this loop runs the traced
            # files, whose kernels sum in another order: a few ulps of the values each step touches,
            # carried forward by the scheduler relative to the latents, which grow to 44. So the
            # bound is relative to the step's largest latent, as in StableDiffusionSamplerParityTest:
            # 1e-5 plus 32 float32 ulps of 1 times it. Measured on an AVX-512 Xeon: at most 15.5 such
            # ulps with the conftest pins (Euler, 8.1e-5 at 44), 14.6 without them (AVX-512 kernels,
            # 2 threads). The old flat 1e-4 left Euler 1.2x headroom; at 44 this bound is 1.8e-4,
            # and at the first steps' latents (4.7) it is 2.8e-5, tighter than before.
            scale = g["latents"][i].abs().max().item()
            assert _diff(latents, g["latents"][i]) <= 1e-5 + 32 * _F32_EPS * scale, f"{name} step {i}"
        image = dec(latents / manifest["config"]["vae_scaling_factor"])
        image = (image / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1)
    # Pixels in [0, 1] after one decoder forward of latents carrying the error above: the decoder
    # shrinks it (measured 1.8e-6 at most, from latent errors up to 8.1e-5), so 1e-4 is 54x the worst
    # measured; a wrong decode or recipe is off by O(0.1).
    assert _diff(image, g["image"]) <= 1e-4
    png = np.asarray(Image.open(io.BytesIO((COMMITTED / "golden" / meta["png_files"][0]).read_bytes())))
    assert np.array_equal(png, (g["image"][0].numpy() * 255).round().astype(np.uint8))


def test_scheduler_goldens_follow_the_documented_loop():
    import diffusers

    for name in diffusion_golden.SCHEDULERS:
        for steps in diffusion_golden.SCHEDULER_STEPS:
            meta, g = _gj(COMMITTED, f"scheduler_{name}_{steps}"), _g(COMMITTED, f"scheduler_{name}_{steps}")
            sched = getattr(diffusers, meta["scheduler"]).from_config(meta["config"])
            sched.set_timesteps(steps)
            assert sched.timesteps.tolist() == meta["timesteps"]
            assert torch.equal(g["sample"], diffusion_golden.deterministic_sample())
            x = g["sample"] * sched.init_noise_sigma
            for i, t in enumerate(sched.timesteps):
                x = sched.step(diffusion_golden.fake_model(sched.scale_model_input(x, t), t), t, x).prev_sample
                # Same diffusers code as the golden's, so only the kernels differ: a step is a few
                # elementwise float32 ops (an ulp or two each, where ATen's vectorised sqrt/pow
                # round differently), and the fake model's ODE contracts, so earlier steps' rounding
                # does not grow. Bound: 16 ulps of the step's largest value (values run from 0.5 to
                # 9.1). Measured on an AVX-512 Xeon, in units of that: at most 5.6 with the conftest
                # pins, 9.2 without them (pndm, 50 steps). The old flat 1e-6 was under one ulp of the
                # largest values and failed unpinned (1.9e-6 on 9.1, i.e. 1.75 of these units).
                want = g["prev_samples"][i]
                assert _diff(x, want) <= 16 * _F32_EPS * want.abs().max().item(), f"{name} {steps} step {i}"
            assert g["prev_samples"].shape[0] == len(meta["timesteps"])
            # The sum over the sample of elements each within the bound above, relative; measured
            # 8e-8 pinned, 4e-7 unpinned.
            assert x.double().sum().item() == pytest.approx(meta["final_sum"], rel=1e-6)
    pndm = _gj(COMMITTED, "scheduler_pndm_10")["timesteps"]
    assert len(pndm) == 11 and pndm[1] == pndm[2], "PLMS repeats its second timestep"


# ---------------------------------------------------------------- LoRA


def test_lora_file_loads_with_diffusers_load_lora_weights(snapshot):
    """golden/lora_nonzero.safetensors uses diffusers' key layout: load_lora_weights reads it as is."""
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(str(snapshot), safety_checker=None, requires_safety_checker=False)
    pipe.load_lora_weights(str(COMMITTED / "golden"), weight_name="lora_nonzero.safetensors")
    g = _g(COMMITTED, "unet")
    with torch.no_grad():
        out = pipe.unet(g["sample"], g["timestep"], g["encoder_hidden_states"]).sample
    assert _diff(out, g["out_lora_nonzero"]) <= ATOL


def test_training_the_traced_unet_reproduces_the_lora_golden(manifest):
    """Training LoRA through the TorchScript file (as Java does) matches eager diffusers training."""
    g, meta = _g(COMMITTED, "lora_train"), _gj(COMMITTED, "lora_train")
    unet = _jit(COMMITTED, "unet")
    params = dict(unet.named_parameters())
    table = manifest["extra"]["lora"]["parameters"]
    trainable = [params[e["torchscript_name"]] for e in table]
    for e in table:
        assert torch.equal(params[e["torchscript_name"]], g[f"step0/{e['diffusers_key']}"])
    opt_cfg = meta["adamw"]
    opt = torch.optim.AdamW(
        trainable, lr=opt_cfg["lr"], betas=tuple(opt_cfg["betas"]), eps=opt_cfg["eps"],
        weight_decay=opt_cfg["weight_decay"], foreach=False,
    )
    for step in range(1, meta["steps"] + 1):
        opt.zero_grad()
        pred = unet(g["noisy_latents"], g["timesteps"].float(), g["encoder_hidden_states"])
        loss = torch.nn.functional.mse_loss(pred, g["noise"])
        loss.backward()
        opt.step()
        assert loss.item() == pytest.approx(meta["losses"][step - 1], rel=1e-5)
        for e in table:
            key = e["diffusers_key"]
            assert _diff(params[e["torchscript_name"]], g[f"step{step}/{key}"]) <= 1e-6, f"step {step} {key}"
    moved = [_diff(g[f"step3/{e['diffusers_key']}"], g[f"step0/{e['diffusers_key']}"]) for e in table]
    assert min(moved) > 1e-4, "every LoRA matrix moves within three steps"

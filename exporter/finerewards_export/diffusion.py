"""The ``diffusion`` family: a diffusers Stable Diffusion 1.x snapshot to four TorchScript files.

Output directory ``<out>/diffusion/``:
- ``text_encoder.pt``  input_ids int64 [B,77] -> last_hidden_state [B,77,H]
- ``unet.pt``          (sample [B,4,h,w], timestep float32 [B], encoder_hidden_states [B,77,H]) -> model output
                       [B,4,h,w], with LoRA (B = 0) on to_q/to_k/to_v/to_out.0 as named parameters
- ``vae_encoder.pt``   image [B,3,H,W] in [-1,1] -> (latent mean, latent logvar) [B,4,H/8,W/8], unscaled
- ``vae_decoder.pt``   unscaled latents [B,4,h,w] (divide by vae_scaling_factor first) -> image [B,3,8h,8w] in [-1,1]
- ``scheduler_config.json`` (the snapshot's, verbatim), ``tokenizer.json``, ``manifest.json``

Scaling by the VAE's ``scaling_factor`` is left to the caller on both sides, as in diffusers'
pipeline and training scripts, so each file computes exactly one diffusers call (and is checked
against that call after reloading).
"""

from __future__ import annotations

import json
import os
import shutil

import torch
from diffusers.models.autoencoders.vae import DiagonalGaussianDistribution

from . import diffusion_lora as lora
from .device_agnostic import fixed_devices_in_file, make_device_agnostic
from .errors import ExportError, require_dir, require_file, require_safetensors
from .manifest import ComponentSpec, Manifest, TensorSpec, state_dict_sha256, write_manifest
from .tokenizers_tiny import save_tokenizer
from .tracing import trace_and_save, verify_traced

FAMILY = "diffusion"
ARCHITECTURE = "stable-diffusion-1.x"
TEXT_MAX_LENGTH = 77
LORA_SEED = 0  # seed for LoRA A initialisation, so two exports of one checkpoint are identical
_DTYPES = {"float32": torch.float32, "float16": torch.float16}
_TOLERANCE = {"float32": 1e-5, "float16": 1e-2}
# model_index.json entry each component must have: (library, accepted class names)
_EXPECTED = {
    "text_encoder": ("transformers", ("CLIPTextModel",)),
    "tokenizer": ("transformers", ("CLIPTokenizer", "CLIPTokenizerFast")),
    "unet": ("diffusers", ("UNet2DConditionModel",)),
    "vae": ("diffusers", ("AutoencoderKL",)),
    "scheduler": ("diffusers", None),
}


class TextEncoderForExport(torch.nn.Module):
    """CLIP text model without attention mask (SD 1.x passes none) returning last_hidden_state."""

    def __init__(self, text_encoder):
        super().__init__()
        self.text_encoder = text_encoder

    def forward(self, input_ids):
        return self.text_encoder(input_ids, return_dict=False)[0]


class UNetForExport(torch.nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet  # the attribute name is the "unet." prefix of the traced parameter names

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]


class VaeEncoderForExport(torch.nn.Module):
    """AutoencoderKL.encode(image).latent_dist as (mean, clamped logvar).

    Holds only the encoder half so the file does not carry the decoder's weights.
    """

    def __init__(self, vae):
        super().__init__()
        self.encoder = vae.encoder
        self.quant_conv = vae.quant_conv  # None when the VAE config has use_quant_conv = False

    def forward(self, image):
        moments = self.encoder(image)
        if self.quant_conv is not None:
            moments = self.quant_conv(moments)
        dist = DiagonalGaussianDistribution(moments)
        return dist.mean, dist.logvar


class VaeDecoderForExport(torch.nn.Module):
    """AutoencoderKL.decode(latents).sample, holding only the decoder half."""

    def __init__(self, vae):
        super().__init__()
        self.post_quant_conv = vae.post_quant_conv
        self.decoder = vae.decoder

    def forward(self, latents):
        if self.post_quant_conv is not None:
            latents = self.post_quant_conv(latents)
        return self.decoder(latents)


def _diffusers_reference(name: str, module: torch.nn.Module, vae):
    """What each traced file is checked against: the diffusers call itself, not our wrapper."""
    if name == "vae_encoder":
        return lambda image: (lambda d: (d.mean, d.logvar))(vae.encode(image).latent_dist)
    if name == "vae_decoder":
        return lambda latents: vae.decode(latents, return_dict=False)[0]
    return module


# ---------------------------------------------------------------- snapshot checks and loading


def check_snapshot(checkpoint: str) -> dict:
    """Validate a diffusers SD 1.x snapshot before loading anything; return its model_index."""
    require_dir(checkpoint, "checkpoint directory")
    index_path = os.path.join(checkpoint, "model_index.json")
    if not os.path.isfile(index_path):
        raise ExportError(
            f"checkpoint directory {checkpoint} has no model_index.json: expected a diffusers "
            f"Stable Diffusion snapshot (single-file .ckpt/.safetensors checkpoints are not supported)"
        )
    index = _read_json(index_path)
    cls = index.get("_class_name")
    if cls != "StableDiffusionPipeline":
        raise ExportError(
            f"unsupported architecture: {index_path} has _class_name {cls!r}; expected 'StableDiffusionPipeline' "
            f"(Stable Diffusion 1.x)"
        )
    for comp, (library, classes) in _EXPECTED.items():
        entry = index.get(comp)
        if not isinstance(entry, list) or len(entry) != 2:
            raise ExportError(f"{index_path}: component {comp!r} missing; expected [library, class]")
        if entry[0] != library or (classes is not None and entry[1] not in classes):
            want = f"[{library!r}, one of {list(classes)}]" if classes else f"[{library!r}, <scheduler>]"
            raise ExportError(
                f"unsupported architecture: {index_path} component {comp!r} is {entry}; expected {want} "
                f"(custom component code is never loaded)"
            )
    unet_cfg_path = require_file(os.path.join(checkpoint, "unet", "config.json"), "UNet config")
    unet_cfg = _read_json(unet_cfg_path)
    te_cfg = _read_json(require_file(os.path.join(checkpoint, "text_encoder", "config.json"), "text encoder config"))
    for key, want in (("in_channels", 4), ("addition_embed_type", None), ("class_embed_type", None)):
        if unet_cfg.get(key, want) != want:
            raise ExportError(
                f"unsupported architecture: {unet_cfg_path} has {key} = {unet_cfg.get(key)!r}; expected {want!r} "
                f"(SD 1.x text-to-image UNet; SDXL, inpainting and upscaler UNets are not supported)"
            )
    if unet_cfg.get("cross_attention_dim") != te_cfg.get("hidden_size"):
        raise ExportError(
            f"unsupported architecture: {unet_cfg_path} cross_attention_dim {unet_cfg.get('cross_attention_dim')} "
            f"!= text encoder hidden_size {te_cfg.get('hidden_size')}"
        )
    for comp in ("text_encoder", "unet", "vae"):
        require_safetensors(os.path.join(checkpoint, comp), f"{comp} weights folder")
    require_file(os.path.join(checkpoint, "scheduler", "scheduler_config.json"), "scheduler config")
    return index


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ExportError(f"{path} is not valid JSON: {e}") from e


def _variant(component_dir: str, weights_name: str) -> str | None:
    """``None`` when the plain weights file exists, else the variant (e.g. ``fp16``) that does."""
    if os.path.isfile(os.path.join(component_dir, weights_name)):
        return None
    stem = weights_name[: -len(".safetensors")]
    for name in sorted(os.listdir(component_dir)):
        if name.startswith(stem + ".") and name.endswith(".safetensors") and name.count(".") == 2:
            return name.split(".")[1]
    raise ExportError(f"{component_dir}: expected {weights_name} (or a variant such as {stem}.fp16.safetensors)")


def load_snapshot(checkpoint: str):
    """Load text encoder, UNet, VAE (float32, safetensors only), tokenizer and scheduler config."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizerFast

    check_snapshot(checkpoint)
    te_dir, unet_dir, vae_dir = (os.path.join(checkpoint, c) for c in ("text_encoder", "unet", "vae"))
    text_encoder = CLIPTextModel.from_pretrained(
        te_dir, use_safetensors=True, torch_dtype=torch.float32, variant=_variant(te_dir, "model.safetensors")
    )
    unet = UNet2DConditionModel.from_pretrained(
        unet_dir, use_safetensors=True, torch_dtype=torch.float32,
        variant=_variant(unet_dir, "diffusion_pytorch_model.safetensors"),
    )
    vae = AutoencoderKL.from_pretrained(
        vae_dir, use_safetensors=True, torch_dtype=torch.float32,
        variant=_variant(vae_dir, "diffusion_pytorch_model.safetensors"),
    )
    tokenizer = CLIPTokenizerFast.from_pretrained(os.path.join(checkpoint, "tokenizer"))
    scheduler_path = os.path.join(checkpoint, "scheduler", "scheduler_config.json")
    return text_encoder, unet, vae, tokenizer, scheduler_path


# ---------------------------------------------------------------- export


def export(
    checkpoint: str,
    out: str,
    lora_rank: int = 4,
    dtype: str = "float32",
    device: str = "cpu",
    trust_remote_code: bool = False,
    source_label: str | None = None,
) -> str:
    """Export a diffusers SD 1.x snapshot directory to ``<out>/diffusion``; returns that directory.

    ``trust_remote_code`` is accepted for CLI symmetry but never needed: only diffusers and
    transformers classes are loaded, and snapshots naming other code are refused.
    """
    if dtype not in _DTYPES:
        raise ExportError(f"--dtype {dtype!r}: expected one of {', '.join(_DTYPES)}")
    text_encoder, unet, vae, tokenizer, scheduler_path = load_snapshot(checkpoint)
    hashes = {
        "text_encoder": state_dict_sha256(text_encoder.state_dict()),
        "unet": state_dict_sha256(unet.state_dict()),
        "vae": state_dict_sha256(vae.state_dict()),
    }
    source = {
        "checkpoint": source_label or os.path.abspath(checkpoint),
        "weights_sha256": state_dict_sha256(
            {f"{c}.{k}": v for c, m in (("text_encoder", text_encoder), ("unet", unet), ("vae", vae))
             for k, v in m.state_dict().items()}
        ),
        "component_weights_sha256": hashes,
        "hash_note": "state_dict_sha256 of the float32 weights as loaded, before LoRA injection",
        "traced_on": torch.device(device).type,
    }
    lora.add_lora(unet, lora_rank, LORA_SEED)
    model_dir = os.path.join(out, FAMILY)
    export_components(text_encoder, unet, vae, tokenizer, scheduler_path, model_dir, dtype=dtype, device=device, source=source)
    return model_dir


def export_components(text_encoder, unet, vae, tokenizer, scheduler_path, out, dtype, device, source) -> Manifest:
    """Trace the four components (UNet already carrying LoRA), write all files, reload and verify."""
    torch_dtype = _DTYPES[dtype]
    os.makedirs(out, exist_ok=True)
    lora.freeze_all_but_lora(unet)
    for m in (text_encoder, vae):
        m.requires_grad_(False)
    modules = {
        "text_encoder": TextEncoderForExport(text_encoder),
        "unet": UNetForExport(unet),
        "vae_encoder": VaeEncoderForExport(vae),
        "vae_decoder": VaeDecoderForExport(vae),
    }
    for m in (text_encoder, unet, vae):
        m.to(device=device, dtype=torch_dtype).eval()

    hidden = text_encoder.config.hidden_size
    latent_ch = vae.config.latent_channels
    scale = 2 ** (len(vae.config.block_out_channels) - 1)
    side = unet.config.sample_size  # latent side the UNet was trained at
    vocab = text_encoder.config.vocab_size

    g = torch.Generator().manual_seed(1)
    # Trace at batch 2 (one prompt with classifier-free guidance); verification also runs batch 1 and 4.
    def ids(b):
        return torch.randint(0, vocab, (b, TEXT_MAX_LENGTH), generator=g).to(device)

    def rnd(*shape):
        return torch.randn(*shape, generator=g).to(device=device, dtype=torch_dtype)

    def steps(b):
        return torch.randint(0, 1000, (b,), generator=g).float().to(device)

    examples = {
        "text_encoder": [(ids(b),) for b in (2, 1, 4)],
        "unet": [(rnd(b, latent_ch, s, s), steps(b), rnd(b, TEXT_MAX_LENGTH, hidden)) for b, s in ((2, side), (1, side), (4, side), (2, side // 2))],
        "vae_encoder": [(rnd(b, 3, s * scale, s * scale).clamp(-1, 1),) for b, s in ((1, side), (2, side), (1, side // 2))],
        "vae_decoder": [(rnd(b, latent_ch, s, s),) for b, s in ((1, side), (2, side), (1, side // 2))],
    }
    files = {}
    max_diffs = {}
    for name, module in modules.items():
        path = os.path.join(out, f"{name}.pt")
        traced = trace_and_save(module, examples[name][0], path)
        # Tracing records the trace device as constants (timestep embedding, causal mask): make
        # them follow the inputs' device so one file runs on CPU and any GPU.
        make_device_agnostic(traced)
        traced.save(path)
        if fixed_devices_in_file(path):
            raise ExportError(f"{path}: device constants remain in {fixed_devices_in_file(path)}")
        reference = _diffusers_reference(name, module, vae)
        max_diffs[name] = max(verify_traced(path, reference, examples[name], _TOLERANCE[dtype], name, device=device))
        files[name] = path

    shutil.copyfile(scheduler_path, os.path.join(out, "scheduler_config.json"))
    write_tokenizer(tokenizer, out)

    manifest = _manifest(text_encoder, unet, vae, tokenizer, scheduler_path, dtype, device, source, max_diffs)
    write_manifest(out, manifest)
    return manifest


def write_tokenizer(tokenizer, out: str) -> str:
    """``tokenizer.json`` with padding to 77 with the pad token stored, so DJL pads with the right id.

    A snapshot with only vocab.json/merges.txt (as SD 1.5 ships) was converted to fast on load.
    """
    return save_tokenizer(tokenizer.backend_tokenizer, out, pad_to=TEXT_MAX_LENGTH, pad_token=str(tokenizer.pad_token))


def _manifest(text_encoder, unet, vae, tokenizer, scheduler_path, dtype, device, source, max_diffs) -> Manifest:
    hidden = text_encoder.config.hidden_size
    c = vae.config.latent_channels
    scale = 2 ** (len(vae.config.block_out_channels) - 1)
    sched = _read_json(scheduler_path)
    rank = next(iter(unet.peft_config.values())).r
    alpha = next(iter(unet.peft_config.values())).lora_alpha
    t = TensorSpec
    components = {
        "text_encoder": ComponentSpec(
            "text_encoder.pt",
            [t("input_ids", [-1, TEXT_MAX_LENGTH], "int64")],
            [t("last_hidden_state", [-1, TEXT_MAX_LENGTH, hidden], dtype)],
            "CLIP text model, no attention mask (as SD 1.x); ids padded with pad_token_id to 77. Any batch size.",
        ),
        "unet": ComponentSpec(
            "unet.pt",
            [
                t("sample", [-1, c, -1, -1], dtype),
                t("timestep", [-1], "float32"),
                t("encoder_hidden_states", [-1, TEXT_MAX_LENGTH, hidden], dtype),
            ],
            [t("model_output", [-1, c, -1, -1], dtype)],
            "UNet2DConditionModel with LoRA. timestep: one value per batch row (a 0-dim tensor is also "
            "accepted and broadcast); integer-valued timesteps give the same result as int64. Output is "
            "what the scheduler's prediction_type names (epsilon for SD 1.x). Latent sides must be "
            "multiples of 2**(len(block_out_channels)-1).",
        ),
        "vae_encoder": ComponentSpec(
            "vae_encoder.pt",
            [t("image", [-1, 3, -1, -1], dtype)],
            [t("latent_mean", [-1, c, -1, -1], dtype), t("latent_logvar", [-1, c, -1, -1], dtype)],
            "AutoencoderKL.encode(image).latent_dist: mean and logvar (clamped to [-30, 20]). image is RGB "
            "in [-1, 1]. A latent sample is mean + exp(0.5*logvar)*noise; multiply by vae_scaling_factor "
            "before adding noise for training. Scaling is NOT applied inside.",
        ),
        "vae_decoder": ComponentSpec(
            "vae_decoder.pt",
            [t("latents", [-1, c, -1, -1], dtype)],
            [t("image", [-1, 3, -1, -1], dtype)],
            "AutoencoderKL.decode(latents).sample. Input: denoised latents already DIVIDED by "
            "vae_scaling_factor. Output: RGB in about [-1, 1], not clamped; to pixels: "
            "clamp(image/2+0.5, 0, 1) then round(x*255).",
        ),
    }
    config = {
        "sample_size": unet.config.sample_size,
        "latent_channels": c,
        "vae_scale_factor": scale,
        "vae_scaling_factor": vae.config.scaling_factor,
        "vae_shift_factor": getattr(vae.config, "shift_factor", None),
        "height": unet.config.sample_size * scale,
        "width": unet.config.sample_size * scale,
        "prediction_type": sched.get("prediction_type", "epsilon"),
        "text_max_length": TEXT_MAX_LENGTH,
        "text_hidden_size": hidden,
        "scheduler_config": "scheduler_config.json",
        "unet": _jsonable(dict(unet.config)),
        "vae": _jsonable(dict(vae.config)),
        "text_encoder": _jsonable(text_encoder.config.to_dict()),
    }
    preprocessing = {
        "tokenizer": {
            "max_length": TEXT_MAX_LENGTH,
            "padding": "max_length",
            "truncation": True,
            "in_tokenizer_json": "tokenizer.json carries this padding (fixed 77, pad_token_id) and truncation "
            "(77, keeping the final eos); DJL: builder().optPadToMaxLength().optMaxLength(77).optTruncation(true)",
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.pad_token_id,
        },
        "image": {"layout": "NCHW", "channels": "RGB", "range": [-1.0, 1.0], "to_model": "x/127.5 - 1"},
        "postprocess": "pixel = round(clamp(decoder_output/2 + 0.5, 0, 1) * 255)",
        "classifier_free_guidance": "UNet batch = cat([negative (prompt \"\"), positive]); "
        "out = uncond + guidance_scale * (text - uncond)",
    }
    extra = {
        "lora": {
            "rank": rank,
            "alpha": alpha,
            "scaling": alpha / rank,
            "target_modules": list(lora.TARGET_MODULES),
            "init": f"A: normal, mean 0, std 1/rank, seed {LORA_SEED}; B: zeros (so the UNet equals the base model)",
            "diffusers_file": lora.LORA_FILE,
            "diffusers_note": "save {diffusers_key: tensor} as safetensors; load_lora_weights reads it with "
            "alpha = rank (scaling 1) since no alpha entries are written",
            "parameters": lora.parameter_table(unet),
        },
        "tracing": {
            "device": str(device),
            "device_note": "device constants recorded by tracing are replaced by the inputs' device "
            "(device_agnostic.py): the files run on CPU or any GPU; parity was verified on the trace device",
            "trace_batch": 2,
            "verified": (
                "reloaded with torch.jit.load and compared with the diffusers/transformers call: text encoder "
                "and UNet at batch 2 (traced), 1 and 4; UNet also at half the latent side; VAE halves at batch "
                "1 and 2 and at half the side"
            ),
            "max_abs_diff_vs_eager": max_diffs,
        },
    }
    return Manifest(
        family=FAMILY,
        architecture=ARCHITECTURE,
        dtype=dtype,
        components=components,
        config=config,
        preprocessing=preprocessing,
        tokenizer="tokenizer.json",
        source=source,
        extra=extra,
    )


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# ---------------------------------------------------------------- tiny


def build_tiny(out: str) -> str:
    """Build the tiny SD model, export it through the real snapshot path, and write its goldens."""
    from . import diffusion_tiny

    return diffusion_tiny.build(out)

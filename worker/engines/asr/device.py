"""Pick where Whisper runs: the GPU when CUDA really works, else the CPU, saying why.

The most common failure with CTranslate2 on a GPU is a CUDA library mismatch (cuBLAS/cuDNN
missing or of the wrong major version, a driver older than the toolkit). Seeing a CUDA device
is not enough: a tiny model is loaded and run on it, and any failure is explained in plain
words and answered by falling back to the CPU.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from worker.protocol.errors import ModelUnavailable

log = logging.getLogger(__name__)

DeviceRequest = Literal["auto", "cpu", "cuda"]
#: compute types CTranslate2 accepts, plus "auto" (int8 on a CPU, float16 on a GPU).
COMPUTE_TYPES: tuple[str, ...] = (
    "auto",
    "default",
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
)
CudaProbe = Callable[[str], None]


@dataclass(frozen=True)
class DeviceChoice:
    """Where models load: device, compute type, and a notice for the user when it matters."""

    device: Literal["cpu", "cuda"]
    compute_type: str
    notice: str | None = None


def concrete_compute_type(compute_type: str, device: str) -> str:
    """Turn ``auto`` into the usual best type for ``device``."""
    if compute_type != "auto":
        return compute_type
    return "float16" if device == "cuda" else "int8"


def explain_cuda_failure(exc: BaseException) -> str:
    """A plain-words explanation of why a CUDA model load or run failed, with the fix."""
    text = str(exc)
    lower = text.lower()
    if "cudnn" in lower:
        hint = (
            "the cuDNN library is missing or of the wrong version (CTranslate2 4.x needs "
            "cuDNN 9 for CUDA 12): install nvidia-cudnn-cu12 9.x or the matching system package"
        )
    elif "cublas" in lower or "libcudart" in lower or ".so" in lower or ".dll" in lower:
        hint = (
            "a CUDA library is missing or of the wrong version (CTranslate2 4.x needs CUDA 12 "
            "libraries: cuBLAS 12): install nvidia-cublas-cu12 or the CUDA 12 runtime"
        )
    elif "driver" in lower:
        hint = "the NVIDIA driver is older than the CUDA version CTranslate2 needs: update it"
    elif "out of memory" in lower:
        hint = "the GPU has too little free memory for this model: use a smaller model"
    elif "compute type" in lower or "float16" in lower or "bfloat16" in lower:
        hint = "this GPU does not support the compute type: set compute_type to int8 or float32"
    else:
        hint = "the GPU could not run the model"
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"{hint} ({first_line[:200]})"


def cuda_device_count() -> int:
    """How many CUDA devices CTranslate2 sees (0 when it cannot tell)."""
    import ctranslate2

    try:
        return int(ctranslate2.get_cuda_device_count())
    except Exception as exc:  # a broken CUDA install can fail right here
        log.warning("cannot count CUDA devices: %s", exc)
        return 0


def choose_device(requested: DeviceRequest, compute_type: str, probe: CudaProbe) -> DeviceChoice:
    """Decide the device; ``probe(compute_type)`` must load and run a tiny model on CUDA.

    Raises:
        ModelUnavailable: ``cuda`` was asked for explicitly and does not work (with why).
    """
    cpu_type = concrete_compute_type(compute_type, "cpu")
    if requested == "cpu":
        return DeviceChoice("cpu", cpu_type)
    if cuda_device_count() == 0:
        if requested == "cuda":
            raise ModelUnavailable(
                "device 'cuda' was requested but CTranslate2 sees no CUDA GPU; "
                "set the asr device to 'auto' or 'cpu'"
            )
        return DeviceChoice(
            "cpu", cpu_type, "no CUDA GPU found: speech recognition runs on the CPU"
        )
    gpu_type = concrete_compute_type(compute_type, "cuda")
    try:
        probe(gpu_type)
    except Exception as exc:  # any failure here means "CUDA does not work for us"
        why = explain_cuda_failure(exc)
        log.warning("CUDA test load failed: %s", why)
        if requested == "cuda":
            raise ModelUnavailable(f"device 'cuda' does not work: {why}") from None
        return DeviceChoice("cpu", cpu_type, f"GPU unusable, running on the CPU: {why}")
    return DeviceChoice("cuda", gpu_type)

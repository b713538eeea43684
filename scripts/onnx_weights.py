"""Read the torch weights of a model back out of its dynamically quantised ONNX graph.

The shipped sentiment models exist only as int8 ONNX files (their float checkpoints were not
kept), so the distillation scripts rebuild the teachers from them: MatMulInteger weights are
dequantised per output channel, ``(q - zero_point) * scale``, and transposed to torch's
(out, in) layout; the embeddings are dequantised per tensor; biases and layer norms are stored
as float32 under their torch names already.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def state_dict_from_onnx(onnx_path: Path) -> dict:
    """Torch tensors by parameter name (``encoder.encoder.layer.0.attention.self.query.weight``)."""
    import onnx
    import torch
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state = {}

    def deq(name: str) -> np.ndarray:
        q = inits[name].astype(np.float32)
        base = name[: -len("_quantized")]
        return (q - inits[base + "_zero_point"].astype(np.float32)) * inits[base + "_scale"]

    for node in graph.node:
        if node.op_type not in ("MatMulInteger", "MatMul") or node.input[1] not in inits:
            continue
        # "/encoder/encoder/layer.0/attention/self/query/MatMul_quant" -> "encoder....query";
        # the head's node is "/head/Gemm_MatMul_quant" -> "head".
        path = node.name.strip("/").rsplit("/", 1)[0].replace("/", ".")
        weight = deq(node.input[1]) if node.op_type == "MatMulInteger" else inits[node.input[1]]
        state[f"{path}.weight"] = torch.from_numpy(np.ascontiguousarray(weight.T))
    for name, value in inits.items():
        if name.endswith("_quantized") and "embeddings" in name:
            state[name[: -len("_quantized")]] = torch.from_numpy(deq(name))
        elif name.endswith((".bias", "LayerNorm.weight")):
            state[name] = torch.from_numpy(value.copy())
    return state


def load_into(model, onnx_path: Path):
    """Load the weights of ``onnx_path`` into ``model`` (all but the unused pooler must fit)."""
    missing, unexpected = model.load_state_dict(state_dict_from_onnx(onnx_path), strict=False)
    # The pooler is not part of the graphs (the heads read token vectors), so it is not there.
    missing = [m for m in missing if not m.endswith("position_ids") and ".pooler." not in m]
    if missing or unexpected:
        raise SystemExit(
            f"{onnx_path}: weights do not fit: missing {missing}, unexpected {unexpected}"
        )
    return model.eval()

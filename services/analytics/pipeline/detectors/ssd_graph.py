"""Text graph for a TensorFlow Object Detection API SSD frozen graph, so OpenCV DNN can run it.

OpenCV cannot import the TF post-processing (loops, TensorArrays, NMS) of such graphs; its
``tf_text_graph_ssd.py`` sample rewrites the graph instead: keep the convolutional body, flatten and
concatenate the per-layer box/class heads, generate the anchors with ``PriorBox`` layers and decode
with a ``DetectionOutput`` layer. That sample is not shipped with OpenCV wheels, so this module does the
same rewrite with OpenCV's own ``writeTextGraph`` and a small protobuf text-format reader/writer.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from math import sqrt
from pathlib import Path

import cv2

# A text-format message: ordered (key, value) pairs; a value is a raw scalar token or a nested message.
Entry = tuple[str, "str | Msg"]
Msg = list[Entry]

_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[{}:]|[^\s{}:"]+)')
KEEP_OPS = frozenset(
    {
        "Conv2D",
        "BiasAdd",
        "Add",
        "AddV2",
        "Relu",
        "Relu6",
        "Placeholder",
        "FusedBatchNorm",
        "FusedBatchNormV3",
        "DepthwiseConv2dNative",
        "ConcatV2",
        "Mul",
        "MaxPool",
        "AvgPool",
        "Sub",
        "Pad",
    }
)
DROP_PREFIXES = ("MultipleGridAnchorGenerator/", "Concatenate/", "Postprocessor/", "Preprocessor/")
# Attributes the OpenCV importer ignores; dropping them keeps the text graph small.
UNUSED_ATTRS = frozenset({"T", "Tshape", "N", "Tidx", "Tdim", "use_cudnn_on_gpu", "Index", "Tperm", "Tpaddings"})


@dataclass(frozen=True)
class SsdConfig:
    """Hyper-parameters of ``ssd_anchor_generator`` in the model's pipeline config."""

    num_classes: int = 1
    min_scale: float = 0.2
    max_scale: float = 0.95
    num_layers: int = 6
    aspect_ratios: tuple[float, ...] = (1.0, 2.0, 0.5, 3.0, 0.3333)
    image_width: int = 300
    image_height: int = 300
    reduce_boxes_in_lowest_layer: bool = True


@dataclass
class Node:
    name: str
    op: str
    inputs: list[str] = field(default_factory=list)
    attrs: list[tuple[str, Msg]] = field(default_factory=list)


def _parse(text: str) -> Msg:
    tokens = _TOKEN.findall(text)
    pos = 0

    def message(closing: bool) -> Msg:
        nonlocal pos
        out: Msg = []
        while pos < len(tokens):
            key = tokens[pos]
            pos += 1
            if key == "}":
                return out
            if tokens[pos] == ":":
                pos += 1
            if tokens[pos] == "{":
                pos += 1
                out.append((key, message(True)))
            else:
                out.append((key, tokens[pos]))
                pos += 1
        if closing:
            raise ValueError("unbalanced braces in text graph")
        return out

    return message(False)


def _emit(msg: Msg, indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, value in msg:
        if isinstance(value, list):
            out.append(f"{pad}{key} {{")
            _emit(value, indent + 2, out)
            out.append(f"{pad}}}")
        else:
            out.append(f"{pad}{key}: {value}")


def _node_from(msg: Msg) -> Node:
    node = Node(name="", op="")
    for key, value in msg:
        if key == "name" and isinstance(value, str):
            node.name = value.strip('"')
        elif key == "op" and isinstance(value, str):
            node.op = value.strip('"')
        elif key == "input" and isinstance(value, str):
            node.inputs.append(value.strip('"'))
        elif key == "attr" and isinstance(value, list):
            attr_key = next(v for k, v in value if k == "key")
            attr_value = next(v for k, v in value if k == "value")
            assert isinstance(attr_key, str)
            assert isinstance(attr_value, list)
            node.attrs.append((attr_key.strip('"'), attr_value))
    return node


def _tensor(values: list[float] | list[int]) -> Msg:
    floats = any(isinstance(v, float) for v in values)
    body: Msg = [
        ("dtype", "DT_FLOAT" if floats else "DT_INT32"),
        ("tensor_shape", [("dim", [("size", str(len(values)))])]),
    ]
    body += [("float_val" if floats else "int_val", repr(float(v)) if floats else str(v)) for v in values]
    return [("tensor", body)]


def _scalar(kind: str, value: object) -> Msg:
    if isinstance(value, bool):
        return [(kind, "true" if value else "false")]
    if isinstance(value, str):
        return [(kind, f'"{value}"')]
    return [(kind, str(value))]


def _base_name(ref: str) -> str:
    return ref.lstrip("^").split(":")[0]


def _rewrite(nodes: list[Node], cfg: SsdConfig) -> list[Node]:
    by_name = {n.name: n for n in nodes}
    # Identity chains (``x/read`` → ``x``) are resolved to their final source.
    identities = {n.name: _base_name(n.inputs[0]) for n in nodes if n.op in ("Identity", "IdentityN")}

    def resolve(ref: str) -> str:
        name = _base_name(ref)
        while name in identities:
            name = identities[name]
        return name

    removed: set[str] = set()
    kept: list[Node] = []
    for node in nodes:
        if node.op not in KEEP_OPS or node.name.startswith(DROP_PREFIXES):
            if node.op != "Const":
                removed.add(node.name)
            continue
        kept.append(node)
    for node in kept:
        refs = [resolve(i) for i in node.inputs if not i.startswith("^")]
        # Weights stay referenced by name: the importer reads their values from the binary graph.
        node.inputs = [r for r in refs if r not in removed and (r in by_name)]
        node.attrs = [(k, v) for k, v in node.attrs if k not in UNUSED_ATTRS]
    placeholder = next(n for n in kept if n.op == "Placeholder")
    for node in kept:
        # The first convolution read the removed preprocessing; it now reads the input blob.
        if node.op == "Conv2D" and len(node.inputs) == 1:
            node.inputs.insert(0, placeholder.name)

    def add(name: str, op: str, inputs: list[str], **attrs: Msg) -> None:
        kept.append(Node(name, op, inputs, list(attrs.items())))

    add("concat/axis_flatten", "Const", [], value=_tensor([-1]))
    for label in ("ClassPredictor", "BoxEncodingPredictor"):
        flats = []
        for i in range(cfg.num_layers):
            source = f"BoxPredictor_{i}/{label}/BiasAdd"
            add(f"{source}/Flatten", "Flatten", [source])
            flats.append(f"{source}/Flatten")
        add(f"{label}/concat", "ConcatV2", [*flats, "concat/axis_flatten"])

    n = cfg.num_layers
    scales = [cfg.min_scale + (cfg.max_scale - cfg.min_scale) * i / (n - 1) for i in range(n)] + [1.0]
    priors = []
    for i in range(n):
        if i == 0 and cfg.reduce_boxes_in_lowest_layer:
            widths = [0.1, cfg.min_scale * sqrt(2.0), cfg.min_scale * sqrt(0.5)]
            heights = [0.1, cfg.min_scale / sqrt(2.0), cfg.min_scale / sqrt(0.5)]
        else:
            widths = [scales[i] * sqrt(ar) for ar in cfg.aspect_ratios] + [sqrt(scales[i] * scales[i + 1])]
            heights = [scales[i] / sqrt(ar) for ar in cfg.aspect_ratios] + [sqrt(scales[i] * scales[i + 1])]
        add(
            f"PriorBox_{i}",
            "PriorBox",
            [f"BoxPredictor_{i}/BoxEncodingPredictor/BiasAdd", placeholder.name],
            flip=_scalar("b", False),
            clip=_scalar("b", False),
            width=_tensor([w * cfg.image_width for w in widths]),
            height=_tensor([h * cfg.image_height for h in heights]),
            variance=_tensor([0.1, 0.1, 0.2, 0.2]),
        )
        priors.append(f"PriorBox_{i}")
    add("PriorBox/concat", "ConcatV2", [*priors, "concat/axis_flatten"])
    add("ClassPredictor/concat/sigmoid", "Sigmoid", ["ClassPredictor/concat"])
    add(
        "detection_out",
        "DetectionOutput",
        ["BoxEncodingPredictor/concat", "ClassPredictor/concat/sigmoid", "PriorBox/concat"],
        num_classes=_scalar("i", cfg.num_classes + 1),
        share_location=_scalar("b", True),
        background_label_id=_scalar("i", 0),
        nms_threshold=_scalar("f", 0.6),
        top_k=_scalar("i", 100),
        code_type=_scalar("s", "CENTER_SIZE"),
        keep_top_k=_scalar("i", 100),
        confidence_threshold=_scalar("f", 0.01),
        loc_pred_transposed=_scalar("b", True),
    )
    return _prune(kept, "detection_out")


def _prune(nodes: list[Node], output: str) -> list[Node]:
    """Keep what ``output`` depends on, in execution order (inputs before their consumers)."""
    by_name = {n.name: n for n in nodes}
    order: list[Node] = []
    seen: set[str] = set()
    stack: list[tuple[str, bool]] = [(output, False)]
    while stack:
        name, expanded = stack.pop()
        if expanded:
            order.append(by_name[name])
            continue
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        stack.append((name, True))
        stack.extend((i, False) for i in reversed(by_name[name].inputs) if i not in seen)
    return order


def _render(nodes: list[Node]) -> str:
    out: list[str] = []
    for node in nodes:
        out.append("node {")
        out.append(f'  name: "{node.name}"')
        out.append(f'  op: "{node.op}"')
        out += [f'  input: "{i}"' for i in node.inputs]
        for key, value in node.attrs:
            out.append("  attr {")
            out.append(f'    key: "{key}"')
            out.append("    value {")
            _emit(value, 6, out)
            out.append("    }")
            out.append("  }")
        out.append("}")
    return "\n".join(out) + "\n"


def ssd_text_graph(frozen_graph: Path, cfg: SsdConfig) -> str:
    """The ``.pbtxt`` to pass with ``frozen_graph`` to ``cv2.dnn.readNetFromTensorflow``."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.pbtxt"
        cv2.dnn.writeTextGraph(str(frozen_graph), str(raw))
        parsed = _parse(raw.read_text())
    nodes = [_node_from(v) for k, v in parsed if k == "node" and isinstance(v, list)]
    return _render(_rewrite(nodes, cfg))

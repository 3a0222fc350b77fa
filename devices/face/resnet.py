"""dlib's face-recognition ResNet (dlib_face_recognition_resnet_model_v1.dat) run as a numpy forward pass.

Why: the dlib-bin wheel is built without BLAS, so dlib multiplies its matrices with its own slow loops
(~140 ms per face on one core); numpy's OpenBLAS does the same products in a fraction of that. Same weights,
same network, same 128-d descriptor as ``face_recognition_model_v1.compute_face_descriptor(img, shape, 1)``
(no jitter) up to float32 rounding.

The network is the "anet_type" of dlib's dnn_face_recognition_ex:

    input_rgb_image_sized<150> → con<32,7,7,2,2> → affine → relu → max_pool<3,3,2,2>
    → 3× ares<32> → ares_down<64>, 3× ares<64> → ares_down<128>, 2× ares<128>
    → ares_down<256>, 2× ares<256> → ares_down<256> → avg_pool_everything → fc_no_bias<128>

    ares(x)      = relu(x + block(x))
    ares_down(x) = relu(avg_pool<2,2,2,2>(x) + block_stride2(x))   (add_prev zero-pads the smaller tensor)
    block        = affine(con3×3(relu(affine(con3×3 with the block's stride))))

The file is read sequentially (dlib's serialisation order: the loss layer, the version numbers of all the
nested layers, the input layer, then each layer's details from the input to the loss). Anything unexpected
raises FaceEngineUnavailable naming the file and what did not fit. Plain numpy and the standard library only.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .errors import FaceEngineUnavailable

CHIP_SIZE = 150
DESCRIPTOR_SIZE = 128
EXPECTED_CONVS = 29  # 1 stem + 14 residual blocks × 2


class _Malformed(ValueError):
    """The file does not look like dlib's face-recognition ResNet; the message says where and why."""


# ---------------------------------------------------------------------------------------------- reading

class _Reader:
    """dlib's serialisation primitives over the file's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise _Malformed(f"the file ends early (needed {size} bytes at byte {self.pos} of {len(self.data)})")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def int(self) -> int:
        """One byte: size | 0x80 when negative, then the magnitude in `size` little-endian bytes."""
        head = self._take(1)[0]
        size = head & 0x0F
        if size > 8 or head & 0x70:
            raise _Malformed(f"bad integer header 0x{head:02x} at byte {self.pos - 1}")
        value = int.from_bytes(self._take(size), "little")
        return -value if head & 0x80 else value

    def float(self) -> float:
        """dlib's portable float: an integer mantissa and an integer exponent (value = mantissa · 2^exponent)."""
        mantissa, exponent = self.int(), self.int()
        if exponent in (32000, 32001, 32002):  # dlib's codes for +inf, -inf, nan
            return (math.inf, -math.inf, math.nan)[exponent - 32000]
        return math.ldexp(mantissa, exponent)

    def bool(self) -> bool:
        char = self._take(1)
        if char not in (b"0", b"1"):
            raise _Malformed(f"expected a bool ('0' or '1') at byte {self.pos - 1}, found {char!r}")
        return char == b"1"

    def string(self) -> str:
        size = self.int()
        if not 0 <= size <= 256:
            raise _Malformed(f"implausible string length {size} at byte {self.pos}")
        return self._take(size).decode("latin-1")

    def expect_int(self, expected: int, what: str) -> None:
        value = self.int()
        if value != expected:
            raise _Malformed(f"{what}: expected {expected}, found {value} (before byte {self.pos})")

    def tensor(self) -> np.ndarray:
        """Version 2, num_samples, k, nr, nc, then the values as little-endian float32."""
        self.expect_int(2, "tensor version")
        shape = tuple(self.int() for _ in range(4))
        if min(shape) < 0:
            raise _Malformed(f"negative tensor dimension {shape} before byte {self.pos}")
        count = math.prod(shape)
        values = np.frombuffer(self._take(4 * count), dtype="<f4").astype(np.float32)
        return values.reshape(shape)

    def alias_tensor(self) -> tuple[int, int, int, int]:
        """An alias_tensor (a view of a layer's params) is only its shape: version 1 and four integers."""
        self.expect_int(1, "alias_tensor version")
        return tuple(self.int() for _ in range(4))  # type: ignore[return-value]


@dataclass(frozen=True)
class _Conv:
    filters: np.ndarray  # (num_filters, k, nr, nc)
    bias: np.ndarray     # (num_filters,)
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class _Affine:
    gamma: np.ndarray
    beta: np.ndarray


@dataclass(frozen=True)
class _Pool:
    kind: str            # "max" or "avg"
    window: tuple[int, int]  # (0, 0): the whole image
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class _Fc:
    weights: np.ndarray  # (num_inputs, num_outputs)
    bias: np.ndarray | None


class _Relu:
    pass


class _AddPrev:
    pass


def _read_conv(reader: _Reader, tag: str) -> _Conv:
    params = reader.tensor().ravel()
    num_filters, nr, nc, stride_y, stride_x, pad_y, pad_x = (reader.int() for _ in range(7))
    filters_shape, biases_shape = reader.alias_tensor(), reader.alias_tensor()
    for _ in range(4):  # learning-rate and weight-decay multipliers
        reader.float()
    use_bias = reader.bool() if tag == "con_5" else True
    if filters_shape[0] != num_filters or filters_shape[2:] != (nr, nc) or min(stride_y, stride_x) < 1:
        raise _Malformed(f"convolution shape {filters_shape} does not fit {num_filters} filters of {nr}×{nc}")
    size = math.prod(filters_shape)
    bias_size = math.prod(biases_shape) if use_bias else 0
    if bias_size not in (0, num_filters) or params.size != size + bias_size:
        raise _Malformed(f"convolution params hold {params.size} values, not {size} weights + {bias_size} biases")
    bias = params[size:] if bias_size else np.zeros(num_filters, np.float32)
    return _Conv(params[:size].reshape(filters_shape), bias, (stride_y, stride_x), (pad_y, pad_x))


def _read_affine(reader: _Reader) -> _Affine:
    params = reader.tensor().ravel()
    gamma_shape, beta_shape = reader.alias_tensor(), reader.alias_tensor()
    reader.int()  # mode: CONV_MODE (per channel) or FC_MODE; checked against the channels when compiling
    size = math.prod(gamma_shape)
    if gamma_shape != beta_shape or params.size != 2 * size:
        raise _Malformed(f"affine params hold {params.size} values for gamma {gamma_shape} and beta {beta_shape}")
    return _Affine(params[:size], params[size:])


def _read_pool(reader: _Reader, kind: str) -> _Pool:
    nr, nc, stride_y, stride_x, pad_y, pad_x = (reader.int() for _ in range(6))
    if min(nr, nc, pad_y, pad_x) < 0 or min(stride_y, stride_x) < 1:
        raise _Malformed(f"{kind} pool with window {nr}×{nc}, stride {stride_y}×{stride_x}, padding {pad_y}×{pad_x}")
    return _Pool(kind, (nr, nc), (stride_y, stride_x), (pad_y, pad_x))


def _read_fc(reader: _Reader) -> _Fc:
    num_outputs, num_inputs = reader.int(), reader.int()
    params = reader.tensor().ravel()
    reader.alias_tensor(), reader.alias_tensor()  # weights and biases views
    has_bias = reader.int() == 0  # bias_mode: FC_HAS_BIAS = 0, FC_NO_BIAS = 1
    for _ in range(4):  # learning-rate and weight-decay multipliers
        reader.float()
    rows = num_inputs + (1 if has_bias else 0)
    if num_outputs < 1 or params.size != rows * num_outputs:
        raise _Malformed(f"fc params hold {params.size} values, not {rows}×{num_outputs}")
    matrix = params.reshape(rows, num_outputs)
    return _Fc(matrix[:num_inputs], matrix[num_inputs] if has_bias else None)


def _read_details(reader: _Reader) -> object:
    tag = reader.string()
    if tag in ("con_4", "con_5"):
        return _read_conv(reader, tag)
    if tag == "affine_":
        return _read_affine(reader)
    if tag == "relu_":
        return _Relu()
    if tag == "max_pool_2":
        return _read_pool(reader, "max")
    if tag == "avg_pool_2":
        return _read_pool(reader, "avg")
    if tag == "add_prev_":
        return _AddPrev()
    if tag == "fc_2":
        return _read_fc(reader)
    raise _Malformed(f"unexpected layer {tag!r} before byte {reader.pos}")


def _skip_layer_state(reader: _Reader) -> None:
    """What add_layer stores after its details: three flags and three (normally empty) work tensors."""
    for _ in range(3):
        reader.bool()
    for _ in range(3):
        reader.tensor()


def _read_file(data: bytes) -> tuple[np.ndarray, list[object]]:
    """The input means (R, G, B) and the layers from the input to the fc layer."""
    reader = _Reader(data)
    reader.expect_int(1, "loss layer version")
    loss = reader.string()
    if loss != "loss_metric_2":
        raise _Malformed(f"the network ends in {loss!r}, not dlib's loss_metric (not a face-recognition model)")
    reader.float(), reader.float()  # margin, distance threshold: training only

    # The nested layers' versions, outermost first: 2 per add_layer, 1 per tag/skip layer, 3 for the layer on the input.
    computing_layers = 1
    while (version := reader.int()) != 3:
        if version not in (1, 2):
            raise _Malformed(f"unexpected layer version {version} before byte {reader.pos}")
        computing_layers += version == 2

    if (name := reader.string()) != "input_rgb_image_sized":
        raise _Malformed(f"the input layer is {name!r}, not input_rgb_image_sized")
    means = np.array([reader.float() for _ in range(3)], np.float32)
    size = (reader.int(), reader.int())
    if size != (CHIP_SIZE, CHIP_SIZE):
        raise _Malformed(f"the input is {size[0]}×{size[1]}, not {CHIP_SIZE}×{CHIP_SIZE}")

    layers = []
    for index in range(computing_layers):
        layers.append(_read_details(reader))
        _skip_layer_state(reader)
        if index == 0:
            reader.int()  # the input-level add_layer also stores its sample expansion factor
    if reader.pos != len(data):
        raise _Malformed(f"{len(data) - reader.pos} unexpected bytes after the last layer")
    return means, layers


# ------------------------------------------------------------------------------------------- computing

@dataclass(frozen=True)
class _ConvStep:
    """A convolution with the following affine folded in: out = im2col(x) @ matrix + bias (then relu)."""

    matrix: np.ndarray  # (nr·nc·k, num_filters), rows ordered (dy, dx, channel) like our im2col
    bias: np.ndarray
    window: tuple[int, int]
    stride: int
    padding: int
    relu: bool

    def __call__(self, x: np.ndarray) -> np.ndarray:
        pad, (nr, nc), stride = self.padding, self.window, self.stride
        if pad:
            padded = np.zeros((x.shape[0] + 2 * pad, x.shape[1] + 2 * pad, x.shape[2]), np.float32)
            padded[pad:-pad, pad:-pad] = x
            x = padded
        height, width, channels = x.shape
        out_h, out_w = (height - nr) // stride + 1, (width - nc) // stride + 1
        # im2col: each output pixel's window as one row, ordered (dy, dx, channel) — nr runs of nc·channels
        # contiguous floats in the (height, width·channels) view, copied by one reshape.
        windows = sliding_window_view(x.reshape(height, width * channels), (nr, nc * channels))
        columns = windows[::stride, ::stride * channels].reshape(out_h * out_w, nr * nc * channels)
        out = columns @ self.matrix
        out += self.bias
        if self.relu:
            np.maximum(out, 0, out=out)
        return out.reshape(out_h, out_w, -1)


def _pool(x: np.ndarray, pool: _Pool) -> np.ndarray:
    """dlib's pooling: windows clipped to the image (padding never counts, for max or for the mean)."""
    (nr, nc), (stride_y, stride_x), (pad_y, pad_x) = pool.window, pool.stride, pool.padding
    if nr == 0 or nc == 0:  # avg_pool_everything / max_pool_everything
        return x.mean(axis=(0, 1), keepdims=True) if pool.kind == "avg" else x.max(axis=(0, 1), keepdims=True)
    height, width = x.shape[:2]
    out_h, out_w = 1 + (height + 2 * pad_y - nr) // stride_y, 1 + (width + 2 * pad_x - nc) // stride_x
    fill = -np.inf if pool.kind == "max" else 0.0
    padded = np.full((height + 2 * pad_y + nr, width + 2 * pad_x + nc, x.shape[2]), fill, np.float32)
    padded[pad_y:pad_y + height, pad_x:pad_x + width] = x
    windows = [padded[dy:dy + stride_y * out_h:stride_y, dx:dx + stride_x * out_w:stride_x]
               for dy in range(nr) for dx in range(nc)]
    if pool.kind == "max":
        return functools.reduce(np.maximum, windows)
    total = functools.reduce(np.add, windows)
    if pad_y or pad_x:
        inside = np.zeros(padded.shape[:2], np.float32)
        inside[pad_y:pad_y + height, pad_x:pad_x + width] = 1
        counts = functools.reduce(np.add, [inside[dy:dy + stride_y * out_h:stride_y, dx:dx + stride_x * out_w:stride_x]
                                           for dy in range(nr) for dx in range(nc)])
        return total / counts[:, :, None]
    return total / np.float32(nr * nc)


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dlib's add_prev: the sum over the overlap, each tensor zero-padded to the larger size."""
    if a.shape == b.shape:
        return a + b
    out = np.zeros(tuple(max(p, q) for p, q in zip(a.shape, b.shape)), np.float32)
    out[:a.shape[0], :a.shape[1], :a.shape[2]] += a
    out[:b.shape[0], :b.shape[1], :b.shape[2]] += b
    return out


@dataclass(frozen=True)
class _Block:
    first: _ConvStep
    second: _ConvStep
    shortcut: _Pool | None  # None: identity (ares); a 2×2 average pool for ares_down

    def __call__(self, x: np.ndarray) -> np.ndarray:
        residual = self.second(self.first(x))
        out = _add(_pool(x, self.shortcut) if self.shortcut else x, residual)
        return np.maximum(out, 0, out=out)


def _fold(conv: _Conv, affine: _Affine, channels: int, relu: bool) -> _ConvStep:
    num_filters, k, nr, nc = conv.filters.shape
    if k != channels:
        raise _Malformed(f"a convolution expects {k} input channels but receives {channels}")
    if affine.gamma.size != num_filters:
        raise _Malformed(f"an affine layer has {affine.gamma.size} channels after {num_filters} filters")
    if conv.stride[0] != conv.stride[1] or conv.padding[0] != conv.padding[1]:
        raise _Malformed(f"non-square stride {conv.stride} or padding {conv.padding}")
    gamma = affine.gamma.astype(np.float64)
    matrix = conv.filters.transpose(2, 3, 1, 0).reshape(nr * nc * k, num_filters).astype(np.float64) * gamma
    bias = conv.bias.astype(np.float64) * gamma + affine.beta
    return _ConvStep(np.ascontiguousarray(matrix, np.float32), bias.astype(np.float32), (nr, nc),
                     conv.stride[0], conv.padding[0], relu)


def _matches(layers: list[object], start: int, kinds: tuple[type, ...]) -> bool:
    return len(layers) >= start + len(kinds) and all(
        isinstance(layer, kind) for layer, kind in zip(layers[start:], kinds))


STEM = (_Conv, _Affine, _Relu, _Pool)
ARES = (_Conv, _Affine, _Relu, _Conv, _Affine, _AddPrev, _Relu)
ARES_DOWN = (_Conv, _Affine, _Relu, _Conv, _Affine, _Pool, _AddPrev, _Relu)


class FaceResNet:
    """150×150 RGB uint8 face chip → dlib's 128-d face descriptor (float64)."""

    def __init__(self, means: np.ndarray, layers: list[object]) -> None:
        convs = sum(isinstance(layer, _Conv) for layer in layers)
        if convs != EXPECTED_CONVS:
            raise _Malformed(f"{convs} convolution layers, not the {EXPECTED_CONVS} of dlib's face ResNet")
        if not _matches(layers, 0, STEM) or layers[3].kind != "max":
            raise _Malformed("the network does not start with con → affine → relu → max_pool")
        self._means = means.reshape(1, 1, 3)
        self._stem = _fold(layers[0], layers[1], 3, relu=True)
        self._stem_pool = layers[3]
        channels, index, self._blocks = layers[0].filters.shape[0], len(STEM), []
        while index < len(layers) and isinstance(layers[index], _Conv):
            down = _matches(layers, index, ARES_DOWN)
            if not down and not _matches(layers, index, ARES):
                raise _Malformed(f"layer {index} does not start a residual block (ares or ares_down)")
            first = _fold(layers[index], layers[index + 1], channels, relu=True)
            second = _fold(layers[index + 3], layers[index + 4], first.matrix.shape[1], relu=False)
            shortcut = layers[index + 5] if down else None
            if shortcut is not None and (shortcut.kind != "avg" or shortcut.window == (0, 0)):
                raise _Malformed(f"the shortcut of block at layer {index} is not a windowed average pool")
            self._blocks.append(_Block(first, second, shortcut))
            channels = max(channels, second.matrix.shape[1])
            index += len(ARES_DOWN if down else ARES)
        tail = layers[index:]
        if len(tail) != 2 or not isinstance(tail[0], _Pool) or tail[0].window != (0, 0) or tail[0].kind != "avg" \
                or not isinstance(tail[1], _Fc):
            raise _Malformed("the network does not end with avg_pool_everything → fc")
        fc = tail[1]
        if fc.weights.shape != (channels, DESCRIPTOR_SIZE):
            raise _Malformed(f"the fc layer is {fc.weights.shape[0]}×{fc.weights.shape[1]}, "
                             f"not {channels}×{DESCRIPTOR_SIZE}")
        self._fc = np.ascontiguousarray(fc.weights)
        self._fc_bias = fc.bias
        self.descriptor(np.zeros((CHIP_SIZE, CHIP_SIZE, 3), np.uint8))  # every shape fits (raises otherwise)

    def descriptor(self, chip: np.ndarray) -> np.ndarray:
        if chip.shape != (CHIP_SIZE, CHIP_SIZE, 3):
            raise ValueError(f"a face chip is {CHIP_SIZE}×{CHIP_SIZE}×3, not {chip.shape}")
        x = (chip.astype(np.float32) - self._means) * np.float32(1 / 256)
        x = _pool(self._stem(x), self._stem_pool)
        for block in self._blocks:
            x = block(x)
        out = x.mean(axis=(0, 1)) @ self._fc
        if self._fc_bias is not None:
            out += self._fc_bias
        return out.astype(np.float64)

    __call__ = descriptor


def load_resnet(path: Path) -> FaceResNet:
    """Read and check the model file once per process (cached by path, size and modification time)."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as error:
        raise FaceEngineUnavailable(f"the face encoder model {path} cannot be read: {error}") from error
    return _load(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _load(path: str, size: int, mtime_ns: int) -> FaceResNet:
    try:
        data = Path(path).read_bytes()
        means, layers = _read_file(data)
        return FaceResNet(means, layers)
    except OSError as error:
        raise FaceEngineUnavailable(f"the face encoder model {path} cannot be read: {error}") from error
    except (_Malformed, ValueError, IndexError) as error:
        raise FaceEngineUnavailable(
            f"the face encoder model {path} does not load: not dlib's face-recognition ResNet as expected "
            f"({error}); reinstall face_recognition_models") from error

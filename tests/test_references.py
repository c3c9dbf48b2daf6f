from course_utils import references


def test_paper_tables_are_complete_and_ordered_as_published():
    fcn = references.FCN_VOC2011_VAL
    assert sorted(fcn) == [8, 16, 32] and all(len(row) == 4 for row in fcn.values())
    assert [fcn[s][2] for s in (32, 16, 8)] == [59.4, 62.4, 62.7]  # mean IU rises with every skip
    nin = references.NIN_CIFAR10_TEST_ERROR
    assert nin["gap"] < nin["fc_dropout"] < nin["fc"]
    assert 0 < references.FCN8S_DIGITS_MEAN_IU < 1

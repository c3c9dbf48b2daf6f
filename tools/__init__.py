"""Instructor and maintainer commands (the Makefile is their front door).

run_notebooks (`make run`, `make test-gpu`), build_site (`make site`), make_student
(`make student`), sync_notebooks (`make sync`), bench (`make bench`); notebook_rules holds what
every course notebook must look like (setup cell, Colab badge), shared with the tests; figures
reads the figures the notebooks record with `course_utils.report.record`.
Run one as `python -m tools.NAME` from the repository root.
"""

"""Experiments built from training runs: the design-change adaptation study, recovery and regret.

``python main.py study adaptation`` (:mod:`training.study.adaptation`) trains each
architecture (transformer, dense embedding, id baseline) with the same config and budget
for several seeds, evaluates every trained policy against the scripted NPC on the base
level parameters and on every design shift (:mod:`levels.shifts`), and writes a table
(Markdown and JSON) and a plot. ``study recovery`` (:mod:`training.study.recovery`)
retrains finished runs on each shift with the live learner's settings and records how
long each needs to recover; ``study regret`` (:mod:`training.study.regret`) retrains them
for a fixed budget on the base and on every shift, to split each drop into difficulty and
not adapting. ``study shifts`` evaluates one checkpoint on every shift.

Layout of a study directory (``--out``)::

    study.json                      the settings; a rerun must use the same ones
    runs/<arch>-s<seed>/            a ``train`` run directory (training.run.TrainRun)
    runs/<arch>-s<seed>/done.json   written when the run finished (rerun skips it)
    evals/<arch>-s<seed>/<cond>.json one evaluation (rerun skips it)
    results.json, results.md, adaptation.png
    recovery/<arch>-s<seed>/<shift>.json, recovery.md, recovery.json   (study recovery)
    regret/..., regret.json, regret.md, regret.png                     (study regret)

Every file is written atomically, so an interrupted study resumes where it stopped:
finished runs and evaluations are skipped, an unfinished run continues from its last
checkpoint. The modules: :mod:`~training.study.runs` (bookkeeping of a directory),
:mod:`~training.study.kind_ids` (the id baseline's simulator), the three studies, and
:mod:`~training.study.cli` (the ``study`` command).
"""

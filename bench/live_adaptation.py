"""The adaptation benchmark: potions become poison; live retraining must change the NPCs' habit.

Run from anywhere::

    .venv/bin/python bench/live_adaptation.py [--minutes 5] [--every 20] [--json OUT|-]

The long version of the demonstration in :mod:`training.live.demo` (every option of
``python -m training.live.demo`` is accepted): the shipped checkpoint's monsters in
the ``arena``, the health potion changed to a lethal poison through the same call the
designer panel makes, five minutes of live retraining on this machine. It prints the
curve (seconds, published version, learner steps, potion drinking, win rate against
the hero, mean return on fixed evaluation seeds) and exits 1 unless drinking falls to
half or less of its post-change rate while the win rate recovers.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.live.demo import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

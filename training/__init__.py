"""Headless training and evaluation of NPC policies: PPO, evaluation, studies, Ray, live retraining.

- :mod:`training.ppo`: PPO and :class:`~training.ppo.PPOLoop`, the one collect-then-update
  loop the offline trainer, the live learner and the study's retraining drive.
- :mod:`training.run`: one training run in its directory (``main.py train``);
  :mod:`training.cli`: the ``train`` and ``eval`` commands.
- :mod:`training.evaluate`, :mod:`training.rollout`, :mod:`training.config`,
  :mod:`training.overrides`, :mod:`training.curriculum`, :mod:`training.metrics`.
- :mod:`training.study`: the adaptation, recovery and regret studies (``main.py study``).
- :mod:`training.distributed`: rollouts on Ray; :mod:`training.live`: live retraining.
"""

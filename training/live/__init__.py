"""Live retraining: a learner process that keeps training the NPCs while the game runs.

``client`` (the game's side), ``learner`` (the process), ``weights`` (shared-memory
publishing), ``protocol`` (the messages), ``controller`` (NPC control with live
weights), ``demo`` (the headless adaptation demonstration). See docs/live.md.
"""

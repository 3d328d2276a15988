"""Non-player characters: the scripted NPC (and, in later issues, learned policies)."""

from npc.scripted import ScriptedPolicy, random_legal_actions

__all__ = ["ScriptedPolicy", "random_legal_actions"]

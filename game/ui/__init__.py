"""The pygame side of the game (imported only for ``render_mode="human"``)."""

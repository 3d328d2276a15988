"""A minimal pygame window that shows frames from :func:`game.envs.render.rgb_frame`."""

from __future__ import annotations

import numpy as np
import pygame


class Viewer:
    """Shows RGB frames, scaled by ``zoom``; works headless with SDL_VIDEODRIVER=dummy."""

    def __init__(self, title: str = "Mindcrawl", zoom: int = 2, fps: int = 8) -> None:
        pygame.display.init()
        self.title = title
        self.zoom = zoom
        self.fps = fps
        self.screen: pygame.Surface | None = None
        self.clock = pygame.time.Clock()

    def show(self, frame: np.ndarray) -> None:
        """Draw one ``(H, W, 3)`` uint8 frame and pump window events."""
        height, width = frame.shape[:2]
        size = (width * self.zoom, height * self.zoom)
        if self.screen is None or self.screen.get_size() != size:
            self.screen = pygame.display.set_mode(size)
            pygame.display.set_caption(self.title)
        surface = pygame.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
        self.screen.blit(pygame.transform.scale(surface, size), (0, 0))
        pygame.event.pump()
        pygame.display.flip()
        self.clock.tick(self.fps)

    def close(self) -> None:
        """Close the window."""
        if self.screen is not None:
            pygame.display.quit()
            self.screen = None

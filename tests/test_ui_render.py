"""The renderers on hand-made ViewStates: pixel checks with tolerance, no text in compared images."""

from __future__ import annotations

import importlib.util
import math
import os
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from game.ui.render import Renderer, draw_frame, layout_for  # noqa: E402
from game.ui.render.cells import UNEXPLORED, cell_states  # noqa: E402
from game.ui.render.firstperson import FirstPersonRenderer  # noqa: E402
from game.ui.render.minimap import Minimap  # noqa: E402
from game.ui.render.overlay import help_box  # noqa: E402
from game.ui.render.palette import VIEWER  # noqa: E402
from game.ui.render.text import TextCache  # noqa: E402
from game.ui.render.textures import TEX, TEXTURE_COUNT, texture_atlas  # noqa: E402
from game.ui.render.topdown import CELL  # noqa: E402
from game.ui.view_state import Hud, Sprite, ViewMode, ViewState  # noqa: E402
from levels.tiles import Tile  # noqa: E402

FP_SIZE = (240, 180)  # first-person tests draw the bare view at this size
FRAME_SIZE = (640, 400)


@pytest.fixture(scope="module", autouse=True)
def _pygame() -> None:
    pygame.display.init()
    pygame.font.init()


def corridor(length: int = 12, end: Tile = Tile.WALL) -> np.ndarray:
    """A 7-row map: an east-west corridor on row 3 from x=1 to ``length - 2``, closed by ``end``."""
    tiles = np.full((7, length + 2), Tile.WALL, np.uint8)
    tiles[3, 1:length - 1] = Tile.FLOOR
    tiles[3, length - 1] = end
    return tiles


def state(tiles: np.ndarray, y: float = 3.0, x: float = 2.0, facing: float = 0.0, *,
          explored: np.ndarray | None = None, visible: np.ndarray | None = None,
          sprites: tuple[Sprite, ...] = (), **extra: object) -> ViewState:
    """A ViewState of ``tiles`` with everything explored and visible unless given."""
    explored = np.ones(tiles.shape, bool) if explored is None else explored
    visible = explored.copy() if visible is None else visible
    return ViewState(tiles, explored, visible, y, x, facing, sprites, **extra)  # type: ignore[arg-type]


def first_person(view: ViewState, size: tuple[int, int] = FP_SIZE) -> np.ndarray:
    """The bare first-person view as an ``(w, h, 3)`` int array indexed ``[x, y]``."""
    surface = pygame.Surface(size)
    FirstPersonRenderer(downscale=1).draw(surface, surface.get_rect(), view)
    return pygame.surfarray.array3d(surface).astype(int)


def frame(view: ViewState, mode: ViewMode, size: tuple[int, int] = FRAME_SIZE, renderer: Renderer | None = None,
          **kwargs: object) -> np.ndarray:
    """A whole frame without text as an ``(w, h, 3)`` int array."""
    surface = pygame.Surface(size)
    (renderer or Renderer()).draw(surface, view, mode, text=False, **kwargs)  # type: ignore[arg-type]
    return pygame.surfarray.array3d(surface).astype(int)


def wall_slice_height(tiles: np.ndarray, x: float) -> int:
    """Lit rows of the centre column when only walls are explored (floor and ceiling stay black)."""
    image = first_person(state(tiles, x=x, explored=tiles == Tile.WALL))
    return int((image[FP_SIZE[0] // 2].sum(axis=1) > 0).sum())


def test_textures_are_deterministic_and_distinct() -> None:
    atlas = texture_atlas()
    assert atlas.shape == (TEXTURE_COUNT, TEX, TEX, 3) and atlas.dtype == np.uint8
    means = atlas.reshape(TEXTURE_COUNT, -1, 3).mean(axis=1)
    gaps = np.abs(means[:, None] - means[None]).sum(axis=2) + np.eye(TEXTURE_COUNT) * 1e9
    assert gaps.min() > 1.0  # no two textures are the same picture


def test_wall_slice_grows_as_camera_approaches() -> None:
    tiles = corridor()  # the end wall's face is at grid x = 11, i.e. 8.5 cells from x = 2
    far, middle, near = (wall_slice_height(tiles, x) for x in (2.0, 6.0, 9.0))
    assert 0 < far < middle < near
    # A slice is proj / distance pixels tall: proportional to 1 / distance, within a few pixels.
    assert far * 8.5 == pytest.approx(middle * 4.5, rel=0.1)
    assert near == FP_SIZE[1] or near * 1.5 == pytest.approx(middle * 4.5, rel=0.1)


def test_turning_changes_which_wall_is_seen() -> None:
    tiles = corridor()
    tiles[4, 5] = Tile.DOOR_CLOSED  # a door in the corridor's south wall, next to x = 5
    east = first_person(state(tiles, x=5.0, facing=0.0))
    south = first_person(state(tiles, x=5.0, facing=math.pi / 2))
    centre = (FP_SIZE[0] // 2, FP_SIZE[1] // 2)
    assert np.abs(east - south).mean() > 20
    # Facing south the door fills the view: the whole centre column is lit and brown.
    column = south[centre[0]]
    assert (column.sum(axis=1) > 0).all()
    r, g, b = column.mean(axis=0)
    assert r > b + 25
    # Facing east the centre shows the distant grey end wall: not brown.
    r, g, b = east[centre]
    assert abs(r - b) < 30


def test_closed_and_locked_doors_differ_from_walls() -> None:
    def centre_colour(end: Tile) -> np.ndarray:
        image = first_person(state(corridor(end=end), x=8.0))
        w, h = FP_SIZE
        return image[w // 2 - 10:w // 2 + 10, h // 2 - 10:h // 2 + 10].reshape(-1, 3).mean(axis=0)

    wall, door, locked = (centre_colour(t) for t in (Tile.WALL, Tile.DOOR_CLOSED, Tile.DOOR_LOCKED))
    assert np.abs(wall - door).sum() > 30
    assert np.abs(door - locked).sum() > 15
    assert door[0] - door[2] > wall[0] - wall[2] + 20  # wood is redder than stone


def test_open_door_is_a_frame_you_can_see_through() -> None:
    open_door = corridor(16)
    open_door[3, 8] = Tile.DOOR_OPEN
    plain = corridor(16)
    through = first_person(state(open_door, x=4.0))
    floor = first_person(state(plain, x=4.0))
    w, h = FP_SIZE
    # The middle of the doorway shows what lies beyond, as if there were no door ...
    np.testing.assert_array_equal(through[w // 2, h // 2 - 3:h // 2 + 3], floor[w // 2, h // 2 - 3:h // 2 + 3])
    # ... but the doorway itself (lintel and jambs) is drawn.
    assert np.abs(through - floor).sum(axis=2).astype(bool).mean() > 0.01


def test_sprite_behind_wall_is_hidden_and_in_front_is_drawn() -> None:
    tiles = corridor()
    tiles[3, 6] = Tile.WALL
    empty = first_person(state(tiles))
    front = first_person(state(tiles, sprites=(Sprite(3.0, 4.0, "agent", colour=(250, 20, 20), hp_frac=0.5),)))
    behind = first_person(state(tiles, sprites=(Sprite(3.0, 8.0, "agent", colour=(250, 20, 20)),)))
    np.testing.assert_array_equal(behind, empty)
    changed = np.abs(front - empty).sum(axis=2) > 0
    assert changed.mean() > 0.02
    # The drawn pixels are red (the sprite's colour) or the health bar's green/red.
    red = front[changed]
    assert (red[:, 0] > red[:, 2]).mean() > 0.8


def test_sprites_are_depth_sorted() -> None:
    tiles = corridor(16)
    near = Sprite(3.0, 4.0, "agent", colour=(250, 20, 20))
    far = Sprite(3.0, 6.0, "agent", colour=(20, 20, 250))
    image = first_person(state(tiles, sprites=(near, far)))
    reversed_order = first_person(state(tiles, sprites=(far, near)))
    np.testing.assert_array_equal(image, reversed_order)
    w, h = FP_SIZE
    r, _, b = image[w // 2, h // 2 + 10]  # the near (red) sprite covers the far (blue) one
    assert r > b


def test_water_and_lava_tint_the_floor() -> None:
    def floor_colour(tile: Tile) -> np.ndarray:
        tiles = corridor()
        tiles[3, 3:6] = tile
        image = first_person(state(tiles))
        w, h = FP_SIZE
        return image[w // 2 - 5:w // 2 + 5, h - 30:h - 20].reshape(-1, 3).mean(axis=0)

    floor, water, lava = (floor_colour(t) for t in (Tile.FLOOR, Tile.WATER, Tile.LAVA))
    assert water[2] > water[0] + 40 and water[2] > floor[2]
    assert lava[0] > lava[2] + 80 and lava[0] > floor[0]


def test_unexplored_is_black_and_remembered_darker_than_visible() -> None:
    tiles = corridor()
    nothing = np.zeros(tiles.shape, bool)
    unexplored = first_person(state(tiles, explored=nothing))
    remembered = first_person(state(tiles, visible=nothing))
    visible = first_person(state(tiles))
    assert unexplored.max() == 0
    assert 0 < remembered.mean() < 0.6 * visible.mean()


def test_walls_around_seen_floor_are_drawn() -> None:
    # The game's field of view may mark a corridor's floor but not its side walls.
    tiles = corridor()
    floor_only = tiles != Tile.WALL
    image = first_person(state(tiles, x=2.0, explored=floor_only))
    full = first_person(state(tiles, x=2.0))
    np.testing.assert_array_equal(image, full)
    assert cell_states(state(tiles, explored=floor_only))[0, 0] == UNEXPLORED  # not next to any floor


@pytest.mark.parametrize("mode", list(ViewMode))
def test_frames_are_deterministic(mode: ViewMode) -> None:
    tiles = corridor()
    view = state(tiles, x=2.3, facing=0.2, sprites=(Sprite(3.0, 5.5, "agent", colour=(200, 50, 50)),
                                                    Sprite(3.2, 4.0, "potion")),
                 hud=Hud(hp=7, max_hp=10, buff="+1 ATK", messages=("hello",)), paths=(((3, 2), (3, 3), (3, 4)),))
    shared = Renderer()
    first = frame(view, mode, renderer=shared)
    np.testing.assert_array_equal(first, frame(view, mode, renderer=shared))
    np.testing.assert_array_equal(first, frame(view, mode))


def test_top_down_marks_the_viewer_at_the_centre_and_sprites_at_fractional_cells() -> None:
    tiles = corridor(16)
    sprite = Sprite(3.0, 6.5, "agent", colour=(250, 20, 250))
    image = frame(state(tiles, x=4.0, sprites=(sprite,)), ViewMode.TOP_DOWN)
    view = layout_for(FRAME_SIZE).view
    assert tuple(image[view.centerx, view.centery]) == VIEWER
    # 2.5 cells east of the camera, in the sprite's colour.
    assert tuple(image[view.centerx + int(2.5 * CELL), view.centery]) == (250, 20, 250)


def test_top_down_shades_unexplored_remembered_and_visible_cells() -> None:
    tiles = corridor(16)
    explored = np.ones(tiles.shape, bool)
    explored[:, 10:] = False
    visible = explored.copy()
    visible[:, 6:] = False
    image = frame(state(tiles, x=4.0, explored=explored, visible=visible), ViewMode.TOP_DOWN)
    view = layout_for(FRAME_SIZE).view

    def cell_mean(x: int) -> float:
        px = view.centerx + (x - 4) * CELL
        return float(image[px - CELL // 3:px + CELL // 3, view.centery - CELL // 3:view.centery + CELL // 3].mean())

    assert cell_mean(5) > 1.5 * cell_mean(7) > 0
    assert cell_mean(11) == 0


def test_isometric_draws_sprites_and_hides_unexplored() -> None:
    tiles = corridor(16)
    base = frame(state(tiles, x=4.0), ViewMode.ISOMETRIC)
    with_sprite = frame(state(tiles, x=4.0, sprites=(Sprite(3.0, 6.0, "agent", colour=(250, 20, 20)),)),
                        ViewMode.ISOMETRIC)
    view = layout_for(FRAME_SIZE).view
    diff = np.abs(with_sprite - base).sum(axis=2)[view.left:view.right]
    assert diff.astype(bool).sum() > 100
    dark = frame(state(tiles, x=4.0, explored=np.zeros(tiles.shape, bool)), ViewMode.ISOMETRIC)
    assert dark[view.left:view.right].max() == 0 or dark[view.left:view.right].astype(bool).mean() < 0.001


def test_isometric_walls_in_front_of_the_viewer_are_see_through() -> None:
    tiles = np.full((9, 9), Tile.FLOOR, np.uint8)
    me = (Sprite(4.0, 4.0, "agent", is_player=True, colour=(250, 20, 250)),)
    view = layout_for(FRAME_SIZE).view
    open_floor = frame(state(tiles, 4.0, 4.0, sprites=me), ViewMode.ISOMETRIC)
    tiles[5, 5] = tiles[5, 4] = tiles[4, 5] = Tile.WALL  # blocks between the viewer and the onlooker
    walled = frame(state(tiles, 4.0, 4.0, sprites=me), ViewMode.ISOMETRIC)
    figure = (slice(view.centerx - 15, view.centerx + 15), slice(view.centery - 30, view.centery))

    def magenta(image: np.ndarray) -> int:
        part = image[figure]
        return int(((part[..., 0] > part[..., 1] + 60) & (part[..., 2] > part[..., 1] + 60)).sum())

    assert magenta(walled) > 0.5 * magenta(open_floor) > 0


def test_help_box_fits_long_bindings() -> None:
    bindings = [("Space / Enter / Keypad 0", "open/close/unlock an adjacent door, or take the stairs you stand on")]
    bindings *= 16
    box = help_box((960, 600), bindings, TextCache())
    assert pygame.Rect(0, 0, 960, 600).contains(box)


def test_minimap_shows_the_viewer_and_paths() -> None:
    tiles = corridor(16)
    view = state(tiles, x=4.0, facing=math.pi)
    with_path = state(tiles, x=4.0, facing=math.pi, paths=(((3, 5), (3, 8), (3, 12)),))
    rect = layout_for(FRAME_SIZE).minimap
    plain, pathed = frame(view, ViewMode.FIRST_PERSON), frame(with_path, ViewMode.FIRST_PERSON)
    x, y = Minimap().to_screen(rect, view, 3.0, 4.0)
    assert tuple(plain[x, y]) == VIEWER
    x, y = Minimap().to_screen(rect, view, 3.0, 10.0)
    assert tuple(pathed[x, y]) != tuple(plain[x, y])


def test_hp_bar_follows_hp() -> None:
    tiles = corridor()
    stats = layout_for(FRAME_SIZE).stats

    def green_share(hp: int) -> float:
        image = frame(state(tiles, hud=Hud(hp=hp, max_hp=20)), ViewMode.TOP_DOWN)
        row = image[stats.left + 2:stats.right - 2, stats.top + 58]  # the bar's middle row
        return float((row[:, 1] > row[:, 0] + 60).mean())

    assert green_share(5) == pytest.approx(0.25, abs=0.05)
    assert green_share(20) == pytest.approx(1.0, abs=0.05)
    assert green_share(0) == 0.0


def test_text_is_separable() -> None:
    tiles = corridor()
    sprite = (Sprite(3.0, 5.0, "agent", label="attack"),)
    one = state(tiles, sprites=sprite, hud=Hud(hp=3, max_hp=9, messages=("one",), title="A", melee="sword"))
    two = state(tiles, sprites=sprite, hud=Hud(hp=3, max_hp=9, messages=("two", "three"), title="B", melee="axe"))
    for mode in ViewMode:
        np.testing.assert_array_equal(frame(one, mode), frame(two, mode))
    with_text = pygame.Surface(FRAME_SIZE)
    draw_frame(with_text, one, ViewMode.FIRST_PERSON)
    assert np.abs(pygame.surfarray.array3d(with_text).astype(int) - frame(one, ViewMode.FIRST_PERSON)).sum() > 0


@pytest.mark.parametrize("mode", list(ViewMode))
def test_labels_are_placed_above_visible_sprites(mode: ViewMode) -> None:
    renderer = Renderer()
    surface = pygame.Surface(FRAME_SIZE)
    rect = layout_for(FRAME_SIZE).view
    view = state(corridor(16), x=4.0, sprites=(Sprite(3.0, 7.0, "agent", label="attack"),
                                               Sprite(3.0, 1.0, "agent", label="behind the camera")))
    views = {ViewMode.FIRST_PERSON: renderer.first_person, ViewMode.TOP_DOWN: renderer.top_down,
             ViewMode.ISOMETRIC: renderer.isometric}
    labels = views[mode].draw(surface, rect, view)
    texts = [label.text for label in labels]
    assert "attack" in texts
    if mode is ViewMode.FIRST_PERSON:
        assert texts == ["attack"]
        label = labels[0]
        assert abs(label.x - rect.centerx) <= 2 and rect.top < label.y < rect.centery


def test_warm_up_draws_every_mode() -> None:
    Renderer().warm_up()


def test_help_overlay_dims_the_frame() -> None:
    view = state(corridor())
    plain = frame(view, ViewMode.FIRST_PERSON)
    helped = frame(view, ViewMode.FIRST_PERSON, help_keys=[("F1", "help"), ("W", "forward")])
    assert helped.mean() < plain.mean()
    surface = pygame.Surface(FRAME_SIZE)
    Renderer().draw(surface, view, ViewMode.FIRST_PERSON, help_keys=[("F1", "help"), ("W", "forward")])


@pytest.mark.parametrize("size", [(960, 600), (320, 200), (200, 120)])
def test_odd_views_and_sizes_do_not_fail(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(0)
    tiles = rng.choice(np.arange(len(Tile), dtype=np.uint8), size=(9, 13))
    renderer = Renderer()
    surface = pygame.Surface(size)
    for facing in (0.0, 0.7, math.pi / 2, 2.5, -math.pi, 5.9):
        for y, x in ((0.0, 0.0), (4.3, 6.6), (8.0, 12.0), (-0.4, 12.4)):
            sprites = (Sprite(y + 0.5, x, "agent"), Sprite(y, x + 1, "key"), Sprite(y, x, "unknown-kind"))
            view = ViewState(tiles, rng.random(tiles.shape) < 0.7, rng.random(tiles.shape) < 0.4, y, x, facing,
                             sprites, Hud(hp=1, max_hp=0, messages=("x" * 300,)), ((),))
            for mode in ViewMode:
                renderer.draw(surface, view, mode)


def test_bench_runs(tmp_path: Path) -> None:
    path = Path(__file__).resolve().parents[1] / "bench" / "frame_time.py"
    spec = importlib.util.spec_from_file_location("frame_time_bench", path)
    bench = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    out = tmp_path / "bench.json"
    results = bench.main(["--frames", "3", "--warmup", "1", "--json", str(out), "--screenshots", str(tmp_path),
                          "--shot", "2"])
    assert set(results["modes"]) == {"first-person", "top-down", "isometric"}
    assert out.exists() and (tmp_path / "first-person.png").exists()

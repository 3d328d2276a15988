"""What the player is told: hits with their source, names, the log, look, end screen, HUD and panels.

Hand-built levels keep every turn predictable; keys go through ``App.handle_key`` as
real key events do, and the simulation is the real one.
"""

from __future__ import annotations

import dataclasses
import math
import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from game.actions import MOVE_FIRST, WAIT  # noqa: E402
from game.handmade import item, make_level, scenario_params, spawn  # noqa: E402
from game.state import BUFF_ATK, BUFF_DEF, BUFF_TURNS, FLOOR, HP, X, Y  # noqa: E402
from game.ui.app import App, GameOptions  # noqa: E402
from game.ui.combat import LAVA, turn_hits  # noqa: E402
from game.ui.controls import Context  # noqa: E402
from game.ui.endscreen import end_prompt, score  # noqa: E402
from game.ui.examine import Examine  # noqa: E402
from game.ui.live_panel import LivePanel, LiveRetraining, fmt, smoothed  # noqa: E402
from game.ui.messages import MessageLog  # noqa: E402
from game.ui.names import agent_kinds, numbered_names  # noqa: E402
from game.ui.panel import bar_span  # noqa: E402
from game.ui.recording import new_sim  # noqa: E402
from game.ui.view_builder import Snapshot, make_hud  # noqa: E402
from levels.params import LevelParams, SpawnGroup, load_preset  # noqa: E402

SIZE = (640, 400)


def rows(*lines: str, height: int = 11, width: int = 12) -> list[str]:
    """Rows walled up to a size the schema accepts."""
    out = [line.ljust(width, "#") for line in lines]
    return out + ["#" * width] * (height - len(out))


def named_params(shape=(1, 11, 12), **options) -> LevelParams:
    """Scenario parameters whose spawn groups name the monsters ("rat" on floor 0, "ogre" below)."""
    return dataclasses.replace(
        scenario_params(shape, **options),
        spawns=[SpawnGroup(faction="hero", count=(1, 1), floors=[0]),
                SpawnGroup(faction="monsters", name="rat", floors=[0], defense=(0, 0)),
                SpawnGroup(faction="monsters", name="ogre", floors=[1], defense=(9, 9))])


def app_on(level, tmp_path: Path, **options) -> App:
    """An off-screen app on ``level`` with the scripted NPC."""
    options.setdefault("checkpoint", "scripted")
    app = App(GameOptions(level.params, 0, level=level, data_dir=tmp_path, **options), surface=pygame.Surface(SIZE))
    app.text = False
    return app


# ----------------------------------------------------------------------------- the log


def test_repeats_collapse_and_scrollback_pages_through_old_messages() -> None:
    log = MessageLog()
    for _ in range(6):
        log.append("A wall blocks the way.")
    log.append("A door opens.")
    assert list(log) == ["A wall blocks the way. (x6)", "A door opens."]
    for n in range(20):
        log.append(f"line {n}")
    assert log.window(3) == ("line 17", "line 18", "line 19")
    log.page(5, 1)  # PgUp
    assert log.window(3) == ("line 12", "line 13", "line 14") and "PgDn" in log.position()
    log.append("new")  # a reader scrolled back keeps their place
    assert log.window(3) == ("line 12", "line 13", "line 14")
    log.page(100, -1)  # PgDn to the bottom
    assert log.window(1) == ("new",) and log.position() == ""


def test_pgup_in_the_game_scrolls_the_hud_log(tmp_path: Path) -> None:
    level = make_level(rows("####", "#..#"), agents=[spawn("hero", 1, 1), spawn("monsters", 1, 2, hp=50)])
    app = app_on(level, tmp_path)
    for n in range(12):
        app._say(f"message {n}")
    newest = app.session.view(app.now, False, "").hud.messages[-1]
    app.handle_key(pygame.K_PAGEUP)
    view = app.session.view(app.now, False, "")
    assert newest == "message 11" and view.hud.messages[-1] == "message 6" and view.hud.scrollback


# ----------------------------------------------------------------------------- hits and names


def test_melee_hits_name_the_attacker_and_its_weapon_and_lava_is_a_cause(tmp_path: Path) -> None:
    params = named_params(lava_damage=4)
    sword = item("melee", damage_min=5, damage_max=5)
    level = make_level(rows("#####", "#.^.#"), params=params,
                       agents=[spawn("hero", 1, 1, defense=0), spawn("monsters", 1, 3, atk=1, defense=0,
                                                                      items=[sword])])
    sim = new_sim(level, 0)
    sim.reset()
    before = Snapshot.take(sim.world)
    actions = np.full(sim.num_agents, WAIT)
    actions[0] = MOVE_FIRST + 2  # the hero walks east into the lava
    sim.step(actions.reshape(1, -1))
    after = Snapshot.take(sim.world)
    hits = turn_hits(before.ag, before.it, after.ag, after.tiles, actions, lambda i: "sword")
    assert [(h.victim, h.hazards, h.attackers) for h in hits] == [(0, (LAVA,), ())]
    before = after
    actions = np.full(sim.num_agents, WAIT)
    actions[1] = MOVE_FIRST + 6  # the monster strikes west
    sim.step(actions.reshape(1, -1))
    after = Snapshot.take(sim.world)
    hits = turn_hits(before.ag, before.it, after.ag, after.tiles, actions, lambda i: "sword")
    assert hits[0].attackers == (1,) and hits[0].weapons == ("sword",) and LAVA in hits[0].hazards
    assert hits[0].amount == int(before.ag[0, HP] - after.ag[0, HP]) == 6 + 4
    assert math.isclose(hits[0].source_angle(after.ag), 0.0)  # the attacker stands east


def test_monsters_are_named_after_their_spawn_group() -> None:
    params = named_params((2, 11, 12))
    level = make_level([rows("#####", "#...#"), rows("#####", "#...#")], params=params,
                       agents=[spawn("hero", 1, 1), spawn("monsters", 1, 3, defense=0),
                               spawn("monsters", 1, 2, floor=1, defense=9), spawn("monsters", 1, 3, floor=1,
                                                                                 defense=9)])
    sim = new_sim(level, 0)
    sim.reset()
    kinds = agent_kinds(params, tuple(sim.layout.factions), sim.world.ag[0])
    present = sim.world.ag[0, :, 0] != 0
    names = [n for n, here in zip(numbered_names(kinds, present), present, strict=True) if here]
    assert names == ["Hero", "Rat", "Ogre 1", "Ogre 2"]


def test_being_hit_logs_the_attacker_flashes_and_points_at_it_and_death_has_its_cause(tmp_path: Path) -> None:
    params = named_params()
    level = make_level(rows("#####", "#...#"), params=params,
                       agents=[spawn("hero", 1, 1, hp=6, defense=0), spawn("monsters", 1, 2, atk=4, defense=0)])
    app = app_on(level, tmp_path)
    app.handle_key(pygame.K_z)
    s = app.session
    assert any(line.startswith("Rat hits you") and "-" in line for line in s.log)
    view = s.view(app.now, False, "")
    marker = [e for e in view.effects if e.on_viewer]
    assert marker and math.isclose(marker[0].angle, 0.0) and marker[0].text.startswith("-")
    for _ in range(5):
        if s.finished:
            break
        app.handle_key(pygame.K_z)
    assert s.finished and s.death == "Slain by Rat"
    assert s.summary()[:3] == ["You died.", "Slain by Rat.", "The monsters win."]
    deaths = [line for line in s.log if "die" in line.lower()]
    assert deaths == ["You died: slain by Rat."]  # one death message, with its cause


def test_struck_monsters_flash_red_for_a_moment(tmp_path: Path) -> None:
    level = make_level(rows("#####", "#...#"), agents=[spawn("hero", 1, 1), spawn("monsters", 1, 2, hp=50,
                                                                                   defense=0)])
    app = app_on(level, tmp_path)
    colour = [sp.colour for sp in app.session.view(app.now, False, "").sprites if sp.slot == 1][0]
    app.handle_key(pygame.K_f)  # F strikes the adjacent monster
    hit = [sp for sp in app.session.view(app.now, False, "").sprites if sp.slot == 1][0]
    assert hit.flash > 0 and hit.colour != colour and hit.colour[0] > hit.colour[1]
    app.update(1.0)
    later = [sp for sp in app.session.view(app.now, False, "").sprites if sp.slot == 1][0]
    assert later.flash == 0 and later.colour == colour


# ----------------------------------------------------------------------------- moving


def test_lava_asks_before_the_first_step(tmp_path: Path) -> None:
    level = make_level(rows("#####", "#.^.#"), params=scenario_params((1, 11, 12), lava_damage=2),
                       agents=[spawn("hero", 1, 1), spawn("monsters", 1, 3, atk=0)])
    app = app_on(level, tmp_path)
    s = app.session
    app.handle_key(pygame.K_w)
    assert s.turn == 0 and "Lava ahead" in s.log[-1]
    app.handle_key(pygame.K_w)  # the same step again walks in
    assert s.turn == 1 and tuple(s.sim.world.ag[0, 0, [Y, X]]) == (1, 2)
    assert any("the lava burns you" in line for line in s.log)


def test_ninety_degree_turns_by_default_and_45_as_an_option(tmp_path: Path) -> None:
    level = make_level(rows("#####", "#...#", "#...#"), agents=[spawn("hero", 1, 1), spawn("monsters", 2, 3)])
    app = app_on(level, tmp_path)
    start = app.session.facing[0]
    app.handle_key(pygame.K_e)
    assert app.session.facing[0] == (start + 2) % 8
    fine = app_on(level, tmp_path / "b", turn_degrees=45)
    fine.handle_key(pygame.K_e)
    assert fine.session.facing[0] == (start + 1) % 8


def test_after_the_stairs_the_view_faces_an_open_direction(tmp_path: Path) -> None:
    # Below, the stairs sit in a corridor running south: facing east would show only bricks.
    level = make_level([rows("#####", "#.>.#"), rows("#####", "##<##", "##.##", "##.##")],
                       agents=[spawn("hero", 1, 2), spawn("monsters", 1, 1, floor=0, hp=50, atk=0)])
    app = app_on(level, tmp_path)
    app.handle_key(pygame.K_SPACE)
    assert app.session.sim.world.ag[0, 0, FLOOR] == 1 and app.session.facing[0] == 4  # south


def test_esc_asks_before_quitting_and_any_other_key_stays(tmp_path: Path) -> None:
    level = make_level(rows("####", "#..#"), agents=[spawn("hero", 1, 1), spawn("monsters", 1, 2, hp=50)])
    app = app_on(level, tmp_path)
    app.handle_key(pygame.K_ESCAPE)
    assert app.running and app.confirm_quit
    app.handle_key(pygame.K_n)
    assert app.running and not app.confirm_quit
    app.handle_key(pygame.K_ESCAPE)
    app.handle_key(pygame.K_ESCAPE)
    assert not app.running


# ----------------------------------------------------------------------------- look, HUD, end screen


def test_look_describes_the_nearest_enemy_then_the_next_thing_in_words(tmp_path: Path) -> None:
    bow = item("ranged", damage_min=1, damage_max=5, range=2)
    level = make_level(rows("######", "#....#"), params=named_params(),
                       items=[(0, 1, 4, bow)],
                       agents=[spawn("hero", 1, 1, dex=3), spawn("monsters", 1, 2, hp=20, atk=6, defense=0)])
    app = app_on(level, tmp_path)
    app.handle_key(pygame.K_x)
    title, lines = app.examine.describe(app.session.sim, 0, app.session.names)
    text = " ".join(lines)
    assert title == "Rat" and "1 cell to the east" in text and "per blow" in text and "unhurt" in text
    assert "its blows take 3-3 HP" in text  # ATK 6 against DEF 3
    app.handle_key(pygame.K_x)
    title, lines = app.examine.describe(app.session.sim, 0, app.session.names)
    assert "reach 3 (range 2 + DEX 3 - 2)" in " ".join(lines)
    app.handle_key(pygame.K_LSHIFT)  # any other key closes it
    assert app.examine is None
    assert Examine.of(app.session.sim.world, 0, np.zeros((11, 12), bool)).current is None


def test_hud_atk_and_def_include_the_active_buff(tmp_path: Path) -> None:
    level = make_level(rows("####", "#..#"), agents=[spawn("hero", 1, 1, atk=3, defense=2),
                                                     spawn("monsters", 1, 2, hp=50)])
    sim = new_sim(level, 0)
    sim.reset()
    sim.world.ag[0, 0, [BUFF_ATK, BUFF_DEF, BUFF_TURNS]] = (2, 3, 4)
    hud = make_hud(sim, 0, (), "")
    assert (hud.atk, hud.defense, hud.atk_bonus, hud.def_bonus) == (5, 5, 2, 3)


def test_a_worse_item_walked_over_is_reported(tmp_path: Path) -> None:
    level = make_level(rows("########", "#....#.#"),  # the monster is walled in on the right
                       agents=[spawn("hero", 1, 1), spawn("monsters", 1, 6, hp=50, atk=0)],
                       items=[(0, 1, 2, item("melee", damage_min=4, damage_max=6)),
                              (0, 1, 3, item("melee", damage_min=1, damage_max=2))])
    app = app_on(level, tmp_path)
    app.handle_key(pygame.K_w)  # picks up the better sword
    app.handle_key(pygame.K_w)  # walks over the worse one
    assert any(line.startswith("You leave") and "is better" in line for line in app.session.log)


def test_end_screen_scores_and_offers_load_only_with_a_save() -> None:
    assert score(slain=2, deepest=3, won=False) == 2 * 100 + 2 * 250
    assert score(slain=0, deepest=1, won=True) == 500
    assert "F9" not in end_prompt(4, can_load=False, replay=False)
    assert "F9" in end_prompt(4, can_load=True, replay=False)


# ----------------------------------------------------------------------------- panels


def test_live_panel_never_shows_nan_and_smooths_the_curve(tmp_path: Path) -> None:
    assert fmt(float("nan")) == "-" and fmt(None) == "-" and fmt(0.625) == "0.62"
    assert np.allclose(smoothed([float("nan"), 1.0, 0.0], weight=0.5)[1:], [1.0, 0.5])
    panel = LivePanel(LiveRetraining(tmp_path, load_preset("arena")))
    assert not any("nan" in line.lower() for line in panel.lines())
    surface = pygame.Surface((960, 600))
    surface.fill((1, 2, 3))
    panel.draw(surface, pygame.font.Font(None, 22))
    assert surface.get_at((900, 300))[:3] == (1, 2, 3)  # the HUD on the right stays uncovered


def test_movement_keys_play_with_the_live_panel_open(tmp_path: Path) -> None:
    level = make_level(rows("#####", "#...#"), agents=[spawn("hero", 1, 1), spawn("monsters", 1, 3, hp=50)])
    app = app_on(level, tmp_path)
    app.handle_key(pygame.K_F5)
    assert app.context() is Context.LIVE
    app.handle_key(pygame.K_w)
    assert app.session.turn == 1 and app.context() is Context.LIVE


def test_designer_bars_are_proportional_to_the_value() -> None:
    assert bar_span(0, -1000, 1000) == (0.5, 0.5)  # heal 0: empty
    assert bar_span(5, 0, 10) == (0.0, 0.5)
    assert bar_span(-500, -1000, 1000) == (0.25, 0.5)


def test_title_says_edited_parameters_are_in_use_after_play(tmp_path: Path) -> None:
    app = App(GameOptions(load_preset("arena"), 1, data_dir=tmp_path, checkpoint="scripted"),
              surface=pygame.Surface(SIZE))
    assert "(edited)" not in app.title()
    app.handle_key(pygame.K_TAB)
    app.handle_key(pygame.K_RIGHT)  # the first field one notch up
    app.handle_key(pygame.K_p)
    assert app.panel is None and "(edited)" in app.title()




# ----------------------------------------------------------------------------- start-up


def test_a_slow_start_step_runs_behind_a_loading_screen_that_names_it() -> None:
    import threading

    from game.ui.loading import Loading

    pygame.font.init()
    screen = pygame.Surface((480, 300))
    screen.fill((0, 0, 0))
    seen: list[str] = []

    def work() -> int:
        seen.append(threading.current_thread().name)
        pygame.time.wait(350)  # long enough for the screen to be drawn a few times
        return 7

    loading = Loading(screen, pygame.font.Font(None, 22))
    assert loading.run_step("Compiling the simulation", work) == 7
    assert seen == ["loading: Compiling the simulation"]  # off the main thread
    pixels = pygame.surfarray.array3d(screen)
    assert (pixels.max(axis=2) > 100).mean() > 0.002  # text on the screen, not a black window
    assert loading.done[0].startswith("Compiling the simulation (")

    def broken() -> None:
        raise ValueError("no")

    try:
        loading.run_step("Broken", broken)
    except ValueError as exc:
        assert str(exc) == "no"
    else:
        raise AssertionError("the step's error was swallowed")

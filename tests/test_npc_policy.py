"""The policy interface: shapes, masking, determinism, the three networks, the scripted NPC."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from game.actions import CORE_ACTIONS, WAIT
from game.spec import ENTITY_COLUMN, ENTITY_DIM, MAX_ENTITIES, PATCH, SELF_DIM
from npc.checkpoint import ARCHITECTURES, build_policy
from npc.nav_transformer import NAV_ACTIONS, NavTransformer
from npc.policy import (
    HELD_FLAG_COLUMNS,
    RandomPolicy,
    legal_mask,
    masked_entropy,
    masked_log_probs,
    sample_actions,
)
from npc.scripted import ScriptedNPC
from npc.transformer import EntityTransformer


def random_obs(n: int, seed: int = 0, num_actions: int = CORE_ACTIONS) -> dict[str, torch.Tensor]:
    """Observations with the spec's shapes and dtypes (random content)."""
    g = torch.Generator().manual_seed(seed)
    entities = torch.randn(n, MAX_ENTITIES, ENTITY_DIM, generator=g) * 0.3
    return {
        "patch": torch.randint(0, 11, (n, PATCH, PATCH, 4), generator=g, dtype=torch.uint8),
        "entities": entities,
        "entity_mask": torch.randint(0, 2, (n, MAX_ENTITIES), generator=g, dtype=torch.int8),
        "self": torch.randn(n, SELF_DIM, generator=g),
        "action_mask": torch.randint(0, 2, (n, num_actions), generator=g, dtype=torch.int8),
    }


def actions_for(arch: str) -> int:
    """The action count an architecture is built with (the navigator-action net has its own)."""
    return NAV_ACTIONS if arch == NavTransformer.arch else CORE_ACTIONS


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_every_network_acts_with_the_spec_shapes(arch: str) -> None:
    net = build_policy(arch, actions_for(arch))
    obs = random_obs(7, num_actions=actions_for(arch))
    result = net.act(obs, generator=torch.Generator().manual_seed(1))
    assert result.actions.shape == (7,) and result.actions.dtype == torch.int64
    assert result.log_probs.shape == (7,) and result.values.shape == (7,)
    assert torch.all(result.log_probs <= 0)
    log_probs, entropy, values = net.evaluate(obs, result.actions)
    assert torch.allclose(log_probs, result.log_probs, atol=1e-5)
    assert torch.allclose(values, result.values, atol=1e-5)
    assert torch.all(entropy >= -1e-6)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_networks_never_choose_an_illegal_action(arch: str) -> None:
    net = build_policy(arch, actions_for(arch))
    obs = random_obs(256, seed=3, num_actions=actions_for(arch))
    legal = legal_mask(obs["action_mask"])
    g = torch.Generator().manual_seed(0)
    for deterministic in (False, True):
        for _ in range(5):
            actions = net.act(obs, deterministic=deterministic, generator=g).actions
            assert legal[torch.arange(256), actions].all()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(2, 24), st.integers(0, 2**31 - 1), st.floats(0.1, 60.0))
def test_masked_sampling_never_lets_an_illegal_action_through(n: int, actions: int, seed: int,
                                                               scale: float) -> None:
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, actions, generator=g) * scale
    # Make illegal actions the most attractive ones: masking must still exclude them.
    mask = torch.rand(n, actions, generator=g) < 0.3
    logits = torch.where(mask, logits, logits.abs() * 100 + 1000)
    legal = legal_mask(mask.to(torch.int8))
    log_probs = masked_log_probs(logits, legal)
    assert torch.all(torch.isinf(log_probs[~legal]))
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(n), atol=1e-5)
    for deterministic in (False, True):
        chosen = sample_actions(log_probs, deterministic, g)
        assert legal[torch.arange(n), chosen].all()
    assert torch.isfinite(masked_entropy(log_probs, legal)).all()


def test_a_row_without_legal_actions_falls_back_to_wait() -> None:
    mask = torch.zeros(3, CORE_ACTIONS, dtype=torch.int8)
    mask[1, 5] = 1
    legal = legal_mask(mask)
    assert legal[0].tolist() == [i == WAIT for i in range(CORE_ACTIONS)]
    assert legal[1, 5] and legal[1].sum() == 1


def test_masked_entropy_has_finite_gradients() -> None:
    logits = torch.randn(4, 6, requires_grad=True)
    legal = torch.tensor([[1, 0, 1, 0, 0, 0]] * 4, dtype=torch.bool)
    masked_entropy(masked_log_probs(logits, legal), legal).sum().backward()
    assert torch.isfinite(logits.grad).all()


def test_sampling_is_reproducible_with_a_generator() -> None:
    net = EntityTransformer(CORE_ACTIONS, d=32, heads=2)
    obs = random_obs(64, seed=5)
    a = net.act(obs, generator=torch.Generator().manual_seed(9)).actions
    b = net.act(obs, generator=torch.Generator().manual_seed(9)).actions
    assert torch.equal(a, b)
    d1 = net.act(obs, deterministic=True).actions
    d2 = net.act(obs, deterministic=True).actions
    assert torch.equal(d1, d2)


def test_numpy_observations_are_accepted() -> None:
    net = build_policy("dense", CORE_ACTIONS)
    obs = {k: v.numpy() for k, v in random_obs(4).items()}
    assert net.act(obs).actions.shape == (4,)


def test_transformer_pointer_head_scores_only_present_entities() -> None:
    net = EntityTransformer(CORE_ACTIONS, d=32, heads=2)
    obs = random_obs(5)
    scores = net.target_logits(obs)
    assert scores.shape == (5, MAX_ENTITIES)
    present = obs["entity_mask"].bool()
    assert torch.isinf(scores[~present]).all() and torch.isfinite(scores[present]).all()


def test_transformer_ignores_padded_entity_rows() -> None:
    net = EntityTransformer(CORE_ACTIONS, d=32, heads=2)
    obs = random_obs(6)
    obs["entity_mask"][:, 5:] = 0
    changed = {k: v.clone() for k, v in obs.items()}
    changed["entities"][:, 5:] = torch.randn(6, MAX_ENTITIES - 5, ENTITY_DIM)
    with torch.no_grad():
        assert torch.allclose(net(obs)[0], net(changed)[0], atol=1e-5)


def test_dense_embedding_sees_items_by_attributes() -> None:
    net = build_policy("dense", CORE_ACTIONS)
    obs = random_obs(2)
    obs["entity_mask"][:] = 1
    changed = {k: v.clone() for k, v in obs.items()}
    changed["entities"][:, 0, 15] += 0.5  # melee_min of the first entity
    with torch.no_grad():
        assert not torch.allclose(net(obs)[0], net(changed)[0])


def test_baseline_uses_entity_kind_ids_when_given() -> None:
    net = build_policy("baseline", CORE_ACTIONS)
    obs = random_obs(3)
    obs["entities"][:, :, 1] = 1.0  # every token is a melee weapon
    obs["entities"][:, :, 31:33] = 0.0
    obs["entities"][:, 0, 31] = 1 / 12  # one cell south
    obs["entity_mask"][:] = 0
    obs["entity_mask"][:, 0] = 1
    obs["patch"][..., 3] = 0
    with_kind = dict(obs, entity_kind=torch.full((3, MAX_ENTITIES), 5))
    codes = net.cell_codes(with_kind)
    assert (codes[:, 7 * PATCH + 6] == net.codes.num_embeddings - net.item_buckets + 5).all()


def test_baseline_sees_held_items_by_id_only() -> None:
    from game.spec import HELD_FEATURES, SELF_FEATURES

    torch.manual_seed(0)
    net = build_policy("baseline", CORE_ACTIONS)
    obs = random_obs(4, seed=5)
    column = {name: i for i, (name, _) in enumerate(SELF_FEATURES)}
    for _, names in HELD_FEATURES:
        obs["self"][:, column[names[0]]] = 1.0  # every slot holds something
    obs["held_kind"] = torch.tensor([[2, 5, 8]] * 4)
    retuned = {k: v.clone() for k, v in obs.items()}
    retuned["self"][:, column["heal"]] = -0.4  # the potion in hand is now poison
    retuned["self"][:, column["melee_max"]] += 0.5
    other_kind = dict(obs, held_kind=torch.tensor([[2, 5, 9]] * 4))
    with torch.no_grad():
        logits = net(obs)[0]
        assert torch.equal(logits, net(retuned)[0])  # same kinds, same view, whatever the attributes
        assert not torch.allclose(logits, net(other_kind)[0])
    # Without held_kind, an id is a hash of the held item's attributes (fixed-attribute loot).
    plain = {k: v for k, v in obs.items() if k != "held_kind"}
    plain_retuned = {k: v for k, v in retuned.items() if k != "held_kind"}
    assert not torch.equal(net.held_ids(plain), net.held_ids(plain_retuned))


class _AlwaysThree(ScriptedNPC):
    """A scripted NPC whose rules always choose action 3, legal or not."""

    def __call__(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        return np.full(len(obs["self"]), 3)


def test_scripted_npc_behind_the_interface_is_always_legal() -> None:
    obs = {k: v.numpy() for k, v in random_obs(50, seed=2).items()}
    result = _AlwaysThree().act(obs)
    legal = legal_mask(torch.from_numpy(obs["action_mask"]))
    assert legal[torch.arange(50), result.actions].all()
    assert (result.actions[legal[:, 3]] == 3).all()


def test_random_policy_is_legal() -> None:
    obs = random_obs(100, seed=4)
    actions = RandomPolicy().act(obs, generator=torch.Generator().manual_seed(0)).actions
    assert legal_mask(obs["action_mask"])[torch.arange(100), actions].all()


def _reference_tokens(net: EntityTransformer, obs: dict[str, torch.Tensor]) -> torch.Tensor:
    """The transformer's input tokens computed the direct way: embedding lookups per patch cell."""
    from game.spec import PATCH_RADIUS
    from npc.policy import KNOWN_CODES, OCCUPANT_CODES, entity_offsets
    from npc.transformer import MAX_OFFSET

    p = obs["patch"].long()
    cells = (net.cell_known(p[..., 0].clamp(0, KNOWN_CODES - 1))
             + net.cell_occupant(p[..., 3].clamp(0, OCCUPANT_CODES - 1))
             + net.cell_flags(p[..., 1:3].clamp(0, 1).float())).permute(0, 3, 1, 2)
    lo, hi = PATCH_RADIUS - net.local, PATCH_RADIUS + net.local + 1
    me = (net.self_embed(obs["self"].float()) + net.mask_embed(obs["action_mask"].float())
          + net.local_embed(cells[:, :, lo:hi, lo:hi].flatten(1)))
    entities = obs["entities"].float()
    dy, dx = entity_offsets(entities)
    side = 2 * MAX_OFFSET + 1
    cell = (dy.clamp(-MAX_OFFSET, MAX_OFFSET) + MAX_OFFSET) * side + dx.clamp(-MAX_OFFSET, MAX_OFFSET) + MAX_OFFSET
    tokens = [me.unsqueeze(1), net.attr_embed(entities.index_select(-1, net.attr_columns)) + net.pos_embed(cell)]
    if net.patch_grid:
        pooled = torch.nn.functional.adaptive_avg_pool2d(cells, net.patch_grid).flatten(2).transpose(1, 2)
        tokens.append(net.patch_proj(pooled) + net.patch_pos)
    return torch.cat(tokens, dim=1)


@pytest.mark.parametrize(("layers", "patch_grid"), [(1, 0), (1, 1), (2, 1), (2, 2)])
def test_transformer_fast_paths_match_the_direct_computation(layers: int, patch_grid: int) -> None:
    """One-hot matmuls, prepared features and the self-token-only last block change no number."""
    torch.manual_seed(layers * 10 + patch_grid)
    net = EntityTransformer(CORE_ACTIONS, d=32, heads=2, layers=layers, patch_grid=patch_grid)
    for param in net.parameters():  # larger than the initial weights, so every term matters
        torch.nn.init.normal_(param, std=0.3)
    obs = random_obs(7, seed=layers + patch_grid)
    obs["entity_mask"][:, :] = 1  # every entity column kept, as in the reference
    with torch.no_grad():
        tokens, _, _ = net._tokens(obs)
        assert torch.allclose(tokens, _reference_tokens(net, obs), atol=1e-5)
        x, _ = net.encode(obs)
        logits, values = net(obs)
        assert torch.allclose(logits, net.policy_head(x[:, 0]), atol=1e-5)
        assert torch.allclose(values, net.value_head(x[:, 0]).squeeze(-1), atol=1e-5)
        prepared = net.prepare(obs)
        assert set(obs) < set(prepared)
        again_logits, again_values = net(prepared)
        assert torch.equal(again_logits, logits) and torch.equal(again_values, values)


def _pick_up(category: str, stats: dict[str, int]) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """The hero's observations with an item beside it on the floor, then after stepping onto it."""
    from game.actions import MOVE_FIRST
    from game.batch import BatchedSim
    from game.handmade import item, make_level, spawn

    rows = ["#######", "#.....#", "#.....#", "#######"]
    level = make_level(rows, [spawn("hero", 1, 1), spawn("monsters", 2, 5)], [(0, 1, 2, item(category, **stats))])
    sim = BatchedSim(level.params, 1, 0, levels=[level], threads=1)
    before = {k: v.copy() for k, v in sim.reset().items()}  # the simulator reuses its buffers
    east = np.zeros((1, 2), dtype=np.int64)
    east[0, 0] = MOVE_FIRST + 2  # DIRECTIONS order: n, ne, e, ...
    after, *_ = sim.step(east)

    def hero(obs: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
        return {k: torch.as_tensor(np.asarray(v)[0, :1]) for k, v in obs.items()}

    return hero(before), hero(after)


@pytest.mark.parametrize(("category", "stats", "slot"), [
    ("potion", {"heal": -6, "buff_atk": 2, "buff_def": -1, "buff_turns": 3}, 2),
    ("melee", {"damage_min": 2, "damage_max": 7}, 0),
    ("ranged", {"damage_min": 1, "damage_max": 4, "range": 5}, 1),
])
def test_a_held_item_token_describes_the_item_as_it_lay_on_the_floor(
        category: str, stats: dict[str, int], slot: int) -> None:
    """With ``held_tokens`` the item the hero picked up keeps the attributes of its floor token."""
    net = EntityTransformer(CORE_ACTIONS, d=32, heads=2, held_tokens=True)
    before, after = _pick_up(category, stats)
    floor_rows = before["entities"][0][before["entity_mask"][0].bool()]
    flag = ENTITY_COLUMN[f"is_{category}"]
    floor_item = floor_rows[floor_rows[:, flag] > 0.5]
    assert len(floor_item) == 1, "the item lies beside the hero"
    floor_attrs = floor_item.index_select(-1, net.attr_columns)[0]
    held = net.prepare(after)
    assert not (after["entities"][0, :, flag] > 0.5).any(), "picked up: no longer on the floor"
    assert held["_held_present"][0].tolist() == [i == slot for i in range(3)]
    assert torch.equal(held["_held"][0, slot], floor_attrs)
    assert torch.count_nonzero(held["_held"][0, [i for i in range(3) if i != slot]]) == 0


def test_held_tokens_change_nothing_while_the_hands_are_empty_and_something_when_not() -> None:
    """Empty slots are masked out: the same weights give the plain transformer's outputs."""
    torch.manual_seed(5)
    plain = EntityTransformer(CORE_ACTIONS, d=32, heads=2, layers=2, patch_grid=1)
    held = EntityTransformer(CORE_ACTIONS, d=32, heads=2, layers=2, patch_grid=1, held_tokens=True)
    for param in plain.parameters():
        torch.nn.init.normal_(param, std=0.3)
    missing, unexpected = held.load_state_dict(plain.state_dict(), strict=False)
    assert missing == ["held_slot"] and not unexpected
    torch.nn.init.normal_(held.held_slot, std=0.3)
    assert held.num_tokens == plain.num_tokens + 3
    obs = random_obs(6, seed=9)
    obs["self"][:, list(HELD_FLAG_COLUMNS)] = 0.0
    with torch.no_grad():
        assert torch.allclose(held(obs)[0], plain(obs)[0], atol=1e-5)
        assert torch.allclose(held(obs)[1], plain(obs)[1], atol=1e-5)
        holding = {k: v.clone() for k, v in obs.items()}
        holding["self"][:, HELD_FLAG_COLUMNS[2]] = 1.0  # a potion in hand, described by its columns
        plain_logits = plain(holding)[0]
        assert not torch.allclose(held(holding)[0], plain_logits, atol=1e-3)
        # Checkpoints carry the option, so a saved net comes back with its held tokens.
        rebuilt = build_policy("transformer", CORE_ACTIONS, dict(held.config))
        rebuilt.load_state_dict(held.state_dict())
        assert torch.equal(rebuilt(holding)[0], held(holding)[0])

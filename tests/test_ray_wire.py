"""The Ray backend's transport format (no Ray needed): batches join losslessly, weights round-trip."""

from __future__ import annotations

import numpy as np
import torch

from npc.checkpoint import build_policy
from npc.policy import OBS_KEYS
from training.distributed.wire import batch_to_arrays, join_batches, load_arrays, weights_to_arrays
from training.ppo import compute_gae
from training.rollout import Batch


def _batch(rng: np.random.Generator, T: int, N: int) -> Batch:
    def f(*shape: int) -> torch.Tensor:
        return torch.from_numpy(rng.standard_normal((T, N, *shape)).astype(np.float32))

    def b() -> torch.Tensor:
        return torch.from_numpy(rng.random((T, N)) < 0.1)

    obs = {k: f(3) for k in OBS_KEYS}
    return Batch(obs=obs, actions=torch.from_numpy(rng.integers(0, 5, (T, N))), log_probs=f(), values=f(),
                 rewards=f(), terminated=b(), done=b(), valid=~b(), next_values=f())


def test_joined_batches_give_each_column_the_same_advantages() -> None:
    rng = np.random.default_rng(0)
    a, b = _batch(rng, 7, 3), _batch(rng, 7, 5)
    joined = join_batches([batch_to_arrays(a), batch_to_arrays(b)])
    assert joined.rewards.shape == (7, 8) and joined.obs["self"].shape == (7, 8, 3)
    assert joined.valid.dtype == torch.bool and torch.equal(joined.valid[:, 3:], b.valid)
    adv, ret = compute_gae(joined, 0.97, 0.9)
    adv_a, ret_a = compute_gae(a, 0.97, 0.9)
    adv_b, ret_b = compute_gae(b, 0.97, 0.9)
    assert torch.equal(adv, torch.cat([adv_a, adv_b], dim=1))
    assert torch.equal(ret, torch.cat([ret_a, ret_b], dim=1))
    for k in OBS_KEYS:
        assert torch.equal(joined.obs[k], torch.cat([a.obs[k], b.obs[k]], dim=1))


def test_weights_round_trip_exactly_and_are_copies() -> None:
    torch.manual_seed(0)
    net = build_policy("transformer", 19, {"d": 16, "heads": 2, "layers": 1})
    torch.manual_seed(1)
    other = build_policy("transformer", 19, {"d": 16, "heads": 2, "layers": 1})
    arrays = weights_to_arrays(net)
    for v in arrays.values():
        v.flags.writeable = False  # as Ray hands them out
    load_arrays(other, arrays)
    for (k, v), (k2, v2) in zip(net.state_dict().items(), other.state_dict().items(), strict=True):
        assert k == k2 and torch.equal(v, v2)
    with torch.no_grad():
        next(net.parameters()).add_(1.0)  # the sent copy does not follow later updates
    assert not torch.equal(next(net.parameters()), next(other.parameters()))

"""Batched autoregressive rollout generation with numeric placeholders.

Each episode's prompt is the rollout-generation prompt of its instruction followed by a ``<state>`` placeholder that
carries a real start state. The model then alternates: the hidden state at the last position gives the action
(greedy: argmax for discrete actions, the regression output for continuous ones), which is appended as an
``<action>`` placeholder; the hidden state there gives the next state, appended as a ``<state>`` placeholder; and so
on, with the key/value cache so each step costs one token per episode. Prompts of different lengths are left-padded
with an attention mask and explicit positions, so batching does not change any episode's result.

Outputs are checked before they are written back into the sequence (and counted):

* a non-finite action is replaced by the centre of the action space (``nonfinite_actions``); a continuous action
  outside the action space is clipped to it, and counted (``clipped_actions``) when it overshoots by more than
  ``ACTION_TOLERANCE`` of the half-range (a regression head trained on saturated expert actions lands a hair beyond
  the bound half the time; that is not a malformed output);
* a non-finite state ends the episode before that state (``nonfinite_states``; an episode with no finite step left is
  dropped by the caller, ``dropped_episodes``); a state outside its episode's plausible box (the real states'
  range widened by a margin, and always containing the episode's real start state) is clipped into it
  (``clipped_states``);
* dimensions that never move in real data are copied from the previous state (not counted: by construction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from imagine_bench.imagination.kalm.model import KALMModel

ACTION_TOLERANCE = 0.05
MALFORMED_KEYS = ("nonfinite_actions", "clipped_actions", "nonfinite_states", "clipped_states", "truncated_episodes",
                  "dropped_episodes")


def state_bounds(low: np.ndarray, high: np.ndarray, starts: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-episode clipping box: the real range widened by ``margin`` of its width, stretched to hold the start."""
    width = high - low
    lo = np.minimum(low - margin * width, starts)
    hi = np.maximum(high + margin * width, starts)
    return lo.astype(np.float32), hi.astype(np.float32)


@torch.inference_mode()
def generate_batch(
    model: KALMModel,
    prompts: Sequence[np.ndarray],
    starts: np.ndarray,
    horizon: int,
    *,
    bounds: tuple[np.ndarray, np.ndarray],
    action_bounds: tuple[np.ndarray, np.ndarray] | None,
    stop: Callable[[int, np.ndarray], bool],
    pad_id: int,
    device: torch.device,
    counts: dict[str, int],
    limits: np.ndarray | None = None,
    output_hook: Callable[[str, torch.Tensor], torch.Tensor] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Roll out ``len(prompts)`` episodes for at most ``horizon`` steps (episode ``i`` for at most ``limits[i]``).

    ``prompts`` are token ids ending *before* the start state's placeholder; ``starts`` are raw real start states.
    ``stop(i, state)`` is the task's terminal test on episode ``i``'s new raw state. ``output_hook(kind, value)``
    (``kind`` = ``"action"`` or ``"state"``) may rewrite raw model outputs: tests use it to inject malformed values.
    Returns raw ``states (B, horizon+1, D)``, ``actions (B, horizon[, A])`` and ``lengths (B,)``: episode ``i`` is
    valid for ``lengths[i]`` steps (0 = nothing usable was generated).
    """
    from transformers import DynamicCache

    batch, state_dim = len(prompts), starts.shape[1]
    sequences = [np.concatenate([np.asarray(p, np.int64), [model.state_id]]) for p in prompts]
    width = max(len(s) for s in sequences)
    ids = np.full((batch, width), pad_id, np.int64)
    mask = np.zeros((batch, width), np.int64)
    for row, seq in enumerate(sequences):  # left padding: every sequence ends at the same column
        ids[row, width - len(seq):] = seq
        mask[row, width - len(seq):] = 1
    ids_t = torch.as_tensor(ids, device=device)
    mask_t = torch.as_tensor(mask, device=device)
    positions = (mask_t.cumsum(1) - 1).clamp(min=0)
    lo = torch.as_tensor(bounds[0], device=device)
    hi = torch.as_tensor(bounds[1], device=device)
    static = model.static

    current = torch.as_tensor(model.norm_states(starts), device=device)
    cache = DynamicCache(config=model.lm.config.get_text_config())
    embeds = model.embed(ids_t, current, torch.zeros(0, device=device))
    out = model.decoder(inputs_embeds=embeds, attention_mask=mask_t, position_ids=positions, past_key_values=cache,
                        use_cache=True)
    hidden = out.last_hidden_state[:, -1]
    next_pos = positions[:, -1:] + 1

    def feed(embedding: torch.Tensor) -> torch.Tensor:
        nonlocal mask_t, next_pos
        mask_t = torch.cat([mask_t, torch.ones(batch, 1, dtype=mask_t.dtype, device=device)], 1)
        result = model.decoder(inputs_embeds=embedding[:, None], attention_mask=mask_t, position_ids=next_pos,
                               past_key_values=cache, use_cache=True)
        next_pos = next_pos + 1
        return result.last_hidden_state[:, -1]

    states = np.zeros((batch, horizon + 1, state_dim), np.float32)
    states[:, 0] = starts
    if model.discrete:
        actions = np.zeros((batch, horizon), np.int64)
    else:
        actions = np.zeros((batch, horizon, model.action_dim), np.float32)
    lengths = np.zeros(batch, np.int64)
    active = np.ones(batch, bool)  # still generating: not stopped, not broken
    limits = np.full(batch, horizon) if limits is None else np.minimum(np.asarray(limits), horizon)
    for t in range(horizon):
        live = torch.as_tensor(active, device=device)
        # ------------------------------------------------------------------ action
        raw_action = model.action_output(hidden)
        if model.discrete:
            bad = ~torch.isfinite(raw_action).all(-1)
            action = torch.nan_to_num(raw_action, nan=-1e9, posinf=1e9, neginf=-1e9).argmax(-1)
            if output_hook is not None:
                action = output_hook("action", action)
            counts["nonfinite_actions"] += int((bad & live).sum())
            fed_action = action
            actions[:, t] = action.cpu().numpy()
        else:
            action = model.denorm_actions(raw_action)
            if output_hook is not None:
                action = output_hook("action", action)
            bad = ~torch.isfinite(action).all(-1)
            action = torch.where(bad[:, None], model.action_center.expand_as(action), action)
            if action_bounds is not None:
                a_lo = torch.as_tensor(action_bounds[0], device=device)
                a_hi = torch.as_tensor(action_bounds[1], device=device)
                slack = ACTION_TOLERANCE * model.action_half
                outside = ((action < a_lo - slack) | (action > a_hi + slack)).any(-1)
                counts["clipped_actions"] += int((outside & live & ~bad).sum())
                action = torch.minimum(torch.maximum(action, a_lo), a_hi)
            counts["nonfinite_actions"] += int((bad & live).sum())
            fed_action = (action - model.action_center) / model.action_half
            actions[:, t] = action.float().cpu().numpy()
        hidden = feed(model.embed_actions(fed_action))
        # ------------------------------------------------------------------ next state
        proposed = model.next_state(hidden, current)
        proposed = torch.where(static, current, proposed)
        raw_state = model.denorm_states(proposed)
        if output_hook is not None:
            raw_state = output_hook("state", raw_state)
        broken = ~torch.isfinite(raw_state).all(-1)
        raw_state = torch.where(broken[:, None], model.denorm_states(current), raw_state)
        outside = ((raw_state < lo) | (raw_state > hi)).any(-1)
        raw_state = torch.minimum(torch.maximum(raw_state, lo), hi)
        broken_np, outside_np = broken.cpu().numpy(), outside.cpu().numpy()
        counts["nonfinite_states"] += int((broken_np & active).sum())
        counts["clipped_states"] += int((outside_np & active & ~broken_np).sum())
        raw_np = raw_state.float().cpu().numpy()
        states[:, t + 1] = raw_np
        for i in np.flatnonzero(active):
            if broken_np[i]:
                active[i] = False  # keeps lengths[i] = t: the episode ends before the non-finite state
                counts["truncated_episodes"] += int(t > 0)  # t == 0: nothing usable, the caller drops it
                continue
            lengths[i] = t + 1
            if stop(int(i), raw_np[i]) or t + 1 >= limits[i]:
                active[i] = False
        if not active.any() or t + 1 == horizon:
            break
        current = torch.as_tensor(model.norm_states(raw_np), device=device)
        hidden = feed(model.embed_states(current))
    return states, actions, lengths

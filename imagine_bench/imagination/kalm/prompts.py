"""The four grounding tasks of KALM as token sequences with numeric placeholders.

A sequence is ordinary text plus two placeholder tokens, ``<state>`` and ``<action>``. The model never sees a number as
text: each placeholder's input embedding is replaced by a learned projection of the value it stands for (see
:mod:`.model`), and each value the model has to produce is read from the hidden state one position earlier, the same
shift a causal language model uses for its next token.

The grounding tasks (KALM, Liu et al. 2024, sec. 4; wording here is our own):

``rollout``      instruction -> trajectory: every action and every state after the given real start state is a target.
``dynamics``     state, action -> next state: the last state is the target.
``terminal``     start state, instruction -> the state the episode ended in: the last state is the target.
``explanation``  trajectory -> instruction: the instruction's tokens (and an end token) are text targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

STATE_TOKEN = "<state>"
ACTION_TOKEN = "<action>"
GROUNDING_TASKS: tuple[str, ...] = ("rollout", "dynamics", "terminal", "explanation")

# Own phrasings of the four grounding prompts. ``{instruction}`` is filled in; placeholders are appended by code.
ROLLOUT_PREFIX = "write the states and actions that carry out this instruction. instruction: {instruction}. trajectory:"
DYNAMICS_PARTS = ("predict the effect of one action. state", "action", "next state")
TERMINAL_PARTS = ("the scene starts in state", 'once the instruction "{instruction}" is done the scene is in state')
EXPLANATION_PARTS = ("say which instruction this trajectory carries out. trajectory:", "instruction:")


@dataclass
class Example:
    """One training or generation sequence.

    ``states`` / ``actions`` hold the values of the placeholders in the order they occur (normalised states; normalised
    continuous actions or integer discrete actions). ``*_target`` marks which of them the model must predict;
    ``text_target`` marks token positions whose token is a text target.
    """

    task: str
    ids: np.ndarray  # (T,) int64
    states: np.ndarray  # (n_states, state_dim) float32
    actions: np.ndarray  # (n_actions, action_dim) float32 or (n_actions,) int64
    state_target: np.ndarray  # (n_states,) bool
    action_target: np.ndarray  # (n_actions,) bool
    text_target: np.ndarray  # (T,) bool


class PromptBuilder:
    """Turns real (normalised) rollouts into grounding-task examples; caches the token ids of every text piece."""

    def __init__(self, tokenizer, discrete: bool) -> None:
        self.tokenizer = tokenizer
        self.discrete = discrete
        self.state_id = int(tokenizer.convert_tokens_to_ids(STATE_TOKEN))
        self.action_id = int(tokenizer.convert_tokens_to_ids(ACTION_TOKEN))
        end = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.sep_token_id
        if end is None:
            raise ValueError("the tokenizer has neither an eos nor a sep token to end generated text")
        self.end_id = int(end)
        pad = tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else self.end_id)
        self._encode = lru_cache(maxsize=4096)(self._encode_uncached)

    def _encode_uncached(self, text: str) -> tuple[int, ...]:
        return tuple(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def text(self, text: str) -> np.ndarray:
        return np.asarray(self._encode(text), np.int64)

    # ------------------------------------------------------------------------------------------------- trajectories
    def _trajectory_ids(self, steps: int) -> np.ndarray:
        ids = np.empty(2 * steps + 1, np.int64)
        ids[0::2] = self.state_id
        ids[1::2] = self.action_id
        return ids

    def rollout_prompt(self, instruction: str) -> np.ndarray:
        """Token ids of the generation prompt, up to (not including) the start state's placeholder."""
        return self.text(ROLLOUT_PREFIX.format(instruction=instruction))

    def rollout(self, instruction: str, states: np.ndarray, actions: np.ndarray) -> Example:
        steps = len(actions)
        prefix = self.rollout_prompt(instruction)
        ids = np.concatenate([prefix, self._trajectory_ids(steps)])
        state_target = np.ones(steps + 1, bool)
        state_target[0] = False  # the real start state is given
        return Example("rollout", ids, states, actions, state_target, np.ones(steps, bool), np.zeros(len(ids), bool))

    def dynamics(self, state: np.ndarray, action, next_state: np.ndarray) -> Example:
        a, b, c = (self.text(p) for p in DYNAMICS_PARTS)
        ids = np.concatenate([a, [self.state_id], b, [self.action_id], c, [self.state_id]]).astype(np.int64)
        return Example(
            "dynamics", ids, np.stack([state, next_state]), self._actions([action]), np.array([False, True]),
            np.array([False]), np.zeros(len(ids), bool),
        )

    def terminal(self, instruction: str, start: np.ndarray, final: np.ndarray) -> Example:
        a = self.text(TERMINAL_PARTS[0])
        b = self.text(TERMINAL_PARTS[1].format(instruction=instruction))
        ids = np.concatenate([a, [self.state_id], b, [self.state_id]]).astype(np.int64)
        return Example(
            "terminal", ids, np.stack([start, final]), self._actions([]), np.array([False, True]),
            np.zeros(0, bool), np.zeros(len(ids), bool),
        )

    def explanation(self, instruction: str, states: np.ndarray, actions: np.ndarray) -> Example:
        head, tail = (self.text(p) for p in EXPLANATION_PARTS)
        answer = np.concatenate([self.text(instruction), [self.end_id]]).astype(np.int64)
        ids = np.concatenate([head, self._trajectory_ids(len(actions)), tail, answer])
        text_target = np.zeros(len(ids), bool)
        text_target[-len(answer):] = True
        return Example(
            "explanation", ids, states, actions, np.zeros(len(states), bool), np.zeros(len(actions), bool),
            text_target,
        )

    def _actions(self, actions) -> np.ndarray:
        if self.discrete:
            return np.asarray(actions, np.int64).reshape(-1)
        if not len(actions):
            return np.zeros((0, 0), np.float32)
        return np.asarray(actions, np.float32).reshape(len(actions), -1)

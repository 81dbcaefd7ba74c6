"""Evaluation videos: a few planned evaluation episodes per level, rendered and written as GIFs (``eval.video=true``).

The episodes are the first ones of the fixed evaluation plan (spread over the level's tasks), replayed one at a time
in an ``ImagineBenchEnv`` with ``render_mode="rgb_array"``, so a video shows an episode that the success numbers also
count. GIFs are written with imageio (already installed through Meta-World): W&B's own encoder for raw frames needs
moviepy, while a file path does not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from imagine_bench.domains import Domain
from imagine_bench.evaluation import PlannedEpisode, evaluation_plan
from imagine_bench.language import InstructionEmbedder

FPS = 20


def video_episodes(domain: Domain, level: str, episodes: int, eval_seed: int = 0) -> list[PlannedEpisode]:
    """``episodes`` planned evaluation episodes of ``level``, one per task in turn (first episode of each task)."""
    plan = evaluation_plan(domain, level, max(1, -(-episodes // len(domain.tasks(level)))), eval_seed)
    by_index = sorted(plan, key=lambda p: (p.index, domain.tasks(level).index(p.task)))
    return by_index[:episodes]


def record_level(
    domain: Domain, level: str, policy: Callable[[np.ndarray], np.ndarray], embedder: InstructionEmbedder,
    horizon: int, episodes: int, eval_seed: int = 0,
) -> np.ndarray:
    """Frames ``(T, H, W, 3)`` uint8 of ``episodes`` episodes of ``level`` played one after another by ``policy``."""
    from imagine_bench.env import ImagineBenchEnv

    env = ImagineBenchEnv(domain, level=level, horizon=horizon, embedder=embedder, render_mode="rgb_array")
    frames: list[np.ndarray] = []
    try:
        for planned in video_episodes(domain, level, episodes, eval_seed):
            obs, _ = env.reset(options={"task": planned.task, "start_seed": planned.start_seed,
                                        "instruction": planned.instruction_index})
            frames.append(env.render())
            done = False
            while not done:
                action = policy(obs[None])[0]
                obs, _, terminated, truncated, _ = env.step(action)
                frames.append(env.render())
                done = terminated or truncated
    finally:
        env.close()
    return np.stack(frames)


def write_gif(path: Path, frames: np.ndarray, fps: int = FPS) -> Path:
    import imageio.v3 as iio

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.gif")
    iio.imwrite(tmp, frames, extension=".gif", duration=1000 / fps, loop=0)
    tmp.replace(path)
    return path


def record_videos(
    domain: Domain, levels: Sequence[str], policy: Callable[[np.ndarray], np.ndarray], embedder: InstructionEmbedder,
    horizon: int, episodes: int, out_dir: Path, step: int, eval_seed: int = 0,
) -> dict[str, Path]:
    """One GIF per level under ``out_dir`` (``<level>_step<step>.gif``); returns ``{level: path}``."""
    return {level: write_gif(out_dir / f"{level}_step{step}.gif",
                             record_level(domain, level, policy, embedder, horizon, episodes, eval_seed))
            for level in levels}

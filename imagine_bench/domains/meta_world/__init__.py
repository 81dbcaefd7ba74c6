"""Meta-World domain of imagine_bench (``env=metaworld``, ``MetaWorld-v0``).

Public names: :class:`MetaWorldDomain` (registered on import), the state layout (:data:`LAYOUT`, :data:`STATE_DIM`,
:data:`ENTITY_SLOTS`, :data:`TASK_ENTITIES`) and the task lists. The simulator class lives in
:mod:`imagine_bench.domains.meta_world.simulator` and is imported only when a simulator is made; the experts, in
:mod:`imagine_bench.domains.meta_world.experts`, print their table with
``python -m imagine_bench.domains.meta_world.experts --episodes 20``.
"""

from imagine_bench.domains.meta_world.domain import MetaWorldDomain
from imagine_bench.domains.meta_world.layout import ENTITY_SLOTS, LAYOUT, STATE_DIM, TASK_ENTITIES
from imagine_bench.domains.meta_world.tasks import EASY_TASKS, HARD_TASKS, REAL_TASKS

__all__ = [
    "MetaWorldDomain",
    "LAYOUT",
    "STATE_DIM",
    "ENTITY_SLOTS",
    "TASK_ENTITIES",
    "REAL_TASKS",
    "EASY_TASKS",
    "HARD_TASKS",
]

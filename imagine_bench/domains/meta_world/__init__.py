"""Meta-World domain of imagine_bench (``env=metaworld``, ``MetaWorld-v0``).

Public names: :class:`MetaWorldDomain` (registered on import), the state layout (:data:`LAYOUT`, :data:`STATE_DIM`,
:data:`ENTITY_SLOTS`, :data:`TASK_ENTITIES`) and the task lists. The simulator class lives in
:mod:`imagine_bench.domains.meta_world.simulator` and is imported only when a simulator is made.
"""

from imagine_bench.domains.meta_world.domain import EASY_TASKS, HARD_TASKS, REAL_TASKS, MetaWorldDomain
from imagine_bench.domains.meta_world.layout import ENTITY_SLOTS, LAYOUT, STATE_DIM, TASK_ENTITIES

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

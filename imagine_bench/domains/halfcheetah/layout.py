"""The HalfCheetah state vector (float32, 24 values): the simulator observation plus the episode's progress record.

Every success test and reward of this domain is a pure function of this vector (the scripted imagination backend
relabels corrupted states with them), so whatever a test needs to remember about the episode so far (net
displacement, the furthest point reached either way, the highest the body has been off the ground, the elapsed time)
is carried in the state itself.

================  =======  =====================================================================================
field             index    content
================  =======  =====================================================================================
``obs``           0-16     Gymnasium ``HalfCheetah-v5`` observation: ``qpos[1:9]`` then ``qvel[0:9]``
                           (0 torso height offset ``rootz`` in m, 1 torso pitch ``rooty`` in rad, 2-7 the six joint
                           angles, 8 forward velocity in m/s, 9 vertical velocity, 10 pitch rate, 11-16 joint rates)
``dx``            17       forward displacement of the torso over the last control step (m); 0 right after reset,
                           because no step has been taken yet (upstream put the absolute x there at reset)
``disp``          18       net forward displacement since reset (m): the running sum of ``dx``
``disp_max``      19       largest ``disp`` so far (m, >= 0: reset counts as 0)
``disp_min``      20       smallest ``disp`` so far (m, <= 0)
``clearance``     21       height of the lowest point of the body above the floor now (m): about 0 (-0.005 with
                           contact penetration) while anything touches the ground, positive when airborne
``peak``          22       highest ``clearance`` since the body first touched the ground in this episode (m); the
                           spawn pose can float a few cm above the floor and that initial drop is not a jump
``elapsed``       23       time since reset in seconds (steps x 0.05)
================  =======  =====================================================================================

The first 17 values plus ``disp`` (as the torso's x, which does not affect the dynamics) determine the MuJoCo state,
so a state vector can be written back into the simulator (:meth:`HalfCheetahSimulator.restore`).
"""

from __future__ import annotations

import numpy as np

DT = 0.05  # seconds per control step (HalfCheetah-v5: frame_skip 5 x timestep 0.01)
OBS_DIM = 17
STATE_DIM = 24

OBS = slice(0, 17)
QPOS_TAIL = slice(0, 8)  # qpos[1:9]
QVEL = slice(8, 17)
ROOTZ, PITCH, VX = 0, 1, 8
DX, DISP, DISP_MAX, DISP_MIN, CLEARANCE, PEAK, ELAPSED = 17, 18, 19, 20, 21, 22, 23

FIELDS: dict[str, int | slice] = {
    "obs": OBS, "rootz": ROOTZ, "pitch": PITCH, "vx": VX, "dx": DX, "disp": DISP, "disp_max": DISP_MAX,
    "disp_min": DISP_MIN, "clearance": CLEARANCE, "peak": PEAK, "elapsed": ELAPSED,
}

#: clearance at or below this counts as touching the ground (contacts penetrate by a few millimetres)
GROUND_CONTACT = 0.01


def field(state: np.ndarray, name: str):
    """``field(state, "disp")``: one named field (works on a single state or a batch along the last axis)."""
    return np.asarray(state)[..., FIELDS[name]]

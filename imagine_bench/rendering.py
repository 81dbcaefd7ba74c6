"""Headless RGB frames of MuJoCo scenes, and the choice of OpenGL backend that makes them possible.

MuJoCo picks its OpenGL backend from ``MUJOCO_GL`` once, when ``mujoco`` is first imported: ``egl`` (GPU or Mesa
EGL, no display), ``osmesa`` (software, no display, needs libOSMesa) or ``glfw`` (the default, needs a display).
:func:`choose_gl_backend` probes ``egl`` then ``osmesa`` in a throwaway subprocess (a failed GL context can abort
the process) and sets ``MUJOCO_GL`` to the first that renders, if the user has not set it and ``mujoco`` is not yet
imported. ``ImagineBenchEnv(render_mode="rgb_array")`` calls it, so rendering works headless without any setting.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from typing import Any

import numpy as np

GL_BACKENDS = ("egl", "osmesa")
FRAME_SIZE = 256  # pixels per side of every MuJoCo domain's frames

_PROBE = """
import mujoco
m = mujoco.MjModel.from_xml_string('<mujoco><worldbody><geom type="sphere" size=".1"/></worldbody></mujoco>')
d = mujoco.MjData(m); mujoco.mj_forward(m, d)
r = mujoco.Renderer(m, 8, 8); r.update_scene(d); assert r.render().shape == (8, 8, 3)
"""  # no close(): the context is then freed at interpreter exit, where a faulty EGL reports its errors


@cache
def probe_gl_backend(backend: str) -> tuple[bool, bool]:
    """``(renders, cleanly)``: whether MuJoCo renders offscreen with ``MUJOCO_GL=backend`` on this machine, and
    whether it also frees its context without errors (subprocess, ~1 s). Mesa's software EGL can render yet print
    errors at every teardown; another backend is then preferred."""
    env = dict(os.environ, MUJOCO_GL=backend)
    env.pop("PYOPENGL_PLATFORM", None)  # mujoco sets it to match the backend
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False, False
    renders = done.returncode == 0
    return renders, renders and b"Error" not in done.stderr


def choose_gl_backend() -> str | None:
    """``MUJOCO_GL`` as it will be used: the user's value, else the first headless backend that renders cleanly, else
    the first that renders at all (then set in ``os.environ``); ``None`` if nothing renders or ``mujoco`` was imported
    before a choice could be made."""
    if os.environ.get("MUJOCO_GL"):
        return os.environ["MUJOCO_GL"]
    if "mujoco" in sys.modules:
        return None  # too late to choose: mujoco has fixed its backend (glfw, which needs a display)
    rendering = []
    for backend in GL_BACKENDS:
        renders, cleanly = probe_gl_backend(backend)
        if cleanly:
            rendering.insert(0, backend)
            break
        if renders:
            rendering.append(backend)
    if not rendering:
        return None
    os.environ["MUJOCO_GL"] = rendering[0]
    return rendering[0]


class MujocoCamera:
    """Renders one ``MjModel``/``MjData`` pair from a fixed viewpoint into ``(size, size, 3)`` uint8 frames.

    ``camera`` is a camera name in the model, or ``None`` for a free camera set from ``lookat``/``distance``/
    ``azimuth``/``elevation``, or a tracking camera on body ``track_body``.
    """

    def __init__(self, model: Any, data: Any, size: int = FRAME_SIZE, camera: str | None = None,
                 lookat: tuple[float, float, float] = (0.0, 0.0, 0.0), distance: float = 2.0, azimuth: float = 90.0,
                 elevation: float = -45.0, track_body: str | None = None) -> None:
        self.model, self.data, self.size = model, data, int(size)
        self._camera_name = camera
        self._view = dict(lookat=lookat, distance=distance, azimuth=azimuth, elevation=elevation, track_body=track_body)
        self._renderer: Any = None
        self._camera: Any = None

    def _setup(self) -> None:
        import mujoco

        try:
            self._renderer = mujoco.Renderer(self.model, self.size, self.size)
        except Exception as exc:  # no usable OpenGL context: say what to set
            raise RuntimeError(
                f"MuJoCo could not open an offscreen OpenGL context (MUJOCO_GL={os.environ.get('MUJOCO_GL', '')!r}: "
                f"{type(exc).__name__}: {exc}). Set MUJOCO_GL=egl (GPU/Mesa EGL) or MUJOCO_GL=osmesa (apt install "
                "libosmesa6) before the first import of mujoco.") from exc
        if self._camera_name is not None:
            self._camera = self._camera_name
            return
        camera = mujoco.MjvCamera()
        view = self._view
        if view["track_body"] is not None:
            camera.type = mujoco.mjtCamera.mjCAMERA_TRACKING
            camera.trackbodyid = self.model.body(view["track_body"]).id
        else:
            camera.type = mujoco.mjtCamera.mjCAMERA_FREE
            camera.lookat[:] = view["lookat"]
        camera.distance, camera.azimuth, camera.elevation = view["distance"], view["azimuth"], view["elevation"]
        self._camera = camera

    def render(self) -> np.ndarray:
        if self._renderer is None:
            self._setup()
        self._renderer.update_scene(self.data, camera=self._camera)
        return np.asarray(self._renderer.render(), dtype=np.uint8).copy()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

"""Motion models for the batched filters: transition f(x, dt), its Jacobian F, process noise Q(x, dt).

Every method takes a stack of states x (..., d) and one time step dt (the tracker predicts all tracks
to the same stamp), and works on sigma points too. Yaw is wrapped to [-pi, pi) after every transition.
Process noise is continuous white noise on the highest modelled derivative, integrated over dt (see
fusion.tracking.config.MotionConfig for the parameters and their units).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from fusion.tracking.config import InitialConfig, MotionConfig
from fusion.tracking.kernels import angle_periods, wrapped, wrapped_difference

_SMALL_TURN_RATE = 1e-4  # rad/s; below it CTRV uses its second-order expansion in the turn rate


def angular_mean(sigmas: np.ndarray, weights: np.ndarray, angles: tuple[int, ...]) -> np.ndarray:
    """Weighted mean over the second-to-last axis of (..., S, n) points; the components listed in
    `angles` are averaged through their sines and cosines (no jump at +-pi)."""
    m = np.einsum("...sd,s->...d", sigmas, weights)
    for i in angles:
        m[..., i] = np.arctan2(np.sin(sigmas[..., i]) @ weights, np.cos(sigmas[..., i]) @ weights)
    return m


def _stack_eye(shape: tuple[int, ...], d: int) -> np.ndarray:
    return np.broadcast_to(np.eye(d), shape + (d, d)).copy()


def _white_noise_block(dt: float, q: float, order: int) -> np.ndarray:
    """Discrete covariance of an integrator chain of `order` states driven by white noise of PSD q
    on the last derivative (order 2: position-velocity; order 3: position-velocity-acceleration)."""
    if order == 1:
        return np.array([[q * dt]])
    if order == 2:
        return q * np.array([[dt**3 / 3, dt**2 / 2], [dt**2 / 2, dt]])
    return q * np.array([
        [dt**5 / 20, dt**4 / 8, dt**3 / 6],
        [dt**4 / 8, dt**3 / 3, dt**2 / 2],
        [dt**3 / 6, dt**2 / 2, dt],
    ])


@dataclass
class Kinematics:
    """What the object list reports, in the tracking frame."""

    position: np.ndarray       # (N, 3)
    velocity: np.ndarray       # (N, 3)
    acceleration: np.ndarray   # (N, 3)
    yaw: np.ndarray            # (N,)
    yaw_rate: np.ndarray       # (N,)
    pose_covariance: np.ndarray    # (N, 4, 4) over x, y, z, yaw
    twist_covariance: np.ndarray   # (N, 4, 4) over vx, vy, vz, yaw_rate


class MotionModel(ABC):
    """Base: state layout, angle handling and the maps the measurement models and outputs need."""

    name = ""
    labels: tuple[str, ...] = ()
    angles: tuple[int, ...] = ()
    linear = True
    yaw_index = 0
    yaw_rate_index: int | None = None

    def __init__(self, config: MotionConfig):
        self.config = config

    @property
    def dim(self) -> int:
        return len(self.labels)

    # --- dynamics -------------------------------------------------------------------------------
    @abstractmethod
    def transition(self, x: np.ndarray, dt: float) -> np.ndarray:
        """f(x, dt): states (..., d) predicted over dt, angles wrapped."""

    @abstractmethod
    def jacobian(self, x: np.ndarray, dt: float) -> np.ndarray:
        """F = df/dx (..., d, d)."""

    @abstractmethod
    def noise(self, x: np.ndarray, dt: float) -> np.ndarray:
        """Process noise Q(x, dt) (..., d, d)."""

    def linearized(self, x: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """F and Q for an EKF prediction: (..., d, d) each, or one (d, d) each that every state shares
        (linear models), which matmul broadcasts."""
        return self.jacobian(x, dt), self.noise(x, dt)

    # --- what measurements see --------------------------------------------------------------------
    @abstractmethod
    def position_velocity(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position and velocity (..., 3) of states (..., d)."""

    @abstractmethod
    def position_velocity_jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """d position / dx and d velocity / dx, each (N, 3, d), or (3, d) each when every state shares
        them (linear models; matmul and assignment broadcast them)."""

    def acceleration(self, x: np.ndarray) -> np.ndarray:
        return np.zeros(x.shape[:-1] + (3,))

    # --- angles -----------------------------------------------------------------------------------
    @cached_property
    def wrap_periods(self) -> np.ndarray:
        """(d,) the period each state component wraps at: 2 pi for angles, 0 for none."""
        return angle_periods(self.angles, self.dim)

    def normalize(self, x: np.ndarray) -> np.ndarray:
        """A copy of states x (..., d) with angles wrapped to [-pi, pi)."""
        return wrapped(x, self.wrap_periods)

    def residual(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """a - b with angle differences wrapped."""
        return wrapped_difference(a, b, self.wrap_periods)

    def mean(self, sigmas: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Weighted mean of sigma points (..., S, d)."""
        return angular_mean(sigmas, weights, self.angles)

    # --- initialisation and output ---------------------------------------------------------------
    @abstractmethod
    def initial_state(self, position: np.ndarray, position_cov: np.ndarray, yaw: np.ndarray, yaw_var: np.ndarray,
                      velocity: np.ndarray, initial: InitialConfig) -> tuple[np.ndarray, np.ndarray]:
        """States (K, d) and covariances (K, d, d) of new tracks from a first detection."""

    def output_jacobians(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Jacobians (N, 4, d) of the object-list pose (x, y, z, yaw) and twist (vx, vy, vz, yaw_rate)."""
        n = len(x)
        jp, jv = self.position_velocity_jacobian(x)
        pose_j = np.zeros((n, 4, self.dim))
        pose_j[:, :3] = jp
        pose_j[:, 3, self.yaw_index] = 1.0
        twist_j = np.zeros((n, 4, self.dim))
        twist_j[:, :3] = jv
        if self.yaw_rate_index is not None:
            twist_j[:, 3, self.yaw_rate_index] = 1.0
        return pose_j, twist_j

    def kinematics(self, x: np.ndarray, P: np.ndarray) -> Kinematics:
        """Object-list kinematics with covariances propagated through the output map."""
        position, velocity = self.position_velocity(x)
        pose_j, twist_j = self.output_jacobians(x)
        yaw_rate = x[:, self.yaw_rate_index].copy() if self.yaw_rate_index is not None else np.zeros(len(x))
        return Kinematics(
            position=position, velocity=velocity, acceleration=self.acceleration(x),
            yaw=x[:, self.yaw_index].copy(), yaw_rate=yaw_rate,
            pose_covariance=pose_j @ P @ np.swapaxes(pose_j, -1, -2),
            twist_covariance=twist_j @ P @ np.swapaxes(twist_j, -1, -2),
        )


class LinearMotion(MotionModel):
    """Models with x' = F(dt) x over Cartesian states (x y z first, then vx vy vz where modelled): the
    transition is the Jacobian applied to the state; Q is a sum of white-noise integrator blocks.
    F(dt) and Q(dt) are kept for the latest time steps (a tracker fed at fixed rates sees the same
    few dt over and over), and the output maps are constant selections, built once."""

    _KEPT_STEPS = 64

    def __init__(self, config: MotionConfig):
        super().__init__(config)
        self._per_dt: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        jp, jv = np.zeros((3, self.dim)), np.zeros((3, self.dim))
        jp[:, 0:3] = np.eye(3)
        if self._has_velocity:
            jv[:, 3:6] = np.eye(3)
        pose_j, twist_j = np.zeros((4, self.dim)), np.zeros((4, self.dim))
        pose_j[:3], pose_j[3, self.yaw_index] = jp, 1.0
        twist_j[:3] = jv
        if self.yaw_rate_index is not None:
            twist_j[3, self.yaw_rate_index] = 1.0
        for a in (jp, jv, pose_j, twist_j):
            a.flags.writeable = False
        self._jacobians = jp, jv, pose_j, twist_j

    @abstractmethod
    def transition_matrix(self, dt: float) -> np.ndarray:
        """F(dt) (d, d)."""

    @abstractmethod
    def noise_blocks(self) -> list[tuple[tuple[int, ...], float]]:
        """(state indices of one integrator chain, PSD on its last derivative) pairs."""

    def _matrices(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """F(dt) and Q(dt), read-only."""
        kept = self._per_dt.get(dt)
        if kept is None:
            if len(self._per_dt) >= self._KEPT_STEPS:
                self._per_dt.clear()
            F = self.transition_matrix(dt)
            Q = np.zeros((self.dim, self.dim))
            for chain, psd in self.noise_blocks():
                Q[np.ix_(chain, chain)] = _white_noise_block(dt, psd, len(chain))
            F.flags.writeable = Q.flags.writeable = False
            kept = self._per_dt[dt] = (F, Q)
        return kept

    def transition(self, x: np.ndarray, dt: float) -> np.ndarray:
        return self.normalize(x @ self._matrices(dt)[0].T)

    def jacobian(self, x: np.ndarray, dt: float) -> np.ndarray:
        return np.broadcast_to(self._matrices(dt)[0], x.shape[:-1] + (self.dim, self.dim))

    def linearized(self, x: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
        return self._matrices(dt)

    def noise(self, x: np.ndarray, dt: float) -> np.ndarray:
        return np.broadcast_to(self._matrices(dt)[1], x.shape[:-1] + (self.dim, self.dim))

    @property
    def _has_velocity(self) -> bool:
        return "vx" in self.labels

    def position_velocity(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x[..., 0:3], x[..., 3:6] if self._has_velocity else np.zeros(x.shape[:-1] + (3,))

    def position_velocity_jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._jacobians[:2]   # constant: (3, d) each, broadcast over the tracks

    def output_jacobians(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._jacobians[2:]   # constant: (4, d) each, broadcast over the tracks

    def initial_state(self, position, position_cov, yaw, yaw_var, velocity, initial):
        k, d = len(position), self.dim
        x, P = np.zeros((k, d)), np.zeros((k, d, d))
        x[:, 0:3], P[:, 0:3, 0:3] = position, position_cov
        x[:, self.yaw_index], P[:, self.yaw_index, self.yaw_index] = yaw, yaw_var
        if self._has_velocity:
            x[:, 3:6] = velocity
        prior = {"vx": initial.velocity_std_mps, "vy": initial.velocity_std_mps, "vz": initial.vertical_velocity_std_mps,
                 "ax": initial.acceleration_std_mps2, "ay": initial.acceleration_std_mps2, "yaw_rate": initial.yaw_rate_std_rps}
        for i, label in enumerate(self.labels):
            if label in prior:
                P[:, i, i] = prior[label] ** 2
        return self.normalize(x), P


class ConstantVelocity(LinearMotion):
    """x y z vx vy vz yaw yaw_rate: straight-line motion; heading integrates its own turn rate."""

    name = "cv"
    labels = ("x", "y", "z", "vx", "vy", "vz", "yaw", "yaw_rate")
    angles = (6,)
    yaw_index, yaw_rate_index = 6, 7

    def transition_matrix(self, dt: float) -> np.ndarray:
        F = np.eye(8)
        F[0, 3] = F[1, 4] = F[2, 5] = F[6, 7] = dt
        return F

    def noise_blocks(self) -> list[tuple[tuple[int, ...], float]]:
        c = self.config
        return [((0, 3), c.accel_psd), ((1, 4), c.accel_psd), ((2, 5), c.vertical_psd), ((6, 7), c.yaw_accel_psd)]


class ConstantAcceleration(LinearMotion):
    """x y z vx vy vz ax ay yaw yaw_rate: constant acceleration in the ground plane, constant vertical velocity."""

    name = "ca"
    labels = ("x", "y", "z", "vx", "vy", "vz", "ax", "ay", "yaw", "yaw_rate")
    angles = (8,)
    yaw_index, yaw_rate_index = 8, 9

    def transition_matrix(self, dt: float) -> np.ndarray:
        F = np.eye(10)
        F[0, 3] = F[1, 4] = F[2, 5] = F[3, 6] = F[4, 7] = F[8, 9] = dt
        F[0, 6] = F[1, 7] = 0.5 * dt**2
        return F

    def noise_blocks(self) -> list[tuple[tuple[int, ...], float]]:
        c = self.config
        return [((0, 3, 6), c.jerk_psd), ((1, 4, 7), c.jerk_psd), ((2, 5), c.vertical_psd), ((8, 9), c.yaw_accel_psd)]

    def acceleration(self, x: np.ndarray) -> np.ndarray:
        a = np.zeros(x.shape[:-1] + (3,))
        a[..., 0:2] = x[..., 6:8]
        return a


class Static(LinearMotion):
    """x y z yaw random walks: no motion model (the position-only baseline)."""

    name = "static"
    labels = ("x", "y", "z", "yaw")
    angles = (3,)
    yaw_index = 3

    def transition_matrix(self, dt: float) -> np.ndarray:
        return np.eye(4)

    def noise_blocks(self) -> list[tuple[tuple[int, ...], float]]:
        c = self.config
        return [((0,), c.static_position_psd), ((1,), c.static_position_psd), ((2,), c.static_position_psd),
                ((3,), c.static_yaw_psd)]


class ConstantTurnRate(MotionModel):
    """CTRV, x y z v yaw yaw_rate vz: speed v along the heading, heading turning at yaw_rate."""

    name = "ctrv"
    labels = ("x", "y", "z", "v", "yaw", "yaw_rate", "vz")
    angles = (4,)
    linear = False
    yaw_index, yaw_rate_index = 4, 5

    def _planar(self, x: np.ndarray, dt: float) -> tuple[np.ndarray, ...]:
        """Displacement dx, dy and their partials by v, yaw, yaw_rate."""
        v, psi, w = x[..., 3], x[..., 4], x[..., 5]
        s0, c0 = np.sin(psi), np.cos(psi)
        small = np.abs(w) < _SMALL_TURN_RATE
        ws = np.where(small, 1.0, w)
        s1, c1 = np.sin(psi + ws * dt), np.cos(psi + ws * dt)
        # Exact arc for turning objects; near zero turn rate its expansion to second order in w
        # (the switch then moves the result by O(w^3 dt^4), far below rounding noise of the Jacobian).
        wd = w * dt
        dx_dv = np.where(small, c0 * dt - s0 * wd * dt / 2 - c0 * wd**2 * dt / 6, (s1 - s0) / ws)
        dy_dv = np.where(small, s0 * dt + c0 * wd * dt / 2 - s0 * wd**2 * dt / 6, (c0 - c1) / ws)
        dx, dy = v * dx_dv, v * dy_dv
        dx_dpsi = np.where(small, -v * dy_dv, v / ws * (c1 - c0))
        dy_dpsi = np.where(small, v * dx_dv, v / ws * (s1 - s0))
        dx_dw = np.where(small, v * (-s0 * dt**2 / 2 - c0 * wd * dt**2 / 3), v / ws * dt * c1 - v / ws**2 * (s1 - s0))
        dy_dw = np.where(small, v * (c0 * dt**2 / 2 - s0 * wd * dt**2 / 3), v / ws * dt * s1 - v / ws**2 * (c0 - c1))
        return dx, dy, dx_dv, dy_dv, dx_dpsi, dy_dpsi, dx_dw, dy_dw

    def transition(self, x: np.ndarray, dt: float) -> np.ndarray:
        dx, dy = self._planar(x, dt)[:2]
        out = np.array(x, dtype=float)
        out[..., 0] += dx
        out[..., 1] += dy
        out[..., 2] += dt * x[..., 6]
        out[..., 4] += dt * x[..., 5]
        return self.normalize(out)

    def jacobian(self, x: np.ndarray, dt: float) -> np.ndarray:
        _, _, dx_dv, dy_dv, dx_dpsi, dy_dpsi, dx_dw, dy_dw = self._planar(x, dt)
        F = _stack_eye(x.shape[:-1], 7)
        F[..., 0, 3], F[..., 0, 4], F[..., 0, 5] = dx_dv, dx_dpsi, dx_dw
        F[..., 1, 3], F[..., 1, 4], F[..., 1, 5] = dy_dv, dy_dpsi, dy_dw
        F[..., 2, 6] = dt
        F[..., 4, 5] = dt
        return F

    def noise(self, x: np.ndarray, dt: float) -> np.ndarray:
        """Longitudinal white acceleration along the current heading, white yaw acceleration, white
        vertical acceleration; no lateral noise (the heading carries it)."""
        c = self.config
        h = np.stack([np.cos(x[..., 4]), np.sin(x[..., 4])], axis=-1)
        a = _white_noise_block(dt, c.accel_psd, 2)
        Q = np.zeros(x.shape[:-1] + (7, 7))
        Q[..., 0:2, 0:2] = a[0, 0] * h[..., :, None] * h[..., None, :]
        Q[..., 0:2, 3] = Q[..., 3, 0:2] = a[0, 1] * h
        Q[..., 3, 3] = a[1, 1]
        Q[..., 4:6, 4:6] = _white_noise_block(dt, c.yaw_accel_psd, 2)
        z = _white_noise_block(dt, c.vertical_psd, 2)
        Q[..., 2, 2], Q[..., 2, 6], Q[..., 6, 2], Q[..., 6, 6] = z[0, 0], z[0, 1], z[1, 0], z[1, 1]
        return Q

    def position_velocity(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v, psi = x[..., 3], x[..., 4]
        return x[..., 0:3], np.stack([v * np.cos(psi), v * np.sin(psi), x[..., 6]], axis=-1)

    def position_velocity_jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape = x.shape[:-1] + (3, 7)
        jp = np.zeros(shape)
        jp[..., 0, 0] = jp[..., 1, 1] = jp[..., 2, 2] = 1.0
        v, c, s = x[..., 3], np.cos(x[..., 4]), np.sin(x[..., 4])
        jv = np.zeros(shape)
        jv[..., 0, 3], jv[..., 0, 4] = c, -v * s
        jv[..., 1, 3], jv[..., 1, 4] = s, v * c
        jv[..., 2, 6] = 1.0
        return jp, jv

    def initial_state(self, position, position_cov, yaw, yaw_var, velocity, initial):
        k = len(position)
        x = np.zeros((k, 7))
        x[:, 0:3], x[:, 4], x[:, 6] = position, yaw, velocity[:, 2]
        x[:, 3] = velocity[:, 0] * np.cos(yaw) + velocity[:, 1] * np.sin(yaw)
        P = np.zeros((k, 7, 7))
        P[:, 0:3, 0:3] = position_cov
        P[:, 3, 3] = initial.velocity_std_mps**2
        P[:, 4, 4] = yaw_var
        P[:, 5, 5] = initial.yaw_rate_std_rps**2
        P[:, 6, 6] = initial.vertical_velocity_std_mps**2
        return self.normalize(x), P


class ConstantHeading(ConstantTurnRate):
    """The IMM's straight-motion mode in the CTRV state: heading held, yaw_rate carried but unused."""

    name = "cv_heading"

    def transition(self, x: np.ndarray, dt: float) -> np.ndarray:
        out = np.array(x, dtype=float)
        out[..., 0] += dt * x[..., 3] * np.cos(x[..., 4])
        out[..., 1] += dt * x[..., 3] * np.sin(x[..., 4])
        out[..., 2] += dt * x[..., 6]
        return self.normalize(out)

    def jacobian(self, x: np.ndarray, dt: float) -> np.ndarray:
        v, c, s = x[..., 3], np.cos(x[..., 4]), np.sin(x[..., 4])
        F = _stack_eye(x.shape[:-1], 7)
        F[..., 0, 3], F[..., 0, 4] = c * dt, -v * s * dt
        F[..., 1, 3], F[..., 1, 4] = s * dt, v * c * dt
        F[..., 2, 6] = dt
        return F


def imm_transition_matrix(rate_hz: float, dt: float) -> np.ndarray:
    """Mode transition probabilities over dt of a symmetric two-mode continuous-time Markov chain
    leaving each mode at `rate_hz` (identity for dt = 0)."""
    stay = 0.5 * (1.0 + np.exp(-2.0 * rate_hz * dt))
    return np.array([[stay, 1.0 - stay], [1.0 - stay, stay]])


def build_motion_model(config: MotionConfig) -> tuple[MotionModel, tuple[MotionModel, ...]]:
    """The state layout's model and, for the IMM, its modes (constant heading, CTRV); otherwise no modes."""
    if config.model == "imm":
        return ConstantTurnRate(config), (ConstantHeading(config), ConstantTurnRate(config))
    models = {"cv": ConstantVelocity, "ca": ConstantAcceleration, "ctrv": ConstantTurnRate, "static": Static}
    return models[config.model](config), ()

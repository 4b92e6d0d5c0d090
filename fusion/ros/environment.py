"""Running real rclpy from the main environment: .venv-ros's Python (built by
tools/bootstrap_ros.sh), started with an environment that does not leak this venv into it, and
optionally inside tools/netns_run.sh's private loopback-only network namespace. Imports no rclpy.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NETNS_RUN = REPO / "tools" / "netns_run.sh"
NETNS_UNAVAILABLE = 77   # tools/netns_run.sh: the namespace cannot be created here


def ros_python() -> Path:
    return REPO / os.environ.get("VENV_ROS", ".venv-ros") / "bin" / "python"


def ros_python_problem() -> str | None:
    """Why real rclpy cannot run here, or None."""
    python = ros_python()
    if not python.exists():
        return f"{python} is absent: run `make bootstrap-ros` (tools/bootstrap_ros.sh) to build the real-rclpy environment"
    return None


def ros_environment(log_dir: Path) -> dict[str, str]:
    """This process's environment less what would leak the main .venv into .venv-ros (a set
    _ROS_WHEELS_BOOTSTRAP_COMPLETE would stop the wheels' .pth hook from setting the library path),
    with ROS logs under log_dir and unbuffered output."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "_ROS_WHEELS_BOOTSTRAP_COMPLETE")}
    env["ROS_LOG_DIR"] = str(log_dir / "ros_log")
    env.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def ros_command(args: list[str], netns: bool) -> list[str]:
    """.venv-ros's Python with `args`, inside the private network namespace when netns."""
    cmd = [str(ros_python()), *args]
    return ["bash", str(NETNS_RUN), *cmd] if netns else cmd

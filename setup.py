"""Taishan: an ament_python ROS 2 package that is also a pip-installable library and CLI.

Versions are pinned in constraints.txt (install with `pip install -c constraints.txt -e .[dev]`).
"""
from glob import glob

from setuptools import find_packages, setup

PACKAGE = "taishan"

setup(
    name=PACKAGE,
    version="0.1.0",
    description="Automotive perception sensor fusion: Kalman and learned tracking, ego estimation, replay.",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["fusion", "fusion.*", "sensors", "sensors.*", "datasets", "datasets.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.py") + glob("launch/*.yaml")),
        (f"share/{PACKAGE}/configs", glob("configs/*.yaml")),
        (f"share/{PACKAGE}/configs/kitti_replay", glob("configs/kitti_replay/*.yaml")),
        *[(f"share/{PACKAGE}/{d}", glob(f"{d}/*.msg")) for d in sorted(glob("ros/interfaces/*/msg"))],   # typestore.interfaces_dir
    ],
    install_requires=[
        "numpy",
        "numba",
        "scipy",
        "pyyaml",
        "pydantic",
        "filterpy",
        "open3d",
        "tqdm",
        "matplotlib",
        "trackeval",
        "rosbags",
        "mcap",
        "pymap3d",
    ],
    extras_require={
        "train": ["torch", "safetensors", "onnx", "onnxruntime", "pycocotools"],
        "dev": ["pytest", "pytest-benchmark"],
        "ray": ["ray"],
    },
    entry_points={
        "console_scripts": [
            "taishan = fusion.cli:main",
            "taishan_camera_node = fusion.ros.camera_node:main",
            "taishan_radar_node = fusion.ros.radar_node:main",
            "taishan_lidar_node = fusion.ros.lidar_node:main",
            "taishan_ego_node = fusion.ros.ego_node:main",
            "taishan_tracker_node = fusion.ros.tracker_node:main",
            "taishan_fusion_node = fusion.ros.fusion_node:main",
        ],
    },
)

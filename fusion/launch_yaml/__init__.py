"""`taishan launch`: run a ROS 2 launch YAML file where rclpy is installed but `ros2 launch` is not.

document reads the file (with line numbers), substitutions evaluates `$(...)`, interpreter turns
the entities into the processes to start (its docstring lists the supported part of the format),
runner starts and stops them. The same file works unchanged with `ros2 launch`.
"""

"""Taishan's ROS 2 graph (launch_ros): the same nodes, arguments and parameters as
launch/taishan.launch.yaml, which also runs without ROS 2 tools through `taishan launch`.

    ros2 launch taishan taishan.launch.py [namespace:=car1] [use_sim_time:=true] [radar:=false] ...
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, GroupAction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution, PythonExpression
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

try:
    from launch_ros.actions import PushROSNamespace
except ImportError:   # ROS 2 Humble spells it PushRosNamespace
    from launch_ros.actions import PushRosNamespace as PushROSNamespace

BOOLEAN = ["true", "false"]
# (launch argument that switches the node on, executable, node name, params files besides the graph config)
NODES = [
    ("camera", "taishan_camera_node", "camera_frontend", []),
    ("radar", "taishan_radar_node", "radar_frontend", []),
    ("lidar", "taishan_lidar_node", "lidar_frontend", []),
    ("ego", "taishan_ego_node", "ego_estimator", ["ego_config"]),
    ("tracker", "taishan_tracker_node", "tracker", ["tracker_config"]),
    ("compose", "taishan_fusion_node", "fusion", ["tracker_config"]),
]
COMPOSED = ("camera", "radar", "lidar", "tracker")   # run inside taishan_fusion_node with compose:=true
SWITCH_HELP = {
    "camera": "run the camera front-end",
    "radar": "run the radar front-end",
    "lidar": "run the lidar front-end",
    "ego": "run the ego estimator (IMU + GNSS -> odometry, tf map -> base_link)",
    "tracker": "run the fusion tracker (object list)",
}


def _config(name: str) -> PathJoinSubstitution:
    return PathJoinSubstitution([LaunchConfiguration("config_dir"), name])


def _runs(switch: str) -> IfCondition:
    """A node runs when its switch is on and, for those taishan_fusion_node hosts, compose is off."""
    if switch not in COMPOSED:
        return IfCondition(LaunchConfiguration(switch))
    return IfCondition(PythonExpression(["'", LaunchConfiguration(switch), "' == 'true' and '", LaunchConfiguration("compose"),
                                         "' != 'true'"]))


def generate_launch_description() -> LaunchDescription:
    arguments = [
        DeclareLaunchArgument("namespace", default_value="", description="namespace of every node and topic (e.g. car1); empty: none"),
        DeclareLaunchArgument("use_sim_time", default_value="false", choices=BOOLEAN,
                              description="follow /clock (bag replay) instead of the system clock"),
        *[DeclareLaunchArgument(switch, default_value="true", choices=BOOLEAN, description=help) for switch, help in SWITCH_HELP.items()],
        DeclareLaunchArgument("config_dir", default_value=PathJoinSubstitution([FindPackageShare("taishan"), "configs"]),
                              description="folder of the default config files below"),
        DeclareLaunchArgument("vehicle_config", default_value=_config("vehicle.yaml"), description="vehicle config: sensors, extrinsics, noise"),
        DeclareLaunchArgument("graph_config", default_value=_config("graph.yaml"),
                              description="graph config (params file): input kinds, object list rate, diagnostics period"),
        DeclareLaunchArgument("tracker_config", default_value=_config("tracker.yaml"), description="tracker config (params file)"),
        DeclareLaunchArgument("ego_config", default_value=_config("ego.yaml"), description="ego estimator config (params file)"),
        DeclareLaunchArgument("objects_trigger", default_value="input", choices=["input", "timer"],
                              description="object list after each measurement the tracker processes (input: least latency) "
                                          "or at graph.yaml's objects_rate_hz (timer)"),
        DeclareLaunchArgument("compose", default_value="false", choices=BOOLEAN,
                              description="run the switched-on front-ends and the tracker in one process (taishan_fusion_node): "
                                          "least latency for object-level inputs; not with the lidar detector on point clouds"),
    ]
    common = {"use_sim_time": LaunchConfiguration("use_sim_time"), "node.vehicle_config": LaunchConfiguration("vehicle_config")}
    own = {"tracker": {"objects_trigger": LaunchConfiguration("objects_trigger")},
           "compose": {"objects_trigger": LaunchConfiguration("objects_trigger"),
                       **{f"node.{kind}": LaunchConfiguration(kind) for kind in ("camera", "radar", "lidar")}}}
    nodes = [
        Node(package="taishan", executable=executable, name=name, output="screen", condition=_runs(switch),
             parameters=[LaunchConfiguration("graph_config"), *[LaunchConfiguration(f) for f in files], common, own.get(switch, {})])
        for switch, executable, name, files in NODES
    ]
    return LaunchDescription([*arguments, GroupAction([PushROSNamespace(LaunchConfiguration("namespace")), *nodes])])

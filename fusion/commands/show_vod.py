"""`taishan show vod FRAME --out PNG`: one View-of-Delft frame as a picture.

Top: the camera image with lidar points (coloured by depth), radar returns (coloured by their
ego-compensated Doppler velocity), labelled 3D boxes (green) and the lidar detector's boxes
(coloured by class) projected into it. Bottom: the bird's-eye view in the lidar frame with the
same content, radar objects' velocities as arrows and the camera's field of view.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from fusion.core.boxes import box_corners
from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.measurements import LidarPointCloud

CLASS_COLOURS = {
    ObjectClass.UNKNOWN: "#9e9e9e", ObjectClass.CAR: "#ff7f0e", ObjectClass.TRUCK: "#8c564b", ObjectClass.BUS: "#8c564b",
    ObjectClass.TRAILER: "#8c564b", ObjectClass.MOTORCYCLE: "#e377c2", ObjectClass.BICYCLE: "#1f77b4",
    ObjectClass.PEDESTRIAN: "#d62728",
}
LABEL_COLOUR = "#2ca02c"
BOX_EDGES = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7)]
DOPPLER_LIMIT_MPS = 5.0
BEV_X, BEV_Y = (-5.0, 55.0), (-25.0, 25.0)


def _image_segments(frame, corners_lidar: np.ndarray) -> list[np.ndarray]:
    """Pixel line segments of the boxes entirely in front of the camera."""
    segments = []
    for corners in corners_lidar:
        uv, front = frame.camera.project(frame.T_camera_lidar.apply(corners))
        if front.all() and frame.camera.in_image(uv, margin_px=-400).any():
            segments.extend(uv[list(edge)] for edge in BOX_EDGES)
    return segments


def draw(frame, out: Path) -> dict[str, int]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    from sensors.lidar.detector import LidarDetector
    from sensors.radar.frontend import RadarFrontEnd

    lidar = frame.lidar.astype(float)
    detections = LidarDetector().detect(LidarPointCloud(0, "lidar", "vod_lidar", lidar[:, :3])).boxes
    radar = RadarFrontEnd().process(frame.radar_detections())
    radar_lidar = frame.T_lidar_radar.apply(radar.detections.to_cartesian())
    label_centers, label_sizes, label_yaws = frame.labels.boxes_in(frame.T_camera_lidar.inverse())
    label_corners = box_corners(label_centers, label_sizes, label_yaws)
    shown = detections.classes != int(ObjectClass.UNKNOWN)
    det_corners = box_corners(detections.centers, detections.sizes, detections.yaws)

    image = frame.image()
    height, width = image.shape[:2]
    fig = plt.figure(figsize=(16, 20))
    ax_img = fig.add_axes([0.03, 0.53, 0.94, 0.45])
    ax_bev = fig.add_axes([0.1, 0.03, 0.8, 0.47])
    ax_img.imshow(image)
    cam_points = frame.T_camera_lidar.apply(lidar[:, :3])
    uv, front = frame.camera.project(cam_points)
    visible = front & frame.camera.in_image(uv)
    ax_img.scatter(uv[visible, 0], uv[visible, 1], c=cam_points[visible, 2], cmap="turbo", vmin=2, vmax=50, s=1.5,
                   alpha=0.5, linewidths=0)
    radar_uv, radar_front = frame.camera.project(frame.T_camera_lidar.apply(radar_lidar))
    radar_visible = radar_front & frame.camera.in_image(radar_uv)
    doppler = ax_img.scatter(radar_uv[radar_visible, 0], radar_uv[radar_visible, 1], c=radar.compensated[radar_visible],
                             cmap="coolwarm", vmin=-DOPPLER_LIMIT_MPS, vmax=DOPPLER_LIMIT_MPS, s=40, edgecolors="black",
                             linewidths=0.6)
    ax_img.add_collection(LineCollection(_image_segments(frame, label_corners), colors=LABEL_COLOUR, linewidths=1.5))
    for object_class in np.unique(detections.classes[shown]):
        pick = shown & (detections.classes == object_class)
        ax_img.add_collection(LineCollection(_image_segments(frame, det_corners[pick]),
                                             colors=CLASS_COLOURS[ObjectClass(object_class)], linewidths=1.2))
    ax_img.set_xlim(0, width)
    ax_img.set_ylim(height, 0)
    ax_img.set_axis_off()
    ax_img.set_title(f"VoD frame {frame.frame}: lidar (colour = depth), radar (colour = compensated Doppler), "
                     "labels (green), detections (class colour)")
    fig.colorbar(doppler, ax=ax_img, fraction=0.02, pad=0.01, label="compensated radial velocity [m/s]")

    near = (lidar[:, 0] > BEV_X[0]) & (lidar[:, 0] < BEV_X[1]) & (np.abs(lidar[:, 1]) < BEV_Y[1])
    ax_bev.scatter(-lidar[near, 1], lidar[near, 0], s=0.2, c="#b0b0b0", linewidths=0)
    for corners in label_corners:
        ax_bev.fill(-corners[:4, 1], corners[:4, 0], facecolor="none", edgecolor=LABEL_COLOUR, linewidth=1.5)
    for corners, object_class in zip(det_corners, detections.classes):
        colour = CLASS_COLOURS[ObjectClass(object_class)]
        ax_bev.fill(-corners[:4, 1], corners[:4, 0], facecolor="none", edgecolor=colour,
                    linewidth=1.2 if object_class else 0.5)
    ax_bev.scatter(-radar_lidar[:, 1], radar_lidar[:, 0], c=radar.compensated, cmap="coolwarm", vmin=-DOPPLER_LIMIT_MPS,
                   vmax=DOPPLER_LIMIT_MPS, s=25, edgecolors="black", linewidths=0.5)
    objects = radar.objects.boxes
    if len(objects):
        origin = frame.T_lidar_radar.apply(objects.centers)
        velocity = frame.T_lidar_radar.rotate(objects.velocities)
        ax_bev.quiver(-origin[:, 1], origin[:, 0], -velocity[:, 1], velocity[:, 0], angles="xy", scale_units="xy",
                      scale=1.0, color="purple", width=0.003)
    fov = np.arctan2(width / 2, frame.camera.K[0, 0])
    camera_origin = frame.T_camera_lidar.inverse().translation
    for side in (-1, 1):
        ray = frame.T_camera_lidar.inverse().rotate(np.array([side * np.tan(fov), 0.0, 1.0])) * 60
        ax_bev.plot([-camera_origin[1], -(camera_origin[1] + ray[1])], [camera_origin[0], camera_origin[0] + ray[0]],
                    color="black", linestyle="--", linewidth=0.8)
    ax_bev.set_xlim(-BEV_Y[1], -BEV_Y[0])
    ax_bev.set_ylim(*BEV_X)
    ax_bev.set_aspect("equal")
    ax_bev.set_xlabel("-y (right) [m]")
    ax_bev.set_ylabel("x (forward) [m]")
    ax_bev.set_title("bird's-eye view (lidar frame): labels green, detections by class (UNKNOWN thin grey), "
                     "radar objects' velocity purple")
    handles = [plt.Line2D([], [], color=CLASS_COLOURS[c], label=c.name.lower()) for c in ObjectClass]
    handles.append(plt.Line2D([], [], color=LABEL_COLOUR, label="label"))
    ax_bev.legend(handles=handles, loc="upper right", fontsize=8)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return {"lidar_points": len(lidar), "detections": int(np.count_nonzero(shown)), "labels": len(frame.labels),
            "radar_returns": len(radar.detections), "radar_objects": len(objects)}


def run(args: argparse.Namespace) -> int:
    from datasets.vod import VodFrame, default_vod_root

    if not args.frame.isdigit():
        raise InputError("taishan show vod", f"FRAME must be a frame number such as 00549, got {args.frame!r}")
    frame = VodFrame(args.data or default_vod_root(), args.frame.zfill(5))
    summary = draw(frame, Path(args.out))
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    return 0


def register(groups) -> None:
    parser = groups.add_to_group("show", "vod", "draw a View-of-Delft frame: points, Doppler, labelled and detected boxes",
                                 description=__doc__)
    parser.add_argument("frame", metavar="FRAME", help="frame number, e.g. 00549")
    parser.add_argument("--out", metavar="PNG", required=True, help="where to write the picture")
    parser.add_argument("--data", metavar="DIR", type=Path, default=None,
                        help="VoD example folder (default: <repo>/../shared/data/vod-example)")
    parser.set_defaults(func=run)

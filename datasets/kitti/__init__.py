"""KITTI tracking: labels, PointRCNN 3D and RRC 2D detections, calibration, seqmaps, results, and
the evaluation glue behind `taishan eval kitti` (tracker runs, TrackEval scoring, plots).

KITTI's camera-rectified frame (x right, y down, z forward; boxes by bottom centre and rotation
about y) is converted to a REP 103 frame in one place, `datasets.kitti.frames`.
"""

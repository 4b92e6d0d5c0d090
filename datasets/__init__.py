"""Dataset readers and writers (KITTI tracking, ...), with the glue that runs the pipeline on them.

Each dataset's own conventions (frames, file layouts, class names) are converted here, at the
reader, so everything past this package sees Taishan's measurement types and REP 103 frames.
"""

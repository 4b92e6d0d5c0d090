"""Camera + 3D fusion: 2D camera detections matched to projected 3D tracks and 3D detections.

Camera evidence confirms tracks, keeps them alive through 3D misses and supports identity; it never
creates a 3D object on its own (a 2D box has no depth).
"""

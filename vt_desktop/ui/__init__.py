"""The Qt layer: the window, its views and view models. Nothing below this package imports Qt."""

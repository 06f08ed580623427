"""Image workflows: classify a folder of photos, search similar images, cluster them, with pictures."""

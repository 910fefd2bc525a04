"""Model catalog: the YOLO models Triton serves, as records streams can pick from.

Imports nothing from streams/, workers/ or dashboard/ (streams/ may import `catalog.selectors`).
"""

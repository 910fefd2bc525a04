"""YOLO on Triton: the model contract, its pre- and post-processing, Triton's admin API, the repository writer.

One home for what the worker, the catalog, the health page, the launcher, the benchmarks and the served model
itself must agree on. Modules:
- `contract`: tensor names, types, layouts, config parameters, reading a served config and ONNX class names;
- `decode`: raw YOLO outputs of every layout to boxes, class-aware NMS;
- `prepost`: BGR frames to a letterboxed batch, outputs back to `supervision.Detections` in source pixels, and
  `Detector`, which puts both around any model with an `infer(batch)`;
- `admin`: Triton's HTTP admin endpoints (readiness, repository index, config, load/unload, statistics);
- `repository`, `pbtxt`: the model-repository writer (CPU and GPU profiles), run by
yolo_triton/served/prepare_repository.py;
- `reshape`: the rectangular (16:9, 4:3) input variants of a square Ultralytics export that the writer adds.

`contract` and `decode` use only the standard library and numpy: the repository writer copies them (with this
file, which must stay import-free) into each model's version directory, where Triton's python backend runs
them next to model.py without the rest of the project.
"""

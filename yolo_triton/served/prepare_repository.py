"""Write Triton model-repository entries for a YOLO ONNX file (the launcher, `import_model` and the GPU
deployment all run this; the writer itself is yolo_triton/repository.py):

    .venv-triton/bin/python yolo_triton/served/prepare_repository.py --onnx yolo11n.onnx \
        --out var/triton/repository
    .venv/bin/python yolo_triton/served/prepare_repository.py --profile gpu --onnx yolo11n.onnx \
        --out /srv/triton/models
"""

import sys
from pathlib import Path

# Run as a script from either venv: the package is found from the checkout, not from an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from yolo_triton.repository import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

"""Burst benchmark: the real copy function against simulated RDS and SQS on a simulated clock.

`python -m bench.burst --events 1000` (see bench/README.md). The function's zip root (lambda/) is put on
sys.path here, so `import copy_snapshot` works outside pytest too.
"""

from __future__ import annotations

import sys
from pathlib import Path

LAMBDA_ROOT = Path(__file__).resolve().parents[1] / "lambda"
if str(LAMBDA_ROOT) not in sys.path:
    sys.path.insert(0, str(LAMBDA_ROOT))

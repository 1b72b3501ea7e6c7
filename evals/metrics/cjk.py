"""Chinese, Japanese and Korean ideographs: how the checks tell Chinese copy from English."""

from __future__ import annotations

import re
from typing import Final

CJK: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

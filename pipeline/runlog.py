"""What a run tells the operator: one JSON line per stage (rows, seconds, timestamp) and a total in a log file, a
readable line per stage on the console, and a progress bar only when the console is a terminal."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from pipeline.errors import plural


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class RunLog:
    def __init__(self, path: Path | None = None, console: TextIO | None = None, stages: int = 0):
        self.path, self.console = path, console
        show_bar = console is not None and console.isatty()
        self.bar = tqdm(total=stages, file=console, unit="etap", leave=False) if show_bar and stages else None

    def _write(self, record: dict[str, Any]) -> None:
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"time": now(), **record}, ensure_ascii=False) + "\n")

    def stage(self, name: str, rows: int, seconds: float) -> None:
        self._write({"event": "stage", "stage": name, "rows": rows, "seconds": seconds})
        if self.bar is not None:
            self.bar.set_description(name)
            self.bar.update(1)
        elif self.console is not None:
            print(f"uwagi: {name}: {plural(rows, 'uwaga', 'uwagi', 'uwag')}, {seconds:.1f} s", file=self.console)

    def event(self, name: str, **fields: Any) -> None:
        self._write({"event": name, **fields})

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

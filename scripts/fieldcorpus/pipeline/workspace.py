"""Where a pipeline working directory keeps things, read from its config (for the CLI)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fieldcorpus.config import load_config


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: dict

    @classmethod
    def load(cls, root: str | os.PathLike = ".", configfile: str = "config/config.yaml",
             config: dict | None = None) -> Workspace:  # fmt: skip
        """The workspace at `root`, with its validated config (or one already loaded)."""
        root = Path(root).resolve()
        return cls(root, config if config is not None else load_config(root, configfile, []))

    def path(self, key: str) -> Path:
        value = Path(self.config[key])
        return value if value.is_absolute() else self.root / value

    @property
    def manifest(self) -> Path:
        return self.path("manifest")

    @property
    def fieldwork(self) -> Path:
        return self.path("fieldwork_dir")

    @property
    def restricted(self) -> Path:
        return self.path("restricted_dir")

    @property
    def shareable(self) -> Path:
        return self.path("shareable_dir")

    @property
    def logs(self) -> Path:
        return self.root / "logs"

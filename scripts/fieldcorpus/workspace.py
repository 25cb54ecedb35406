"""Where a pipeline working directory keeps things, read from its config (for the CLI)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: dict

    @classmethod
    def load(cls, root: str | os.PathLike = ".", configfile: str | os.PathLike | None = None,
             config: dict | None = None) -> Workspace:  # fmt: skip
        root = Path(root).resolve()
        if config is None:
            path = Path(configfile) if configfile else root / "config" / "config.yaml"
            with open(path if path.is_absolute() else root / path, encoding="utf-8") as handle:
                config = yaml.safe_load(handle) or {}
        return cls(root, config)

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

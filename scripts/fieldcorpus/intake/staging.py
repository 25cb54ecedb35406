"""Raw items seen through links named by item id.

Snakemake prints every job's input paths to the terminal and its log, and a raw file name can
identify a person ("Interview Sarah Jones.m4a"). Rules therefore read each raw file through a
link in the restricted zone named only by its item id; the link's target is the raw file itself,
so nothing is copied and Snakemake still sees the raw file's modification time.

Links are relative, so moving or copying the whole project keeps them valid, and each link's
own modification time is set to its target's, so making a link never looks like a new input."""

from __future__ import annotations

import os
from pathlib import Path

from fieldcorpus.files import make_restricted_dirs
from fieldcorpus.manifest import Item, Manifest


def raw_link_path(restricted_root: str | os.PathLike, item: Item) -> Path:
    return (
        Path(restricted_root)
        / "raw"
        / item.practice
        / f"{item.item_id}{Path(item.path).suffix.lower()}"
    )


def link_raw_items(manifest: Manifest, fieldwork_root: str | os.PathLike,
                   restricted_root: str | os.PathLike) -> None:  # fmt: skip
    """Create or repair one link per manifest item; idempotent and cheap when nothing changed."""
    fieldwork_root = Path(os.path.abspath(fieldwork_root))
    made_dirs: set[Path] = set()
    for item in manifest.items.values():
        link = raw_link_path(restricted_root, item)
        target = os.path.relpath(fieldwork_root / item.path, os.path.abspath(link.parent))
        try:
            if os.readlink(link) == target:
                continue
            link.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            link.unlink()
        if link.parent not in made_dirs:
            make_restricted_dirs(link.parent)
            made_dirs.add(link.parent)
        os.symlink(target, link)
        raw = os.stat(link)
        os.utime(link, ns=(raw.st_atime_ns, raw.st_mtime_ns), follow_symlinks=False)

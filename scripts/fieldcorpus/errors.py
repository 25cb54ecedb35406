"""Errors the data manager sees: each names the item and what to do, never raw names or paths."""


class FieldcorpusError(Exception):
    """A failure caused by an input, reported as 'item <id>: <reason>: <what to do>'."""

    def __init__(self, item_id: str | None, reason: str, fix: str = ""):
        self.item_id = item_id
        self.reason = reason
        self.fix = fix
        where = f"item {item_id}: " if item_id else ""
        tail = f": {fix}" if fix else ""
        super().__init__(f"{where}{reason}{tail}")


class ManifestError(FieldcorpusError):
    """One or more manifest rows are invalid; `problems` holds one line per bad cell."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(None, f"the manifest has {len(problems)} problem(s):\n{lines}")


class LeakError(FieldcorpusError):
    """A ledger or register string was found in the shareable zone."""

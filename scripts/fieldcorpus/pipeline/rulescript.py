"""What every rule script does around its one call: restrictive umask, stderr to the rule's log,
and errors reported without identifying content."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable

from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import remove_stale_partials


def run_rule(snakemake, job: Callable[..., object], **arguments) -> None:
    os.umask(0o077)
    terminal = os.fdopen(os.dup(2), "w")
    log_path = snakemake.log[0] if len(snakemake.log) else os.devnull
    with open(log_path, "w", encoding="utf-8") as log_handle:
        os.dup2(log_handle.fileno(), 2)
        sys.stderr = log_handle
        logging.basicConfig(
            stream=log_handle,
            level=logging.INFO,
            format="%(levelname)s %(name)s: %(message)s",
            force=True,
        )
        for output in snakemake.output:
            remove_stale_partials(output)
        try:
            job(**arguments)
        except FieldcorpusError as error:
            message = f"fieldcorpus: {error}"
            print(message, file=log_handle, flush=True)
            print(message, file=terminal, flush=True)
            sys.exit(1)
        except Exception as error:
            # Exception messages can quote input text; log the type and where, never the message.
            print(f"fieldcorpus: unexpected {type(error).__name__}", file=log_handle)
            print("".join(traceback.format_tb(error.__traceback__)), file=log_handle, flush=True)
            print(
                f"fieldcorpus: rule {snakemake.rule} failed with {type(error).__name__}; "
                f"see its log",
                file=terminal,
                flush=True,
            )
            sys.exit(1)

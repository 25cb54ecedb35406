"""OCR with RapidOCR (its PP-OCR ONNX models ship inside the wheel, so nothing is downloaded):
scanned PDF pages and photos of notices and whiteboards."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import metadata
from pathlib import Path

from fieldcorpus.errors import FieldcorpusError

# Photos straight from a phone are 12+ megapixels; text stays legible at this size and OCR time
# grows with the pixel count.
MAX_OCR_SIDE = 3000


@cache
def ocr_engine(threads: int = 1):
    from rapidocr import RapidOCR

    return RapidOCR(
        params={
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    )


@cache
def ocr_engine_facts() -> dict:
    """Name, version and the sha256 of each bundled model file, for provenance."""
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    return {
        "name": "rapidocr",
        "version": metadata.version("rapidocr"),
        "models": {
            path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(models.glob("*.onnx"))
        },
    }


def ocr_image(image, threads: int = 1) -> tuple[str, float]:
    """Read the text of a PIL image: (lines joined by newlines, mean line confidence)."""
    import numpy as np

    image = image.convert("RGB")
    if max(image.size) > MAX_OCR_SIDE:
        image.thumbnail((MAX_OCR_SIDE, MAX_OCR_SIDE))
    result = ocr_engine(threads)(np.asarray(image))
    texts = [text.strip() for text in (result.txts or ())]
    scores = list(result.scores or ())
    kept = [(text, score) for text, score in zip(texts, scores, strict=False) if text]
    if not kept:
        return "", 0.0
    confidence = sum(score for _, score in kept) / len(kept)
    return "\n".join(text for text, _ in kept), round(float(confidence), 4)


def ocr_unit(units, image, page: int | None, settings: dict) -> dict | None:
    """OCR one page image and add it to `units` as one unit marked `ocr: true`."""
    from fieldcorpus.documents.common import clean_block

    text, confidence = ocr_image(image, int(settings.get("threads", 1)))
    return units.add(clean_block(text), page=page, ocr=True, confidence=confidence)


def extract_image(source, item_id: str, settings: dict, prefix: str = "") -> dict:
    """A photo or scan (JPEG, PNG, TIFF with one page per frame): every frame read by OCR."""
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    from fieldcorpus.documents.common import UnitList, open_binary

    units = UnitList(settings, prefix)
    frames = 0
    try:
        with open_binary(source) as handle, Image.open(handle) as image:
            for frame in ImageSequence.Iterator(image):
                frames += 1
                upright = ImageOps.exif_transpose(frame)
                ocr_unit(units, upright, frames, settings)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise FieldcorpusError(
            item_id, "the image cannot be read (corrupt or truncated)", "supply a readable copy"
        ) from exc
    except Image.DecompressionBombError as exc:
        raise FieldcorpusError(
            item_id, "the image is too large to read safely", "supply a smaller scan or photo"
        ) from exc
    return {
        "source": {"pages": frames, "ocr_pages": frames},
        "engine": {
            "name": "pillow",
            "version": metadata.version("pillow"),
            "ocr": ocr_engine_facts(),
        },
        "units": units.units,
    }

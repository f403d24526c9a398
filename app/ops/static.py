"""Static files served by the app itself (WhiteNoise), so no proxy is needed in front.

Every file under ``static/`` is also served under a content-hashed name
(``css/app.3f2a9c1b7d4e.css``) with ``Cache-Control: max-age=315360000, public,
immutable``; ``url_for('static', …)`` writes the hashed name, so a browser or CDN keeps
a file until its content changes. The plain names stay reachable with a short cache
lifetime for anything that links to them directly."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise

HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
PLAIN_MAX_AGE = 300
COMPRESSED = (".gz", ".br")


def hashed_name(relative: str, content: bytes) -> str:
    """``css/app.css`` → ``css/app.<12 hex digits of sha256>.css``."""
    path = Path(relative)
    digest = hashlib.sha256(content).hexdigest()[:12]
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}")).replace("\\", "/")


def build_manifest(root: Path) -> dict[str, str]:
    """Logical name → hashed name for every file under ``root``."""
    manifest = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix not in COMPRESSED and not path.name.startswith("."):
            relative = path.relative_to(root).as_posix()
            manifest[relative] = hashed_name(relative, path.read_bytes())
    return manifest


def _immutable(path: str, url: str) -> bool:
    return bool(HASHED_NAME.search(url))


def init_app(app: Flask) -> None:
    if not app.static_folder:
        return
    root = Path(app.static_folder)
    prefix = (app.static_url_path or "/static").rstrip("/") + "/"
    manifest = build_manifest(root)
    server = WhiteNoise(app.wsgi_app, root=str(root), prefix=prefix, max_age=PLAIN_MAX_AGE,
                        immutable_file_test=_immutable)
    for logical, hashed in manifest.items():
        server.add_file_to_dictionary(prefix + hashed, str(root / logical))
    app.wsgi_app = server  # type: ignore[method-assign]
    app.extensions["orderdesk_static_manifest"] = manifest

    @app.url_defaults
    def _hashed_static_name(endpoint: str, values: dict) -> None:
        if endpoint == "static":
            name = values.get("filename")
            if name in manifest:
                values["filename"] = manifest[name]

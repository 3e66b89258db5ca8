"""The templates shipped in this package: one folder per template with `manifest.json`,
`document.json` (the app document of its current version), `demo.json` (demo data) and
`history/<version>.json` (the documents of its earlier versions, the base of upgrades).

The format serves all eighteen industries: a manifest names the engines a template needs, and a
document may use any page kind and component those engines register."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent


@dataclasses.dataclass(frozen=True)
class Template:
    slug: str
    name: str
    industry: str
    description: str
    version: str
    engines: tuple[str, ...]
    folder: Path

    def document(self, version: str | None = None) -> dict:
        """The app document of `version` (the current one by default), tagged with its origin."""
        path = self.folder / "document.json" if version in (None, self.version) else \
            self.folder / "history" / f"{version}.json"
        if not path.exists():
            raise KeyError(f"template {self.slug} has no version {version}")
        document = json.loads(path.read_text())
        document["app"]["template"] = {"slug": self.slug, "version": version or self.version}
        document["app"]["engines"] = sorted(set(document["app"].get("engines", [])) | set(self.engines))
        return document

    def demo(self) -> dict:
        return json.loads((self.folder / "demo.json").read_text())


@functools.cache
def templates() -> dict[str, Template]:
    found = {}
    for manifest in sorted(ROOT.glob("*/manifest.json")):
        data = json.loads(manifest.read_text())
        found[data["slug"]] = Template(slug=data["slug"], name=data["name"], industry=data["industry"],
                                       description=data["description"], version=data["version"],
                                       engines=tuple(data.get("engines", [])), folder=manifest.parent)
    return found


def get_template(slug: str) -> Template:
    if slug not in templates():
        raise KeyError(slug)
    return templates()[slug]

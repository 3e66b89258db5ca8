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

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

ROOT = Path(__file__).resolve().parent

# The trades a manifest's "industry" names (000_… of the reference: the eighteen mini-program
# types), in the people's language; a word not here is shown as written.
INDUSTRIES = {
    "retail": _l("Retail"), "food": _l("Food and drink"), "delivery": _l("Same-city delivery"),
    "home services": _l("Home services"), "errands": _l("Errands"), "recycling": _l("Recycling"),
    "group buying": _l("Community group buying"), "classifieds": _l("Classifieds"),
    "second-hand": _l("Second-hand"), "events": _l("Events"), "dating": _l("Dating"),
    "vouchers": _l("Vouchers"), "loyalty": _l("Loyalty"), "recruitment": _l("Recruitment"),
    "property": _l("Property"), "hospitality": _l("Hospitality"), "education": _l("Education"),
}


@dataclasses.dataclass(frozen=True)
class Template:
    slug: str
    name: str
    industry: str
    description: str
    version: str
    engines: tuple[str, ...]
    folder: Path
    descriptions: tuple[tuple[str, str], ...] = ()  # (locale, the description in it) beside the English one

    @property
    def industry_label(self) -> str:
        return str(INDUSTRIES.get(self.industry, self.industry))

    @property
    def described(self) -> str:
        """The description in the request's language, when the manifest has it."""
        return dict(self.descriptions).get(str(get_locale()), self.description)

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
                                       engines=tuple(data.get("engines", [])), folder=manifest.parent,
                                       descriptions=tuple(sorted(data.get("descriptions", {}).items())))
    return found


def get_template(slug: str) -> Template:
    if slug not in templates():
        raise KeyError(slug)
    return templates()[slug]

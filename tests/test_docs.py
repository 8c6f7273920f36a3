"""The documentation stays true to the tree: the README's inputs and outputs tables match the .tf files
(regenerate: python -m tests.support.docs), every relative link and anchor resolves, the README stays an
overview, and the LICENSE is the one pyproject.toml names."""

import re
import tomllib

import pytest

from tests.support import docs

# The README is the overview (issue 16: about 300 lines; issues 17-19 added a short section each); the rest
# lives in docs/.
README_MAX_LINES = 400

MARKDOWN = sorted(
    [
        docs.README,
        docs.ROOT / "CHANGELOG.md",
        docs.ROOT / "bench" / "README.md",
        *(docs.ROOT / "docs").glob("*.md"),
        *(docs.ROOT / "examples").glob("*/README.md"),
        *(docs.ROOT / "modules").glob("**/README.md"),
    ]
)

_FENCE = re.compile(r"^```.*?^```", re.M | re.S)
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6} (.+)$", re.M)


def _prose(text: str) -> str:
    """The text outside fenced code blocks, where a `](...)` is code, not a link."""
    return _FENCE.sub("", text)


def anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped (not hyphens or underscores), spaces to
    hyphens, and -1, -2, ... for repeats."""
    seen: dict[str, int] = {}
    result = set()
    for heading in _HEADING.findall(_prose(text)):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def test_anchors_follow_github():
    text = "\n".join(
        [
            "# Upgrading from 0.4",
            "## status, backfill and adopt",
            "## The operator (`operator_policy_json`)",
            "## Inputs",
            "## Inputs",
            "```sh",
            "# a comment, not a heading",
            "```",
        ]
    )
    assert anchors(text) == {
        "upgrading-from-04",
        "status-backfill-and-adopt",
        "the-operator-operator_policy_json",
        "inputs",
        "inputs-1",
    }


def test_readme_tables_are_current():
    current = docs.README.read_text()
    assert docs.updated_readme(current) == current, "README tables are stale: run python -m tests.support.docs"


@pytest.mark.parametrize("directory", [section[2] for section in docs.SECTIONS], ids=lambda d: d.name)
def test_every_variable_and_output_is_listed(directory):
    table = docs.inputs_table(directory) + docs.outputs_table(directory)
    names = [name for kind in ("variable", "output") for name, _ in docs.blocks(directory, kind)]
    assert len(names) > 30
    for name in names:
        assert f"| `{name}` |" in table


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(docs.ROOT)))
def test_relative_links_resolve(page):
    broken = []
    for target in _LINK.findall(_prose(page.read_text())):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text()):
            broken.append(f"{target}: no such heading")
    assert not broken, f"{page.relative_to(docs.ROOT)}: " + "; ".join(broken)


def test_readme_is_an_overview():
    lines = len(docs.README.read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines: move the detail to docs/"


def test_license_is_the_one_pyproject_names():
    declared = tomllib.loads((docs.ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    assert declared == "Apache-2.0"
    text = (docs.ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_source_module_readme_tables_are_current():
    """modules/source-account's README carries its own inputs and outputs tables, rendered like the README's."""
    current = docs.SOURCE_MODULE_README.read_text()
    assert docs.updated_module_readme(current, docs.SOURCE_MODULE) == current, (
        "modules/source-account/README.md's tables are stale: run python -m tests.support.docs"
    )
    for kind in ("variable", "output"):
        for name, _ in docs.blocks(docs.SOURCE_MODULE, kind):
            assert f"| `{name}` |" in current, name

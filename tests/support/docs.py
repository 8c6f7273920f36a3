"""The README's inputs and outputs tables, terraform-docs style, rendered from the .tf files.

`python -m tests.support.docs` rewrites the part of README.md between the markers; tests/test_docs.py
fails when that part is stale. The parser reads the blocks as this repository formats them
(`terraform fmt`, one attribute per line); it is not a general HCL parser.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# The backup-account mode's source side has a README of its own, with tables rendered the same way.
SOURCE_MODULE = ROOT / "modules" / "source-account"
SOURCE_MODULE_README = SOURCE_MODULE / "README.md"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"

_BLOCK = re.compile(r'^(variable|output) "(?P<name>[^"]+)" \{\n(?P<body>.*?)^\}', re.M | re.S)


def _attribute(body: str, name: str) -> str | None:
    """The expression of a top-level attribute, across lines while brackets are open."""
    match = re.search(rf"^  {name}\s+=\s+(.*)$", body, re.M)
    if match is None:
        return None
    lines = [match.group(1)]
    rest = body[match.end() + 1 :].splitlines()
    depth = _depth(lines[0])
    while depth > 0 and rest:
        line = rest.pop(0)
        lines.append(line.strip())
        depth += _depth(line)
    return " ".join(lines).replace("( ", "(").replace("[ ", "[").replace("{ ", "{")


def _depth(text: str) -> int:
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", text)
    return sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")


def _description(body: str) -> str:
    raw = _attribute(body, "description") or '""'
    return raw.strip()[1:-1].replace('\\"', '"')


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def blocks(directory: Path, kind: str) -> list[tuple[str, str]]:
    text = "\n".join(p.read_text() for p in sorted(directory.glob("*.tf")))
    return [(m["name"], m["body"]) for m in _BLOCK.finditer(text) if m.group(1) == kind]


def inputs_table(directory: Path) -> str:
    rows = ["| Name | Description | Type | Default | Required |", "|------|-------------|------|---------|:--------:|"]
    for name, body in blocks(directory, "variable"):
        default = _attribute(body, "default")
        rows.append(
            f"| `{name}` | {_cell(_description(body))} | `{_cell(_attribute(body, 'type') or 'any')}` "
            f"| {'n/a' if default is None else f'`{_cell(default)}`'} | {'yes' if default is None else 'no'} |"
        )
    return "\n".join(rows)


def outputs_table(directory: Path) -> str:
    rows = ["| Name | Description |", "|------|-------------|"]
    rows += [f"| `{name}` | {_cell(_description(body))} |" for name, body in blocks(directory, "output")]
    return "\n".join(rows)


# The sections of the generated part: a heading, a line under it, and the directory whose .tf files are read.
SECTIONS = (
    (
        "### The module (the repository's root)",
        "Providers: `aws.source` (queue, rule, functions, IAM, alarms) and `aws.destination` (KMS key), and "
        "`hashicorp/archive`, with which the module zips its own `lambda/` unless `lambda_package_path` and "
        "`lambda_package_hash` are given. The names marked *Deprecated* still work until 0.6.",
        ROOT,
    ),
)


def render() -> str:
    parts = [BEGIN]
    for heading, note, directory in SECTIONS:
        parts += [heading, note, "#### Inputs", inputs_table(directory), "#### Outputs", outputs_table(directory)]
    return "\n\n".join([*parts, END])


def updated_readme(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + render() + text[end:]


def updated_module_readme(text: str, directory: Path) -> str:
    """A module README's text with its inputs and outputs tables (between the markers) rendered anew."""
    tables = [BEGIN, "#### Inputs", inputs_table(directory), "#### Outputs", outputs_table(directory)]
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + "\n\n".join([*tables, END]) + text[end:]


if __name__ == "__main__":
    current, module_current = README.read_text(), SOURCE_MODULE_README.read_text()
    new, module_new = updated_readme(current), updated_module_readme(module_current, SOURCE_MODULE)
    if "--check" in sys.argv:
        stale = new != current or module_new != module_current
        sys.exit("the inputs/outputs tables are stale: python -m tests.support.docs" if stale else 0)
    README.write_text(new)
    SOURCE_MODULE_README.write_text(module_new)

"""The README's inputs and outputs tables match the .tf files (regenerate: python -m tests.support.docs)."""

from tests.support import docs


def test_readme_tables_are_current():
    current = docs.README.read_text()
    assert docs.updated_readme(current) == current, "README tables are stale: run python -m tests.support.docs"


def test_every_variable_and_output_is_listed():
    module = docs.ROOT / "modules" / "rds-snapshot-copy"
    table = docs.inputs_table(module) + docs.outputs_table(module)
    names = [name for kind in ("variable", "output") for name, _ in docs.blocks(module, kind)]
    assert len(names) > 30
    for name in names:
        assert f"| `{name}` |" in table

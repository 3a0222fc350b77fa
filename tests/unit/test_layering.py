"""The house rules of DESIGN.md §2: question_bank and devices never import exam_center; devices is hardware only."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "question_bank": {"exam_center", "flask"},
    "devices": {"exam_center", "question_bank", "flask", "sqlalchemy"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_packages_respect_the_dependency_direction():
    violations = []
    for package, forbidden in FORBIDDEN.items():
        files = list((ROOT / package).rglob("*.py"))
        assert files, f"{package}/ has no modules"
        for path in files:
            bad = _imports(path) & forbidden
            if bad:
                violations.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert violations == []


def test_domain_rules_are_plain_python():
    for path in (ROOT / "exam_center" / "domain").rglob("*.py"):
        assert not _imports(path) & {"flask", "sqlalchemy", "flask_babel", "werkzeug"}, path

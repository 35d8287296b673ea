"""Every document the code, the tests and the docs cite is in the repository: a `docs/…` path names a file that
exists, and nothing cites the shared folder outside the repository (what the code cites is vendored into docs/)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A path under docs/ not inside a longer path or a URL (the character before it is not part of a path).
CITED = re.compile(r"(?<![\w./-])docs/[\w./-]*\w")
OUTSIDE = re.compile(r"shared/docs/|(?<![\w/])(?:api|design|domain-reference|tooling-notes)(?:\.md)?(?= §)")
TEXT = (".py", ".md", ".toml", ".cfg", ".ini", ".yml", ".yaml", ".sh", ".txt", "Makefile", "Procfile", "Dockerfile")


def _tracked() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / n for n in names.splitlines() if n.endswith(TEXT) and (ROOT / n).is_file()]


def _citations(pattern: re.Pattern) -> list[tuple[str, int, str]]:
    found = []
    for path in _tracked():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            found += [(str(path.relative_to(ROOT)), number, m.group(0)) for m in pattern.finditer(line)]
    return found


def test_every_cited_docs_path_exists():
    cited = _citations(CITED)
    assert any(target == "docs/api.md" for _, _, target in cited)        # the scan sees the citations
    missing = [f"{where}:{line}: {target}" for where, line, target in cited if not (ROOT / target).exists()]
    assert not missing, "cited documents not in the repository:\n" + "\n".join(missing)


def test_nothing_cites_documents_outside_the_repository():
    outside = [f"{where}:{line}: {text}" for where, line, text in _citations(OUTSIDE)
               if not where.startswith("tests/contract/test_doc_references.py")]
    assert not outside, "cite docs/… in the repository instead:\n" + "\n".join(outside)

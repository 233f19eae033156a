"""axe-core for the browser tests: fetched once from the npm registry, checked, run in pages.

No CDN: the script is taken from the npm registry's tarball of a pinned version, checked
against the integrity hash the registry published for it, and kept (git-ignored) beside the
tests. Pages get it through Playwright's evaluate, so the site's Content-Security-Policy, which
allows no inline script, stays as it is.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest

AXE_VERSION = "4.14.1"
# dist.integrity of axe-core@4.14.1 on registry.npmjs.org.
AXE_INTEGRITY = (
    "sha512-"
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
VENDOR = Path(__file__).parent / "vendor" / f"axe-core-{AXE_VERSION}"
# What the issue asks to be absent; "minor" findings are reported but do not fail.
FAILING_IMPACTS = ("critical", "serious", "moderate")


def axe_source() -> str:
    """The axe-core script, fetched with npm on first use; skip (fail on CI) without npm."""
    script = VENDOR / "axe.min.js"
    if not script.exists():
        _fetch(script)
    return script.read_text(encoding="utf-8")


def _fetch(script: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the accessibility checks, but npm is missing")
        pytest.skip("axe-core comes from the npm registry: install Node.js and npm")
    with tempfile.TemporaryDirectory() as scratch:
        packed = subprocess.run(
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", scratch, "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        tarball = Path(scratch) / packed.stdout.strip().splitlines()[-1]
        data = tarball.read_bytes()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != AXE_INTEGRITY:
        pytest.fail(f"axe-core {AXE_VERSION} from npm does not match its pinned integrity hash")
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        members = {
            name: archive.extractfile(name) for name in ("package/axe.min.js", "package/LICENSE")
        }
        contents = {name: member.read() for name, member in members.items() if member}
    script.parent.mkdir(parents=True, exist_ok=True)
    for name, body in contents.items():
        target = script.parent / Path(name).name
        # Several test workers may fetch at once: each writes its own file, then renames it.
        partial = target.with_name(f"{target.name}.{os.getpid()}")
        partial.write_bytes(body)
        os.replace(partial, target)


def violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.x A and AA rules, best practices) on the page; its violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return found


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """The violations of an impact the tests do not accept."""
    return [v for v in violations(page) if v["impact"] in FAILING_IMPACTS]

"""The wheel Ansible installs on a counter (built exactly as the project_wheel role builds it)
holds the agent, the collector and the protocol, and none of the development tools: no fleet
simulator, no virtual Thai ID card, no synthetic card holders."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_WHEEL = REPO / "ansible" / "roles" / "project_wheel" / "files" / "build_wheel.py"


def load_build_wheel() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_wheel", BUILD_WHEEL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    changed, wheel = load_build_wheel().build(REPO, tmp_path_factory.mktemp("wheels"))
    assert changed
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


@pytest.mark.slow
def test_the_counter_wheel_holds_what_a_host_runs(wheel_files: list[str]) -> None:
    for module in (
        "agent/__main__.py",
        "agent/runtime.py",
        "agent/card/pcsc_reader.py",
        "agent/card/simulated.py",  # the `backend = "simulated"` card source, beside pcsc
        "collector/__main__.py",
        "protocols/__init__.py",
    ):
        assert module in wheel_files


@pytest.mark.slow
def test_the_counter_wheel_holds_no_development_tool(wheel_files: list[str]) -> None:
    assert (REPO / "simulator" / "card" / "virtual_card.py").exists()  # it exists, but not here
    leaked = [
        name
        for name in wheel_files
        if name.startswith("simulator/")
        or any(part in name for part in ("virtual_card", "synthetic_person", "simulate/"))
    ]
    assert leaked == []


def test_the_role_refuses_a_wheel_with_a_development_module(tmp_path: Path) -> None:
    build_wheel = load_build_wheel()
    wheel = tmp_path / "citizen_feedback-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("agent/__init__.py", "")
        archive.writestr("simulator/card/virtual_card.py", "")
    assert build_wheel.dev_only_files(wheel) == ["simulator/card/virtual_card.py"]

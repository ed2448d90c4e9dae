"""The layering rules of DESIGN.md, checked: core/ is pure, arrows point one way."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IO_LIBRARIES = {"sqlmodel", "sqlalchemy", "slack_sdk", "slack_bolt", "starlette", "httpx",
                "uvicorn", "psycopg", "twilio", "pagerduty", "alembic", "apscheduler",
                "requests", "aiohttp", "socket", "http", "urllib", "sqlite3", "subprocess"}


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken" in result.stdout
    assert "integration packages query no tables KEPT" in result.stdout


def test_core_imports_no_io_even_from_the_standard_library() -> None:
    offenders = []
    for path in sorted((ROOT / "core").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in IO_LIBRARIES]
    assert offenders == []


def test_nothing_is_built_at_import_time() -> None:
    """Importing every module must not open sockets, engines or clients."""
    code = ("import socket\n"
            "def refuse(*a, **k): raise AssertionError('network at import time')\n"
            "socket.socket.connect = refuse\n"
            "import pkgutil, importlib\n"
            "for pkg in ['core','store','services','integrations','bot','webhooks','vigilo']:\n"
            "    mod = importlib.import_module(pkg)\n"
            "    for info in pkgutil.walk_packages(mod.__path__, pkg + '.'):\n"
            "        if '.migrations' in info.name: continue\n"
            "        importlib.import_module(info.name)\n"
            "print('ok')\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr

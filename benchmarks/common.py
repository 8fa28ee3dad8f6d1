"""What every benchmark needs: the real app on a fresh SQLite file, migrated with the real migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def fresh_app(database: Path) -> Any:
    """Create the app on ``database`` (removed first if present) and migrate it from empty."""
    from auditapp.app import create_app
    from auditapp.extensions import upgrade_database
    from config import TestConfig

    database.unlink(missing_ok=True)
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{database}"
    app = create_app(config)
    with app.app_context():
        upgrade_database(app)
    return app

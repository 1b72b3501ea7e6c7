"""What the workspace knows by name: segments, products and categories, and which customer ids exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from data.workspace import Workspace
from tools.copy.grounding import catalogue_from_knowledge

if TYPE_CHECKING:
    from knowledge.store import KnowledgeStore

DEFAULT_SEGMENTS = (
    "champions",
    "loyal",
    "at risk",
    "hibernating",
    "big spenders",
    "new customers",
    "promising",
)


@dataclass(frozen=True)
class Vocabulary:
    """Names a request may use: segment names, product names and categories (lower case)."""

    segments: tuple[str, ...] = DEFAULT_SEGMENTS
    products: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @classmethod
    def of(cls, workspace: Workspace, store: KnowledgeStore | None = None) -> Vocabulary:
        """The workspace's segment names and categories, and the catalogue's products (when ingested)."""
        segments: list[str] = list(DEFAULT_SEGMENTS)
        categories: list[str] = []
        if workspace.warehouse.exists():
            with workspace.connect(read_only=True) as con:
                tables = {
                    r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
                }
                if "segments" in tables:
                    names = con.execute("SELECT DISTINCT CAST(segment AS VARCHAR) FROM segments").fetchall()
                    segments += [str(r[0]).lower() for r in names if r[0] is not None]
                columns = {
                    r[0]
                    for r in con.execute(
                        "SELECT column_name FROM information_schema.columns WHERE table_name = 'transactions'"
                    ).fetchall()
                }
                if "category" in columns:
                    rows = con.execute(
                        "SELECT DISTINCT category FROM transactions WHERE category IS NOT NULL"
                    )
                    categories = [str(r[0]).lower() for r in rows.fetchall()]
        catalogue = catalogue_from_knowledge(store) if store is not None else []
        products = [item.name.lower() for item in catalogue]
        categories += [item.category.lower() for item in catalogue if item.category]
        return cls(
            segments=tuple(dict.fromkeys(segments)),
            products=tuple(dict.fromkeys(products)),
            categories=tuple(dict.fromkeys(categories)),
        )


def unknown_customers(workspace: Workspace, ids: list[str]) -> dict[str, list[str]]:
    """The ids in ``ids`` that no customer has, each with the closest existing ids."""
    if not ids or not workspace.warehouse.exists():
        return {}
    from tools.customer import missing_customers  # with pandas: only when a message names an id

    with workspace.connect(read_only=True) as con:
        return missing_customers(con, ids)

"""Offset pagination with a total count, shared by services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def envelope(self, items: list[Any]) -> dict[str, Any]:
        """The page as the API shapes it (``PageSchema``), around already serialised items."""
        return {
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "pages": self.pages,
            "items": items,
        }


def paginate(session: Session, statement: Select[tuple[T]], page: int, page_size: int) -> Page[T]:
    """Run ``statement`` (already sorted) for one page, plus a count of all matching rows."""
    count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
    total = session.scalar(count_statement) or 0
    offset = (page - 1) * page_size
    items = list(session.scalars(statement.limit(page_size).offset(offset)))
    return Page(items=items, total=total, page=page, page_size=page_size)

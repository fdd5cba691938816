"""Tables of the search: the queue the indexer drains, the vocabulary and the admins' synonyms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedAt, UpdatedAt

# SQLite makes only INTEGER PRIMARY KEY an auto-increment rowid.
QueueId = BigInteger().with_variant(Integer(), "sqlite")


class SearchQueueEntry(Base):
    """A ref whose documents must be indexed again; written in the transaction of the change."""

    __tablename__ = "search_queue"

    id: Mapped[int] = mapped_column(QueueId, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(80), index=True)
    created_at: Mapped[CreatedAt]


class VocabularyWord(Base):
    """A folded word of the indexed text and in how many documents it occurs (compound splitting,
    typo correction and type-ahead use it)."""

    __tablename__ = "search_vocabulary"

    word: Mapped[str] = mapped_column(String(80), primary_key=True)
    documents: Mapped[int] = mapped_column(Integer, default=1)


class SynonymEntry(Base):
    """A synonym added or changed by a register admin; empty ``replacements`` switch one off."""

    __tablename__ = "search_synonyms"

    term: Mapped[str] = mapped_column(String(80), primary_key=True)  # as the shipped list spells it
    replacements: Mapped[str] = mapped_column(Text, default="")  # "; "-separated
    changed_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[UpdatedAt]


class SearchState(Base):
    """Counters that tell every process when to load vocabulary or synonyms again."""

    __tablename__ = "search_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(default=None)

"""Two real register processes: publish on A, add and confirm A on B, sync, the mirror shows on B."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import select

from app.library.models import ProcessModel
from tests.peering.processes import add_peer, command, instance, publish_on, read
from tests.support.server import RegisterProcess


@pytest.fixture()
def instances(request, tmp_path_factory) -> Iterator[tuple[RegisterProcess, RegisterProcess]]:
    a = instance(request, tmp_path_factory, "e2e_a", "Musterregister Sachsen")
    b = instance(request, tmp_path_factory, "e2e_b")
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def test_a_model_published_on_a_is_mirrored_on_b_after_one_sync(instances):
    a, b = instances
    model = publish_on(a)
    a.start()
    b.start()
    add_peer(b, "sachsen", a)
    assert "sachsen: 1 übernommen, 0 abgelehnt" in command(b, "federation", "sync")
    assert "sachsen: 0 übernommen" in command(b, "federation", "sync")  # nothing new
    mirror = read(
        b,
        lambda session: session.scalar(
            select(ProcessModel).where(ProcessModel.origin_id == str(model.id))
        ),
    )
    assert mirror is not None and mirror.origin_instance == a.url
    page = requests.get(f"{b.url}/modelle/{mirror.id}", timeout=10)
    assert page.ok and "aus Musterregister Sachsen · " in page.text
    assert "aktiv" in command(b, "peers")

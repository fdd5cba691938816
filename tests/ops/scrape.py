"""Reading a Prometheus scrape in tests."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels`` (0 if none)."""
    return sum(v for n, found, v in samples(text) if n == name and _includes(found, labels))


def _includes(found: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(found.get(key) == expected for key, expected in wanted.items())

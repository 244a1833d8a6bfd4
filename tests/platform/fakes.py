"""A throwaway service schema for testing the platform pieces on their own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from inscope_common.db import declare_platform_models
from inscope_common.events import make_event


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)


platform = declare_platform_models(Base)


@dataclass
class FakePublisher:
    published: list[dict[str, Any]] = field(default_factory=list)
    redelivered: list[tuple[str, Any, int]] = field(default_factory=list)
    down: bool = False

    def publish(self, event: dict[str, Any]) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.published.append(event)

    def redeliver(self, consumer: str, envelope: Any, attempts: int) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.redelivered.append((consumer, envelope, attempts))


def count_pipelines(client: Any) -> list[int]:
    """Patch ``client.pipeline`` so that every pipeline it hands out records, when it
    runs, how many commands it held: the Redis round trips a step makes, and their size."""
    executed: list[int] = []
    pipeline = client.pipeline

    def counting(*args: Any, **kwargs: Any) -> Any:
        pipe = pipeline(*args, **kwargs)
        execute = pipe.execute

        def counted(*a: Any, **k: Any) -> Any:
            executed.append(len(pipe.command_stack))
            return execute(*a, **k)

        pipe.execute = counted
        return pipe

    client.pipeline = counting
    return executed


def recorded_event() -> dict[str, Any]:
    """A valid ``assessment.recorded`` envelope (its one subscriber: assessment), the
    event these tests publish and consume."""
    return make_event(
        "assessment.recorded.v1",
        source="/inscope/assessment",
        subject="c",
        data={"intake_id": "i", "client_id": "c", "assessment_id": "a"},
    )

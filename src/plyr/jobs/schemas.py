"""The Job object: a background unit of work a user can watch."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from plyr.models import Job

JobStatus = Literal["pending", "processing", "completed", "failed"]


class JobOut(BaseModel):
    id: str
    type: str
    status: JobStatus
    phase: str
    progress_pct: float
    message: str | None
    error: str | None
    track_id: int | None
    warnings: list[str]

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            type=job.type,
            status=job.status,
            phase=job.phase,
            progress_pct=round(job.progress_pct, 1),
            message=job.message,
            error=job.error,
            track_id=job.track_id,
            warnings=list(job.warnings or []),
        )

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")

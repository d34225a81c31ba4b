"""The optional temperature video of a pass application (seed 000 §二.二.1:
有条件的可录制测量体温小视频（选填）).

A resident attaches one short video to their own application (replacing the one
before), sees it and deletes it; the issuers reviewing the application watch it
(``services/organisations/videos.py``). The type is read from the file's first
bytes and the length from its container (``domain/video.py``), never taken from
what the upload claims. The bytes go to the blob store first; the row that points
to them is written after, so a crash between leaves only an unreferenced blob, and
``sweep_orphans`` removes it. Videos go with their application's retention
(``expire_videos``) and with a declaration discarded unconfirmed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, NoReturn

from healthcode.domain.clock import day_of, start_of
from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Model
from healthcode.domain.video import VideoKind, duration_seconds, sniff
from healthcode.services.shared.blobs import ORPHAN_GRACE, BlobStore
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

FIELD = "video"
UNCONFIRMED_FOR = timedelta(hours=1)  # declarations.CONFIRM_WITHIN: confirmable this long
BATCH = 200
# what browsers and phones may call a video file besides its own type
_GENERIC_TYPES = ("", "application/octet-stream", "binary/octet-stream")


@dataclass(frozen=True)
class VideoSummary:
    application_id: uuid.UUID
    content_type: str
    size: int
    seconds: float
    uploaded_at: datetime


@dataclass(frozen=True)
class VideoBlob:
    """A video to stream: its type and length, and its bytes by range."""

    summary: VideoSummary
    key: str
    blobs: BlobStore

    def read(self, start: int, end: int) -> Iterator[bytes]:
        return self.blobs.read(self.key, start, end)


class ApplicationDecided(Conflict):
    code = "application_decided"


def attach_video(
    uow: UnitOfWork,
    env: Env,
    *,
    account_id: uuid.UUID,
    declaration_id: uuid.UUID,
    upload: BinaryIO,
    declared_type: str = "",
) -> VideoSummary:
    """Check and keep the video of one's own pass application; the one before goes."""
    declaration = _own(uow, env, account_id, declaration_id, lock=True)
    if uow.signatures.for_declarations([declaration.id]) or _superseded(uow, declaration):
        raise ApplicationDecided(
            N_("This application has been decided; a video can no longer be added")
        )
    kind, seconds, size = check_video(env, upload, declared_type)
    key = env.blobs.put(upload)  # durable before the row that points to it
    old = uow.videos.of_declaration(declaration.id, lock=True)
    if old is not None:
        _remove(uow, env, old)
    video = t.TemperatureVideo(
        declaration_id=declaration.id,
        blob_key=key,
        content_type=kind.value,
        size=size,
        duration_ms=round(seconds * 1000),
        uploaded_at=env.clock.now(),
    )
    uow.add(video)
    uow.flush()
    return _summary(video)


def check_video(env: Env, upload: BinaryIO, declared_type: str) -> tuple[VideoKind, float, int]:
    """The container, length and size of an upload, or a field error saying which
    limit it breaks."""
    settings = env.settings
    size = upload.seek(0, 2)
    upload.seek(0)
    if size == 0:
        refuse_missing()
    if size > settings.video_max_bytes:
        raise InvalidInput.single(
            FIELD,
            "too_large",
            N_("The video is too large: at most {limit} MB. Record a shorter one"),
            limit=megabytes(settings.video_max_bytes),
        )
    kind = sniff(upload.read(64))
    upload.seek(0)
    declared = declared_type.split(";")[0].strip().lower()
    if (
        kind is None
        or kind.value not in settings.video_types
        or not (declared.startswith("video/") or declared in _GENERIC_TYPES)
    ):
        raise InvalidInput.single(
            FIELD,
            "wrong_type",
            N_("This file is not a video we accept: send an MP4, WebM or MOV video"),
        )
    seconds = duration_seconds(kind, upload)
    if seconds is None:
        raise InvalidInput.single(
            FIELD, "unreadable", N_("The length of this video cannot be read: record it again")
        )
    if seconds > settings.video_max_seconds:
        raise InvalidInput.single(
            FIELD,
            "too_long",
            N_("The video is {seconds} seconds long: at most {limit} seconds, please"),
            seconds=round(seconds),
            limit=round(settings.video_max_seconds),
        )
    return kind, seconds, size


def megabytes(size: int) -> str:
    """A size limit in words: 20 MB, 0.2 MB."""
    return f"{round(size / 1024 / 1024, 1):g}"


def own_video(
    uow: UnitOfWork, env: Env, *, account_id: uuid.UUID, declaration_id: uuid.UUID
) -> VideoBlob:
    declaration = _own(uow, env, account_id, declaration_id, lock=False)
    video = uow.videos.of_declaration(declaration.id)
    if video is None:
        raise NotFound(N_("No video"))
    return blob_of(env, video)


@dataclass(frozen=True)
class OwnVideo:
    """A resident's application as the video page shows it."""

    application_id: uuid.UUID
    policy_id: str
    confirmed: bool
    video: VideoSummary | None
    open: bool  # a video may still be added or replaced


def own_summary(
    uow: UnitOfWork, env: Env, *, account_id: uuid.UUID, declaration_id: uuid.UUID
) -> OwnVideo:
    """The application's video, if any, and whether one may still be added."""
    declaration = _own(uow, env, account_id, declaration_id, lock=False)
    video = uow.videos.of_declaration(declaration.id)
    decided = bool(uow.signatures.for_declarations([declaration.id]))
    return OwnVideo(
        application_id=declaration.id,
        policy_id=declaration.policy_id,
        confirmed=declaration.confirmed_at is not None,
        video=_summary(video) if video is not None else None,
        open=not decided and _superseded(uow, declaration) is None,
    )


def refuse_missing() -> NoReturn:
    """A form sent with no file chosen."""
    raise InvalidInput.single(FIELD, "empty", N_("Choose a video file to send"))


def delete_own_video(
    uow: UnitOfWork, env: Env, *, account_id: uuid.UUID, declaration_id: uuid.UUID
) -> None:
    """The resident takes their video back; deleting one already gone is no error."""
    declaration = _own(uow, env, account_id, declaration_id, lock=True)
    video = uow.videos.of_declaration(declaration.id, lock=True)
    if video is not None:
        _remove(uow, env, video)


def summary(uow: UnitOfWork, application_id: uuid.UUID) -> VideoSummary | None:
    """Whether an application has a video (for a caller that has already loaded the
    application within its scope, e.g. the review page)."""
    video = uow.videos.of_declaration(application_id)
    return _summary(video) if video is not None else None


def blob_of(env: Env, video: t.TemperatureVideo) -> VideoBlob:
    return VideoBlob(_summary(video), video.blob_key, env.blobs)


def discard(uow: UnitOfWork, env: Env, videos: Sequence[t.TemperatureVideo]) -> None:
    """A declaration submitted again replaces the unconfirmed one: its video goes too."""
    for video in videos:
        _remove(uow, env, video)


def expire_videos(
    uow: UnitOfWork, env: Env, *, after: uuid.UUID | None
) -> tuple[int, uuid.UUID | None]:
    """Delete the videos past their retention among the next batch after ``after``:
    (how many were deleted, where the next batch starts; None when done)."""
    batch = uow.videos.page(after, BATCH)
    now = env.clock.now()
    deleted = 0
    for video, declaration in batch:
        until = kept_until(uow, env, declaration)
        if until is not None and until <= now:
            _remove(uow, env, video)
            deleted += 1
    return deleted, (batch[-1][0].id if len(batch) == BATCH else None)


def kept_until(uow: UnitOfWork, env: Env, declaration: t.Declaration) -> datetime | None:
    """When an application's video is deleted: the retention period after the pass
    ended, the application was refused (red) or superseded by a newer one, or (never
    confirmed) could no longer be confirmed; None while none of these has happened."""
    keep = timedelta(days=env.settings.video_retention_days)
    if declaration.confirmed_at is None or declaration.resident_id is None:
        return declaration.submitted_at + UNCONFIRMED_FOR + keep
    ends = []
    later = _superseded(uow, declaration)
    if later is not None:
        ends.append(later)
    signatures = uow.signatures.for_declarations([declaration.id])
    if signatures:
        last = signatures[-1]
        if last.colour == Colour.RED.value:
            ends.append(last.signed_at)
        elif declaration.policy_id in env.policies:
            policy = env.policies.find(declaration.policy_id)
            days = int(policy.params.get("pass_validity_days", 0))
            ends.append(start_of(day_of(last.signed_at) + timedelta(days=days + 1)))
    return min(ends) + keep if ends else None


def sweep_orphans(uow: UnitOfWork, env: Env) -> int:
    """Delete blobs no row refers to (a crash between writing the blob and committing
    its row, or a row deleted with its declaration), once older than the grace period
    an upload in progress needs."""
    before = env.clock.now() - ORPHAN_GRACE
    old = [name for name, at in env.blobs.listing() if at < before]
    swept = 0
    for start in range(0, len(old), BATCH):
        names = old[start : start + BATCH]
        referenced = uow.videos.referenced(names) | uow.appeals.evidence_referenced(names)
        for name in names:
            if name not in referenced:
                env.blobs.delete_listed(name)
                swept += 1
    return swept


def _remove(uow: UnitOfWork, env: Env, video: t.TemperatureVideo) -> None:
    """Delete the row now and its blob once that is committed (a rollback keeps both)."""
    key = video.blob_key
    uow.videos.remove(video)
    uow.after_commit(lambda: env.blobs.delete(key))


def _own(
    uow: UnitOfWork, env: Env, account_id: uuid.UUID, declaration_id: uuid.UUID, *, lock: bool
) -> t.Declaration:
    declaration = uow.declarations.of_account(account_id, declaration_id, lock=lock)
    if (
        declaration is None
        or declaration.policy_id not in env.policies
        or env.policies.find(declaration.policy_id).model is not Model.PASS
    ):
        raise NotFound(N_("No such application"))
    return declaration


def _superseded(uow: UnitOfWork, declaration: t.Declaration) -> datetime | None:
    """When a newer application of the same resident and code was confirmed, if one was."""
    if declaration.resident_id is None or declaration.confirmed_at is None:
        return None
    confirmed: Sequence[t.Declaration] = uow.declarations.confirmed(
        declaration.resident_id, declaration.policy_id
    )
    later = [
        d.confirmed_at
        for d in confirmed
        if d.confirmed_at is not None and d.confirmed_at > declaration.confirmed_at
    ]
    return min(later) if later else None


def _summary(video: t.TemperatureVideo) -> VideoSummary:
    return VideoSummary(
        application_id=video.declaration_id,
        content_type=video.content_type,
        size=video.size,
        seconds=video.duration_ms / 1000,
        uploaded_at=video.uploaded_at,
    )

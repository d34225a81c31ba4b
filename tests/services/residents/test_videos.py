"""The temperature video in the services, on both databases: limits, replacing,
retention, and a crash between writing the blob and committing its row."""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.jobs import videos as job
from healthcode.services.organisations import videos as review
from healthcode.services.residents import videos
from healthcode.services.residents.declarations import submit_declaration
from healthcode.services.shared.env import Env, make_env
from healthcode.store import tables as t
from healthcode.store.blobs import S3Blobs
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories import videos as make
from tests.factories.inputs import declaration
from tests.factories.organisations import (
    authorised_issuer,
    issuer_for,
    organisation,
    sign_as_issuer,
)
from tests.factories.s3 import s3_server
from tests.services.conftest import declare, new_account

RETENTION = 30


@pytest.fixture
def env(clock: FixedClock, tmp_path: Path) -> Env:
    settings = Settings(
        secret_key="test-secret-key",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        scheduler=False,
        blob_dir=str(tmp_path / "blobs"),
        video_max_bytes=100_000,
        video_retention_days=RETENTION,
    )
    return make_env(settings, clock)


def blobs(env: Env) -> set[str]:
    return {name for name, _ in env.blobs.listing()}


def application(uow: UnitOfWork, env: Env, phone: str = "13800001111") -> uuid.UUID:
    state = declare(uow, env, new_account(uow, env, phone), "shandong-pass")
    assert state.application_id is not None
    return uuid.UUID(state.application_id)


def send(uow: UnitOfWork, env: Env, application_id: uuid.UUID, data: bytes) -> None:
    """The application's own resident sends a video (not committed yet)."""
    row = uow.declarations.by_id(application_id)
    assert row is not None
    assert row.account_id is not None
    videos.attach_video(
        uow,
        env,
        account_id=row.account_id,
        declaration_id=application_id,
        upload=io.BytesIO(data),
        declared_type="video/mp4",
    )


def attach(uow: UnitOfWork, env: Env, application_id: uuid.UUID, data: bytes) -> None:
    send(uow, env, application_id, data)
    uow.commit()


class TestLimits:
    @pytest.mark.parametrize(
        ("data", "code"),
        [
            (make.PNG, "wrong_type"),  # an image renamed .mp4
            (make.mp4(31), "too_long"),
            (make.webm(45, declare_duration=False), "too_long"),
            (make.mp4(10, size=100_001), "too_large"),
            (b"", "empty"),
            (make.mp4(10)[:40], "unreadable"),  # cut off inside its moov box
        ],
    )
    def test_refused_with_the_reason(
        self, uow: UnitOfWork, env: Env, data: bytes, code: str
    ) -> None:
        app_id = application(uow, env)
        with pytest.raises(InvalidInput) as refused:
            attach(uow, env, app_id, data)
        [error] = refused.value.errors
        assert (error.field, error.code) == ("video", code)
        assert blobs(env) == set()  # nothing written for a refused file

    def test_a_declared_type_that_is_no_video_is_refused(self, uow: UnitOfWork, env: Env) -> None:
        app_id = application(uow, env)
        row = uow.declarations.by_id(app_id)
        assert row is not None
        assert row.account_id is not None
        with pytest.raises(InvalidInput) as refused:
            videos.attach_video(
                uow,
                env,
                account_id=row.account_id,
                declaration_id=app_id,
                upload=io.BytesIO(make.mp4(5)),
                declared_type="text/html",
            )
        assert refused.value.errors[0].code == "wrong_type"

    @pytest.mark.parametrize(
        ("data", "kind"),
        [
            (make.mp4(30), "video/mp4"),
            (make.quicktime(3), "video/quicktime"),
            (make.webm(8), "video/webm"),
        ],
    )
    def test_accepted_up_to_the_limit(
        self, uow: UnitOfWork, env: Env, data: bytes, kind: str
    ) -> None:
        app_id = application(uow, env)
        attach(uow, env, app_id, data)
        found = videos.summary(uow, app_id)
        assert found is not None
        assert found.content_type == kind
        assert found.size == len(data)


def test_replacing_deletes_the_old_blob(uow: UnitOfWork, env: Env) -> None:
    app_id = application(uow, env)
    attach(uow, env, app_id, make.mp4(5))
    [first] = blobs(env)
    attach(uow, env, app_id, make.mp4(6))
    assert first not in blobs(env)
    assert len(blobs(env)) == 1
    found = videos.summary(uow, app_id)
    assert found is not None
    assert found.seconds == 6


def test_another_account_cannot_attach_or_see(uow: UnitOfWork, env: Env) -> None:
    app_id = application(uow, env)
    attach(uow, env, app_id, make.mp4(5))
    other = new_account(uow, env, "13900002222")
    with pytest.raises(NotFound):
        videos.own_video(uow, env, account_id=other.id, declaration_id=app_id)
    with pytest.raises(NotFound):
        videos.attach_video(
            uow, env, account_id=other.id, declaration_id=app_id, upload=io.BytesIO(make.mp4(5))
        )


def test_a_signed_application_takes_no_new_video(uow: UnitOfWork, env: Env) -> None:
    app_id = application(uow, env)
    sign_as_issuer(uow, env, app_id, Colour.GREEN)
    with pytest.raises(videos.ApplicationDecided):
        attach(uow, env, app_id, make.mp4(5))


def test_declaring_again_discards_the_unconfirmed_video(uow: UnitOfWork, env: Env) -> None:
    account = new_account(uow, env, "13800001111")
    first = submit_declaration(
        uow, env, account_id=account.id, data=declaration("shandong-pass")
    ).declaration
    attach(uow, env, first.id, make.mp4(5))
    submit_declaration(uow, env, account_id=account.id, data=declaration("shandong-pass"))
    uow.commit()
    assert blobs(env) == set()
    assert uow.session.query(t.TemperatureVideo).count() == 0


class TestReview:
    def test_the_issuer_in_scope_gets_it_audit_logged(self, uow: UnitOfWork, env: Env) -> None:
        app_id = application(uow, env)
        attach(uow, env, app_id, make.mp4(5, size=5000))
        issuer = issuer_for(uow, env, app_id)
        blob = review.review_video(uow, env, issuer, application_id=app_id, byte_range="bytes=0-9")
        assert b"".join(blob.read(0, 9)) == make.mp4(5, size=5000)[:10]
        row = uow.declarations.by_id(app_id)
        assert row is not None
        assert row.resident_id is not None
        [event] = [e for e in uow.audit.of_resident(row.resident_id) if "video" in e.action]
        assert event.actor_id == issuer.account_id
        assert event.detail == {"application": str(app_id), "range": "bytes=0-9"}

    def test_an_issuer_of_another_community_finds_nothing(self, uow: UnitOfWork, env: Env) -> None:
        app_id = application(uow, env)
        attach(uow, env, app_id, make.mp4(5))
        issuer_for(uow, env, app_id)  # routes the application to its community
        elsewhere = authorised_issuer(uow, env, organisation(uow, env, name="其他社区居委会").id)
        with pytest.raises(NotFound):
            review.review_video(uow, env, elsewhere, application_id=app_id)
        with pytest.raises(NotFound):
            review.summary(uow, env, elsewhere, app_id)


def run_job(sessions: sessionmaker[Session], env: Env) -> job.VideosResult:
    return job.run(UnitOfWorkFactory(sessions), env)


class TestRetention:
    def test_a_refused_application_loses_its_video_after_the_retention(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, sessions: sessionmaker[Session]
    ) -> None:
        app_id = application(uow, env)
        attach(uow, env, app_id, make.mp4(5))
        sign_as_issuer(uow, env, app_id, Colour.RED, "体温视频显示发热")
        uow.commit()
        clock.advance(timedelta(days=RETENTION) - timedelta(minutes=1))
        assert run_job(sessions, env).expired == 0
        clock.advance(timedelta(minutes=2))
        assert run_job(sessions, env).expired == 1
        assert videos.summary(uow, app_id) is None
        assert blobs(env) == set()
        assert run_job(sessions, env) == job.VideosResult(0, 0)  # idempotent

    def test_a_green_pass_keeps_it_until_the_pass_ended_plus_the_retention(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, sessions: sessionmaker[Session]
    ) -> None:
        app_id = application(uow, env)
        attach(uow, env, app_id, make.mp4(5))
        sign_as_issuer(uow, env, app_id, Colour.GREEN)
        uow.commit()
        clock.advance(timedelta(days=RETENTION))  # the pass ran 5 days more
        assert run_job(sessions, env).expired == 0
        clock.advance(timedelta(days=7))
        assert run_job(sessions, env).expired == 1

    def test_a_pending_application_keeps_it(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, sessions: sessionmaker[Session]
    ) -> None:
        app_id = application(uow, env)
        attach(uow, env, app_id, make.mp4(5))
        clock.advance(timedelta(days=3 * RETENTION))
        assert run_job(sessions, env).expired == 0
        assert videos.summary(uow, app_id) is not None


def crash_during_upload(units: UnitOfWorkFactory, env: Env, app_id: uuid.UUID) -> None:
    """The blob is written, then the process dies before the row commits."""
    with units() as uow:
        send(uow, env, app_id, make.mp4(5))
        raise RuntimeError("the process died before the commit")


class TestCrash:
    def test_a_crash_before_commit_leaves_no_row_and_the_orphan_is_swept(
        self, env: Env, clock: FixedClock, sessions: sessionmaker[Session]
    ) -> None:
        units = UnitOfWorkFactory(sessions)
        with units() as uow:
            app_id = application(uow, env)
        clock.set(datetime.now(UTC))  # blobs carry the real time they were written
        with pytest.raises(RuntimeError):
            crash_during_upload(units, env, app_id)
        with units() as uow:
            assert videos.summary(uow, app_id) is None  # no visible row
        assert len(blobs(env)) == 1  # the file was written
        assert run_job(sessions, env).swept == 0  # too young: it may be an upload in progress
        clock.advance(timedelta(hours=2))
        assert run_job(sessions, env).swept == 1
        assert blobs(env) == set()

    def test_the_sweep_keeps_referenced_blobs(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, sessions: sessionmaker[Session]
    ) -> None:
        app_id = application(uow, env)
        clock.set(datetime.now(UTC))  # blobs carry the real time they were written
        attach(uow, env, app_id, make.mp4(5))
        (Path(env.settings.blob_dir) / f"{'a' * 32}.part").write_bytes(b"half")  # a torn write
        clock.advance(timedelta(hours=2))
        assert run_job(sessions, env).swept == 1
        assert len(blobs(env)) == 1
        assert videos.summary(uow, app_id) is not None


@pytest.fixture
def committing(postgresql_engine: Engine) -> Iterator[UnitOfWorkFactory]:
    """Units of work that really commit on PostgreSQL, each on its own connection."""
    factory = sessionmaker(postgresql_engine, expire_on_commit=False)
    yield UnitOfWorkFactory(factory)
    with factory.begin() as session:
        for table in (t.Resident, t.Account):
            session.execute(delete(table))


def test_two_uploads_at_once_keep_one_video_and_one_blob(
    committing: UnitOfWorkFactory, env: Env
) -> None:
    """The declaration's row lock serialises them: the second replaces the first, whose
    blob goes after the commit; neither fails on the one-video-per-application rule."""
    with committing() as uow:
        app_id = application(uow, env)
        row = uow.declarations.by_id(app_id)
        assert row is not None
        account_id = row.account_id
    assert account_id is not None
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def send(seconds: float) -> None:
        start.wait()
        try:
            with committing() as uow:
                videos.attach_video(
                    uow,
                    env,
                    account_id=account_id,
                    declaration_id=app_id,
                    upload=io.BytesIO(make.mp4(seconds)),
                )
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=send, args=(s,)) for s in (5, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with committing() as uow:
        kept = videos.summary(uow, app_id)
        assert kept is not None
        assert uow.videos.referenced(sorted(blobs(env))) == blobs(env)
    assert len(blobs(env)) == 1


def test_the_whole_life_of_a_video_on_an_s3_server(
    uow: UnitOfWork, env: Env, clock: FixedClock, sessions: sessionmaker[Session]
) -> None:
    """Upload, review by range, replace, and the sweep, with the S3 store against a
    real S3-compatible server on localhost."""
    bucket = f"videos-{uuid.uuid4().hex}"  # moto keeps its buckets per process
    with s3_server() as endpoint:
        settings = env.settings.model_copy(
            update={
                "blob_store": "s3",
                "s3_endpoint_url": endpoint,
                "s3_bucket": bucket,
                "s3_access_key": "testing",
                "s3_secret_key": "testing",
            }
        )
        on_s3 = make_env(settings, clock)
        assert isinstance(on_s3.blobs, S3Blobs)
        on_s3.blobs.client.create_bucket(Bucket=bucket)
        app_id = application(uow, on_s3)
        clock.set(datetime.now(UTC))  # objects carry the server's real time
        first = make.mp4(5, size=90_000)
        attach(uow, on_s3, app_id, first)
        blob = review.review_video(
            uow, on_s3, issuer_for(uow, on_s3, app_id), application_id=app_id
        )
        assert b"".join(blob.read(80_000, 80_099)) == first[80_000:80_100]
        attach(uow, on_s3, app_id, make.webm(7))
        assert len(blobs(on_s3)) == 1  # the replaced object is deleted
        on_s3.blobs.put(io.BytesIO(b"an orphan"))
        clock.advance(timedelta(hours=2))
        assert run_job(sessions, on_s3).swept == 1
        assert len(blobs(on_s3)) == 1
        found = videos.summary(uow, app_id)
        assert found is not None
        assert found.content_type == "video/webm"

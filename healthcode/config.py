"""Settings, from environment variables prefixed HEALTHCODE_ (or a .env file).

The zero-set-up default is an SQLite file and a secret key generated once under
./var; production sets HEALTHCODE_DATABASE_URL (PostgreSQL) and HEALTHCODE_SECRET_KEY.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from healthcode.files import DIR_MODE, private_file

VAR = Path("var")


IceUrl = Annotated[str, Field(pattern=r"^(stun|stuns|turn|turns):", max_length=200)]


class IceServer(BaseModel):
    """One STUN or TURN server for the video calls' browsers (RTCIceServer)."""

    urls: IceUrl | list[IceUrl]
    username: str = ""
    credential: str = ""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HEALTHCODE_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{VAR / 'healthcode.db'}"
    # a read replica for reporting reads that tolerate lag (docs/deployment.md); empty:
    # the primary serves them too
    read_database_url: str = ""
    # behind pgbouncer in transaction mode: no server-side prepared statements
    # (psycopg's prepare_threshold=None), and pgbouncer's pool instead of a large own one
    pgbouncer: bool = False
    secret_key: str = ""  # empty: generated once into var/secret.key
    redis_url: str = ""  # empty: in-process rate limits and caches (one worker only)
    # A Redis that does not answer within this long is taken as down: the colour cache
    # reads the database, rate limits count in this process, and no request waits on it.
    redis_timeout_seconds: float = Field(0.5, gt=0, le=10)
    colour_cache: bool = True  # the code page's colour cache (off: every read asks the db)
    issuer: str = "CN-37 healthcode"
    display_token_seconds: int = Field(60, ge=15, le=600)
    # device-bound codes (docs/device-codes.md): an attestation lives at most this long,
    # the phone shows a new presentation this often, a verifier accepts one made this
    # many seconds either side of its clock, and a phone's colour watch looks this often
    attestation_max_seconds: int = Field(3600, ge=60, le=24 * 3600)
    presentation_seconds: int = Field(10, ge=2, le=60)
    presentation_window_seconds: int = Field(30, ge=5, le=300)
    colour_watch_seconds: float = Field(5, gt=0, le=60)
    # scanning (docs/scanning.md): two scans of one token or one resident at two venues
    # within this many minutes are flagged (venues further apart than scan_flag_km, or
    # in different counties when a venue has no coordinates); an operator may look this
    # many people up by ID number a minute (a busy gate takes 30 a minute, a bus more at
    # once); an offline scan older than this many days is refused at upload
    scan_flag_minutes: int = Field(10, ge=1, le=24 * 60)
    scan_flag_km: float = Field(30, gt=0, le=5000)
    id_lookups_per_minute: int = Field(60, ge=1, le=1000)
    scan_upload_days: int = Field(7, ge=1, le=60)
    # `keys rotate` lists the new key in the trust list this long before it signs,
    # so offline scanners that refresh daily hold it before its first code
    key_publish_ahead_hours: float = Field(48, ge=0, le=24 * 30)
    # our region in the signed trust list (GB/T 2260 code) and the days after which a
    # scanner warns that its cached signed lists are stale (docs/keys.md)
    region_code: str = Field("370000", pattern=r"^[1-9]\d{5}$")
    region_name: str = "山东省"
    scanner_list_warn_days: int = Field(3, ge=1, le=60)
    otp_seconds: int = Field(300, ge=60, le=900)
    max_dependants: int = Field(5, ge=0, le=20)  # whose codes one account may hold (代领)
    otp_attempts: int = Field(5, ge=1, le=10)
    otp_per_client_hour: int = Field(30, ge=1)  # codes one address may ask for, any numbers
    sms_per_hour: int = Field(1000, ge=1)  # the global budget of codes texted per hour
    otp_sender: str = "log"  # development: the code goes to the server log
    session_days: int = Field(30, ge=1, le=90)
    staff_session_hours: int = Field(12, ge=1, le=72)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    policies: tuple[str, ...] = ("binzhou-code", "shandong-pass")
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    rate_limits: bool = True
    scheduler: bool = True
    # Processes the rollover and a policy change share their codes among, by resident
    # id range (jobs/processes.py); the engine uses one core per process.
    batch_workers: int = Field(1, ge=1, le=64)
    # An import or a rollback that changed more records than this is recoloured after
    # the response, not before it (a department's request does not wait a minute for a
    # large file; a crash meanwhile leaves it owed: jobs/recolouring.py).
    recolour_inline_records: int = Field(2000, ge=0)
    # Video calls: STUN/TURN servers handed to the browsers, as JSON, e.g.
    # '[{"urls": "stun:stun.example.org"}, {"urls": "turn:turn.example.org",
    #   "username": "u", "credential": "p"}]'; none: host candidates only (same network)
    ice_servers: list[IceServer] = []
    log_json: bool = False  # one JSON object per line, for log collectors
    # the optional temperature video (docs/temperature-video.md)
    video_max_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    video_max_seconds: float = Field(30, gt=0, le=600)
    video_types: tuple[str, ...] = ("video/mp4", "video/webm", "video/quicktime")
    # days a video is kept after its application's pass ended or it was refused,
    # superseded or abandoned unconfirmed
    video_retention_days: int = Field(30, ge=0, le=3650)
    blob_store: Literal["filesystem", "s3"] = "filesystem"
    blob_dir: str = str(VAR / "blobs")
    s3_endpoint_url: str = ""  # empty: AWS itself; else any S3-compatible server
    s3_bucket: str = ""
    s3_prefix: str = "videos/"
    s3_region: str = "us-east-1"
    s3_access_key: str = ""  # empty: boto3's own credential chain
    s3_secret_key: str = ""
    # notifications (docs/notifications.md): the outbound channel and the reminders
    notify_channel: Literal["log", "webhook", "sms"] = "log"  # log: development
    notify_webhook_url: str = ""  # the webhook channel POSTs each message here
    notify_webhook_secret: str = ""  # signs the body: X-Healthcode-Signature (HMAC-SHA256)
    notify_webhook_timeout: float = Field(5.0, gt=0, le=60)
    notify_webhook_tries: int = Field(3, ge=1, le=10)  # within one send, with backoff
    notify_waiting_minutes: int = Field(15, ge=1, le=24 * 60)  # one "N waiting" per issuer
    notify_lapse_hours: int = Field(24, ge=1, le=96)  # "your pass ends soon", this early
    notify_report_hour: int = Field(20, ge=0, le=23)  # "report due" from this local hour
    notify_lapse_hour: int = Field(9, ge=0, le=23)  # "ends soon" from this local hour
    outbox_seconds: int = Field(30, ge=5, le=3600)  # how often the outbox is drained
    outbox_attempts: int = Field(8, ge=1, le=50)  # a message is given up after these
    # appeals (docs/appeals.md): the optional evidence, an image or a PDF
    appeal_evidence_max_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    # data sharing out (docs/data-sharing.md)
    stats_min_count: int = Field(10, ge=1, le=1000)  # smaller counts are suppressed
    stats_round_to: int = Field(5, ge=1, le=100)  # published counts are multiples of this
    stats_dir: str = str(VAR / "stats")  # where the daily statistics files are written
    lookup_limit: str = "60/minute"  # colour look-ups per department client
    # scans and daily reports (docs/deployment.md): monthly partitions on PostgreSQL are
    # made this many months ahead; a month's rows are dropped once it ended more than
    # this many days ago (longer than any offline upload or 14-day rule looks back)
    partition_months_ahead: int = Field(3, ge=1, le=24)
    retention_days: int = Field(92, ge=62, le=3660)
    # fair share and load shedding (docs/surge.md). Costly requests, by kind, count
    # against a budget per session and one per client address (limits' syntax; with
    # HEALTHCODE_REDIS_URL shared by every worker); a session has at most
    # session_in_flight costly requests running in one worker at a time.
    session_limits: dict[str, str] = {
        "code": "60/minute",  # code page, token, QR image, attestation
        "write": "60/minute",  # declarations, daily reports, check-ins, any other write
        "scan": "120/minute",
        "lookup": "60/minute",  # tracing, department look-ups, scan details, exports
        "import": "10/minute",
        "pdf": "20/minute",  # printed paper passes
        "watch": "20/minute",  # the phone's colour watch: one held request an hour
        # a temperature video: a player asks a few Range requests per playback, more
        # when seeking; a few videos a minute pass, a loop of full fetches does not
        "video": "120/minute",
    }
    # one address may be a carrier's NAT or a venue's router: far above one session's
    address_limits: dict[str, str] = {
        "code": "1200/minute",
        "write": "600/minute",
        "scan": "1200/minute",
        "lookup": "300/minute",
        "import": "30/minute",
        "pdf": "60/minute",
        "watch": "1200/minute",
        "video": "600/minute",
    }
    session_in_flight: int = Field(4, ge=1, le=64)
    session_watches: int = Field(2, ge=1, le=64)  # colour watches held open at once
    # per worker: requests computed at once; beyond, a request waits up to queue_wait
    # seconds for a place among at most max_queue others, else 503 with Retry-After
    load_shedding: bool = True
    max_in_flight: int = Field(16, ge=1, le=10_000)
    max_queue: int = Field(64, ge=0, le=100_000)
    queue_wait_seconds: float = Field(0.5, ge=0, le=30)
    shed_retry_after: int = Field(2, ge=1, le=300)

    @cached_property
    def secret(self) -> bytes:
        """The master secret; keyed hashes and encryption keys are derived from it."""
        if self.secret_key:
            return self.secret_key.encode()
        path = VAR / "secret.key"
        private_file(path, secrets.token_urlsafe(48).encode())
        VAR.chmod(DIR_MODE)  # var/ is ours: narrow one left open by an older version
        return path.read_text().strip().encode()

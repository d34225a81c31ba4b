"""The tables, one module per context; the schema (``Base.metadata``, which Alembic
reads) is all of them, so importing this package loads every table.

Personal numbers never appear in plain text: ID numbers and phone numbers are kept
as a keyed hash (for matching) plus an AES-GCM ciphertext and a masked form.
Times are UTC instants; days are Asia/Shanghai dates.
"""

from healthcode.store.tables.accounts import (
    Account,
    AccountRole,
    AuthSession,
    LoginFailure,
    OtpChallenge,
)
from healthcode.store.tables.appeals import Appeal, AppealStep
from healthcode.store.tables.base import Base
from healthcode.store.tables.codes import (
    Code,
    ColourChange,
    FederatedRegion,
    ListEntry,
    ListHead,
    ListSigningKey,
    PaperPass,
    Revocation,
    Signature,
    SigningKey,
)
from healthcode.store.tables.fraud import FraudCase, FraudEvidence
from healthcode.store.tables.notices import Notification, OutboxMessage
from healthcode.store.tables.organisations import (
    Authorisation,
    Checkin,
    CheckinWindows,
    ColourOverride,
    Employee,
    Organisation,
    PreventionNotice,
    VideoCall,
)
from healthcode.store.tables.records import (
    Amendment,
    Chain,
    CreditRecord,
    DataRecord,
    DepartmentClient,
    HighRiskRegion,
    ImportBatch,
    ImportRefusal,
    KnownRecord,
    Matches,
)
from healthcode.store.tables.residents import (
    DailyReport,
    Declaration,
    Dependant,
    Resident,
    TemperatureVideo,
)
from healthcode.store.tables.scanning import Scan, Venue, VenueOperator
from healthcode.store.tables.shared import (
    AuditEvent,
    CacheGeneration,
    IdempotencyKey,
    JobRun,
    KeyCheck,
    Lease,
    PolicyVersion,
)
from healthcode.store.tables.sharing import LookupGrant

__all__ = [
    "Account",
    "AccountRole",
    "Amendment",
    "Appeal",
    "AppealStep",
    "AuditEvent",
    "AuthSession",
    "Authorisation",
    "Base",
    "CacheGeneration",
    "Chain",
    "Checkin",
    "CheckinWindows",
    "Code",
    "ColourChange",
    "ColourOverride",
    "CreditRecord",
    "DailyReport",
    "DataRecord",
    "Declaration",
    "DepartmentClient",
    "Dependant",
    "Employee",
    "FederatedRegion",
    "FraudCase",
    "FraudEvidence",
    "HighRiskRegion",
    "IdempotencyKey",
    "ImportBatch",
    "ImportRefusal",
    "JobRun",
    "KeyCheck",
    "KnownRecord",
    "Lease",
    "ListEntry",
    "ListHead",
    "ListSigningKey",
    "LoginFailure",
    "LookupGrant",
    "Matches",
    "Notification",
    "Organisation",
    "OtpChallenge",
    "OutboxMessage",
    "PaperPass",
    "PolicyVersion",
    "PreventionNotice",
    "Resident",
    "Revocation",
    "Scan",
    "Signature",
    "SigningKey",
    "TemperatureVideo",
    "Venue",
    "VenueOperator",
    "VideoCall",
]

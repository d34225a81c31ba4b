"""Identity data people type into forms: ID numbers, credit codes, regions, phones, names,
nationalities.

Every parser normalises phone-keyboard input (spaces, full-width characters, lowercase)
and either returns a canonical value or raises ``InvalidInput`` naming the field, a
stable reason code and an English message id.
"""

from healthcode.domain.identity.countries import CHINA, COUNTRIES, Country, parse_nationality
from healthcode.domain.identity.id_number import (
    IdNumber,
    Sex,
    id_number_age,
    mask_id_number,
    parse_id_number,
)
from healthcode.domain.identity.names import mask_name, parse_name
from healthcode.domain.identity.phone import mask_mobile, parse_mobile
from healthcode.domain.identity.regions import (
    BINZHOU,
    HUBEI,
    SHANDONG,
    Region,
    is_province,
    lookup_region,
    parse_region_code,
    province_of,
    provinces,
    resolve_region,
    search_regions,
    subdivisions,
)
from healthcode.domain.identity.uscc import Uscc, parse_uscc

__all__ = [
    "BINZHOU",
    "CHINA",
    "COUNTRIES",
    "HUBEI",
    "SHANDONG",
    "Country",
    "IdNumber",
    "Region",
    "Sex",
    "Uscc",
    "id_number_age",
    "is_province",
    "lookup_region",
    "mask_id_number",
    "mask_mobile",
    "mask_name",
    "parse_id_number",
    "parse_mobile",
    "parse_name",
    "parse_nationality",
    "parse_region_code",
    "parse_uscc",
    "province_of",
    "provinces",
    "resolve_region",
    "search_regions",
    "subdivisions",
]

"""The body temperatures a reading may have: outside them it is a typing or reading
error, not a person. One range for every place a temperature is entered (a daily
report, a declaration, a gate's thermometer, an employer's check-in); they used to
disagree (34.0–42.5 ℃ in a report, 34.0–43.0 ℃ at a gate)."""

LOWEST_C, HIGHEST_C = 34.0, 43.0

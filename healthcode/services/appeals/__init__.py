"""Appeals (申诉): a resident disputes a department record or a manual colour; the
record's department (or the override's organisation) upholds or rejects it."""

"""The polars side of benches/compare.sh: read only columns 167 (Journal Account Code) and
169 (Journal Amount) of an SAE extract and sum the amounts by account."""

import sys

import polars as pl

path = sys.argv[1]
frame = (
    pl.scan_csv(
        path,
        separator="|",
        has_header=False,
        skip_rows=1,  # the EXTRACT header line has 5 fields, the detail rows 400
        quote_char='"',
        infer_schema=False,  # every column as text: no type guessing pass
    )
    # By position (0-based), whatever polars names the columns.
    .select(
        pl.nth(166).alias("account"),
        pl.nth(168).cast(pl.Float64).alias("amount"),
    )
    .group_by("account")
    .agg(pl.col("amount").sum())
    .collect()
)
print(f"{frame.height} accounts, total {frame['amount'].sum():.2f}")

#!/usr/bin/env python3
"""Derive schemas/sae.tsv and schemas/prae.tsv from the team's reference tables.

Run once by hand when the reference changes:

    python3 schemas/tools/derive_columns.py ../shared/reference

Only facts are taken (column number, name, section, maximum length, value type);
none of the reference prose is copied. The Rust column enums are then regenerated
from these files by `cargo test -p ledgerline-extract schema_codegen` with
LEDGERLINE_BLESS=1 (see crates/extract/tests/extract/schema_codegen.rs).
"""
import csv
import re
import sys
from pathlib import Path

ref = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference")
out = Path(__file__).resolve().parent.parent

CURRENCY = {"SAE": {22, 65, 139, 141, 178, 181, 305}, "PRAE": {65}}
ISO_COUNTRY2 = {"SAE": {149, 158, 301, 339}, "PRAE": {174}}
DRCR = {"SAE": {168}, "PRAE": {64}}
INTEGER = {"SAE": {2, 4}, "PRAE": {2}}
# Columns that must be present and non-empty on every detail row.
REQUIRED = {"SAE": {1, 2, 3, 4, 5, 168, 169}, "PRAE": {1, 2, 64, 65}}


def sae_types():
    """Value type per SAE detail column, from the type column of sae-format.md section 3."""
    text = (ref / "sae-format.md").read_text()
    sec = text.split("## 3. Full detail column list")[1].split("## 4.")[0]
    types = {}
    for line in sec.splitlines():
        m = re.match(r"\| (\d+)(?:–(\d+))? \| [^|]* \| [^|]* \| [^|]* \| ([^|]*) \|", line)
        if not m:
            continue
        lo = int(m.group(1))
        hi = int(m.group(2) or lo)
        for c in range(lo, hi + 1):
            types[c] = m.group(3).strip()
    return types


def classify(kind, col, declared, name):
    if col == 1:
        return "constant"
    if col in DRCR[kind]:
        return "dr_cr"
    if col in CURRENCY[kind]:
        return "currency"
    if col in ISO_COUNTRY2[kind]:
        return "country2"
    if col in INTEGER[kind]:
        return "integer"
    d = declared.lower()
    lname = name.lower()
    if d.startswith("money"):
        return "money"
    if kind == "PRAE" and d.startswith("numeric") and re.search(r"amount|total|shipping|price", lname):
        return "money"
    if kind == "PRAE" and col == 161:
        return "money"
    if d.startswith("date") or (kind == "PRAE" and lname.endswith(" date")):
        return "date"
    if d == "y/n" or "format: y/n" in d:
        return "flag"
    if d.startswith("custom"):
        return "custom"
    return "text"


IDENT_OVERRIDE = {
    ("SAE", 20): "ReportKey",
    ("SAE", 319): "AmountDueEmployeeActual",
    ("SAE", 320): "AmountDueCompanyCardActual",
    ("SAE", 313): "AmountDueEmployee",
    ("SAE", 314): "AmountDueCompanyCard",
}


def ident(kind, col, name, seen):
    if (kind, col) in IDENT_OVERRIDE:
        seen.add(IDENT_OVERRIDE[(kind, col)])
        return IDENT_OVERRIDE[(kind, col)]
    words = re.findall(r"[A-Za-z0-9]+", name.replace("'", ""))
    base = "".join(w[:1].upper() + w[1:] for w in words) or "Column"
    if base[0].isdigit():
        base = "C" + base
    cand = base if base not in seen else f"{base}{col}"
    seen.add(cand)
    return cand


def main():
    st = sae_types()
    for kind, src in (("SAE", "sae-columns.tsv"), ("PRAE", "prae-columns.tsv")):
        rows = list(csv.DictReader(open(ref / src), delimiter="\t"))
        lines = ["record\tnumber\tname\tident\tsection\tmax_len\ttype\trequired"]
        seen = {"EXTRACT": set(), "DETAIL": set()}
        done = set()
        for r in rows:
            rec = r["record"]
            col = int(r["col"])
            if (rec, col) in done:
                continue  # the reference lists column 20 twice (2020 and 2023 names)
            done.add((rec, col))
            name = r["name"].replace("_", " ").strip()
            section = (r.get("section") or "").strip()
            m = re.search(r"\d+", r.get("max_len") or "")
            max_len = m.group(0) if m else ""
            desc = r.get("description") or ""
            if kind == "SAE" and rec == "DETAIL":
                declared = st.get(col, "")
                if col == 163:
                    section = "Journal Entry Data Section"  # the source sheet's label is a known slip
            else:
                m = re.search(r"Data [Tt]ype:\s*([A-Za-z/]+)(?:\s+Format:\s*([^ ]+))?", desc)
                declared = (m.group(1) + (" format: " + m.group(2) if m.group(2) else "")) if m else ""
                if "Format: Y/N" in desc:
                    declared = "Y/N"
            if rec == "EXTRACT":
                t = {1: "constant"}.get(col)
                if t is None:
                    lname = name.lower()
                    t = ("date" if "date" in lname else "money" if "total" in lname else "integer")
            else:
                t = classify(kind, col, declared, name)
            required = "Y" if rec == "EXTRACT" or col in REQUIRED[kind] else "N"
            if name.lower() == "future use" or name.lower().startswith("future use") or name.lower() == "reserved":
                t = "reserved"
            idn = f"Reserved{col}" if t == "reserved" else ident(kind, col, name, seen[rec])
            lines.append("\t".join([rec, str(col), name, idn, section, max_len, t, required]))
        (out / f"{kind.lower()}.tsv").write_text("\n".join(lines) + "\n")
        print(f"wrote {kind.lower()}.tsv: {len(lines) - 1} columns")


if __name__ == "__main__":
    main()

"""Reading and checking tumor profiles: expression matrix, mutations / copy number, clinical data,
response labels.

Every reader returns a tidy pandas object and raises :class:`~tmesim.errors.ConfigError` naming the
file, the field and the fix on bad input: a matrix given samples × genes (wrong orientation), a
sample or gene given twice, a value that is not a number, too few genes of a signature, an unknown
alteration kind or cancer type.

Expression: a genes × samples table (TSV, CSV or whitespace separated; first column the gene
symbol, first row the sample names) in any monotone scale (TPM, log values, ranks).
Mutations / copy number: one row per alteration with columns ``sample, gene, alteration`` (MAF
columns ``Tumor_Sample_Barcode, Hugo_Symbol, Variant_Classification`` are accepted too).
Clinical: ``sample`` and any of ``cancer_type, tmb`` (mutations per Mb), ``msi`` (MSI-H / MSS /
dMMR / pMMR) and ``prior_therapy``. Labels: ``sample, responder`` (yes/no) and optionally
``regimen`` (the regimen received).

Example:
    >>> alteration_kind("Frame_Shift_Del"), alteration_kind("HOMDEL"), alteration_kind("AMP")
    ('loss_of_function', 'deletion', 'amplification')
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tmesim.errors import ConfigError
from tmesim.stratify.genesets import SIGNATURES, GeneSet, signature_genes

MIN_COHORT_SAMPLES = 8
MAX_TMB = 1000.0
"""Highest tumor mutational burden accepted (mutations per Mb): ultramutated (POLE) tumors reach a
few hundred; anything beyond is a unit or typing error."""
"""Within-cohort scoring needs enough samples for ranks to mean something (else give a reference)."""

_ALTERATIONS: Mapping[str, tuple[str, ...]] = {
    "loss_of_function": (
        "loss_of_function",
        "lof",
        "truncating",
        "nonsense",
        "nonsense_mutation",
        "stop_gained",
        "frameshift",
        "frame_shift",
        "frame_shift_del",
        "frame_shift_ins",
        "frameshift_variant",
        "splice",
        "splice_site",
        "splice_donor_variant",
        "splice_acceptor_variant",
        "translation_start_site",
        "nonstop_mutation",
        "start_lost",
        "stop_lost",
    ),
    "deletion": (
        "deletion",
        "deep_deletion",
        "homdel",
        "homozygous_deletion",
        "-2",
        "loss",
        "copy_number_loss",
    ),
    "shallow_deletion": ("shallow_deletion", "hetloss", "heterozygous_deletion", "-1"),
    "amplification": ("amplification", "amp", "2", "copy_number_gain_high"),
    "gain": ("gain", "1", "low_level_gain"),
    "missense": (
        "missense",
        "missense_mutation",
        "missense_variant",
        "in_frame_del",
        "in_frame_ins",
        "inframe_deletion",
        "inframe_insertion",
    ),
    "other": (
        "silent",
        "synonymous_variant",
        "intron",
        "3'utr",
        "5'utr",
        "3'flank",
        "5'flank",
        "igr",
        "rna",
        "lincrna",
        "other",
        "fusion",
    ),
}
_KIND_OF = {alias: kind for kind, aliases in _ALTERATIONS.items() for alias in aliases}

_CANCER_TYPES: Mapping[str, str] = {
    **dict.fromkeys(
        ("melanoma", "skcm", "cutaneous melanoma", "skin cutaneous melanoma"), "human_melanoma"
    ),
    **dict.fromkeys(
        (
            "nsclc",
            "lung",
            "luad",
            "lusc",
            "non-small cell lung cancer",
            "lung adenocarcinoma",
            "lung squamous cell carcinoma",
        ),
        "human_nsclc",
    ),
    **dict.fromkeys(("urothelial", "bladder", "blca", "urothelial carcinoma"), "human_urothelial"),
    **dict.fromkeys(
        ("crc", "colorectal", "colon", "rectal", "coad", "read", "colorectal cancer"), "colorectal"
    ),
    **dict.fromkeys(("tnbc", "breast", "brca", "triple-negative breast cancer"), "human_tnbc"),
    **dict.fromkeys(("prostate", "prad", "prostate cancer"), "human_prostate"),
    **dict.fromkeys(
        ("b-all", "ball", "b_all", "all", "b-cell acute lymphoblastic leukemia"), "human_b_all"
    ),
}
_MSI_HIGH = ("msi-h", "msi_h", "msi-high", "msih", "dmmr", "mmr-d", "mmr deficient", "msi")
_MSI_LOW = ("mss", "msi-l", "msi_l", "msi-low", "pmmr", "mmr-p", "mmr proficient", "stable")
_YES = ("yes", "y", "true", "1", "responder", "r", "cr", "pr", "response")
_NO = ("no", "n", "false", "0", "non-responder", "nonresponder", "nr", "sd", "pd", "progression")

_MUTATION_COLUMNS = {
    "sample": ("sample", "sample_id", "tumor_sample_barcode"),
    "gene": ("gene", "hugo_symbol", "gene_symbol", "symbol"),
    "alteration": ("alteration", "alteration_type", "type", "variant_classification"),
}
_CLINICAL_COLUMNS = {
    "sample": ("sample", "sample_id", "patient", "tumor_sample_barcode"),
    "cancer_type": ("cancer_type", "cancer", "indication", "tumor_type"),
    "tmb": ("tmb", "tmb_mut_per_mb", "tmb_per_mb", "mutations_per_mb"),
    "msi": ("msi", "msi_status", "mmr", "mmr_status"),
    "prior_therapy": ("prior_therapy", "prior_treatment", "previous_therapy"),
}
_LABEL_COLUMNS = {
    "sample": ("sample", "sample_id", "patient"),
    "responder": ("responder", "response", "label", "outcome"),
    "regimen": ("regimen", "treatment", "therapy", "arm"),
}


def alteration_kind(text: str, *, field: str = "alteration") -> str:
    """The kind of an alteration name (MAF Variant_Classification, cBioPortal CNA, plain words).

    Kinds: loss_of_function, deletion (deep), shallow_deletion, amplification, gain, missense,
    other.
    """
    key = str(text).strip().lower().replace(" ", "_")
    if key not in _KIND_OF:
        raise ConfigError(
            field,
            text,
            "name the alteration as a loss-of-function mutation (nonsense, frameshift, splice), "
            "deep_deletion, amplification, missense or silent",
            choices=sorted(_KIND_OF),
        )
    return _KIND_OF[key]


def preset_for(cancer_type: str, msi_high: bool = False, *, field: str = "cancer_type") -> str:
    """The human preset of a cancer type (colorectal splits by MMR status).

    Example:
        >>> preset_for("Melanoma"), preset_for("colorectal", msi_high=True)
        ('human_melanoma', 'human_crc_dmmr')
    """
    key = str(cancer_type).strip().lower()
    if key not in _CANCER_TYPES:
        raise ConfigError(
            field,
            cancer_type,
            "use a cancer type with a human preset (melanoma, nsclc, urothelial, colorectal, "
            "tnbc, prostate, b-all)",
            choices=sorted(_CANCER_TYPES),
        )
    preset = _CANCER_TYPES[key]
    if preset == "colorectal":
        return "human_crc_dmmr" if msi_high else "human_crc_pmmr"
    return preset


def _separator(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in (".tsv", ".tab", ".txt", ".maf"):
        return "\t"
    if suffix == ".csv":
        return ","
    with open(path, newline="", encoding="utf-8") as f:
        sample = f.read(4096)
    try:
        return csv.Sniffer().sniff(sample, delimiters="\t,;").delimiter
    except csv.Error:
        return None


def _read_raw(path: Path, what: str) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(what, str(path), "give the path of an existing file")
    sep = _separator(path)
    try:
        raw = pd.read_csv(
            path,
            sep=sep if sep is not None else r"\s+",
            header=None,
            dtype=str,
            comment="#" if what == "mutations" else None,
            keep_default_na=False,
            engine="python" if sep is None else "c",
        )
    except (ValueError, csv.Error, OSError, UnicodeError) as exc:  # pandas' errors included
        reason = " ".join(str(exc).split())[:200]
        raise ConfigError(
            what, str(path), f"it could not be read as a table ({reason}); give a TSV or CSV file"
        ) from None
    if raw.shape[0] < 2 or raw.shape[1] < 2:
        raise ConfigError(
            what, str(path), "it needs a header row and at least one data row of two columns"
        )
    return raw.map(lambda v: v.strip() if isinstance(v, str) else v)


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dupes: list[str] = []
    for v in values:
        if v in seen and v not in dupes:
            dupes.append(v)
        seen.add(v)
    return dupes


def read_expression(path: Path) -> pd.DataFrame:
    """A genes × samples expression matrix (float), genes as upper-case symbols.

    Raises a ConfigError for a transposed matrix, duplicated samples or genes, and values that
    are not finite numbers (naming the gene and the sample).
    """
    raw = _read_raw(Path(path), "expression")
    header = raw.iloc[0].tolist()
    samples = [str(s) for s in header[1:]]
    genes = [str(g).upper() for g in raw.iloc[1:, 0]]
    known = signature_genes()
    in_rows = sum(g in known for g in genes)
    in_columns = sum(str(s).upper() in known for s in samples)
    if in_columns > max(in_rows, 2):
        raise ConfigError(
            "expression",
            str(path),
            f"its first row holds gene symbols ({in_columns} signature genes) and its first "
            f"column holds {in_rows}: the matrix looks like samples × genes; transpose it to "
            "genes in rows and samples in columns",
        )
    if any(s == "" for s in samples):
        raise ConfigError("expression", str(path), "every column needs a sample name in row 1")
    if any(g == "" for g in genes):
        raise ConfigError(
            "expression", str(path), "every row needs a gene symbol in column 1 (one is blank)"
        )
    dupes = _duplicates(samples)
    if dupes:
        raise ConfigError(
            "expression: sample",
            dupes[0],
            f"samples {dupes[:5]} appear twice; keep one column each",
        )
    dupes = _duplicates(genes)
    if dupes:
        raise ConfigError(
            "expression: gene",
            dupes[0],
            f"genes {dupes[:5]} appear in several rows; collapse to one row per gene symbol "
            "(e.g. keep the most expressed probe or transcript)",
        )
    text = raw.iloc[1:, 1:]
    values = text.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = (int(k[0]) for k in np.nonzero(bad))
        shown = text.iat[i, j]
        raise ConfigError(
            f"expression[{genes[i]}, {samples[j]}]",
            shown,
            "every value must be a finite number (fill or drop genes with missing values; use "
            "'.' as the decimal point)",
        )
    return pd.DataFrame(values, index=pd.Index(genes, name="gene"), columns=samples)


def signature_coverage(
    expression: pd.DataFrame, signatures: Mapping[str, GeneSet] = SIGNATURES
) -> pd.DataFrame:
    """Genes of each signature found in the matrix: one row per signature.

    Example:
        >>> m = pd.DataFrame(1.0, index=["GZMA", "PRF1"], columns=["s1"])
        >>> row = signature_coverage(m).loc["cytolytic"]
        >>> int(row["found"]), int(row["total"])
        (2, 2)
    """
    present = set(expression.index)
    rows = []
    for name, s in signatures.items():
        found = [g for g in s.genes if g in present]
        rows.append(
            {
                "signature": name,
                "found": len(found),
                "total": len(s.genes),
                "missing": ", ".join(g for g in s.genes if g not in present),
                "usable": len(found) >= max(1, int(np.ceil(s.min_fraction * len(s.genes)))),
            }
        )
    return pd.DataFrame(rows).set_index("signature")


def check_coverage(expression: pd.DataFrame, source: str = "expression") -> pd.DataFrame:
    """The coverage table; raises a ConfigError listing every signature when one is unusable."""
    cov = signature_coverage(expression)
    if not cov["usable"].all():
        counts = "; ".join(
            f"{name} {r.found}/{r.total}" + (f" (missing {r.missing})" if r.missing else "")
            for name, r in cov.iterrows()
        )
        raise ConfigError(
            source,
            "too few signature genes",
            f"genes found per signature: {counts}. Give HGNC gene symbols (not Ensembl or probe "
            "ids) in the first column, with at least half of each signature's genes",
        )
    return cov


def _columns(
    raw: pd.DataFrame, spec: Mapping[str, tuple[str, ...]], what: str, required: tuple[str, ...]
) -> pd.DataFrame:
    header = [str(h) for h in raw.iloc[0]]
    lookup = {alias: name for name, aliases in spec.items() for alias in aliases}
    names: dict[int, str] = {}
    known = [a for aliases in spec.values() for a in aliases]
    for k, h in enumerate(header):
        key = h.strip().lower()
        if key in lookup:
            if lookup[key] in names.values():
                raise ConfigError(f"{what}: column", h, f"it names {lookup[key]!r} twice; keep one")
            names[k] = lookup[key]
        elif what != "mutations":  # MAF files carry many more columns; others must be known
            raise ConfigError(f"{what}: column", h, "use one of the listed columns", choices=known)
    for need in required:
        if need not in names.values():
            raise ConfigError(
                f"{what}: column",
                need,
                f"the {what} table needs a {need!r} column (accepted names: "
                f"{', '.join(spec[need])})",
            )
    body = raw.iloc[1:, list(names)]
    body.columns = [names[k] for k in names]
    for column in ("sample", "gene"):
        if column in body.columns and (body[column] == "").any():
            row = int(np.argmax((body[column] == "").to_numpy())) + 2
            raise ConfigError(
                f"{what} row {row}: {column}", "", f"give every row a {column} name (one is blank)"
            )
    return body.reset_index(drop=True)


def read_mutations(path: Path) -> pd.DataFrame:
    """Alterations as rows ``sample, gene, alteration, kind`` (kind from :func:`alteration_kind`)."""
    body = _columns(
        _read_raw(Path(path), "mutations"),
        _MUTATION_COLUMNS,
        "mutations",
        ("sample", "gene", "alteration"),
    )
    body["gene"] = body["gene"].str.upper()
    body["kind"] = [
        alteration_kind(a, field=f"mutations row {i + 2}: alteration")
        for i, a in enumerate(body["alteration"])
    ]
    return body[["sample", "gene", "alteration", "kind"]]


def _unique_samples(body: pd.DataFrame, what: str) -> pd.DataFrame:
    dupes = _duplicates(body["sample"])
    if dupes:
        raise ConfigError(f"{what}: sample", dupes[0], "give one row per sample")
    return body.set_index("sample")


def _msi_high(value: str, where: str) -> bool | None:
    key = str(value).strip().lower()
    if key in ("", "na", "nan", "unknown"):
        return None
    if key in _MSI_HIGH:
        return True
    if key in _MSI_LOW:
        return False
    raise ConfigError(
        where,
        value,
        "write MSI-H, MSS, dMMR, pMMR or leave it empty",
        choices=[*_MSI_HIGH, *_MSI_LOW],
    )


def read_clinical(path: Path) -> pd.DataFrame:
    """Clinical table indexed by sample: cancer_type, tmb (float, NaN if unknown), msi_high
    (True/False/None), prior_therapy."""
    body = _unique_samples(
        _columns(_read_raw(Path(path), "clinical"), _CLINICAL_COLUMNS, "clinical", ("sample",)),
        "clinical",
    )
    out = pd.DataFrame(index=body.index)
    out["cancer_type"] = body.get("cancer_type", pd.Series("", index=body.index))
    tmb = body.get("tmb", pd.Series("", index=body.index))
    blank = tmb.str.lower().isin(["", "na", "nan"])
    values = pd.to_numeric(tmb.where(~blank), errors="coerce")
    bad = (values.isna() & ~blank) | ~(values.isna() | ((values >= 0) & (values <= MAX_TMB)))
    if bad.any():
        s = bad.idxmax()
        raise ConfigError(
            f"clinical[{s}].tmb",
            tmb[s],
            f"give mutations per Mb as a number between 0 and {MAX_TMB:g}",
        )
    out["tmb"] = values.astype(float)
    msi = body.get("msi", pd.Series("", index=body.index))
    out["msi_high"] = [_msi_high(v, f"clinical[{s}].msi") for s, v in msi.items()]
    out["prior_therapy"] = body.get("prior_therapy", pd.Series("", index=body.index))
    for s, ct in out["cancer_type"].items():
        if ct:
            preset_for(ct, field=f"clinical[{s}].cancer_type")
    return out


def read_labels(path: Path) -> pd.DataFrame:
    """Response labels indexed by sample: responder (bool) and regimen ("" when not given)."""
    body = _unique_samples(
        _columns(
            _read_raw(Path(path), "labels"), _LABEL_COLUMNS, "labels", ("sample", "responder")
        ),
        "labels",
    )
    flags = []
    for s, v in body["responder"].items():
        key = str(v).strip().lower()
        if key in _YES:
            flags.append(True)
        elif key in _NO:
            flags.append(False)
        else:
            raise ConfigError(f"labels[{s}].responder", v, "write yes or no (or 1/0, R/NR)")
    out = pd.DataFrame({"responder": flags}, index=body.index)
    out["regimen"] = body.get("regimen", pd.Series("", index=body.index))
    return out


@dataclass(frozen=True)
class Profiles:
    """A cohort of tumor profiles, checked: what the stratifier reads."""

    expression: pd.DataFrame
    """genes × samples"""
    coverage: pd.DataFrame
    mutations: pd.DataFrame | None = None
    clinical: pd.DataFrame | None = None
    labels: pd.DataFrame | None = None
    reference: pd.DataFrame | None = None
    """optional genes × samples matrix (same scale) that the cohort is ranked against"""

    @property
    def samples(self) -> list[str]:
        return [str(s) for s in self.expression.columns]


def _matched(samples: list[str], other: Iterable[str], what: str) -> None:
    other = set(map(str, other))
    if other and not other & set(samples):
        raise ConfigError(
            what,
            sorted(other)[:3],
            f"none of its samples is a column of the expression matrix (e.g. {samples[:3]}); "
            "use the same sample names",
        )
    unknown = sorted(other - set(samples))
    if unknown:
        raise ConfigError(
            f"{what}: sample",
            unknown[0],
            f"{len(unknown)} of its samples are not columns of the expression matrix (e.g. "
            f"{unknown[:3]}); correct the names or remove their rows",
        )


def load_profiles(
    expression: Path,
    *,
    mutations: Path | None = None,
    clinical: Path | None = None,
    labels: Path | None = None,
    reference: Path | None = None,
) -> Profiles:
    """Read and cross-check every file of a stratification input."""
    expr = read_expression(expression)
    ref = read_expression(reference) if reference is not None else None
    if ref is not None:
        common = expr.index.intersection(ref.index)
        expr, ref = expr.loc[common], ref.loc[common]
        clash = set(expr.columns) & set(ref.columns)
        if clash:
            raise ConfigError(
                "reference", sorted(clash)[0], "reference samples need names of their own"
            )
    n = expr.shape[1] + (0 if ref is None else ref.shape[1])
    if n < MIN_COHORT_SAMPLES:
        raise ConfigError(
            "expression",
            f"{expr.shape[1]} samples",
            f"scores are ranked within the cohort, which needs at least {MIN_COHORT_SAMPLES} "
            "samples; add samples or give a reference cohort in the same scale (--reference)",
        )
    coverage = check_coverage(expr)
    samples = [str(s) for s in expr.columns]
    mut = read_mutations(mutations) if mutations is not None else None
    clin = read_clinical(clinical) if clinical is not None else None
    lab = read_labels(labels) if labels is not None else None
    if mut is not None:
        _matched(samples, mut["sample"], "mutations")
    if clin is not None:
        _matched(samples, clin.index, "clinical")
    if lab is not None:
        _matched(samples, lab.index, "labels")
    return Profiles(expr, coverage, mut, clin, lab, ref)

"""Reading profiles: every kind of bad input gets an error that names the field and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tmesim.errors import ConfigError
from tmesim.stratify.genesets import SIGNATURES
from tmesim.stratify.profiles import (
    alteration_kind,
    load_profiles,
    preset_for,
    read_clinical,
    read_expression,
    read_labels,
    read_mutations,
)

GENES = sorted({g for s in SIGNATURES.values() for g in s.genes})


def matrix(n_samples: int = 10, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.lognormal(size=(len(GENES), n_samples)),
        index=pd.Index(GENES, name="gene"),
        columns=[f"S{i}" for i in range(n_samples)],
    )


def test_a_good_matrix_reads_back(tmp_path):
    m = matrix()
    m.to_csv(tmp_path / "e.csv")
    got = read_expression(tmp_path / "e.csv")
    np.testing.assert_allclose(got.to_numpy(), m.to_numpy())
    assert list(got.columns) == list(m.columns)


def test_transposed_matrix_is_refused_with_the_fix(tmp_path):
    matrix().T.to_csv(tmp_path / "e.tsv", sep="\t")
    with pytest.raises(ConfigError, match="transpose"):
        read_expression(tmp_path / "e.tsv")


def test_duplicated_sample_is_named(tmp_path):
    text = "gene\tA\tB\tA\nGZMA\t1\t2\t3\nPRF1\t1\t2\t3\n"
    (tmp_path / "e.tsv").write_text(text)
    with pytest.raises(ConfigError, match="'A'.*appear twice"):
        read_expression(tmp_path / "e.tsv")


def test_duplicated_gene_is_named(tmp_path):
    text = "gene\tA\tB\nGZMA\t1\t2\ngzma\t1\t2\n"
    (tmp_path / "e.tsv").write_text(text)
    with pytest.raises(ConfigError, match="GZMA.*one row per gene"):
        read_expression(tmp_path / "e.tsv")


def test_non_numeric_value_names_gene_and_sample(tmp_path):
    m = matrix().astype(object)
    m.loc["PRF1", "S3"] = "high"
    m.to_csv(tmp_path / "e.tsv", sep="\t")
    with pytest.raises(ConfigError, match=r"expression\[PRF1, S3\].*'high'"):
        read_expression(tmp_path / "e.tsv")


def test_missing_genes_are_counted_per_signature(tmp_path):
    m = matrix().drop(index=["GZMA", "PRF1"])
    m.to_csv(tmp_path / "e.tsv", sep="\t")
    with pytest.raises(ConfigError, match="cytolytic 0/2") as err:
        load_profiles(tmp_path / "e.tsv")
    assert "tcell_inflamed_gep 18/18" in str(err.value)


def test_too_few_samples_asks_for_a_reference(tmp_path):
    matrix(n_samples=3).to_csv(tmp_path / "e.tsv", sep="\t")
    with pytest.raises(ConfigError, match="--reference"):
        load_profiles(tmp_path / "e.tsv")
    matrix(n_samples=8, seed=2).add_prefix("R").to_csv(tmp_path / "r.tsv", sep="\t")
    profiles = load_profiles(tmp_path / "e.tsv", reference=tmp_path / "r.tsv")
    assert profiles.samples == ["S0", "S1", "S2"]


def test_maf_columns_and_alteration_kinds(tmp_path):
    (tmp_path / "m.maf").write_text(
        "#version 2.4\nHugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp\n"
        "JAK1\tS1\tFrame_Shift_Del\tp.K142fs\nB2M\tS2\tMissense_Mutation\tp.M1I\n"
    )
    m = read_mutations(tmp_path / "m.maf")
    assert m["kind"].tolist() == ["loss_of_function", "missense"]
    assert m["sample"].tolist() == ["S1", "S2"]


def test_unknown_alteration_is_refused_with_choices():
    with pytest.raises(ConfigError, match="did you mean 'deep_deletion'"):
        alteration_kind("deep_deletoin")


def test_clinical_and_labels(tmp_path):
    (tmp_path / "c.csv").write_text("sample,cancer_type,tmb,msi\nA,colorectal,45,MSI-H\nB,SKCM,,\n")
    c = read_clinical(tmp_path / "c.csv")
    assert c.loc["A", "msi_high"] is True and np.isnan(c.loc["B", "tmb"])
    assert preset_for("colorectal", msi_high=True) == "human_crc_dmmr"
    (tmp_path / "l.csv").write_text("sample,responder,regimen\nA,yes,nivolumab\nB,NR,\n")
    lab = read_labels(tmp_path / "l.csv")
    assert lab["responder"].tolist() == [True, False]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("sample,cancer_type\nA,melanomma\n", "did you mean 'melanoma'"),
        ("sample,cancer_type\nA,melanoma\nA,melanoma\n", "one row per sample"),
        ("sample,tmb\nA,many\n", r"clinical\[A\].tmb"),
        ("sample,tumour_mut_burden\nA,3\n", "column"),
    ],
)
def test_bad_clinical_tables(tmp_path, text, match):
    (tmp_path / "c.csv").write_text(text)
    with pytest.raises(ConfigError, match=match):
        read_clinical(tmp_path / "c.csv")


def test_samples_that_match_nothing_are_refused(tmp_path):
    matrix().to_csv(tmp_path / "e.tsv", sep="\t")
    (tmp_path / "l.csv").write_text("sample,responder\nTCGA-X,yes\n")
    with pytest.raises(ConfigError, match="same sample names"):
        load_profiles(tmp_path / "e.tsv", labels=tmp_path / "l.csv")

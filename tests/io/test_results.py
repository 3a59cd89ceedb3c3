"""Chunked results: atomic writes, resume after a crash, finalize, and loading back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import xarray as xr

from tmesim.errors import ConfigError
from tmesim.io import results
from tmesim.io.atomic import temporary_path
from tmesim.io.results import (
    PATIENTS_FILE,
    ResultWriter,
    completed_chunks,
    load_patients,
    load_trajectories,
    patients_part_path,
    trajectories_chunk_path,
)

TIMES = np.arange(0.0, 10.0, 2.5)


def make_chunk(ids, seed=0):
    """A chunk as the simulator would produce it: a patient table and its trajectories."""
    rng = np.random.default_rng(seed)
    ids = np.asarray(ids, dtype=np.int64)
    volume = rng.lognormal(size=(ids.size, TIMES.size))
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "status": np.where(ids % 7 == 3, "failed", "ok"),
            "status_code": np.where(ids % 7 == 3, 2, 0).astype(np.int64),
            "message": np.where(ids % 7 == 3, "step size too small", ""),
            "tumor_growth_rate": rng.uniform(0.1, 0.3, ids.size),
            "final_tumor_volume": volume[:, -1],
        }
    )
    trajectories = xr.Dataset(
        {
            "tumor_volume": (
                ("patient", "time"),
                volume,
                {"units": "mm^3", "description": "tumor volume"},
            ),
            "cd8_t_cells": (("patient", "time"), volume * 2.0, {"units": "cells/mm^3"}),
        },
        coords={"patient": ids, "time": TIMES},
    )
    return patients, trajectories


def write_run(run_dir, order=(0, 1, 2), size=4):
    writer = ResultWriter(run_dir)
    chunks = {i: make_chunk(range(i * size, (i + 1) * size), seed=i) for i in order}
    for i in order:
        writer.write_chunk(i, *chunks[i])
    return writer, chunks


def test_chunked_write_finalize_load_gives_the_same_table(tmp_path):
    writer, chunks = write_run(tmp_path, order=(2, 0, 1))
    final = writer.finalize()
    assert final == tmp_path / PATIENTS_FILE

    expected = pd.concat([chunks[i][0] for i in (0, 1, 2)], ignore_index=True)
    pd.testing.assert_frame_equal(load_patients(tmp_path), expected)
    # Small parts share a row group: the row groups' metadata does not grow with the chunks.
    assert pq.ParquetFile(final).metadata.num_row_groups == 1


def test_finalize_streams_parts_in_row_groups_of_bounded_size(tmp_path, monkeypatch):
    writer, chunks = write_run(tmp_path, order=(2, 0, 1))
    monkeypatch.setattr(results, "ROW_GROUP_BYTES", 1)  # every part fills a row group
    final = writer.finalize()
    assert pq.ParquetFile(final).metadata.num_row_groups == 3
    expected = pd.concat([chunks[i][0] for i in (0, 1, 2)], ignore_index=True)
    pd.testing.assert_frame_equal(load_patients(tmp_path), expected)


def test_finalize_sorts_rows_within_a_part(tmp_path):
    writer = ResultWriter(tmp_path)
    patients, trajectories = make_chunk([3, 1, 2, 0])
    writer.write_chunk(0, patients, trajectories)
    writer.finalize()
    assert load_patients(tmp_path)["patient_id"].tolist() == [0, 1, 2, 3]


def test_files_are_named_by_chunk_index(tmp_path):
    write_run(tmp_path, order=(0, 12))
    assert (tmp_path / "patients" / "part-00012.parquet").is_file()
    assert (tmp_path / "trajectories" / "chunk-00012.nc").is_file()
    assert completed_chunks(tmp_path) == {0, 12}


def test_failed_write_leaves_no_file_under_the_final_name(tmp_path, monkeypatch):
    writer, _ = write_run(tmp_path, order=(0,))

    def crash(table, where, **kwargs):
        with open(where, "wb") as handle:
            handle.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(results.pq, "write_table", crash)
    with pytest.raises(OSError, match="disk full"):
        writer.write_chunk(1, *make_chunk(range(4, 8)))

    assert not patients_part_path(tmp_path, 1).exists()
    assert writer.completed_chunks() == {0}
    leftovers = [p.name for p in (tmp_path / "patients").iterdir()]
    assert leftovers == ["part-00000.parquet"]


def test_failed_rewrite_keeps_the_previous_chunk(tmp_path, monkeypatch):
    writer, chunks = write_run(tmp_path, order=(0,))
    before = patients_part_path(tmp_path, 0).read_bytes()
    monkeypatch.setattr(results.pq, "write_table", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        writer.write_chunk(0, *make_chunk(range(4), seed=99))
    assert patients_part_path(tmp_path, 0).read_bytes() == before


def test_crash_leftovers_do_not_count_and_are_cleaned_on_resume(tmp_path):
    """A killed process leaves temp files and maybe one of a chunk's two files."""
    write_run(tmp_path, order=(0,))
    # Killed while writing chunk 1's patient table, after its trajectories were renamed.
    trajectories_chunk_path(tmp_path, 1).write_bytes(b"complete trajectories of chunk 1")
    temp_part = temporary_path(patients_part_path(tmp_path, 1))
    temp_part.write_bytes(b"PAR1 truncated")
    # Killed while writing chunk 2's trajectories.
    temp_nc = temporary_path(trajectories_chunk_path(tmp_path, 2))
    temp_nc.write_bytes(b"CDF\x02 truncated")

    assert completed_chunks(tmp_path) == {0}
    # The finished part of the crashed run can still be read.
    assert load_patients(tmp_path)["patient_id"].tolist() == [0, 1, 2, 3]
    assert load_trajectories(tmp_path).sizes["patient"] == 4

    writer = ResultWriter(tmp_path)  # resume
    assert not temp_part.exists()
    assert not temp_nc.exists()
    assert writer.completed_chunks() == {0}
    for i in (1, 2):
        writer.write_chunk(i, *make_chunk(range(4 * i, 4 * i + 4), seed=i))
    writer.finalize(expected_chunks=range(3))
    assert load_patients(tmp_path)["patient_id"].tolist() == list(range(12))


def test_finalize_refuses_missing_chunks(tmp_path):
    writer, _ = write_run(tmp_path, order=(0, 2))
    with pytest.raises(ValueError, match=r"\[1\]"):
        writer.finalize(expected_chunks=range(3))
    assert not (tmp_path / PATIENTS_FILE).exists()


def test_finalize_refuses_overlapping_patient_ids(tmp_path):
    writer = ResultWriter(tmp_path)
    writer.write_chunk(0, *make_chunk([0, 1, 2, 5]))
    writer.write_chunk(1, *make_chunk([3, 4, 6, 7]))
    with pytest.raises(ValueError, match="overlapping"):
        writer.finalize()


def test_finalize_without_chunks(tmp_path):
    with pytest.raises(ValueError, match="nothing to finalize"):
        ResultWriter(tmp_path).finalize()


def test_column_types_stay_those_of_the_first_chunk(tmp_path):
    writer = ResultWriter(tmp_path)
    writer.write_chunk(0, *make_chunk(range(4)))
    patients, trajectories = make_chunk(range(4, 8))
    # A chunk where a float parameter happens to hold whole numbers, and no message at all.
    patients["tumor_growth_rate"] = np.arange(4, dtype=np.int64)
    patients["message"] = None
    writer.write_chunk(1, patients, trajectories)

    # A fresh writer (a resumed run) takes the types from the parts already on disk.
    patients, trajectories = make_chunk(range(8, 12))
    patients["status_code"] = patients["status_code"].astype(np.int32)
    ResultWriter(tmp_path).write_chunk(2, patients[patients.columns[::-1]], trajectories)

    for i in range(3):
        schema = pq.read_schema(patients_part_path(tmp_path, i))
        assert str(schema.field("tumor_growth_rate").type) == "double"
        assert str(schema.field("status_code").type) == "int64"
        assert str(schema.field("message").type) == "string"
        assert schema.names[0] == "patient_id"
    ResultWriter(tmp_path).finalize()
    table = load_patients(tmp_path)
    assert table["tumor_growth_rate"].dtype == np.float64
    assert table["status_code"].dtype == np.int64


def test_incompatible_columns_are_refused(tmp_path):
    writer = ResultWriter(tmp_path)
    writer.write_chunk(0, *make_chunk(range(4)))
    patients, trajectories = make_chunk(range(4, 8))
    with pytest.raises(ValueError, match="unexpected"):
        writer.write_chunk(1, patients.assign(extra=1.0), trajectories)
    with pytest.raises(ValueError, match="status_code"):
        writer.write_chunk(1, patients.assign(status_code="zero"), trajectories)
    assert writer.completed_chunks() == {0}


def test_trajectories_concatenate_in_patient_order(tmp_path):
    _, chunks = write_run(tmp_path, order=(1, 2, 0))
    loaded = load_trajectories(tmp_path)
    assert loaded["tumor_volume"].dims == ("patient", "time")
    assert loaded["patient"].to_numpy().tolist() == list(range(12))
    assert loaded["patient"].dtype == np.int64
    np.testing.assert_array_equal(loaded["time"].to_numpy(), TIMES)
    expected = xr.concat([chunks[i][1] for i in (0, 1, 2)], dim="patient")
    np.testing.assert_array_equal(loaded["tumor_volume"].to_numpy(), expected["tumor_volume"])
    np.testing.assert_array_equal(loaded["cd8_t_cells"].to_numpy(), expected["cd8_t_cells"])


def test_trajectory_metadata_survives(tmp_path):
    write_run(tmp_path, order=(0,))
    loaded = load_trajectories(tmp_path)
    assert loaded["tumor_volume"].attrs["units"] == "mm^3"
    assert loaded["tumor_volume"].attrs["description"] == "tumor volume"
    assert loaded["cd8_t_cells"].attrs["units"] == "cells/mm^3"
    assert loaded["cd8_t_cells"].attrs["description"] == ""
    assert loaded["time"].attrs["units"] == "day"


def test_selected_patients_across_chunks(tmp_path):
    _, chunks = write_run(tmp_path, order=(0, 1, 2))
    loaded = load_trajectories(tmp_path, patients=[9, 2, 5])
    assert loaded["patient"].to_numpy().tolist() == [2, 5, 9]
    np.testing.assert_array_equal(
        loaded["tumor_volume"].sel(patient=9).to_numpy(),
        chunks[2][1]["tumor_volume"].sel(patient=9).to_numpy(),
    )


def test_unknown_patient_is_a_config_error(tmp_path):
    write_run(tmp_path, order=(0,))
    with pytest.raises(ConfigError) as info:
        load_trajectories(tmp_path, patients=[1, 40])
    assert info.value.field == "patients"
    assert "[40]" in str(info.value)
    assert "from 0 to 3" in str(info.value)


def test_loading_an_empty_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="tmesim simulate"):
        load_patients(tmp_path)
    with pytest.raises(ConfigError, match="tmesim simulate"):
        load_trajectories(tmp_path)


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda p, t: (p.drop(columns="patient_id"), t), "no 'patient_id'"),
        (lambda p, t: (p.iloc[:0], t.isel(patient=slice(0, 0))), "empty"),
        (lambda p, t: (p.assign(patient_id=[0, 0, 1, 2]), t), "duplicates"),
        (lambda p, t: (p, t.assign_coords(patient=[0, 1, 2, 9])), "differ"),
        (lambda p, t: (p, t.rename({"time": "t"})), "'time'"),
        (lambda p, t: (p, t.assign(x=(("patient", "time"), np.zeros((4, 4))))), "'units'"),
    ],
)
def test_contract_violations_are_refused_before_writing(tmp_path, mutate, words):
    writer = ResultWriter(tmp_path)
    patients, trajectories = mutate(*make_chunk(range(4)))
    with pytest.raises(ValueError, match=words):
        writer.write_chunk(0, patients, trajectories)
    assert not any((tmp_path / "patients").iterdir())
    assert not any((tmp_path / "trajectories").iterdir())


def test_negative_chunk_index_is_refused(tmp_path):
    with pytest.raises(ValueError, match="non-negative"):
        ResultWriter(tmp_path).write_chunk(-1, *make_chunk(range(4)))


def test_writing_a_chunk_after_finalize_invalidates_the_merged_table(tmp_path):
    writer, _ = write_run(tmp_path, order=(0,))
    writer.finalize()
    writer.write_chunk(1, *make_chunk(range(4, 8)))
    assert not (tmp_path / PATIENTS_FILE).exists()
    assert load_patients(tmp_path)["patient_id"].tolist() == list(range(8))


def test_empty_selection_is_a_config_error(tmp_path):
    write_run(tmp_path, order=(0,))
    with pytest.raises(ConfigError, match="at least one"):
        load_trajectories(tmp_path, patients=[])

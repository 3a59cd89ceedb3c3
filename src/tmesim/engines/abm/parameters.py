"""Parameters that only a spatial model needs: lattice, motility, diffusion, oxygen, vessels.

The biology (rates, half-maximal concentrations, secretion per cell, kill laws) comes from the
preset's `ParameterSet`, exactly as the QSP engine reads it. A tissue adds quantities an ODE does not
have: how big a voxel is, how fast each cell type crawls, how fast each molecule diffuses, how much
oxygen tumor cells use, where vessels are. They are declared here with the same `Parameter` record
(value, units, source) so that they print and validate like the model's parameters, and a scenario
can override them by id (`abm.parameters`).

Sources: PhysiCell's cancer–immune sample and core defaults (Ghaffarizadeh et al. 2018 PLoS Comput
Biol 14:e1005991; Ozik et al. 2018 BMC Bioinformatics 19:483), spQSP-IO (Gong et al. 2017; LITERATURE
§1), or "assumed" with the reasoning. Cytokine decay is not here: each field decays at the QSP
model's clearance rate of the same cytokine (same parameters, two engines).

Example:
    >>> p = spatial_parameters({"cd8_speed": "6 um/min"})
    >>> round(p["cd8_speed"].value, 1), p["cd8_speed"].units
    (8640.0, 'um/day')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from tmesim.errors import ConfigError
from tmesim.parameters.parameter_set import Parameter
from tmesim.parameters.units import parse_quantity

PHYSICELL = "Ghaffarizadeh et al. 2018 PLoS Comput Biol (PhysiCell defaults) [r]"
PHYSICELL_IMMUNE = "Ozik et al. 2018 BMC Bioinformatics (PhysiCell cancer–immune sample) [r]"
SPQSP = "Gong et al. 2017 J R Soc Interface; Ruiz-Martinez et al. 2022 (spQSP-IO) [v]"
MINUTES_PER_DAY = 1440.0


def _assumed(reason: str) -> str:
    return f"assumed: {reason}"


def _p(id: str, value: float, units: str, source: str, description: str) -> Parameter:
    return Parameter(id=id, value=value, units=units, source=source, description=description)


SPATIAL_PARAMETERS: dict[str, Parameter] = {
    p.id: p
    for p in (
        # --- lattice ------------------------------------------------------------------------------
        _p(
            "voxel_size",
            20.0,
            "um",
            f"{SPQSP}: 20 µm voxels; PhysiCell sample 20 µm mesh",
            "edge of a lattice voxel; one tumor cell occupies one voxel",
        ),
        _p(
            "immune_capacity_free",
            2.0,
            "1",
            _assumed("a lymphocyte (~7 µm) or myeloid cell fits twice in a 20 µm voxel of stroma"),
            "immune cells a voxel without a tumor cell can hold",
        ),
        _p(
            "immune_capacity_tumor",
            1.0,
            "1",
            _assumed("one immune cell squeezes between tumor cells in a tumor-filled voxel"),
            "immune cells a voxel holding a tumor cell can hold",
        ),
        _p(
            "contact_radius",
            1.0,
            "voxel",
            _assumed("killing and antigen sensing need contact: the Moore neighbourhood"),
            "half-width of the box in which cells touch (kill, sense antigen and PD-L1)",
        ),
        _p(
            "sensing_radius",
            2.0,
            "voxel",
            _assumed("arginase, NO and crowding act over ~2 cell diameters (≈ 50 µm)"),
            "half-width of the box over which suppressive-myeloid and crowding densities are read",
        ),
        _p(
            "division_push_radius",
            3.0,
            "voxel",
            _assumed(
                "a dividing tumor cell can push its neighbours aside by up to ~3 cell diameters, "
                "so cells within ~60 µm of free space proliferate (the proliferating rim of "
                "spheroids is ~100–150 µm thick); 0 means a daughter needs a free neighbour"
            ),
            "distance within which a dividing tumor cell finds room for its daughter",
        ),
        # --- motility (speeds of random crawling, per day) ------------------------------------------
        _p(
            "cd8_speed",
            4.0 * MINUTES_PER_DAY,
            "um/day",
            "Boissonnas et al. 2007 J Exp Med (CD8 T cells crawl ~4–10 µm/min in tumors) [r]",
            "crawling speed of CD8 T cells",
        ),
        _p(
            "cd4_speed",
            4.0 * MINUTES_PER_DAY,
            "um/day",
            _assumed("CD4 T cells crawl like CD8 T cells"),
            "crawling speed of CD4 helper and regulatory T cells",
        ),
        _p(
            "nk_speed",
            4.0 * MINUTES_PER_DAY,
            "um/day",
            _assumed("NK cells crawl like T cells"),
            "crawling speed of NK cells",
        ),
        _p(
            "myeloid_speed",
            2.0 * MINUTES_PER_DAY,
            "um/day",
            _assumed("monocytes and neutrophils crawl ~2 µm/min in tissue"),
            "crawling speed of monocytes, MDSCs and dendritic cells",
        ),
        _p(
            "macrophage_speed",
            0.5 * MINUTES_PER_DAY,
            "um/day",
            _assumed("tissue macrophages are nearly sessile (≲1 µm/min)"),
            "crawling speed of tumor-associated macrophages",
        ),
        _p(
            "chemotaxis_sensitivity",
            4.0,
            "1",
            _assumed(
                "a step up the receptor-occupancy gradient is e^(χ·Δocc) times likelier; χ = 4 "
                "gives a clear bias over a ~100 µm gradient without freezing cells"
            ),
            "chemotactic bias of T/NK cells (CXCL9/10) and monocytes/MDSCs (CCL2)",
        ),
        # --- diffusion coefficients ---------------------------------------------------------------
        _p(
            "oxygen_diffusion",
            1e5 * MINUTES_PER_DAY,
            "um^2/day",
            f"{PHYSICELL}: 1e5 µm²/min",
            "diffusion coefficient of oxygen",
        ),
        _p(
            "ifng_diffusion",
            100.0 * 86400.0,
            "um^2/day",
            f"{SPQSP}: IFN-γ 1e-6 cm²/s",
            "diffusion coefficient of IFN-γ",
        ),
        _p(
            "il2_diffusion",
            100.0 * 86400.0,
            "um^2/day",
            f"{SPQSP}: IL-2 1e-6 cm²/s",
            "diffusion coefficient of IL-2",
        ),
        _p(
            "cytokine_diffusion",
            100.0 * 86400.0,
            "um^2/day",
            _assumed("IL-12, IL-10 and TGF-β (15–70 kDa) diffuse like IFN-γ and IL-2"),
            "diffusion coefficient of IL-12, IL-10 and TGF-β",
        ),
        _p(
            "chemokine_diffusion",
            150.0 * 86400.0,
            "um^2/day",
            _assumed("chemokines (8–10 kDa) diffuse somewhat faster than the larger cytokines"),
            "diffusion coefficient of CXCL9/10 and CCL2",
        ),
        _p(
            "debris_diffusion",
            1.0 * 86400.0,
            "um^2/day",
            _assumed("dead-cell material stays near where the cell died"),
            "spreading of released tumor antigen / dead-cell material",
        ),
        # --- oxygen -------------------------------------------------------------------------------
        _p(
            "oxygen_vessel",
            38.0,
            "mmHg",
            f"{PHYSICELL}: far-field / vascular oxygen 38 mmHg",
            "oxygen partial pressure at vessels and at the domain boundary",
        ),
        _p(
            "oxygen_decay",
            0.1 * MINUTES_PER_DAY,
            "1/day",
            f"{PHYSICELL}: 0.1 /min background decay",
            "background oxygen decay in tissue",
        ),
        _p(
            "oxygen_uptake_tumor",
            10.0 * MINUTES_PER_DAY,
            "1/day",
            f"{PHYSICELL}: tumor-cell uptake 10 /min",
            "oxygen uptake rate constant of a live tumor cell (per voxel it occupies)",
        ),
        _p(
            "oxygen_vessel_supply",
            100.0 * MINUTES_PER_DAY,
            "1/day",
            _assumed("vessel voxels relax to the vascular pO2 ten times faster than uptake"),
            "relaxation rate of a vessel voxel's oxygen towards the vascular value",
        ),
        _p(
            "oxygen_proliferation_saturation",
            38.0,
            "mmHg",
            f"{PHYSICELL}: o2_proliferation_saturation 38 mmHg",
            "oxygen above which tumor cells proliferate at their full rate",
        ),
        _p(
            "oxygen_proliferation_threshold",
            5.0,
            "mmHg",
            f"{PHYSICELL}: o2_proliferation_threshold 5 mmHg",
            "oxygen below which tumor cells stop proliferating",
        ),
        _p(
            "oxygen_necrosis_threshold",
            2.5,
            "mmHg",
            f"{PHYSICELL}: o2_necrosis_max 2.5 mmHg",
            "oxygen below which tumor cells become necrotic",
        ),
        _p(
            "necrosis_rate",
            0.00277 * MINUTES_PER_DAY,
            "1/day",
            f"{PHYSICELL}: maximal necrosis rate 0.00277 /min",
            "rate at which hypoxic tumor cells become necrotic",
        ),
        _p(
            "necrotic_lysis_rate",
            0.5,
            "1/day",
            _assumed("necrotic cells swell and lyse over about two days (PhysiCell lysis)"),
            "rate at which necrotic cells lyse and free their voxel",
        ),
        # --- vessels and dead-cell material -------------------------------------------------------
        _p(
            "vessel_density",
            0.02,
            "1",
            _assumed(
                "~2% of 20 µm voxels hold a capillary (mouse tumor microvessel densities of "
                "100–200 /mm² in sections, ~50–100 µm apart)"
            ),
            "fraction of the vascularised region's voxels that hold a vessel",
        ),
        _p(
            "debris_half_density",
            1.0e5 / 75.0,
            "cell/mm^3",
            "as the QSP trem2_debris_half_density; DC loading uses the same local scale "
            "(QSP dc_antigen_half of 1e5 dead-cell equivalents in a 75 mm³ lesion)",
            "local dead-cell material for half-maximal TREM2+ conversion and DC loading",
        ),
    )
}


def spatial_parameters(overrides: Mapping[str, float | str] | None = None) -> dict[str, Parameter]:
    """The spatial parameter table, with overrides (numbers in the table's units, or strings
    with units such as "6 um/min").

    Raises:
        ConfigError: an unknown id (with the nearest one) or a negative / non-finite value.
    """
    table = dict(SPATIAL_PARAMETERS)
    for pid, raw in (overrides or {}).items():
        if pid not in table:
            raise ConfigError(
                f"abm.parameters.{pid}",
                pid,
                "use a spatial parameter id (tmesim.engines.abm.parameters.SPATIAL_PARAMETERS)",
                choices=list(table),
            )
        old = table[pid]
        value = parse_quantity(raw, old.units, field=f"abm.parameters.{pid}")
        if not math.isfinite(value) or value < 0:
            raise ConfigError(f"abm.parameters.{pid}", raw, "give a finite, non-negative value")
        table[pid] = replace(old, value=value, source="user override")
    return table

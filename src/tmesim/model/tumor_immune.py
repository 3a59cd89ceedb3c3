"""The tumor–immune model: all mechanisms M1–M8 assembled into one declaration.

`build_model()` returns the frozen symbolic `Model`; `MECHANISMS` names every switch a user can turn
off to ask what a piece of biology contributes (`Simulation(..., mechanisms={"nk_missing_self": False})`).
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import sympy as sp

from tmesim.model.builder import Model, ModelBuilder
from tmesim.model.cell_therapy import add_cart
from tmesim.model.cytokines import add_cytokines
from tmesim.model.forms import clone_sum
from tmesim.model.innate import add_innate
from tmesim.model.myeloid import add_myeloid
from tmesim.model.pharmacology import add_pharmacology
from tmesim.model.states import CYTOKINE_STATES, N_CLONES, declare_states
from tmesim.model.t_cells import add_t_cells
from tmesim.model.tumor import apply_tumor_balance, declare_tumor

# name -> (SPEC mechanism code, description)
MECHANISM_TABLE: dict[str, tuple[str, str]] = {
    "pd1": ("M1", "PD-1 engagement by PD-L1/PD-L2 brakes CD8 killing and drives exhaustion"),
    "ctla4": (
        "M1",
        "CTLA-4 on Tregs and activated T cells captures B7 and limits CD28 co-stimulation at priming",
    ),
    "lag3": ("M1", "LAG-3 signalling adds to exhaustion and blocks recovery"),
    "exhaustion": ("M4", "chronic antigen drives effector CD8 (and CAR-T) cells into exhaustion"),
    "treg_suppression": ("M1", "intratumoral Tregs suppress CD8 killing"),
    "cd4_help": ("M7", "CD4 helper cells raise CD8 priming"),
    "myeloid_suppression": (
        "M2",
        "suppressive myeloid cells (MDSC, M2, TREM2+) inhibit T-cell killing, proliferation and entry",
    ),
    "myeloid_pi3kg": (
        "M2",
        "the myeloid suppressive program runs through PI3Kγ, the target of IPI-549",
    ),
    "notch_tam": ("M3", "monocyte-to-TAM differentiation and TAM proliferation need Notch/RBPJ"),
    "trem2_macrophages": ("M4", "M2-like TAMs become TREM2+ suppressive macrophages"),
    "memory": (
        "M4",
        "effector CD8 T cells leave memory cells that are quickly recalled by antigen",
    ),
    "ifng_direct": ("M5", "IFN-γ arrests and kills tumor cells of IFN-γ-sensing clones"),
    "ifng_pdl1": ("M5", "IFN-γ induces PD-L1 on sensing tumor cells"),
    "ifng_mhc1": ("M5", "IFN-γ induces MHC-I on sensing tumor cells"),
    "nk_missing_self": ("M7", "NK cells kill tumor cells with low MHC-I"),
    "dc_priming": ("M7", "dendritic cells carry tumor antigen to the lymph node to prime T cells"),
    "chemokine_recruitment": ("M7", "CXCL9/10 recruits T and NK cells into the tumor"),
}

MECHANISMS: dict[str, str] = {
    name: f"[{code}] {desc}" for name, (code, desc) in MECHANISM_TABLE.items()
}
"""Every switchable mechanism: name -> description (with its SPEC mechanism code)."""


def _declare(b: ModelBuilder) -> Model:
    s = declare_states(b)
    sw = SimpleNamespace(
        **{name: b.mechanism(name, code, desc) for name, (code, desc) in MECHANISM_TABLE.items()}
    )
    e = add_pharmacology(b, s)
    t = declare_tumor(b, s, sw)
    m = add_myeloid(b, s, sw, t, e)
    tc = add_t_cells(b, s, sw, t, e, m)
    nk = add_innate(b, s, sw, t, e, m, tc)
    car_kills = add_cart(b, s, sw, t)
    kills = [[tc.kills[k], nk.kills[k], car_kills[k]] for k in range(N_CLONES)]
    apply_tumor_balance(b, s, t, kills)
    add_cytokines(b, s, t, e, m, tc, nk)
    _observables(b, s, t, m, tc)
    per_cell = 1 / (t.total + 1)
    for name, killers, fluxes in (
        ("cd8", "CD8 T cells", tc.kills),
        ("nk", "NK cells", nk.kills),
        ("cart", "CAR-T cells", car_kills),
    ):
        b.observable(
            f"{name}_kill_rate",
            "1/day",
            f"tumor cells killed by {killers} per tumor cell per day",
            sp.Add(*fluxes) * per_cell,
        )
    return b.build()


def _observables(
    b: ModelBuilder, s: SimpleNamespace, t: SimpleNamespace, m: SimpleNamespace, tc: SimpleNamespace
) -> None:
    vol = t.volume_mm3
    b.observable("tumor_cells", "cell", "viable tumor cells, all clones", t.total)
    density = b.symbol("tumor_cell_density")
    cellular = t.lesion_cells / density
    nonviable = (s.tumor_nonviable + s.tumor_scar) / density
    lesion = cellular + nonviable
    b.observable(
        "tumor_volume",
        "mm^3",
        "measured lesion volume (calipers, CT): viable tumor cells, infiltrate and non-viable "
        "mass (necrosis, scar) / cell density",
        lesion,
    )
    b.observable(
        "tumor_diameter",
        "mm",
        "diameter of a sphere of the measured lesion volume",
        (6 * lesion / sp.pi) ** sp.Rational(1, 3),
    )
    b.observable(
        "lesion_cell_volume",
        "mm^3",
        "volume of the lesion's living cells: viable tumor cells and infiltrate / cell density",
        cellular,
    )
    b.observable(
        "nonviable_volume",
        "mm^3",
        "volume of the lesion's non-viable mass (necrotic debris, resorbing and persistent scar "
        "of dead tumor cells)",
        nonviable,
    )
    for k, clone in enumerate(s.clones):
        b.observable(
            f"clone_{k}_fraction",
            "1",
            f"fraction of tumor cells in clone {k}",
            clone / (t.total + 1),
        )
    b.observable(
        "cd8_tumor_density",
        "cell/mm^3",
        "CD8 T cells (effector + exhausted) per mm³ of tumor",
        (s.cd8_effector_tumor + s.cd8_exhausted_tumor) / vol,
    )
    cd8_all = s.cd8_effector_tumor + s.cd8_exhausted_tumor + s.cd8_bystander_tumor
    b.observable(
        "cd8_total_density",
        "cell/mm^3",
        "all CD8 T cells per mm³ of tumor, tumor-reactive and bystander (what CD8 staining counts)",
        cd8_all / vol,
    )
    b.observable(
        "tumor_reactive_cd8_fraction",
        "1",
        "fraction of intratumoral CD8 T cells that recognize the tumor",
        (s.cd8_effector_tumor + s.cd8_exhausted_tumor) / (cd8_all + 1),
    )
    b.observable(
        "t_cell_macrophage_ratio",
        "1",
        "intratumoral T cells (CD8, helper CD4, Treg) per tumor-associated macrophage",
        (cd8_all + s.cd4_helper_tumor + s.treg_tumor) / (m.tams + 1),
    )
    b.observable(
        "cd8_effector_tumor", "cell", "effector CD8 T cells in the tumor", s.cd8_effector_tumor
    )
    b.observable(
        "cd8_exhausted_fraction",
        "1",
        "exhausted fraction of intratumoral CD8 T cells",
        s.cd8_exhausted_tumor / (s.cd8_effector_tumor + s.cd8_exhausted_tumor + 1),
    )
    b.observable("cd8_memory", "cell", "memory CD8 T cells", s.cd8_memory)
    b.observable("treg_tumor", "cell", "Tregs in the tumor", s.treg_tumor)
    b.observable(
        "cd8_treg_ratio",
        "1",
        "intratumoral CD8 / Treg ratio",
        (s.cd8_effector_tumor + s.cd8_exhausted_tumor) / (s.treg_tumor + 1),
    )
    b.observable("nk_tumor", "cell", "NK cells in the tumor", s.nk_tumor)
    b.observable("tam_density", "cell/mm^3", "TAMs per mm³ of tumor", m.tams / vol)
    b.observable("tam_m1_fraction", "1", "M1-like fraction of TAMs", s.tam_m1 / (m.tams + 1))
    b.observable("tam_trem2_fraction", "1", "TREM2+ fraction of TAMs", s.tam_trem2 / (m.tams + 1))
    b.observable("mdsc_density", "cell/mm^3", "MDSCs per mm³ of tumor", s.mdsc_tumor / vol)
    b.observable(
        "myeloid_suppression",
        "1",
        "myeloid suppression of T cells (0 none, 1 maximal)",
        m.suppression,
    )
    b.observable(
        "tumor_pdl1",
        "molecule/um^2",
        "mean PD-L1 surface density on tumor cells",
        clone_sum(t.pdl1, s.clones) / (t.total + 1),
    )
    b.observable(
        "tumor_mhc1",
        "1",
        "mean MHC-I on tumor cells, relative to normal",
        clone_sum(t.mhc1, s.clones) / (t.total + 1),
    )
    b.observable(
        "pd1_engagement", "1", "mean PD-1 inhibition of effector CD8 T cells", tc.h_pd1_mean
    )
    b.observable(
        "costimulation", "1", "CD28 co-stimulation at priming (1 = all B7 free)", tc.costimulation
    )
    for name, _ in CYTOKINE_STATES:
        b.observable(name, "pM", f"{name} in the tumor", getattr(s, name))
    b.observable(
        "cart_cells",
        "cell",
        "CAR-T cells (all phases)",
        s.cart_effector + s.cart_memory + s.cart_exhausted,
    )
    b.observable(
        "cd19_positive_cells",
        "cell",
        "tumor cells that carry the CAR target (CD19) at any level (CD19-dim included)",
        sp.Add(
            *(
                sp.Piecewise((c, cd19 > 0), (0, True))
                for cd19, c in zip(t.cd19, s.clones, strict=True)
            )
        ),
    )


@functools.cache
def build_model() -> Model:
    """The tumor–immune model (built once per process).

    Example:
        >>> model = build_model()
        >>> "tumor_clone_0" in model.species_ids
        True
    """
    return _declare(ModelBuilder("tumor_immune"))

"""Compiled kernels of one time step: counting, neighbourhood sums, cell events, movement, inflow.

Cells live in a structure of arrays (`agents.AgentTable`); tumor cells occupy one voxel each
(`tumor_at`), immune cells share voxels up to a capacity (`immune_count`). A step:

1. `count_cells` puts every cell's contribution (tumor cells, their recognition and PD-1 engagement,
   effector, exhausted, Treg and NK cells, weighted suppressive myeloid cells, TAMs) on count grids,
   and `summed_area` turns each into a summed-area table, so the sum over any box is 8 look-ups,
   whatever its radius (the well-mixed limit is a box covering the tissue).
2. `cell_events` visits cells in table order: each adds its secretion and uptake to the field
   sources, then draws its events (division, death, killing by CD8 and NK cells, exhaustion,
   polarization, differentiation...) with p = 1 − exp(−h·dt) from `rules`, then crawls.
3. `vessel_inflow` adds the cells the blood supplies at vessel voxels.

Randomness is counter-based: each draw is a hash of (root seed, step, cell uid, stream), so a
cell's fate does not depend on how many draws other cells made, and the step is computed in one
fixed order. Only the field solver and the summed-area tables run on several threads, over
independent lines; results are therefore bit-identical for any thread count.
"""

from __future__ import annotations

import numba
import numpy as np

from tmesim.engines.abm.rules import (
    ANTI_CTLA4_TREG_DEPLETION_RATE,
    ANTI_TREM2_DEPLETION_RATE,
    ANTI_TREM2_REPROGRAMMING_RATE,
    C_EFF,
    C_EXH,
    C_HPD1_EFF,
    C_HPD1_EXH,
    C_NK,
    C_RECOG,
    C_SUPP,
    C_TAM,
    C_TREG,
    C_TUMOR,
    CCL2,
    CCL2_RECRUITMENT_HALF,
    CCL2_SECRETION_M2,
    CCL2_SECRETION_TUMOR_CELL,
    CD4,
    CD4_HELPER_DEATH_RATE,
    CD8,
    CD8_EFFECTOR_TUMOR_DEATH_RATE,
    CD8_EXHAUSTED,
    CD8_EXHAUSTED_DEATH_RATE,
    CD8_EXHAUSTION_RATE,
    CD8_KILL_RATE,
    CD8_KILL_SATURATION,
    CD8_REINVIGORATION_RATE,
    CD8_TUMOR_MEMORY_FORMATION_RATE,
    CD8_TUMOR_PROLIFERATION_RATE,
    CHEMOTAXIS_SENSITIVITY,
    CXCL9,
    CXCL9_RECRUITMENT_HALF,
    CXCL9_SECRETION_DC,
    CXCL9_SECRETION_M1,
    CXCL9_SECRETION_TUMOR_CELL,
    DC,
    DC_MIGRATION_RATE,
    DC_TUMOR_DEATH_RATE,
    DEAD,
    DEBRIS,
    DEBRIS_HALF_DENSITY,
    EXHAUSTED_KILL_FRACTION,
    EXHAUSTION_BASAL_SIGNAL,
    IFNA_DC_MATURATION_GAIN,
    IFNG,
    IFNG_GROWTH_ARREST_MAX,
    IFNG_MHC1_FOLD,
    IFNG_PDL1_INDUCED,
    IFNG_SECRETION_CD4,
    IFNG_SECRETION_CD8,
    IFNG_SECRETION_NK,
    IFNG_TUMOR_EC50,
    IFNG_TUMOR_KILL_FRACTION,
    IL2,
    IL2_CONSUMPTION_EFFECTOR,
    IL2_CONSUMPTION_TREG,
    IL2_NK_HALF,
    IL2_PLASMA_EXCHANGE_RATE,
    IL2_SECRETION_CD4,
    IL2_SECRETION_CD8,
    IL2_T_CELL_HALF,
    IL10,
    IL10_DC_HALF,
    IL10_DC_INHIBITION_MAX,
    IL10_SECRETION_M2,
    IL10_SECRETION_MDSC,
    IL10_SECRETION_TREG,
    IL10_SECRETION_TREM2,
    IL12,
    IL12_IFNG_BOOST,
    IL12_IFNG_HALF,
    IL12_KILL_BOOST,
    IL12_NK_HALF,
    IL12_SECRETION_DC,
    IL12_SECRETION_M1,
    IL12_SECRETION_SWITCHED_MYELOID,
    IL12_T_CELL_HALF,
    IMMUNE_CAPACITY_FREE,
    IMMUNE_CAPACITY_TUMOR,
    IPI549_EMAX,
    IPI549_REPOLARIZATION_RATE,
    LAG3_ENGAGEMENT_MAX,
    M1,
    M2,
    MACROPHAGE_IFNG_HALF,
    MACROPHAGE_IL10_HALF,
    MACROPHAGE_IL12_HALF,
    MACROPHAGE_TGFB_HALF,
    MDSC,
    MDSC_DEATH_RATE,
    MONOCYTE,
    MONOCYTE_DIFFERENTIATION_RATE,
    MONOCYTE_TUMOR_DEATH_RATE,
    MYELOID_ENTRY_INHIBITION_MAX,
    MYELOID_KILL_INHIBITION_MAX,
    MYELOID_PROLIFERATION_INHIBITION_MAX,
    MYELOID_RBPJ,
    MYELOID_SUPPRESSION_HALF,
    NECROSIS_RATE,
    NECROTIC,
    NECROTIC_LYSIS_RATE,
    NK,
    NK_ACTIVATION_GAIN,
    NK_DEATH_RATE,
    NK_KILL_RATE,
    NK_KILL_SATURATION,
    NK_MHC1_INHIBITION_HALF,
    NOTCH_INHIBITOR_EMAX,
    O2,
    OXYGEN_NECROSIS_THRESHOLD,
    OXYGEN_PROLIFERATION_SATURATION,
    OXYGEN_PROLIFERATION_THRESHOLD,
    OXYGEN_UPTAKE_TUMOR,
    OXYGEN_VESSEL,
    OXYGEN_VESSEL_SUPPLY,
    PD1_DENSITY_EFFECTOR,
    PD1_DENSITY_EXHAUSTED,
    PD1_ENGAGEMENT_HALF,
    PD1_PDL1_KD_2D,
    PD1_PDL2_KD_2D,
    S_GROWTH_LAW,
    S_IFNA,
    S_IL2_PLASMA,
    S_IPI549,
    S_LESION_MM3,
    S_NOTCH_INHIBITOR,
    S_OCC_CTLA4,
    S_OCC_LAG3,
    S_OCC_PD1,
    S_OCC_PDL1,
    S_OCC_TREM2,
    SUPPRESSION_WEIGHT_M2,
    SUPPRESSION_WEIGHT_MONOCYTE,
    SUPPRESSION_WEIGHT_TREM2,
    SW_CHEMOKINE_RECRUITMENT,
    SW_DC_PRIMING,
    SW_EXHAUSTION,
    SW_IFNG_DIRECT,
    SW_IFNG_MHC1,
    SW_IFNG_PDL1,
    SW_LAG3,
    SW_MEMORY,
    SW_MYELOID_PI3KG,
    SW_MYELOID_SUPPRESSION,
    SW_NK_MISSING_SELF,
    SW_NOTCH_TAM,
    SW_PD1,
    SW_TREG_SUPPRESSION,
    SW_TREM2_MACROPHAGES,
    T_ANTIGEN,
    T_CELL_CAPACITY_DENSITY,
    T_CELL_ENTRY_BASAL_FRACTION,
    T_EMERGENCE,
    T_FITNESS,
    T_MHC1,
    T_PDL1,
    T_SENSING,
    TAM_CAPACITY_DENSITY,
    TAM_DEATH_RATE,
    TAM_M1_TO_M2_RATE,
    TAM_M2_BIAS,
    TAM_M2_TO_M1_RATE,
    TAM_PROLIFERATION_RATE,
    TAM_TREM2_CONVERSION_RATE,
    TGFB,
    TGFB_SECRETION_M2,
    TGFB_SECRETION_MDSC,
    TGFB_SECRETION_TREG,
    TGFB_SECRETION_TREM2,
    TGFB_SECRETION_TUMOR_CELL,
    TGFB_T_CELL_HALF,
    TGFB_T_CELL_HALF_NK,
    TGFB_T_CELL_INHIBITION_MAX,
    TREG,
    TREG_DEATH_RATE,
    TREG_SUPPRESSION_RATIO,
    TREG_TUMOR_PROLIFERATION_RATE,
    TREM2,
    TUMOR,
    TUMOR_DEATH_RATE,
    TUMOR_GROWTH_RATE,
    TUMOR_PDL2,
    event_probability,
    kill_saturation,
    pd1_engagement,
    sat,
)

# Counters of what happened in a step (for readouts), by position.
EVENT_NAMES = (
    "tumor_divisions",
    "tumor_killed_cd8",
    "tumor_killed_nk",
    "tumor_died_ifng_or_spontaneous",
    "tumor_necrosis",
    "immune_arrivals",
    "immune_divisions",
    "immune_deaths",
)
N_EVENTS = len(EVENT_NAMES)

# Random streams: one per purpose, so that adding a draw for one purpose leaves the others alone.
_ST_EVENT, _ST_WHICH, _ST_TARGET, _ST_VARIANT, _ST_PUSH, _ST_HOPS, _ST_MOVE = range(7)

_U64 = np.uint64


@numba.njit(cache=True, inline="always")
def _mix(z):  # pragma: no cover - compiled
    # splitmix64 finalizer (Steele, Lea & Flood 2014): a bijective avalanche on 64 bits.
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


@numba.njit(cache=True)
def uniform(seed, step, uid, stream):  # pragma: no cover - compiled
    """A uniform number in [0, 1) that depends only on (seed, step, uid, stream)."""
    golden = _U64(0x9E3779B97F4A7C15)
    h = _mix(_U64(seed) + golden)
    h = _mix(h ^ (_U64(step) + golden))
    h = _mix(h ^ (_U64(uid) * golden))
    h = _mix(h ^ (_U64(stream) + _U64(0x632BE59BD9B4E019)))
    return float(h >> _U64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True)
def poisson(lam, seed, step, uid, stream0):  # pragma: no cover - compiled
    """A Poisson(lam) draw by inversion from counter-based uniforms (lam up to ~50)."""
    if lam <= 0.0:
        return 0
    u = uniform(seed, step, uid, stream0)
    k = 0
    p = np.exp(-lam)
    s = p
    while u > s and k < 200:
        k += 1
        p *= lam / k
        s += p
    return k


# --- neighbourhood sums -------------------------------------------------------------------------------


@numba.njit(cache=True, parallel=True)
def summed_area(counts, nz, ny, nx, table):  # pragma: no cover - compiled
    """table[c, z+1, y+1, x+1] = sum of counts[c] over [0..z, 0..y, 0..x]."""
    nc = counts.shape[0]
    for c in numba.prange(nc):
        for z in range(nz):
            for y in range(ny):
                run = 0.0
                base = (z * ny + y) * nx
                for x in range(nx):
                    run += counts[c, base + x]
                    table[c, z + 1, y + 1, x + 1] = table[c, z + 1, y, x + 1] + run
        for z in range(nz):
            for y in range(1, ny + 1):
                for x in range(1, nx + 1):
                    table[c, z + 1, y, x] += table[c, z, y, x]


@numba.njit(cache=True, inline="always")
def _box(table, c, x0, x1, y0, y1, z0, z1):  # pragma: no cover - compiled
    t = table[c]
    s = (
        t[z1, y1, x1]
        - t[z0, y1, x1]
        - t[z1, y0, x1]
        - t[z1, y1, x0]
        + t[z0, y0, x1]
        + t[z0, y1, x0]
        + t[z1, y0, x0]
        - t[z0, y0, x0]
    )
    return s if s > 0.0 else 0.0


@numba.njit(cache=True, inline="always")
def _bounds(v, r, nz, ny, nx):  # pragma: no cover - compiled
    x = v % nx
    y = (v // nx) % ny
    z = v // (nx * ny)
    x0, x1 = max(x - r, 0), min(x + r + 1, nx)
    y0, y1 = max(y - r, 0), min(y + r + 1, ny)
    z0, z1 = max(z - r, 0), min(z + r + 1, nz)
    return x0, x1, y0, y1, z0, z1


# --- counting -----------------------------------------------------------------------------------------


@numba.njit(cache=True)
def count_cells(
    n, kind, voxel, clone, traits, fields, p, sysv, counts, tumor_at, immune_count, rec, hpd1
):  # pragma: no cover - compiled
    """Fill the count grids, occupancy, and each tumor cell's recognition and PD-1 engagement."""
    counts[:] = 0.0
    tumor_at[:] = -1
    immune_count[:] = 0
    occ_pd1 = sysv[S_OCC_PD1]
    occ_pdl1 = sysv[S_OCC_PDL1]
    pd1_eff = p[PD1_DENSITY_EFFECTOR] * (1.0 - occ_pd1)
    pd1_exh = p[PD1_DENSITY_EXHAUSTED] * (1.0 - occ_pd1)
    program = _program(p, sysv)
    for i in range(n):
        k = kind[i]
        if k == DEAD:
            continue
        v = voxel[i]
        if k == TUMOR or k == NECROTIC:
            tumor_at[v] = i
            if k == NECROTIC:
                continue
            tr = traits[clone[i]]
            resp = tr[T_SENSING] * sat(fields[IFNG, v], p[IFNG_TUMOR_EC50])
            mhc1 = tr[T_MHC1] * (1.0 + p[SW_IFNG_MHC1] * (p[IFNG_MHC1_FOLD] - 1.0) * resp)
            pdl1 = tr[T_PDL1] + p[SW_IFNG_PDL1] * p[IFNG_PDL1_INDUCED] * resp
            pdl1_free = pdl1 * (1.0 - occ_pdl1)
            rec[i] = tr[T_ANTIGEN] * mhc1
            h_eff = p[SW_PD1] * pd1_engagement(
                pd1_eff,
                pdl1_free,
                p[TUMOR_PDL2],
                p[PD1_PDL1_KD_2D],
                p[PD1_PDL2_KD_2D],
                p[PD1_ENGAGEMENT_HALF],
            )
            h_exh = p[SW_PD1] * pd1_engagement(
                pd1_exh,
                pdl1_free,
                p[TUMOR_PDL2],
                p[PD1_PDL1_KD_2D],
                p[PD1_PDL2_KD_2D],
                p[PD1_ENGAGEMENT_HALF],
            )
            hpd1[i] = h_eff
            counts[C_TUMOR, v] += 1.0
            counts[C_RECOG, v] += rec[i]
            counts[C_HPD1_EFF, v] += h_eff
            counts[C_HPD1_EXH, v] += h_exh
            continue
        immune_count[v] += 1
        if k == CD8:
            counts[C_EFF, v] += 1.0
        elif k == CD8_EXHAUSTED:
            counts[C_EXH, v] += 1.0
        elif k == TREG:
            counts[C_TREG, v] += 1.0
        elif k == NK:
            counts[C_NK, v] += 1.0
        elif k == MDSC:
            counts[C_SUPP, v] += program
        elif k == M2:
            counts[C_SUPP, v] += program * p[SUPPRESSION_WEIGHT_M2]
            counts[C_TAM, v] += 1.0
        elif k == TREM2:
            counts[C_SUPP, v] += program * p[SUPPRESSION_WEIGHT_TREM2]
            counts[C_TAM, v] += 1.0
        elif k == MONOCYTE:
            counts[C_SUPP, v] += program * p[SUPPRESSION_WEIGHT_MONOCYTE]
        elif k == M1:
            counts[C_TAM, v] += 1.0


@numba.njit(cache=True, inline="always")
def _program(p, sysv):  # pragma: no cover - compiled
    """Myeloid suppressive program: on unless switched off or blocked by IPI-549 (PI3Kγ)."""
    return p[SW_MYELOID_SUPPRESSION] * (1.0 - _pi3k_block(p, sysv))


@numba.njit(cache=True, inline="always")
def _pi3k_block(p, sysv):  # pragma: no cover - compiled
    return p[SW_MYELOID_PI3KG] * p[IPI549_EMAX] * sysv[S_IPI549]


@numba.njit(cache=True, inline="always")
def _suppression(table, v, r, nz, ny, nx, voxel_mm3, p):  # pragma: no cover - compiled
    x0, x1, y0, y1, z0, z1 = _bounds(v, r, nz, ny, nx)
    volume = (x1 - x0) * (y1 - y0) * (z1 - z0) * voxel_mm3
    density = _box(table, C_SUPP, x0, x1, y0, y1, z0, z1) / volume
    return sat(density, p[MYELOID_SUPPRESSION_HALF])


@numba.njit(cache=True, inline="always")
def _t_entry_gate(p, cxcl9):  # pragma: no cover - compiled
    """QSP chemokine factor of T/NK-cell entry: basal + (1 − basal)·sat(CXCL9)."""
    basal = p[T_CELL_ENTRY_BASAL_FRACTION]
    return basal + (1.0 - basal) * p[SW_CHEMOKINE_RECRUITMENT] * sat(
        cxcl9, p[CXCL9_RECRUITMENT_HALF]
    )


# --- one step of every cell ---------------------------------------------------------------------------


@numba.njit(cache=True)
def cell_events(
    n,
    uid,
    kind,
    voxel,
    clone,
    next_uid,
    traits,
    fields,
    table,
    tumor_at,
    immune_count,
    rec,
    hpd1,
    p,
    sysv,
    source,
    uptake,
    hops,
    radii,
    shape,
    dt,
    voxel_mm3,
    per_molecule,
    seed,
    step,
    events,
):  # pragma: no cover - compiled
    """Secretion, events and movement of cells 0..n−1 (new cells are appended after n).

    Returns the number of used slots after the step and the next free uid.
    """
    nz, ny, nx = shape[0], shape[1], shape[2]
    rc, rs, push = radii[0], radii[1], radii[2]
    cap_free = int(p[IMMUNE_CAPACITY_FREE])
    cap_tumor = int(p[IMMUNE_CAPACITY_TUMOR])
    pi3k = _pi3k_block(p, sysv)
    program = _program(p, sysv)
    notch = 1.0 - p[SW_NOTCH_TAM] * (
        1.0 - p[MYELOID_RBPJ] * (1.0 - p[NOTCH_INHIBITOR_EMAX] * sysv[S_NOTCH_INHIBITOR])
    )
    h_lag3 = p[SW_LAG3] * p[LAG3_ENGAGEMENT_MAX] * (1.0 - sysv[S_OCC_LAG3])
    lesion_ratio = sysv[S_LESION_MM3] / voxel_mm3  # QSP per-cell uptake acts on the lesion volume
    growth_law = sysv[S_GROWTH_LAW]
    used = n
    for i in range(n):
        k = kind[i]
        if k == DEAD:
            continue
        v = voxel[i]
        me = uid[i]
        ifng = fields[IFNG, v]
        il2 = fields[IL2, v]
        il12 = fields[IL12, v]
        tgfb = fields[TGFB, v]
        h_ifng = sat(ifng, p[IFNG_TUMOR_EC50])
        if k == NECROTIC:
            if uniform(seed, step, me, _ST_EVENT) < event_probability(p[NECROTIC_LYSIS_RATE], dt):
                kind[i] = DEAD
                tumor_at[v] = -1
            continue

        x0, x1, y0, y1, z0, z1 = _bounds(v, rc, nz, ny, nx)
        if k == TUMOR:
            tr = traits[clone[i]]
            resp = tr[T_SENSING] * h_ifng
            o2 = fields[O2, v]
            source[TGFB, v] += per_molecule * p[TGFB_SECRETION_TUMOR_CELL]
            source[CCL2, v] += per_molecule * p[CCL2_SECRETION_TUMOR_CELL]
            source[CXCL9, v] += per_molecule * p[CXCL9_SECRETION_TUMOR_CELL] * resp
            uptake[O2, v] += p[OXYGEN_UPTAKE_TUMOR]
            # proliferation, braked by IFN-γ and limited by oxygen (PhysiCell's linear ramp)
            o2_factor = (o2 - p[OXYGEN_PROLIFERATION_THRESHOLD]) / (
                p[OXYGEN_PROLIFERATION_SATURATION] - p[OXYGEN_PROLIFERATION_THRESHOLD]
            )
            o2_factor = min(max(o2_factor, 0.0), 1.0)
            r = p[TUMOR_GROWTH_RATE] * tr[T_FITNESS]
            h_div = r * growth_law * (1.0 - p[SW_IFNG_DIRECT] * p[IFNG_GROWTH_ARREST_MAX] * resp)
            h_div *= o2_factor
            h_base = (
                p[TUMOR_DEATH_RATE] + p[SW_IFNG_DIRECT] * p[IFNG_TUMOR_KILL_FRACTION] * r * resp
            )
            # CD8 killing (QSP-IO form) with the cells in contact
            eff = _box(table, C_EFF, x0, x1, y0, y1, z0, z1)
            exh = _box(table, C_EXH, x0, x1, y0, y1, z0, z1)
            nk = _box(table, C_NK, x0, x1, y0, y1, z0, z1)
            h_cd8 = 0.0
            h_nk = 0.0
            if eff + exh > 0.0 or nk > 0.0:
                tumor = _box(table, C_TUMOR, x0, x1, y0, y1, z0, z1)
                mhc1 = tr[T_MHC1] * (1.0 + p[SW_IFNG_MHC1] * (p[IFNG_MHC1_FOLD] - 1.0) * resp)
                if eff + exh > 0.0:
                    killers = eff + p[EXHAUSTED_KILL_FRACTION] * exh
                    treg = _box(table, C_TREG, x0, x1, y0, y1, z0, z1)
                    treg_factor = killers / (
                        killers + p[SW_TREG_SUPPRESSION] * p[TREG_SUPPRESSION_RATIO] * treg + 1e-9
                    )
                    supp = _suppression(table, v, rs, nz, ny, nx, voxel_mm3, p)
                    modifiers = (
                        treg_factor
                        * (1.0 - p[TGFB_T_CELL_INHIBITION_MAX] * sat(tgfb, p[TGFB_T_CELL_HALF]))
                        * (1.0 - p[MYELOID_KILL_INHIBITION_MAX] * supp)
                        * (1.0 + p[IL12_KILL_BOOST] * sat(il12, p[IL12_T_CELL_HALF]))
                    )
                    h_cd8 = (
                        p[CD8_KILL_RATE]
                        * rec[i]
                        * (1.0 - hpd1[i])
                        * modifiers
                        * kill_saturation(killers, p[CD8_KILL_SATURATION], tumor)
                    )
                if nk > 0.0:
                    drive = (
                        sat(il12, p[IL12_NK_HALF]) + sat(il2, p[IL2_NK_HALF]) + sysv[S_IFNA]
                    ) / 3.0
                    activation = (1.0 + p[NK_ACTIVATION_GAIN] * drive) / (
                        1.0 + p[NK_ACTIVATION_GAIN]
                    )
                    m2 = mhc1 * mhc1
                    missing = 1.0 - m2 / (m2 + p[NK_MHC1_INHIBITION_HALF] ** 2)
                    h_nk = (
                        p[SW_NK_MISSING_SELF]
                        * p[NK_KILL_RATE]
                        * activation
                        * missing
                        * (1.0 - sat(tgfb, p[TGFB_T_CELL_HALF_NK]))
                        * kill_saturation(nk, p[NK_KILL_SATURATION], tumor)
                    )
            h_nec = p[NECROSIS_RATE] if o2 < p[OXYGEN_NECROSIS_THRESHOLD] else 0.0
            total = h_div + h_base + h_cd8 + h_nk + h_nec
            if uniform(seed, step, me, _ST_EVENT) >= event_probability(total, dt):
                continue
            w = uniform(seed, step, me, _ST_WHICH) * total
            if w < h_div:
                target = _random_in_box(v, rc, nz, ny, nx, seed, step, me)
                if (target < 0 or tumor_at[target] >= 0) and push > 0:
                    target = _nearest_free(v, push, nz, ny, nx, tumor_at, seed, step, me)
                if target >= 0 and tumor_at[target] < 0 and used < kind.shape[0]:
                    daughter = clone[i]
                    if daughter == 0:
                        u = uniform(seed, step, me, _ST_VARIANT)
                        acc = 0.0
                        for c in range(1, traits.shape[0]):
                            acc += traits[c, T_EMERGENCE]
                            if u < acc:
                                daughter = c
                                break
                    j = used
                    used += 1
                    uid[j] = next_uid
                    next_uid += 1
                    kind[j] = TUMOR
                    voxel[j] = target
                    clone[j] = daughter
                    rec[j] = rec[i]
                    hpd1[j] = hpd1[i]
                    tumor_at[target] = j
                    events[0] += 1
                continue
            w -= h_div
            if w < h_nec:
                kind[i] = NECROTIC
                events[4] += 1
            else:
                kind[i] = DEAD
                tumor_at[v] = -1
                w -= h_nec
                if w < h_cd8:
                    events[1] += 1
                elif w < h_cd8 + h_nk:
                    events[2] += 1
                else:
                    events[3] += 1
            # dead-cell material weighted by antigenicity, as the QSP tumor_antigen state
            source[DEBRIS, v] += tr[T_ANTIGEN] / voxel_mm3 / dt
            continue

        # ---- immune cells ----
        rate_death = 0.0
        rate_div = 0.0
        # (rate, new kind) of up to two state changes; new kind DEAD means leaving the tissue
        r1, k1, r2, k2 = 0.0, k, 0.0, k
        supp = 0.0
        if k == CD8 or k == CD8_EXHAUSTED or k == NK or k == TREG:
            supp = _suppression(table, v, rs, nz, ny, nx, voxel_mm3, p)
        if k == CD8 or k == NK or k == CD8_EXHAUSTED:
            tumor = _box(table, C_TUMOR, x0, x1, y0, y1, z0, z1)
            recog = _box(table, C_RECOG, x0, x1, y0, y1, z0, z1)
            tcells = _box(table, C_EFF, x0, x1, y0, y1, z0, z1) + _box(
                table, C_EXH, x0, x1, y0, y1, z0, z1
            )
            stim = recog / (recog + tcells + 1.0)
            engaged = stim * (1.0 + p[IL12_IFNG_BOOST] * sat(il12, p[IL12_IFNG_HALF]))
            if k == CD8:
                source[IFNG, v] += per_molecule * p[IFNG_SECRETION_CD8] * engaged
                source[IL2, v] += per_molecule * p[IL2_SECRETION_CD8] * stim
                uptake[IL2, v] += p[IL2_CONSUMPTION_EFFECTOR] * lesion_ratio
                room = _t_room(table, v, rs, nz, ny, nx, voxel_mm3, p)
                rate_div = (
                    p[CD8_TUMOR_PROLIFERATION_RATE]
                    * stim
                    * sat(il2, p[IL2_T_CELL_HALF])
                    * (1.0 - p[MYELOID_PROLIFERATION_INHIBITION_MAX] * supp)
                    * room
                )
                rate_death = p[CD8_EFFECTOR_TUMOR_DEATH_RATE]
                h_mean = _box(table, C_HPD1_EFF, x0, x1, y0, y1, z0, z1) / (tumor + 1.0)
                r1 = (
                    p[SW_EXHAUSTION]
                    * p[CD8_EXHAUSTION_RATE]
                    * stim
                    * (p[EXHAUSTION_BASAL_SIGNAL] + h_mean + h_lag3)
                )
                k1 = CD8_EXHAUSTED
                r2 = p[SW_MEMORY] * p[CD8_TUMOR_MEMORY_FORMATION_RATE] * (1.0 - stim)
                k2 = DEAD
            elif k == CD8_EXHAUSTED:
                rate_death = p[CD8_EXHAUSTED_DEATH_RATE]
                h_mean = _box(table, C_HPD1_EXH, x0, x1, y0, y1, z0, z1) / (tumor + 1.0)
                r1 = p[SW_EXHAUSTION] * p[CD8_REINVIGORATION_RATE] * (1.0 - h_mean) * (1.0 - h_lag3)
                k1 = CD8
            else:
                drive = (sat(il12, p[IL12_NK_HALF]) + sat(il2, p[IL2_NK_HALF]) + sysv[S_IFNA]) / 3.0
                activation = (1.0 + p[NK_ACTIVATION_GAIN] * drive) / (1.0 + p[NK_ACTIVATION_GAIN])
                source[IFNG, v] += per_molecule * p[IFNG_SECRETION_NK] * activation * engaged
                uptake[IL2, v] += p[IL2_CONSUMPTION_EFFECTOR] * lesion_ratio
                rate_death = p[NK_DEATH_RATE]
        elif k == CD4:
            source[IFNG, v] += per_molecule * p[IFNG_SECRETION_CD4]
            source[IL2, v] += per_molecule * p[IL2_SECRETION_CD4]
            rate_death = p[CD4_HELPER_DEATH_RATE]
        elif k == TREG:
            source[IL10, v] += per_molecule * p[IL10_SECRETION_TREG]
            source[TGFB, v] += per_molecule * p[TGFB_SECRETION_TREG]
            uptake[IL2, v] += p[IL2_CONSUMPTION_TREG] * lesion_ratio
            room = _t_room(table, v, rs, nz, ny, nx, voxel_mm3, p)
            tumor = _box(table, C_TUMOR, x0, x1, y0, y1, z0, z1)
            tregs = _box(table, C_TREG, x0, x1, y0, y1, z0, z1)
            rate_div = (
                p[TREG_TUMOR_PROLIFERATION_RATE]
                * tumor
                / (tumor + tregs + 1.0)
                * sat(il2, p[IL2_T_CELL_HALF])
                * room
            )
            rate_death = p[TREG_DEATH_RATE] + p[ANTI_CTLA4_TREG_DEPLETION_RATE] * sysv[S_OCC_CTLA4]
        else:
            to_m1 = (sat(ifng, p[MACROPHAGE_IFNG_HALF]) + sat(il12, p[MACROPHAGE_IL12_HALF])) / 2
            to_m2 = (
                sat(fields[IL10, v], p[MACROPHAGE_IL10_HALF]) + sat(tgfb, p[MACROPHAGE_TGFB_HALF])
            ) / 2
            debris = sat(fields[DEBRIS, v], p[DEBRIS_HALF_DENSITY])
            if k == MONOCYTE or k == M2 or k == TREM2 or k == MDSC:
                source[IL12, v] += per_molecule * p[IL12_SECRETION_SWITCHED_MYELOID] * pi3k
            if k == MONOCYTE:
                rate_death = p[MONOCYTE_TUMOR_DEATH_RATE]
                diff = p[MONOCYTE_DIFFERENTIATION_RATE] * notch
                fraction_m1 = (to_m1 + pi3k) / (to_m1 + pi3k + to_m2 + p[TAM_M2_BIAS])
                r1, k1 = diff * fraction_m1, M1
                r2, k2 = diff * (1.0 - fraction_m1), M2
            elif k == MDSC:
                source[IL10, v] += per_molecule * program * p[IL10_SECRETION_MDSC]
                source[TGFB, v] += per_molecule * program * p[TGFB_SECRETION_MDSC]
                rate_death = p[MDSC_DEATH_RATE]
            elif k == DC:
                source[IL12, v] += per_molecule * p[IL12_SECRETION_DC]
                source[CXCL9, v] += per_molecule * p[CXCL9_SECRETION_DC] * h_ifng
                rate_death = p[DC_TUMOR_DEATH_RATE]
                maturation = (
                    1.0 - p[IL10_DC_INHIBITION_MAX] * sat(fields[IL10, v], p[IL10_DC_HALF])
                ) * (1.0 + p[IFNA_DC_MATURATION_GAIN] * sysv[S_IFNA])
                r1 = p[SW_DC_PRIMING] * p[DC_MIGRATION_RATE] * debris * maturation
                k1 = DEAD
            else:  # macrophages
                tams = _box_rs(table, C_TAM, v, rs, nz, ny, nx)
                volume = _box_volume(v, rs, nz, ny, nx) * voxel_mm3
                room = max(1.0 - tams / (volume * p[TAM_CAPACITY_DENSITY]), 0.0)
                rate_div = p[TAM_PROLIFERATION_RATE] * notch * room
                rate_death = p[TAM_DEATH_RATE]
                if k == M1:
                    source[IL12, v] += per_molecule * p[IL12_SECRETION_M1]
                    source[CXCL9, v] += per_molecule * p[CXCL9_SECRETION_M1] * h_ifng
                    r1, k1 = p[TAM_M1_TO_M2_RATE] * to_m2, M2
                elif k == M2:
                    source[IL10, v] += per_molecule * program * p[IL10_SECRETION_M2]
                    source[TGFB, v] += per_molecule * program * p[TGFB_SECRETION_M2]
                    source[CCL2, v] += per_molecule * p[CCL2_SECRETION_M2]
                    r1 = p[TAM_M2_TO_M1_RATE] * to_m1 + p[IPI549_REPOLARIZATION_RATE] * pi3k
                    k1 = M1
                    r2 = p[SW_TREM2_MACROPHAGES] * p[TAM_TREM2_CONVERSION_RATE] * debris
                    k2 = TREM2
                else:
                    source[IL10, v] += per_molecule * program * p[IL10_SECRETION_TREM2]
                    source[TGFB, v] += per_molecule * program * p[TGFB_SECRETION_TREM2]
                    occ = sysv[S_OCC_TREM2]
                    rate_death += p[ANTI_TREM2_DEPLETION_RATE] * occ
                    r1 = (
                        p[IPI549_REPOLARIZATION_RATE] * pi3k
                        + p[ANTI_TREM2_REPROGRAMMING_RATE] * occ
                    )
                    k1 = M1

        total = rate_death + rate_div + r1 + r2
        if uniform(seed, step, me, _ST_EVENT) < event_probability(total, dt):
            w = uniform(seed, step, me, _ST_WHICH) * total
            if w < rate_death:
                kind[i] = DEAD
                immune_count[v] -= 1
                events[7] += 1
                continue
            w -= rate_death
            if w < rate_div:
                target = _immune_spot(
                    v, rc, nz, ny, nx, tumor_at, immune_count, cap_free, cap_tumor, seed, step, me
                )
                if target >= 0 and used < kind.shape[0]:
                    j = used
                    used += 1
                    uid[j] = next_uid
                    next_uid += 1
                    kind[j] = k
                    voxel[j] = target
                    clone[j] = 0
                    immune_count[target] += 1
                    events[6] += 1
            else:
                w -= rate_div
                new = k1 if w < r1 else k2
                if new == DEAD:
                    kind[i] = DEAD
                    immune_count[v] -= 1
                    continue
                kind[i] = new
                k = new
        _crawl(
            i,
            k,
            voxel,
            fields,
            tumor_at,
            immune_count,
            cap_free,
            cap_tumor,
            hops,
            supp,
            p,
            shape,
            seed,
            step,
            me,
        )
    return used, next_uid


@numba.njit(cache=True, inline="always")
def _box_volume(v, r, nz, ny, nx):  # pragma: no cover - compiled
    x0, x1, y0, y1, z0, z1 = _bounds(v, r, nz, ny, nx)
    return (x1 - x0) * (y1 - y0) * (z1 - z0)


@numba.njit(cache=True, inline="always")
def _box_rs(table, c, v, r, nz, ny, nx):  # pragma: no cover - compiled
    x0, x1, y0, y1, z0, z1 = _bounds(v, r, nz, ny, nx)
    return _box(table, c, x0, x1, y0, y1, z0, z1)


@numba.njit(cache=True, inline="always")
def _t_room(table, v, r, nz, ny, nx, voxel_mm3, p):  # pragma: no cover - compiled
    """QSP `room` of T cells: 1 − T-cell density / capacity density, over the sensing box."""
    t = _box_rs(table, C_EFF, v, r, nz, ny, nx) + _box_rs(table, C_EXH, v, r, nz, ny, nx)
    volume = _box_volume(v, r, nz, ny, nx) * voxel_mm3
    return max(1.0 - t / (volume * p[T_CELL_CAPACITY_DENSITY]), 0.0)


@numba.njit(cache=True)
def _random_in_box(v, r, nz, ny, nx, seed, step, me):  # pragma: no cover - compiled
    """A uniformly chosen voxel of the box of half-width r around v (v itself included)."""
    x0, x1, y0, y1, z0, z1 = _bounds(v, r, nz, ny, nx)
    size = (x1 - x0) * (y1 - y0) * (z1 - z0)
    pick = int(uniform(seed, step, me, _ST_TARGET) * size)
    if pick >= size:
        pick = size - 1
    wx, wy = x1 - x0, y1 - y0
    x = x0 + pick % wx
    y = y0 + (pick // wx) % wy
    z = z0 + pick // (wx * wy)
    target = (z * ny + y) * nx + x
    return -1 if target == v else target


@numba.njit(cache=True)
def _nearest_free(v, reach, nz, ny, nx, tumor_at, seed, step, me):  # pragma: no cover - compiled
    """A voxel without a tumor cell in the nearest ring (Chebyshev distance 1..reach) around v
    that has one, chosen uniformly in that ring; -1 if none. A dividing cell pushes its neighbours
    aside so that its daughter takes that spot (the displacement itself is not tracked)."""
    x = v % nx
    y = (v // nx) % ny
    z = v // (nx * ny)
    for r in range(1, reach + 1):
        found = 0
        for zz in range(max(z - r, 0), min(z + r + 1, nz)):
            for yy in range(max(y - r, 0), min(y + r + 1, ny)):
                for xx in range(max(x - r, 0), min(x + r + 1, nx)):
                    ring = max(abs(xx - x), abs(yy - y), abs(zz - z))
                    if ring == r and tumor_at[(zz * ny + yy) * nx + xx] < 0:
                        found += 1
        if found == 0:
            continue
        pick = int(uniform(seed, step, me, _ST_PUSH) * found)
        for zz in range(max(z - r, 0), min(z + r + 1, nz)):
            for yy in range(max(y - r, 0), min(y + r + 1, ny)):
                for xx in range(max(x - r, 0), min(x + r + 1, nx)):
                    ring = max(abs(xx - x), abs(yy - y), abs(zz - z))
                    t = (zz * ny + yy) * nx + xx
                    if ring == r and tumor_at[t] < 0:
                        if pick == 0:
                            return t
                        pick -= 1
    return -1


@numba.njit(cache=True)
def _immune_spot(
    v, r, nz, ny, nx, tumor_at, immune_count, cap_free, cap_tumor, seed, step, me
):  # pragma: no cover - compiled
    """Where a new immune cell goes: its mother's voxel if there is room, else a random voxel of
    the contact box with room, else nowhere (-1)."""
    cap = cap_tumor if tumor_at[v] >= 0 else cap_free
    if immune_count[v] < cap:
        return v
    target = _random_in_box(v, r, nz, ny, nx, seed, step, me)
    if target < 0:
        return -1
    cap = cap_tumor if tumor_at[target] >= 0 else cap_free
    return target if immune_count[target] < cap else -1


@numba.njit(cache=True)
def _crawl(
    i,
    k,
    voxel,
    fields,
    tumor_at,
    immune_count,
    cap_free,
    cap_tumor,
    hops,
    supp,
    p,
    shape,
    seed,
    step,
    me,
):  # pragma: no cover - compiled
    """Random hops to face neighbours, biased up the chemokine a cell follows (CXCL9/10 for T and
    NK cells, CCL2 for monocytes and MDSCs). T and NK cells enter tumor-filled voxels with the QSP
    entry factor (basal + (1 − basal)·sat(CXCL9)) × (1 − myeloid inhibition)."""
    nz, ny, nx = shape[0], shape[1], shape[2]
    n_hops_f = hops[k]
    n_hops = int(n_hops_f)
    if uniform(seed, step, me, _ST_HOPS) < n_hops_f - n_hops:
        n_hops += 1
    if n_hops == 0:
        return
    lymphoid = k == CD8 or k == CD8_EXHAUSTED or k == NK or k == CD4 or k == TREG
    follows = -1
    half = 1.0
    if k == CD8 or k == CD8_EXHAUSTED or k == NK or k == CD4:
        follows, half = CXCL9, p[CXCL9_RECRUITMENT_HALF]
    elif k == MONOCYTE or k == MDSC:
        follows, half = CCL2, p[CCL2_RECRUITMENT_HALF]
    chi = p[CHEMOTAXIS_SENSITIVITY]
    exclusion = 1.0 - p[MYELOID_ENTRY_INHIBITION_MAX] * supp
    dims = 3 if nz > 1 else 2
    weights = np.empty(7)
    targets = np.empty(7, dtype=np.int64)
    for h in range(n_hops):
        v = voxel[i]
        x = v % nx
        y = (v // nx) % ny
        z = v // (nx * ny)
        here = sat(fields[follows, v], half) if follows >= 0 else 0.0
        weights[0] = 1.0
        targets[0] = v
        total = 1.0
        m = 1
        for d in range(2 * dims):
            ax = d // 2
            sign = 1 if d % 2 == 0 else -1
            xx, yy, zz = x, y, z
            if ax == 0:
                xx += sign
            elif ax == 1:
                yy += sign
            else:
                zz += sign
            if xx < 0 or xx >= nx or yy < 0 or yy >= ny or zz < 0 or zz >= nz:
                continue
            t = (zz * ny + yy) * nx + xx
            occupied = tumor_at[t] >= 0
            cap = cap_tumor if occupied else cap_free
            if immune_count[t] >= cap:
                continue
            w = 1.0
            if follows >= 0:
                w = np.exp(chi * (sat(fields[follows, t], half) - here))
            if occupied and lymphoid:
                w *= _t_entry_gate(p, fields[CXCL9, t]) * exclusion
            weights[m] = w
            targets[m] = t
            total += w
            m += 1
        u = uniform(seed, step, me, _ST_MOVE + h) * total
        choice = 0
        acc = weights[0]
        while choice < m - 1 and u >= acc:
            choice += 1
            acc += weights[choice]
        t = targets[choice]
        if t != v:
            immune_count[v] -= 1
            immune_count[t] += 1
            voxel[i] = t


@numba.njit(cache=True)
def vessel_inflow(
    n,
    uid,
    kind,
    voxel,
    clone,
    next_uid,
    vessels,
    kinds_in,
    expected,
    gates,
    fields,
    table,
    tumor_at,
    immune_count,
    p,
    radii,
    shape,
    voxel_mm3,
    seed,
    step,
    events,
):  # pragma: no cover - compiled
    """Cells arriving from blood at each vessel voxel: Poisson counts with mean
    expected[kind] × local factor (gates: 0 none, 1 T/NK chemokine and myeloid factors,
    2 CCL2 recruitment). Returns (used slots, next uid)."""
    nz, ny, nx = shape[0], shape[1], shape[2]
    cap_free = int(p[IMMUNE_CAPACITY_FREE])
    cap_tumor = int(p[IMMUNE_CAPACITY_TUMOR])
    used = n
    stream_base = 1 << 40
    for j in range(vessels.shape[0]):
        v = vessels[j]
        supp = -1.0
        for q in range(kinds_in.shape[0]):
            lam = expected[q]
            if lam <= 0.0:
                continue
            if gates[q] == 1:
                if supp < 0.0:
                    supp = _suppression(table, v, radii[1], nz, ny, nx, voxel_mm3, p)
                lam *= _t_entry_gate(p, fields[CXCL9, v]) * (
                    1.0 - p[MYELOID_ENTRY_INHIBITION_MAX] * supp
                )
            elif gates[q] == 2:
                lam *= sat(fields[CCL2, v], p[CCL2_RECRUITMENT_HALF])
            count = poisson(lam, seed, step, stream_base + j, q)
            for _ in range(count):
                cap = cap_tumor if tumor_at[v] >= 0 else cap_free
                if immune_count[v] >= cap or used >= kind.shape[0]:
                    break
                uid[used] = next_uid
                next_uid += 1
                kind[used] = kinds_in[q]
                voxel[used] = v
                clone[used] = 0
                immune_count[v] += 1
                used += 1
                events[5] += 1
    return used, next_uid


@numba.njit(cache=True)
def field_terms(source, uptake, vessel_mask, oxygen_on, p, sysv):  # pragma: no cover - compiled
    """Sources and uptake every voxel has: vessels hold oxygen at the vascular pO2, and IL-2
    exchanges with plasma (aldesleukin reaches the tissue this way, as in the QSP model)."""
    n = source.shape[1]
    k_ex = p[IL2_PLASMA_EXCHANGE_RATE]
    plasma = sysv[S_IL2_PLASMA]
    for v in range(n):
        uptake[IL2, v] += k_ex
        source[IL2, v] += k_ex * plasma
        if oxygen_on and vessel_mask[v]:
            uptake[O2, v] += p[OXYGEN_VESSEL_SUPPLY]
            source[O2, v] += p[OXYGEN_VESSEL_SUPPLY] * p[OXYGEN_VESSEL]

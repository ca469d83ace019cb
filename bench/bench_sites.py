"""Facility sites (issue 12): greedy maximum coverage against the exact optimum
(scipy.optimize.milp, HiGHS) on small cases cut from the benchmark city, and the time of the
greedy on a whole city district. Prints the coverage ratio greedy / optimum for the same number
of sites (the greedy guarantee is >= 1 - 1/e = 0.632)."""

from __future__ import annotations

from common import measure, row

CODE = """
def main():
    import sys, time
    import numpy as np
    from scipy import sparse
    sys.path.insert(0, "bench")
    from synthetic_city import make_city
    from planner.analysis.common import anchor_points
    from planner.analysis.network import build_network, pairs_within
    from planner.analysis.roads import built_mask
    from planner.portfolio.sites import greedy_max_coverage, optimal_max_coverage, road_candidates

    layers = make_city(profile="portfolio")
    roads = layers["roads"]
    built = roads[built_mask(roads)].reset_index(drop=True)
    t = time.perf_counter()
    net = build_network(built.geometry.values, tolerance=1.0)
    network_s = time.perf_counter() - t
    b = layers["buildings"]
    res = b[(b["use"] == "residential").to_numpy()]
    pts = anchor_points(res.geometry.values)
    hh = res["households"].fillna(0).to_numpy(dtype=float) + 1e-3
    import shapely
    xy = shapely.get_coordinates(pts)
    ids = built["road_id"].astype(str).to_numpy(dtype=object)
    names = built["name"].to_numpy(dtype=object)
    rng = np.random.default_rng(7)
    x0, y0 = xy.min(axis=0)
    span = xy.max(axis=0) - xy.min(axis=0)
    ratios, cases, milp_s = [], [], 0.0
    for case in range(8):  # small cases: a 1 km window, a 300 m radius (5-minute facilities)
        cx, cy = x0 + rng.random() * (span[0] - 1000), y0 + rng.random() * (span[1] - 1000)
        inside = (xy[:, 0] >= cx) & (xy[:, 0] < cx + 1000) & (xy[:, 1] >= cy) & (xy[:, 1] < cy + 1000)
        sample = np.flatnonzero(inside)
        sample = sample[rng.random(len(sample)) < 0.25]  # a quarter of them lack the facility
        d, w = pts[sample], hh[sample]
        cand = road_candidates(net, d, 100.0, 1000.0, ids, names)
        ci, di, _ = pairs_within(net, cand.point, d, limit=300.0)
        cover = sparse.csr_matrix((np.ones(len(ci), dtype=bool), (ci, di)), shape=(len(cand), len(d)))
        picks = greedy_max_coverage(cover, w)
        for k in sorted({max(1, len(picks) // 4), max(1, len(picks) // 2)}):
            greedy = sum(p.gain for p in picks[:k])
            t = time.perf_counter()
            best, _ = optimal_max_coverage(cover, w, k, time_limit=120)
            milp_s += time.perf_counter() - t
            ratios.append(greedy / best)
            cases.append((len(d), len(cand), k))
    # the greedy on a whole district: every residential building lacks the facility (1000 m)
    district = (xy[:, 0] < x0 + 8000) & (xy[:, 1] < y0 + 8000)
    d, w = pts[district], hh[district]
    t = time.perf_counter()
    cand = road_candidates(net, d, 200.0, 20000.0, ids, names)
    ci, di, _ = pairs_within(net, cand.point, d, limit=1000.0)
    cover = sparse.csr_matrix((np.ones(len(ci), dtype=bool), (ci, di)), shape=(len(cand), len(d)))
    picks = greedy_max_coverage(cover, w)
    district_s = time.perf_counter() - t
    return {"seconds": district_s, "network_s": network_s, "ratios": ratios, "cases": cases, "milp_s": milp_s,
            "district_buildings": int(district.sum()), "district_candidates": len(cand), "district_pairs": len(ci),
            "district_sites": len(picks)}
"""


def run() -> dict:
    r = measure(CODE, label="sites")
    ratios = r["ratios"]
    print(f"facility sites: greedy vs exact optimum (milp) on {len(ratios)} small cases "
          f"({min(c[0] for c in r['cases'])}-{max(c[0] for c in r['cases'])} buildings, "
          f"{min(c[1] for c in r['cases'])}-{max(c[1] for c in r['cases'])} candidate sites, 300 m)")
    print(f"  greedy / optimum coverage: min {min(ratios):.4f}, mean {sum(ratios) / len(ratios):.4f} "
          f"(guarantee >= 0.632); milp {r['milp_s']:.1f} s in all")
    print(row(f"greedy sites for a district ({r['district_buildings']:,} buildings, "
              f"{r['district_candidates']:,} candidates, {r['district_pairs']:,} pairs)", r["seconds"], r["peak_mib"]))
    print(f"  {r['district_sites']} sites cover the district (1000 m); network built in {r['network_s']:.1f} s")
    return r


if __name__ == "__main__":
    run()

"""Distance and expiry-waste maths: haversine km, expiry buckets, the waste first-expiring-first use leaves."""
from __future__ import annotations

import bisect

import numpy as np

from .problem import SitePoint

def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance (works on numpy arrays too)."""
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(1.0, a)))


def distance_matrix(sites: list[SitePoint]) -> np.ndarray:
    lat = np.array([s.lat for s in sites], dtype=float)
    lon = np.array([s.lon for s in sites], dtype=float)
    return haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])


def bucket_times(edges: tuple[float, ...], shelf_days: float) -> np.ndarray:
    """When each bucket's stock is taken to expire: the mid-point of its days-left range (the last bucket
    ends at the component's shelf life)."""
    lows, highs = (0.0, *edges), (*edges, max(shelf_days, edges[-1]))
    return np.array([(lo + hi) / 2 for lo, hi in zip(lows, highs)])


def bucketise(bags: list[tuple[float, float]], edges: tuple[float, ...]) -> np.ndarray:
    h = np.zeros(len(edges) + 1)
    for units, days_left in bags:
        h[bisect.bisect_right(edges, days_left)] += units
    return h


def fefo_waste(h: np.ndarray, daily: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per site (a row of h), the U that first-expiring-first use at `daily` U/day cannot consume before expiry
    (greedy FEFO is optimal under nested caps, so this equals the LP's waste). All sites at once, bucket by
    bucket: per site the same arithmetic as one at a time, at a fraction of the Python calls."""
    used, waste = np.zeros(len(h)), np.zeros(len(h))
    for b, tb in enumerate(t):
        take = np.maximum(0.0, np.minimum(h[:, b], daily * tb - used))
        used += take
        waste += h[:, b] - take
    return waste


def fefo_prefix(h: np.ndarray, amount: float) -> np.ndarray:
    """The earliest-expiring `amount` U of a holding, per bucket."""
    out = np.zeros_like(h)
    for b, hb in enumerate(h):
        out[b] = min(hb, max(0.0, amount))
        amount -= out[b]
    return out
